"""Attachment files between a node and the hub: sealed chunks, resumable in both directions.

**Wire format.** Every message is an envelope (:func:`sync.envelope.seal`, so encrypted to the
recipient and signed, docs/protocol.md "Envelopes"), with the envelope's ``kind`` equal to the
frame's and a payload that is a *frame*::

    u32 big-endian length of J | J: canonical JSON, at most 4 KiB | raw bytes of the chunk

The bytes travel raw, not in JSON: base64 would add a third. The file's hash, offset and
total size sit in the sealed ``J``, not in the cleartext envelope header, because a hash in
clear would let anyone on the ward's network confirm which known document was sent.

Messages, by endpoint (request kind → answer kind)::

    /sync/v1/blobs/status    blob_status {"blobs": [sha, …]}
                          →  blob_have   {"have": [sha, …], "partial": {sha: bytes},
                                          "unknown": [sha, …]}
    /sync/v1/blobs/upload    blob_chunk  {"sha256", "offset", "total"} + bytes
                          →  blob_ack    {"sha256", "size", "complete"}
    /sync/v1/blobs/download  blob_fetch  {"sha256", "offset", "length"}
                          →  blob_chunk  {"sha256", "offset", "total"} + bytes

A chunk at an offset other than the size the hub holds is not written; the answer's ``size``
tells the node where to continue. ``unknown`` lists files the node may not see (no attachment
record of its unit, or routed to it, at the hub yet).

**Ordering.** :meth:`NodeSync.run` pushes, pulls, then calls :func:`sync_blobs`: an
``attachment`` record reaches the hub before its file. The hub accepts and serves only files
referenced by an attachment record the node may see (its unit's, or routed to it), so a node
cannot use the hub as free storage, and it serves a file only once complete and verified
(404 before): a reader elsewhere sees "not received yet", never a wrong or partial file, and
the next run completes it. Uploads run before downloads.
"""

from __future__ import annotations

import sqlite3
import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .blobs import SHA256_RE, BlobStore
from .changes import ChangeLog, canonical
from .envelope import open_envelope, seal
from .errors import BadSignature, ChangesetError, RemoteRefused, UnsupportedFile
from .filetypes import ACCEPTED, check_file
from .jsonbody import JsonTooDeep, loads_bounded
from .keys import KeyPair, PublicKeys
from .officefiles import OFFICE
from .store import atomic, get_meta, set_meta
from .transport import HttpTransport

CHUNK_SIZE = 256 * 1024
RECEIVED_KINDS = ACCEPTED + OFFICE  # what a node takes from the hub (docs/edxml.md)
MAX_CHUNK = 4 * 1024 * 1024
MAX_FRAME_JSON = 4096
STATUS_BATCH = 200
UPLOAD_CURSOR = "blobs.upload_seq"

_KINDS = ("blob_status", "blob_have", "blob_chunk", "blob_ack", "blob_fetch")
# The hub's refusals of a file for what it is: sending it again cannot help.
_REFUSED_CODES = frozenset({"unsupported_file_type", "active_content", "blob_too_large"})


@dataclass(frozen=True)
class Frame:
    """One message of the blob protocol: its JSON part and, for a chunk, the bytes."""

    meta: dict[str, Any]
    data: bytes = b""

    @property
    def kind(self) -> str:
        """What the message is (``blob_chunk``, ``blob_ack``, …)."""
        return str(self.meta["kind"])


def pack_frame(meta: dict[str, Any], data: bytes = b"") -> bytes:
    """The payload of a blob message: length of the JSON part, the JSON part, the bytes."""
    head = canonical(meta)
    return struct.pack(">I", len(head)) + head + data


def unpack_frame(payload: bytes) -> Frame:
    """Inverse of :func:`pack_frame`, checking the fields of the message's kind.

    Raises :class:`ChangesetError` (code ``bad_blob_frame``) naming what is wrong.
    """
    if len(payload) < 4:
        raise _bad("trống")
    (head_len,) = struct.unpack(">I", payload[:4])
    if head_len > MAX_FRAME_JSON or len(payload) < 4 + head_len:
        raise _bad("độ dài phần mô tả sai")
    try:
        meta = loads_bounded(payload[4 : 4 + head_len])
    except (ValueError, JsonTooDeep):  # UnicodeDecodeError and JSONDecodeError included
        raise _bad("phần mô tả không phải JSON") from None
    if not isinstance(meta, dict) or meta.get("kind") not in _KINDS:
        raise _bad("loại gói không rõ")
    frame = Frame(meta, payload[4 + head_len :])
    _check(frame)
    return frame


