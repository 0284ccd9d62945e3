"""The console's "Điều hành" section (``/console/dieu-hanh``): the city routes work to the
wards. Tabs: documents sent to units (liên thông) with each addressee's status, the weekly
meeting schedule with the meetings awaiting approval; the directives tab lives in
``directives.py``.

The pages call the same functions as the JSON API (``documents_api.send``,
``meetings_api.approve_meeting`` ...), acting as the console's user. Reading is for operators
and administrators; every action needs an administrator.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from office import SCHEDULED, VIETNAM, WEEKDAYS, form_day, schedule_rows, to_ics
from sync import Conflict, NotFound, ValidationError, labels

from ..city import documents as documents_api
from ..city import meetings as meetings_api
from ..city import outside
from ..files import blob_store, file_response
from ..portal.submission import MAX_SCAN_BYTES, MAX_SCANS
from ..reference.data import CITY
from ..reference.edit import is_valid_on
from ..store import records
from ..web import console_blueprint, console_user, db, login_required, state, unit_names

bp = console_blueprint("console_work", __name__, "/console/dieu-hanh")

# The symbol's type part per document type (docs/domain.md "Numbering": 15/QĐ-UBND, 123/UBND-VP).
DOC_TYPES = {
    "Công văn": "UBND-VP",
    "Quyết định": "QĐ-UBND",
    "Chỉ thị": "CT-UBND",
    "Thông báo": "TB-UBND",
    "Kế hoạch": "KH-UBND",
    "Báo cáo": "BC-UBND",
}


# -- shared by the section's pages -------------------------------------------------------------


def today() -> date:
    """Today in Huế."""
    return datetime.now(VIETNAM).date()


def current_units() -> list[dict[str, Any]]:
    """The units valid today other than the city itself: wards first, then by code."""
    units = [u for u in records.unit_rows(db()) if u["code"] != state().unit]
    units = [u for u in units if is_valid_on(u, today())]
    return sorted(units, key=lambda u: (u["kind"] != "ward", u["code"]))


def chosen_units(form: MultiDict[str, str], name: str = "units") -> list[str]:
    """The units ticked in ``form`` (and every current ward with ``all_wards``), refusing a
    code that is not a current unit."""
    known = {u["code"]: u for u in current_units()}
    picked = list(dict.fromkeys(form.getlist(name)))
    if form.get("all_wards"):
        picked += [c for c, u in known.items() if u["kind"] == "ward" and c not in picked]
    for code in picked:
        if code not in known:
            raise ValidationError(
                f"Đơn vị mã '{code}' không còn hoạt động; hãy tải lại trang và chọn lại.",
                field=name,
            )
    return picked


# -- the section -------------------------------------------------------------------------------


@bp.get("/")
@login_required()
def index() -> Any:
    """The section opens on its first tab."""
    return redirect(url_for("console_work.documents"))


# -- documents ---------------------------------------------------------------------------------


def file_size(size: int) -> str:
    """A file's size as a reader says it: ``820 KB``, ``2,4 MB`` (Vietnamese decimal comma)."""
    if size < 1024 * 1024:
        return f"{max(1, -(-size // 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")


def _received(doc: dict[str, Any]) -> int:
    return sum(1 for r in doc["recipients"] if r["receipt"] is not None)


@bp.get("/van-ban")
@login_required()
def documents() -> Any:
    """The documents the city sent, newest first, each with how many addressees have it."""
    items, next_cursor = documents_api.documents(
        state().unit, request.args.get("cursor") or None, 50, console_user()
    )
    return render_template(
        "console/work_documents.html",
        items=items,
        next_cursor=next_cursor,
        received=_received,
        urgencies=labels("document", "urgency"),
        secrecies=labels("document", "secrecy"),
    )


@bp.get("/van-ban/<doc_id>")
@login_required()
def document(doc_id: str) -> Any:
    """One document with each addressee's status and the times of its steps, its outside
    agencies' (edXML: sent, status reported, revocation sent), and, for an administrator, the
    recall of the city office's own."""
    doc = documents_api.document(doc_id, console_user())
    return render_template(
        "console/work_document.html",
        doc=doc,
        outside=outside.agencies(doc),
        own=doc["unit"] == state().unit and (doc.get("direction") or "outgoing") == "outgoing",
        received=_received,
        file_size=file_size,
        urgencies=labels("document", "urgency"),
        secrecies=labels("document", "secrecy"),
        competences=labels("document", "signing_competence"),
    )


