"""Recover, the hub's side (docs/sync.md, "Restores"): a node restored from an older copy
gets back its own changes as the hub holds them, applied or held."""

from __future__ import annotations

import time

from sync import change_from_row

from ..store.journal import origin_changes
from ..store.sync_history import record_visit
from .context import HubContext, now_ms
from .envelopes import open_request, seal_reply


def recover(ctx: HubContext, body: bytes) -> bytes:
    """A node's own changes after ``after_seq``, as the hub holds them (applied or held), with
    the hub's last seq and hash of that node: what a node restored from an older copy needs
    to get back what it had sent since (docs/sync.md, "Restores")."""
    node, payload = open_request(ctx, body, "recover")
    after = int(payload.get("after_seq", 0))
    limit = min(int(payload.get("limit", ctx.pull_limit)), ctx.pull_limit)
    rows = origin_changes(ctx.conn, node.node_id, after, limit + 1)
    more = len(rows) > limit
    changes = [change_from_row(r, origin=node.node_id).to_wire() for r in rows[:limit]]
    record_visit(
        ctx.conn,
        node,
        body,
        0,
        "recover",
        len(changes),
        time.perf_counter(),
        f"khôi phục: gửi lại {len(changes)} thay đổi sau số {after}",
    )
    reply = {
        "kind": "recover_batch",
        "changes": changes,
        "more": more,
        "origin_seq": node.last_seq,
        "origin_hash": node.last_hash,
        "clock_ms": now_ms(),
    }
    return seal_reply(ctx, reply, node.node_id, node.keys, "recover_batch")
