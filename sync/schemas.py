"""Record types, loaded from the JSON Schemas in ``schemas/``, and validation against them.

A schema's extension keywords tell the engine how to treat its records:

- ``x-record-type``: the type's name (also its table name);
- ``x-owner``: ``"unit"`` (written by its owner ward) or ``"hub"`` (reference data);
- ``x-route``: who receives a record's changes: ``"owner"`` (the owning unit, when someone
  else wrote it), ``"all"`` (every unit), ``"addressees"`` (the units listed in the field named
  by ``x-addressees``, and the owner), ``"parent"`` (the owner of the parent record named by
  ``x-parent``: a receipt flows back to the document's sender), ``"follow_parent"`` (every
  unit that receives the parent: a document's attachment reaches its addressees); ``x-parent``
  names the parent's type (``type``, or ``type_field`` for a field holding it) and the field
  holding its id;
- ``x-immutable`` on a property: once the record exists the value never changes (an
  addressee list, a parent reference), so routing decided at creation stays right;
- ``x-review``: every field a person typed or chose is reviewed when two writers edit it
  concurrently (a conflict opens, both values stay visible until someone decides;
  docs/conflicts.md). A property opts out only with ``"x-review": false`` and its reason
  beside it in ``x-review-reason`` (computed values, counters, times the system sets); then
  last writer wins and the clash is kept as ``auto`` for the audit trail. A record's identity
  (``id``, ``unit``) and ``x-immutable`` properties cannot change once written, so they never
  have a concurrent edit to review;
- ``x-labels`` on a property: the Vietnamese name of each value (a dossier's statuses);
- ``x-search``: dotted field paths whose folded text fills the derived ``_search`` column.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cache
from itertools import islice
from typing import Any

import jsonschema_rs
import orjson
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from schemas import SCHEMA_DIR

from .errors import ValidationError

SCHEMA_VERSION = 1
WIRE_SCHEMAS = ("change", "changeset", "envelope_header")


@dataclass(frozen=True)
class RecordType:
    """What the engine knows about one record type."""

    name: str
    schema: dict[str, Any] = field(repr=False, compare=False)
    owner: str
    route: str
    fields: tuple[str, ...]
    json_fields: frozenset[str]
    review_fields: frozenset[str]
    search_paths: tuple[tuple[str, ...], ...] = ()
    addressees: str | None = None
    # (parent type, or "@field" naming the field that holds it; field holding the parent's id)
    parent: tuple[str, str] | None = None
    immutable: frozenset[str] = frozenset()

    @property
    def table(self) -> str:
        """The SQLite table holding records of this type."""
        return self.name

    def column_type(self, name: str) -> str:
        """SQLite column affinity for a field."""
        prop = self.schema["properties"][name]
        kinds = _json_types(prop)
        if kinds & {"object", "array"}:
            return "TEXT"
        if kinds <= {"integer", "boolean", "null"}:
            return "INTEGER"
        if kinds <= {"number", "integer", "null"}:
            return "REAL"
        return "TEXT"


def _json_types(prop: dict[str, Any]) -> set[str]:
    if "type" in prop:
        t = prop["type"]
        return {t} if isinstance(t, str) else set(t)
    if "enum" in prop:
        return {type_name(v) for v in prop["enum"]}
    if "const" in prop:
        return {type_name(prop["const"])}
    kinds: set[str] = set()
    for sub in prop.get("anyOf", []) + prop.get("oneOf", []):
        kinds |= _json_types(sub)
    return kinds or {"string"}


def type_name(value: Any) -> str:
    """JSON type name of a Python value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string"


