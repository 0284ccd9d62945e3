"""The administrators' console (``/console``): Vietnamese pages over the hub's store.

A dashboard of the enrolled nodes, a page at a time with totals by state, filters and sorting
(``fleet.py``): each node's state derived from its last contact and its latest sync outcome,
what it last reported of itself, its keys, software and overdue dossiers, refreshed by
``console.js`` from ``/console/api/units``, a unit's page with its sync history
and key rotation, enrollment tokens (text and QR code) and revocation. Login is a session
cookie; every form post carries a CSRF token.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup

from office import VIETNAM, qr_svg, vn_datetime
from sync import SyncError, ValidationError, nfc
from webapp import authenticate

from .. import nodes, setup
from ..store import held, sync_history, upgrades
from ..store import nodes as store_nodes
from ..store import records as records_store
from ..web import (
    CONSOLE_ROLES,
    check_csrf,
    client_address,
    console_context,
    console_sync_error,
    db,
    login_required,
    login_user,
    logout_user,
)
from .fleet import Listing, fleet_page, page_context, summary_text
from .unit_state import unit_rows
from .unit_summary import log_page, unit_summary

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    # The hub's templates and static files stay in central_hub/ (one folder for every page).
    template_folder="../templates",
    static_folder="../static",
    static_url_path="/static",
)

EVENT_KINDS = {
    "push": "Gửi lên",
    "pull": "Nhận về",
    "rotate": "Đổi khóa",
    "recover": "Khôi phục",
    "blob_upload": "Gửi tệp",
    "blob_download": "Nhận tệp",
    "blob_status": "Hỏi tệp",
}


bp.context_processor(console_context)


bp.errorhandler(SyncError)(console_sync_error)


# -- login ------------------------------------------------------------------------------------


@bp.route("/dang-nhap", methods=["GET", "POST"])
def login() -> Any:
    """The login form; a successful login goes to ``next`` (within the console) or home."""
    error, status = None, 200
    username = ""
    target = request.values.get("next", "")
    if not target.startswith("/console") or target.startswith("//"):
        target = url_for("console.dashboard")
    if request.method == "POST":
        check_csrf()
        username = nfc(request.form.get("username", "")).strip()
        try:
            user = authenticate(db(), username, request.form.get("password", ""), client_address())
        except SyncError as exc:
            error, status = exc.message, exc.status  # 401, or 429 while throttled, 403 disabled
        else:
            if user.role not in CONSOLE_ROLES:
                error, status = "Tài khoản này không được dùng bảng điều khiển của thành phố.", 401
            else:
                login_user(user)
                return redirect(target)
    return render_template(
        "console/login.html", error=error, username=username, next=target
    ), status


@bp.post("/dang-xuat")
@login_required()
def logout() -> Response:
    """End the session."""
    logout_user()
    flash("Bạn đã đăng xuất.", "ok")
    return redirect(url_for("console.login"))


# -- dashboard and units ----------------------------------------------------------------------


@bp.get("/")
@login_required()
def dashboard() -> str:
    """The enrolled nodes, a page at a time: totals by state, filters, sorting (fleet.py)."""
    listing = Listing.from_args(request.args)
    got = fleet_page(listing, datetime.now(UTC))
    return render_template(
        "console/dashboard.html", units=got["items"], **page_context(listing, got)
    )


@bp.get("/api/units")
@login_required()
def api_units() -> Response:
    """The page of the same query string as JSON (polled by ``console.js``): its rows, the
    totals by state, how many nodes match and the page's place among them."""
    now = datetime.now(UTC)
    got = fleet_page(Listing.from_args(request.args), now)
    return jsonify({**got, "summary": summary_text(got), "at": vn_datetime(now.isoformat())})


def _unit_name(code: str) -> str | None:
    return records_store.unit_name(db(), code)


@bp.get("/don-vi/<unit>")
@login_required()
def unit(unit: str) -> Any:
    """One unit: a summary in words first (``unit_summary.py``), then its nodes, their keys,
    and its sync log a page at a time (``?truoc=<id>``: the rows older than that one)."""
    return _unit_page(unit)