def _check(frame: Frame) -> None:
    meta, kind = frame.meta, frame.kind
    numbers = {
        "blob_chunk": ("offset", "total"),
        "blob_ack": ("size",),
        "blob_fetch": ("offset", "length"),
    }.get(kind, ())
    for name in numbers:
        value = meta.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise _bad(f"trường '{name}' phải là số nguyên không âm")
    shas: list[Any] = []
    if kind in ("blob_chunk", "blob_ack", "blob_fetch"):
        shas.append(meta.get("sha256"))
    elif kind == "blob_status":
        listed = meta.get("blobs")
        if not isinstance(listed, list) or len(listed) > STATUS_BATCH:
            raise _bad(f"'blobs' phải là danh sách tối đa {STATUS_BATCH} mã băm")
        shas.extend(listed)
    elif kind == "blob_have":
        have, partial, unknown = meta.get("have"), meta.get("partial"), meta.get("unknown")
        if not (isinstance(have, list) and isinstance(partial, dict) and isinstance(unknown, list)):
            raise _bad("trả lời trạng thái thiếu 'have', 'partial' hoặc 'unknown'")
        if not all(isinstance(v, int) and v >= 0 for v in partial.values()):
            raise _bad("kích thước tệp dở dang phải là số nguyên không âm")
        shas.extend([*have, *partial, *unknown])
    if not all(isinstance(s, str) and SHA256_RE.fullmatch(s) for s in shas):
        raise _bad("mã băm phải gồm 64 ký tự thập lục phân thường")
    if kind == "blob_chunk":
        if len(frame.data) > MAX_CHUNK:
            raise _bad(f"một phần tệp dài quá {MAX_CHUNK} byte")
        if meta["offset"] + len(frame.data) > meta["total"]:
            raise _bad("phần tệp vượt quá kích thước tệp")
    elif kind == "blob_ack" and not isinstance(meta.get("complete"), bool):
        raise _bad("trường 'complete' phải là đúng/sai")


def _bad(why: str) -> ChangesetError:
    return ChangesetError(f"Gói tệp đính kèm sai cấu trúc: {why}.", code="bad_blob_frame")


# -- the node's side -------------------------------------------------------------------------


class PinnedHub(Protocol):
    """The hub as the node pinned it at enrollment (``sync.session.HubIdentity``)."""

    @property
    def hub_id(self) -> str: ...

    @property
    def keys(self) -> PublicKeys: ...


class NodeLink(Protocol):
    """What a file sync uses of the node's sync session (``sync.session.NodeSync``): the
    dependency runs one way, the session calls this module and this module names no session."""

    @property
    def conn(self) -> sqlite3.Connection: ...

    @property
    def log(self) -> ChangeLog: ...

    @property
    def transport(self) -> HttpTransport: ...

    @property
    def node_id(self) -> str: ...

    @property
    def keys(self) -> KeyPair: ...

    @property
    def hub(self) -> PinnedHub: ...


Progress = Callable[[str, int, int], None]  # (phase, done, total) as a transfer advances


def _no_progress(_phase: str, _done: int, _total: int) -> None:
    pass


@dataclass
class _Report:
    uploaded: int = 0
    downloaded: int = 0
    chunks_sent: int = 0
    chunks_received: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    waiting: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def blob_folder(session: NodeLink) -> Path:
    """The node's blob folder: ``blobs/`` beside its store file (``DATA/blobs``)."""
    row = session.conn.execute("PRAGMA database_list").fetchone()
    return Path(row[2]).resolve().parent / "blobs"


