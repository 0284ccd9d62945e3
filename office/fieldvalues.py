"""A record field's value as people read and type it, from its schema: its Vietnamese title,
the value in words, and a value typed in a form read back into what the schema stores.

Both apps' conflict forms use it (docs/conflicts.md): a person who decides a conflict sees
each side in words and may type a value of their own, in the form people use elsewhere
(``dd/mm/yyyy hh:mm`` Huế time, a phone number as dialled, a status by its name).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sync import ValidationError, clean_text, labels, loads_bounded, record_type

from .display import VIETNAM, form_day, vn_date, vn_datetime

EMPTY = "(trống)"
_PHONE_SEPARATORS = re.compile(r"[\s.()-]")


def type_title(type_name: str) -> str:
    """The record type's Vietnamese title (schema ``title``), else its name."""
    try:
        return str(record_type(type_name).schema.get("title") or type_name)
    except ValidationError:
        return type_name


def field_schema(type_name: str, field: str) -> dict[str, Any]:
    """The schema of one field (``{}`` for an unknown type or field)."""
    try:
        prop: dict[str, Any] = record_type(type_name).schema["properties"].get(field, {})
    except ValidationError:
        return {}
    return prop


def field_title(type_name: str, field: str) -> str:
    """The field's Vietnamese title (schema ``title`` of the property), else its name."""
    return str(field_schema(type_name, field).get("title") or field)


def _kinds(prop: dict[str, Any]) -> set[str]:
    kind = prop.get("type", [])
    return {kind} if isinstance(kind, str) else set(kind)


def _is_time(prop: dict[str, Any]) -> bool:
    return prop.get("format") == "date-time" or "T[0-9]{2}:[0-9]{2}" in prop.get("pattern", "")


def _is_day(prop: dict[str, Any]) -> bool:
    return prop.get("pattern") == "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _is_phone(prop: dict[str, Any]) -> bool:
    return str(prop.get("pattern", "")).startswith("^\\+84")


def input_kind(type_name: str, field: str) -> str:
    """How a person types a value of the field: ``choice`` (from its ``x-labels``),
    ``datetime``, ``date``, ``boolean``, ``integer``, ``number``, ``object`` (part by part),
    ``list`` (one item a line), ``text``, else ``json``."""
    return _kind_of(field_schema(type_name, field), bool(choices(type_name, field)))


def _kind_of(prop: dict[str, Any], labelled: bool = False) -> str:
    kinds = _kinds(prop) - {"null"}
    if labelled:
        return "choice"
    if _is_time(prop):
        return "datetime"
    if _is_day(prop):
        return "date"
    if kinds == {"boolean"}:
        return "boolean"
    if kinds == {"integer"}:
        return "integer"
    if kinds and kinds <= {"integer", "number"}:
        return "number"
    if kinds == {"object"} and "properties" in prop:
        return "object"
    if kinds == {"array"} and _kinds(prop.get("items", {})) <= {"string"}:
        return "list"
    if kinds == {"string"} or (not kinds and "enum" not in prop and "anyOf" not in prop):
        return "text"
    return "json"


def choices(type_name: str, field: str) -> dict[int | str, str]:
    """The field's ``x-labels`` (value to name); empty for a field without them."""
    return labels(type_name, field) if field_schema(type_name, field) else {}


def parts(type_name: str, field: str) -> list[tuple[str, str]]:
    """An object field's parts (a dossier's applicant): ``(key, Vietnamese title)``."""
    props = field_schema(type_name, field).get("properties", {})
    return [(key, str(sub.get("title") or key)) for key, sub in props.items()]


def words(type_name: str, field: str, value: Any) -> str:
    """A value as a person reads it: a status by its name (with the stored code), a time in
    Huế time, a phone number as dialled, an object part by part."""
    return _words(field_schema(type_name, field), choices(type_name, field), value)


def _words(prop: dict[str, Any], names: Mapping[Any, str], value: Any) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    if not isinstance(value, bool | dict | list) and value in names:
        return f"{names[value]} ({value})"
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, dict):
        subs = prop.get("properties", {})
        shown = [
            f"{subs.get(k, {}).get('title', k)}: {_words(subs.get(k, {}), {}, v)}"
            for k, v in value.items()
            if v not in (None, "")
        ]
        return "; ".join(shown) or EMPTY
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, str) and _is_time(prop):
        return vn_datetime(value)
    if isinstance(value, str) and _is_day(prop):
        return vn_date(value)
    if isinstance(value, str) and _is_phone(prop) and value.startswith("+84"):
        return "0" + value[3:]
    return str(value)


