"""A node restored from an older copy of its data folder gets back what it had sent since, and
sends again what it wrote after the restore (docs/sync.md, "Restores").

The hub holds the truth of what each node pushed: the hash of every ``(origin, seq)``. A node
whose log is behind that (a copy from before its last syncs) or differs from it (a copy, then
new writes numbered again from where the copy stopped) learns so at its first contact: the
hub refuses a push whose hashes differ (``history_diverged``) and states the last seq and hash
it holds of the node in every pull and push answer. Recovery then needs no engineer:

1. the node asks the hub for its own changes after what it knows to be shared (``recover``);
2. the common history is the highest seq at which both hold the same hash (the hash chain
   makes everything before it equal too);
3. in one transaction, the node's own changes after that point, made since the restore and
   never acknowledged, are taken out of the log; the hub's changes after it are written into
   the log and merged into the records, so the node has again everything it had sent; then
   the node's own changes are written again after them, numbered after the hub's last seq,
   stamped now (so they win over the older timeline's values, as they are newer) and keeping
   the bases their writer saw (so where both timelines edited a field, the hub opens a
   conflict instead of silently taking one);
4. the app's hook (``after``) renumbers what the node numbered while it did not know (a
   dossier code or a document number the city already holds) and tells the people concerned.

What the node tells the desk and the hub: ``sync.recovery`` in ``meta`` (when, how many
changes came back and were sent again, what was renumbered), shown on the sync page; the hub
logs the ``recover`` requests in the node's sync history.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from .changes import Change, ChangeLog
from .clock import HybridClock
from .errors import ChangesetError
from .replica import Replica
from .store import atomic, get_meta, set_meta


class NodeLink(Protocol):
    """What a recovery uses of the node's sync session (``sync.session.NodeSync``): the
    dependency runs one way, the session calls this module and this module names no session."""

    @property
    def conn(self) -> sqlite3.Connection: ...

    @property
    def log(self) -> ChangeLog: ...

    @property
    def clock(self) -> HybridClock: ...

    @property
    def replica(self) -> Replica: ...

    @property
    def node_id(self) -> str: ...

    def request(self, path: str, body: dict[str, Any], kind: str, answer: str) -> dict[str, Any]:
        """One sealed request of ``kind`` to the hub and its opened answer, of ``answer``."""
        ...


RECOVER_PAGE = 5000


@dataclass
class Recovery:
    """What one recovery did."""

    hub_seq: int
    common_seq: int
    recovered: list[Change] = field(default_factory=list)  # the hub's, this copy lacked
    reissued: list[Change] = field(default_factory=list)  # the node's own since the restore
    renumbered: list[dict[str, Any]] = field(default_factory=list)  # filled by the app's hook

    def summary(self) -> dict[str, Any]:
        """What ``meta`` keeps of it for the sync page and the status."""
        return {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "hub_seq": self.hub_seq,
            "common_seq": self.common_seq,
            "recovered": len(self.recovered),
            "reissued": len(self.reissued),
            "renumbered": self.renumbered[:200],
        }


# The app's part of a recovery, in the recovery's transaction (the node's store and clock):
# renumber what clashes; returns what it renumbered.
AfterRecovery = Callable[[sqlite3.Connection, HybridClock, Recovery], list[dict[str, Any]]]


def behind_or_diverged(log: ChangeLog, origin_seq: int, origin_hash: str | None) -> bool:
    """Whether what the hub holds of this node (its last seq and hash) is not in this
    node's log as it is: the log ends before it, or holds another change at that seq."""
    if origin_seq <= 0:
        return False
    tip_seq, _tip_hash = log.tip()
    if origin_seq > tip_seq:
        return True
    return log.hash_of(origin_seq) not in (origin_hash, None)


