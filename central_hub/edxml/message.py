"""Reading an edXML message (QCVN 102:2016/BTTTT) safely, and what it says (docs/edxml.md).

:func:`parse` takes the bytes of a message as another system wrote them and returns a
:class:`Message`, or raises :class:`EdxmlRefused` with a Vietnamese reason. The parser is
hardened: a message carrying a DTD (so any entity declaration: billion laughs, external
entities) is refused outright before anything is expanded, nothing is fetched from a network,
and the tree's size is bounded by the body's (``MAX_BODY_BYTES``). Real files are messy, so: a byte-order mark and
any bytes before the XML declaration are dropped, text is trimmed and NFC-normalised, empty
elements count as absent, and every optional part may be missing. Elements are found by local
name in the edXML namespace, whatever prefix the sender chose.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lxml import etree

from sync import ValidationError, nfc

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
MAX_LEADING_BYTES = 4096  # junk tolerated before the XML declaration (a connector's header)
STATUS_CODES = ("01", "02", "03", "04", "05", "06", "13", "15", "16")
BUSINESS_TYPES = {0: "mới", 1: "thu hồi", 2: "cập nhật", 3: "thay thế"}
_ORGAN = re.compile(r"^[0-9A-Za-z]{1,8}(\.[0-9A-Za-z]{1,8}){1,5}$")
_B64_JUNK = re.compile(rb"\s+")


class EdxmlRefused(ValidationError):
    """A message refused: not well-formed, hostile, incomplete, or not for this hub. Nothing
    is stored (422 unless ``status`` says otherwise)."""

    status = 422
    code = "edxml_refused"


@dataclass
class Attachment:
    """One attachment of a document message: its content id, name, declared type, and the
    base64 text as sent (decoded by :meth:`data`)."""

    content_id: str
    name: str
    content_type: str
    description: str
    encoded: bytes

    def data(self) -> bytes:
        """The attachment's bytes; :class:`EdxmlRefused` when the text is not base64."""
        try:
            return base64.b64decode(_B64_JUNK.sub(b"", self.encoded), validate=True)
        except (binascii.Error, ValueError):
            raise EdxmlRefused(
                f"Tệp đính kèm '{self.name}' không mã hóa base64 đúng chuẩn (nội dung: "
                f"'{self.encoded[:40].decode('ascii', 'replace')}…'); hãy đề nghị cơ quan gửi "
                "gửi lại văn bản.",
                field="attachments",
            ) from None


@dataclass
class Message:
    """What an edXML message says. ``kind`` is ``document`` or ``status``; dates are
    :class:`datetime.date`; texts are trimmed, ``None`` when absent or empty."""

    kind: str
    from_organ: str
    from_name: str | None
    to_organs: list[str] = field(default_factory=list)
    code_number: str | None = None
    code_notation: str | None = None
    place: str | None = None
    promulgated_on: date | None = None
    type_code: str | None = None
    type_name: str | None = None
    subject: str | None = None
    content: str | None = None
    signer: str | None = None
    signer_position: str | None = None
    competence: str | None = None
    due_date: date | None = None
    to_places: list[str] = field(default_factory=list)
    priority: int | None = None
    appendices: list[str] = field(default_factory=list)
    steering_type: int | None = None
    business_type: int = 0
    business_reason: str | None = None
    replaces: list[str] = field(default_factory=list)
    business_document_id: str | None = None
    platform_id: str | None = None
    response_for: str | None = None
    status_code: str | None = None
    description: str | None = None
    staff: str | None = None
    timestamp: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    signed: bool = False
    tree: Any = None

    @property
    def symbol(self) -> str | None:
        """The number and symbol as printed: ``7816/VPCP-TTĐT``."""
        if self.code_number and self.code_notation:
            if self.code_notation.startswith(self.code_number + "/"):
                return self.code_notation
            return f"{self.code_number}/{self.code_notation}"
        return self.code_notation or self.code_number

    @property
    def doc_key(self) -> str | None:
        """The document's identifier on the platform: ``OrganId,yyyy/mm/dd,number/symbol``."""
        if not (self.symbol and self.promulgated_on):
            return None
        return document_key(self.from_organ, self.promulgated_on, self.symbol)


def document_key(organ: str, day: date, symbol: str) -> str:
    """``OrganId,yyyy/mm/dd,number/symbol``, the form a status message's DocumentId takes."""
    return f"{organ},{day:%Y/%m/%d},{symbol}"


