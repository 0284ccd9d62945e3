"""The hub's side of the node protocol: enroll, push (verify, apply, journal, acknowledge), pull.

Every request and answer is an envelope (``sync.seal``); these functions take and return bytes
and know nothing of HTTP. A push is applied and journaled in one transaction keyed by
``(origin, seq)``: a replayed changeset changes nothing, and any refused change refuses the
whole changeset, leaving the store as it was.
"""

from __future__ import annotations

import base64
import binascii
import sqlite3
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from office import strip_secret_content
from sync import (
    BadSignature,
    ChainBroken,
    Change,
    ChangesetError,
    Conflict,
    HistoryDiverged,
    HybridClock,
    KeyPair,
    OutOfScope,
    PayloadTooLarge,
    PublicKeys,
    Receiver,
    Replica,
    TamperedEnvelope,
    ValidationError,
    atomic,
    gc_paused,
    get_meta,
    loads,
    loads_bounded,
    open_envelope,
    pack_payload,
    physical_ms,
    rotation_proof,
    seal,
    set_meta,
    unpack_payload,
    validate,
    validate_fields,
    wall_ms,
)

from . import nodes
from .conflicts.notices import after_merge
from .journal import Journal
from .nodes import held as hold
from .nodes import upgrades
from .nodes.sync_history import record_visit
from .scope import check_scope


@dataclass
class HubContext:
    """What the protocol handlers need: the store, the hub's keys and clock, the limits."""

    conn: sqlite3.Connection
    keys: KeyPair
    hub_id: str
    clock: HybridClock
    max_inflated: int
    pull_limit: int
    drift_ms: int = 300_000
    hold_max_ms: int = 86_400_000
    max_push_changes: int = 5000
    # The node whose signature verified on this request, once known: a refusal is recorded
    # under a unit only when the unit really sent it (docs/security.md, "Resource bounds").
    sender: nodes.Node | None = None

    @classmethod
    def from_settings(
        cls,
        conn: sqlite3.Connection,
        keys: KeyPair,
        hub_id: str,
        clock: HybridClock,
        settings: Mapping[str, Any],
    ) -> HubContext:
        """The context of a request (or a CLI run) under the hub's settings."""
        return cls(
            conn=conn,
            keys=keys,
            hub_id=hub_id,
            clock=clock,
            max_inflated=int(settings["MAX_INFLATED_BYTES"]),
            pull_limit=int(settings["PULL_LIMIT"]),
            drift_ms=int(settings["DRIFT_SECONDS"]) * 1000,
            hold_max_ms=int(settings["HOLD_MAX_SECONDS"]) * 1000,
            max_push_changes=int(settings["MAX_PUSH_CHANGES"]),
        )


def hello(ctx: HubContext, name: str) -> dict[str, Any]:
    """The hub's public identity: what a node pins at enrollment."""
    return {
        "hub_id": ctx.hub_id,
        "name": name,
        "keys": ctx.keys.public.to_json(),
        "fingerprint": ctx.keys.public.fingerprint,
        "time_ms": wall_ms(),
    }


