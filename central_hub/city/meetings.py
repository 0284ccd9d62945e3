"""The hub's JSON API for meetings and invitations (issue [4]; docs/architecture.md,
"HTTP surfaces").

The city office registers the city's meetings and invites units with a GM invitation, approves
the meetings the units register (a hub write on the unit's record, routed back to it), reads the
replies that flow back, and re-notifies the same units with a postponement or a replacement: a
new invitation naming the one it replaces, since an invitation's addressees never change.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request

from office import VIETNAM
from sync import (
    Conflict,
    NotFound,
    Replica,
    ValidationError,
    Write,
    atomic,
    clean_text,
    new_id,
    validate,
)
from webapp import User, json_body

from ..store import capture
from ..store import records as stored_records
from ..web import current_user, db, page_args, records, require, state

bp = Blueprint("meetings_api", __name__, url_prefix="/api/v1")

MEETING_TEXT = ("content", "place", "chair", "participants", "preparing_office", "notes")
INVITATION_TEXT = ("content", "place", "chair", "preparing_office", "invited", "contact", "signer")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _time(raw: Any, field: str) -> datetime:
    """An ISO 8601 time; without an offset it is Huế time."""
    try:
        moment = datetime.fromisoformat(str(raw or "").strip())
    except ValueError:
        raise ValidationError(
            "Thời gian không hợp lệ: ghi theo dạng 2026-12-01T08:00+07:00.", field=field
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=VIETNAM)).astimezone(UTC)


def _times(data: dict[str, Any]) -> tuple[str, str | None]:
    start = _time(data.get("starts_at"), "starts_at")
    if not data.get("ends_at"):
        return _iso(start), None
    end = _time(data["ends_at"], "ends_at")
    if end <= start:
        raise ValidationError("Giờ kết thúc phải sau giờ bắt đầu.", field="ends_at")
    return _iso(start), _iso(end)


def _text(data: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {n: (clean_text(str(data[n])) or None) if data.get(n) else None for n in names}


def _actor() -> str:
    user = current_user()
    return user.username if user else "admin"


def _one(type_name: str, record_id: str, message: str) -> dict[str, Any]:
    found = Replica(db()).get(type_name, record_id)
    if found is None:
        raise NotFound(message)
    return found


def _invitation(inv_id: str) -> dict[str, Any]:
    inv = _one("invitation", inv_id, "Không tìm thấy giấy mời này.")
    inv["replies"] = records("invitation_reply", "WHERE invitation_id = ? ORDER BY unit", (inv_id,))
    later = records("invitation", "WHERE replaces = ?", (inv_id,))
    inv["replaced_by"] = later[0]["id"] if later else None
    return inv


def _issue(fields: dict[str, Any]) -> list[Write]:
    """The write of a new GM invitation of the city, numbered in the year's series (the caller
    holds the transaction: the hub is the only writer of the city's series)."""
    today = _now().astimezone(VIETNAM).date()
    unit = state().unit
    number = stored_records.last_invitation_number(db(), unit, str(today.year)) + 1
    record = {
        "id": new_id(),
        "unit": unit,
        "number": number,
        "symbol": f"{number}/GM-UBND",
        "issued_on": today.isoformat(),
        "created_by": _actor(),
        "sent_at": _iso(_now()),
        **fields,
    }
    validate("invitation", record)
    return [Write("invitation", record["id"], unit, record)]


@bp.post("/meetings")
@require("admin")
def register_meeting() -> tuple[Response, int]:
    """Register a city meeting (approved at once) and, with ``units``, invite those units."""
    data = json_body()
    subject = clean_text(str(data.get("subject") or ""))
    if not subject:
        raise ValidationError("Nhập nội dung cuộc họp.", field="subject")
    starts, ends = _times(data)
    unit = state().unit
    meeting = {
        "id": new_id(),
        "unit": unit,
        "subject": subject,
        "starts_at": starts,
        "ends_at": ends,
        **_text(data, MEETING_TEXT),
        "status": "approved",
        "approved_by": _actor(),
        "approved_at": _iso(_now()),
        "created_by": _actor(),
        "created_at": _iso(_now()),
    }
    validate("meeting", meeting)
    writes = [Write("meeting", meeting["id"], unit, meeting)]
    units = data.get("units") or []
    if not isinstance(units, list) or unit in units:
        raise ValidationError("'units' là danh sách mã đơn vị được mời.", field="units")
    for code in units:
        if not stored_records.unit_exists(db(), str(code)):
            raise ValidationError(f"Không có đơn vị mã '{code}'.", field="units")
    with atomic(db()):
        if units:
            writes += _issue(
                {
                    "kind": "invitation",
                    "replaces": None,
                    "meeting_id": meeting["id"],
                    "subject": subject,
                    "starts_at": starts,
                    "ends_at": ends,
                    **_text(data, INVITATION_TEXT),
                    "units": sorted({str(u) for u in units}),
                }
            )
        capture(db()).write_many(writes, actor=_actor())
    meeting["invitation"] = _invitation(writes[1].id) if units else None
    return jsonify(meeting), 201


