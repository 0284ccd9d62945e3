"""Editing the reference data every ward receives (units, procedures, calendar days), shared by
the JSON API (``PUT /api/v1/units/<code>``, ``PUT /api/v1/procedures``, ``PUT /api/v1/calendar``)
and the console's pages.

The hub writes through its own capture, so each change is routed to every ward and takes
effect there on its next sync.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import date, timedelta
from typing import Any

from sync import (
    ValidationError,
    Write,
    get_meta,
    new_id,
    nfc,
    select_records,
    validate,
)

from ..store import capture

__all__ = [
    "PROCEDURE_DEFAULTS",
    "UNIT_DEFAULTS",
    "is_valid_on",
    "put_calendar_days",
    "put_procedures",
    "put_units",
    "reference",
    "upsert",
]

PROCEDURE_DEFAULTS: dict[str, Any] = {"active": True, "papers": []}
UNIT_DEFAULTS: dict[str, Any] = {"valid_from": None, "valid_to": None, "successor": None}
# Names people type, kept in NFC without surrounding spaces: the console filters units by
# their exact province and district.
TEXT_KEYS = frozenset({"name", "province", "district"})
# schemas/unit.json, "prefix": the electronic identifier that starts the unit's dossier codes.
PREFIX = re.compile(r"[A-Z0-9][A-Z0-9.]{0,30}")
# schemas/unit.json, "organ_id": the unit's identifier on the national document exchange
# platform (docs/edxml.md), e.g. 000.00.15.H57.
ORGAN_ID = re.compile(r"[0-9A-Za-z]{1,8}(\.[0-9A-Za-z]{1,8}){1,5}")


def reference(conn: sqlite3.Connection, type_name: str, order: str) -> list[dict[str, Any]]:
    """Every record of a reference type, ordered by the column ``order``."""
    return select_records(conn, type_name, f"ORDER BY {order}")


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
            k: nfc(v).strip() if k in TEXT_KEYS and isinstance(v, str) else v
            for k, v in item.items()
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


def is_valid_on(unit: dict[str, Any], day: date) -> bool:
    """Whether ``unit`` exists on ``day``: ``valid_from`` and ``valid_to`` are both inclusive,
    and a missing bound is open."""
    iso = day.isoformat()
    return (unit.get("valid_from") or iso) <= iso <= (unit.get("valid_to") or iso)


def _day(value: Any, code: str, field: str, label: str) -> date | None:
    if value is None:
        return None
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", str(value)):
            raise ValueError(value)
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(
            f"Đơn vị {code}: {label} phải là một ngày có thật (yyyy-mm-dd).", field=field
        ) from None


def _check_unit(unit: dict[str, Any], known: dict[str, dict[str, Any]], hub_unit: str) -> None:
    """The rules the schema cannot state: real dates in order, a successor that exists and
    takes over the day after the end, the hub's own unit never ended."""
    code = str(unit["code"])
    prefix = unit.get("prefix")
    if prefix is not None and not (isinstance(prefix, str) and PREFIX.fullmatch(prefix)):
        raise ValidationError(
            f"Đơn vị {code}: tiền tố mã hồ sơ chỉ gồm chữ in hoa, chữ số và dấu chấm, "
            "bắt đầu bằng chữ hoặc số, tối đa 31 ký tự (ví dụ H57.19786).",
            field="prefix",
        )
    organ = unit.get("organ_id")
    if organ is not None and not (isinstance(organ, str) and ORGAN_ID.fullmatch(organ)):
        raise ValidationError(
            f"Đơn vị {code}: mã định danh liên thông gồm các nhóm chữ, số cách nhau bằng dấu "
            "chấm, theo mã cơ quan trên trục liên thông quốc gia (ví dụ 000.00.15.H57).",
            field="organ_id",
        )
    if organ and any(u.get("organ_id") == organ and c != code for c, u in known.items()):
        raise ValidationError(
            f"Đơn vị {code}: mã định danh liên thông {organ} đã là mã của đơn vị khác; mỗi "
            "đơn vị một mã.",
            field="organ_id",
        )
    start = _day(unit.get("valid_from"), code, "valid_from", "ngày bắt đầu hiệu lực")
    end = _day(unit.get("valid_to"), code, "valid_to", "ngày hết hiệu lực")
    if start and end and end < start:
        raise ValidationError(
            f"Đơn vị {code}: ngày hết hiệu lực ({end:%d/%m/%Y}) không được trước ngày bắt đầu "
            f"hiệu lực ({start:%d/%m/%Y}).",
            field="valid_to",
        )
    if end and code == hub_unit:
        raise ValidationError(
            f"Đơn vị {code} là đơn vị của máy chủ trung tâm; không kết thúc hiệu lực được.",
            field="valid_to",
        )
    successor = unit.get("successor")
    if not successor:
        return
    if end is None:
        raise ValidationError(
            f"Đơn vị {code}: chỉ ghi đơn vị kế thừa khi đơn vị đã có ngày hết hiệu lực.",
            field="successor",
        )
    if successor == code:
        raise ValidationError(
            f"Đơn vị {code} không kế thừa chính nó; chọn đơn vị khác.", field="successor"
        )
    heir = known.get(str(successor))
    if heir is None:
        raise ValidationError(
            f"Đơn vị {code}: không có đơn vị mã '{successor}' để kế thừa.", field="successor"
        )
    next_day = end + timedelta(days=1)
    if not is_valid_on(heir, next_day):
        raise ValidationError(
            f"Đơn vị {code}: đơn vị kế thừa {successor} phải còn hiệu lực từ ngày "
            f"{next_day:%d/%m/%Y}, ngày sau khi đơn vị {code} hết hiệu lực.",
            field="successor",
        )


def put_units(conn: sqlite3.Connection, items: list[Any], *, actor: str) -> None:
    """Add or edit units by ``code`` (see :func:`upsert`); a code never changes once created.

    Ending a unit is setting ``valid_to`` (its last day, inclusive), with an optional
    ``successor`` that must exist and be valid on the next day. Raises
    :class:`ValidationError` (422, naming the field) before anything is written.
    """
    known = {u["code"]: u for u in reference(conn, "unit", "code")}
    merged = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("code"), str):
            for field in ("valid_from", "valid_to", "successor"):
                if item.get(field) == "":
                    item[field] = None
            merged.append({**UNIT_DEFAULTS, **known.get(item["code"], {}), **item})
    known.update({u["code"]: u for u in merged})
    hub_unit = get_meta(conn, "hub_unit", "H57")
    for unit in merged:
        _check_unit(unit, known, hub_unit)
    upsert(conn, "unit", "code", items, UNIT_DEFAULTS, actor=actor)
