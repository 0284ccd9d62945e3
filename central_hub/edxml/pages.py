"""The console's pages of documents from outside the city (``/console/dieu-hanh/lien-thong``;
docs/edxml.md): the list, and a document with its signature's verdict, its versions, its
files (Word and Excel only downloaded), the original message, the statuses written back, and
the city office clerk's actions on one addressed to the city (register, forward to wards,
refuse; once its sender recalled it, agree to or refuse the recall). Reading is for operators
and administrators; every action needs an administrator.
"""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for

from office import form_day
from sync import Conflict, NotFound, ValidationError, labels
from webapp import User

from ..city import documents as documents_api
from ..console.work import current_units, file_size
from ..files import blob_store, file_response
from ..store import edxml as store
from ..web import console_blueprint, console_user, db, login_required, records, state, unit_names
from . import clerk
from .api import exchange_info
from .message import BUSINESS_TYPES
from .outbound import wanted_codes

bp = console_blueprint("console_edxml", __name__, "/console/dieu-hanh/lien-thong")
CODE_NAMES = {
    "01": "Đã đến",
    "02": "Từ chối",
    "03": "Đã vào sổ",
    "04": "Đã phân công",
    "05": "Đang xử lý",
    "06": "Hoàn thành",
    "13": "Thu hồi",
    "15": "Đồng ý thu hồi",
    "16": "Từ chối thu hồi",
}


# The receipt's codes as the console says them (schemas/document_receipt.json).
STATUS_NAMES = {str(k).zfill(2): v for k, v in labels("document_receipt", "status_code").items()}


def _receipt(doc_id: str, unit: str) -> dict[str, Any] | None:
    found = records("document_receipt", "WHERE document_id = ? AND unit = ?", (doc_id, unit))
    return found[0] if found else None


@bp.get("/")
@login_required()
def outside_list() -> Any:
    """Documents from outside, newest first, with where each stands."""
    rows = store.outside_documents(db())
    ids = [r["document_id"] for r in rows]
    docs = {
        d["id"]: d
        for d in records("document", f"WHERE id IN ({', '.join('?' for _ in ids) or 'NULL'})", ids)
    }
    items = []
    for row in rows:
        doc = docs.get(row["document_id"])
        if doc is None:
            continue
        receipt = _receipt(doc["id"], row["addressed_unit"])
        code = receipt["status_code"] if receipt else "pending"
        items.append(dict(row, doc=doc, code=code))
    return render_template(
        "console/edxml_list.html",
        items=items,
        names=unit_names(),
        status_names=STATUS_NAMES,
    )


@bp.get("/<doc_id>")
@login_required()
def outside_document(doc_id: str) -> Any:
    """One document from outside, and the clerk's actions on it."""
    doc = documents_api.document(doc_id, _user())
    info = exchange_info(doc_id)
    if info["outside"] is None:
        raise NotFound("Văn bản này không đến từ trục liên thông.")
    unit = info["outside"]["addressed_unit"]
    receipt = _receipt(doc_id, unit)
    forwards = []
    for fwd in info["outside"]["forwards"]:
        copy = documents_api.document(fwd["forwarded_id"], _user())
        forwards.append(dict(fwd, doc=copy))
    sent = {m["code"] for m in info["messages"] if m["direction"] == "out"}
    statuses = {
        m["code"] for m in info["messages"] if m["direction"] == "out" and m["kind"] == "status"
    }
    at_city = unit == state().unit
    # The answer to the sender's recall (docs/edxml.md, "At the city office"): offered while
    # it can still go back, shown with the time its status went once it did.
    recall_open = at_city and clerk.recall_refusal(info["outside"], receipt, statuses) is None
    answer = [m for m in info["messages"] if m["kind"] == "status" and m["code"] in ("15", "16")]
    return render_template(
        "console/edxml_document.html",
        doc=doc,
        outside=info["outside"],
        messages=info["messages"],
        receipt=receipt,
        forwards=forwards,
        sent=sent,
        due=[c for c, _ in wanted_codes(receipt)],
        at_city=at_city,
        recall_open=recall_open,
        answer_sent=answer[-1] if answer else None,
        recall_answers=clerk.RECALL_ANSWERS,
        unit_name=unit_names().get(unit, unit),
        # Forwarded to wards (docs/edxml.md, "At the city office").
        units=[u for u in current_units() if u["kind"] == "ward"],
        file_size=file_size,
        code_names=CODE_NAMES,
        business_types=BUSINESS_TYPES,
        status_names=STATUS_NAMES,
        urgencies=labels("document", "urgency"),
    )