def meetings(
    *,
    unit: str | None = None,
    status: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], bool]:
    """Meetings of every unit by start time, filtered by owning ``unit``, ``status`` and start
    in ``[start, end)``; the page at ``offset`` and whether more follow."""
    clauses, params = [], []
    for value, sql in ((unit, "unit = ?"), (status, "status = ?")):
        if value:
            clauses.append(sql)
            params.append(value)
    if start is not None:
        clauses.append("starts_at >= ?")
        params.append(_iso(start))
    if end is not None:
        clauses.append("starts_at < ?")
        params.append(_iso(end))
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    items = records(
        "meeting", where + " ORDER BY starts_at, id LIMIT ? OFFSET ?", [*params, limit + 1, offset]
    )
    return items[:limit], len(items) > limit


@bp.get("/meetings")
@require()
def list_meetings() -> Response:
    """Meetings of every unit, by start time: ``unit``, ``status``, ``from``, ``to`` filter."""
    start = _time(value, "from") if (value := request.args.get("from")) else None
    end = _time(value, "to") if (value := request.args.get("to")) else None
    limit, cursor = page_args()
    offset = int(cursor) if cursor and cursor.isdigit() else 0  # an opaque position
    items, more = meetings(
        unit=request.args.get("unit") or None,
        status=request.args.get("status") or None,
        start=start,
        end=end,
        limit=limit,
        offset=offset,
    )
    return jsonify({"items": items, "next_cursor": str(offset + limit) if more else None})


@bp.get("/meetings/<meeting_id>")
@require()
def get_meeting(meeting_id: str) -> Response:
    """One meeting with its invitations."""
    meeting = _one("meeting", meeting_id, "Không tìm thấy cuộc họp này.")
    meeting["invitations"] = records(
        "invitation", "WHERE meeting_id = ? ORDER BY number", (meeting_id,)
    )
    return jsonify(meeting)


def approve_meeting(meeting_id: str, user: User | None) -> dict[str, Any]:
    """The city office approves a unit's registered meeting, as ``user`` (a hub write on the
    unit's record, routed back to it); :class:`Conflict` unless it is registered."""
    meeting = _one("meeting", meeting_id, "Không tìm thấy cuộc họp này.")
    if meeting["status"] != "registered":
        raise Conflict(
            f"Cuộc họp đang ở trạng thái '{meeting['status']}', không duyệt được nữa.",
            code="not_registered",
        )
    actor = user.username if user else "admin"
    fields = {"status": "approved", "approved_by": actor, "approved_at": _iso(_now())}
    capture(db()).write("meeting", meeting_id, meeting["unit"], fields, actor=actor)
    return _one("meeting", meeting_id, "")


@bp.post("/meetings/<meeting_id>/approve")
@require("admin")
def approve(meeting_id: str) -> Response:
    """The city office approves a unit's registered meeting; 409 unless it is registered."""
    return jsonify(approve_meeting(meeting_id, current_user()))


@bp.get("/invitations/<invitation_id>")
@require()
def get_invitation(invitation_id: str) -> Response:
    """One invitation with every invited unit's reply and the notice replacing it, if any."""
    return jsonify(_invitation(invitation_id))


@bp.post("/invitations/<invitation_id>/postpone")
@require("admin")
def postpone(invitation_id: str) -> tuple[Response, int]:
    """Postpone a city meeting to ``starts_at``: a postponement notice to the same units."""
    return _renotify(invitation_id, "postponement"), 201


@bp.post("/invitations/<invitation_id>/replace")
@require("admin")
def replace(invitation_id: str) -> tuple[Response, int]:
    """Change a city invitation (time, place, chair...): a replacement to the same units."""
    return _renotify(invitation_id, "replacement"), 201


def _renotify(invitation_id: str, kind: str) -> Response:
    old = _invitation(invitation_id)
    if old["unit"] != state().unit:
        raise Conflict("Chỉ đơn vị phát hành mới thay thế được giấy mời này.", code="not_issuer")
    if old["replaced_by"]:
        raise Conflict(
            "Giấy mời này đã được thay thế; hãy thay thế giấy mời mới nhất.", code="superseded"
        )
    data = json_body()
    merged = {**old, **{k: v for k, v in data.items() if v not in (None, "")}}
    if data.get("starts_at") and not data.get("ends_at"):
        merged["ends_at"] = None  # a new start makes the old end meaningless
    starts, ends = _times(merged)
    if kind == "postponement" and not data.get("starts_at"):
        raise ValidationError("Ghi thời gian họp mới.", field="starts_at")
    fields = {
        "kind": kind,
        "replaces": invitation_id,
        "meeting_id": old.get("meeting_id"),
        "subject": clean_text(str(merged["subject"])),
        "starts_at": starts,
        "ends_at": ends,
        **_text(merged, INVITATION_TEXT),
        "units": old["units"],
    }
    with atomic(db()):
        writes = _issue(fields)
        meeting = Replica(db()).get("meeting", old["meeting_id"]) if old.get("meeting_id") else None
        if meeting is not None:
            status = "postponed" if kind == "postponement" else meeting["status"]
            writes.append(
                Write(
                    "meeting",
                    meeting["id"],
                    meeting["unit"],
                    {"status": status, "starts_at": starts, "ends_at": fields["ends_at"]},
                )
            )
        capture(db()).write_many(writes, actor=_actor())
    return jsonify(_invitation(writes[0].id))
