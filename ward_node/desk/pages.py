"""The desk's pages: work lists, printable forms, the dossier register, statistics, and the
public status lookup.

Forms follow docs/domain.md, "Forms": the receipt, the supplement request, the refusal, the
apology with a new date, the notice that processing stopped, the control slip and the register,
numbered and named by the edition of the legal templates a dossier was received under
(``editions.py``; their content in ``forms.py``): A4 pages with the national header, styled for
print by ``static/print.css``. The receipt carries a
QR code of the public lookup address, drawn as inline SVG (no image file, no script). The
statistics are computed in ``stats.py``; the lists' queries are in ``queries.py``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from office import VIETNAM
from sync import Conflict, NotFound, ValidationError, get_meta

from ..dossiers import Dossiers, now_utc, staff
from ..dossiers.api import public_dossier
from ..dossiers.current import dossiers, lookup_template
from ..web import current_user, db, require
from . import forms, queries, stats
from .editions import edition_on

bp = Blueprint("desk", __name__)

QUEUES = {
    "today": "Hôm nay",
    "mine": "Hồ sơ của tôi",
    "overdue": "Quá hạn",
    "due_soon": "Sắp đến hạn",
}


def _dossiers() -> Dossiers:
    return dossiers()


def _local(value: Any) -> datetime | None:
    found = queries.moment(value)
    return found.astimezone(VIETNAM) if found else None


# -- template helpers ------------------------------------------------------------------------


@bp.app_template_filter("vn_clock")
def vn_clock(value: Any) -> str:
    """``"2026-11-27T03:05:00+00:00"`` → ``"10 giờ 05 phút, ngày 27/11/2026"`` (form 01)."""
    moment = _local(value)
    return moment.strftime("%H giờ %M phút, ngày %d/%m/%Y") if moment else ""


@bp.app_template_filter("vn_date_words")
def vn_date_words(value: Any) -> str:
    """A time or date as written under the national header: ``"ngày 27 tháng 11 năm 2026"``."""
    moment = value if isinstance(value, date) and not isinstance(value, datetime) else None
    if moment is None:
        local = _local(value)
        moment = local.date() if local else None
    return f"ngày {moment:%d} tháng {moment:%m} năm {moment:%Y}" if moment else ""


bp.add_app_template_filter(stats.percent_text, "percent")


@bp.app_template_global()
def printable_forms(dossier: dict[str, Any]) -> list[dict[str, str]]:
    """The forms that apply to ``dossier`` (a record with its ``steps``), as its edition
    numbers and names them: code, title, address."""
    return [
        {
            "code": template.number,
            "title": template.title,
            "url": url_for("desk.form", dossier_id=dossier["id"], form=template.number),
        }
        for template in forms.printable(dossier)
    ]


def _unit_name() -> str:
    return str(get_meta(db(), "unit_name", "") or "")


def _names() -> dict[str, str]:
    """Usernames to full names, for the lists and forms."""
    return {u["username"]: u["full_name"] for u in staff(db())}


# -- work lists ------------------------------------------------------------------------------


@bp.get("/viec/hom-nay")
@require()
def today() -> str:
    """Today's queue: online dossiers awaiting reception, and the dossiers received today."""
    day = now_utc().astimezone(VIETNAM).date()
    sections = [
        ("Hồ sơ trực tuyến chờ tiếp nhận", queries.awaiting_reception(db())),
        ("Đã tiếp nhận hôm nay", queries.received_on(db(), day)),
    ]
    return _queue("today", sections, day=day)


@bp.get("/viec/cua-toi")
@require()
def mine() -> str:
    """The open dossiers the logged-in user handles, the soonest due first."""
    user = current_user()
    assert user is not None
    return _queue("mine", [("Hồ sơ đang giao cho tôi", queries.mine(db(), user.username))])


@bp.get("/viec/qua-han")
@require()
def overdue() -> str:
    """Open dossiers past their due time, the longest overdue first."""
    return _queue("overdue", [("Hồ sơ quá hạn", queries.overdue(db(), now_utc()))])


@bp.get("/viec/sap-den-han")
@require()
def due_soon() -> str:
    """Open dossiers due today or within the next two working days."""
    found = queries.due_soon(db(), now_utc(), _dossiers().calendar())
    return _queue("due_soon", [("Hồ sơ đến hạn trong 2 ngày làm việc tới", found)])


def _queue(name: str, sections: list[tuple[str, list[dict[str, Any]]]], **extra: Any) -> str:
    return render_template(
        "desk/queue.html", queue=name, queues=QUEUES, sections=sections, names=_names(), **extra
    )


