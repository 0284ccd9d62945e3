"""The ward's official-document pages (Vietnamese): incoming and outgoing registers, a document
with its actions and each recipient's status, the draft/registration form, and the printable
registers (sổ đăng ký văn bản đến / đi). The rules live in ``service.py``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from office import form_day
from sync import SyncError

from .. import conflicts
from ..desk import place_name
from ..desk.pages import _period, _unit_name
from ..dossiers import now_utc, staff
from ..permissions import LEADER
from ..web import current_user, db, require, state
from .outside import known_agencies
from .reading import CODE_NAMES, COMPETENCE, SECRECY, STATUS_NAMES, TYPE_CODES, URGENCY, leaders
from .service import Documents

bp = Blueprint("documents", __name__, url_prefix="/van-ban")


def _docs() -> Documents:
    return Documents(db(), state().clock)


def _user() -> Any:
    user = current_user()
    assert user is not None  # guaranteed by @require
    return user


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {
        "DOC_STATUS": STATUS_NAMES,
        "DOC_CODES": CODE_NAMES,
        "DOC_URGENCY": URGENCY,
        "DOC_SECRECY": SECRECY,
        "DOC_COMPETENCE": COMPETENCE,
        "DOC_TYPES": TYPE_CODES,
    }


@bp.context_processor
def _waiting() -> dict[str, Any]:
    """For a leader, how many incoming documents were presented to them and wait for their
    assignment: the documents section's tab shows it on every page of the section."""
    user = current_user()
    if user is None or user.role != LEADER:
        return {"waiting_count": None}
    found, _more = _docs().search("incoming", limit=10_000, user=user, waiting_for=user.username)
    return {"waiting_count": len(found)}


def _list(direction: str, waiting_for: str | None = None) -> str:
    q, status = request.args.get("q", ""), request.args.get("status", "")
    items, next_cursor = _docs().search(
        direction,
        q,
        status,
        50,
        request.args.get("cursor") or None,
        user=_user(),
        waiting_for=waiting_for,
    )
    return render_template(
        "documents/list.html",
        waiting=waiting_for is not None,
        direction=direction,
        items=items,
        q=q,
        status=status,
        next_cursor=next_cursor,
        names=_docs().unit_names(),
    )


@bp.get("/den")
@require()
def incoming() -> str:
    """Incoming documents: those addressed to the ward, and paper ones registered by hand."""
    return _list("incoming")


@bp.get("/cho-toi")
@require()
def waiting() -> str:
    """Incoming documents the văn thư presented to the logged-in leader, waiting for their
    assignment (docs/domain.md, "Incoming flow")."""
    return _list("incoming", waiting_for=_user().username)


@bp.get("/di")
@require()
def outgoing() -> str:
    """The ward's outgoing documents, drafts included."""
    return _list("outgoing")


@bp.route("/moi", methods=["GET", "POST"])
@require()
def new() -> Any:
    """Draft an outgoing document, or (clerk) register an incoming paper one."""
    direction = request.values.get("direction", "outgoing")
    form: dict[str, Any] = {}
    outside: list[tuple[str, str]] = []
    error = None
    if request.method == "POST":
        form = request.form.to_dict()
        skip = ("csrf_token", "edxml_organ", "edxml_name")
        data: dict[str, Any] = {k: v for k, v in form.items() if k not in skip and v != ""}
        data["units"] = request.form.getlist("units") or None
        # The outside agencies' rows: an OrganId beside its name (docs/edxml.md).
        outside = [
            (o, n)
            for o, n in zip(
                request.form.getlist("edxml_organ"),
                request.form.getlist("edxml_name"),
                strict=False,
            )
            if o.strip() or n.strip()
        ]
        data["edxml_to"] = [{"organ_id": o, "name": n} for o, n in outside]
        if data.get("copies"):
            data["copies"] = int(data["copies"]) if str(data["copies"]).isdigit() else None
        try:
            if data.get("issued_on"):  # typed dd/mm/yyyy in the shared date entry
                issued = form_day(data["issued_on"], "issued_on", "Ngày văn bản")
                data["issued_on"] = issued.isoformat() if issued else None
            doc = _docs().create(data, _user())
        except SyncError as exc:
            error = exc
        else:
            flash(f"Đã lưu văn bản {doc['symbol']}.", "ok")
            return redirect(url_for("documents.detail", doc_id=doc["id"]))
    units = _docs().addressees()
    return render_template(
        "documents/new.html",
        direction=direction,
        form=form,
        error=error,
        units=units,
        form_outside=outside,
        known=known_agencies(db(), _docs().unit),
    ), (422 if error else 200)


@bp.get("/<doc_id>")
@require()
def detail(doc_id: str) -> str:
    """One document: its data, the actions its state allows, and each recipient's status."""
    doc = _docs().get(doc_id, _user())  # its actions: those this user may take now
    open_conflicts = conflicts.open_on(
        db(), [("document", doc), ("document_receipt", doc.get("receipt"))]
    )
    return render_template(
        "documents/detail.html",
        d=doc,
        actions=doc["actions"],
        staff=staff(db()),
        leaders=leaders(db()),
        people={p["username"]: p["full_name"] for p in staff(db())},
        names=_docs().unit_names(),
        conflicts=open_conflicts,
        conflicted=conflicts.fields_in_conflict(open_conflicts),
    )


@bp.post("/<doc_id>/thao-tac")
@require()
def act(doc_id: str) -> Response:
    """Apply an action from the document page's buttons."""
    data: dict[str, Any] = {k: v for k, v in request.form.items() if k != "csrf_token"}
    if "coordinators" in data:
        data["coordinators"] = request.form.getlist("coordinators")
    try:
        if data.get("deadline"):  # typed dd/mm/yyyy in the shared date entry
            deadline = form_day(data["deadline"], "deadline", "Hạn xử lý")
            data["deadline"] = deadline.isoformat() if deadline else None
        _docs().act(doc_id, data, _user())
    except SyncError as exc:
        flash(exc.message, "error")
    else:
        flash("Đã thực hiện.", "ok")
    return redirect(url_for("documents.detail", doc_id=doc_id))


def _register(direction: str) -> tuple[str, int]:
    first, last, error = _period()
    docs = _docs()
    if direction == "incoming":
        rows = docs.incoming_register(first, last, _user())
        title = "Sổ đăng ký văn bản đến"
    else:
        rows = docs.outgoing_register(first, last, _user())
        title = "Sổ đăng ký văn bản đi"
    unit_name = _unit_name()
    page = render_template(
        "documents/register.html",
        direction=direction,
        rows=rows,
        first=first,
        last=last,
        error=error,
        unit=unit_name,
        place=place_name(unit_name),
        printed=now_utc(),
        form_title=title,
        names=docs.unit_names(),
    )
    return page, 422 if error else 200


@bp.get("/so-den")
@require()
def incoming_register() -> tuple[str, int]:
    """The printable incoming register for a date range (``from``, ``to``: dd/mm/yyyy)."""
    return _register("incoming")


@bp.get("/so-di")
@require()
def outgoing_register() -> tuple[str, int]:
    """The printable outgoing register for a date range (``from``, ``to``: dd/mm/yyyy)."""
    return _register("outgoing")
