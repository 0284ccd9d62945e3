"""The console's city-wide statistics (``/console/thong-ke``): per ward for a period, the
dossiers received, resolved, resolved on time, the on-time rate and the overdue open ones, as a
ranked table and an inline SVG bar chart, with CSV and Excel downloads; and directive completion
per lead unit. The figures come from :mod:`central_hub.city_stats`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, render_template, request

from sync import Replica, SyncError, ValidationError, record_type

from . import city_stats, console
from .console_auth import login_required
from .web import db

bp = Blueprint("console_stats", __name__, url_prefix="/console")
bp.context_processor(console._globals)
bp.errorhandler(SyncError)(console._sync_error)


def _rows(type_name: str, where: str = "", params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    rtype = record_type(type_name)
    rows = db().execute(f"SELECT {', '.join(rtype.fields)} FROM {type_name} {where}", params)
    return [Replica.decode(rtype, r) for r in rows]


def _period() -> tuple[date, date, date]:
    """The period of ``?from=&to=`` (dd/mm/yyyy), by default this month so far; and today."""
    today = datetime.now(console.VIETNAM).date()
    try:
        first = city_stats.parse_day(request.args.get("from") or today.strftime("01/%m/%Y"))
        last = city_stats.parse_day(request.args.get("to") or today.strftime("%d/%m/%Y"))
    except ValueError:
        raise ValidationError(
            "Ngày phải có dạng ngày/tháng/năm, ví dụ 01/03/2026.", field="from"
        ) from None
    if last < first:
        raise ValidationError("Ngày kết thúc phải sau ngày bắt đầu.", field="to")
    return first, last, today


def _figures() -> tuple[list[city_stats.WardLine], date, date, date]:
    first, last, today = _period()
    dossiers = _rows("dossier")
    steps = _rows("dossier_step", "WHERE to_status = 9")
    return city_stats.ward_lines(dossiers, steps, first, last, today), first, last, today


@bp.get("/thong-ke")
@login_required()
def statistics() -> Any:
    """The statistics page."""
    lines, first, last, today = _figures()
    directives = city_stats.directive_lines(_rows("directive"), today)
    return render_template(
        "console/stats.html",
        lines=lines,
        directives=directives,
        first=first,
        last=last,
        percent=city_stats.percent_text,
        names=dict(db().execute("SELECT code, name FROM unit").fetchall()),
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
