"""The ward's meeting pages: the weekly schedule (printable, with its ``.ics``), registering a
meeting, the invitations received with a reply form, and sending a GM invitation with the
invitations sent and each invited unit's reply (issue [4]).

The invitation form posts to :meth:`Meetings.send`, as ``POST /api/v1/invitations`` does;
only the page reads times as dd/mm/yyyy HH:MM (Huế time)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from office import VIETNAM
from sync import Conflict, NotFound, SyncError, ValidationError, get_meta

from ..directives.pages import unit_groups
from ..documents import DocumentReader
from ..web import current_user, db, require, state
from .api import WRITERS, meetings
from .service import INVITATION_KINDS, INVITATION_TEXT, MEETING_STATUS, MEETING_TEXT

bp = Blueprint("meetings", __name__)


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
            # Typed dd/mm/yyyy hh:mm in the shared date entry (the end may be hh:mm alone).
            starts = parse_vn_time(form.get("starts_at", ""), "starts_at", "Thời gian bắt đầu")
            day = datetime.fromisoformat(starts).date() if starts else None
            data["starts_at"] = starts
            data["ends_at"] = parse_vn_time(form.get("ends_at", ""), "ends_at", "Giờ kết thúc", day)
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
    """Invitations received, newest first, each with the ward's reply or a reply form; then
    those the ward sent, each with every invited unit's reply as far as it has arrived."""
    return render_template(
        "meetings/invitations.html",
        items=meetings().received(),
        sent=meetings().sent(),
        kinds=INVITATION_KINDS,
        names=DocumentReader(db(), state().clock).unit_names(),
    )


def parse_vn_time(raw: str, field: str, label: str, day: date | None = None) -> str | None:
    """A time typed as dd/mm/yyyy HH:MM (or HH:MM on ``day``), as an ISO string without
    offset, which :meth:`Meetings.send` reads as Huế time; ``None`` when blank.

    Raises :class:`ValidationError` naming ``field``.
    """
    raw = " ".join(raw.split())
    if not raw:
        return None
    try:
        if day is not None and len(raw) <= 5:
            return datetime.combine(day, datetime.strptime(raw, "%H:%M").time()).isoformat()
        return datetime.strptime(raw, "%d/%m/%Y %H:%M").isoformat()
    except ValueError:
        raise ValidationError(
            f"{label} “{raw}” không đúng: nhập theo dạng dd/mm/yyyy HH:MM, ví dụ 02/12/2026 08:00.",
            field=field,
        ) from None


def _invitation_body(form: Any) -> dict[str, Any]:
    """The body for :meth:`Meetings.send` from the form; refuses a time already past."""
    if not form.get("subject", "").strip():
        raise ValidationError("Nhập nội dung (trích yếu) cuộc họp.", field="subject")
    starts = parse_vn_time(form.get("starts_at", ""), "starts_at", "Thời gian bắt đầu")
    if starts is None:
        raise ValidationError(
            "Nhập thời gian họp theo dạng dd/mm/yyyy HH:MM, ví dụ 02/12/2026 08:00.",
            field="starts_at",
        )
    start = datetime.fromisoformat(starts)
    if start.replace(tzinfo=VIETNAM) < datetime.now(VIETNAM):
        raise ValidationError(
            f"Thời gian họp {start:%d/%m/%Y %H:%M} đã qua; nhập thời gian sắp tới.",
            field="starts_at",
        )
    ends = parse_vn_time(form.get("ends_at", ""), "ends_at", "Giờ kết thúc", start.date())
    return {
        "subject": form.get("subject", ""),
        "starts_at": starts,
        "ends_at": ends,
        "units": form.getlist("units"),
        **{name: form.get(name, "") for name in INVITATION_TEXT},
    }


@bp.route("/invitations/new", methods=["GET", "POST"])
@require(*WRITERS)
def send() -> Any:
    """Send a GM invitation to units; the form again, as typed, when refused."""
    error = None
    if request.method == "POST":
        user = current_user()
        assert user is not None
        try:
            sent = meetings().send(_invitation_body(request.form), user)
        except SyncError as exc:
            error = exc
        else:
            flash(f"Đã gửi giấy mời số {sent['symbol']} “{sent['subject']}”.")
            return redirect(url_for("meetings.invitations") + f"#sent-{sent['id']}")
    return render_template(
        "meetings/send.html",
        form=request.form,
        error=error,
        invalid=(error.details.get("field") if error else None) or "",
        groups=unit_groups(),
        unit_name=get_meta(db(), "unit_name", ""),
    ), (422 if error else 200)


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
