"""Conflicts open on this ward's records, as the hub's notices tell them (``schemas/conflict.json``,
docs/conflicts.md), and deciding one from the record's page.

The hub detects a concurrent edit of a field a person typed or chose (the city and the ward,
each before seeing the other's value), applies the deterministic winner everywhere and sends
the ward a notice with both values. Until someone decides, the record's page says "Đang có xung
đột" and shows both. A leader or an administrator of the ward decides (``conflict.resolve``):
keep one value or type another. The decision is an ordinary change of the record's field,
written with the notice's decision fields in one transaction; the hub, applying it, closes the
conflict in its inbox as decided here (by whom, where, when).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from office import check_secret_changes, fieldvalues, vn_datetime
from sync import (
    Conflict,
    HybridClock,
    NotFound,
    ValidationError,
    Write,
    atomic,
    clean_text,
    get_meta,
    select_records,
    utcnow_iso,
    validate_fields,
)
from webapp import User, get_user

from ..permissions import check
from ..store import capture

HUB_PLACE = "hub"


def open_on(conn: sqlite3.Connection, records: Iterable[tuple[str, Any]]) -> list[dict[str, Any]]:
    """The conflicts open on ``records`` (``(type, record)`` pairs as the page shows them;
    a ``None`` record is skipped), oldest first, each ready for the page: the field's title,
    both values in words with who wrote each, where and when, which one the record holds."""
    found = []
    for type_name, record in records:
        if not record:
            continue
        notices = select_records(
            conn,
            "conflict",
            "WHERE record_type = ? AND record_id = ? AND state = 'open' ORDER BY number",
            (type_name, record["id"]),
        )
        found += [_dressed(conn, n, record) for n in notices]
    return found


# Where each record type is shown at the ward: the page's path from the record.
_PAGES = {
    "dossier": lambda r: f"/dossiers/{r['id']}",
    "document": lambda r: f"/van-ban/{r['id']}",
    "document_receipt": lambda r: f"/van-ban/{r['document_id']}",
    "directive": lambda r: f"/directives/{r['id']}",
    "directive_report": lambda r: f"/directives/{r['directive_id']}",
}
_SUMMARY_FIELDS = ("code", "symbol", "subject", "title", "summary", "name")


def all_open(conn: sqlite3.Connection, may_see: Any) -> list[dict[str, Any]]:
    """Every conflict open on this ward's records, oldest first, as :func:`open_on` dresses
    them, with the record's page (``page``, when it has one) and a line that says which
    record it is; ``may_see(type, record)`` leaves out what the user may not read."""
    found = []
    for notice in select_records(conn, "conflict", "WHERE state = 'open' ORDER BY number"):
        t = notice["record_type"]
        records = select_records(conn, t, "WHERE id = ?", (notice["record_id"],))
        record = records[0] if records else {"id": notice["record_id"]}
        if not may_see(t, record):
            continue
        item = _dressed(conn, notice, record)
        page = _PAGES.get(t)
        item["page"] = page(record) if page and records else None
        parts = [str(record[k]) for k in _SUMMARY_FIELDS if record.get(k)][:2]
        applicant = record.get("applicant")
        if isinstance(applicant, dict) and applicant.get("full_name"):
            parts.append(str(applicant["full_name"]))
        item["record_line"] = " · ".join(parts) or str(notice["record_id"])
        found.append(item)
    return found


def open_count(conn: sqlite3.Connection) -> int:
    """How many conflicts are open on this ward's records (0 in a store not migrated yet)."""
    try:
        row = conn.execute("SELECT count(*) FROM conflict WHERE state = 'open'").fetchone()
    except sqlite3.OperationalError:
        return 0
    return int(row[0])


def fields_in_conflict(items: list[dict[str, Any]]) -> set[str]:
    """The fields (``type.field``) with an open conflict, for the page to mark them."""
    return {f"{c['record_type']}.{c['field']}" for c in items}


def _dressed(
    conn: sqlite3.Connection, notice: dict[str, Any], record: dict[str, Any]
) -> dict[str, Any]:
    t, f = notice["record_type"], notice["field"]
    current = record.get(f)
    values = [side["value"] for side in notice["sides"]]
    differs = fieldvalues.differing_parts(t, f, values)
    sides = []
    for i, side in enumerate(notice["sides"]):
        sides.append(
            {
                "index": i,
                "words": fieldvalues.words(t, f, side["value"]),
                "parts": _parts(t, f, side["value"], differs),
                "who": _who(conn, side),
                "where": _where(conn, side.get("place")),
                "when": vn_datetime(side.get("at")),
                "applied": side["value"] == current,
            }
        )
    kind = fieldvalues.input_kind(t, f)
    return {
        **notice,
        "type_title": fieldvalues.type_title(t),
        "field_title": fieldvalues.field_title(t, f),
        "key": f"{t}.{f}",
        "sides_shown": sides,
        "current_words": fieldvalues.words(t, f, current),
        "current_is_a_side": any(v == current for v in values),
        "kind": kind,
        "choices": fieldvalues.choices(t, f),
        # An object (an applicant) is typed part by part: the parts the sides disagree on,
        # starting from what the record holds.
        "other_parts": [
            (key, title, _part_text(t, f, key, current))
            for key, title in fieldvalues.parts(t, f)
            if key in differs
        ]
        if kind == "object"
        else [],
        "other_text": current if isinstance(current, str) and kind == "text" else "",
    }