def part_words(type_name: str, field: str, key: str, value: Any) -> str:
    """One part of an object field (an applicant's phone) in words."""
    return _words(field_schema(type_name, field).get("properties", {}).get(key, {}), {}, value)


def differing_parts(type_name: str, field: str, values: list[Any]) -> set[str]:
    """The parts of an object field on which ``values`` differ (empty for other fields)."""
    objects = [v if isinstance(v, dict) else {} for v in values]
    keys = {k for o in objects for k in o}
    return {k for k in keys if len({repr(o.get(k)) for o in objects}) > 1}


def read_typed(
    type_name: str,
    field: str,
    form: Mapping[str, str],
    name: str = "other",
    current: Any = None,
) -> Any:
    """The value a person typed for the field in ``form[name]`` (an object's parts in
    ``form[name + "." + part]``, starting from ``current``, so parts not shown are kept).

    Raises :class:`ValidationError` (field ``name``) with what to type, in Vietnamese. The
    schema's own check comes after (``validate_fields``)."""
    prop = field_schema(type_name, field)
    names = choices(type_name, field)
    kind = _kind_of(prop, bool(names))
    if kind == "object":
        value = dict(current) if isinstance(current, dict) else {}
        typed = False
        for key, sub in prop.get("properties", {}).items():
            raw = form.get(f"{name}.{key}")
            if raw is None:
                continue
            typed = True
            value[key] = _read(sub, {}, _kind_of(sub), raw, f"{name}.{key}", blank_is_none=True)
        if not typed:
            raise ValidationError("Hãy nhập giá trị khác cần ghi.", field=name)
        return value
    return _read(prop, names, kind, form.get(name, ""), name)


def _read(
    prop: dict[str, Any],
    names: Mapping[Any, str],
    kind: str,
    raw: str,
    name: str,
    blank_is_none: bool = False,
) -> Any:
    text = clean_text(raw)
    if not text:
        if blank_is_none and "null" in _kinds(prop):
            return None
        raise ValidationError("Hãy nhập hoặc chọn giá trị khác cần ghi.", field=name)
    if kind == "choice":
        for code in names:
            if str(code) == text:
                return code
        raise ValidationError("Hãy chọn một giá trị trong danh sách.", field=name)
    if kind == "datetime":
        try:
            moment = datetime.strptime(text, "%d/%m/%Y %H:%M").replace(tzinfo=VIETNAM)
        except ValueError:
            raise ValidationError(
                "Thời điểm phải viết dạng ngày/tháng/năm giờ:phút, ví dụ 15/12/2026 16:30.",
                field=name,
            ) from None
        return moment.isoformat(timespec="seconds")
    if kind == "date":
        day = form_day(text, name, "Ngày")
        return day.isoformat() if day else None
    if kind == "boolean":
        return text.lower() in ("1", "true", "có", "co")
    if kind in ("integer", "number"):
        try:
            return int(text) if kind == "integer" else float(text.replace(",", "."))
        except ValueError:
            raise ValidationError("Hãy nhập một số, ví dụ 4.", field=name) from None
    if kind == "list":
        return [line.strip() for line in text.splitlines() if line.strip()]
    if kind == "text":
        if _is_phone(prop):
            return _phone(text)
        return text
    try:
        return loads_bounded(text)  # a typed value of another shape: depth bounded too
    except ValueError:
        raise ValidationError(
            'Giá trị khác của trường này phải viết dạng JSON (ví dụ: 4, "văn bản").', field=name
        ) from None


def _phone(text: str) -> str:
    """A Vietnamese phone number as dialled (0905 111 222, 84905…) in E.164 (+84905…)."""
    digits = _PHONE_SEPARATORS.sub("", text)
    if digits.startswith("0"):
        digits = "+84" + digits[1:]
    elif digits.startswith("84"):
        digits = "+" + digits
    return digits
