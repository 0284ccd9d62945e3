"""The city's directives on a big screen (``/console/man-hinh-chi-dao``): the directives the
city office issued, counted by lead unit as done on time, done late, overdue, due within three
days and within the deadline (``office.time_class``, the rule of the directives' pages), and
the overdue ones listed, longest overdue first.

It is behind the console's login: directives are the city's internal steering (their titles,
the units that are late, the leaders' names), not the one-stop results the rules ask to
publish (those are the portal's ``/cong-khai/ket-qua``). A screen in the city office's
meeting room signs in once, as any console user (docs/portal.md, "Directives screen").

The page refreshes itself in place like the wards' hall screens (``static/live.js``): every
:data:`REFRESH_SECONDS` it fetches ``/console/api/man-hinh-chi-dao``, the same parts rendered
by the same templates, so nothing reloads; an ended session answers 401 and the screen keeps
what it shows, marked stale.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Response, jsonify, render_template

from office import VIETNAM, vn_datetime

from ..city import directives
from ..portal.disclosure import refresh_seconds
from ..web import console_blueprint, login_required, state, unit_names

bp = console_blueprint("console_bigscreen", __name__, "/console")

REFRESH_SECONDS = 30
COLUMNS = {
    "done_on_time": "Hoàn thành đúng hạn",
    "done_late": "Hoàn thành trễ hạn",
    "overdue": "Quá hạn",
    "due_soon": "Sắp đến hạn",
    "within": "Trong hạn",
    "no_deadline": "Không có hạn",
}
OVERDUE_SHOWN = 15


def board() -> dict[str, Any]:
    """The screen's figures: ``units`` (lead unit, name, counts per time class), ``total``,
    ``overdue`` (the longest overdue first, each with its days late) and the time shown."""
    now = datetime.now(VIETNAM)
    city = state().unit
    names = unit_names()
    items = [d for d in directives.directives() if d["unit"] == city and d["time_class"]]
    units: dict[str, dict[str, int]] = {}
    for d in items:
        counts = units.setdefault(d["lead_unit"], dict.fromkeys(COLUMNS, 0))
        counts[d["time_class"]] = counts.get(d["time_class"], 0) + 1
    rows: list[dict[str, Any]] = sorted(
        ({"unit": u, "name": names.get(u, u), "counts": c} for u, c in units.items()),
        key=lambda r: (-r["counts"]["overdue"], -r["counts"]["done_late"], r["name"]),
    )
    total = {k: sum(r["counts"][k] for r in rows) for k in COLUMNS}
    overdue = sorted(
        (d for d in items if d["time_class"] == "overdue"), key=lambda d: d["deadline"]
    )
    late = [
        {
            "title": d["title"],
            "lead": names.get(d["lead_unit"], d["lead_unit"]),
            "deadline": d["deadline"],
            "days": (now.date() - date.fromisoformat(str(d["deadline"])[:10])).days,
        }
        for d in overdue[:OVERDUE_SHOWN]
    ]
    return {
        "columns": COLUMNS,
        "rows": rows,
        "total": total,
        "overdue": late,
        "overdue_count": len(overdue),
        "updated_text": vn_datetime(now),
    }


@bp.get("/man-hinh-chi-dao")
@login_required()
def screen() -> str:
    """The big screen of the city's directives."""
    refresh = refresh_seconds(REFRESH_SECONDS)
    return render_template("console/bigscreen.html", refresh=refresh, **board())


@bp.get("/api/man-hinh-chi-dao")
@login_required()
def screen_data() -> Response:
    """The screen's parts, rendered, for ``live.js``: ``{"parts": {id: html}}``."""
    context = board()
    return jsonify(
        {
            "updated": context["updated_text"],
            "parts": {
                "board-units": render_template("console/_bigscreen_units.html", **context),
                "board-overdue": render_template("console/_bigscreen_overdue.html", **context),
                "board-updated": context["updated_text"],
            },
        }
    )
