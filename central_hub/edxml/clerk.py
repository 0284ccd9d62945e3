"""The city office's clerk on a document from outside addressed to the city (docs/edxml.md,
"At the city office"): register it in the city's incoming register (edXML 03), forward it to
wards for handling, a lead ward and others (04), or refuse it with a reason (02); once its
sender revoked or replaced it, answer the recall: agree (15) or refuse (16) with a note. The
city's own handling lives in its ``document_receipt`` like any addressee's; a forward is a
city document sent to the wards with the same fields and files, and the outside document is
finished (06) when the lead ward finishes its copy (``outbound.exchange_round``).

Each action writes its records in one transaction and then its status message to the outbox.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app

from office import VIETNAM
from sync import Conflict, NotFound, ValidationError, Write, atomic, clean_text, new_id, validate
from webapp import User

from ..store import capture
from ..store import edxml as store
from ..web import db, records, state
from . import outbound
from .context import now_iso


def _outside(
    doc_id: str, recalled: bool = False
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
    """The outside document addressed to the city office, its exchange row and the city's
    receipt; :class:`NotFound` or :class:`Conflict` otherwise (a recalled document too, unless
    ``recalled``: only its recall is answered)."""
    info = store.document_info(db(), doc_id)
    found = records("document", "WHERE id = ?", (doc_id,))
    if info is None or not found:
        raise NotFound("Không có văn bản liên thông này.")
    if info["addressed_unit"] != state().unit:
        raise Conflict(
            "Văn bản này gửi tới một đơn vị khác; đơn vị đó tiếp nhận và xử lý ở máy của mình.",
            code="edxml_not_city",
        )
    if found[0].get("recalled") and not recalled:
        raise Conflict(
            "Văn bản đã bị cơ quan gửi thu hồi; không xử lý tiếp được.", code="edxml_recalled"
        )
    receipts = records(
        "document_receipt", "WHERE document_id = ? AND unit = ?", (doc_id, state().unit)
    )
    return found[0], info, receipts[0] if receipts else None


def _receipt_write(doc_id: str, receipt: dict[str, Any] | None, fields: dict[str, Any]) -> Write:
    hub_unit = state().unit
    if receipt is None:
        receipt = {"id": new_id(), "unit": hub_unit, "document_id": doc_id}
        fields = {**receipt, "received_at": now_iso(), "coordinators": [], **fields}
    return Write("document_receipt", receipt["id"], hub_unit, fields)


def _registration(receipt: dict[str, Any] | None, user: User) -> dict[str, Any]:
    """The fields of registering (a number in this year's register of the city office)."""
    now = now_iso()
    year = datetime.now(VIETNAM).year
    used = store.last_incoming_number(db(), state().unit, year)
    return {
        "status_code": "04",
        "incoming_number": used + 1,
        "incoming_year": year,
        "secret": False,
        "registered_at": now,
        "receiver": state().name or "Văn phòng",
        "updated_by": user.username,
    }


def register(doc_id: str, user: User) -> dict[str, Any]:
    """Register the outside document in the city's incoming register; returns the receipt."""
    _doc, _info, receipt = _outside(doc_id)
    if receipt is not None and receipt.get("registered_at"):
        raise Conflict("Văn bản đã vào sổ văn bản đến.", code="edxml_registered")
    if receipt is not None and receipt["status_code"] == "02":
        raise Conflict("Văn bản đã bị từ chối.", code="edxml_refused_before")
    conn = db()
    with atomic(conn):
        write = _receipt_write(doc_id, receipt, _registration(receipt, user))
        capture(conn).write_many([write], actor=user.username)
    outbound.exchange_round()
    return write.fields


def refuse(doc_id: str, reason: str, user: User) -> None:
    """Refuse the outside document with ``reason`` (before it is forwarded)."""
    reason = clean_text(reason or "")
    if not reason:
        raise ValidationError("Hãy ghi lý do từ chối để báo lại cơ quan gửi.", field="note")
    _doc, _info, receipt = _outside(doc_id)
    if receipt is not None and receipt["status_code"] in ("05", "06", "02"):
        raise Conflict(
            "Văn bản đã được chuyển xử lý hoặc đã từ chối; không từ chối được nữa.",
            code="edxml_too_late",
        )
    conn = db()
    with atomic(conn):
        fields = {"status_code": "02", "note": reason[:2000], "updated_by": user.username}
        capture(conn).write_many([_receipt_write(doc_id, receipt, fields)], actor=user.username)
    outbound.exchange_round()


def forward(
    doc_id: str, lead: str, others: list[str], deadline: str | None, user: User
) -> dict[str, Any]:
    """Forward the outside document to ``lead`` (chủ trì) and ``others`` (phối hợp), with an
    optional ``deadline`` (ISO date): a city document to those wards with the outside
    document's fields and files; registers it first if needed. Returns the new document."""
    doc, _info, receipt = _outside(doc_id)
    if receipt is not None and receipt["status_code"] in ("02", "05", "06"):
        raise Conflict("Văn bản đã được chuyển xử lý hoặc đã từ chối.", code="edxml_forwarded")
    known = {u["code"] for u in records("unit", "") if u["code"] != state().unit}
    units = list(dict.fromkeys([lead, *others]))
    if not lead:
        raise ValidationError("Hãy chọn đơn vị chủ trì xử lý.", field="lead")
    for code in units:
        if code not in known:
            raise ValidationError(f"Không có đơn vị mã '{code}'.", field="units")
    if deadline:
        try:
            datetime.strptime(deadline, "%Y-%m-%d")
        except ValueError:
            raise ValidationError(
                "Hạn xử lý phải là một ngày (dd/mm/yyyy).", field="deadline"
            ) from None
    hub_unit = state().unit
    now = now_iso()
    copy = {
        k: v
        for k, v in doc.items()
        if k
        in (
            "symbol",
            "doc_type",
            "summary",
            "issued_on",
            "signer",
            "signing_competence",
            "urgency",
            "steering_type",
            "issuing_agency",
            "recipients_text",
        )
        and v is not None
    }
    copy.update(
        id=new_id(),
        unit=hub_unit,
        direction="outgoing",
        units=units,
        secrecy="none",
        recalled=False,
        created_by=user.username,
        sent_at=now,
        notes=clean_text(
            f"Văn phòng chuyển văn bản liên thông của {doc.get('issuing_agency')} để xử lý: "
            f"{lead} chủ trì"
            + (f", {', '.join(units[1:])} phối hợp" if units[1:] else "")
            + (f"; hạn xử lý {deadline[8:10]}/{deadline[5:7]}/{deadline[:4]}" if deadline else "")
        )[:2000],
    )
    validate("document", copy)
    writes = [Write("document", copy["id"], hub_unit, copy)]
    for att in records(
        "attachment",
        "WHERE parent_type = 'document' AND parent_id = ? AND coalesce(deleted, 0) = 0 ORDER BY id",
        (doc_id,),
    ):
        fields = dict(att, id=new_id(), parent_id=copy["id"], uploaded_by=user.username)
        fields.pop("deleted", None)
        writes.append(Write("attachment", fields["id"], hub_unit, fields))
    fields = (
        {} if receipt is not None and receipt.get("registered_at") else _registration(receipt, user)
    )
    fields.update(
        status_code="05",
        lead_handler=lead,
        coordinators=units[1:],
        deadline=f"{deadline}T17:00:00+07:00" if deadline else None,
        assigned_by=user.username,
        assigned_at=now,
        updated_by=user.username,
    )
    writes.append(_receipt_write(doc_id, receipt, fields))
    conn = db()
    with atomic(conn):
        capture(conn).write_many(writes, actor=user.username)
        store.add_forward(conn, copy["id"], doc_id, lead, now)
    outbound.exchange_round()
    return copy


RECALL_ANSWERS = {"15": "Đồng ý thu hồi", "16": "Từ chối thu hồi"}


def recall_refusal(
    info: dict[str, Any], receipt: dict[str, Any] | None, sent: set[str]
) -> Conflict | None:
    """Why the recall of an outside document cannot be answered (None when it can): its
    sender did not revoke or replace it; it was answered (15, 16); or the city's last status,
    refused (02) or finished (06), went back before the recall, so the sender knows the
    document is closed here and no 15 or 16 would be written (``store.open_outside_ids``).
    ``sent`` are the status codes already written for it."""
    if not (info["revoked_at"] or info["replaced_by"]):
        return Conflict(
            "Cơ quan gửi không thu hồi hay thay thế văn bản này; không có thu hồi nào để trả lời.",
            code="edxml_not_recalled",
        )
    code = receipt["status_code"] if receipt else None
    if code in RECALL_ANSWERS or sent & set(RECALL_ANSWERS):
        said = RECALL_ANSWERS.get(code or "", "đã trả lời")
        return Conflict(
            f"Văn bản đã được trả lời thu hồi ({said}); mỗi thu hồi chỉ trả lời một lần.",
            code="edxml_recall_answered",
        )
    if code in ("02", "06") or sent & {"02", "06"}:
        return Conflict(
            "Văn bản đã bị từ chối hoặc đã xử lý xong trước khi cơ quan gửi thu hồi, và cơ quan "
            "gửi đã được báo; không còn gì để trả lời.",
            code="edxml_closed",
        )
    return None


def answer_recall(doc_id: str, agree: bool, note: str, user: User) -> dict[str, Any]:
    """Answer the sender's revocation or replacement of the outside document addressed to the
    city office: agree (receipt 15) or refuse (16), with ``note`` (required to refuse). The
    city's receipt takes the code and the note in one transaction, checked again inside it;
    the exchange round then writes status 15 or 16 once, the note in ``Description``
    (``outbound.recall_codes``). Returns the receipt's fields written."""
    note = clean_text(note or "")
    if not agree and not note:
        raise ValidationError("Hãy ghi lý do từ chối thu hồi để báo lại cơ quan gửi.", field="note")
    code = "15" if agree else "16"
    conn = db()
    with atomic(conn):
        _doc, info, receipt = _outside(doc_id, recalled=True)
        refusal = recall_refusal(info, receipt, store.statuses_sent(conn, doc_id))
        if refusal is not None:
            raise refusal
        fields = {"status_code": code, "note": note[:2000] or None, "updated_by": user.username}
        write = _receipt_write(doc_id, receipt, fields)
        capture(conn).write_many([write], actor=user.username)
    try:
        outbound.exchange_round()
    except Exception:  # noqa: BLE001 - the answer is stored; the worker's next round writes it
        current_app.logger.exception("edXML: trạng thái %s của %s chưa ghi được", code, doc_id)
    return write.fields
