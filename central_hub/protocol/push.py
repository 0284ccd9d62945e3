"""Push, the hub's side: verify a node's changeset, apply and journal it, acknowledge it.

A push is applied and journaled in one transaction keyed by ``(origin, seq)``: a replayed
changeset changes nothing, and any refused change refuses the whole changeset, leaving the
store as it was. A change stamped ahead of the hub's clock is held (``store/held.py``); one
stamped too far ahead is refused with the reason.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from office import strip_secret_content
from sync import (
    ChainBroken,
    Change,
    ChangesetError,
    HistoryDiverged,
    atomic,
    gc_paused,
    physical_ms,
    validate_fields,
)

from .. import nodes
from ..store import held as held_changes
from ..store import nodes as store_nodes
from ..store import upgrades
from ..store.journal import origin_hashes
from ..store.sync_history import record_visit
from .apply import apply_changes, release_held
from .context import HubContext, now_ms
from .envelopes import open_request, seal_reply
from .scope import check_scope


def push(ctx: HubContext, body: bytes, *, online: bool = True) -> bytes:
    """Verify, apply and journal a node's changeset; answer with the highest contiguous seq.

    ``online=False`` for a changeset imported from a file: its age says nothing of the node's
    clock, so no clock offset is measured from it.
    """
    # A changeset of thousands of changes makes as many dicts and no reference cycles: the
    # collector scanning them again and again cost a fifth of a push (see sync.gc_paused).
    with gc_paused():
        return _push(ctx, body, online)


def _push(ctx: HubContext, body: bytes, online: bool) -> bytes:
    started = time.perf_counter()
    node, payload = open_request(ctx, body, "push")
    if payload.get("origin") != node.node_id:
        raise ChangesetError("Gói thay đổi ghi nguồn khác với nút gửi.", code="origin_mismatch")
    changes = _unpack_push(node, payload)
    conn = ctx.conn
    with atomic(conn):
        release_held(ctx)
        last_seq, last_hash = store_nodes.chain_tip(conn, node.node_id)
        _check_same_history(conn, node, payload.get("prev"), changes, last_seq)
        fresh: list[Change] = []
        replays = 0
        too_far = now_ms() + ctx.hold_max_ms
        for change in changes:
            if change.seq <= last_seq:
                replays += 1
                continue
            if change.seq != last_seq + 1:
                break  # a gap: acknowledge what is contiguous, the node resends the rest
            if change.prev != last_hash:
                raise ChainBroken(
                    f"Chuỗi băm của nút '{node.node_id}' bị đứt ở thay đổi số {change.seq}: "
                    "lịch sử của nút đã bị sửa. Hãy báo quản trị viên."
                )
            if physical_ms(change.hlc) > too_far:
                if fresh:
                    break  # acknowledge what comes before; the next push is refused with why
                raise _far_ahead(change)
            validate_fields(change.type, change.fields)
            fresh.append(change)
            last_seq, last_hash = change.seq, change.hash
        loaded = check_scope(ctx.conn, node, fresh)
        # A secret document's content (a summary, a result, a file) never enters the hub's
        # store: left out, not refused, since a ward of an older release may hold it in its
        # hash-chained log, which no one can edit (docs/security.md, "Secret documents").
        kept = strip_secret_content(conn, fresh)
        now_part, later = held_changes.split(conn, node.node_id, kept, now_ms(), ctx.drift_ms)
        apply_changes(ctx, now_part, loaded)
        held_changes.hold(conn, later)
        store_nodes.advance_chain(conn, node.node_id, last_seq, last_hash, replays)
        held, latest = held_changes.held_count(conn, node.node_id)
    record_visit(
        ctx.conn,
        node,
        body,
        len(body),
        "push",
        len(fresh),
        started,
        _push_detail(replays, held),
        measure_clock=online,
        # A file's report is as old as the file: only a live request says how the node is now.
        status=payload.get("status") if online else None,
    )
    reply: dict[str, Any] = {
        "kind": "push_ack",
        "acked_seq": last_seq,
        "clock_ms": now_ms(),
        "held": held,
    }
    receiver = upgrades.receiver_for(ctx.conn, node.node_id)
    if receiver is None or receiver.keeps_unknown:  # a node of 0.2.0 or later (see pull_answer)
        reply.update(origin_seq=last_seq, origin_hash=last_hash)
    if node.rotate_requested_at:
        reply["rotate_keys"] = True
    if held and latest is not None:
        reply["clock_warning"] = held_changes.clock_warning(latest - now_ms(), held)
    return seal_reply(ctx, reply, node.node_id, node.keys, "push_ack")


def _check_same_history(
    conn: sqlite3.Connection,
    node: nodes.Node,
    prev: str | None,
    changes: list[Change],
    last_seq: int,
) -> None:
    """Refuse a push whose changes at seqs the hub already holds are not the ones it holds.

    A replayed push states the same hashes; a node restored from an older copy that wrote
    since states others for the same seqs. The hash chain makes one comparison enough: the
    highest seq both sides state (the push's changes, and its ``prev`` for the seq before the
    first). Acknowledging over it would lose what the hub holds (docs/sync.md, "Restores").
    """
    if not changes or changes[0].seq > last_seq + 1:
        return
    stated = {c.seq: c.hash for c in changes if c.seq <= last_seq}
    if changes[0].seq > 1:
        stated[changes[0].seq - 1] = prev
    stated = {seq: h for seq, h in stated.items() if 0 < seq <= last_seq}
    if not stated:
        return
    held = hub_hashes(conn, node.node_id, min(stated), max(stated))
    common = [seq for seq in stated if seq in held]
    if common and stated[max(common)] != held[max(common)]:
        raise HistoryDiverged(
            f"Lịch sử thay đổi của nút '{node.node_id}' khác với lịch sử máy chủ trung tâm đang "
            f"giữ từ thay đổi số {max(common)} (máy phường được khôi phục từ bản sao cũ?). "
            "Nút sẽ tự lấy lại dữ liệu từ máy chủ rồi gửi lại các thay đổi mới.",
        )


def hub_hashes(conn: sqlite3.Connection, origin: str, first: int, last: int) -> dict[int, str]:
    """The hash of each change of ``origin`` with ``first <= seq <= last`` the hub holds,
    applied (journal) or held for a clock ahead."""
    return origin_hashes(conn, origin, first, last)


def _unpack_push(node: nodes.Node, payload: dict[str, Any]) -> list[Change]:
    """Rebuild a push's changes, recomputing the hash chain from its ``prev`` to its ``tip``."""
    running = payload.get("prev")
    changes = []
    for entry in payload.get("changes", []):
        change = Change.linked(
            node.node_id,
            int(entry["seq"]),
            int(entry["hlc"]),
            entry["type"],
            entry["id"],
            entry["unit"],
            entry["fields"],
            entry["bases"],
            entry["actor"],
            running,
        )
        if changes and change.seq != changes[-1].seq + 1:
            raise ChangesetError("Các thay đổi trong gói không liên tiếp.", code="not_contiguous")
        running = change.hash
        changes.append(change)
    if changes and running != payload.get("tip"):
        raise ChainBroken(
            f"Chuỗi băm của nút '{node.node_id}' không khớp ở thay đổi số {changes[-1].seq}: "
            "nội dung đã bị sửa sau khi ghi. Hãy báo quản trị viên."
        )
    return changes


def _push_detail(replays: int, held: int) -> str:
    """A push's line of sync history, in words (what a replay and a hold were)."""
    parts = []
    if replays:
        parts.append(f"{replays} thay đổi đã có (gửi lại, không ghi lần hai)")
    if held:
        parts.append(f"{held} thay đổi giữ chờ vì đồng hồ phường chạy nhanh")
    return "; ".join(parts)


def _far_ahead(change: Change) -> ChangesetError:
    days = (physical_ms(change.hlc) - now_ms()) / 86_400_000
    ahead = f"{days:.0f} ngày" if days >= 1 else f"{days * 24:.0f} giờ"
    return ChangesetError(
        f"Thay đổi số {change.seq} của phường mang giờ đi trước giờ của thành phố khoảng "
        f"{ahead}: đồng hồ máy chủ phường sai. Hãy chỉnh lại ngày giờ trên máy chủ phường và "
        "báo cán bộ tin học của thành phố; các thay đổi vẫn được giữ an toàn ở phường.",
        code="clock_far_ahead",
    )
