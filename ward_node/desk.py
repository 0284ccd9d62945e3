"""The desk's pages: work lists, printable forms, the dossier register, statistics, and the
public status lookup.

Forms follow DOMAIN.md, "Forms to print" (01 receipt, 02 supplement request, 03 refusal,
04 apology with a new date, 06 control slip, 07 register): A4 pages with the national header,
styled for print by ``static/print.css``. The receipt carries a QR code of the public lookup
address, drawn as inline SVG (no image file, no script).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import qrcode
from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from markupsafe import Markup
from qrcode.image.svg import SvgPathImage

from sync import Conflict, NotFound, get_meta

from . import api, queries, stats
from .deadlines import VIETNAM
from .dossiers import Dossiers, now_utc, staff
from .web import current_user, db, require, state

bp = Blueprint("desk", __name__)

FORMS = {
    "01": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    "02": "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
    "03": "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
    "04": "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
    "06": "Phiếu kiểm soát quá trình giải quyết hồ sơ",
}
PAPER_KINDS = {
    "original": "Bản chính",
    "copy": "Bản sao",
    "certified_copy": "Bản sao chứng thực",
    "original_or_copy": "Bản chính hoặc bản sao",
}
LIMIT_UNITS = {
    "working_days": "ngày làm việc",
    "working_hours": "giờ làm việc",
    "calendar_days": "ngày",
}
DESK_OFFICE = "Bộ phận Tiếp nhận và Trả kết quả"
QUEUES = {
    "today": "Hôm nay",
    "mine": "Hồ sơ của tôi",
    "overdue": "Quá hạn",
    "due_soon": "Sắp đến hạn",
}


def _dossiers() -> Dossiers:
    return Dossiers(db(), state().clock)


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
    """The forms that apply to ``dossier`` (a record with its ``steps``): code, title, address."""
    return [
        {
            "code": code,
            "title": FORMS[code],
            "url": url_for("desk.form", dossier_id=dossier["id"], form=code),
        }
        for code in FORMS
        if _applies(code, dossier)
    ]


def _applies(code: str, dossier: dict[str, Any]) -> bool:
    actions = {s["action"] for s in dossier.get("steps", [])}
    accepted = int(dossier["status"]) not in (1, 3)
    return {
        "01": accepted,
        "02": "request_supplement" in actions,
        "03": "refuse" in actions,
        "04": "extend" in actions or bool(dossier.get("original_due_at")),
        "06": accepted,
    }[code]


def _place(unit_name: str) -> str:
    """The place written before the date: "UBND phường Phú Hội" → "Phú Hội"."""
    place = re.sub(r"^\s*(UBND|Ủy ban nhân dân|Uỷ ban nhân dân)\s+", "", unit_name, flags=re.I)
    place = re.sub(r"^(phường|xã|thị trấn)\s+", "", place, flags=re.I).strip()
    return place or "Huế"


def _unit_name() -> str:
    return str(get_meta(db(), "unit_name", "") or "")


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
    names = {u["username"]: u["full_name"] for u in staff(db())}
    return render_template(
        "desk/queue.html", queue=name, queues=QUEUES, sections=sections, names=names, **extra
    )


# -- printable forms -------------------------------------------------------------------------


@bp.get("/dossiers/<dossier_id>/in/<form>")
@require()
def form(dossier_id: str, form: str) -> str:
    """One printable form of a dossier; 404 for an unknown form, 409 when it does not apply."""
    if form not in FORMS:
        raise NotFound(f"Không có mẫu in '{form}'. Các mẫu: {', '.join(FORMS)}.")
    dossier = _dossiers().get(dossier_id)
    if not _applies(form, dossier):
        raise Conflict(
            f"Hồ sơ {dossier['code']} chưa có {FORMS[form].lower()} "
            "ở trạng thái hoặc quá trình xử lý hiện nay."
        )
    unit_name = _unit_name()
    names = {u["username"]: u["full_name"] for u in staff(db())}
    steps = dossier["steps"]
    context: dict[str, Any] = {
        "d": dossier,
        "form_code": form,
        "form_title": FORMS[form],
        "unit": unit_name,
        "place": _place(unit_name),
        "office": DESK_OFFICE,
        "names": names,
        "receiver": _receiver(dossier, names),
        "due_day": queries.local_day(dossier.get("original_due_at") or dossier.get("due_at")),
    }
    if form == "01":
        procedure = queries.procedure_by_code(db(), dossier["procedure_code"]) or {}
        papers = procedure.get("papers") or []
        lookup = _lookup_url(dossier["code"])
        context.update(
            procedure=procedure,
            papers=[{**p, "kind_name": PAPER_KINDS.get(p.get("kind") or "", "")} for p in papers],
            sets=max((int(p.get("sets") or 1) for p in papers), default=1),
            limit=_limit_text(procedure),
            register_book=(queries.local_day(dossier["received_at"]) or date.today()).year,
            register_number=queries.register_number(dossier["code"]),
            return_place=_return_place(dossier, unit_name),
            lookup_url=lookup,
            qr=_qr_svg(lookup),
        )
    elif form == "02":
        step = _last(steps, "request_supplement")
        context.update(step=step, missing=_paper_lines(step.get("note")))
    elif form == "03":
        context.update(step=_last(steps, "refuse"))
    elif form == "04":
        context.update(
            step=_last(steps, "extend") or {}, original_due=dossier.get("original_due_at")
        )
    elif form == "06":
        context.update(rows=control_rows(dossier, names))
    return render_template(f"desk/form_{form}.html", **context)


def _lookup_url(code: str) -> str:
    """The public look-up address of a dossier: ``PUBLIC_LOOKUP_URL`` with ``{code}`` filled in
    when the node has one (an address citizens reach from outside the ward's LAN), else this
    node's own ``/tra-cuu/<code>``."""
    template = str(current_app.config.get("PUBLIC_LOOKUP_URL") or "")
    if template:
        return template.replace("{code}", code)
    return url_for("desk.lookup", code=code, _external=True)


def _last(steps: list[dict[str, Any]], action: str) -> dict[str, Any]:
    found = [s for s in steps if s["action"] == action]
    return found[-1] if found else {}


def _receiver(dossier: dict[str, Any], names: dict[str, str]) -> str:
    step = next((s for s in dossier["steps"] if s["to_status"] == 2), None)
    if step:
        return str(step.get("actor_name") or names.get(step["actor"], step["actor"]))
    creator = dossier.get("created_by") or ""
    return names.get(creator, creator)


def _limit_text(procedure: dict[str, Any]) -> str:
    """A procedure's time limit in words: "03 ngày làm việc", "Trong ngày", "4 giờ làm việc"."""
    if not procedure:
        return ""
    value = float(procedure.get("limit_value") or 0)
    unit = procedure.get("limit_unit") or "working_days"
    if value == 0 and unit == "working_days":
        return "Trong ngày"
    amount = f"{int(value):02d}" if value == int(value) else f"{value:g}".replace(".", ",")
    return f"{amount} {LIMIT_UNITS.get(unit, unit)}"


def _return_place(dossier: dict[str, Any], unit_name: str) -> str:
    method = dossier.get("return_method") or ("postal" if dossier["channel"] == "postal" else None)
    if method == "postal":
        return "Qua dịch vụ bưu chính công ích, tới địa chỉ của người nộp hồ sơ"
    if method == "electronic":
        return "Trực tuyến, qua tài khoản dịch vụ công của người nộp hồ sơ"
    return f"{DESK_OFFICE}, {unit_name}".rstrip(", ")


_BULLET = re.compile(r"^\s*(?:[-–•*+]|\d{1,2}[.)])\s*")


def _paper_lines(note: str | None) -> list[str]:
    """The missing papers written in a supplement request's note: one per line (or per ";"),
    without the bullets or numbers the clerk typed."""
    parts = re.split(r"[\n;]+", note or "")
    return [_BULLET.sub("", part).strip() for part in parts if _BULLET.sub("", part).strip()]


def _qr_svg(text: str) -> Markup:
    """``text`` as a QR code in inline SVG (medium error correction, 2-module quiet zone)."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, image_factory=SvgPathImage
    )
    code.add_data(text)
    code.make(fit=True)
    svg = code.make_image().to_string(encoding="unicode")
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg).replace(' id="qr-path"', "")
    label = f'<svg class="qr" role="img" aria-label="Mã QR: {Markup.escape(text)}" '
    return Markup(svg.replace("<svg ", label, 1))


CONTROL_ACTIONS = ("receive", "hand_over", "complete", "return")


def control_rows(dossier: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    """The control slip's rows (form 06): one per hand-over of the dossier, from whom, to whom,
    when, the deadline it is measured against and the result.

    The hand-overs are the reception (citizen → desk), each ``hand_over`` step, the result
    coming back to the desk (``complete``) and its return to the citizen. A step is measured
    against its ``step_deadline`` when set, else the dossier's due date (the original one when an
    apology moved it), by date as in the statistics; the reception has no result.
    """
    applicant = dossier["applicant"]["full_name"]
    due = dossier.get("original_due_at") or dossier.get("due_at")
    rows = []
    for step in dossier["steps"]:
        action = step["action"]
        if action not in CONTROL_ACTIONS:
            continue
        actor = str(step.get("actor_name") or names.get(step["actor"], step["actor"]))
        to = {
            "receive": actor,
            "hand_over": names.get(step.get("to_handler") or "", step.get("to_handler") or ""),
            "complete": DESK_OFFICE,
            "return": applicant,
        }[action]
        deadline = step.get("step_deadline") or due
        result = None
        if action != "receive":
            done, limit = queries.local_day(step["at"]), queries.local_day(deadline)
            if done and limit:
                result = "Trước hạn" if done < limit else "Đúng hạn" if done == limit else "Quá hạn"
        rows.append(
            {
                "step": step,
                "from": applicant if action == "receive" else actor,
                "to": to,
                "deadline": None if action == "receive" else deadline,
                "own_deadline": bool(step.get("step_deadline")),
                "result": result,
            }
        )
    return rows


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
    """Form 07: the dossier register for a date range, one row per dossier received."""
    first, last, error = _period()
    rows = queries.received_between(db(), first, last)
    unit_name = _unit_name()
    page = render_template(
        "desk/form_07.html",
        rows=rows,
        first=first,
        last=last,
        error=error,
        unit=unit_name,
        place=_place(unit_name),
        office=DESK_OFFICE,
        printed=now_utc(),
        form_title="Sổ theo dõi hồ sơ",
    )
    return page, 422 if error else 200


def _period_stats() -> tuple[stats.PeriodStats, str | None]:
    first, last, error = _period()
    dossiers, steps = queries.for_statistics(db(), first, last)
    return stats.compute(dossiers, steps, first, last, now=now_utc()), error


@bp.get("/thong-ke")
@require()
def statistics() -> tuple[str, int]:
    """The period's statistics, with a bar chart and CSV / Excel downloads."""
    figures, error = _period_stats()
    today = now_utc().astimezone(VIETNAM).date()
    month_start = today.replace(day=1)
    previous_end = month_start.fromordinal(month_start.toordinal() - 1)
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
    figures, _error = _period_stats()
    body = stats.to_csv(figures, _unit_name())
    return _download(body, "text/csv; charset=utf-8", figures, "csv")


@bp.get("/thong-ke.xlsx")
@require()
def statistics_xlsx() -> Response:
    """The period's statistics as an Excel workbook."""
    figures, _error = _period_stats()
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
    found = api.public_dossier(code).get_json()  # rate-limits and 404s as the API does
    return render_template("desk/lookup.html", found=found)
