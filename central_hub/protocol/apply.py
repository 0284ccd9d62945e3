"""Applying a node's changes at the hub: merged into the records, journaled and routed, the
hub's clock advanced past them, the conflicts they open recorded, all in the caller's
transaction; and the held changes whose time has come (``store/held.py``)."""

from __future__ import annotations

from typing import Any

from sync import Change, Conflict, OutOfScope, Replica, atomic, get_meta, set_meta

from .. import nodes
from ..conflicts import after_merge
from ..store import Journal
from ..store import held as held_changes
from .context import HubContext, now_ms
from .scope import check_scope


def apply_changes(
    ctx: HubContext, changes: list[Change], loaded: dict[str, dict[str, Any]] | None = None
) -> None:
    """Merge, record concurrent edits, journal and route, advance the clock (in the caller's
    transaction). ``loaded``: the records of these changes as read in this transaction."""
    if not changes:
        return
    result = Replica(ctx.conn).merge(changes, loaded=loaded)
    Journal(ctx.conn, ctx.hub_id).append_many(changes)
    ctx.clock.observe(int(get_meta(ctx.conn, "hlc", 0)))
    ctx.clock.receive(max(c.hlc for c in changes))
    set_meta(ctx.conn, "hlc", ctx.clock.last)
    # After the clock saw these changes: the conflicts they open and their notices (hub
    # writes) come after them in the journal and in time (docs/conflicts.md).
    after_merge(ctx.conn, changes, result.clashes)


def release_held(ctx: HubContext) -> int:
    """Apply held changes whose time has come; return how many (in the caller's transaction).

    Each origin's changes are applied only as its node may write them now: a node revoked
    since, or a change its scope no longer allows, sets that origin's held changes aside
    (quarantined, with the reason) instead (docs/security.md, "Held changes and revocation").
    """
    ready = held_changes.due(ctx.conn, now_ms(), ctx.drift_ms)
    by_origin: dict[str, list[Change]] = {}
    for change in ready:
        by_origin.setdefault(change.origin, []).append(change)
    applied = 0
    for origin, changes in by_origin.items():
        node = nodes.find_node(ctx.conn, origin)
        if node is None or node.status != "active":
            held_changes.quarantine(
                ctx.conn, [origin], "Nút không còn hoạt động khi thay đổi đến giờ."
            )
            continue
        try:
            with atomic(ctx.conn):
                loaded = check_scope(ctx.conn, node, changes)
        except (OutOfScope, Conflict) as exc:
            held_changes.quarantine(ctx.conn, [origin], exc.message)
            continue
        apply_changes(ctx, changes, loaded)
        held_changes.forget(ctx.conn, changes)
        applied += len(changes)
    return applied