# -- printable forms -------------------------------------------------------------------------


@bp.get("/dossiers/<dossier_id>/in/<form>")
@require()
def form(dossier_id: str, form: str) -> str:
    """One printable form of a dossier, named by its number in the dossier's edition or by its
    slug; 404 for an unknown form, 409 when it does not apply. The apology and the stop notice
    take ``ky`` (``chu-tich`` or ``pho-chu-tich``) and ``nguoi-ky`` (a leader's username) for
    the committee's signature."""
    dossier = _dossiers().get(dossier_id)
    edition = forms.edition_of(dossier)
    template = edition.find(form)
    if template is None or template.kind == "register":
        numbers = ", ".join(f.number for f in edition.forms if f.kind != "register")
        raise NotFound(
            f"Không có mẫu in '{form}' cho hồ sơ này ({edition.circular}: mẫu số {numbers})."
        )
    if not forms.applies(template.kind, dossier):
        raise Conflict(
            f"Hồ sơ {dossier['code']} chưa có {template.title.lower()} "
            "ở trạng thái hoặc quá trình xử lý hiện nay."
        )
    leaders = [u for u in staff(db()) if u["role"] == "leader"]
    signer = request.args.get("ky", "chu-tich")
    signer_name = next(
        (u["full_name"] for u in leaders if u["username"] == request.args.get("nguoi-ky")), ""
    )
    context = forms.form_context(
        template,
        dossier,
        unit_name=_unit_name(),
        names=_names(),
        procedure=queries.procedure_by_code(db(), dossier["procedure_code"]),
        lookup_url=_lookup_url(dossier["code"]) if template.kind == "receipt" else "",
        desk_phone=str(current_app.config.get("DESK_PHONE") or ""),
        signer=signer,
        signer_name=signer_name,
    )
    return render_template(
        f"desk/form_{template.kind}.html",
        **context,
        leaders=leaders,
        signer=signer,
        signer_username=request.args.get("nguoi-ky", ""),
    )


def _lookup_url(code: str) -> str:
    """The public look-up address of a dossier (``dossiers.current.lookup_template``), or
    ``""`` when none is known: the receipt then prints how to look it up, without a QR code,
    rather than an address no citizen can reach."""
    return lookup_template().replace("{code}", code)


# -- register and statistics -----------------------------------------------------------------


def _parse_day(text: str) -> date:
    text = text.strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            pass
    raise ValueError(text)


def _period() -> tuple[date, date, str | None]:
    """The ``from``/``to`` dates of the request (dd/mm/yyyy); this month so far by default."""
    today = now_utc().astimezone(VIETNAM).date()
    first, last = today.replace(day=1), today
    error = None
    try:
        if request.args.get("from"):
            first = _parse_day(request.args["from"])
        if request.args.get("to"):
            last = _parse_day(request.args["to"])
    except ValueError as exc:
        error = f"Ngày '{exc}' không đúng dạng ngày/tháng/năm, ví dụ 01/12/2026."
    if error is None and last < first:
        error = "Ngày kết thúc phải cùng ngày hoặc sau ngày bắt đầu."
    if error:
        first, last = today.replace(day=1), today
    return first, last, error


@bp.get("/so-theo-doi")
@require()
def register() -> tuple[str, int]:
    """The dossier register (Mẫu số 07, 06 before 01/07/2025) for a date range, one row per
    dossier received."""
    first, last, error = _period()
    rows = queries.received_between(db(), first, last)
    # When the desk passed each dossier on to be processed: its first start or hand-over.
    sent: dict[str, str] = {}
    for step in queries.steps_of(db(), [d["id"] for d in rows]):
        if step["action"] in ("start", "hand_over"):
            sent.setdefault(step["dossier_id"], step["at"])
    unit_name = _unit_name()
    edition = edition_on(last)  # the register of a period: the edition of its last day
    template = edition.form("register")
    assert template is not None
    page = render_template(
        "desk/form_register.html",
        form=template,
        edition=edition,
        rows=rows,
        register_number=queries.register_number,  # the receipt's number (Form 01)
        sent=sent,
        first=first,
        last=last,
        error=error,
        unit=unit_name,
        place=forms.place_name(unit_name),
        office=forms.DESK_OFFICE,
        printed=now_utc(),
        form_title=template.title,
    )
    return page, 422 if error else 200


