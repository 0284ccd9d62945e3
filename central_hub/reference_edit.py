"""Editing the reference data every ward receives (procedures, calendar days), shared by the
JSON API (``PUT /api/v1/procedures``, ``PUT /api/v1/calendar``) and the console's pages.

The hub writes through its own capture, so each change is routed to every ward and takes
effect there on its next sync.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sync import Replica, ValidationError, Write, get_meta, new_id, nfc, record_type, validate

from .setup import capture

__all__ = ["PROCEDURE_DEFAULTS", "put_calendar_days", "put_procedures", "reference", "upsert"]

PROCEDURE_DEFAULTS: dict[str, Any] = {"active": True, "papers": []}


def reference(conn: sqlite3.Connection, type_name: str, order: str) -> list[dict[str, Any]]:
    """Every record of a reference type, ordered by the column ``order``."""
    rtype = record_type(type_name)
    rows = conn.execute(
        f"SELECT {', '.join(rtype.fields)} FROM {type_name} ORDER BY {order}"
    ).fetchall()
    return [Replica.decode(rtype, r) for r in rows]


def upsert(
    conn: sqlite3.Connection,
    type_name: str,
    key: str,
    items: list[Any],
    defaults: dict[str, Any],
    *,
    actor: str,
) -> None:
    """Insert or update reference records matched by ``key``, in one transaction that the hub
    routes to every ward.

    An item whose ``key`` exists updates that record (only the fields it gives); a new one gets a
    new id, the hub's unit and ``defaults``. ``id`` and ``unit`` belong to the hub: when given,
    they must be the record's own. Raises :class:`ValidationError` (422, naming the field, the
    message naming the item) before anything is written when any item is malformed.
    """
    existing: dict[str, dict[str, Any]] = {}
    for row in reference(conn, type_name, "id"):
        existing.setdefault(row[key], {k: v for k, v in row.items() if v is not None})
    hub_unit = get_meta(conn, "hub_unit", "H57")
    writes, seen = [], set()
    for number, item in enumerate(items, start=1):
        value = item.get(key) if isinstance(item, dict) else None
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(f"Mục {number}: thiếu '{key}'.", field=key)
        if value in seen:
            raise ValidationError(f"Mục {number}: '{value}' trùng với một mục trước.", field=key)
        seen.add(value)
        given = {
            k: nfc(v).strip() if k == "name" and isinstance(v, str) else v for k, v in item.items()
        }
        current = existing.get(value)
        base = current or {"id": new_id(), "unit": hub_unit, **defaults}
        for owned in ("id", "unit"):
            if owned in given and given[owned] != (current or {}).get(owned):
                raise ValidationError(
                    f"Mục {number} ('{value}'): '{owned}' do máy chủ trung tâm cấp; bỏ trường này.",
                    field=owned,
                )
        record = {**base, **given}
        try:
            validate(type_name, record)
        except ValidationError as err:
            raise ValidationError(
                f"Mục {number} ('{value}'): {err.message}", code=err.code, **err.details
            ) from None
        if current is None:
            writes.append(Write(type_name, record["id"], record["unit"], record))
        elif changed := {k: v for k, v in given.items() if current.get(k) != v}:
            writes.append(Write(type_name, current["id"], current["unit"], changed))
    if writes:
        capture(conn).write_many(writes, actor=actor)


def put_procedures(conn: sqlite3.Connection, items: list[Any], *, actor: str) -> None:
    """Add or edit procedures by ``code`` (see :func:`upsert`)."""
    upsert(conn, "procedure", "code", items, PROCEDURE_DEFAULTS, actor=actor)


def put_calendar_days(conn: sqlite3.Connection, items: list[Any], *, actor: str) -> None:
    """Add or edit calendar days by ``date`` (see :func:`upsert`); ``"deleted": true`` keeps
    the day as a tombstone that wards ignore."""
    for item in items:
        if isinstance(item, dict):
            # A day sent without "deleted" is meant to count: it revives a deleted one.
            item.setdefault("deleted", False)
    upsert(conn, "calendar_day", "date", items, {}, actor=actor)
