"""Public disclosure of the one-stop desks' results (docs/portal.md, "Public disclosure"): the
results page (``/cong-khai/ket-qua``) and a ward's hall screen (``/man-hinh/<ward>``).

**Results.** Per ward and for the city, by month of a year: dossiers received, resolved on
time and late, and apology letters issued, as the rules on publicising one-stop results ask
(docs/domain.md, "Statistics": received excludes online submissions never received or refused;
on time compares the resolution date with the ORIGINAL due date, by Huế date), with a bar
chart drawn as inline SVG from the same figures as the table beside it.

**Hall screen.** What a ward shows on the screen of its one-stop hall: today's figures and the
dossiers ready to be returned, each by its code, the procedure and the applicant's name
masked (``sync.mask_name``) — no other personal data. The page refreshes itself in place:
``live.js`` fetches ``/api/v1/public/man-hinh/<ward>`` every :data:`HALL_REFRESH_SECONDS` and
replaces the parts it names with the HTML the server renders from the same templates, so the
screen never reloads under a reader's eyes (no ``<meta http-equiv="refresh">``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request

from office import VIETNAM, vn_datetime
from sync import NotFound, SyncError, fold, mask_name

from ..store import disclosure as figures_store
from ..web import db, state
from .pages import current_wards, refusal

bp = Blueprint("disclosure", __name__)
bp.errorhandler(SyncError)(refusal)

HALL_REFRESH_SECONDS = 30
HALL_READY_LIMIT = 60  # a screen shows so many; the count above says how many in all
MONTHS = range(1, 13)
FIRST_YEAR = 2020
RESULTS_CACHE_SECONDS = 60.0
_results_cache: dict[tuple[str, int], tuple[float, Year]] = {}


@dataclass
class Figures:
    """One ward's (or the city's) figures for a month or a year."""

    received: int = 0
    on_time: int = 0
    late: int = 0
    apologies: int = 0

    @property
    def resolved(self) -> int:
        return self.on_time + self.late

    @property
    def on_time_percent(self) -> str:
        """on time / resolved as "87,5"; "—" when nothing was resolved."""
        if not self.resolved:
            return "—"
        return f"{self.on_time * 100 / self.resolved:.1f}".replace(".", ",")

    def add(self, other: Figures) -> None:
        self.received += other.received
        self.on_time += other.on_time
        self.late += other.late
        self.apologies += other.apologies


@dataclass
class Year:
    """A year's figures: per ward and month, and the sums."""

    year: int
    by_ward: dict[str, dict[int, Figures]] = field(default_factory=dict)

    def month(self, unit: str | None, month: int) -> Figures:
        """The figures of ``unit`` (the city when None) for ``month``."""
        total = Figures()
        for code, months in self.by_ward.items():
            if unit is None or code == unit:
                total.add(months.get(month, Figures()))
        return total

    def total(self, unit: str | None) -> Figures:
        total = Figures()
        for month in MONTHS:
            total.add(self.month(unit, month))
        return total


def year_figures(year: int) -> Year:
    """Every ward's figures by month of ``year`` (Huế dates), as computed at most
    :data:`RESULTS_CACHE_SECONDS` ago in this process: the three queries read most of a
    year's dossiers (about 0.2 s on 100,000, bench/bench_disclosure.py), and published monthly
    figures need not be fresher than a minute."""
    key = (str(state().data_dir), year)
    now = time.monotonic()
    cached = _results_cache.get(key)
    if cached is not None and now - cached[0] < RESULTS_CACHE_SECONDS:
        return cached[1]
    found = _year_figures(year)
    _results_cache[key] = (now, found)
    return found


def _year_figures(year: int) -> Year:
    conn = db()
    found = Year(year)

    def cell(row: dict[str, Any]) -> Figures | None:
        if not 1 <= row["month"] <= 12:
            return None
        return found.by_ward.setdefault(row["unit"], {}).setdefault(row["month"], Figures())

    for row in figures_store.received_by_month(conn, year):
        if (c := cell(row)) is not None:
            c.received += row["n"]
    for row in figures_store.resolved_by_month(conn, year):
        if (c := cell(row)) is not None:
            if row["on_time"]:
                c.on_time += row["n"]
            else:
                c.late += row["n"]
    for row in figures_store.apologies_by_month(conn, year):
        if (c := cell(row)) is not None:
            c.apologies += row["n"]
    return found


