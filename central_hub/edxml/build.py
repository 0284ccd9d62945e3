"""Writing edXML messages (QCVN 102:2016) in the structure of the platform's samples
(docs/edxml.md, "Out"): a document message for a document the city or a ward sends to an
agency outside the city, and a status message for a status change of a document that came
from outside. Attachments are embedded base64; the message is signed when the city
configured a certificate and key (``signature.sign``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lxml import etree

from office import VIETNAM

from .message import DSIG, NS, document_key

# The document's urgency and the edXML priority (0 thường, 1 khẩn, 2 thượng khẩn, 3 hỏa tốc,
# 4 hỏa tốc hẹn giờ: taken as hỏa tốc).
PRIORITY = {"normal": 0, "khan": 1, "thuong_khan": 2, "hoa_toc": 3}
URGENCY = {0: "normal", 1: "khan", 2: "thuong_khan", 3: "hoa_toc", 4: "hoa_toc"}
STATUS_TEXTS = {
    "01": "Đã đến - phần mềm quản lý văn bản đã nhận",
    "02": "Từ chối tiếp nhận",
    "03": "Văn thư đã tiếp nhận, vào sổ văn bản đến",
    "04": "Đã phân công xử lý",
    "05": "Đang xử lý",
    "06": "Đã hoàn thành xử lý",
    "15": "Đồng ý thu hồi",
    "16": "Từ chối thu hồi",
}


@dataclass
class Organ:
    """An agency as a message names it: its OrganId and name."""

    organ_id: str
    name: str


def _e(parent: Any, name: str, text: Any = None) -> Any:
    node = etree.SubElement(parent, f"{{{NS}}}{name}")
    if text is not None:
        node.text = str(text)
    return node


def _day(value: str | date | None) -> str | None:
    if not value:
        return None
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return f"{day:%Y/%m/%d}"


def _stamp(when: datetime | None = None) -> str:
    return f"{(when or datetime.now(VIETNAM)).astimezone(VIETNAM):%Y/%m/%d %H:%M:%S}"


def _skeleton() -> tuple[Any, Any, Any]:
    root = etree.Element(f"{{{NS}}}edXML", nsmap={"edXML": NS})
    envelope = _e(root, "edXMLEnvelope")
    header = _e(envelope, "edXMLHeader")
    return root, envelope, header


def _from(header: Any, organ: Organ) -> None:
    node = _e(header, "From")
    _e(node, "OrganId", organ.organ_id)
    _e(node, "OrganizationInCharge", organ.name)
    _e(node, "OrganName", organ.name)


def _placeholder(header: Any) -> None:
    # signxml puts an enveloped signature where this placeholder is, inside the header as in
    # the platform's samples; unsigned messages drop it (finish()).
    etree.SubElement(header, f"{{{DSIG}}}Signature", Id="placeholder", nsmap={"ds": DSIG})


def split_symbol(symbol: str) -> tuple[str, str]:
    """``15/QĐ-UBND`` as (CodeNumber, CodeNotation) = ("15", "QĐ-UBND")."""
    number, slash, notation = symbol.partition("/")
    return (number, notation) if slash and number.isdigit() else ("", symbol)


def document_message(
    doc: dict[str, Any],
    files: list[tuple[dict[str, Any], bytes]],
    sender: Organ,
    recipients: list[Organ],
    *,
    business_type: int = 0,
    reason: str | None = None,
) -> Any:
    """The document message of ``doc`` (a ``document`` record) from ``sender`` to
    ``recipients``, ``files`` (attachment record, bytes) embedded; its tree, unsigned. With
    ``business_type`` 1 (revocation) it carries the ``Bussiness`` part and ``reason``; the
    document's identity (Code, PromulgationInfo, From, DocumentId) is the same."""
    root, envelope, header = _skeleton()
    message = _e(header, "MessageHeader")
    _from(message, sender)
    for organ in recipients:
        to = _e(message, "To")
        _e(to, "OrganId", organ.organ_id)
        _e(to, "OrganName", organ.name)
    number, notation = split_symbol(str(doc["symbol"]))
    code = _e(message, "Code")
    _e(code, "CodeNumber", number)
    _e(code, "CodeNotation", notation)
    info = _e(message, "PromulgationInfo")
    _e(info, "Place", "Huế")
    _e(info, "PromulgationDate", _day(doc["issued_on"]))
    dtype = _e(message, "DocumentType")
    _e(dtype, "Type", doc.get("type_code") or "")
    _e(dtype, "TypeName", doc.get("doc_type") or "Công văn")
    _e(message, "Subject", doc.get("summary") or "")
    _e(message, "Content", doc.get("summary") or "")
    signer = _e(message, "SignerInfo")
    _e(signer, "Competence", doc.get("signing_competence") or "")
    _e(signer, "Position", "")
    _e(signer, "FullName", doc.get("signer") or "")
    places = _e(message, "ToPlaces")
    for organ in recipients:
        _e(places, "Place", organ.name)
    other = _e(message, "OtherInfo")
    _e(other, "Priority", PRIORITY.get(doc.get("urgency") or "normal", 0))
    _e(other, "SphereOfPromulgation", "")
    _e(other, "TyperNotation", "")
    _e(other, "PromulgationAmount", doc.get("copies") or "")
    _e(other, "PageAmount", "")
    if doc.get("steering_type") is not None:
        _e(message, "SteeringType", doc["steering_type"])
    key = document_key(sender.organ_id, date.fromisoformat(doc["issued_on"]), doc["symbol"])
    _e(message, "DocumentId", key)
    trace = _e(header, "TraceHeaderList")
    step = _e(trace, "TraceHeader")
    _e(step, "OrganId", sender.organ_id)
    _e(step, "Timestamp", _stamp())
    if business_type:
        # The business part where the platform's SDK writes it, beside the TraceHeader, in
        # its spelling ("Bussiness"); its DocumentId names the document concerned, as the
        # message's own does (docs/edxml.md, "Revocations out").
        business = _e(trace, "Bussiness")
        _e(business, "DocumentId", key)
        _e(business, "BussinessDocType", business_type)
        _e(business, "BussinessDocReason", reason or "")
        _e(business, "Paper", 0)
    _placeholder(header)
    body = _e(envelope, "edXMLBody")
    manifest = _e(body, "edXMLManifest", None)
    manifest.set("version", "1.0")
    encoded = _e(root, "AttachmentEncoded")
    for record, data in files:
        content_id = f"cid:{record['id']}"
        ref = _e(manifest, "Reference")
        _e(ref, "ContentId", content_id)
        _e(ref, "AttachmentName", record["name"])
        _e(ref, "Description", record["name"])
        attachment = _e(encoded, "Attachment")
        _e(attachment, "ContentId", content_id)
        _e(attachment, "AttachmentName", record["name"])
        _e(attachment, "ContentType", record["mime"])
        _e(attachment, "ContentTransferEncoded", base64.b64encode(data).decode("ascii"))
    return root