def labels(type_name_: str, field_name: str) -> dict[int | str, str]:
    """The human labels a schema gives a field's values (``x-labels``), e.g. status names."""
    raw = record_type(type_name_).schema["properties"][field_name].get("x-labels", {})
    return {(int(k) if k.isdigit() else k): v for k, v in raw.items()}


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The parsed JSON Schema ``schemas/<name>.json``."""
    path = SCHEMA_DIR / f"{name}.json"
    if not path.exists():
        raise ValidationError(f"Không có loại bản ghi '{name}'.", code="unknown_type", field="type")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@cache
def record_types() -> dict[str, RecordType]:
    """Every record type declared in ``schemas/``, by name."""
    types = {}
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        schema = load_schema(path.stem)
        name = schema.get("x-record-type")
        if not name:
            continue
        props = schema["properties"]
        types[name] = RecordType(
            name=name,
            schema=schema,
            owner=schema["x-owner"],
            route=schema["x-route"],
            fields=tuple(props),
            json_fields=frozenset(
                k for k, v in props.items() if _json_types(v) & {"object", "array"}
            ),
            review_fields=_review_fields(name, props),
            search_paths=tuple(tuple(p.split(".")) for p in schema.get("x-search", ())),
            addressees=schema.get("x-addressees"),
            parent=(
                schema["x-parent"].get("type") or "@" + schema["x-parent"]["type_field"],
                schema["x-parent"]["field"],
            )
            if "x-parent" in schema
            else None,
            immutable=frozenset(k for k, v in props.items() if v.get("x-immutable")),
        )
    return types


def _review_fields(type_name: str, props: dict[str, Any]) -> frozenset[str]:
    """The fields whose concurrent edits open a conflict: all but the identity, the immutable
    ones and those that opt out, each with its reason (``ValueError`` for one without)."""
    reviewed = set()
    for key, prop in props.items():
        opted_out = prop.get("x-review", True) is False
        reason = str(prop.get("x-review-reason") or "").strip()
        if "x-review" in prop and not opted_out:
            raise ValueError(f"{type_name}.{key}: review is the default; x-review is only false")
        if opted_out != bool(reason):
            raise ValueError(
                f"{type_name}.{key}: an opt-out of review needs its reason (x-review-reason), "
                "and a reason belongs only beside an opt-out"
            )
        if not opted_out and key not in ("id", "unit") and not prop.get("x-immutable"):
            reviewed.add(key)
    return frozenset(reviewed)


def record_type(name: str) -> RecordType:
    """The record type ``name``; :class:`ValidationError` when there is none."""
    try:
        return record_types()[name]
    except KeyError:
        raise ValidationError(
            f"Không có loại bản ghi '{name}' trong phiên bản phần mềm này. Nếu nơi gửi dùng "
            "phiên bản mới hơn, hãy nâng cấp nơi nhận (docs/upgrades.md).",
            code="unknown_type",
            field="type",
        ) from None


@cache
def _registry() -> Registry:
    resources = [
        (f"https://wardsync.hue.gov.vn/schemas/{n}.json", Resource.from_contents(load_schema(n)))
        for n in WIRE_SCHEMAS
    ]
    return Registry().with_resources(resources)


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(name), registry=_registry())


@cache
def _fast(name: str, partial: bool = False) -> jsonschema_rs.Draft202012Validator:
    """A compiled validator for the hot path (jsonschema-rs, compiled in Rust: about ten times
    faster than fastjsonschema's generated Python, which cost the hub a fifth of a push).

    Only its verdict is used: on failure, jsonschema explains which field is wrong. ``$ref``
    resolves to the sibling schemas from disk; ``offline`` forbids any fetch over the network.
    """
    schema = dict(record_type(name).schema) if partial else dict(load_schema(name))
    if partial:
        schema.pop("required", None)
    registry = jsonschema_rs.Registry(
        [(f"https://wardsync.hue.gov.vn/schemas/{n}.json", load_schema(n)) for n in WIRE_SCHEMAS]
    )
    return jsonschema_rs.Draft202012Validator(schema, registry=registry, offline=True)


def _passes(name: str, document: Any, partial: bool = False) -> bool:
    try:
        return bool(_fast(name, partial).is_valid(document))
    except ValueError:  # a value of no JSON type (a date, a key not a string): jsonschema judges
        return False


@cache
def _partial_validator(type_name_: str) -> Draft202012Validator:
    """A validator of any subset of a type's fields: the schema without ``required``."""
    schema = {k: v for k, v in record_type(type_name_).schema.items() if k != "required"}
    return Draft202012Validator(schema)


_TYPE_NAMES = {
    "string": "chuỗi ký tự",
    "integer": "số nguyên",
    "number": "số",
    "boolean": "đúng/sai",
    "object": "đối tượng",
    "array": "danh sách",
    "null": "để trống",
}


def _explain(err: Any) -> str:
    """A jsonschema error in Vietnamese words a clerk understands."""
    if err.validator in ("anyOf", "oneOf") and err.context:
        # "a valid email or nothing": explain the alternative that is not "nothing".
        real = [
            e for e in err.context if not (e.validator == "type" and e.validator_value == "null")
        ]
        return _explain(min(real or err.context, key=lambda e: len(e.absolute_path)))
    value = err.validator_value
    if err.validator == "pattern":
        return "không đúng định dạng"
    if err.validator == "maxLength":
        return f"dài quá {value} ký tự"
    if err.validator == "minLength":
        return "không được để trống" if value == 1 else f"phải có ít nhất {value} ký tự"
    if err.validator == "enum":
        return "phải là một trong: " + ", ".join(str(v) for v in value)
    if err.validator == "const":
        return f"phải là {value}"
    if err.validator == "type":
        kinds = [value] if isinstance(value, str) else list(value)
        return "phải là " + " hoặc ".join(_TYPE_NAMES.get(k, k) for k in kinds)
    if err.validator == "minimum":
        return f"không được nhỏ hơn {value}"
    if err.validator == "maximum":
        return f"không được lớn hơn {value}"
    if err.validator == "required":
        return "còn thiếu (bắt buộc)"
    if err.validator == "additionalProperties":
        return "không được phép (không có trong lược đồ)"
    return "không hợp lệ"


# A hostile document can hold millions of errors (a list of a million wrong items): collecting
# them all held the hub for minutes. The first few are enough to name the worst one
# (docs/security.md, "Resource bounds").
_ERRORS_EXPLAINED = 16


def _first_errors(validator: Draft202012Validator, document: Any) -> list[Any]:
    return list(islice(validator.iter_errors(document), _ERRORS_EXPLAINED))


def _raise_first(errors: list[Any], prefix: str = "") -> None:
    if not errors:
        return
    err = min(errors, key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    path = ".".join(str(p) for p in err.absolute_path)
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else ""
        path = ".".join(x for x in (path, missing) if x)
    elif err.validator == "additionalProperties" and "'" in err.message:
        path = ".".join(x for x in (path, err.message.split("'")[1]) if x)
    name = ".".join(x for x in (prefix, path) if x) or "(bản ghi)"
    raise ValidationError(f"Trường '{name}' {_explain(err)}.", code="validation_error", field=name)


def validate(name: str, document: Any) -> None:
    """Validate ``document`` against ``schemas/<name>.json``.

    Raises :class:`ValidationError` naming the first offending field.
    """
    if not _passes(name, document):
        _raise_first(_first_errors(_validator(name), document))


def _may_hold_nul(fields: dict[str, Any]) -> bool:
    """Whether ``fields`` may hold U+0000: orjson writes it as ``\\u0000``, so one search of
    the encoded fields rules it out at C speed (a text holding a backslash and "u0000"
    matches too; :func:`_holds_nul` tells). What orjson cannot encode is walked."""
    try:
        return b"\\u0000" in orjson.dumps(fields)
    except (TypeError, orjson.JSONEncodeError):
        return True


def _holds_nul(value: Any) -> bool:
    """Whether a value holds U+0000 anywhere: no text of the office has it, and PostgreSQL
    cannot store it (docs/security.md, "Input")."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def validate_fields(
    type_name_: str, fields: dict[str, Any], *, keep_unknown: bool = False
) -> dict[str, Any]:
    """Validate a partial write (some fields of a record) against the type's schema.

    Returns the fields this release does not know: ``{}`` unless ``keep_unknown``. A node
    takes what a newer hub sends (``keep_unknown=True``): it keeps fields of a later release
    aside instead of refusing the change (docs/upgrades.md, "Fields a ward does not know
    yet"); the fields it knows are checked as strictly as ever. Everything that writes
    (a node's own capture, the hub's ingest) refuses unknown fields.

    Raises :class:`ValidationError` naming the field (an unknown field included, or a type
    this release does not have).
    """
    for key, value in fields.items() if _may_hold_nul(fields) else ():
        if _holds_nul(value):
            raise ValidationError(
                f"Trường '{key}' chứa ký tự NUL (U+0000), ký tự không dùng được trong văn bản. "
                "Hãy xóa ký tự đó rồi ghi lại.",
                code="nul_character",
                field=key,
            )
    if _passes(type_name_, fields, partial=True):
        return {}
    rtype = record_type(type_name_)
    known = rtype.schema["properties"]
    unknown = {k: v for k, v in fields.items() if k not in known}
    if unknown and not keep_unknown:
        key = next(iter(unknown))
        raise ValidationError(
            f"Trường '{key}' không có trong loại bản ghi '{type_name_}' của phiên bản này. "
            "Nếu nơi gửi dùng phiên bản phần mềm mới hơn, hãy nâng cấp nơi nhận: máy chủ trung "
            "tâm được nâng cấp trước các phường (docs/upgrades.md).",
            code="unknown_field",
            field=key,
        )
    for key in unknown:
        if not (isinstance(key, str) and _FIELD_NAME.fullmatch(key)):
            raise ValidationError(
                f"Tên trường '{str(key)[:64]}' của loại bản ghi '{type_name_}' không hợp lệ.",
                code="validation_error",
                field=str(key)[:64],
            )
    own = {k: v for k, v in fields.items() if k in known} if unknown else fields
    if not unknown or not _passes(type_name_, own, partial=True):
        _raise_first(_first_errors(_partial_validator(type_name_), own))
    return unknown


# What a field of any release may be called (every schema's properties match it): a field a
# newer release added is kept by name only if it is one.
_FIELD_NAME = re.compile(r"[a-z_][a-z0-9_]{0,63}")


def record_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of every record type this release knows, by type name."""
    return {name: rtype.schema for name, rtype in record_types().items()}


@cache
def schema_fingerprint() -> str:
    """SHA-256 (hex) of :func:`record_schemas` as :func:`schemas_digest` encodes them: what a
    node reports so the hub knows exactly which records and values it can take."""
    return schemas_digest(record_schemas())


def schemas_digest(schemas: dict[str, Any]) -> str:
    """SHA-256 (hex) of record schemas as JSON with sorted keys, no spaces, UTF-8. Stable
    across releases: the hub checks a node's schemas against the fingerprint it reported."""
    text = json.dumps(schemas, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