@bp.post("/van-ban/<doc_id>/thu-hoi")
@login_required("admin")
def recall_document(doc_id: str) -> Any:
    """Recall the city office's document (``outside.recall``): the wards see it recalled on
    their next sync; the outside agencies it went to get a revocation message."""
    now = datetime.now(VIETNAM).isoformat(timespec="seconds")
    try:
        outside.recall(doc_id, request.form.get("reason"), console_user(), now)
    except (ValidationError, Conflict) as exc:
        flash(exc.message, "error")
    else:
        flash(
            "Đã thu hồi văn bản. Các phường thấy ở lần đồng bộ tới; cơ quan ngoài hệ thống đã "
            "nhận văn bản được gửi thông báo thu hồi qua trục liên thông.",
            "ok",
        )
    return redirect(url_for("console_work.document", doc_id=doc_id))


def _document_form(form: MultiDict[str, str] | None, error: ValidationError | None = None) -> Any:
    return render_template(
        "console/work_document_form.html",
        form=form or MultiDict(),
        error=error.message if error else None,
        invalid=error.details.get("field") if error else None,
        # A browser never keeps chosen files across a page: say so when some were sent.
        files_dropped=error is not None and any(f.filename for f in request.files.values()),
        max_files=MAX_SCANS,
        max_mb=MAX_SCAN_BYTES // (1024 * 1024),
        units=current_units(),
        doc_types=DOC_TYPES,
        urgencies=labels("document", "urgency"),
        secrecies=labels("document", "secrecy"),
        competences=labels("document", "signing_competence"),
    ), (400 if error else 200)


@bp.get("/van-ban/moi")
@login_required("admin")
def new_document() -> Any:
    """The form to send a document to chosen units."""
    return _document_form(None)


@bp.post("/van-ban/moi")
@login_required("admin")
def send_document() -> Any:
    """Send the document and its PDF scans (``documents_api.send``); the form again, as
    typed, when refused."""
    form = request.form
    try:
        doc_type = form.get("doc_type", "")
        if doc_type not in DOC_TYPES:
            raise ValidationError("Hãy chọn loại văn bản trong danh sách.", field="doc_type")
        secret = (form.get("secrecy") or "none") != "none"  # its summary: documents_api.send
        if not secret and not form.get("summary", "").strip():
            raise ValidationError("Nhập trích yếu nội dung văn bản.", field="summary")
        units = chosen_units(form)
        if not units:
            raise ValidationError(
                "Hãy chọn ít nhất một phường hoặc đơn vị nhận văn bản.", field="units"
            )
        doc = documents_api.send(
            {
                "doc_type": doc_type,
                "type_code": DOC_TYPES[doc_type],
                "summary": form["summary"],
                "units": units,
                "urgency": form.get("urgency") or "normal",
                "secrecy": form.get("secrecy") or "none",
                "signer": form.get("signer", "").strip() or None,
                "signing_competence": form.get("signing_competence") or None,
            },
            console_user(),
            request.files.getlist("attachments"),
        )
    except ValidationError as exc:
        return _document_form(form, exc)
    files = f" kèm {len(doc['attachments'])} tệp" if doc["attachments"] else ""
    flash(
        f"Đã gửi văn bản {doc['symbol']}{files} tới {len(units)} đơn vị; "
        "các phường nhận được ở lần đồng bộ tới.",
        "ok",
    )
    return redirect(url_for("console_work.document", doc_id=doc["id"]))


@bp.get("/van-ban/<doc_id>/tep/<attachment_id>")
@login_required()
def document_file(doc_id: str, attachment_id: str) -> Response:
    """A file attached to the document, opened in the browser (a PDF scan)."""
    doc = documents_api.document(doc_id, console_user())  # none of a secret one (404)
    found = [a for a in doc["attachments"] if a["id"] == attachment_id]
    store = blob_store()
    if not found or not store.has(found[0]["sha256"]):
        raise NotFound("Không có tệp đính kèm này.")
    return file_response(found[0]["sha256"], found[0]["name"])


# -- the weekly meeting schedule ----------------------------------------------------------------


def _week_start(text: str) -> date:
    day = form_day(text, "tuan", "Ngày trong tuần") or today()
    return day - timedelta(days=day.weekday())


