"""The city office's own documents and agencies outside the city (docs/edxml.md, "Out",
"Revocations out"): what the console's document page shows per outside agency (when the
document message went to the outbox, the status that agency last reported, when the
revocation went), and the city office's recall of a document it sent.

A recall is the document's ``recalled``, ``recalled_at`` and ``recalled_by`` (who and why),
written through the journal: the wards it was sent to see it recalled (13) on their next
sync, and, when its edXML document message already went out, the next exchange round writes
a revocation message to each outside agency (``central_hub/edxml/revocation.py``). A document
recalled before its message went out is never sent.
"""

from __future__ import annotations

from typing import Any

from office import EDXML_STATUS_NAMES
from sync import Conflict, NotFound, ValidationError, Write, atomic, clean_text, select_records
from webapp import User

from ..store import capture, edxml_revocations
from ..store import edxml as exchange_store
from ..web import db, state

MAX_REASON = 250  # recalled_by is at most 300 characters: the name, ": ", the reason


def agencies(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Per OrganId of ``doc``'s ``edxml_to``: ``organ_id``, ``name``, ``sent_at`` (its
    document message claimed for the outbox, None before), ``status_code``,
    ``status_name``, ``description``, ``at`` (the last status it reported) and
    ``revoked_at`` (its revocation claimed, None before)."""
    organs = list(doc.get("edxml_to") or [])
    if not organs:
        return []
    conn = db()
    names = doc.get("edxml_to_names") or {}
    sent = edxml_revocations.document_sent(conn, doc["id"])
    went_to = set((sent or {}).get("organ_to", "").split(",")) if sent else set()
    reported = {r["organ_id"]: r for r in exchange_store.outside_statuses(conn, doc["id"])}
    revoked = {r["organ_id"]: r for r in edxml_revocations.of_document(conn, doc["id"])}
    rows = []
    for organ in organs:
        status = reported.get(organ) or {}
        code = status.get("status_code")
        rows.append(
            {
                "organ_id": organ,
                "name": names.get(organ) or status.get("organ_name") or organ,
                "sent_at": sent["at"] if sent and organ in went_to else None,
                "status_code": code,
                "status_name": EDXML_STATUS_NAMES.get(code, code) if code else None,
                "description": status.get("description"),
                "at": status.get("at"),
                "revoked_at": (revoked.get(organ) or {}).get("at"),
            }
        )
    return rows


def recall(doc_id: str, reason: Any, user: User | None, now: str) -> dict[str, Any]:
    """The city office recalls its document ``doc_id`` for ``reason`` (required, kept in
    ``recalled_by`` with the user's name); :class:`ValidationError` without a reason,
    :class:`Conflict` when it is not the city's own outgoing document or already recalled,
    :class:`NotFound` when unknown. Returns the fields written."""
    text = clean_text(str(reason or "")).strip()
    if not text:
        raise ValidationError(
            "Hãy ghi lý do thu hồi; lý do được gửi tới các nơi đã nhận văn bản.", field="reason"
        )
    if len(text) > MAX_REASON:
        raise ValidationError(
            f"Lý do thu hồi dài tối đa {MAX_REASON} ký tự; hãy viết ngắn lại.", field="reason"
        )
    conn = db()
    with atomic(conn):
        found = select_records(conn, "document", "WHERE id = ?", (doc_id,))
        if not found:
            raise NotFound("Không có văn bản này.")
        doc = found[0]
        if doc["unit"] != state().unit or (doc.get("direction") or "outgoing") != "outgoing":
            raise Conflict(
                "Chỉ thu hồi được văn bản do Văn phòng ban hành; văn bản của phường do phường "
                "thu hồi.",
                code="not_city_document",
            )
        if doc.get("recalled"):
            raise Conflict("Văn bản này đã được thu hồi trước đó.", code="already_recalled")
        who = (user.full_name or user.username) if user else "Văn phòng"
        fields = {
            "recalled": True,
            "recalled_at": now,
            "recalled_by": clean_text(f"{who}: {text}")[:300],
        }
        capture(conn).write_many(
            [Write("document", doc_id, doc["unit"], fields)],
            actor=user.username if user else "admin",
        )
    return fields
