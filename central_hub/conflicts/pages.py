"""The console's conflict inbox (``/console/xung-dot``) and a record's change history
(``/console/ban-ghi/<type>/<id>``): what an administrator needs to reconcile concurrent edits
and to answer "why is it like this".

Every value is shown as a person reads it: the record type's and the field's Vietnamese titles
(schema ``title``), ``x-labels`` names with the stored number in small text, times in Huế time,
and a word-level diff against the base for long text (``<ins>``/``<del>``, not colour alone).
"""

from __future__ import annotations

import difflib
import re
from datetime import datetime, timedelta
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from markupsafe import Markup, escape

from office import SECRET_RESULT, SECRET_SUMMARY, VIETNAM, fieldvalues, vn_datetime
from sync import NotFound, Replica, SyncError, ValidationError, nfc, physical_ms, record_type

from .. import conflicts
from ..city.secrecy import masked, may_read, secret_record
from ..store import Journal
from ..store import conflicts as stored_conflicts
from ..store import nodes as store_nodes
from ..web import console_blueprint, console_user, db, login_required, show_value, state, unit_names

bp = console_blueprint("console_conflicts", __name__, "/console")

CONFLICT_STATES = {"open": "Chờ xử lý", "resolved": "Đã giải quyết", "auto": "Tự động"}
vn_datetime = vn_datetime
PAGE = 100
AGES = {"1": "Mở hơn 1 ngày", "7": "Mở hơn 7 ngày", "30": "Mở hơn 30 ngày"}
LONG_TEXT = 60  # longer (or multi-line) text is compared word by word
_SUMMARY_FIELDS = ("code", "symbol", "subject", "title", "summary", "name")


# -- how values read ---------------------------------------------------------------------------


type_title = fieldvalues.type_title
field_title = fieldvalues.field_title
choices = fieldvalues.choices
_prop = fieldvalues.field_schema


def is_datetime(type_name: str, field: str) -> bool:
    """Whether the field holds an ISO 8601 time (typed as ``dd/mm/yyyy hh:mm``, Huế time)."""
    return fieldvalues.input_kind(type_name, field) == "datetime"


def shown(
    type_name: str, field: str, value: Any, differs: frozenset[str] | set[str] = frozenset()
) -> Markup:
    """A value as HTML an administrator reads: its label with the stored value in small text,
    a Huế time, an object part by part (the parts in ``differs`` marked), or the text itself
    (always escaped)."""
    if value is None:
        return Markup('<span class="muted">(trống)</span>')
    names = choices(type_name, field)
    if not isinstance(value, bool | dict | list) and value in names:
        return escape(names[value]) + Markup(' <small class="muted">(%s)</small>') % value
    if isinstance(value, str) and is_datetime(type_name, field):
        return escape(vn_datetime(value))
    if isinstance(value, dict):
        return _shown_object(type_name, field, value, differs)
    return escape(show_value(value))


def _shown_object(type_name: str, field: str, value: dict[str, Any], differs: Any) -> Markup:
    """An object field (a dossier's applicant) as its parts with their Vietnamese titles, the
    empty ones left out, the parts the sides disagree on marked (not by colour alone)."""
    titles = dict(fieldvalues.parts(type_name, field))
    items = []
    for key, item in value.items():
        if item in (None, "") and key not in differs:
            continue
        text = fieldvalues.part_words(type_name, field, key, item)
        line = Markup("%s: %s") % (titles.get(key, key), text)
        if key in differs:
            line = Markup('<mark title="Hai bên khác nhau ở đây">%s</mark>') % line
        items.append(Markup("<li>%s</li>") % line)
    return Markup('<ul class="object-value">%s</ul>') % Markup("").join(items)


def is_long(value: Any) -> bool:
    """Text long or multi-line enough that a word-level diff helps."""
    return isinstance(value, str) and (len(value) > LONG_TEXT or "\n" in value)