@bp.get("/lich-hop")
@login_required()
def meetings() -> Any:
    """The week's schedule (``?tuan=dd/mm/yyyy``, any day of the week; this week by default)
    in the columns of docs/domain.md, "Meetings and invitations", and the meetings registered
    by units awaiting approval."""
    try:
        monday = _week_start(request.args.get("tuan", ""))
        error = None
    except ValidationError as exc:
        monday, error = _week_start(""), exc.message
    start = datetime.combine(monday, time(0), VIETNAM)
    week, _more = meetings_api.meetings(start=start, end=start + timedelta(days=7), limit=500)
    days: dict[date, list[dict[str, Any]]] = {monday + timedelta(days=i): [] for i in range(7)}
    for m in week:
        if m["status"] not in ("registered", "cancelled"):  # awaiting approval: listed apart
            local = datetime.fromisoformat(m["starts_at"]).astimezone(VIETNAM)
            days[local.date()].append(m)
    waiting, _more = meetings_api.meetings(status="registered", limit=200)
    return render_template(
        "console/work_meetings.html",
        monday=monday,
        days=days,
        weekdays=WEEKDAYS,
        waiting=waiting,
        error=error,
        names=unit_names(),
        statuses=labels("meeting", "status"),
        clock=lambda iso: (
            datetime.fromisoformat(iso).astimezone(VIETNAM).strftime("%H:%M") if iso else ""
        ),
        timedelta=timedelta,
    ), (400 if error else 200)


@bp.post("/lich-hop/<meeting_id>/duyet")
@login_required("admin")
def approve_meeting(meeting_id: str) -> Any:
    """Approve a unit's registered meeting (``meetings_api.approve_meeting``)."""
    meeting = meetings_api.approve_meeting(meeting_id, console_user())
    flash(f"Đã duyệt cuộc họp «{meeting['subject']}»; đơn vị nhận được ở lần đồng bộ tới.", "ok")
    back = request.form.get("tuan", "")
    return redirect(url_for("console_work.meetings", tuan=back or None))


def _schedule(monday: date) -> list[dict[str, Any]]:
    """The schedule rows of the week starting ``monday``: the meetings of every unit in the
    schedule's states (``SCHEDULED``, as on the wards), the registering unit's name standing in
    for a missing preparing office, as on the week view."""
    start = datetime.combine(monday, time(0), VIETNAM)
    week, _more = meetings_api.meetings(start=start, end=start + timedelta(days=7), limit=500)
    names = unit_names()
    return schedule_rows(
        [
            {**m, "preparing_office": m.get("preparing_office") or names.get(m["unit"], m["unit"])}
            for m in week
            if m["status"] in SCHEDULED
        ]
    )


def _office() -> str:
    """The city office's name, as the unit register holds it."""
    return unit_names().get(state().unit) or CITY[1]


@bp.get("/lich-hop/in")
@login_required()
def schedule_print() -> Any:
    """The week's schedule to print (``?tuan=dd/mm/yyyy``, any day of the week; this week by
    default): "LỊCH CÔNG TÁC TUẦN" of the city office, one block of rows per day, in the columns
    of docs/domain.md, "Meetings and invitations". A date that is not ``dd/mm/yyyy`` is
    refused (400)."""
    monday = _week_start(request.args.get("tuan", ""))
    rows = _schedule(monday)
    days: dict[date, list[dict[str, Any]]] = {monday + timedelta(days=i): [] for i in range(7)}
    for row in rows:
        days[date.fromisoformat(row["date"])].append(row)
    return render_template(
        "console/work_schedule_print.html",
        monday=monday,
        sunday=monday + timedelta(days=6),
        days=days,
        weekdays=WEEKDAYS,
        office=_office(),
        printed=datetime.now(VIETNAM),
        timedelta=timedelta,
    )


@bp.get("/lich-hop.ics")
@login_required()
def schedule_ics() -> Response:
    """The week's schedule (``?tuan=dd/mm/yyyy``) as an iCalendar file named for its Monday."""
    monday = _week_start(request.args.get("tuan", ""))
    sunday = monday + timedelta(days=6)
    name = f"Lịch công tác tuần {monday:%d/%m/%Y} – {sunday:%d/%m/%Y}, {_office()}"
    resp = Response(to_ics(_schedule(monday), name), mimetype="text/calendar")
    resp.headers["Content-Disposition"] = (
        f'attachment; filename="lich-cong-tac-tuan-{monday.isoformat()}.ics"'
    )
    return resp
