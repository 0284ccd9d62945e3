"""Taking an edXML message in at the hub (docs/edxml.md, "In"): from ``POST /api/v1/edxml`` or
the drop folder ``DATA/edxml/inbox``, the same function, :func:`take`.

- A document message (business type 0, new) addressed to the hub's ``ORGAN_ID`` or a unit's
  ``organ_id`` becomes a document of the city (owned by the hub's unit, ``direction``
  incoming, ``units`` = [the addressed unit]) with every attachment: the city office registers
  it at the console, a ward receives it on its next sync and registers it as any incoming
  document. Status 01 is written to the outbox at once.
- Business type 1 (revocation) recalls the document it names (``recalled_by`` says who);
  2 (update) rewrites its fields and adds its new attachments, the earlier version kept (its
  message, listed on the document's page); 3 (replacement) takes the new document in and
  recalls the ones it replaces.
- A status message sets, for the outside agency that sent it, the status of the document we
  sent that it answers.

Everything a message does commits in one transaction, its files stored before; anything
refused raises (:class:`EdxmlRefused`, 4xx) with nothing stored. A message taken before (the
same bytes: a drop folder replayed after a crash, a connector that resends) is answered with
what it did then, and does nothing again.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from flask import current_app

from office import VIETNAM
from sync import (
    NotFound,
    Write,
    atomic,
    clean_text,
    new_id,
    select_records,
    validate,
)

from ..files import blob_store
from ..store import capture
from ..store import edxml as store
from ..web import db, state
from .attachments import attach, checked_files
from .build import URGENCY
from .context import hub_organ, now_iso
from .message import BUSINESS_TYPES, EdxmlRefused, Message, parse
from .outbound import arrived
from .signature import LABELS, verify
from .status_in import said, take_status

COMPETENCES = ("KT.", "TL.", "TUQ.", "TM.")


def take(raw: bytes, *, source: str, actor: str, file_name: str | None = None) -> dict[str, Any]:
    """Take the message ``raw`` in (see the module); returns what it did: ``kind``,
    ``business_type`` (a document message), ``signature``, ``created`` and ``changed``
    (documents, each with its id, unit and symbol), ``warnings``, and ``repeated`` when the
    same bytes were taken before."""
    sha = hashlib.sha256(raw).hexdigest()
    conn = db()
    earlier = store.message_by_hash(conn, sha)
    if earlier is not None:
        return {
            "repeated": True,
            "kind": earlier["kind"],
            "message_id": earlier["id"],
            "document_id": earlier["document_id"],
            "note": earlier["note"],
        }
    msg = parse(raw)
    verdict = verify(msg.tree, current_app.config.get("EDXML_TRUST_STORE") or None)
    result: dict[str, Any] = {
        "repeated": False,
        "kind": msg.kind,
        "signature": {"status": verdict.status, "label": LABELS[verdict.status]},
        "created": [],
        "changed": [],
        "warnings": [],
    }
    if verdict.subject:
        result["signature"]["subject"] = verdict.subject
    if verdict.reason:
        result["signature"]["reason"] = verdict.reason
    message_row = {
        "id": new_id(),
        "direction": "in",
        "kind": msg.kind,
        "code": msg.status_code if msg.kind == "status" else str(msg.business_type),
        "doc_key": msg.response_for if msg.kind == "status" else msg.doc_key,
        "organ_from": msg.from_organ,
        "organ_to": ",".join(msg.to_organs) or None,
        "size": len(raw),
        "signature": verdict.status,
        "source": source,
        "at": now_iso(),
        "file_name": file_name,
    }
    if msg.kind == "status":
        with atomic(conn):
            take_status(conn, msg, message_row, result)
            message_row["sha256"] = blob_store().put(raw)
            store.add_message(conn, message_row)
        return result
    units = _addressed(conn, msg)
    result["business_type"] = msg.business_type
    result["business_name"] = BUSINESS_TYPES[msg.business_type]
    files = checked_files(msg, result["warnings"])
    with atomic(conn):
        message_row["sha256"] = blob_store().put(raw)
        for unit in units:
            row = dict(message_row, id=new_id())
            if msg.business_type == 1:
                _revoke(conn, msg, unit, row, result, actor)
            elif msg.business_type == 2:
                _update(conn, msg, unit, files, row, result, actor, verdict.status)
            else:
                _new(conn, msg, unit, files, row, result, actor, verdict)
            store.add_message(conn, row)
    _arrivals(result)
    return result


# -- who it is for --------------------------------------------------------------------------


def _addressed(conn: Any, msg: Message) -> list[str]:
    """The units of this hub the message is addressed to; refused when none."""
    units: list[str] = []
    for organ in msg.to_organs:
        unit = state().unit if organ == hub_organ() else store.unit_by_organ(conn, organ)
        if unit and unit not in units:
            units.append(unit)
    if not units:
        raise EdxmlRefused(
            f"Thông điệp gửi tới cơ quan {', '.join(msg.to_organs)}, không phải Văn phòng "
            f"(mã định danh {hub_organ()}) hay một đơn vị của máy chủ này. Hãy kiểm tra mã "
            "định danh của đơn vị trong danh mục đơn vị, hoặc chuyển thông điệp đúng nơi nhận.",
            code="edxml_wrong_recipient",
            field="To",
        )
    return units


def _named(conn: Any, msg: Message, unit: str) -> list[dict[str, Any]]:
    """The documents of ``unit`` a revocation, update or replacement names; 404 when none."""
    named = (msg.doc_key, msg.platform_id, msg.business_document_id)
    keys = msg.replaces or list(dict.fromkeys(k for k in named if k))
    found = []
    for key in keys:
        row = store.find_document(conn, [key])
        if row is not None and row["addressed_unit"] == unit and row not in found:
            found.append(row)
    if not found:
        raise NotFound(
            f"Thông điệp {BUSINESS_TYPES[msg.business_type]} nói tới văn bản "
            f"{', '.join(keys) or '(không ghi mã)'}, nhưng máy chủ này chưa từng nhận văn bản "
            "đó. Hãy đối chiếu với cơ quan gửi.",
            code="edxml_unknown_document",
        )
    return found


# -- business types ---------------------------------------------------------------------------


def _fields(msg: Message) -> dict[str, Any]:
    """The document fields a document message gives."""
    competence = (msg.competence or "").upper().replace(" ", "")
    notes = [
        f"Văn bản liên thông từ {msg.from_name or msg.from_organ} ({msg.from_organ})",
        f"Chức vụ người ký: {msg.signer_position}" if msg.signer_position else "",
        f"Hạn trả lời: {msg.due_date:%d/%m/%Y}" if msg.due_date else "",
        f"Phụ lục: {'; '.join(msg.appendices)}" if msg.appendices else "",
        f"Nội dung: {msg.content}" if msg.content and msg.content != msg.subject else "",
    ]
    return {
        "symbol": clean_text(msg.symbol or "")[:64],
        "doc_type": clean_text(msg.type_name or "Công văn")[:64],
        "summary": clean_text(msg.subject or "")[:2000],
        "issued_on": msg.promulgated_on.isoformat() if msg.promulgated_on else None,
        "signer": clean_text(msg.signer)[:200] if msg.signer else None,
        "signing_competence": next((c for c in COMPETENCES if competence.startswith(c)), None),
        "urgency": URGENCY.get(msg.priority or 0, "normal"),
        "steering_type": msg.steering_type if msg.steering_type in (2, 3) else None,
        "issuing_agency": clean_text(msg.from_name or msg.from_organ)[:300],
        "recipients_text": clean_text("; ".join(msg.to_places))[:2000] or None,
        "notes": clean_text("\n".join(n for n in notes if n))[:2000] or None,
    }


def _new(
    conn: Any,
    msg: Message,
    unit: str,
    files: list[tuple[str, bytes, str]],
    row: dict[str, Any],
    result: dict[str, Any],
    actor: str,
    verdict: Any,
) -> None:
    """A new document (type 0) or a replacement (3) for ``unit``."""
    replaced = _named(conn, msg, unit) if msg.business_type == 3 else []
    existing = store.find_document(conn, [k for k in (msg.doc_key, msg.platform_id) if k])
    if existing is not None and existing["addressed_unit"] == unit and not replaced:
        raise EdxmlRefused(
            f"Văn bản {msg.symbol} của {msg.from_name or msg.from_organ} đã được nhận trước đó "
            f"(mã {msg.doc_key}); muốn sửa hãy gửi thông điệp cập nhật (loại nghiệp vụ 2).",
            code="edxml_duplicate",
            field="DocumentId",
        )
    hub_unit = state().unit
    doc = {
        "id": new_id(),
        "unit": hub_unit,
        "direction": "incoming",
        "units": [unit],
        "secrecy": "none",
        "recalled": False,
        "created_by": actor,
        "sent_at": now_iso(),
        **_fields(msg),
    }
    if result["warnings"]:
        # What could not be taken is said on the document too, where the clerk reads it.
        doc["notes"] = clean_text(f"{doc['notes'] or ''}\n" + "\n".join(result["warnings"]))[:2000]
    if replaced:
        doc["notes"] = clean_text(
            f"{doc['notes'] or ''}\nThay thế văn bản: "
            + ", ".join(r["doc_key"] for r in replaced)
            + (f" ({msg.business_reason})" if msg.business_reason else "")
        )[:2000]
    doc = {k: v for k, v in doc.items() if v is not None}
    validate("document", doc)
    writes = [
        Write("document", doc["id"], hub_unit, doc),
        *attach(conn, doc["id"], files, actor, now_iso()),
    ]
    for old in replaced:
        writes += _recall_writes(
            conn,
            old["document_id"],
            f"{msg.from_name or msg.from_organ}: thay thế bởi văn "
            f"bản {msg.symbol}" + (f" ({msg.business_reason})" if msg.business_reason else ""),
        )
        store.update_document(conn, old["document_id"], replaced_by=doc["id"])
        result["changed"].append(said(old["document_id"], unit, "Bị thay thế, đã thu hồi"))
    capture(conn).write_many(writes, actor=actor)
    store.add_document(
        conn,
        {
            "document_id": doc["id"],
            "doc_key": msg.doc_key,
            "platform_id": msg.platform_id,
            "organ_from": msg.from_organ,
            "organ_name": msg.from_name,
            "addressed_unit": unit,
            "signature": verdict.status,
            "signer_subject": verdict.subject or verdict.reason,
            "version": 1,
            "received_at": row["at"],
        },
    )
    row["document_id"] = doc["id"]
    row["note"] = f"Nhận văn bản {doc['symbol']} gửi tới {_unit_name(conn, unit)}"
    result["created"].append(
        dict(said(doc["id"], unit, "Văn bản đến mới"), symbol=doc["symbol"], files=len(files))
    )


def _recall_writes(conn: Any, doc_id: str, by: str) -> list[Write]:
    """The writes that recall ``doc_id`` and the city documents forwarding it."""
    hub_unit = state().unit
    fields = {"recalled": True, "recalled_at": now_iso(), "recalled_by": clean_text(by)[:300]}
    ids = [doc_id, *(f["forwarded_id"] for f in store.forwards_of(conn, doc_id))]
    return [Write("document", i, hub_unit, dict(fields)) for i in ids]


def _revoke(
    conn: Any, msg: Message, unit: str, row: dict[str, Any], result: dict[str, Any], actor: str
) -> None:
    """Revocation (type 1): the named document is recalled, visibly, by its sender."""
    by = f"{msg.from_name or msg.from_organ} ({msg.from_organ})" + (
        f": {msg.business_reason}" if msg.business_reason else ""
    )
    for old in _named(conn, msg, unit):
        capture(conn).write_many(_recall_writes(conn, old["document_id"], by), actor=actor)
        store.update_document(conn, old["document_id"], revoked_at=row["at"])
        row["document_id"] = old["document_id"]
        row["note"] = f"Thu hồi bởi {by}"
        result["changed"].append(said(old["document_id"], unit, f"Đã thu hồi bởi {by}"))


def _update(
    conn: Any,
    msg: Message,
    unit: str,
    files: list[tuple[str, bytes, str]],
    row: dict[str, Any],
    result: dict[str, Any],
    actor: str,
    signature: str,
) -> None:
    """Update (type 2): the named document takes the message's fields and new files; the
    earlier version stays in its earlier message (and in the journal)."""
    hub_unit = state().unit
    for old in _named(conn, msg, unit):
        doc_id = old["document_id"]
        current = select_records(conn, "document", "WHERE id = ?", (doc_id,))[0]
        version = int(old["version"]) + 1
        fields = {k: v for k, v in _fields(msg).items() if v is not None}
        fields["notes"] = clean_text(
            f"{fields.get('notes') or ''}\nCập nhật lần {version - 1} ngày "
            f"{datetime.now(VIETNAM):%d/%m/%Y}"
            + (f": {msg.business_reason}" if msg.business_reason else "")
        )[:2000]
        validate("document", {**{k: v for k, v in current.items() if v is not None}, **fields})
        writes = [Write("document", doc_id, hub_unit, fields)]
        writes += attach(conn, doc_id, files, actor, now_iso())
        capture(conn).write_many(writes, actor=actor)
        store.update_document(conn, doc_id, version=version, signature=signature)
        row["document_id"] = doc_id
        row["note"] = f"Cập nhật lần {version - 1}"
        result["changed"].append(said(doc_id, unit, f"Đã cập nhật (phiên bản {version})"))


def _unit_name(conn: Any, unit: str) -> str:
    found = select_records(conn, "unit", "WHERE code = ?", (unit,))
    return str(found[0]["name"]) if found else unit


def _arrivals(result: dict[str, Any]) -> None:
    """Status 01 for each new document, in the outbox at once (after the commit)."""
    for created in result["created"]:
        arrived(created["document_id"])