def word_diff(old: str, new: str) -> Markup:
    """``new`` compared with ``old`` word by word: removed words in ``<del>``, added words in
    ``<ins>``, every piece escaped."""
    a, b = re.split(r"(\s+)", old), re.split(r"(\s+)", new)
    out = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(escape("".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(Markup("<del>%s</del>") % "".join(a[i1:i2]))
        if j2 > j1:
            out.append(Markup("<ins>%s</ins>") % "".join(b[j1:j2]))
    return Markup("").join(out)


def summary(type_name: str, record: dict[str, Any] | None) -> str:
    """A line that tells which case the record is (a dossier's code and applicant, a
    meeting's subject...); ``""`` when the hub does not hold the record."""
    if not record:
        return ""
    parts = [str(record[k]) for k in _SUMMARY_FIELDS if record.get(k)][:2]
    applicant = record.get("applicant")
    if isinstance(applicant, dict) and applicant.get("full_name"):
        parts.append(str(applicant["full_name"]))
    return " · ".join(parts)


def _when(version: str) -> str:
    try:
        ms = physical_ms(int(version.partition("@")[0], 16))
    except ValueError:
        return ""
    return vn_datetime(datetime.fromtimestamp(ms / 1000, VIETNAM).isoformat())


def _where(origin: str, hub_id: str, nodes: dict[str, str], names: dict[str, str]) -> str:
    if origin == hub_id:
        return "Máy chủ trung tâm"
    unit = nodes.get(origin)
    if unit is None:
        return origin
    return f"{names.get(unit, unit)} ({unit}), máy {origin}"


def _dress(items: list[dict[str, Any]]) -> None:
    """Add what the page shows to each conflict: titles, record summary, base side, and for
    each side its time, place, shown value and diff against the base."""
    conn = db()
    hub_id = state().hub_id
    nodes = store_nodes.node_units(conn)
    names = unit_names()
    replica = Replica(conn)
    for item in items:
        t, f = item["record_type"], item["field"]
        item["type_title"], item["field_title"] = type_title(t), field_title(t, f)
        item["unit_name"] = names.get(item["unit"], "")
        item["summary"] = summary(t, replica.get(t, item["record_id"]))
        item["kind"] = f"{t}.{f}"
        base = conflicts.base_side(conn, item)
        sides = ([base] if base else []) + item["values"]
        differs = fieldvalues.differing_parts(t, f, [v["value"] for v in item["values"]])
        item["differs"] = differs
        # An object (an applicant) is typed part by part: the parts the sides disagree on,
        # as a person types them (a phone as dialled), starting from the applied value.
        applied = item["winning_value"]
        item["parts"] = [
            (key, title, _part_text(t, f, key, applied))
            for key, title in fieldvalues.parts(t, f)
            if key in differs
        ]
        for side in sides:
            side["when"] = _when(side["version"])
            side["where"] = _where(side["origin"], hub_id, nodes, names)
            side["shown"] = shown(t, f, side["value"], differs)
        item["base_side"] = base
        base_value = base["value"] if base else None
        for side in item["values"]:
            long = is_long(side["value"]) or is_long(base_value)
            both_text = isinstance(side["value"], str) and isinstance(base_value, str)
            side["diff"] = word_diff(base_value, side["value"]) if long and both_text else None
        if item["resolution"]:
            item["resolution"]["shown"] = shown(t, f, item["resolution"]["value"])
            item["resolution"]["place_name"] = _place_name(item, names)
        item["choices"] = choices(t, f)
        item["is_datetime"] = is_datetime(t, f)


# -- the inbox ---------------------------------------------------------------------------------


def _local_day(text: str, field: str) -> datetime:
    try:
        return datetime.strptime(text.strip(), "%d/%m/%Y").replace(tzinfo=VIETNAM)
    except ValueError:
        raise ValidationError(
            f"Ngày '{text}' không đúng dạng ngày/tháng/năm; hãy nhập như 28/11/2026.",
            field=field,
        ) from None


def _filters() -> dict[str, Any]:
    """The inbox's filters from the query string, as given (to fill the form back)."""
    chosen_state = request.args.get("state", "open")
    if chosen_state not in (*conflicts.STATES, ""):
        chosen_state = "open"
    age = request.args.get("age", "")
    return {
        "state": chosen_state,
        "unit": request.args.get("unit", "").strip(),
        "type": request.args.get("type", "").strip(),
        "age": age if age in AGES else "",
        "from": request.args.get("from", "").strip(),
        "to": request.args.get("to", "").strip(),
    }


@bp.get("/xung-dot")
@login_required()
def inbox() -> tuple[str, int]:
    """The conflict inbox, filtered by unit, record type, state and age, 100 a page."""
    chosen = _filters()
    errors: dict[str, str] = {}
    days: dict[str, datetime | None] = {"from": None, "to": None}
    for key in days:
        if chosen[key]:
            try:
                days[key] = _local_day(chosen[key], key)
            except ValidationError as exc:
                errors[key] = exc.message
    cursor_arg = request.args.get("cursor", "")
    items: list[dict[str, Any]] = []
    next_cursor = None
    if not errors:
        items, next_cursor = conflicts.list_conflicts(
            db(),
            state=chosen["state"] or None,
            unit=chosen["unit"] or None,
            type_name=chosen["type"] or None,
            older_than_days=int(chosen["age"]) if chosen["age"] else None,
            detected_from=days["from"],
            detected_before=days["to"] + timedelta(days=1) if days["to"] else None,
            limit=PAGE,
            cursor=int(cursor_arg) if cursor_arg.isdigit() else None,
        )
        _dress(items)
    units = stored_conflicts.conflict_units(db())
    types = stored_conflicts.conflict_types(db())
    query = {k: v for k, v in chosen.items() if v}
    if chosen["state"] == "":
        query["state"] = ""
    page = render_template(
        "console/inbox.html",
        items=items,
        units=units,
        unit_names=unit_names(),
        types=[(t, type_title(t)) for t in types],
        chosen=chosen,
        errors=errors,
        ages=AGES,
        states=CONFLICT_STATES,
        rules=conflicts.RULES,
        query=query,
        first_page=not cursor_arg,
        next_url=url_for("console_conflicts.inbox", **query, cursor=next_cursor)
        if next_cursor
        else None,
    )
    return page, 422 if errors else 200


def _back() -> str:
    """Where the form was posted from: the record's page (``back``, only a record page of
    this console), or the inbox with its filters."""
    back = request.form.get("back", "")
    if _RECORD_PAGE.fullmatch(back):
        return back
    keys = ("state", "unit", "type", "age", "from", "to")
    query = {k: request.form[k] for k in keys if k in request.form}
    return url_for("console_conflicts.inbox", **query)


_RECORD_PAGE = re.compile(r"/console/ban-ghi/[a-z_]{1,40}/[0-9A-Za-z-]{1,64}")


def _merged_value(found: dict[str, Any], form: Any) -> Any:
    """The administrator's own value for the conflict's field, read by the field's kind
    (``office.fieldvalues``): an object part by part, starting from the applied value."""
    t, f = found["record_type"], found["field"]
    current = next((v["value"] for v in found["values"] if v["version"] == found["winner"]), None)
    return fieldvalues.read_typed(t, f, form, "merged", current=current)


def _username() -> str:
    user = console_user()
    return user.username if user else "admin"


def _note() -> str | None:
    return nfc(request.form.get("note", "")).strip() or None


@bp.post("/xung-dot/<int:conflict_id>")
@login_required("admin")
def resolve(conflict_id: int) -> Response:
    """Resolve a conflict with one side's value or another (merged) value, with a note."""
    found = conflicts.get_conflict(db(), conflict_id)
    choice = request.form.get("choice", "")
    if choice == "merged":
        value = _merged_value(found, request.form)
    else:
        try:
            value = found["values"][int(choice)]["value"]
        except (ValueError, IndexError):
            raise ValidationError("Hãy chọn một giá trị để giữ.", field="choice") from None
    conflicts.resolve(db(), conflict_id, value, user=_username(), note=_note())
    flash(f"Đã giải quyết xung đột số {conflict_id}; giá trị sẽ tới đơn vị ở lần đồng bộ tới.")
    return redirect(_back())


@bp.post("/xung-dot/hang-loat")
@login_required("admin")
def resolve_many() -> Response:
    """Resolve the ticked conflicts (one kind) by one rule and one note, all or none."""
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
    try:
        done = conflicts.resolve_many(
            db(),
            ids,
            request.form.get("rule", ""),
            user=_username(),
            note=_note(),
            unit=request.form.get("rule_unit") or None,
        )
    except SyncError as exc:
        flash(f"Chưa giải quyết xung đột nào: {exc.message}", "error")
        return redirect(_back())
    numbers = ", ".join(str(c["id"]) for c in done)
    flash(f"Đã giải quyết {len(done)} xung đột (số {numbers}).")
    return redirect(_back())


# -- a record's history ------------------------------------------------------------------------


@bp.get("/ban-ghi/<type_name>/<record_id>")
@login_required()
def history(type_name: str, record_id: str) -> str:
    """A record's page: the conflicts open on it, both values side by side with who, where
    and when, to resolve here as in the inbox; then its change history: who changed which
    field when, from which unit, and which changes resolved a conflict (by whom, where)."""
    record_type(type_name)  # an unknown type is refused
    conn = db()
    secret = secret_record(conn, type_name, record_id)
    if secret and not may_read(console_user(), {"secrecy": "mat"}):
        # docs/security.md, "Secret documents": not even that it exists.
        raise NotFound("Không có bản ghi này.")
    hub_id = state().hub_id
    entries = Journal(conn, hub_id).history(type_name, record_id)
    resolved = conflicts.resolutions(conn, type_name, record_id)
    nodes = store_nodes.node_units(conn)
    names = unit_names()
    for e in entries:
        if secret:  # what an older release stored of its content is never shown
            e["fields"] = {
                k: (SECRET_SUMMARY if k == "summary" else SECRET_RESULT if k == "result" else v)
                for k, v in e["fields"].items()
            }
        e["where"] = _where(e["origin"], hub_id, nodes, names)
        e["shown"] = [
            (field_title(type_name, k), k, shown(type_name, k, v)) for k, v in e["fields"].items()
        ]
        e["resolves"] = resolved.get(f"{e['hlc']:016x}@{e['origin']}")
        if e["resolves"]:
            e["resolves"]["place_name"] = _place_name(e["resolves"], names)
    record = masked(Replica(conn).get(type_name, record_id) or {})
    open_items = conflicts.open_on(conn, type_name, record_id)
    _dress(open_items)
    for item in open_items:
        item["current"] = shown(type_name, item["field"], record.get(item["field"]))
        item["current_is_a_side"] = any(
            v["value"] == record.get(item["field"]) for v in item["values"]
        )
    return render_template(
        "console/history.html",
        type_name=type_name,
        type_title=type_title(type_name),
        record_id=record_id,
        summary=summary(type_name, record),
        entries=entries,
        open_items=open_items,
        states=CONFLICT_STATES,
        back=request.path,
    )


def _part_text(t: str, f: str, key: str, value: Any) -> str:
    part = value.get(key) if isinstance(value, dict) else None
    return "" if part in (None, "") else fieldvalues.part_words(t, f, key, part)


def _place_name(conflict: dict[str, Any], names: dict[str, str]) -> str:
    """Where a conflict was decided, in words: the hub, or the unit's name."""
    place = (conflict.get("resolution") or {}).get("place") or "hub"
    return "Máy chủ trung tâm" if place == "hub" else f"{names.get(place, place)} ({place})"