def enroll(ctx: HubContext, body: bytes, software: str = "") -> bytes:
    """Register a node from a one-time token; answer sealed to the node's new keys.

    The request is ``{"keys": {...}, "envelope": base64}``: the envelope is signed with the
    node's new key and sealed to the hub, so only the hub reads the token's secret and a man
    in the middle can neither learn it nor swap in his own keys.
    """
    try:
        request = loads_bounded(body)
        node_keys = PublicKeys.from_json(request["keys"])
        envelope = base64.b64decode(request["envelope"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise ValidationError("Yêu cầu đăng ký sai cấu trúc.", field="body") from exc
    opened = open_envelope(envelope, keys=ctx.keys, sender_keys=lambda _h: node_keys)
    payload = unpack_payload(opened.payload, max_size=64 * 1024)
    validate("changeset", payload)
    info = payload.get("info") or {}
    if payload["kind"] != "enroll" or not isinstance(info.get("secret"), str):
        raise ValidationError("Yêu cầu đăng ký thiếu mã bí mật.", field="info.secret")
    node = nodes.redeem(
        ctx.conn,
        unit=str(info.get("unit")),
        secret=info["secret"],
        keys=node_keys,
        software=str(info.get("software", software))[:64],
    )
    unit_row = ctx.conn.execute("SELECT name FROM unit WHERE code = ?", (node.unit,)).fetchone()
    reply = {
        "kind": "enrolled",
        "info": {
            "node_id": node.node_id,
            "unit": node.unit,
            "unit_name": unit_row[0] if unit_row else node.unit,
            "hub_id": ctx.hub_id,
        },
        "clock_ms": wall_ms(),
    }
    return _seal(ctx, reply, node.node_id, node_keys, "enrolled")


def rotate(ctx: HubContext, body: bytes) -> bytes:
    """Switch a node to new keys. The request is signed with its current key (or, when a
    retry finds the switch already made, with the new one) and carries a signature by the new
    key over its id and the old fingerprint; the answer is sealed to the new keys."""
    node, payload = _open(ctx, body, "rotate")
    info = payload.get("info") or {}
    new = PublicKeys.from_json(info.get("keys") or {})
    if new.fingerprint != node.keys.fingerprint:
        from cryptography.exceptions import InvalidSignature

        try:
            proof = base64.b64decode(str(info.get("proof", "")), validate=True)
            new.verifier().verify(proof, rotation_proof(node.node_id, node.keys.fingerprint))
        except (InvalidSignature, ValueError, binascii.Error) as exc:
            raise BadSignature("Bằng chứng giữ khóa mới không hợp lệ.") from exc
        nodes.replace_keys(ctx.conn, node.node_id, new)
    reply = {"kind": "rotated", "info": {"node_id": node.node_id, "fingerprint": new.fingerprint}}
    return _seal(ctx, reply, node.node_id, new, "rotated")


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
    node, payload = _open(ctx, body, "push")
    if payload.get("origin") != node.node_id:
        raise ChangesetError("Gói thay đổi ghi nguồn khác với nút gửi.", code="origin_mismatch")
    changes = _unpack_push(node, payload)
    conn = ctx.conn
    with atomic(conn):
        release_held(ctx)
        row = conn.execute(
            "SELECT last_seq, last_hash FROM nodes WHERE node_id = ?", (node.node_id,)
        ).fetchone()
        last_seq, last_hash = row[0], row[1]
        _check_same_history(conn, node, payload.get("prev"), changes, last_seq)
        fresh: list[Change] = []
        replays = 0
        too_far = wall_ms() + ctx.hold_max_ms
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
        now_part, later = hold.split(conn, node.node_id, kept, wall_ms(), ctx.drift_ms)
        _apply(ctx, now_part, loaded)
        hold.hold(conn, later)
        conn.execute(
            "UPDATE nodes SET last_seq = ?, last_hash = ?, replays = replays + ? WHERE node_id = ?",
            (last_seq, last_hash, replays, node.node_id),
        )
        held, latest = hold.held_count(conn, node.node_id)
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
        "clock_ms": wall_ms(),
        "held": held,
    }
    receiver = upgrades.receiver_for(ctx.conn, node.node_id)
    if receiver is None or receiver.keeps_unknown:  # a node of 0.2.0 or later (see pull_answer)
        reply.update(origin_seq=last_seq, origin_hash=last_hash)
    if node.rotate_requested_at:
        reply["rotate_keys"] = True
    if held and latest is not None:
        reply["clock_warning"] = _clock_warning(latest - wall_ms(), held)
    return _seal(ctx, reply, node.node_id, node.keys, "push_ack")


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
    rows = conn.execute(
        "SELECT seq, hash FROM journal WHERE origin = ? AND seq BETWEEN ? AND ? "
        "UNION ALL SELECT seq, hash FROM held WHERE origin = ? AND seq BETWEEN ? AND ?",
        (origin, first, last, origin, first, last),
    ).fetchall()
    return {int(r[0]): r[1] for r in rows if r[1]}


def recover(ctx: HubContext, body: bytes) -> bytes:
    """A node's own changes after ``after_seq``, as the hub holds them (applied or held), with
    the hub's last seq and hash of that node: what a node restored from an older copy needs
    to get back what it had sent since (docs/sync.md, "Restores")."""
    node, payload = _open(ctx, body, "recover")
    after = int(payload.get("after_seq", 0))
    limit = min(int(payload.get("limit", ctx.pull_limit)), ctx.pull_limit)
    columns = "seq, hlc, type, id, unit, fields, bases, actor, prev, hash"
    rows = ctx.conn.execute(
        f"SELECT {columns} FROM ("
        f"  SELECT {columns} FROM journal WHERE origin = ? AND seq > ?"
        f"  UNION ALL SELECT {columns} FROM held WHERE origin = ? AND seq > ?"
        ") ORDER BY seq LIMIT ?",
        (node.node_id, after, node.node_id, after, limit + 1),
    ).fetchall()
    more = len(rows) > limit
    changes = [
        {
            "origin": node.node_id,
            "seq": r[0],
            "hlc": r[1],
            "type": r[2],
            "id": r[3],
            "unit": r[4],
            "fields": loads(r[5]),
            "bases": loads(r[6]),
            "actor": r[7],
            "prev": r[8],
            "hash": r[9],
        }
        for r in rows[:limit]
    ]
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
        "clock_ms": wall_ms(),
    }
    return _seal(ctx, reply, node.node_id, node.keys, "recover_batch")


