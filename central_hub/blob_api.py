"""The blob protocol over HTTP (``/sync/v1/blobs``): attachment files in sealed chunks.

Bodies are envelopes whose payload is a frame (``sync/blobsync.py`` documents both). A node
may exchange only files named by an ``attachment`` record it may see, its unit's own or one
routed to it (DESIGN.md "Routing"), and the hub serves a file only once it is complete and its
hash verified. Files live in ``DATA/blobs``.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable

from flask import Blueprint, Response, request

from sync import (
    BLOB_MAX_CHUNK,
    ENVELOPE_TYPE,
    BlobStore,
    ChangesetError,
    Frame,
    NotFound,
    SyncError,
    pack_frame,
    seal,
    unpack_frame,
)

from . import nodes, sync_history
from .ingest import HubContext, open_from_node
from .journal import ALL_UNITS
from .web import context, state

bp = Blueprint("sync_blobs", __name__, url_prefix="/sync/v1/blobs")

Handler = Callable[[HubContext, nodes.Node, Frame, bytes], Frame]


def blob_store() -> BlobStore:
    """The hub's blob store, ``DATA/blobs``."""
    return BlobStore(state().data_dir / "blobs")


@bp.post("/status")
def status() -> Response:
    """Which of the listed files the hub holds, and how much of each partial one."""
    return _answer("blob_status", _status)


@bp.post("/upload")
def upload() -> Response:
    """Append one chunk at its offset; answer with the size held; verify the last one."""
    return _answer("blob_chunk", _upload)


@bp.post("/download")
def download() -> Response:
    """One chunk of a complete file, sealed to the node that may see it."""
    return _answer("blob_fetch", _download)


def _answer(kind: str, handler: Handler) -> Response:
    body = request.get_data()
    ctx = context()
    try:
        node, frame = _open(ctx, body, kind)
        reply = handler(ctx, node, frame, body)
    except NotFound:
        raise  # a file not received yet: the node asks again next run, no refusal to log
    except SyncError as exc:
        sync_history.record_refusal(ctx.conn, body, kind, exc, ctx.sender)
        raise
    sealed = seal(
        pack_frame(reply.meta, reply.data),
        sender=ctx.hub_id,
        keys=ctx.keys,
        recipient=node.node_id,
        recipient_keys=node.keys,
        kind=reply.kind,
        envelope_id=str(uuid.uuid4()),
    )
    return Response(sealed, content_type=ENVELOPE_TYPE)


def _open(ctx: HubContext, body: bytes, kind: str) -> tuple[nodes.Node, Frame]:
    """Open an envelope from an active node (the checks of ``ingest``) holding a frame."""
    node, payload = open_from_node(ctx, body, kind)
    frame = unpack_frame(payload)
    if frame.kind != kind:
        raise ChangesetError(
            f"Gói loại '{frame.kind}' gửi nhầm chỗ '{kind}'.", code="bad_blob_frame"
        )
    return node, frame


def visible(conn: sqlite3.Connection, unit: str, shas: Iterable[str]) -> dict[str, set[int]]:
    """The files among ``shas`` that ``unit`` may see, with the sizes their records state.

    A file is visible through an attachment record of the unit's own, or one whose journal
    entries are routed to the unit (or to every unit).
    """
    found: dict[str, set[int]] = {}
    listed = list(dict.fromkeys(shas))
    for i in range(0, len(listed), 500):
        part = listed[i : i + 500]
        rows = conn.execute(
            f"SELECT a.sha256, a.size FROM attachment a WHERE a.sha256 IN "
            f"({','.join('?' * len(part))}) AND (a.unit = ? OR EXISTS ("
            "  SELECT 1 FROM journal j JOIN routes r ON r.jseq = j.jseq"
            "  WHERE j.type = 'attachment' AND j.id = a.id AND r.unit IN (?, ?)))",
            (*part, unit, unit, ALL_UNITS),
        ).fetchall()
        for sha, size in rows:
            found.setdefault(sha, set()).add(int(size))
    return found


def _status(ctx: HubContext, node: nodes.Node, frame: Frame, body: bytes) -> Frame:
    started = time.perf_counter()
    store = blob_store()
    asked = list(frame.meta["blobs"])
    seen = visible(ctx.conn, node.unit, asked)
    have = [s for s in asked if s in seen and store.has(s)]
    partial = {s: store.partial_size(s) for s in asked if s in seen and s not in have}
    unknown = [s for s in asked if s not in seen]
    sync_history.record_visit(
        ctx.conn, node, body, len(body), "blob_status", len(asked), started, ""
    )
    return Frame(
        {
            "kind": "blob_have",
            "have": have,
            "partial": {s: n for s, n in partial.items() if n},
            "unknown": unknown,
        }
    )


def _upload(ctx: HubContext, node: nodes.Node, frame: Frame, body: bytes) -> Frame:
    started = time.perf_counter()
    sha, offset, total = frame.meta["sha256"], frame.meta["offset"], frame.meta["total"]
    sizes = visible(ctx.conn, node.unit, [sha]).get(sha)
    if not sizes:
        raise NotFound(
            f"Máy chủ trung tâm chưa có bản ghi tệp đính kèm nào của đơn vị '{node.unit}' "
            f"cho tệp {sha[:12]}…; tệp sẽ được gửi sau khi bản ghi đến.",
            code="blob_unreferenced",
        )
    if total not in sizes:
        raise ChangesetError(
            f"Tệp {sha[:12]}… dài {total} byte, bản ghi đính kèm ghi {min(sizes)} byte.",
            code="blob_size_mismatch",
        )
    store = blob_store()
    if store.has(sha):
        return _ack(sha, store.size(sha), complete=True)
    size = store.append_partial(sha, offset, frame.data)
    if size < total:
        return _ack(sha, size, complete=False)
    store.finish_partial(sha)  # verifies the SHA-256; a corrupt file is dropped and refused
    sync_history.record_visit(
        ctx.conn, node, body, total, "blob_upload", 1, started, f"sha256={sha}"
    )
    return _ack(sha, total, complete=True)


def _ack(sha: str, size: int, *, complete: bool) -> Frame:
    return Frame({"kind": "blob_ack", "sha256": sha, "size": size, "complete": complete})


def _download(ctx: HubContext, node: nodes.Node, frame: Frame, body: bytes) -> Frame:
    started = time.perf_counter()
    sha, offset = frame.meta["sha256"], frame.meta["offset"]
    store = blob_store()
    # One answer for "not yours" and "not here yet": a node learns nothing of other files.
    if sha not in visible(ctx.conn, node.unit, [sha]) or not store.has(sha):
        raise NotFound(f"Máy chủ trung tâm chưa có tệp {sha[:12]}….", code="blob_not_found")
    total = store.size(sha)
    if offset > total:
        raise ChangesetError(
            f"Vị trí {offset} vượt quá cuối tệp ({total} byte).", code="blob_bad_offset"
        )
    data = store.read(sha, offset, min(int(frame.meta["length"]), BLOB_MAX_CHUNK))
    if offset + len(data) >= total:
        sync_history.record_visit(
            ctx.conn, node, body, total, "blob_download", 1, started, f"sha256={sha}"
        )
    return Frame({"kind": "blob_chunk", "sha256": sha, "offset": offset, "total": total}, data)
