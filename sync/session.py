"""A node's side of sync: push its change log, pull what the hub routed to it, keep the status.

One run (:meth:`NodeSync.run`) pushes every pending change in chunks and then pulls until the
hub has nothing more. Each chunk commits on its own, so an interrupted run resumes where it
stopped and redoes at most one chunk (docs/sync.md, "Push and pull"). The node marks changes as sent
only from the hub's signed acknowledgement, and "synced" is reported only from that.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import recovery
from .blobsync import sync_blobs
from .boundary import refused_count, screen_pulled
from .changes import Change, ChangeLog
from .clock import HybridClock
from .envelope import open_envelope, pack_payload, seal, unpack_payload
from .errors import (
    BadSignature,
    ChangesetError,
    HistoryDiverged,
    HubBusy,
    RemoteRefused,
    SyncError,
    TransportError,
)
from .keys import KeyPair, PublicKeys
from .recovery import Recovery, behind_or_diverged
from .replica import Replica, gc_paused
from .schemas import record_schemas, schema_fingerprint, validate, validate_fields
from .store import atomic, get_meta, set_meta
from .transport import HttpTransport

MAX_PAYLOAD = 64 * 1024 * 1024
# What one push carries at most: the hub's defaults (MAX_PUSH_CHANGES, MAX_INFLATED_BYTES)
# leave room above both (docs/security.md, "Resource bounds").
PUSH_MAX_CHANGES = 5000
PUSH_MAX_BYTES = 3840 * 1024  # the hub parses up to 4 MiB on its fast path (sync/envelope.py)
PUSH_MAX_VALUES = 250_000  # the hub takes 60 a change: 300,000 in a push of 5,000


def _values(raw: bytes) -> int:
    """The values of a JSON text, as ``sync.envelope.unpack_payload`` bounds them."""
    return raw.count(b",") + raw.count(b"[") + raw.count(b"{")


def utcnow_iso() -> str:
    """Now, as ISO 8601 UTC with offset."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class HubIdentity:
    """What a node pinned about its hub at enrollment."""

    url: str
    hub_id: str
    keys: PublicKeys


@dataclass
class SyncReport:
    """What one run moved."""

    pushed: int = 0
    pulled: int = 0
    push_requests: int = 0
    pull_requests: int = 0


# What an app keeps of the changes a pull brings (after the engine's own checks): the ward
# leaves out a secret document's content (docs/security.md, "Secret documents").
PulledFilter = Callable[[sqlite3.Connection, list[Change]], list[Change]]


class SyncLockBusy(SyncError):
    """Raised when another process of the same node is already syncing."""

    status = 409
    code = "sync_busy"