def _unit_page(unit: str, error: str | None = None) -> Any:
    name = _unit_name(unit)
    rows = unit_rows(unit=unit)
    if name is None and not rows:
        from sync import NotFound

        raise NotFound(f"Không có đơn vị mã '{unit}'.")
    events, older = log_page(unit, request.args.get("truoc"))
    history = [
        {
            "at": r["at"],
            "node_id": r["node_id"],
            "kind": EVENT_KINDS.get(r["kind"], r["kind"]),
            "changes": r["changes"],
            "bytes": r["bytes"],
            "duration_ms": r["duration_ms"],
            "ok": r["outcome"] == "ok",
            "outcome": "Thành công" if r["outcome"] == "ok" else "Bị từ chối",
            "detail": r["detail"] or "",
        }
        for r in events
    ]
    quarantined = [
        {**q, "node_id": r["node_id"]} for r in rows for q in held.quarantined(db(), r["node_id"])
    ]
    return render_template(
        "console/unit.html",
        unit=unit,
        name=name or unit,
        nodes=rows,
        summary=unit_summary(unit, rows, len(quarantined)),
        history=history,
        older=older,
        newest=not request.args.get("truoc"),
        visits=[
            {
                **v,
                "last_kind": EVENT_KINDS.get(v["last_kind"], v["last_kind"]),
                "visits": f"{v['visits']:,}".replace(",", "."),
                "quiet": f"{v['quiet']:,}".replace(",", "."),
            }
            for v in sync_history.summary(db(), unit)
        ],
        history_days=int(current_app.config["HISTORY_DAYS"]),
        quarantined=quarantined,
        # What waits for the unit's nodes to be upgraded (docs/upgrades.md).
        upgrade_waits=upgrades.waiting_summary(db(), [r["node_id"] for r in rows]),
        error=error,
    ), (422 if error else 200)


@bp.post("/don-vi/<unit>/doi-khoa")
@login_required("admin")
def rotate(unit: str) -> Any:
    """Ask the unit's active nodes to rotate their keys at their next sync (with a confirmation)."""
    if request.form.get("confirm") != "yes":
        return _unit_page(unit, error="Hãy đánh dấu ô xác nhận để yêu cầu đổi khóa.")
    ids = nodes.request_rotation(db(), unit)
    flash(
        f"Đã yêu cầu {', '.join(ids)} đổi khóa. Nút sẽ đổi khóa ngay sau lần đồng bộ tới; "
        "nút đang mất liên lạc sẽ đổi khi kết nối lại.",
        "ok",
    )
    return redirect(url_for("console.unit", unit=unit))


def _hub_url() -> str:
    return str(current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")


@bp.route("/dang-ky", methods=["GET", "POST"])
@login_required("admin")
def enroll() -> str:
    """Create a one-time enrollment token for a unit, shown as text and as a QR code."""
    conn = db()
    today = datetime.now(VIETNAM).date().isoformat()
    units = records_store.units_valid_on(conn, today)  # units whose validity has not ended
    token = None
    enrolled = store_nodes.enrolled_units(conn)
    # Offered first: the first unit without a node, the usual reason to come here.
    chosen = request.values.get("unit") or next((c for c, _ in units if c not in enrolled), "")
    if request.method == "POST":
        code = request.form.get("unit", "").strip()
        name = _unit_name(code)
        if name is None:
            raise ValidationError(f"Không có đơn vị mã '{code}'.", field="unit")
        token = nodes.make_token(
            conn,
            unit=code,
            name=nfc(request.form.get("name", "")).strip() or name,
            hub_url=_hub_url(),
            hub_keys=setup.load_keys(Path(current_app.config["DATA"])),
            hours=int(current_app.config["ENROLL_TOKEN_HOURS"]),
        )
    pending = nodes.pending_tokens(conn)
    return render_template(
        "console/enroll.html",
        units=units,
        enrolled=enrolled,
        chosen=chosen,
        token=token,
        qr=Markup(qr_svg(token, "Mã QR của mã đăng ký")) if token else None,
        hours=int(current_app.config["ENROLL_TOKEN_HOURS"]),
        pending=pending,
    )


@bp.post("/dang-ky/<token_id>/huy")
@login_required("admin")
def cancel_token(token_id: str) -> Response:
    """Cancel an unused enrollment token (given to the wrong person, no longer needed)."""
    token = nodes.cancel_token(db(), token_id)
    flash(
        f"Đã hủy mã đăng ký số {token['id']} của {token['unit_name']} ({token['unit']}); "
        "mã này không còn dùng được.",
        "ok",
    )
    return redirect(url_for("console.enroll"))


@bp.route("/don-vi/<unit>/thu-hoi", methods=["GET", "POST"])
@login_required("admin")
def revoke(unit: str) -> Any:
    """Revoke a unit's active nodes: a confirmation page, then the post with a reason."""
    error = None
    reason = ""
    if request.method == "POST":
        reason = nfc(request.form.get("reason", "")).strip()
        if request.form.get("confirm") != "yes":
            error = "Hãy đánh dấu ô xác nhận để thu hồi."
        elif not reason:
            error = "Hãy ghi lý do thu hồi."
        else:
            ids = nodes.revoke_unit(db(), unit, reason)
            flash(f"Đã thu hồi quyền đồng bộ của {', '.join(ids)}.", "ok")
            return redirect(url_for("console.unit", unit=unit))
    active = [r for r in unit_rows(unit=unit) if r["status"] == "active"]
    status = 422 if error else 200
    return render_template(
        "console/revoke.html",
        unit=unit,
        name=_unit_name(unit) or unit,
        nodes=active,
        error=error,
        reason=reason,
    ), status