def status_message(
    sender: Organ,
    answered: dict[str, Any],
    code: str,
    *,
    description: str | None = None,
    staff: str | None = None,
    when: datetime | None = None,
) -> Any:
    """The status message ``code`` from ``sender`` about the outside document ``answered``
    (``organ_id``, ``symbol``, ``issued_on``, ``doc_key``); its tree, unsigned."""
    root, _envelope, header = _skeleton()
    message = _e(header, "MessageHeader")
    _from(message, sender)
    answer = _e(message, "ResponseFor")
    _e(answer, "OrganId", answered["organ_id"])
    _e(answer, "Code", answered["symbol"])
    _e(answer, "DocumentId", answered["doc_key"])
    _e(answer, "PromulgationDate", _day(answered["issued_on"]))
    staff_info = _e(message, "StaffInfo")
    _e(staff_info, "Department", "Văn thư")
    _e(staff_info, "Staff", staff or "")
    _e(message, "StatusCode", code)
    _e(message, "Description", description or STATUS_TEXTS.get(code, ""))
    _e(message, "Timestamp", _stamp(when))
    _placeholder(header)
    return root


def finish(root: Any, signer: tuple[bytes, bytes] | None) -> bytes:
    """The message's bytes (UTF-8, with its declaration), signed with ``signer`` when given,
    otherwise without the signature placeholder."""
    placeholder = root.find(f".//{{{DSIG}}}Signature")
    if signer is None:
        if placeholder is not None:
            placeholder.getparent().remove(placeholder)
    else:
        from .signature import sign

        root = sign(root, signer)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return data