def _part_text(t: str, f: str, key: str, current: Any) -> str:
    """A part of the record's object as a person would type it again ("" when empty)."""
    value = current.get(key) if isinstance(current, dict) else None
    return "" if value in (None, "") else fieldvalues.part_words(t, f, key, value)


def _parts(t: str, f: str, value: Any, differs: set[str]) -> list[tuple[str, str, bool]]:
    """An object value part by part: (title, words, whether the sides differ on it)."""
    if not isinstance(value, dict):
        return []
    titles = dict(fieldvalues.parts(t, f))
    return [
        (titles.get(k, k), fieldvalues.part_words(t, f, k, v), k in differs)
        for k, v in value.items()
        if v not in (None, "") or k in differs
    ]


def _who(conn: sqlite3.Connection, side: Mapping[str, Any]) -> str:
    username = side.get("user") or "?"
    if side.get("place") not in (None, HUB_PLACE) and side.get("place") == get_meta(conn, "unit"):
        person = get_user(conn, username)
        if person is not None and person.full_name:
            return f"{person.full_name} ({username})"
    return str(username)


def _where(conn: sqlite3.Connection, place: str | None) -> str:
    if place in (None, HUB_PLACE):
        return "Máy chủ trung tâm thành phố"
    row = conn.execute("SELECT name FROM unit WHERE code = ?", (place,)).fetchone()
    return f"{row[0]} ({place})" if row else str(place)


def decide(
    conn: sqlite3.Connection,
    clock: HybridClock,
    notice_id: str,
    form: Mapping[str, str],
    user: User,
) -> dict[str, Any]:
    """Decide an open conflict of this ward's record: ``form["choice"]`` is the index of the
    value kept, or ``"other"`` with the value typed in ``form["other"]`` (an object's parts
    in ``other.<part>``); ``form["note"]`` optional. Writes the value to the record's field and
    the decision to the notice in one transaction; returns the notice as decided.

    Raises :class:`Forbidden` (403) unless the user leads or administers the ward,
    :class:`NotFound`, :class:`Conflict` (409) when already decided, :class:`ValidationError`
    (422) for a value the field cannot hold, :class:`SecretContent` for a secret document's
    content."""
    check(user, "conflict.resolve")
    unit = get_meta(conn, "unit")
    with atomic(conn):
        found = select_records(conn, "conflict", "WHERE id = ?", (notice_id,))
        if not found or found[0]["unit"] != unit:
            raise NotFound("Không có xung đột này.")
        notice = found[0]
        if notice["state"] != "open":
            raise Conflict(
                f"Xung đột này đã được giải quyết bởi {notice.get('resolved_by') or '?'} lúc "
                f"{vn_datetime(notice.get('resolved_at'))}.",
                code="already_resolved",
            )
        t, f = notice["record_type"], notice["field"]
        records = select_records(conn, t, "WHERE id = ?", (notice["record_id"],))
        if not records:
            raise NotFound("Không có bản ghi của xung đột này.")
        value = _chosen(notice, records[0], form)
        validate_fields(t, {f: value})
        writes = [
            Write(t, notice["record_id"], unit, {f: value}),
            Write(
                "conflict",
                notice_id,
                unit,
                {
                    "state": "resolved",
                    "resolution": value,
                    "resolved_by": user.username,
                    "resolved_place": unit,
                    "resolved_at": utcnow_iso(),
                    "note": clean_text(form.get("note", ""))[:2000] or None,
                },
            ),
        ]
        changes = capture(conn, clock).write_many(writes, actor=user.username)
        # A secret document's content never enters the store (docs/security.md).
        check_secret_changes(conn, changes)
    return select_records(conn, "conflict", "WHERE id = ?", (notice_id,))[0]


def _chosen(notice: dict[str, Any], record: dict[str, Any], form: Mapping[str, str]) -> Any:
    choice = form.get("choice", "")
    if choice.isdigit() and int(choice) < len(notice["sides"]):
        return notice["sides"][int(choice)]["value"]
    if choice == "other":
        t, f = notice["record_type"], notice["field"]
        return fieldvalues.read_typed(t, f, form, "other", current=record.get(f))
    raise ValidationError("Hãy chọn một giá trị để giữ, hoặc nhập giá trị khác.", field="choice")