def sync_blobs(
    session: NodeLink,
    *,
    blobs: BlobStore | None = None,
    unit: str | None = None,
    chunk_size: int = CHUNK_SIZE,
    progress: Progress = _no_progress,
) -> dict[str, Any]:
    """Upload the files of the node's own attachments that the hub lacks; download the rest.

    Uploads: every file named by an ``attachment`` change of the node's log that the hub
    has acknowledged, resuming each at the size the hub already holds; a cursor in ``meta``
    (``blobs.upload_seq``) remembers how far every file is known to be at the hub, so a run
    with nothing new asks the hub nothing. Downloads: every file of a live attachment record
    held here whose file is not, resuming at the size of the local partial file.

    Returns counts (``uploaded``, ``downloaded``, ``chunks_sent``, ``chunks_received``,
    ``bytes_sent``, ``bytes_received``) and the hashes still ``waiting`` for the hub (it
    does not have them yet), ``missing`` (in this node's records, on neither side) or
    ``refused`` (not a kind of file the offices use, by its bytes). ``progress`` is told
    ``(phase, done, total)`` as each file advances (``upload`` or ``download``).
    Raises :class:`TransportError` or another :class:`SyncError` as :meth:`NodeSync.run`
    does; whatever was received until then is kept.
    """
    if not 1 <= chunk_size <= MAX_CHUNK:
        raise ValueError(f"chunk_size must be between 1 and {MAX_CHUNK}")
    store = blobs or BlobStore(blob_folder(session))
    unit = unit or get_meta(session.conn, "unit")
    report = _Report()
    _upload_all(session, store, unit, chunk_size, report, progress)
    _download_all(session, store, chunk_size, report, progress)
    return dict(report.__dict__)


def _upload_all(
    session: NodeLink,
    store: BlobStore,
    unit: str | None,
    chunk_size: int,
    report: _Report,
    progress: Progress,
) -> None:
    conn = session.conn
    done = int(get_meta(conn, UPLOAD_CURSOR, 0))
    acked = int(get_meta(conn, "acked_seq", 0))
    pending: dict[str, int] = {}  # sha → first seq naming it
    scanned = done
    while scanned < acked:
        # Only attachment changes are read and decoded: reading every acknowledged change
        # cost a sixth of a sync of 100,000 dossier changes.
        batch = session.log.read_type("attachment", scanned, acked, 1000)
        for change in batch:
            sha = change.fields.get("sha256")
            if sha and (unit is None or change.unit == unit):
                pending.setdefault(sha, change.seq)
        # A short batch: nothing more up to the acknowledged seq.
        scanned = batch[-1].seq if len(batch) == 1000 else acked
    blocked: list[int] = []
    shas = list(pending)
    for i in range(0, len(shas), STATUS_BATCH):
        status = _ask_status(session, shas[i : i + STATUS_BATCH])
        have = set(status["have"])
        for sha in shas[i : i + STATUS_BATCH]:
            if sha in have:
                continue
            if sha in status["unknown"]:
                # The hub does not hold the record yet (held for a wrong clock): next run.
                report.waiting.append(sha)
            elif not store.has(sha):
                report.missing.append(sha)
            else:
                try:
                    offset = int(status["partial"].get(sha, 0))
                    _upload(session, store, sha, offset, chunk_size, report, progress)
                except RemoteRefused as exc:
                    if exc.code not in _REFUSED_CODES:
                        raise
                    report.refused.append(sha)
                continue
            blocked.append(pending[sha])
    if scanned != done:
        cursor = min(blocked) - 1 if blocked else scanned
        with atomic(conn):
            set_meta(conn, UPLOAD_CURSOR, max(done, cursor))


def _ask_status(session: NodeLink, shas: list[str]) -> dict[str, Any]:
    raw = session.transport.post(
        "/sync/v1/blobs/status", _seal(session, {"kind": "blob_status", "blobs": shas})
    )
    return _open(session, raw, "blob_have").meta