def _refuse(message: str, code: str = "edxml_refused") -> EdxmlRefused:
    return EdxmlRefused(message, code=code, field="body")


def _strip_leading(raw: bytes) -> bytes:
    """The message from its XML declaration (or first tag): a BOM and up to
    :data:`MAX_LEADING_BYTES` of junk before it are dropped."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    start = raw.find(b"<?xml", 0, MAX_LEADING_BYTES + 5)
    if start < 0:
        start = raw.find(b"<", 0, MAX_LEADING_BYTES + 1)
    if start < 0:
        raise _refuse(
            "Nội dung gửi lên không phải một thông điệp edXML (không thấy thẻ XML nào ở đầu "
            "tệp). Hãy gửi đúng tệp .edxml nhận từ trục liên thông.",
            "edxml_not_xml",
        )
    return raw[start:]


_PARSER_OPTIONS = dict(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    # A 10 MB attachment is a 13 MB text node, past libxml2's default limit; the body is bounded
    # (MAX_BODY_BYTES) and no entity is ever expanded, which is what that limit guards against.
    huge_tree=True,
    remove_pis=True,
    collect_ids=False,
)


# The platform's own samples use prefixes they never declare (``xlink:href`` on a manifest's
# Reference; ``edXML:`` on AttachmentEncoded, outside the envelope that declares it): such a
# prefix is declared on the root (``edXML`` to the edXML namespace, any other to a placeholder
# namespace) and the message
# parsed again, at most this many times. Nothing else that is not well-formed is mended.
MAX_UNDECLARED = 4
_UNDECLARED = re.compile(r"Namespace prefix ([A-Za-z_][A-Za-z0-9_.-]{0,40}) .*is not defined")
_ROOT_TAG = re.compile(rb"<(?![?!])[A-Za-z_][^\s>/]*")


def _declare(raw: bytes, prefix: str) -> bytes:
    """``raw`` with ``xmlns:prefix`` declared on its root element."""
    root = _ROOT_TAG.search(raw)
    if root is None:
        return raw
    uri = NS if prefix == "edXML" else f"urn:wardsync:undeclared:{prefix}"
    decl = f' xmlns:{prefix}="{uri}"'.encode()
    return raw[: root.end()] + decl + raw[root.end() :]


def parse_tree(raw: bytes) -> Any:
    """The element tree of ``raw``, refusing a DTD (hence every entity) and anything that is
    not well-formed, with a Vietnamese reason (:class:`EdxmlRefused`)."""
    raw = _strip_leading(raw)
    # A DTD is refused before the parser sees it: entity expansion (billion laughs) and
    # external entities live only there, and no edXML message needs one (docs/edxml.md).
    head = raw[:65536].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise _refuse(
            "Thông điệp có khai báo DOCTYPE/ENTITY: hệ thống không nhận thông điệp edXML có "
            "DTD hay thực thể (có thể là tệp độc hại). Hãy đề nghị bên gửi gửi lại thông điệp "
            "đúng chuẩn QCVN 102:2016.",
            "edxml_dtd",
        )
    for _ in range(MAX_UNDECLARED + 1):
        try:
            root = etree.fromstring(raw, etree.XMLParser(**_PARSER_OPTIONS))
            break
        except etree.XMLSyntaxError as exc:
            undeclared = _UNDECLARED.search(exc.msg or "")
            if undeclared is None:
                raise _refuse(
                    f"Thông điệp edXML không đúng cú pháp XML ({exc.msg or 'lỗi cú pháp'}, dòng "
                    f"{exc.lineno}). Hãy đề nghị bên gửi gửi lại tệp đầy đủ.",
                    "edxml_malformed",
                ) from None
            raw = _declare(raw, undeclared.group(1))
    else:
        raise _refuse("Thông điệp dùng quá nhiều tiền tố không gian tên chưa khai báo.")
    tree = root.getroottree()
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise _refuse("Thông điệp có khai báo DTD; hệ thống không nhận.", "edxml_dtd")
    if etree.QName(root).localname != "edXML" or etree.QName(root).namespace != NS:
        raise _refuse(
            "Tệp không phải thông điệp edXML theo QCVN 102:2016 (phần tử gốc phải là edXML "
            f"trong không gian tên {NS}).",
            "edxml_not_edxml",
        )
    return root


def _find(node: Any, *path: str) -> Any:
    for name in path:
        if node is None:
            return None
        node = node.find(f"{{{NS}}}{name}")
    return node


def _text(node: Any, *path: str) -> str | None:
    found = _find(node, *path)
    if found is None or found.text is None:
        return None
    text = " ".join(nfc(found.text).split())
    return text or None


def _all_texts(node: Any, *path: str) -> list[str]:
    *parents, leaf = path
    parent = _find(node, *parents) if parents else node
    if parent is None:
        return []
    texts = (" ".join(nfc(e.text or "").split()) for e in parent.findall(f"{{{NS}}}{leaf}"))
    return [t for t in texts if t]


def _date(node: Any, *path: str) -> date | None:
    text = _text(node, *path)
    if text is None:
        return None
    m = re.match(r"^(\d{4})[/-](\d{1,2})[/-](\d{1,2})", text)
    if m is None:
        m2 = re.match(r"^(\d{1,2})/(\d{1,2})/(\d{4})", text)
        if m2 is None:
            raise _refuse(f"Ngày '{text}' trong thông điệp không đọc được (cần yyyy/mm/dd).")
        day, month, year = (int(x) for x in m2.groups())
    else:
        year, month, day = (int(x) for x in m.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise _refuse(f"Ngày '{text}' trong thông điệp không có thật.") from None


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        return None


def _organ(text: str | None, where: str) -> str:
    if not text or not _ORGAN.match(text):
        raise _refuse(
            f"Thiếu hoặc sai mã định danh cơ quan (OrganId) ở phần {where}: "
            f"'{text or ''}'. Mã có dạng 000.00.00.H57."
        )
    return text


def parse(raw: bytes) -> Message:
    """The message ``raw`` says (see the module's docstring); :class:`EdxmlRefused` when it
    cannot be read or lacks what every message needs (its sender; a document's recipient,
    number and subject; a status message's code and the document it answers)."""
    root = parse_tree(raw)
    envelope = _find(root, "edXMLEnvelope")
    header = _find(envelope, "edXMLHeader", "MessageHeader")
    if header is None:
        raise _refuse("Thông điệp edXML thiếu phần MessageHeader.", "edxml_incomplete")
    signed = envelope is not None and any(
        e.tag == f"{{{DSIG}}}Signature" for e in envelope.iter(f"{{{DSIG}}}Signature")
    )
    msg = Message(
        kind="status" if _find(header, "StatusCode") is not None else "document",
        from_organ=_organ(_text(header, "From", "OrganId"), "From"),
        from_name=_text(header, "From", "OrganName"),
        signed=signed,
        tree=root,
    )
    if msg.kind == "status":
        return _status(msg, header)
    return _document(msg, header, root)


def _status(msg: Message, header: Any) -> Message:
    code = _text(header, "StatusCode")
    if code is not None and len(code) == 1 and code.isdigit():
        code = "0" + code
    if code not in STATUS_CODES:
        raise _refuse(
            f"Mã trạng thái '{code or ''}' không có trong QCVN 102:2016 (01–06, 13, 15, 16).",
            "edxml_status_code",
        )
    msg.status_code = code
    msg.response_for = _text(header, "ResponseFor", "DocumentId")
    if not msg.response_for:
        organ = _text(header, "ResponseFor", "OrganId")
        symbol = _text(header, "ResponseFor", "Code")
        day = _date(header, "ResponseFor", "PromulgationDate")
        if organ and symbol and day:
            msg.response_for = document_key(organ, day, symbol)
    if not msg.response_for:
        raise _refuse(
            "Thông điệp trạng thái không nói nó trả lời văn bản nào (ResponseFor/DocumentId).",
            "edxml_incomplete",
        )
    msg.description = _text(header, "Description")
    staff = [_text(header, "StaffInfo", "Staff"), _text(header, "StaffInfo", "Department")]
    msg.staff = ", ".join(s for s in staff if s) or None
    msg.timestamp = _text(header, "Timestamp")
    return msg


def _document(msg: Message, header: Any, root: Any) -> Message:
    msg.to_organs = [_organ(t, "To") for t in _all_texts_each(header, "To", "OrganId")]
    if not msg.to_organs:
        raise _refuse("Thông điệp văn bản thiếu nơi nhận (To/OrganId).", "edxml_incomplete")
    msg.code_number = _text(header, "Code", "CodeNumber")
    msg.code_notation = _text(header, "Code", "CodeNotation")
    msg.place = _text(header, "PromulgationInfo", "Place")
    msg.promulgated_on = _date(header, "PromulgationInfo", "PromulgationDate")
    msg.type_code = _text(header, "DocumentType", "Type")
    msg.type_name = _text(header, "DocumentType", "TypeName")
    msg.subject = _text(header, "Subject")
    msg.content = _text(header, "Content")
    msg.signer = _text(header, "SignerInfo", "FullName")
    msg.signer_position = _text(header, "SignerInfo", "Position")
    msg.competence = _text(header, "SignerInfo", "Competence")
    msg.due_date = _date(header, "DueDate")
    msg.to_places = _all_texts(header, "ToPlaces", "Place")
    msg.priority = _int(_text(header, "OtherInfo", "Priority"))
    msg.appendices = _all_texts(header, "OtherInfo", "Appendixes", "Appendix")
    msg.steering_type = _int(_text(header, "SteeringType"))
    msg.platform_id = _text(header, "DocumentId")
    msg.response_for = _text(header, "ResponseFor", "DocumentId")
    # The platform's SDK spells it "Bussiness", the standard's text "Business": take both;
    # the SDK writes it in TraceHeaderList, some systems in MessageHeader: take either.
    trace = _find(root, "edXMLEnvelope", "edXMLHeader", "TraceHeaderList")
    business = next(
        (
            found
            for place in (header, trace)
            for name in ("Bussiness", "Business")
            if (found := _find(place, name)) is not None
        ),
        None,
    )
    if business is not None:
        btype = _text(business, "BussinessDocType") or _text(business, "BusinessDocType")
        kind = _int(btype) if btype is not None else 0
        if kind not in BUSINESS_TYPES:
            raise _refuse(
                f"Loại nghiệp vụ '{btype}' không có trong QCVN 102:2016 (0 mới, 1 thu hồi, "
                "2 cập nhật, 3 thay thế).",
                "edxml_business_type",
            )
        msg.business_type = kind
        msg.business_reason = _text(business, "BussinessDocReason") or _text(
            business, "BusinessDocReason"
        )
        msg.business_document_id = _text(business, "DocumentId")
        replaced = _find(business, "ReplacementInfoList")
        if replaced is not None:
            for info in replaced.findall(f"{{{NS}}}ReplacementInfo"):
                doc_id = _text(info, "DocumentId")
                if doc_id:
                    msg.replaces.append(doc_id)
    if not msg.symbol or not msg.promulgated_on:
        raise _refuse(
            "Thông điệp văn bản thiếu số, ký hiệu (Code) hoặc ngày ban hành "
            "(PromulgationInfo/PromulgationDate).",
            "edxml_incomplete",
        )
    if msg.business_type in (0, 2, 3) and not msg.subject:
        raise _refuse("Thông điệp văn bản thiếu trích yếu (Subject).", "edxml_incomplete")
    encoded = _find(root, "AttachmentEncoded")
    listed = _find(envelope_body(root), "edXMLManifest")
    refs = [] if listed is None else listed.findall(f"{{{NS}}}Reference")
    manifest = {_text(ref, "ContentId"): _text(ref, "Description") for ref in refs}
    for node in [] if encoded is None else encoded.findall(f"{{{NS}}}Attachment"):
        content_id = _text(node, "ContentId") or ""
        body = _find(node, "ContentTransferEncoded")
        msg.attachments.append(
            Attachment(
                content_id=content_id,
                name=_text(node, "AttachmentName") or f"tep-{len(msg.attachments) + 1}",
                content_type=_text(node, "ContentType") or "application/octet-stream",
                description=_text(node, "Description") or manifest.get(content_id) or "",
                encoded=(body.text or "").encode("ascii", "replace") if body is not None else b"",
            )
        )
    return msg


def envelope_body(root: Any) -> Any:
    """The ``edXMLBody`` of a message's envelope, or None."""
    return _find(root, "edXMLEnvelope", "edXMLBody")


def _all_texts_each(header: Any, parent: str, leaf: str) -> list[str]:
    """``leaf`` of every ``parent`` directly under ``header`` (a message may have several To)."""
    out = []
    for node in header.findall(f"{{{NS}}}{parent}"):
        text = _text(node, leaf)
        if text:
            out.append(text)
    return out
