"""Pull, the hub's side: the journal entries routed to a node's unit after its cursor, as the
node's release can take them (docs/upgrades.md, "What the hub sends"), sealed to it; the same
batches are what an offline export writes (``transfer.py``)."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sync import Receiver, atomic

from .. import nodes
from ..store import Journal, upgrades
from ..store import held as held_changes
from ..store import nodes as store_nodes
from ..store.sync_history import record_visit
from .apply import release_held
from .context import HubContext, now_ms
from .envelopes import open_request, seal_reply


def pull(ctx: HubContext, body: bytes) -> bytes:
    """Answer a node's pull request with the entries routed to its unit after its cursor.

    Read first, write once (docs/operations.md, "A fleet"): the answer is read and sealed
    outside any write transaction, then what the pull changes (the cursors, what waits for
    the node's upgrade, its status, its visit) commits in ONE transaction before the answer
    leaves. Only a pull that finds held changes due, or a node whose release changed, opens
    one more first (:func:`_prepare`): what it writes decides the answer.
    """
    started = time.perf_counter()
    node, payload = open_request(ctx, body, "pull")
    status = payload.get("status")
    status_recorded = _prepare(ctx, node, status)
    cursor = int(payload.get("cursor", 0))
    limit = min(int(payload.get("limit", ctx.pull_limit)), ctx.pull_limit)
    waits: list[upgrades.Wait] = []
    sealed, count, next_cursor = pull_answer(ctx, node, cursor, limit, waits=waits)
    with atomic(ctx.conn):
        _record_handed(ctx.conn, node.node_id, next_cursor, waits)
        # The node commits a batch with its cursor, so the cursor it asks from is what it
        # holds: an offline export for it starts there (``transfer.py``).
        store_nodes.set_pulled_cursor(ctx.conn, node.node_id, cursor)
        record_visit(
            ctx.conn,
            node,
            body,
            len(sealed),
            "pull",
            count,
            started,
            f"đến vị trí {next_cursor} của nhật ký",
            status=None if status_recorded else status,
        )
    return sealed


def _prepare(ctx: HubContext, node: nodes.Node, status: dict[str, Any] | None) -> bool:
    """Before the answer is read: release the held changes whose time has come (they may be
    routed to this node) and record the node's status when its release changed (the answer
    is judged by the release the node has now: docs/upgrades.md, "What the hub sends").

    Both are read first and written only when due, so an ordinary pull opens no transaction
    here; :func:`release_held` reads the due changes again under the write lock (another hub
    process may have released them meanwhile). Returns whether the status was recorded.
    """
    due = bool(held_changes.due(ctx.conn, now_ms(), ctx.drift_ms))
    new_release = status is not None and (
        "schemas" in status
        or (status.get("schema_fingerprint") or None)
        != upgrades.reported_fingerprint(ctx.conn, node.node_id)
    )
    if not (due or new_release):
        return False
    with atomic(ctx.conn):
        release_held(ctx)
        if new_release:
            nodes.record_status(ctx.conn, node.node_id, status or {})
    return new_release


def pull_answer(
    ctx: HubContext,
    node: nodes.Node,
    cursor: int,
    limit: int,
    *,
    waits: list[upgrades.Wait] | None = None,
) -> tuple[bytes, int, int]:
    """A sealed pull batch for ``node``: entries routed to its unit after ``cursor``, as the
    node's release can take them (docs/upgrades.md, "What the hub sends").

    What the node cannot take is left out and added to ``waits``, for the caller to record
    with the cursor it hands out (:func:`record_handed`, in its transaction); without
    ``waits`` they are recorded here. A node whose schemas the hub does not know is asked
    for them first; a node whose release changed since entries were held for it is told to
    pull again from the first of them. Returns (envelope, entries in it, next cursor).
    """
    # A node never holds more of the journal than the hub has handed it; one that asks from
    # further on was served by a hub since restored from a backup, whose journal numbers
    # those entries anew: it starts again from what this hub knows it sent (docs/sync.md,
    # "Restores"), which it has and applies again harmlessly.
    sent = store_nodes.sent_cursor(ctx.conn, node.node_id)
    reset = None
    if sent is not None and cursor > sent:
        reset = cursor = sent
    journal = Journal(ctx.conn, ctx.hub_id)
    receiver = upgrades.receiver_for(ctx.conn, node.node_id)
    extra: dict[str, Any] = {}
    if receiver is None or receiver.keeps_unknown:
        # Only a node of release 0.2.0 or later reads these (an older one refuses an answer
        # with a key it does not know): what the hub holds of the node's own history, so a
        # node restored from an older copy learns at its first pull that it is behind, and
        # where a hub restored from a backup starts again (docs/sync.md, "Restores").
        extra.update(origin_seq=node.last_seq, origin_hash=node.last_hash)
        if reset is not None:
            extra["cursor_reset"] = reset
        # Where citizens look a dossier up: the ward prints it on receipts and in SMS notices
        # instead of its own intranet address; empty when the hub has no PUBLIC_URL, and the
        # ward then prints no QR code (docs/protocol.md, "What a changeset carries").
        extra["portal_url"] = ctx.public_url
    rewind = None
    if receiver is not None:
        rewind = upgrades.rewind_point(ctx.conn, node.node_id, receiver, cursor)
    if receiver is None or rewind is not None:
        # Nothing else in this answer: the node sends its schemas, or moves its cursor back.
        at = cursor if rewind is None else rewind
        extra.update({"send_schemas": True} if receiver is None else {"rewind_to": rewind})
        remaining = journal.count_routed(node.unit, at)
        return seal_pull_batch(ctx, node, [], at, remaining, extra), 0, at
    found: list[upgrades.Wait] = []
    changes, next_cursor, read = routed_batch(ctx, node, receiver, cursor, limit, found)
    remaining = journal.count_routed(node.unit, next_cursor) if read else 0
    if receiver.keeps_unknown:
        # What waits once this answer's holds are recorded: those of the entries it covers
        # are judged again here, the rest stay as they were.
        kept = upgrades.waiting_count(ctx.conn, node.node_id, outside=(cursor, next_cursor))
        extra["waiting_upgrade"] = kept + len({w.jseq for w in found})
    if waits is None:
        record_handed(ctx.conn, node.node_id, next_cursor, found)
    else:
        waits.extend(found)
    sealed = seal_pull_batch(ctx, node, changes, next_cursor, remaining, extra)
    return sealed, len(changes), next_cursor


def record_handed(
    conn: sqlite3.Connection, node_id: str, cursor: int, waits: list[upgrades.Wait]
) -> None:
    """Note that ``node_id`` was handed the journal up to ``cursor`` (a hub restored from a
    backup tells by it), and what was left out for its upgrade, in one transaction."""
    with atomic(conn):
        _record_handed(conn, node_id, cursor, waits)


def _record_handed(
    conn: sqlite3.Connection, node_id: str, cursor: int, waits: list[upgrades.Wait]
) -> None:
    """:func:`record_handed` in the caller's transaction. Both writes keep what another hub
    process wrote meanwhile: a wait is keyed by (node, position), and the sent cursor only
    moves forward (compared in the statement, under the write lock)."""
    if waits:
        upgrades.record_waits(conn, waits)
    store_nodes.advance_sent_cursor(conn, node_id, cursor)


def routed_batch(
    ctx: HubContext,
    node: nodes.Node,
    receiver: Receiver,
    cursor: int,
    limit: int,
    waits: list[upgrades.Wait],
) -> tuple[list[dict[str, Any]], int, int]:
    """Up to ``limit`` journal entries routed to ``node`` after ``cursor``, as ``receiver``
    (the node's release) can take them; what waits for its upgrade is added to ``waits``
    for the caller to record. Returns (entries, next cursor, entries read)."""
    changes, next_cursor = Journal(ctx.conn, ctx.hub_id).read_routed(node.unit, cursor, limit)
    read = len(changes)
    changes, found = upgrades.screen(ctx.conn, node.node_id, receiver, changes)
    waits.extend(found)
    return changes, next_cursor, read


def seal_pull_batch(
    ctx: HubContext,
    node: nodes.Node,
    changes: list[dict[str, Any]],
    next_cursor: int,
    remaining: int,
    extra: dict[str, Any] | None = None,
) -> bytes:
    """A pull batch of ``changes`` for ``node``, sealed to it, with the hub's clock, what it
    holds of the node's changes and an administrator's request to rotate keys."""
    held, latest = held_changes.held_count(ctx.conn, node.node_id)
    reply: dict[str, Any] = {
        "kind": "pull_batch",
        "changes": changes,
        "next_cursor": next_cursor,
        "more": remaining > 0,
        "remaining": remaining,
        "clock_ms": now_ms(),
        "held": held,
        **(extra or {}),
    }
    if held and latest is not None:
        reply["clock_warning"] = held_changes.clock_warning(latest - now_ms(), held)
    if node.rotate_requested_at:
        reply["rotate_keys"] = (
            True  # an administrator asked for it (central_hub/console/dashboard.py)
        )
    return seal_reply(ctx, reply, node.node_id, node.keys, "pull_batch")