def _period_stats(strict: bool = False) -> tuple[stats.PeriodStats, str | None]:
    """The statistics of the request's period; with ``strict`` a malformed period is refused
    (a download must not silently hold another period's figures)."""
    first, last, error = _period()
    if error and strict:
        raise ValidationError(error, field="from")
    dossiers, steps = queries.for_statistics(db(), first, last)
    return stats.compute(dossiers, steps, first, last, now=now_utc()), error


@bp.get("/thong-ke")
@require()
def statistics() -> tuple[str, int]:
    """The period's statistics, with a bar chart and CSV / Excel downloads."""
    figures, error = _period_stats()
    today = now_utc().astimezone(VIETNAM).date()
    month_start = today.replace(day=1)
    previous_end = month_start - timedelta(days=1)
    shortcuts = [
        ("Tháng này", month_start, today),
        ("Tháng trước", previous_end.replace(day=1), previous_end),
        ("Năm nay", today.replace(month=1, day=1), today),
    ]
    page = render_template(
        "desk/stats.html",
        s=figures,
        lines=stats.lines(figures),
        chart=_chart(figures),
        error=error,
        shortcuts=shortcuts,
        args={"from": f"{figures.first:%d/%m/%Y}", "to": f"{figures.last:%d/%m/%Y}"},
    )
    return page, 422 if error else 200


CHART_BAR = 360  # the longest bar, in SVG units; labels take 220 on its left


def _chart(s: stats.PeriodStats) -> dict[str, Any]:
    """Geometry of the horizontal bar chart: one bar per figure, groups a little apart.

    Every bar is labelled with its number, so colour is never the only cue.
    """
    groups = [
        [("Kỳ trước chuyển sang", s.carried_over, "neutral")],
        [
            ("Tiếp nhận trực tiếp", s.received_in_person, "received"),
            ("Tiếp nhận trực tuyến", s.received_online, "received"),
            ("Tiếp nhận qua bưu chính", s.received_postal, "received"),
        ],
        [
            ("Giải quyết trước hạn", s.early, "good"),
            ("Giải quyết đúng hạn", s.on_time, "good"),
            ("Giải quyết quá hạn", s.late, "late"),
        ],
        [
            ("Đang giải quyết, trong hạn", s.in_progress_within, "received"),
            ("Đang giải quyết, quá hạn", s.in_progress_late, "late"),
        ],
        [
            ("Chờ bổ sung giấy tờ", s.awaiting_supplement, "waiting"),
            ("Công dân rút hồ sơ", s.withdrawn, "neutral"),
            ("Dừng xử lý", s.stopped, "neutral"),
        ],
    ]
    top = max((value for group in groups for _l, value, _k in group), default=0) or 1
    rows, y = [], 8
    for group in groups:
        for label, value, kind in group:
            width = round(CHART_BAR * value / top, 1)
            rows.append({"label": label, "value": value, "kind": kind, "y": y, "width": width})
            y += 26
        y += 10
    return {"rows": rows, "height": y, "bar": CHART_BAR}


def _download(body: bytes, mimetype: str, figures: stats.PeriodStats, ext: str) -> Response:
    name = f"thong-ke-{figures.first:%Y%m%d}-{figures.last:%Y%m%d}.{ext}"
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.get("/thong-ke.csv")
@require()
def statistics_csv() -> Response:
    """The period's statistics as CSV (UTF-8 with BOM, for Excel)."""
    figures, _error = _period_stats(strict=True)
    body = stats.to_csv(figures, _unit_name())
    return _download(body, "text/csv", figures, "csv")


@bp.get("/thong-ke.xlsx")
@require()
def statistics_xlsx() -> Response:
    """The period's statistics as an Excel workbook."""
    figures, _error = _period_stats(strict=True)
    body = stats.to_xlsx(figures, _unit_name())
    mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(body, mimetype, figures, "xlsx")


# -- public lookup ---------------------------------------------------------------------------


@bp.get("/tra-cuu")
def lookup_form() -> Any:
    """No login: the form to look a dossier up by its code."""
    code = request.args.get("code", "").strip()
    if code:
        return redirect(url_for("desk.lookup", code=code.upper()))
    return render_template("desk/lookup.html", found=None)


@bp.get("/tra-cuu/<code>")
def lookup(code: str) -> str:
    """No login, rate-limited: a dossier's status by its code, showing exactly what the public
    API gives (the applicant's name masked, no staff names)."""
    found = public_dossier(code).get_json()  # rate-limits and 404s as the API does
    return render_template("desk/lookup.html", found=found)