def _upload(
    session: NodeLink,
    store: BlobStore,
    sha: str,
    offset: int,
    chunk_size: int,
    report: _Report,
    progress: Progress,
) -> None:
    """Send one file from ``offset`` (what the hub holds) chunk by chunk until it is complete."""
    total = store.size(sha)
    offset = min(offset, total)
    stalls = 0
    with store.open(sha) as f:
        while True:
            f.seek(offset)
            data = f.read(chunk_size)
            meta = {"kind": "blob_chunk", "sha256": sha, "offset": offset, "total": total}
            raw = session.transport.post("/sync/v1/blobs/upload", _seal(session, meta, data))
            report.chunks_sent += 1
            report.bytes_sent += len(data)
            ack = _open(session, raw, "blob_ack").meta
            if ack["sha256"] != sha:
                raise ChangesetError(
                    "Máy chủ trung tâm xác nhận nhầm tệp.", code="blob_ack_mismatch"
                )
            if ack["complete"]:
                report.uploaded += 1
                progress("upload", total, total)
                return
            size = int(ack["size"])
            progress("upload", size, total)  # per file: big files take minutes
            # The hub holds a different amount than we assumed (another sender, a lost
            # partial): continue from what it holds. Never loop on a hub that does not move.
            stalls = stalls + 1 if size != offset + len(data) else 0
            if stalls > 2 or size > total:
                raise ChangesetError(
                    f"Máy chủ trung tâm không nhận tiếp tệp {sha[:12]}… (đang giữ {size} byte).",
                    code="blob_upload_stalled",
                )
            offset = size


def _download_all(
    session: NodeLink, store: BlobStore, chunk_size: int, report: _Report, progress: Progress
) -> None:
    rows = session.conn.execute(
        "SELECT DISTINCT sha256 FROM attachment WHERE sha256 IS NOT NULL "
        "AND coalesce(deleted, 0) = 0 ORDER BY sha256"
    ).fetchall()
    for (sha,) in rows:
        if store.has(sha):
            continue
        try:
            _download(session, store, sha, chunk_size, report, progress)
        except RemoteRefused as exc:
            if exc.details.get("http_status") != 404:
                raise
            report.waiting.append(sha)  # not at the hub yet: its owner has not uploaded it
        except UnsupportedFile:
            report.refused.append(sha)  # judged by its bytes here too: never trust the sender


def _download(
    session: NodeLink,
    store: BlobStore,
    sha: str,
    chunk_size: int,
    report: _Report,
    progress: Progress,
) -> None:
    """Fetch one file from where the local partial file ends, then verify and store it."""
    offset = store.partial_size(sha)
    while True:
        meta = {"kind": "blob_fetch", "sha256": sha, "offset": offset, "length": chunk_size}
        raw = session.transport.post("/sync/v1/blobs/download", _seal(session, meta))
        chunk = _open(session, raw, "blob_chunk")
        report.chunks_received += 1
        report.bytes_received += len(chunk.data)
        if chunk.meta["sha256"] != sha or chunk.meta["offset"] != offset:
            raise ChangesetError("Máy chủ trung tâm gửi nhầm phần tệp.", code="blob_chunk_mismatch")
        total = int(chunk.meta["total"])
        size = store.append_partial(sha, offset, chunk.data)
        progress("download", min(size, total), total)
        if size >= total:
            # Verifies the hash and judges the bytes; a bad file is dropped and raises.
            # Word and Excel files reach a ward only from the hub's own edXML documents: the hub
            # never takes them from a node (docs/edxml.md).
            store.finish_partial(sha, check=lambda p: check_file(p, accepted=RECEIVED_KINDS))
            report.downloaded += 1
            return
        if size <= offset:
            raise ChangesetError(
                f"Tệp {sha[:12]}… nhận từ máy chủ trung tâm không tiến thêm được.",
                code="blob_download_stalled",
            )
        offset = size


def _seal(session: NodeLink, meta: dict[str, Any], data: bytes = b"") -> bytes:
    return seal(
        pack_frame(meta, data),
        sender=session.node_id,
        keys=session.keys,
        recipient=session.hub.hub_id,
        recipient_keys=session.hub.keys,
        kind=str(meta["kind"]),
        envelope_id=str(uuid.uuid4()),
    )


def _open(session: NodeLink, raw: bytes, kind: str) -> Frame:
    def hub_keys(header: dict[str, Any]) -> PublicKeys:
        if header["sender"] != session.hub.hub_id:
            raise BadSignature("Trả lời không đến từ máy chủ trung tâm đã ghim khóa.")
        return session.hub.keys

    opened = open_envelope(raw, keys=session.keys, sender_keys=hub_keys)
    frame = unpack_frame(opened.payload)
    if frame.kind != kind or opened.header["kind"] != kind:
        raise ChangesetError(
            f"Máy chủ trung tâm trả lời '{frame.kind}' thay vì '{kind}'.", code="bad_blob_frame"
        )
    return frame
