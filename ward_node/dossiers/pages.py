"""The dossier pages: the dossier list and search (the ward's home page), the reception form,
a dossier's page with the actions its status allows; also login and logout, and what every
template reads (labels, ``may``, the sync status, the count of open conflicts). Server-rendered,
assets served locally.

The ward's ``pages`` blueprint also carries the conflict pages (``conflicts/pages.py``)."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from office import display_phone, fee_for, form_time
from sync import SyncError, ValidationError, atomic, get_meta, read_status
from webapp import AccountDisabled, LoginRefused, LoginThrottled, authenticate

from .. import conflicts
from ..attachments import accept_upload, attach, check_upload_size
from ..attachments.pages import UPLOADERS, describe_files
from ..conflicts.pages import add_to as add_conflict_pages
from ..permissions import ROLE_NAMES, check, may
from ..web import check_csrf, client_address, current_user, db, login_user, require
from .actions import ACTIONS
from .catalogue import find_procedure
from .current import dossiers
from .papers import EDITABLE_STATUSES, checklist_rows, papers_from_form, record_papers
from .rules import CHANNELS, RETURN_METHODS, STATUS_NAMES, STEP_NAMES
from .service import Dossiers, staff

bp = Blueprint("pages", __name__)
# The applicant's fields of the reception form, named applicant_<field>.
APPLICANT_FIELDS = ("full_name", "id_number", "birth_year", "sex", "phone", "address", "email")
# The base template names the conflict list ``pages.open_conflicts``: it rides on this blueprint.
add_conflict_pages(bp)


def _dossiers() -> Dossiers:
    return dossiers()


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    status = read_status(db()) if current_user() else None
    return {
        "STATUS_NAMES": STATUS_NAMES,
        "STEP_NAMES": STEP_NAMES,
        "ROLE_NAMES": ROLE_NAMES,
        # A person by full name wherever the store keeps a username (issue [11]).
        "person": person_name,
        "CHANNELS": CHANNELS,
        "RETURN_METHODS": RETURN_METHODS,
        "display_phone": display_phone,
        "sync_status": status,
        "unit_name": get_meta(db(), "unit_name", ""),
        # Templates show a button only when the desk's rules let this user use it.
        "may": lambda action, record=None: may(current_user(), action, record),
        # Every page reminds that conflicts wait for a decision (docs/conflicts.md).
        "open_conflict_count": conflicts.open_count(db()) if current_user() else 0,
    }


def person_name(username: str | None) -> str:
    """The full name of a ward account (its username when it has none), the citizen for a
    file or step from the portal, ``""`` for nobody; the names are read once a request."""
    if not username:
        return ""
    if "person_names" not in g:
        g.person_names = {p["username"]: p["full_name"] for p in staff(db())}
    names: dict[str, str] = g.person_names
    return names.get(username) or UPLOADERS.get(username) or username


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Log in with a username and password (throttled after repeated failures)."""
    error, status = None, 200
    if request.method == "POST":
        check_csrf()
        try:
            user = authenticate(
                db(),
                request.form.get("username", ""),
                request.form.get("password", ""),
                client_address(),
            )
        except (LoginRefused, LoginThrottled, AccountDisabled) as exc:
            error, status = exc.message, exc.status  # 401, or 429 while throttled, 403 disabled
        else:
            login_user(user)
            return redirect(_local_path(request.args.get("next") or "") or url_for("pages.index"))
    return render_template("login.html", error=error), status


def _local_path(target: str) -> str | None:
    """``target`` if it is a path on this site, else ``None`` (no open redirect after login).

    Besides "//host", refuse backslashes and control characters: browsers read "/\\host" as
    "//host", and a tab in "/<TAB>/host" is dropped on its way to the Location header.
    """
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    return target


@bp.post("/logout")
@require()
def logout() -> Response:
    """End the session."""
    session.clear()
    return redirect(url_for("pages.login"))


@bp.get("/")
@require()
def index() -> str:
    """The dossier list, newest first, with search and status filter."""
    q = request.args.get("q", "")
    status = request.args.get("status", type=int)
    if status not in STATUS_NAMES:  # a filter the page does not offer lists every status
        status = None
    overdue = request.args.get("overdue") == "1"
    items, next_cursor = _dossiers().search(
        q, status, True if overdue else None, 50, request.args.get("cursor") or None
    )
    return render_template(
        "dossiers/list.html",
        items=items,
        q=q,
        status=status,
        overdue=overdue,
        next_cursor=next_cursor,
    )


