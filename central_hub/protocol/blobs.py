"""The blob protocol over HTTP (``/sync/v1/blobs``): attachment files in sealed chunks.

Bodies are envelopes whose payload is a frame (``sync/blobsync.py`` documents both). A node
sends only files named by an attachment record of its own unit, up to
:data:`~central_hub.files.MAX_FILE_BYTES`, into a partial file kept apart for it (within its
quota, expired when abandoned); a file is stored once complete, its hash verified and its
bytes one of the accepted kinds. A node fetches a file only through a record it may see whose
owner sent that file (``files.py``, "Provenance"; docs/security.md, "Files"). Files live in
``DATA/blobs``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from flask import Blueprint, Response, request

from sync import (
    BLOB_MAX_CHUNK,
    ENVELOPE_TYPE,
    ChangesetError,
    Frame,
    NotFound,
    PayloadTooLarge,
    SyncError,
    atomic,
    check_file,
    kind_of,
    pack_frame,
    seal,
    unpack_frame,
)

from .. import nodes
from ..files import (
    MAX_FILE_BYTES,
    add_source,
    blob_store,
    fetchable,
    make_room,
    own_sizes,
    sent_by,
    sweep_partials,
)
from ..store import sync_history
from .context import HubContext
from .envelopes import open_from_node

bp = Blueprint("sync_blobs", __name__, url_prefix="/sync/v1/blobs")

Handler = Callable[[HubContext, nodes.Node, Frame, bytes], Frame]


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
    ctx = HubContext.for_request()
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
    """Open an envelope from an active node (``envelopes.open_from_node``) holding a frame."""
    node, payload = open_from_node(ctx, body, kind)
    frame = unpack_frame(payload)
    if frame.kind != kind:
        raise ChangesetError(
            f"Gói loại '{frame.kind}' gửi nhầm chỗ '{kind}'.", code="bad_blob_frame"
        )
    return node, frame


def _status(ctx: HubContext, node: nodes.Node, frame: Frame, body: bytes) -> Frame:
    """Of the node's own files, which the hub holds as sent by its unit and how much of each
    the node has sent so far; ``unknown`` for files no record of its unit names (yet)."""
    started = time.perf_counter()
    store = blob_store()
    asked = list(frame.meta["blobs"])
    own = own_sizes(ctx.conn, node.unit, asked)
    # Another unit's copy of the same bytes does not count: a unit becomes a source of a
    # file only by sending it whole (files.py, "Provenance").
    have = [s for s in asked if s in own and store.has(s) and sent_by(ctx.conn, s, node.unit)]
    partial = {s: store.partial_size(s, node.node_id) for s in asked if s in own and s not in have}
    unknown = [s for s in asked if s not in own]
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
    sizes = own_sizes(ctx.conn, node.unit, [sha]).get(sha)
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
    if total > MAX_FILE_BYTES:
        raise PayloadTooLarge(
            f"Tệp {sha[:12]}… dài {total} byte, quá giới hạn "
            f"{MAX_FILE_BYTES // (1024 * 1024)} MiB mà máy chủ trung tâm nhận.",
            code="blob_too_large",
            max_bytes=MAX_FILE_BYTES,
        )
    store = blob_store()
    sweep_partials(store)
    if store.has(sha) and sent_by(ctx.conn, sha, node.unit):
        return _ack(sha, total, complete=True)
    if offset == store.partial_size(sha, node.node_id):
        make_room(store, node.node_id, sha, len(frame.data))
    size = store.append_partial(sha, offset, frame.data, node.node_id)
    if size < total:
        return _ack(sha, size, complete=False)
    # Verifies the SHA-256 and judges the bytes (sync/filetypes.py); a bad file is dropped.
    store.finish_partial(sha, node.node_id, check=check_file)
    with atomic(ctx.conn):
        add_source(ctx.conn, sha, node.unit)
    sync_history.record_visit(
        ctx.conn, node, body, total, "blob_upload", 1, started, f"tệp {sha[:16]}…"
    )
    return _ack(sha, total, complete=True)


def _ack(sha: str, size: int, *, complete: bool) -> Frame:
    return Frame({"kind": "blob_ack", "sha256": sha, "size": size, "complete": complete})


def _download(ctx: HubContext, node: nodes.Node, frame: Frame, body: bytes) -> Frame:
    started = time.perf_counter()
    sha, offset = frame.meta["sha256"], frame.meta["offset"]
    store = blob_store()
    # One answer for "not yours", "not here yet" and "not a file anyone may open": a node
    # learns nothing of other files.
    if (
        not store.has(sha)
        or not fetchable(ctx.conn, node.unit, sha)
        or kind_of(store.path(sha)) is None
    ):
        raise NotFound(f"Máy chủ trung tâm chưa có tệp {sha[:12]}….", code="blob_not_found")
    total = store.size(sha)
    if offset > total:
        raise ChangesetError(
            f"Vị trí {offset} vượt quá cuối tệp ({total} byte).", code="blob_bad_offset"
        )
    data = store.read(sha, offset, min(int(frame.meta["length"]), BLOB_MAX_CHUNK))
    if offset + len(data) >= total:
        sync_history.record_visit(
            ctx.conn, node, body, total, "blob_download", 1, started, f"tệp {sha[:16]}…"
        )
    return Frame({"kind": "blob_chunk", "sha256": sha, "offset": offset, "total": total}, data)
