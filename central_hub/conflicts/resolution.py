"""Resolving conflicts (docs/conflicts.md, "Deciding"): the chosen value is written as an
ordinary new change, which reaches the owning ward with the notice's decision; a ward's own
decision comes back through its push (``notices.after_merge``).

:func:`resolve_many` resolves many conflicts of one kind (record type and field) with one rule,
all in one transaction: either every chosen conflict is resolved, each audited on its own row
(who, when, the note, the version written), or none is and the store is unchanged. An
administrator who ticks twenty conflicts expects the twenty done or a reason, not a half.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from office import check_secret_changes
from sync import Conflict, ValidationError, Write, atomic, get_meta, utcnow_iso, validate_fields

from ..store import HUB_ORIGIN, capture
from ..store.conflicts import HUB_PLACE, base_side, close, get_conflict
from .notices import notice_decision

# How :func:`resolve_many` picks each conflict's value.
RULES = {
    "unit": "giữ giá trị của đơn vị đã chọn",
    "hub": "giữ giá trị do máy chủ trung tâm ghi",
    "latest": "giữ giá trị mới nhất (đang áp dụng)",
    "base": "giữ giá trị gốc (trước khi hai bên cùng sửa)",
}


def resolve(
    conn: sqlite3.Connection, conflict_id: int, value: Any, *, user: str, note: str | None = None
) -> dict[str, Any]:
    """Resolve with ``value``: written as a new hub change (routed to the owning ward) and the
    conflict closed, in one transaction. :class:`Conflict` (409) when already resolved."""
    with atomic(conn):
        _resolve_one(conn, get_conflict(conn, conflict_id), value, user=user, note=note)
    return get_conflict(conn, conflict_id)


def resolve_many(
    conn: sqlite3.Connection,
    conflict_ids: Sequence[int],
    rule: str,
    *,
    user: str,
    note: str | None = None,
    unit: str | None = None,
) -> list[dict[str, Any]]:
    """Resolve several open conflicts of one kind (same record type and field) by one ``rule``
    of :data:`RULES` (``unit`` keeps the side written by ``unit``), in one transaction.

    Each conflict is audited on its own (resolved_by, resolved_at, note, the version written)
    and each resolution is a hub change routed to its owning ward. All or nothing: raises
    :class:`ValidationError` (mixed kinds, an unknown rule, a conflict the rule has no value
    for, a value the schema refuses), :class:`NotFound` or :class:`Conflict` (already resolved)
    and then changes nothing. Returns the resolved conflicts in the order given.
    """
    ids = list(dict.fromkeys(int(i) for i in conflict_ids))
    if not ids:
        raise ValidationError("Hãy chọn ít nhất một xung đột để giải quyết.", field="ids")
    if rule not in RULES:
        raise ValidationError(
            f"Cách giải quyết phải là một trong: {', '.join(RULES)}.", field="rule"
        )
    if rule == "unit" and not unit:
        raise ValidationError("Hãy chọn đơn vị có giá trị cần giữ.", field="unit")
    with atomic(conn):
        found = [get_conflict(conn, i) for i in ids]
        kinds = {(c["record_type"], c["field"]) for c in found}
        if len(kinds) > 1:
            listed = "; ".join(f"{t}.{f}" for t, f in sorted(kinds))
            raise ValidationError(
                "Chỉ giải quyết hàng loạt được các xung đột cùng loại bản ghi và cùng trường "
                f"(đang chọn lẫn: {listed}). Hãy lọc theo loại bản ghi rồi chọn lại.",
                code="mixed_kinds",
                field="ids",
            )
        hub_id = get_meta(conn, "hub_id", HUB_ORIGIN)
        for conflict in found:
            value = _by_rule(conn, conflict, rule, unit, hub_id)
            _resolve_one(conn, conflict, value, user=user, note=note)
    return [get_conflict(conn, i) for i in ids]


def _by_rule(
    conn: sqlite3.Connection, conflict: dict[str, Any], rule: str, unit: str | None, hub_id: str
) -> Any:
    """The value ``rule`` keeps for ``conflict``; :class:`ValidationError` when it has none."""
    if rule == "base":
        base = base_side(conn, conflict)
        if base is None:
            raise ValidationError(
                f"Xung đột số {conflict['id']} không có giá trị gốc (hai bên cùng ghi lần "
                "đầu); hãy giải quyết riêng xung đột này.",
                field="rule",
            )
        return base["value"]
    if rule == "latest":
        return max(conflict["values"], key=lambda v: str(v["version"]))["value"]
    wanted = [
        v
        for v in conflict["values"]
        if (v["unit"] == unit if rule == "unit" else v["origin"] == hub_id)
    ]
    if not wanted:
        who = f"đơn vị {unit}" if rule == "unit" else "máy chủ trung tâm"
        raise ValidationError(
            f"Xung đột số {conflict['id']} không có giá trị nào của {who}; bỏ chọn nó "
            "hoặc chọn cách giải quyết khác.",
            field="rule",
        )
    return max(wanted, key=lambda v: str(v["version"]))["value"]


def _resolve_one(
    conn: sqlite3.Connection, found: dict[str, Any], value: Any, *, user: str, note: str | None
) -> None:
    """Write ``value`` as a hub change, with the notice's decision, and close the conflict
    (the caller holds the transaction)."""
    if found["state"] == "resolved":
        raise Conflict(
            f"Xung đột số {found['id']} đã được giải quyết lúc {found['resolved_at']}.",
            code="already_resolved",
        )
    fields = {found["field"]: value}
    validate_fields(found["record_type"], fields)
    writes = [Write(found["record_type"], found["record_id"], found["unit"], fields)]
    if found["notice"]:
        writes.append(
            notice_decision(
                found["notice"], found["unit"], value, user=user, place=HUB_PLACE, note=note
            )
        )
    change = capture(conn).write_many(writes, actor=user)[0]
    # A secret document's content never enters the store (docs/security.md): not through a
    # value an administrator types either; raising undoes the write with the transaction.
    check_secret_changes(conn, [change])
    close(
        conn,
        found["id"],
        user=user,
        at=utcnow_iso(),
        resolution={"value": value, "version": change.version_key, "place": HUB_PLACE},
        note=note,
    )