@contextmanager
def sync_lock(data_dir: Path, *, wait: float) -> Iterator[None]:
    """Hold the node's sync lock (a file lock shared by ``serve`` and ``sync``)."""
    fd = os.open(data_dir / "sync.lock", os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise SyncLockBusy(
                        "Một tiến trình khác đang đồng bộ; hãy thử lại sau."
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)


class NodeSync:
    """Push and pull for one node, over one store connection."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        node_id: str,
        keys: KeyPair,
        hub: HubIdentity,
        replica: Replica,
        clock: HybridClock,
        transport: HttpTransport | None = None,
        chunk: int = 5000,
        on_progress: Callable[[dict[str, Any]], None] | None = None,
        software: str = "",
        unit: str | None = None,
        after_recovery: recovery.AfterRecovery | None = None,
        pulled_filter: PulledFilter | None = None,
    ) -> None:
        self.conn = conn
        # The node's own unit: what a pulled change from another ward may never write.
        self.unit = unit if unit is not None else str(get_meta(conn, "unit", ""))
        self.node_id = node_id
        self.keys = keys
        self.hub = hub
        self.replica = replica
        self.clock = clock
        self.transport = transport or HttpTransport(hub.url)
        self.chunk = chunk
        self.log = ChangeLog(conn, node_id)
        self.on_progress = on_progress
        self.software = software
        self._reached = True  # whether the hub answered in this run (see run)
        self.after_recovery = after_recovery  # the app's part of a recovery (renumbering)
        # The app's last word on what a pull may store, after the engine's checks.
        self.pulled_filter = pulled_filter

    # -- one run -------------------------------------------------------------------------------

    def run(self) -> SyncReport:
        """Push everything pending, then pull everything routed; record the outcome.

        Raises :class:`TransportError` (hub unreachable; :class:`HubBusy` when it asks to
        come back later, which the status does not count as offline) or another
        :class:`SyncError` (refused); either way the status in ``meta`` says what happened.
        """
        report = SyncReport()
        # Until the hub answers, an attempt changes nothing of what the desk is told: a node
        # offline (or in error) stays so, with its offline_since, while retries fail or hang
        # (docs/sync.md, "A hanging link").
        before = get_meta(self.conn, "sync.state")
        self._reached = before in (None, "synced", "syncing")
        if self._reached:
            self._status(state="syncing", last_attempt_at=utcnow_iso(), progress=0)
        else:
            self._status(last_attempt_at=utcnow_iso())
        try:
            try:
                self._push_pull(report)
            except HistoryDiverged:
                # Restored from an older copy: get back what the hub holds of this node, send
                # again what was written since, then sync as usual (sync/recovery.py).
                self.recover()
                self._push_pull(report)
            # Files after the records naming them (the order is explained in blobsync.py).
            sync_blobs(self, progress=self._progress)
        except HubBusy:
            # The hub answered: it is there, busy, and said when to come back (the worker
            # waits that long): not an outage, nothing for a person to do (docs/operations.md,
            # "Under pressure"). A refusal shown before stays until a run settles it.
            if before == "error":
                self._status(progress=None)
            else:
                self._status(state="syncing", offline_since=None, last_error=None, progress=None)
            raise
        except TransportError as exc:
            since = get_meta(self.conn, "sync.offline_since") or utcnow_iso()
            self._status(
                state="offline" if not isinstance(exc, RemoteRefused) else "error",
                offline_since=since if not isinstance(exc, RemoteRefused) else None,
                last_error={"code": exc.code, "message": exc.message, "at": utcnow_iso()},
                progress=None,
            )
            raise
        except SyncError as exc:
            self._status(
                state="error",
                last_error={"code": exc.code, "message": exc.message, "at": utcnow_iso()},
                progress=None,
            )
            raise
        except BaseException:
            self._status(state="error", progress=None)
            raise
        warning = get_meta(self.conn, "sync.clock_warning")
        if warning:
            # Acknowledged and safe at the hub, but not applied: a person must fix the clock.
            self._status(
                state="error",
                last_success_at=utcnow_iso(),
                offline_since=None,
                last_error={**warning, "at": utcnow_iso()},
                progress=None,
            )
            return report
        self._status(
            state="synced",
            last_success_at=utcnow_iso(),
            offline_since=None,
            last_error=None,
            progress=None,
        )
        return report

    def _push_pull(self, report: SyncReport) -> None:
        """Push, pull, and check what the hub holds of this node's own history."""
        try:
            self.push(report)
        except RemoteRefused as exc:
            if exc.code == HistoryDiverged.code:
                raise HistoryDiverged(exc.message) from exc
            raise
        self.pull(report)
        origin = get_meta(self.conn, "sync.hub_origin")
        if not origin:
            return  # a hub of an older release says nothing of it
        origin_seq, origin_hash = int(origin[0]), origin[1]
        if behind_or_diverged(self.log, origin_seq, origin_hash):
            raise HistoryDiverged(
                "Máy chủ trung tâm giữ những thay đổi của nút mà sổ thay đổi ở đây không có "
                "(máy phường được khôi phục từ bản sao cũ?)."
            )
        if origin_seq < get_meta(self.conn, "acked_seq", 0):
            # The hub lost what it had acknowledged (restored from a backup): send it again.
            with atomic(self.conn):
                set_meta(self.conn, "acked_seq", origin_seq)
            self.push(report)

    def recover(self) -> Recovery:
        """Get back from the hub what this node had sent and lost with a restore, and send
        again what it wrote since (:func:`sync.recovery.recover`)."""
        self._status(progress={"phase": "recover", "done": 0, "total": 0})
        return recovery.recover(self, self.after_recovery)

    def request(self, path: str, body: dict[str, Any], kind: str, answer: str) -> dict[str, Any]:
        """One sealed request of ``kind`` and its opened answer, which must be ``answer``."""
        raw = self.transport.post(path, self._seal(body, kind))
        self._answered()
        reply = self._open(raw)
        if reply.get("kind") != answer:
            raise ChangesetError(f"Máy chủ trung tâm trả lời sai (mong '{answer}').")
        return reply

    # -- push ----------------------------------------------------------------------------------

    def push(self, report: SyncReport) -> None:
        """Send pending changes chunk by chunk until the hub acknowledged all of them.

        While the hub applies one chunk, the next is read and sealed on a helper thread (the
        node's share of a push, about a fifth of its time, then overlaps the hub's): the
        connection is never used by both threads at once, since this thread only waits for
        the answer meanwhile. When the hub acknowledges other than the whole chunk, the
        prepared one is dropped and the next is read from the acknowledged seq.
        """
        total = self.log.count_after(get_meta(self.conn, "acked_seq", 0))
        sent = 0
        acked = get_meta(self.conn, "acked_seq", 0)
        prepared = self._prepare_push(acked)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="push-prepare") as helper:
            while prepared is not None:
                changes, body = prepared
                last_sent = changes[-1].seq
                following = helper.submit(self._prepare_push, last_sent)
                try:
                    raw = self.transport.post("/sync/v1/push", body)
                    self._answered()
                finally:
                    # The helper is done with the connection before this thread uses it
                    # again, whether the request succeeded or not.
                    wait([following])
                report.push_requests += 1
                new_acked = self.accept_ack(raw, changes)
                rewound = get_meta(self.conn, "acked_seq", 0)
                if rewound < acked:
                    # The hub lost what it had acknowledged (restored from a backup): send it
                    # again from where the hub's history ends (docs/sync.md, "Restores").
                    acked = rewound
                    total = self.log.count_after(acked)
                    prepared = self._prepare_push(acked)
                    continue
                if new_acked <= acked:
                    raise ChangesetError(
                        "Máy chủ trung tâm chưa ghi nhận thay đổi nào của gói vừa gửi.",
                        code="not_acknowledged",
                    )
                report.pushed += new_acked - acked
                sent += new_acked - acked
                self._progress("push", sent, total)
                del changes, body, prepared  # at most two chunks in memory
                acked = get_meta(self.conn, "acked_seq", 0)
                prepared = following.result()
                if prepared is None or acked != last_sent:
                    # Acknowledged other than the whole chunk, or nothing was left then:
                    # read again from what the hub holds (changes written meanwhile go too).
                    prepared = self._prepare_push(acked)

    def _prepare_push(self, after_seq: int) -> tuple[list[Change], bytes] | None:
        """The next chunk of the log after ``after_seq`` and its sealed push, or ``None``.

        A chunk holds at most :data:`PUSH_MAX_CHANGES` changes and about
        :data:`PUSH_MAX_BYTES` of fields, whatever ``chunk`` says: the hub refuses bigger
        pushes (docs/security.md, "Resource bounds").
        """
        with gc_paused():  # thousands of dicts, no cycles (see gc_paused)
            changes = self.log.read(after_seq, min(self.chunk, PUSH_MAX_CHANGES))
            size = values = 0
            for i, change in enumerate(changes):
                # Fields and bases as sent, and about 150 bytes and 10 values of seq, hlc,
                # type, id, unit, actor; values counted as the hub counts them.
                fields, bases = change.fields_json, change.bases_json
                size += len(fields) + len(bases) + 150
                values += _values(fields) + _values(bases) + 10
                if (size > PUSH_MAX_BYTES or values > PUSH_MAX_VALUES) and i:
                    del changes[i:]
                    break
            return (changes, self.push_envelope(changes)) if changes else None

    def push_envelope(self, changes: list[Change]) -> bytes:
        """A push changeset of consecutive changes, sealed to the hub.

        Compact on the wire: the origin is named once, and the hash chain travels as the
        ``prev`` of the first change and the ``tip`` of the last; the hub recomputes every
        link between them (``schemas/changeset.json``).
        """
        body = {
            "kind": "push",
            "origin": self.node_id,
            "prev": changes[0].prev,
            "tip": changes[-1].hash,
            "status": self.node_status(),
            "changes": [
                {
                    "seq": c.seq,
                    "hlc": c.hlc,
                    "type": c.type,
                    "id": c.id,
                    "unit": c.unit,
                    "fields": c.fields,
                    "bases": c.bases,
                    "actor": c.actor,
                }
                for c in changes
            ],
        }
        return self._seal(body, "push", seq_from=changes[0].seq, seq_to=changes[-1].seq)

    def accept_ack(self, raw: bytes, changes: list[Change]) -> int:
        """Check the hub's signed acknowledgement of ``changes`` and record it; return it."""
        reply = self._open(raw)
        if reply.get("kind") != "push_ack" or "acked_seq" not in reply:
            raise ChangesetError("Máy chủ trung tâm trả lời sai khi nhận thay đổi.")
        new_acked = int(reply["acked_seq"])
        # The hub may hold more than this request carried: an earlier, longer push (another
        # process with a bigger chunk, a request duplicated on the network) committed before
        # its answer was lost. That is fine while our log has those changes: the hub has them
        # only because we sent them. More than our log holds means the log was reset under it.
        origin_seq, origin_hash = reply.get("origin_seq"), reply.get("origin_hash")
        if new_acked > changes[-1].seq:
            # More than this request carried: taken only for the very changes this log holds.
            # A log restored from an older copy holds others under the same seqs, and taking
            # the hub's word for them would mark them sent while the hub never saw them.
            if origin_seq == new_acked and origin_hash is not None:
                differs = self.log.hash_of(new_acked) != origin_hash
            else:  # a hub of an older release states no hash: the log must at least reach it
                differs = new_acked > self.log.tip()[0]
            if differs:
                raise HistoryDiverged(
                    "Máy chủ trung tâm xác nhận những thay đổi mà sổ thay đổi ở đây không có "
                    "hoặc ghi khác (máy phường được khôi phục từ bản sao cũ?)."
                )
        with atomic(self.conn):
            acked = get_meta(self.conn, "acked_seq", 0)
            if origin_seq is not None:
                set_meta(self.conn, "sync.hub_origin", [origin_seq, origin_hash])
            restored_hub = (
                origin_seq is not None
                and origin_seq < acked
                and self.log.hash_of(int(origin_seq)) == origin_hash
            )
            # The hub's history of this node ends before what it had acknowledged: the hub was
            # restored from a backup, and what it lost is sent again (docs/sync.md, "Restores").
            if restored_hub and origin_seq is not None:
                set_meta(self.conn, "acked_seq", int(origin_seq))
            else:
                set_meta(self.conn, "acked_seq", max(acked, new_acked))
            set_meta(self.conn, "sync.hub_clock_offset_ms", self._offset(reply))
            # The hub holds changes stamped too far ahead and says why; no warning clears it.
            set_meta(self.conn, "sync.clock_warning", reply.get("clock_warning"))
            set_meta(self.conn, "sync.rotate_requested", bool(reply.get("rotate_keys")))
        return new_acked

    # -- pull ----------------------------------------------------------------------------------

    def pull(self, report: SyncReport) -> None:
        """Fetch and apply the hub's entries routed to this node until there are no more.

        The hub may first ask for the node's record schemas (a fingerprint it has not seen:
        they go in the next request) or tell it to pull again from an earlier cursor (this
        release takes what waited for it); both continue the loop (docs/upgrades.md).
        """
        while True:
            cursor = get_meta(self.conn, "pull_cursor", 0)
            sent_schemas = bool(get_meta(self.conn, "sync.send_schemas"))
            raw = self.transport.post("/sync/v1/pull", self.pull_envelope(cursor))
            self._answered()
            report.pull_requests += 1
            applied, more, remaining = self.apply_pull(raw)
            if sent_schemas and get_meta(self.conn, "sync.send_schemas"):
                raise ChangesetError(
                    "Máy chủ trung tâm vẫn hỏi lược đồ bản ghi của nút sau khi đã nhận. "
                    "Hãy báo cán bộ tin học của thành phố.",
                    code="schemas_not_taken",
                )
            report.pulled += applied
            self._progress("pull", report.pulled, report.pulled + remaining)
            if not more:
                return

    def pull_envelope(self, cursor: int) -> bytes:
        """A sealed request for the entries routed to this node after ``cursor``."""
        body = {
            "kind": "pull",
            "cursor": cursor,
            "limit": self.chunk,
            "status": self.node_status(),
        }
        return self._seal(body, "pull")

    def node_status(self) -> dict[str, Any]:
        """What the node tells the hub about itself in each request, for the city console.

        ``pending_changes`` and ``oldest_pending_at`` are what waits to be acknowledged;
        ``schema_version`` is the newest migration applied to the store (wards are upgraded on
        different days, so the city sees which ones are behind); ``software`` is what the app
        passed in; ``schema_fingerprint`` names exactly the record schemas this release
        knows, so the hub sends only what the node can take, and ``schemas`` carries them when
        the hub asked (``schemas/changeset.json``, ``status``; docs/upgrades.md).
        """
        pending, oldest = pending_changes(self.conn)
        status: dict[str, Any] = {
            "pending_changes": pending,
            "oldest_pending_at": oldest,
            "software": self.software[:64],
            "schema_version": schema_version(self.conn)[:64],
            "schema_fingerprint": schema_fingerprint(),
        }
        if get_meta(self.conn, "sync.send_schemas"):
            status["schemas"] = record_schemas()
        return status

    def apply_pull(self, raw: bytes) -> tuple[int, bool, int]:
        """Verify a pull batch and apply it with its new cursor in one transaction.

        Entries at or before the node's cursor are skipped, so a batch applied twice (a
        retried request, an imported file) changes nothing. Returns (applied, more, remaining).
        """
        with gc_paused():  # thousands of dicts, no cycles (see gc_paused)
            return self._apply_pull(raw)

    def _apply_pull(self, raw: bytes) -> tuple[int, bool, int]:
        reply = self._open(raw)
        if reply.get("kind") != "pull_batch":
            raise ChangesetError("Máy chủ trung tâm trả lời sai khi gửi thay đổi.")
        entries = reply.get("changes", [])
        changes = [Change.from_wire(c) for c in entries]
        for change in changes:
            # Fields of a newer release are kept aside (the merge puts them in _extra); the
            # fields this release knows are checked as strictly as ever (docs/upgrades.md).
            validate_fields(change.type, change.fields, keep_unknown=True)
        with atomic(self.conn):
            cursor = get_meta(self.conn, "pull_cursor", 0)
            if reply.get("cursor_reset") is not None:  # a hub restored from a backup
                cursor = min(cursor, int(reply["cursor_reset"]))
                set_meta(self.conn, "pull_cursor", cursor)
            jseqs = [int(e.get("jseq", 0)) for e in entries]
            fresh = [c for c, j in zip(changes, jseqs, strict=True) if j > cursor]
            # The hub checked these when they were pushed; the node checks them again, and
            # merges only what its own unit's records and the hub's reach (sync/boundary.py).
            accepted = screen_pulled(
                self.conn,
                fresh,
                [j for j in jseqs if j > cursor],
                unit=self.unit,
                hub_origin=self.hub.hub_id,
            )
            if self.pulled_filter is not None:  # the app's own rules (a secret document's
                accepted = self.pulled_filter(self.conn, accepted)  # content never stored)
            if accepted:
                self.clock.observe(int(get_meta(self.conn, "hlc", 0)))
                self.replica.merge(accepted)
                self.clock.receive(max(c.hlc for c in accepted))
                set_meta(self.conn, "hlc", self.clock.last)
            if reply.get("rewind_to") is not None:
                # This release takes entries the hub held for the one before: pull again
                # from the first of them (the merge makes the entries between harmless).
                new_cursor = min(cursor, int(reply["rewind_to"]))
            else:
                new_cursor = max(cursor, int(reply.get("next_cursor", cursor)))
            set_meta(self.conn, "pull_cursor", new_cursor)
            if reply.get("origin_seq") is not None:  # what the hub holds of our own history
                set_meta(
                    self.conn, "sync.hub_origin", [reply["origin_seq"], reply.get("origin_hash")]
                )
            if "portal_url" in reply:  # the citizens' portal, for receipts and notices
                set_meta(self.conn, "sync.portal_url", reply["portal_url"] or None)
            set_meta(self.conn, "sync.clock_warning", reply.get("clock_warning"))
            set_meta(self.conn, "sync.rotate_requested", bool(reply.get("rotate_keys")))
            set_meta(self.conn, "sync.send_schemas", bool(reply.get("send_schemas")))
            if "waiting_upgrade" in reply:
                set_meta(self.conn, "sync.waiting_upgrade", int(reply["waiting_upgrade"]))
        return len(fresh), bool(reply.get("more")), int(reply.get("remaining", 0))

    # -- helpers -------------------------------------------------------------------------------

    def _seal(self, body: dict[str, Any], kind: str, **header: Any) -> bytes:
        return seal(
            pack_payload(body),
            sender=self.node_id,
            keys=self.keys,
            recipient=self.hub.hub_id,
            recipient_keys=self.hub.keys,
            kind=kind,
            envelope_id=str(uuid.uuid4()),
            **header,
        )

    def _open(self, raw: bytes) -> dict[str, Any]:
        def hub_keys(h: dict[str, Any]) -> PublicKeys:
            if h["sender"] != self.hub.hub_id:
                raise BadSignature("Trả lời không đến từ máy chủ trung tâm đã ghim khóa.")
            return self.hub.keys

        opened = open_envelope(raw, keys=self.keys, sender_keys=hub_keys)
        reply = unpack_payload(opened.payload, max_size=MAX_PAYLOAD)
        validate("changeset", reply)
        if not isinstance(reply, dict):
            raise ChangesetError("Trả lời của máy chủ trung tâm sai cấu trúc.")
        return reply

    @staticmethod
    def _offset(reply: dict[str, Any]) -> int | None:
        hub_ms = reply.get("clock_ms")
        return None if hub_ms is None else int(hub_ms) - time.time_ns() // 1_000_000

    def _answered(self) -> None:
        """The hub answered: from now on this run is syncing (once per run)."""
        if not getattr(self, "_reached", True):
            self._reached = True
            self._status(state="syncing", offline_since=None, progress=0)

    def _progress(self, phase: str, done: int, total: int) -> None:
        progress = {"phase": phase, "done": done, "total": max(total, done)}
        self._status(progress=progress)
        if self.on_progress:
            self.on_progress(progress)

    def _status(self, **values: Any) -> None:
        with atomic(self.conn):
            for key, value in values.items():
                set_meta(self.conn, f"sync.{key}", value)


