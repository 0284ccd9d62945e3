"""Official documents on the ward node (Decree 30/2020/NĐ-CP, docs/domain.md "Official documents").

Outgoing documents are the ward's own ``document`` records (``direction`` "outgoing"): draft →
approved → signed → numbered → released. Numbers run per year from 1 (counter
``doc_out:{year}``), secret documents in their own series (``doc_out_secret:{year}``); the
symbol is ``{number}/{type_code}`` (``15/QĐ-UBND``, ``123/UBND-VP``). While a draft, its
addressees wait in ``draft_units`` and ``units`` (the routing field) is empty, so a draft
reaches no one; releasing sets ``units`` in one change carrying the whole record, and that is
liên thông: sync carries it, complete, to the addressees.

Incoming documents are those addressed to this ward by another unit (a ward, or the city at the
hub) and paper documents from agencies outside the system, which the clerk registers by hand
as the ward's own ``document`` with ``direction`` "incoming" and ``units`` = [the ward]. Either
way the ward's handling lives in its ``document_receipt`` (edXML codes): 01 arrived → 04
registered with an incoming number (``doc_in:{year}``, ``doc_in_secret:{year}``) → 05 assigned
→ handled (``handled_at``, still 05) → 06 done; 02 refused; when the sender recalls (13), 15
accepts or 16 refuses the recall. Receipts flow back to the sender, who sees each recipient's
status.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from office import SECRET_RESULT, SECRET_SUMMARY, VIETNAM, SecretContent, is_secret
from sync import Conflict, ValidationError, Write, atomic, new_id, select_records, validate
from webapp import User, get_user

from ..permissions import check
from ..store import capture, next_counter
from .outside import outside_addressees
from .reading import (
    COMPETENCE,
    INCOMING,
    OUT_EDITABLE,
    OUTGOING,
    RECEIPT_EDITABLE,
    TYPE_CODES,
    DocumentReader,
    leaders,
    text_field,
)


def _summary(data: dict[str, Any], secret: bool, current: str | None = None) -> str:
    """The summary to store: the one typed, or for a secret document the fixed text, a
    typed one refused (docs/security.md, "Secret documents")."""
    typed = text_field(data.get("summary")) if "summary" in data else current
    if secret:
        if typed not in (None, SECRET_SUMMARY) and "summary" in data:
            raise SecretContent(
                "Văn bản mật không ghi trích yếu trên hệ thống: hãy để trống ô trích yếu và ghi "
                "trích yếu vào sổ đăng ký văn bản mật (sổ giấy).",
                field="summary",
            )
        return SECRET_SUMMARY
    if not typed or typed == SECRET_SUMMARY:
        raise ValidationError("Hãy nhập trích yếu nội dung văn bản.", field="summary")
    return typed


class Documents(DocumentReader):
    """The document operations of one node, over one connection."""

    # -- writing ---------------------------------------------------------------------------

    def create(self, data: Any, user: User) -> dict[str, Any]:
        """Draft an outgoing document, or register an incoming paper one (clerk).

        A secret document (``secrecy`` other than ``none``) takes no summary: it stores the
        fixed :data:`SECRET_SUMMARY`, and a typed one is refused (:class:`SecretContent`).
        Raises :class:`Forbidden` (403) for a role that may not (``permissions.py``).
        """
        if not isinstance(data, dict):
            raise ValidationError("Gửi một đối tượng JSON.", field="body")
        direction = data.get("direction", "outgoing")
        check(user, "document.register_paper" if direction == "incoming" else "document.draft")
        doc_type = text_field(data.get("doc_type"), 64) or "Công văn"
        summary = _summary(data, is_secret(data))
        doc: dict[str, Any] = {
            "id": new_id(),
            "unit": self.unit,
            "doc_type": doc_type,
            "summary": summary,
            "urgency": data.get("urgency") or "normal",
            "secrecy": data.get("secrecy") or "none",
            "created_by": user.username,
            "recalled": False,
        }
        now = self._now_iso()
        today = self._today().isoformat()
        if direction == "incoming":
            agency = text_field(data.get("issuing_agency"), 300)
            symbol = text_field(data.get("symbol"), 64)
            if not agency or not symbol:
                raise ValidationError(
                    "Hãy nhập cơ quan ban hành và số, ký hiệu của văn bản đến.",
                    field="issuing_agency" if not agency else "symbol",
                )
            doc.update(
                direction="incoming",
                symbol=symbol,
                issuing_agency=agency,
                issued_on=data.get("issued_on") or today,
                units=[self.unit],
                signer=text_field(data.get("signer"), 200),
            )
            validate("document", doc)
            with atomic(self.conn):
                receipt = {
                    "id": new_id(),
                    "unit": self.unit,
                    "document_id": doc["id"],
                    "status_code": "04",
                    "received_at": data.get("received_at") or now,
                    "receiver": text_field(data.get("receiver"), 200),
                    "note": text_field(data.get("note")),
                    "updated_by": user.username,
                    **self._number_in(doc, now),
                }
                validate("document_receipt", receipt)
                capture(self.conn, self.clock).write_many(
                    [
                        Write("document", doc["id"], self.unit, doc),
                        Write("document_receipt", receipt["id"], self.unit, receipt),
                    ],
                    actor=user.username,
                )
            return self.get(doc["id"], user)
        if direction != "outgoing":
            raise ValidationError(
                "direction phải là 'incoming' hoặc 'outgoing'.", field="direction"
            )
        units = data.get("units") or [self.unit]
        if not isinstance(units, list) or not all(isinstance(u, str) for u in units):
            raise ValidationError("units phải là danh sách mã đơn vị nhận.", field="units")
        type_code = text_field(data.get("type_code"), 16) or TYPE_CODES.get(doc_type, "UBND-VP")
        doc.update(
            direction="outgoing",
            status="draft",
            type_code=type_code,
            symbol=f"/{type_code}",
            issued_on=today,
            # A draft reaches no one: the addressees become routing only at release.
            units=[],
            draft_units=list(dict.fromkeys(units)),
            number=None,
        )
        for key in ("drafting_unit", "recipients_text", "archive_keeper", "notes"):
            doc[key] = text_field(data.get(key))
        doc["copies"] = data.get("copies")
        # Agencies outside the city, sent over the national platform by the hub once released
        # (docs/edxml.md, "A ward's documents"); fixed with the other addressees.
        doc.update(outside_addressees(self.conn, data, is_secret(doc)))
        validate("document", doc)
        capture(self.conn, self.clock).write(
            "document", doc["id"], self.unit, doc, actor=user.username
        )
        return self.get(doc["id"], user)

    def edit(self, doc_id: str, data: Any, user: User) -> dict[str, Any]:
        """Edit a draft (before signing: its drafter, the văn thư, a leader), or this ward's
        notes on an incoming document (the văn thư, a leader, its handlers). A document made
        secret loses its summary for the fixed text; a summary typed on a secret one is
        refused (:class:`SecretContent`). :class:`Forbidden` (403) for whom may not."""
        if not isinstance(data, dict) or not data:
            raise ValidationError("Gửi một đối tượng JSON với các trường cần sửa.", field="body")
        with atomic(self.conn):
            doc = self.get(doc_id, user)
            if doc["view"] == "outgoing":
                check(user, "document.edit_draft", doc)
                if doc["state"] not in ("draft", "approved"):
                    raise Conflict("Văn bản đã ký không được sửa.", code="not_editable")
                type_name, rec_id, allowed = "document", doc_id, OUT_EDITABLE
            else:
                check(user, "document.edit_receipt", doc)
                if doc["receipt"] is None:
                    raise Conflict("Văn bản chưa được tiếp nhận.", code="not_received")
                type_name, rec_id, allowed = (
                    "document_receipt",
                    doc["receipt"]["id"],
                    RECEIPT_EDITABLE,
                )
            fields = {}
            for key, value in data.items():
                if key not in allowed:
                    raise ValidationError(f"Không được sửa trường '{key}'.", field=key)
                fields[key] = text_field(value) if isinstance(value, str) else value
            if type_name == "document" and {"summary", "secrecy"} & fields.keys():
                secret = is_secret({"secrecy": fields.get("secrecy", doc.get("secrecy"))})
                if secret and doc.get("edxml_to"):
                    raise ValidationError(
                        "Văn bản gửi cơ quan ngoài hệ thống qua trục liên thông không được "
                        "đánh dấu mật; văn bản mật hãy soạn riêng và gửi bản giấy theo chế độ mật.",
                        field="secrecy",
                    )
                stored = select_records(self.conn, "document", "WHERE id = ?", (doc_id,))[0]
                fields["summary"] = _summary(fields, secret, stored["summary"])
            capture(self.conn, self.clock).write(
                type_name, rec_id, self.unit, fields, actor=user.username
            )
        return self.get(doc_id, user)

    def act(self, doc_id: str, data: Any, user: User) -> dict[str, Any]:
        """Apply an action. :class:`Forbidden` (403) when the user's role may not, or (handle,
        done) the user is not the lead handler the leader assigned (``permissions.py``);
        :class:`Conflict` (409) when not allowed from the document's state."""
        if not isinstance(data, dict):
            raise ValidationError("Gửi một đối tượng JSON.", field="body")
        name = str(data.get("action", ""))
        with atomic(self.conn):
            doc = self.get(doc_id, user)
            table = OUTGOING if doc["view"] == "outgoing" else INCOMING
            if name not in table:
                raise ValidationError(
                    f"Không có thao tác '{name}' cho văn bản này.", field="action"
                )
            _sources, label = table[name]
            check(user, f"document.{name}")  # the role first, then state, then the holder
            if name not in {a["action"] for a in self.possible(doc)}:
                raise Conflict(
                    f"Không thể '{label}' văn bản đang ở trạng thái {doc['state_name']}.",
                    code="transition_not_allowed",
                )
            check(user, f"document.{name}", doc)
            if doc["view"] == "outgoing":
                write = Write("document", doc_id, self.unit, self._outgoing(doc, name, data, user))
            else:
                write = self._incoming(doc, name, data, user)
            capture(self.conn, self.clock).write_many([write], actor=user.username)
        return self.get(doc_id, user)

    def _outgoing(
        self, doc: dict[str, Any], name: str, data: dict[str, Any], user: User
    ) -> dict[str, Any]:
        now = self._now_iso()
        if name == "approve":
            return {"status": "approved", "approved_by": user.username}
        if name == "sign":
            competence = data.get("signing_competence")
            if competence not in (None, "", *COMPETENCE):
                raise ValidationError("Thẩm quyền ký không hợp lệ.", field="signing_competence")
            return {
                "status": "signed",
                "signer": text_field(data.get("signer"), 200) or user.full_name or user.username,
                "signing_competence": competence or None,
                "signed_at": now,
            }
        if name == "recall":
            # Who recalled it and why: what the addressees see, and the reason of the
            # revocation the hub sends to outside agencies (docs/edxml.md, "Revocations out").
            reason = text_field(data.get("note"), 250)
            who = user.full_name or user.username
            return {
                "recalled": True,
                "recalled_at": now,
                "recalled_by": f"{who}: {reason}" if reason else who,
            }
        fields = {} if doc.get("number") else self._number_out(doc)
        if name == "number":
            return {**fields, "status": "numbered"}
        stored = select_records(self.conn, "document", "WHERE id = ?", (doc["id"],))[0]
        if stored.get("units"):
            return {**fields, "status": "released", "sent_at": now}
        # Release: the addressees are set now, in one change carrying the whole record, so
        # each addressee receives it complete (no earlier change of the draft was sent to it).
        whole = {k: v for k, v in stored.items() if v is not None}
        addressees = stored.get("draft_units") or [self.unit]
        return {**whole, **fields, "units": addressees, "status": "released", "sent_at": now}

    def _number_out(self, doc: dict[str, Any]) -> dict[str, Any]:
        today = self._today()
        secret = (doc.get("secrecy") or "none") != "none"
        key = f"doc_out_secret:{today.year}" if secret else f"doc_out:{today.year}"
        number = next_counter(self.conn, key)
        type_code = doc.get("type_code") or TYPE_CODES.get(doc["doc_type"], "UBND-VP")
        return {"number": number, "symbol": f"{number}/{type_code}", "issued_on": today.isoformat()}

    def _number_in(self, doc: dict[str, Any], now: str) -> dict[str, Any]:
        year = datetime.fromisoformat(now).astimezone(VIETNAM).year
        secret = (doc.get("secrecy") or "none") != "none"
        key = f"doc_in_secret:{year}" if secret else f"doc_in:{year}"
        return {
            "incoming_number": next_counter(self.conn, key),
            "incoming_year": year,
            "secret": secret,
            "registered_at": now,
        }

    def _presentation(self, data: dict[str, Any], user: User, now: str) -> dict[str, Any]:
        """The fields of presenting a document to ``presented_to``: an active leader of the
        ward (the one who assigns it), else :class:`ValidationError`."""
        leader = text_field(data.get("presented_to"), 64)
        if not leader:
            raise ValidationError("Hãy chọn lãnh đạo để trình văn bản.", field="presented_to")
        if leader not in {p["username"] for p in leaders(self.conn)}:
            raise ValidationError(
                f"'{leader}' không phải lãnh đạo phường đang làm việc; hãy chọn trong danh sách.",
                field="presented_to",
            )
        return {"presented_to": leader, "presented_by": user.username, "presented_at": now}

    def _incoming(self, doc: dict[str, Any], name: str, data: dict[str, Any], user: User) -> Write:
        now = self._now_iso()
        receipt = doc["receipt"]
        fields: dict[str, Any] = {"updated_by": user.username}
        if receipt is None:
            receipt = {"id": new_id(), "unit": self.unit, "document_id": doc["id"]}
            fields.update(receipt, received_at=now, status_code="01", coordinators=[])
        if name == "register":
            fields.update(self._number_in(doc, now), status_code="04")
            fields["receiver"] = text_field(data.get("receiver"), 200)
        elif name == "present":
            fields.update(self._presentation(data, user, now))
        elif name == "refuse":
            reason = text_field(data.get("note"))
            if not reason:
                raise ValidationError("Hãy ghi lý do từ chối.", field="note")
            fields.update(status_code="02", note=reason)
        elif name == "assign":
            lead = text_field(data.get("lead_handler"), 64)
            if not lead:
                raise ValidationError("Hãy chọn người chủ trì xử lý.", field="lead_handler")
            coordinators = data.get("coordinators") or []
            if isinstance(coordinators, str):
                coordinators = [c.strip() for c in coordinators.split(",") if c.strip()]
            # Who is assigned may act on it and (secret) see it: a real colleague only.
            for field_name, person in [("lead_handler", lead)] + [
                ("coordinators", str(c)) for c in coordinators
            ]:
                if get_user(self.conn, person) is None:
                    raise ValidationError(
                        f"Không có cán bộ '{person}' ở phường; hãy chọn trong danh sách.",
                        field=field_name,
                    )
            deadline = data.get("deadline") or None
            if deadline and len(deadline) == 10:  # a date: end of that day in Vietnam
                deadline = f"{deadline}T17:00:00+07:00"
            fields.update(
                status_code="05",
                lead_handler=lead,
                coordinators=coordinators,
                deadline=deadline,
                assigned_by=user.username,
                assigned_at=now,
            )
        elif name == "handle":
            result = text_field(data.get("result"))
            if is_secret(doc):
                if result not in (None, SECRET_RESULT):
                    raise SecretContent(
                        "Kết quả xử lý văn bản mật không ghi trên hệ thống: hãy để trống ô kết "
                        "quả và báo cáo bằng văn bản giấy theo chế độ mật.",
                        field="result",
                    )
                result = SECRET_RESULT
            fields.update(handled_at=now, result=result or "Đã xử lý")
        elif name == "done":
            fields.update(status_code="06", done_at=now)
            fields.setdefault("handled_at", receipt.get("handled_at") or now)
        elif name == "accept_recall":
            fields.update(status_code="15", note=text_field(data.get("note")))
        elif name == "refuse_recall":
            fields.update(status_code="16", note=text_field(data.get("note")))
        return Write("document_receipt", receipt["id"], self.unit, fields)