@bp.route("/dossiers/new", methods=["GET", "POST"])
@require()
def new_dossier() -> Any:
    """The reception form: procedure picker, the checklist of the papers handed in (one per
    procedure, the chosen one counts), applicant, channel."""
    check(current_user(), "dossier.receive")  # the rule the API and the domain apply too
    service = _dossiers()
    procedures = service.procedures()
    form: dict[str, Any] = {}
    error = None
    ticked: dict[str, list[dict[str, Any]]] = {}
    if request.method == "POST":
        form = request.form.to_dict()
        code = form.get("procedure_code") or ""
        chosen = next((p for p in procedures if p["code"] == code), None)
        data: dict[str, Any] = {
            "procedure_code": code,
            "channel": form.get("channel") or "in_person",
            "notes": form.get("notes"),
            "applicant": {key: form.get(f"applicant_{key}") for key in APPLICANT_FIELDS},
        }
        upload = request.files.get("file")
        try:
            user = current_user()
            assert user is not None
            if chosen is not None:
                # The chosen procedure's checklist: its fields are named after its code.
                ticked[code] = papers_from_form(form, chosen, f"{code}/")
                data["papers_received"] = ticked[code]
            # The scan handed in with the dossier is judged before anything is kept; a refused
            # file leaves neither the dossier nor its code (docs/security.md, "Files").
            check_upload_size()
            with atomic(db()):
                dossier = service.receive(data, user)
                if upload is not None and upload.filename:
                    sha, name = accept_upload(upload)
                    attach("dossier", dossier["id"], dossier["unit"], sha, name)
        except SyncError as exc:
            error = exc
        else:
            flash(f"Đã tiếp nhận hồ sơ {dossier['code']}.", "ok")
            return redirect(url_for("pages.dossier", dossier_id=dossier["id"]))
    status = (error.status if isinstance(error, SyncError) else 422) if error else 200
    checklists = {p["code"]: checklist_rows(p, ticked.get(p["code"])) for p in procedures}
    return render_template(
        "dossiers/new.html", procedures=procedures, form=form, error=error, checklists=checklists
    ), status


@bp.get("/dossiers/<dossier_id>")
@require()
def dossier(dossier_id: str) -> str:
    """One dossier: its data, the papers handed in, its files (one shown in place:
    ``?tep=<attachment id>``), its timeline, the actions its status allows."""
    service = _dossiers()
    record = service.get(dossier_id)
    allowed = service.allowed_actions(record, current_user())
    open_conflicts = conflicts.open_on(db(), [("dossier", record)])
    people = staff(db())
    files = describe_files(record, {p["username"]: p["full_name"] for p in people})
    # The file shown in place: the one asked for (?tep=), else the first that can be shown.
    viewable = [f for f in files if f["view"]]
    shown = next((f for f in files if f["id"] == request.args.get("tep")), None)
    procedure = find_procedure(db(), record["procedure_code"])
    try:
        _fee, fee_lines = fee_for(
            procedure or {"fee": record.get("fee")}, record.get("papers_received")
        )
    except ValidationError:
        fee_lines = []  # a copy without its pages: the page shows the list, the fee as stored
    rows, extras = checklist_rows(procedure, record.get("papers_received"))
    return render_template(
        "dossiers/detail.html",
        d=record,
        actions=allowed,
        staff=people,
        files=files,
        shown=shown or (viewable[0] if viewable else None),
        conflicts=open_conflicts,
        conflicted=conflicts.fields_in_conflict(open_conflicts),
        procedure=procedure,
        fee_lines=fee_lines,
        papers_editable=int(record["status"]) in EDITABLE_STATUSES,
        checklist=(rows, extras),
    )


@bp.post("/dossiers/<dossier_id>/giay-to")
@require()
def dossier_papers(dossier_id: str) -> Response:
    """Correct the papers handed in (status 2 or 5) from the dossier page's checklist."""
    service = _dossiers()
    user = current_user()
    assert user is not None
    record = service.get(dossier_id)
    try:
        procedure = find_procedure(db(), record["procedure_code"])
        record_papers(service, dossier_id, papers_from_form(request.form, procedure), user)
    except SyncError as exc:
        flash(exc.message, "error")
    else:
        flash("Đã ghi giấy tờ đã nhận.", "ok")
    return redirect(url_for("pages.dossier", dossier_id=dossier_id) + "#sec-papers")


@bp.post("/dossiers/<dossier_id>/actions")
@require()
def dossier_action(dossier_id: str) -> Response:
    """Apply an action from the dossier page's buttons."""
    data = {k: v for k, v in request.form.items() if k != "csrf_token"}
    user = current_user()
    assert user is not None
    try:
        if data.get("action") == "extend":
            # Who may, before what was typed: a refused user learns the rule, not the format.
            check(user, ACTIONS["extend"].permission, _dossiers().get(dossier_id))
            # Typed dd/mm/yyyy hh:mm in the shared date entry; the API takes ISO 8601.
            new_due = form_time(data.get("new_due_at") or "", "new_due_at", "Ngày hẹn trả mới")
            data["new_due_at"] = new_due.isoformat() if new_due else ""
        _dossiers().act(dossier_id, data, user)
    except SyncError as exc:
        flash(exc.message, "error")
    else:
        label = ACTIONS[data["action"]].label if data.get("action") in ACTIONS else ""
        flash(f"Đã thực hiện: {label}.", "ok")
    return redirect(url_for("pages.dossier", dossier_id=dossier_id))