def read_status(conn: sqlite3.Connection) -> dict[str, Any]:
    """The node's sync status, as ``GET /api/v1/sync/status`` reports it.

    ``synced`` only when the last run ended with the hub's acknowledgement and nothing is
    pending since; ``offline`` while the hub cannot be reached, with what waits to be sent.
    """
    pending, oldest = pending_changes(conn)
    state = get_meta(conn, "sync.state") or "offline"
    if state == "synced" and pending:
        state = "syncing"
    progress = get_meta(conn, "sync.progress")
    percent = None
    if isinstance(progress, dict) and progress.get("total"):
        percent = round(100 * progress["done"] / progress["total"])
        progress = {**progress, "percent": percent}
    return {
        "state": state,
        "pending_changes": pending,
        "oldest_pending_at": oldest,
        "last_success_at": get_meta(conn, "sync.last_success_at"),
        "last_attempt_at": get_meta(conn, "sync.last_attempt_at"),
        "offline_since": get_meta(conn, "sync.offline_since"),
        "last_error": get_meta(conn, "sync.last_error"),
        "progress": progress,
        "hub_clock_offset_ms": get_meta(conn, "sync.hub_clock_offset_ms"),
        "clock_warning": get_meta(conn, "sync.clock_warning"),
        "refused_changes": refused_count(conn),
        "recovery": get_meta(conn, "sync.recovery"),
        # Entries the hub holds until this node is upgraded (docs/upgrades.md).
        "waiting_upgrade": get_meta(conn, "sync.waiting_upgrade") or 0,
    }


def pending_changes(conn: sqlite3.Connection) -> tuple[int, str | None]:
    """How many logged changes the hub has not acknowledged, and when the oldest was made
    (ISO 8601 UTC, from its hybrid clock; ``None`` when nothing is pending)."""
    acked = get_meta(conn, "acked_seq", 0)
    log = ChangeLog(conn, "")
    pending = log.count_after(acked)
    oldest_hlc = log.hlc_of(acked + 1) if pending else None
    if oldest_hlc is None:
        return pending, None
    oldest = datetime.fromtimestamp((oldest_hlc >> 16) / 1000, UTC)
    return pending, oldest.isoformat(timespec="seconds")


def schema_version(conn: sqlite3.Connection) -> str:
    """The newest migration applied to the store (``sync.store.migrate``); ``""`` for none.

    Migration names start with a zero-padded number, so the greatest name is the newest.
    """
    try:
        row = conn.execute("SELECT max(name) FROM _migrations").fetchone()
    except sqlite3.OperationalError:  # a store never migrated
        return ""
    return str(row[0] or "")