def _apply(
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
    ready = hold.due(ctx.conn, wall_ms(), ctx.drift_ms)
    by_origin: dict[str, list[Change]] = {}
    for change in ready:
        by_origin.setdefault(change.origin, []).append(change)
    applied = 0
    for origin, changes in by_origin.items():
        node = nodes.find_node(ctx.conn, origin)
        if node is None or node.status != "active":
            hold.quarantine(ctx.conn, [origin], "Nút không còn hoạt động khi thay đổi đến giờ.")
            continue
        try:
            with atomic(ctx.conn):
                loaded = check_scope(ctx.conn, node, changes)
        except (OutOfScope, Conflict) as exc:
            hold.quarantine(ctx.conn, [origin], exc.message)
            continue
        _apply(ctx, changes, loaded)
        hold.forget(ctx.conn, changes)
        applied += len(changes)
    return applied


def _push_detail(replays: int, held: int) -> str:
    """A push's line of sync history, in words (what a replay and a hold were)."""
    parts = []
    if replays:
        parts.append(f"{replays} thay đổi đã có (gửi lại, không ghi lần hai)")
    if held:
        parts.append(f"{held} thay đổi giữ chờ vì đồng hồ phường chạy nhanh")
    return "; ".join(parts)


def _far_ahead(change: Change) -> ChangesetError:
    days = (physical_ms(change.hlc) - wall_ms()) / 86_400_000
    ahead = f"{days:.0f} ngày" if days >= 1 else f"{days * 24:.0f} giờ"
    return ChangesetError(
        f"Thay đổi số {change.seq} của phường mang giờ đi trước giờ của thành phố khoảng "
        f"{ahead}: đồng hồ máy chủ phường sai. Hãy chỉnh lại ngày giờ trên máy chủ phường và "
        "báo cán bộ tin học của thành phố; các thay đổi vẫn được giữ an toàn ở phường.",
        code="clock_far_ahead",
    )


def _clock_warning(ahead_ms: int, held: int) -> dict[str, Any]:
    minutes = max(1, round(ahead_ms / 60_000))
    return {
        "code": "clock_ahead",
        "ahead_s": round(ahead_ms / 1000),
        "held": held,
        "message": (
            f"Đồng hồ máy tính của phường đang chạy nhanh hơn giờ của thành phố khoảng {minutes} "
            "phút. Hãy chỉnh lại giờ trên máy chủ phường hoặc báo cán bộ tin học. "
            f"{held} thay đổi đã được thành phố lưu an toàn và sẽ được áp dụng khi đến giờ."
        ),
    }


def pull(ctx: HubContext, body: bytes) -> bytes:
    """Answer a node's pull request with the entries routed to its unit after its cursor."""
    started = time.perf_counter()
    node, payload = _open(ctx, body, "pull")
    status = payload.get("status")
    with atomic(ctx.conn):
        release_held(ctx)
        if status is not None:
            # Before the answer is made: it is judged by the release the node has now
            # (docs/upgrades.md, "What the hub sends").
            nodes.record_status(ctx.conn, node.node_id, status)
    cursor = int(payload.get("cursor", 0))
    limit = min(int(payload.get("limit", ctx.pull_limit)), ctx.pull_limit)
    sealed, count, next_cursor = pull_answer(ctx, node, cursor, limit)
    with atomic(ctx.conn):
        # The node commits a batch with its cursor, so the cursor it asks from is what it
        # holds: an offline export for it starts there (central_hub/transfer.py).
        ctx.conn.execute(
            "UPDATE nodes SET pulled_cursor = ? WHERE node_id = ?", (cursor, node.node_id)
        )
    record_visit(
        ctx.conn,
        node,
        body,
        len(sealed),
        "pull",
        count,
        started,
        f"đến vị trí {next_cursor} của nhật ký",
    )
    return sealed


def pull_answer(
    ctx: HubContext, node: nodes.Node, cursor: int, limit: int
) -> tuple[bytes, int, int]:
    """A sealed pull batch for ``node``: entries routed to its unit after ``cursor``, as the
    node's release can take them (docs/upgrades.md, "What the hub sends").

    What the node cannot take is left out and recorded as waiting for its upgrade. A node
    whose schemas the hub does not know is asked for them first; a node whose release
    changed since entries were held for it is told to pull again from the first of them.
    Returns (envelope, entries in it, next cursor).
    """
    # A node never holds more of the journal than the hub has handed it; one that asks from
    # further on was served by a hub since restored from a backup, whose journal numbers
    # those entries anew: it starts again from what this hub knows it sent (docs/sync.md,
    # "Restores"), which it has and applies again harmlessly.
    sent = ctx.conn.execute(
        "SELECT sent_cursor FROM nodes WHERE node_id = ?", (node.node_id,)
    ).fetchone()
    reset = None
    if sent is not None and sent[0] is not None and cursor > sent[0]:
        reset = cursor = int(sent[0])
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
    rewind = None
    if receiver is not None:
        rewind = upgrades.rewind_point(ctx.conn, node.node_id, receiver, cursor)
    if receiver is None or rewind is not None:
        # Nothing else in this answer: the node sends its schemas, or moves its cursor back.
        at = cursor if rewind is None else rewind
        extra.update({"send_schemas": True} if receiver is None else {"rewind_to": rewind})
        remaining = journal.count_routed(node.unit, at)
        return seal_pull_batch(ctx, node, [], at, remaining, extra), 0, at
    waits: list[upgrades.Wait] = []
    changes, next_cursor, read = routed_batch(ctx, node, receiver, cursor, limit, waits)
    record_handed(ctx.conn, node.node_id, next_cursor, waits)
    remaining = journal.count_routed(node.unit, next_cursor) if read else 0
    if receiver.keeps_unknown:
        extra["waiting_upgrade"] = upgrades.waiting_count(ctx.conn, node.node_id)
    sealed = seal_pull_batch(ctx, node, changes, next_cursor, remaining, extra)
    return sealed, len(changes), next_cursor


def record_handed(
    conn: sqlite3.Connection, node_id: str, cursor: int, waits: list[upgrades.Wait]
) -> None:
    """Note that ``node_id`` was handed the journal up to ``cursor`` (a hub restored from a
    backup tells by it), and what was left out for its upgrade."""
    with atomic(conn):
        if waits:
            upgrades.record_waits(conn, waits)
        conn.execute(
            "UPDATE nodes SET sent_cursor = max(coalesce(sent_cursor, 0), ?) WHERE node_id = ?",
            (cursor, node_id),
        )


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
    held, latest = hold.held_count(ctx.conn, node.node_id)
    reply: dict[str, Any] = {
        "kind": "pull_batch",
        "changes": changes,
        "next_cursor": next_cursor,
        "more": remaining > 0,
        "remaining": remaining,
        "clock_ms": wall_ms(),
        "held": held,
        **(extra or {}),
    }
    if held and latest is not None:
        reply["clock_warning"] = _clock_warning(latest - wall_ms(), held)
    if node.rotate_requested_at:
        reply["rotate_keys"] = True  # an administrator asked for it (central_hub/console.py)
    return _seal(ctx, reply, node.node_id, node.keys, "pull_batch")


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


# -- helpers ---------------------------------------------------------------------------------


def open_from_node(ctx: HubContext, body: bytes, kind: str) -> tuple[nodes.Node, bytes]:
    """Open an envelope of ``kind`` sent by an active node; return the node and the payload
    (unknown, revoked or mismatched senders, another kind, any tampering: refused)."""
    holder: dict[str, nodes.Node] = {}
    ctx.sender = None

    def sender(header: dict[str, Any]) -> PublicKeys:
        node = nodes.active_node(ctx.conn, header)
        holder["node"] = node
        return node.keys

    opened = open_envelope(body, keys=ctx.keys, sender_keys=sender)
    ctx.sender = holder["node"]  # its signature verified: refusals from here are its own
    if opened.header["kind"] != kind:
        raise TamperedEnvelope(f"Phong bì loại '{opened.header['kind']}' gửi nhầm chỗ '{kind}'.")
    return holder["node"], opened.payload


def _open(ctx: HubContext, body: bytes, kind: str) -> tuple[nodes.Node, dict[str, Any]]:
    node, raw = open_from_node(ctx, body, kind)
    # An honest change is about 40 values (fields, bases, an applicant); a ward sends at most
    # 250,000 in a push (sync/session.py). Each costs Python 50 to 90 bytes once parsed.
    payload = unpack_payload(raw, max_size=ctx.max_inflated, max_values=ctx.max_push_changes * 60)
    changes = payload.get("changes") if isinstance(payload, dict) else None
    if isinstance(changes, list) and len(changes) > ctx.max_push_changes:
        raise PayloadTooLarge(
            f"Gói có {len(changes)} thay đổi, nhiều hơn {ctx.max_push_changes} thay đổi máy chủ "
            "trung tâm nhận trong một lần gửi.",
            code="too_many_changes",
        )
    validate("changeset", payload)
    if payload["kind"] != kind:
        raise ChangesetError(f"Gói thay đổi loại '{payload['kind']}' gửi nhầm chỗ '{kind}'.")
    return node, payload


def _seal(ctx: HubContext, reply: dict[str, Any], to: str, keys: PublicKeys, kind: str) -> bytes:
    return seal(
        pack_payload(reply),
        sender=ctx.hub_id,
        keys=ctx.keys,
        recipient=to,
        recipient_keys=keys,
        kind=kind,
        envelope_id=str(uuid.uuid4()),
    )
