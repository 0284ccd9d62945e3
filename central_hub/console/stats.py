"""The console's city-wide statistics (``/console/thong-ke``): per ward for a period, the
dossiers received, resolved, resolved on time, the on-time rate and the overdue open ones, as a
ranked table and an inline SVG bar chart, with CSV and Excel downloads; and directive completion
per lead unit. The figures come from :mod:`central_hub.dossiers.stats`.

The overdue list (``/console/thong-ke/qua-han``, ``?unit=`` for one ward) names every dossier
whose clock runs past its due time right now, the longest overdue first, with CSV and Excel
downloads (:mod:`central_hub.dossiers.overdue`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask import Response, render_template, request

from office import VIETNAM, form_day
from sync import ValidationError

from ..dossiers import overdue as overdue_data
from ..dossiers import stats as city_stats
from ..store.records import ward_codes
from ..web import console_blueprint, db, login_required, records, unit_names

bp = console_blueprint("console_stats", __name__, "/console")


def _period() -> tuple[date, date, date]:
    """The period of ``?from=&to=`` (dd/mm/yyyy), by default this month so far; and today."""
    today = datetime.now(VIETNAM).date()
    first = form_day(
        request.args.get("from") or today.strftime("01/%m/%Y"), "from", "Từ ngày", required=True
    )
    last = form_day(
        request.args.get("to") or today.strftime("%d/%m/%Y"), "to", "Đến ngày", required=True
    )
    if last < first:
        raise ValidationError("Ngày kết thúc phải sau ngày bắt đầu.", field="to")
    return first, last, today


def _figures() -> tuple[list[city_stats.WardLine], date, date, date]:
    first, last, today = _period()
    dossiers = records("dossier")
    steps = records("dossier_step", "WHERE to_status = 9")
    return city_stats.ward_lines(dossiers, steps, first, last, today), first, last, today


@bp.get("/thong-ke")
@login_required()
def statistics() -> Any:
    """The statistics page."""
    lines, first, last, today = _figures()
    directives = city_stats.directive_lines(records("directive"), today)
    return render_template(
        "console/stats.html",
        lines=lines,
        directives=directives,
        first=first,
        last=last,
        percent=city_stats.percent_text,
        names=unit_names(),
    )


def _download(body: bytes, mimetype: str, first: date, last: date, ext: str) -> Response:
    name = f"thong-ke-{first:%Y%m%d}-{last:%Y%m%d}.{ext}"
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.get("/thong-ke.csv")
@login_required()
def statistics_csv() -> Response:
    """The ranked table as CSV (UTF-8 with a BOM)."""
    lines, first, last, _ = _figures()
    body = city_stats.to_csv(lines, first, last)
    return _download(body, "text/csv; charset=utf-8", first, last, "csv")


@bp.get("/thong-ke.xlsx")
@login_required()
def statistics_xlsx() -> Response:
    """The ranked table as an Excel workbook."""
    lines, first, last, _ = _figures()
    body = city_stats.to_xlsx(lines, first, last)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(body, xlsx, first, last, "xlsx")


# -- the overdue list ------------------------------------------------------------------------

LIST_LIMIT = 500


@dataclass(frozen=True)
class OverdueView:
    """The overdue list of ``unit`` (every unit when ``None``) at ``now``."""

    lines: list[overdue_data.OverdueLine]
    total: int  # may exceed len(lines), which stops at LIST_LIMIT
    unit: str | None
    now: datetime
    names: dict[str, str]
    counts: dict[str, int]


def _overdue() -> OverdueView:
    """The overdue list of ``?unit=``; :class:`ValidationError` for an unknown unit."""
    now = datetime.now(UTC).replace(microsecond=0)
    now_iso = now.isoformat()
    names = unit_names()
    counts = overdue_data.overdue_counts(db(), now_iso)
    unit = request.args.get("unit", "").strip() or None
    if unit is not None and unit not in names and unit not in counts:
        raise ValidationError(
            f"Không có đơn vị mã '{unit}'. Hãy chọn đơn vị trong danh sách.", field="unit"
        )
    found = overdue_data.overdue_dossiers(db(), now_iso, unit=unit, limit=LIST_LIMIT)
    total = counts.get(unit, 0) if unit else sum(counts.values())
    return OverdueView(overdue_data.overdue_lines(found, names), total, unit, now, names, counts)


@bp.get("/thong-ke/qua-han")
@login_required()
def overdue() -> Any:
    """The dossiers overdue now across the city, or of one unit (``?unit=``)."""
    view = _overdue()
    wards = ward_codes(db())
    return render_template(
        "console/overdue.html",
        view=view,
        local_now=view.now.astimezone(city_stats.VIETNAM),
        choices=sorted({str(code) for code in wards} | set(view.counts)),
        limit=LIST_LIMIT,
    )


def _overdue_download(body: bytes, mimetype: str, view: OverdueView, ext: str) -> Response:
    local = view.now.astimezone(city_stats.VIETNAM)
    unit = f"-{view.unit}" if view.unit else ""
    name = f"ho-so-qua-han-{local:%Y%m%d-%H%M}{unit}.{ext}"
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.get("/thong-ke/qua-han.csv")
@login_required()
def overdue_csv() -> Response:
    """The overdue list as CSV (UTF-8 with a BOM)."""
    view = _overdue()
    body = overdue_data.to_csv(view.lines, view.now)
    return _overdue_download(body, "text/csv; charset=utf-8", view, "csv")


@bp.get("/thong-ke/qua-han.xlsx")
@login_required()
def overdue_xlsx() -> Response:
    """The overdue list as an Excel workbook."""
    view = _overdue()
    body = overdue_data.to_xlsx(view.lines, view.now)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _overdue_download(body, xlsx, view, "xlsx")
