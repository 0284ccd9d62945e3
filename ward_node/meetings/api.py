"""The ward node's JSON API for meetings and invitations (``/api/v1/meetings``, ``/api/v1/invitations``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from office import to_ics
from sync import get_meta
from webapp import json_body

from ..permissions import MEETING_WRITERS as WRITERS
from ..web import current_user, db, page_args, require, state
from .service import Meetings

bp = Blueprint("meetings_api", __name__, url_prefix="/api/v1")


def meetings() -> Meetings:
    """The meeting operations for this request."""
    return Meetings(db(), state().clock)


def _user() -> Any:
    user = current_user()
    assert user is not None  # guaranteed by @require
    return user


@bp.post("/meetings")
@require(*WRITERS)
def register_meeting() -> tuple[Response, int]:
    """Register a meeting of this ward; the city office approves it at the hub."""
    return jsonify(meetings().register(json_body(), _user())), 201


@bp.get("/meetings")
@require()
def list_meetings() -> Response:
    """The ward's meetings of the week ``week`` (any day of it), with the schedule rows."""
    week = meetings().week(request.args.get("week"))
    return jsonify({**week, "next_cursor": None})


@bp.get("/meetings/schedule.ics")
@require()
def schedule_ics() -> Response:
    """The week's schedule as an iCalendar file."""
    week = meetings().week(request.args.get("week"))
    name = f"Lịch họp {get_meta(db(), 'unit_name', '')} tuần {week['week']}"
    resp = Response(to_ics(week["schedule"], name), mimetype="text/calendar")
    resp.headers["Content-Disposition"] = f'attachment; filename="lich-hop-{week["week"]}.ics"'
    return resp


@bp.get("/invitations")
@require()
def list_invitations() -> Response:
    """Invitations received by the ward, newest first, each with the ward's reply."""
    limit, cursor = page_args()
    offset = int(cursor) if cursor and cursor.isdigit() else 0  # an opaque position
    items = meetings().received()
    more = len(items) > offset + limit
    return jsonify(
        {
            "items": items[offset : offset + limit],
            "next_cursor": str(offset + limit) if more else None,
        }
    )


@bp.get("/invitations/<invitation_id>")
@require()
def get_invitation(invitation_id: str) -> Response:
    """One invitation sent by or to the ward, with the replies the ward holds."""
    return jsonify(meetings().invitation(invitation_id))


@bp.post("/invitations")
@require(*WRITERS)
def send_invitation() -> tuple[Response, int]:
    """Issue a GM invitation (or a replacement / postponement of one) to other units."""
    return jsonify(meetings().send(json_body(), _user())), 201


@bp.post("/invitations/<invitation_id>/reply")
@require(*WRITERS)
def reply(invitation_id: str) -> Response:
    """Answer an invitation: ``{"attending": true, "attendees": [...], "note": ...}``."""
    return jsonify(meetings().reply(invitation_id, json_body(), _user()))
