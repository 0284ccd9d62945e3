"""The console's dossiers across wards (``/console/ho-so``, docs/operations.md, "Dossiers
across wards"): a paged list filtered by ward, procedure, status, received dates and overdue,
with one search box that tells a dossier code, a personal ID number (CCCD, or an old 9-digit
ID) and a phone number (each looked up exactly) from a name (without diacritics); and one
dossier with its steps, its files (PDF and images open in the browser), any open conflict and
a link to every change of its fields. The SQL is ``store/dossier_search.py``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask import Response, render_template, request

from office import VIETNAM, display_phone, form_day, is_overdue, normalize_phone
from sync import NotFound, Replica, SyncError, ValidationError, fold, labels

from ..files import blob_store, file_response
from ..store import conflicts as stored_conflicts
from ..store import dossier_search, records
from ..web import console_blueprint, db, login_required, unit_names

bp = console_blueprint("console_dossiers", __name__, "/console")

STATUS_NAMES = {int(k): v for k, v in labels("dossier", "status").items()}
CHANNEL_NAMES = labels("dossier", "channel")
PAGE_SIZE = 50
COUNT_CAP = 10_000
# A dossier code: the unit identifier, the date of reception, the day's counter
# (docs/domain.md, "One-stop dossiers"): H57.19786-261127-0001.
CODE = re.compile(r"^[A-Z0-9.]{1,32}-\d{6}-\d{4}$")
LOOKUP_WORDS = {
    "code": "mã hồ sơ",
    "id_number": "số định danh cá nhân",
    "phone": "số điện thoại",
    "name": "họ tên người nộp",
}


def classify(text: str) -> tuple[str | None, str | None]:
    """What the search box holds, as (kind, value to look up): a dossier code (upper case), a
    personal ID number (12 digits, or an old 9-digit one), a phone number (in the E.164 form
    it is stored in), or else a name, folded without diacritics. ``(None, None)`` when empty.
    Raises :class:`ValidationError` for digits that are neither an ID nor a phone number."""
    typed = " ".join(text.split())
    if not typed:
        return None, None
    if CODE.match(typed.upper()):
        return "code", typed.upper()
    compact = re.sub(r"[\s.\-]", "", typed)
    if re.fullmatch(r"\+?\d+", compact):
        if compact.isdigit() and len(compact) in (9, 12):  # a phone number has 10 or 11
            return "id_number", compact
        try:
            phone, _warning = normalize_phone(compact)
        except ValidationError:
            raise ValidationError(
                f"“{typed}” không phải số định danh cá nhân (12 chữ số), số CMND cũ (9 chữ "
                "số) hay số điện thoại (10 chữ số, bắt đầu bằng 0). Hãy kiểm tra lại số, hoặc "
                "tìm theo mã hồ sơ hay họ tên.",
                field="q",
            ) from None
        return "phone", phone
    return "name", fold(typed)


def _local_day_start(text: str, field: str, label: str) -> datetime | None:
    day = form_day(text, field, label)
    return None if day is None else datetime.combine(day, time(0), VIETNAM)


def _query(args: Any, now: datetime) -> dossier_search.DossierQuery:
    """The query of the list's form; :class:`ValidationError` naming the field it refuses."""
    status = args.get("status", "").strip()
    if status and (not status.isdigit() or int(status) not in STATUS_NAMES):
        raise ValidationError("Hãy chọn trạng thái trong danh sách.", field="status")
    first = _local_day_start(args.get("from", ""), "from", "Ngày nhận từ")
    last = _local_day_start(args.get("to", ""), "to", "Ngày nhận đến")
    if first and last and last < first:
        raise ValidationError("Ngày nhận đến phải cùng ngày hoặc sau ngày nhận từ.", field="to")
    kind, value = classify(args.get("q", ""))

    def utc(moment: datetime | None) -> str | None:
        return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None

    return dossier_search.DossierQuery(
        unit=args.get("unit", "").strip() or None,
        procedure_code=args.get("procedure", "").strip() or None,
        status=int(status) if status else None,
        received_from=utc(first),
        received_before=utc(last + timedelta(days=1) if last else None),
        overdue_at=now.isoformat(timespec="seconds") if args.get("overdue") else None,
        lookup=kind,
        value=value,
    )


