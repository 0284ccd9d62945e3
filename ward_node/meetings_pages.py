"""The ward's meeting pages: the weekly schedule (printable, with its ``.ics``), registering a
meeting, and the invitations received with a reply form (issue [4])."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from sync import Conflict, NotFound, ValidationError

from .meetings import INVITATION_KINDS, MEETING_STATUS, MEETING_TEXT
from .meetings_api import WRITERS, meetings
from .meetings_api import bp as api_bp
from .web import current_user, require

bp = Blueprint("meetings", __name__)
# The JSON API rides along, so the app registers the meetings area in one line.
bp.register_blueprint(api_bp)


@bp.get("/meetings")
@require()
def schedule() -> Any:
    """The weekly schedule of the week holding ``week`` (this week by default)."""
    week = meetings().week(request.args.get("week"))
    monday = date.fromisoformat(week["week"])
    return render_template(
        "meetings/schedule.html",
        week=week,
        prev_week=(monday - timedelta(days=7)).isoformat(),
        next_week=(monday + timedelta(days=7)).isoformat(),
        statuses=MEETING_STATUS,
    )


@bp.route("/meetings/new", methods=["GET", "POST"])
@require(*WRITERS)
def register() -> Any:
    """Register a meeting of the ward, for the city office to approve."""
    form: dict[str, Any] = {}
    error = None
    if request.method == "POST":
        form = request.form.to_dict()
        data = {k: form.get(k) for k in ("subject", "starts_at", "ends_at", *MEETING_TEXT)}
        try:
            user = current_user()
            assert user is not None
            meeting = meetings().register(data, user)
        except ValidationError as exc:
            error = exc
        else:
            flash(f"Đã đăng ký cuộc họp “{meeting['subject']}”, chờ Văn phòng thành phố duyệt.")
            week = meeting["starts_at"][:10]
            return redirect(url_for("meetings.schedule", week=week))
    return render_template("meetings/new.html", form=form, error=error), (422 if error else 200)


@bp.get("/invitations")
@require()
def invitations() -> Any:
    """Invitations received, newest first, each with the ward's reply or a reply form."""
    return render_template(
        "meetings/invitations.html", items=meetings().received(), kinds=INVITATION_KINDS
    )


@bp.post("/invitations/<invitation_id>/reply")
@require(*WRITERS)
def reply(invitation_id: str) -> Any:
    """Answer an invitation from the form: attending or not, and who (one per line)."""
    attending = request.form.get("attending") == "yes"
    names = [n.strip() for n in request.form.get("attendees", "").splitlines() if n.strip()]
    user = current_user()
    assert user is not None
    try:
        meetings().reply(
            invitation_id,
            {"attending": attending, "attendees": names, "note": request.form.get("note")},
            user,
        )
    except (ValidationError, Conflict, NotFound) as exc:
        flash(exc.message, "error")
    else:
        flash("Đã gửi trả lời giấy mời.")
    return redirect(url_for("meetings.invitations") + f"#inv-{invitation_id}")
