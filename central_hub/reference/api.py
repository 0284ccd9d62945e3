"""The reference data in the hub's JSON API for administrators: the procedure catalogue
(``/api/v1/procedures``), the units of the city (``/api/v1/units``) and the calendar
(``/api/v1/calendar``), read by anyone signed in and edited by administrators through
:mod:`.edit`, so each change reaches every ward."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from sync import ValidationError

from ..web import current_user, db, require
from . import edit as reference_edit

bp = Blueprint("reference_api", __name__, url_prefix="/api/v1")


def _reference(type_name: str, order: str) -> list[dict[str, Any]]:
    return reference_edit.reference(db(), type_name, order)


def _items() -> list[Any]:
    """The non-empty ``items`` list of a PUT body; :class:`ValidationError` otherwise."""
    body = request.get_json(silent=True)
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise ValidationError('Gửi {"items": [...]} với ít nhất một mục.', field="items")
    return items


def _actor() -> str:
    user = current_user()
    return user.username if user else "admin"


@bp.get("/procedures")
@require()
def procedures() -> Response:
    """The procedure catalogue every ward receives."""
    return jsonify({"items": _reference("procedure", "code"), "next_cursor": None})


@bp.put("/procedures")
@require("admin")
def put_procedures() -> Response:
    """Add or edit procedures by ``code``: ``{"items": [procedure, ...]}``; answers the list."""
    reference_edit.put_procedures(db(), _items(), actor=_actor())
    return procedures()


@bp.get("/units")
@require()
def units() -> Response:
    """The units of the city."""
    return jsonify({"items": _reference("unit", "code"), "next_cursor": None})


@bp.put("/units/<code>")
@require("admin")
def put_unit(code: str) -> Response:
    """Add or edit the unit ``code``: the body gives its fields (``name``, ``kind``, ``prefix``,
    ``valid_from``, ``valid_to``, ``successor``, ``province``, ``district``, ``organ_id``); the code never
    changes. Answers the unit."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError("Gửi một đối tượng JSON mô tả đơn vị.", field="body")
    if body.get("code", code) != code:
        raise ValidationError("Mã đơn vị không đổi được; bỏ trường 'code'.", field="code")
    reference_edit.put_units(db(), [{**body, "code": code}], actor=_actor())
    return jsonify(next(u for u in _reference("unit", "code") if u["code"] == code))


@bp.get("/calendar")
@require()
def calendar() -> Response:
    """Days off and make-up working days."""
    return jsonify({"items": _reference("calendar_day", "date"), "next_cursor": None})


@bp.put("/calendar")
@require("admin")
def put_calendar() -> Response:
    """Add or edit days by ``date``: ``{"items": [{"date", "kind", "name", "deleted"}]}``;
    ``"deleted": true`` keeps the day as a tombstone that wards ignore. Answers the list."""
    reference_edit.put_calendar_days(db(), _items(), actor=_actor())
    return calendar()