def recover(session: NodeLink, after: AfterRecovery | None = None) -> Recovery:
    """Bring the node's log and records in line with what the hub holds of it (see above)."""
    conn = session.conn
    log = session.log
    start = _shared_start(session, min(int(get_meta(conn, "acked_seq", 0)), log.tip()[0]))
    hub_changes, hub_seq, hub_hash = _fetch(session, start)
    held = {c.seq: c.hash for c in hub_changes}
    common = start
    for seq in sorted(held):
        if log.hash_of(seq) == held[seq]:
            common = seq
    if common < start:  # cannot happen: what was acknowledged is shared
        raise ChangesetError("Không tìm được điểm chung với lịch sử ở máy chủ trung tâm.")
    result = Recovery(hub_seq=hub_seq, common_seq=common)
    result.recovered = [c for c in hub_changes if c.seq > common]
    with atomic(conn):
        mine = log.read(common, 10**9)
        conn.execute("DELETE FROM changes WHERE seq > ?", (common,))
        if result.recovered:
            log.append_many(result.recovered)
            session.clock.observe(int(get_meta(conn, "hlc", 0)))
            session.replica.merge(result.recovered)
            session.clock.receive(max(c.hlc for c in result.recovered))
        # The hub may hold changes it keeps no copy of (a secret document's file, left out):
        # the log goes on from the hub's last seq and hash all the same.
        set_meta(conn, "log.base", [hub_seq, hub_hash])
        prev = hub_hash
        seq = hub_seq
        for old in mine:
            seq += 1
            change = Change.linked(
                old.origin,
                seq,
                session.clock.tick(),
                old.type,
                old.id,
                old.unit,
                old.fields,
                old.bases,
                old.actor,
                prev,
            )
            prev = change.hash
            result.reissued.append(change)
        if result.reissued:
            session.replica.merge(result.reissued)
            log.append_many(result.reissued)
        set_meta(conn, "hlc", session.clock.last)
        set_meta(conn, "acked_seq", hub_seq)
        # Files named by the changes sent again go up again (sync/blobsync.py reads from here).
        upload = int(get_meta(conn, "blobs.upload_seq", 0))
        set_meta(conn, "blobs.upload_seq", min(upload, hub_seq))
        if after is not None:
            result.renumbered = after(conn, session.clock, result)
        set_meta(conn, "sync.recovery", result.summary())
    return result


def _shared_start(session: NodeLink, guess: int) -> int:
    """A seq at or before which this log and the hub's hold the same history.

    ``guess`` (what the node believes acknowledged) is checked, not trusted: a node of an
    older release, or one restored from a copy, may believe more than is true. Each step back
    doubles its distance, so a long log is settled in a few requests.
    """
    log = session.log
    step = 1
    candidate = guess
    while candidate > 0:
        if log.hash_of(candidate) is not None:
            found = _fetch_one(session, candidate)
            # Equal at the first seq from here that the hub keeps: equal up to it (the chain).
            # Nothing from here on: the hub's history ends before (a hub restored), go back.
            if found is not None and found.hash == log.hash_of(found.seq):
                return candidate
        candidate = max(0, candidate - step)
        step *= 2
    return 0


def _fetch_one(session: NodeLink, seq: int) -> Change | None:
    """The hub's change of this node at ``seq`` (or the first after it that it keeps)."""
    reply = session.request(
        "/sync/v1/recover",
        {"kind": "recover", "after_seq": seq - 1, "limit": 1},
        "recover",
        "recover_batch",
    )
    changes = [Change.from_wire(c) for c in reply.get("changes", [])]
    return changes[0] if changes else None


def _fetch(session: NodeLink, start: int) -> tuple[list[Change], int, str | None]:
    """The hub's changes of this node after ``start``, page by page; its last seq and hash."""
    out: list[Change] = []
    after = start
    while True:
        reply = session.request(
            "/sync/v1/recover",
            {"kind": "recover", "after_seq": after, "limit": RECOVER_PAGE},
            "recover",
            "recover_batch",
        )
        page = [Change.from_wire(c) for c in reply.get("changes", [])]
        for change in page:
            if change.origin != session.node_id:
                raise ChangesetError("Máy chủ trung tâm gửi thay đổi của nút khác khi khôi phục.")
        out.extend(page)
        hub_seq, hub_hash = int(reply.get("origin_seq", 0)), reply.get("origin_hash")
        if not reply.get("more") or not page:
            return out, hub_seq, hub_hash
        after = page[-1].seq
