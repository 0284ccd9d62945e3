"""Offline transfer on a file, the ward's side (docs/protocol.md, "Transfer files").

When the link to the hub is down for days, ``ward-node export-changes`` writes every change not
yet acknowledged to a file that someone carries to the hub (``central-hub import-changes``).
What comes back, the hub's acknowledgements and the entries routed to this ward (``central-hub
export-changes``), is applied by ``ward-node import-changes``. The envelopes are those of the
online protocol, so the same checks and the same idempotency hold: a file imported twice
changes nothing the second time.

The file format is ``sync.bundle``'s ``WSX1``. The envelope's header
says what each record is: ``push`` (node to hub, a run of the change log), ``push_ack`` (hub to
node, the highest seq the hub holds) or ``pull_batch`` (hub to node).

A file from the hub's ``export-changes`` starts with a ``push_ack`` that also states, in
``cursor`` and ``remaining``, the journal position its pull batches continue from and how many
entries they hold. The node refuses such a file when it starts past the node's own cursor or
when a batch is missing, so a gap in what the ward receives is never skipped silently.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sync import (
    BadSignature,
    Change,
    ChangesetError,
    NodeSync,
    NotFound,
    PublicKeys,
    SyncError,
    TransferFileError,
    WrongRecipient,
    atomic,
    get_meta,
    open_envelope,
    peek_header,
    read_bundle,
    set_meta,
    sync_lock,
    unpack_payload,
    validate,
    validate_fields,
    write_bundle,
)

from .session import open_session

MAX_PAYLOAD = 64 * 1024 * 1024  # as NodeSync: the largest changeset it inflates
LOCK_WAIT = 30.0


@dataclass(frozen=True)
class ExportResult:
    """What ``export_changes`` wrote."""

    path: Path
    changes: int
    envelopes: int
    seq_from: int | None
    seq_to: int | None


def export_changes(data_dir: Path, out: Path, *, chunk: int) -> ExportResult:
    """Write every change not yet acknowledged to ``out``, as push envelopes of ``chunk``.

    Nothing in the node's store changes: the changes stay pending until the hub's
    acknowledgement comes back (:func:`import_changes`), exactly as after a push whose answer
    was lost.
    """
    with _node(data_dir) as (conn, session):
        after = int(get_meta(conn, "acked_seq", 0))
        envelopes: list[bytes] = []
        first: int | None = None
        last: int | None = None
        while changes := session.log.read(after, chunk):
            envelopes.append(session.push_envelope(changes))
            first = changes[0].seq if first is None else first
            last = after = changes[-1].seq
    write_bundle(out, envelopes)
    count = 0 if first is None or last is None else last - first + 1
    return ExportResult(out, count, len(envelopes), first, last)


# -- import ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    """What ``import_changes`` applied."""

    acked_seq: int
    newly_acked: int
    applied: int
    skipped: int
    pull_cursor: int
    pending: int


@dataclass(frozen=True)
class _Record:
    """One verified envelope of a file: its place, bytes, header and opened body."""

    index: int
    raw: bytes
    header: dict[str, Any]
    body: dict[str, Any]


def import_changes(data_dir: Path, path: Path, *, wait: float = LOCK_WAIT) -> ImportResult:
    """Apply a file from the hub: its acknowledgements, then its pull batches, in order.

    Every envelope is verified (sender is the pinned hub, recipient is this node, signature,
    content, schema, and the continuity of the batches) before anything is applied, so a
    refused file leaves the store as it was. Entries already received are skipped and an
    acknowledgement already known changes nothing. Holds the node's sync lock.
    """
    envelopes = read_bundle(path)
    with _node(data_dir) as (conn, session), sync_lock(data_dir, wait=wait):
        records = _verify(conn, session, envelopes)
        acked_before = int(get_meta(conn, "acked_seq", 0))
        applied = skipped = 0
        for record in records:
            if record.header["kind"] == "push_ack":
                _accept_ack(conn, session, record)
                continue
            with _clock_readings_kept(conn):
                fresh, _more, _remaining = session.apply_pull(record.raw)
            applied += fresh
            skipped += len(record.body.get("changes", [])) - fresh
        acked = int(get_meta(conn, "acked_seq", 0))
        return ImportResult(
            acked_seq=acked,
            newly_acked=acked - acked_before,
            applied=applied,
            skipped=skipped,
            pull_cursor=int(get_meta(conn, "pull_cursor", 0)),
            pending=session.log.count_after(acked),
        )


def _accept_ack(conn: sqlite3.Connection, session: NodeSync, record: _Record) -> None:
    acked = int(get_meta(conn, "acked_seq", 0))
    new_acked = int(record.body["acked_seq"])
    if new_acked <= acked:
        return  # already known: a file imported twice, or an older acknowledgement
    changes = session.log.read(acked, new_acked - acked)
    with _clock_readings_kept(conn):
        session.accept_ack(record.raw, changes)


@contextmanager
def _clock_readings_kept(conn: sqlite3.Connection) -> Iterator[None]:
    """Run the block in one transaction that leaves the node's clock readings as they were.

    An answer that spent days on a file says nothing of the clocks now: keep what the last
    online exchange measured, or the sync page would ask to fix a good clock.
    """
    with atomic(conn):
        offset = get_meta(conn, "sync.hub_clock_offset_ms")
        warning = get_meta(conn, "sync.clock_warning")
        yield
        set_meta(conn, "sync.hub_clock_offset_ms", offset)
        set_meta(conn, "sync.clock_warning", warning)


def _verify(conn: sqlite3.Connection, session: NodeSync, envelopes: list[bytes]) -> list[_Record]:
    """Open and check every envelope of a file before any is applied."""
    records = [_open(session, i, raw) for i, raw in enumerate(envelopes, start=1)]
    tip = session.log.tip()[0]
    for record in records:
        if record.header["kind"] == "push_ack" and int(record.body["acked_seq"]) > tip:
            raise ChangesetError(
                f"Gói số {record.index} xác nhận đến thay đổi số {record.body['acked_seq']} nhưng "
                f"sổ thay đổi của nút chỉ có đến số {tip}: tệp không khớp với nút này. "
                "Hãy báo quản trị viên.",
                code="ack_mismatch",
            )
    _check_batches(records, int(get_meta(conn, "pull_cursor", 0)))
    return records


def _open(session: NodeSync, index: int, raw: bytes) -> _Record:
    """Verify and open one envelope of a file from the hub; errors name its place."""
    where = f"Gói số {index} trong tệp"
    try:
        header = peek_header(raw)
    except SyncError as exc:
        raise TransferFileError(f"{where} hỏng: {exc.message}") from exc
    if header["kind"] == "push":
        raise TransferFileError(
            "Tệp này chứa thay đổi do một nút phường xuất ra để gửi máy chủ trung tâm: hãy "
            "nhập nó ở máy chủ bằng 'central-hub import-changes'."
        )
    if header["recipient"] != session.node_id:
        raise WrongRecipient(
            f"Tệp này dành cho nút {header['recipient']}, không phải nút này "
            f"({session.node_id}): hãy mang tệp đến đúng phường."
        )
    if header["recipient_key"] != session.keys.public.fingerprint:
        raise WrongRecipient(
            "Tệp này được niêm phong cho khóa cũ của nút này (khóa đã được đổi): hãy xin máy "
            "chủ trung tâm xuất lại tệp."
        )
    if header["kind"] not in ("push_ack", "pull_batch"):
        raise TransferFileError(f"{where} có loại '{header['kind']}' không nhập được.")

    def hub_keys(h: dict[str, Any]) -> PublicKeys:
        if h["sender"] != session.hub.hub_id:
            raise BadSignature("Phong bì không do máy chủ trung tâm đã ghim khóa gửi.")
        return session.hub.keys

    try:
        opened = open_envelope(raw, keys=session.keys, sender_keys=hub_keys)
        body = unpack_payload(opened.payload, max_size=MAX_PAYLOAD)
        validate("changeset", body)
        if body.get("kind") != header["kind"]:
            raise ChangesetError("loại nội dung khác loại ghi ở tiêu đề.")
        if header["kind"] == "push_ack" and "acked_seq" not in body:
            raise ChangesetError("thiếu số thay đổi được xác nhận.")
        for entry in body.get("changes", []):
            change = Change.from_wire(entry)
            # As a live pull: fields of a newer release are kept (docs/upgrades.md).
            validate_fields(change.type, change.fields, keep_unknown=True)
    except SyncError as exc:
        raise type(exc)(f"{where} bị từ chối: {exc.message}", code=exc.code) from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise TransferFileError(f"{where} sai cấu trúc.") from exc
    return _Record(index, raw, header, body)


def _check_batches(records: list[_Record], cursor: int) -> None:
    """The pull batches of a file continue from where this node stands, with none missing."""
    batches = [r for r in records if r.header["kind"] == "pull_batch"]
    starts = [r for r in records if r.header["kind"] == "push_ack" and "cursor" in r.body]
    if not batches and not starts:
        return
    missing = "Tệp thiếu một phần thay đổi của máy chủ trung tâm: hãy xin xuất lại tệp."
    if len(starts) != 1 or any(b.index < starts[0].index for b in batches):
        raise TransferFileError(missing)
    start = starts[0].body
    if int(start["cursor"]) > cursor:
        raise TransferFileError(
            f"Tệp bắt đầu sau vị trí {start['cursor']} của máy chủ trung tâm, còn phường mới "
            f"nhận đến vị trí {cursor}: sẽ thiếu thay đổi ở giữa. Hãy xin máy chủ xuất lại "
            f"với --since {cursor}."
        )
    counts = [len(b.body.get("changes", [])) for b in batches]
    if sum(counts) != int(start.get("remaining", 0)):
        raise TransferFileError(missing)
    for i, batch in enumerate(batches):
        # Each batch says how many entries follow it: any batch dropped from the file shows.
        if int(batch.body.get("remaining", 0)) != sum(counts[i + 1 :]):
            raise TransferFileError(missing)


# -- helpers -----------------------------------------------------------------------------------


@contextmanager
def _node(data_dir: Path) -> Iterator[tuple[sqlite3.Connection, NodeSync]]:
    """The node's store and a sync session over it, without any network use."""
    if not (data_dir / "keys" / "sign.key").exists():
        raise NotFound(
            f"Thư mục {data_dir} chưa có nút phường: hãy chạy 'ward-node init' trước.",
            code="not_initialised",
        )
    with open_session(data_dir) as opened:
        yield opened