def chart(months: list[tuple[int, Figures]]) -> dict[str, Any]:
    """The bar chart's geometry: per month a bar of dossiers received and a bar of those
    resolved, on time below late; heights in the SVG's units, scaled to the largest."""
    # Four grid steps of whole dossiers: the axis never labels a fraction.
    step = max(1, -(-max([max(f.received, f.resolved) for _, f in months] + [1]) // 4))
    top = 4 * step
    height, width = 200, 48
    bars = []
    for i, (month, f) in enumerate(months):
        x = 40 + i * width

        def h(n: int) -> int:
            return round(n * height / top)

        bars.append(
            {
                "month": month,
                "x": x,
                "received": {"y": 20 + height - h(f.received), "h": h(f.received)},
                "on_time": {"y": 20 + height - h(f.on_time), "h": h(f.on_time)},
                "late": {"y": 20 + height - h(f.on_time) - h(f.late), "h": h(f.late)},
                "figures": f,
            }
        )
    ticks = [{"value": step * k, "y": 20 + height - round(height * k / 4)} for k in range(5)]
    return {
        "bars": bars,
        "ticks": ticks,
        "width": 40 + len(months) * width + 10,
        "base": 20 + height,
    }


def _year_arg(today: date) -> int:
    try:
        year = int(request.args.get("nam", today.year))
    except ValueError:
        year = today.year
    return min(max(year, FIRST_YEAR), today.year)


@bp.get("/cong-khai/ket-qua")
def results() -> str:
    """The results of a year (``?nam=``), for the city or one ward (``?phuong=``), with the
    wards side by side for one month (``?thang=``, by default the last month of the year
    that has begun)."""
    today = datetime.now(VIETNAM).date()
    year = _year_arg(today)
    wards = sorted(current_wards(), key=lambda w: fold(w["name"]))
    names = {w["code"]: w["name"] for w in wards}
    unit = request.args.get("phuong") or None
    if unit not in names:
        unit = None
    last_month = today.month if year == today.year else 12
    try:
        month = int(request.args.get("thang", last_month))
    except ValueError:
        month = last_month
    month = min(max(month, 1), last_month)
    data = year_figures(year)
    months = [(m, data.month(unit, m)) for m in MONTHS if m <= last_month]
    ward_rows = [(w, data.month(w["code"], month)) for w in wards]
    return render_template(
        "public/results.html",
        year=year,
        years=list(range(today.year, FIRST_YEAR - 1, -1)),
        month=month,
        last_month=last_month,
        unit=unit,
        scope=names.get(unit or "", "Toàn thành phố"),
        wards=wards,
        months=months,
        total=data.total(unit),
        ward_rows=ward_rows,
        month_total=data.month(None, month),
        chart=chart(months),
    )


def _ward(code: str) -> dict[str, Any]:
    found = current_wards("AND code = ?", (code,))
    if not found:
        raise NotFound("Không có phường này. Hãy kiểm tra lại mã phường trong địa chỉ màn hình.")
    return found[0]


def _hall(ward: dict[str, Any]) -> dict[str, Any]:
    now = datetime.now(VIETNAM)
    conn = db()
    ready = [
        {
            "code": d["code"],
            "name": mask_name(str((d["applicant"] or {}).get("full_name") or "")),
            "procedure": d.get("procedure_name") or "",
            "completed_at": d["completed_at"],
        }
        for d in figures_store.ready_for_return(conn, ward["code"], HALL_READY_LIMIT)
    ]
    return {
        "ward": ward,
        "figures": figures_store.hall_figures(conn, ward["code"], now.date()),
        "ready": ready,
        "updated": now.astimezone(UTC).isoformat(timespec="seconds"),
        "updated_text": vn_datetime(now),
    }


def refresh_seconds(default: int) -> int:
    """The refresh period a screen's address asks for (``?lam-moi=`` seconds, 5 to 300),
    else ``default``: a hall with a slow line may want it slower."""
    try:
        return min(max(int(request.args.get("lam-moi", default)), 5), 300)
    except ValueError:
        return default


@bp.get("/man-hinh/<code>")
def hall(code: str) -> str:
    """The hall screen of the ward ``code`` (refreshed every ``?lam-moi=`` seconds)."""
    refresh = refresh_seconds(HALL_REFRESH_SECONDS)
    return render_template("public/hall.html", refresh=refresh, **_hall(_ward(code)))


@bp.get("/api/v1/public/man-hinh/<code>")
def hall_data(code: str) -> Response:
    """The hall screen's parts, rendered, for ``live.js``: ``{"updated", "parts": {id: html}}``
    (the same templates as the page); 404 JSON for an unknown ward."""
    context = _hall(_ward(code))
    return jsonify(
        {
            "updated": context["updated"],
            "parts": {
                "hall-figures": render_template("public/_hall_figures.html", **context),
                "hall-ready": render_template("public/_hall_ready.html", **context),
                "hall-updated": context["updated_text"],
            },
        }
    )
