"""The citizens' pages at the hub (online public service, issue [6] "Citizens"): the portal's
home (``/``), the dossier look-up (``/tra-cuu`` and ``/tra-cuu/<code>``) and the error page
every public address shows instead of JSON. Online submission is ``submission.py``.

The look-up shows what the public API shows (``lookup.py``: the name masked, no staff names,
rate-limited), as a page with times in Huế time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for

from office import VIETNAM, vn_date, vn_datetime, vnd
from sync import NotFound, SyncError
from webapp import RateLimited, error_json

from ..store.records import active_procedure_count
from ..web import db, records
from . import lookup as public

bp = Blueprint("portal", __name__)


LIMIT_UNITS = {
    "working_days": "ngày làm việc",
    "working_hours": "giờ làm việc",
    "calendar_days": "ngày",
}
PAPER_KINDS = {
    "original": "bản chính",
    "copy": "bản sao",
    "certified_copy": "bản sao chứng thực",
    "original_or_copy": "bản chính hoặc bản sao",
}


@bp.app_template_filter("vn_datetime")
def _vn_datetime(value: Any) -> str:
    return vn_datetime(value)


@bp.app_template_filter("vn_date")
def _vn_date(value: Any) -> str:
    return vn_date(value)


@bp.app_template_filter("vnd")
def _vnd(value: Any) -> str:
    return vnd(value)


def time_limit(procedure: dict[str, Any]) -> str:
    """A procedure's time limit as a citizen reads it: "5 ngày làm việc", "trong ngày"."""
    value = float(procedure.get("limit_value") or 0)
    if value == 0:
        return "trong ngày"
    number = str(int(value)) if value == int(value) else str(value).replace(".", ",")
    return f"{number} {LIMIT_UNITS.get(procedure.get('limit_unit', ''), '')}".strip()


def current_wards(where: str = "", params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Wards whose validity has not ended (today in Huế), optionally narrowed by ``where``."""
    today = datetime.now(VIETNAM).date().isoformat()
    return records(
        "unit",
        f"WHERE kind = 'ward' AND (valid_to IS NULL OR valid_to >= ?) "
        f"AND (valid_from IS NULL OR valid_from <= ?) {where}",
        (today, today, *params),
    )


@bp.get("/")
def home() -> str:
    """The portal's home: look up a dossier, or submit one online."""
    count = active_procedure_count(db())
    return render_template("public/home.html", procedures=count, wards=len(current_wards()))


@bp.get("/tra-cuu")
def lookup_form() -> Response | str:
    """The look-up form; with ``?code=`` it goes to that dossier's page."""
    code = " ".join(request.args.get("code", "").split()).upper()
    if code:
        return redirect(url_for("portal.lookup", code=code))
    return render_template("public/lookup.html", found=None, error=None, code="")


@bp.get("/tra-cuu/<code>")
def lookup(code: str) -> tuple[str, int] | str:
    """A dossier's status and steps for the citizen (the public look-up's data, as a page)."""
    try:
        data = public.dossier(code).get_json()
    except NotFound as exc:
        return render_template("public/lookup.html", found=None, error=exc.message, code=code), 404
    except RateLimited as exc:
        return render_template("public/lookup.html", found=None, error=exc.message, code=code), 429
    return render_template("public/lookup.html", found=data, error=None, code=data["code"])


def error_page(status: int, message: str) -> tuple[str, int]:
    """A public address that failed, as a page (not JSON) with the way back."""
    return render_template("public/error.html", status=status, message=message), status


def refusal(exc: SyncError) -> Any:
    """A refusal raised by a portal view: JSON under ``/api/`` (the machines' addresses),
    else the portal's error page."""
    if request.path.startswith("/api/"):
        return error_json(exc.status, exc.code, exc.message, **exc.details)
    return error_page(exc.status, exc.message)