def _user() -> User:
    user = console_user()
    if user is None:  # login_required ran first
        raise NotFound("Hãy đăng nhập lại.")
    return user


def _back(doc_id: str) -> Any:
    return redirect(url_for("console_edxml.outside_document", doc_id=doc_id))


@bp.post("/<doc_id>/vao-so")
@login_required("admin")
def register(doc_id: str) -> Any:
    """Register it in the city's incoming register (status 03 to the sender)."""
    receipt = clerk.register(doc_id, _user())
    flash(f"Đã vào sổ văn bản đến, số đến {receipt['incoming_number']}.", "ok")
    return _back(doc_id)


@bp.post("/<doc_id>/chuyen")
@login_required("admin")
def forward(doc_id: str) -> Any:
    """Forward it to wards (status 04 to the sender)."""
    form = request.form
    try:
        deadline = form_day(form.get("deadline", ""), "deadline", "Hạn xử lý")
        copy = clerk.forward(
            doc_id,
            form.get("lead", ""),
            [u for u in form.getlist("others") if u != form.get("lead")],
            deadline.isoformat() if deadline else None,
            _user(),
        )
    except ValidationError as exc:
        flash(exc.message, "error")
        return _back(doc_id)
    flash(
        f"Đã chuyển văn bản tới {len(copy['units'])} đơn vị; các phường nhận được ở lần đồng bộ "
        "tới.",
        "ok",
    )
    return _back(doc_id)


@bp.post("/<doc_id>/tu-choi")
@login_required("admin")
def refuse(doc_id: str) -> Any:
    """Refuse it with a reason (status 02 to the sender)."""
    try:
        clerk.refuse(doc_id, request.form.get("note", ""), _user())
    except ValidationError as exc:
        flash(exc.message, "error")
        return _back(doc_id)
    flash("Đã từ chối văn bản và báo lại cơ quan gửi.", "ok")
    return _back(doc_id)


@bp.post("/<doc_id>/tra-loi-thu-hoi")
@login_required("admin")
def answer_recall(doc_id: str) -> Any:
    """Agree to (15) or refuse (16) the sender's recall, with a note (required to refuse)."""
    form = request.form
    choice = form.get("answer", "")
    if choice not in ("dong-y", "tu-choi"):
        flash("Hãy chọn Đồng ý thu hồi hoặc Từ chối thu hồi.", "error")
        return _back(doc_id)
    try:
        clerk.answer_recall(doc_id, choice == "dong-y", form.get("note", ""), _user())
    except (ValidationError, Conflict) as exc:
        flash(exc.message, "error")
        return _back(doc_id)
    said = "đồng ý thu hồi" if choice == "dong-y" else "từ chối thu hồi"
    flash(f"Đã {said} văn bản và báo lại cơ quan gửi.", "ok")
    return _back(doc_id)


@bp.get("/<doc_id>/tep/<attachment_id>")
@login_required()
def attachment(doc_id: str, attachment_id: str) -> Response:
    """A file of the document: a PDF or image opens in the page, Word and Excel download."""
    doc = documents_api.document(doc_id, _user())
    found = [a for a in doc["attachments"] if a["id"] == attachment_id]
    if not found or not blob_store().has(found[0]["sha256"]):
        raise NotFound("Không có tệp đính kèm này.")
    return file_response(found[0]["sha256"], found[0]["name"])


@bp.get("/<doc_id>/thong-diep/<message_id>")
@login_required("admin")
def original(doc_id: str, message_id: str) -> Response:
    """A message as it was taken in or written out, as a download."""
    row = store.message(db(), message_id)
    if row is None or row["document_id"] != doc_id or not blob_store().has(row["sha256"]):
        raise NotFound("Không có thông điệp này.")
    data = blob_store().path(row["sha256"]).read_bytes()
    name = row["file_name"] or f"thong-diep-{message_id[-12:]}.edxml"
    return Response(
        data,
        mimetype="application/xml",
        headers={
            "Content-Disposition": f'attachment; filename="{_ascii(name)}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "no-store",
        },
    )


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "-" for c in name)