def _line(d: dict[str, Any], names: dict[str, str], now: datetime) -> dict[str, Any]:
    applicant = d.get("applicant") or {}
    return {
        **d,
        "unit_name": names.get(d["unit"], d["unit"]),
        "applicant_name": applicant.get("full_name") or "—",
        "status_name": STATUS_NAMES.get(int(d["status"]), str(d["status"])),
        "overdue": is_overdue(d, now),
    }


@bp.get("/ho-so")
@login_required()
def dossier_list() -> Any:
    """The dossiers of every ward, latest received first, 50 a page (``?cursor=``: the
    page after that one; a cursor this page did not write is answered 400), filtered and
    searched; the matches counted up to :data:`COUNT_CAP`."""
    now = datetime.now(UTC)
    conn = db()
    names = unit_names()
    error: SyncError | None = None
    items: list[dict[str, Any]] = []
    total, next_cursor = 0, None
    query = dossier_search.DossierQuery()
    try:
        # A rare name's ids, read once for the page and its count.
        query = dossier_search.name_ids(conn, _query(request.args, now))
        found, next_cursor = dossier_search.page(
            conn, query, after=request.args.get("cursor") or None, limit=PAGE_SIZE
        )
        items = [_line(d, names, now) for d in found]
        total = dossier_search.count(conn, query, COUNT_CAP)
    except dossier_search.BadCursor:
        raise  # the console's error page, 400: no list to show under a broken address
    except ValidationError as exc:
        error = exc
    wards = sorted(records.ward_codes(conn), key=lambda c: fold(names.get(c) or c))
    args = {k: v for k, v in request.args.items() if k != "cursor" and v}
    return render_template(
        "console/dossiers.html",
        items=items,
        total=total,
        capped=total > COUNT_CAP,
        next_cursor=next_cursor,
        first_page=not request.args.get("cursor"),
        args=args,
        error=error,
        invalid=(error.details.get("field") if error else None) or "",
        lookup=LOOKUP_WORDS.get(query.lookup or ""),
        wards=[(c, names.get(c, c)) for c in wards],
        procedures=dossier_search.procedures_in_use(conn),
        statuses=STATUS_NAMES,
        page_size=PAGE_SIZE,
    ), (422 if error else 200)


def _dossier(dossier_id: str) -> dict[str, Any]:
    found = Replica(db()).get("dossier", dossier_id)
    if found is None:
        raise NotFound("Không có hồ sơ này ở máy chủ trung tâm (có thể phường chưa đồng bộ).")
    return found


@bp.get("/ho-so/<dossier_id>")
@login_required()
def dossier(dossier_id: str) -> str:
    """One dossier of any ward: its facts, its steps, its files, and any open conflict."""
    conn = db()
    now = datetime.now(UTC)
    d = _line(_dossier(dossier_id), unit_names(), now)
    applicant = d.get("applicant") or {}
    steps = records.dossier_steps(conn, dossier_id)
    for s in steps:
        s["from_name"] = STATUS_NAMES.get(int(s["from_status"] or 0), "—")
        s["to_name"] = STATUS_NAMES.get(int(s["to_status"] or 0), "—")
    files = dossier_search.attachments(conn, dossier_id)
    store = blob_store()
    for f in files:
        f["here"] = store.has(f["sha256"])
        f["viewable"] = str(f.get("mime") or "").startswith(("image/", "application/pdf"))
    open_items = stored_conflicts.open_on(conn, "dossier", dossier_id)
    for s in steps:
        open_items += stored_conflicts.open_on(conn, "dossier_step", s["id"])
    return render_template(
        "console/dossier.html",
        d=d,
        applicant=applicant,
        phone=display_phone(applicant.get("phone")),
        channel=CHANNEL_NAMES.get(str(d.get("channel")), d.get("channel") or "—"),
        steps=steps,
        files=files,
        open_conflicts=open_items,
    )


@bp.get("/ho-so/<dossier_id>/tep/<sha256>")
@login_required()
def dossier_file(dossier_id: str, sha256: str) -> Response:
    """A file of the dossier, shown in the browser when it is a PDF or an image (sandboxed,
    ``webapp.send_stored_file``), else downloaded; 404 while its ward has not sent it."""
    _dossier(dossier_id)
    found = dossier_search.attachment(db(), dossier_id, sha256)
    if found is None or not blob_store().has(sha256):
        raise NotFound("Máy chủ trung tâm chưa có tệp này: phường chưa gửi lên.")
    return file_response(sha256, found["name"], download=request.args.get("tai") == "1")
