"""edXML messages into the hub (docs/edxml.md, "In"): ``POST /api/v1/edxml`` takes the two
samples of the platform's SDK as published and messages built from them (each business type,
each status code), refuses broken and hostile ones with a Vietnamese message and nothing
stored, and takes Word and Excel files as downloads. Both engines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from sync import BlobStore
from tests.hub.edxml import messages as M
from tests.support import hub_token
from tests.support.hubstore import hub_query

CITY = "H57"
WARD = "19786"
XML = {"Content-Type": "application/xml"}


@pytest.fixture
def hub_config() -> dict[str, Any]:
    # The status sample answers a document of 000.00.00.G22: this hub is that agency.
    return {"ORGAN_ID": "000.00.00.G22"}


@pytest.fixture
def auth(hub: FlaskClient, tmp_path: Path) -> dict[str, str]:
    return {**hub_token(hub, tmp_path / "hub"), **XML}


def _ward_organ(hub: FlaskClient, tmp_path: Path, unit: str, organ: str) -> None:
    resp = hub.put(
        f"/api/v1/units/{unit}", json={"organ_id": organ}, headers=hub_token(hub, tmp_path / "hub")
    )
    assert resp.status_code == 200, resp.get_json()


def _post(hub: FlaskClient, auth: dict[str, str], raw: bytes) -> Any:
    return hub.post("/api/v1/edxml", data=raw, headers=auth)


def _count(tmp_path: Path) -> tuple[int, ...]:
    """What a refused message must leave unchanged: documents, attachments, the journal, the
    exchange's rows, and the files of the outbox."""
    rows = [
        hub_query(tmp_path / "hub", f"SELECT count(*) FROM {t}")[0][0]
        for t in ("document", "attachment", "journal", "edxml_messages", "edxml_documents")
    ]
    outbox = tmp_path / "hub" / "edxml" / "outbox"
    return (*rows, len(list(outbox.iterdir())) if outbox.exists() else 0)


def _doc(hub: FlaskClient, auth: dict[str, str], doc_id: str) -> dict[str, Any]:
    resp = hub.get(f"/api/v1/edxml/documents/{doc_id}", headers=auth)
    assert resp.status_code == 200
    return dict(resp.get_json())


def _outbox(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "hub" / "edxml" / "outbox").iterdir())


# -- the samples --------------------------------------------------------------------------------


def test_the_document_sample_becomes_a_ward_s_incoming_document(
    hub: FlaskClient, tmp_path: Path, auth: dict[str, str]
) -> None:
    _ward_organ(hub, tmp_path, WARD, M.SAMPLE_TO)
    resp = _post(hub, auth, M.sample("edoc"))
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["kind"] == "document" and body["business_type"] == 0
    assert [c["unit"] for c in body["created"]] == [WARD]
    # The SDK's sample carries a placeholder instead of its file: said, not fatal.
    assert "GUIDE_INSTALL OPENVPN.SIGNED.PDF" in body["warnings"][0]
    assert body["signature"]["status"] == "unverifiable"
    doc_id = body["created"][0]["document_id"]
    info = _doc(hub, auth, doc_id)
    doc = info["document"]
    assert doc["unit"] == CITY and doc["units"] == [WARD] and doc["direction"] == "incoming"
    assert doc["symbol"] == "12234555512/PRO-TEST-CASE1"
    assert doc["issued_on"] == "2019-01-17"
    assert doc["doc_type"] == "Thông tư"
    assert doc["summary"] == "Văn bản liên thông chỉ đạo - 190701"
    assert doc["signer"] == "Trương Minh Tuấn"
    assert doc["urgency"] == "normal"
    assert doc["issuing_agency"] == "Văn phòng Chính phủ"
    assert "Bộ trưởng" in doc["notes"] and "25/06/2018" in doc["notes"]
    assert "không mã hóa base64" in doc["notes"]
    assert info["outside"]["doc_key"] == M.SAMPLE_KEY
    assert info["outside"]["platform_id"] == "9fbfbad2-f1f8-4256-a2eb-50fb1061cddb"
    assert info["outside"]["organ_from"] == M.SAMPLE_FROM
    # The document goes to the ward on its next pull, routed like any city document.
    routes = hub_query(
        tmp_path / "hub",
        "SELECT r.unit FROM routes r JOIN journal j ON j.jseq = r.jseq WHERE j.id = ?",
        doc_id,
    )
    assert (WARD,) in routes
    # The original message is kept, byte for byte, and 01 went to the outbox.
    (original,) = [m for m in info["messages"] if m["direction"] == "in"]
    sha = hub_query(
        tmp_path / "hub", "SELECT sha256 FROM edxml_messages WHERE id = ?", original["id"]
    )
    stored = BlobStore(tmp_path / "hub" / "blobs")
    assert stored.path(sha[0][0]).read_bytes() == M.sample("edoc")
    (arrival,) = _outbox(tmp_path)
    assert "-trangthai-01-" in arrival


def test_the_same_message_twice_is_taken_once(
    hub: FlaskClient, tmp_path: Path, auth: dict[str, str]
) -> None:
    _ward_organ(hub, tmp_path, WARD, M.SAMPLE_TO)
    assert _post(hub, auth, M.sample("edoc")).status_code == 201
    before = _count(tmp_path)
    again = _post(hub, auth, M.sample("edoc"))
    assert again.status_code == 200 and again.get_json()["repeated"] is True
    assert _count(tmp_path) == before
    # Other bytes naming the same document: refused as a duplicate, nothing stored.
    other = _post(hub, auth, M.document(subject="Trích yếu khác"))
    assert other.status_code == 422 and other.get_json()["error"]["code"] == "edxml_duplicate"
    assert _count(tmp_path) == before


def test_the_status_sample_moves_the_status_of_our_document(
    hub: FlaskClient, tmp_path: Path, auth: dict[str, str]
) -> None:
    sent = hub.post(
        "/api/v1/documents",
        json={
            "doc_type": "Công văn",
            "summary": "Về việc cung cấp thông tin",
            "symbol": "7816/VPCP-TTĐT",
            "issued_on": "2015-09-30",
            "units": [],
            "edxml_to": ["000.00.00.H41"],
        },
        headers={"Authorization": auth["Authorization"]},
    )
    assert sent.status_code == 201, sent.get_json()
    doc_id = sent.get_json()["id"]
    resp = _post(hub, auth, M.sample("status"))
    assert resp.status_code == 201, resp.get_json()
    (changed,) = resp.get_json()["changed"]
    assert changed["document_id"] == doc_id and changed["status_code"] == "01"
    (status,) = _doc(hub, auth, doc_id)["outside_statuses"]
    assert status["organ_id"] == "000.00.00.H41" and status["status_code"] == "01"
    assert status["organ_name"] == "UBND Tỉnh Nghệ An"
    assert status["staff"] == "Nguyễn Thị Ngọc Trâm, Văn thư văn phòng"
    for code in ("02", "03", "04", "05", "06", "13", "15", "16"):
        resp = _post(hub, auth, M.status(code))
        assert resp.status_code == 201, (code, resp.get_json())
        (status,) = _doc(hub, auth, doc_id)["outside_statuses"]
        assert status["status_code"] == code
    # Another agency answering it, and a code the standard does not have: refused.
    before = _count(tmp_path)
    wrong = _post(hub, auth, M.status("03", sender="000.00.00.H40"))
    assert wrong.status_code == 422
    assert wrong.get_json()["error"]["code"] == "edxml_not_recipient"
    assert _post(hub, auth, M.status("07")).get_json()["error"]["code"] == "edxml_status_code"
    unknown = _post(hub, auth, M.status("03", answers="000.00.00.G22,2015/09/30,1/ABC"))
    assert unknown.status_code == 404
    assert "không gửi văn bản nào như vậy" in unknown.get_json()["error"]["message"]
    assert _count(tmp_path) == before


# -- business types ---------------------------------------------------------------------------


def test_new_update_revocation_and_replacement_act_on_the_named_document(
    hub: FlaskClient, tmp_path: Path, auth: dict[str, str]
) -> None:
    _ward_organ(hub, tmp_path, WARD, M.SAMPLE_TO)
    pdf = [("Quyết định.pdf", "application/pdf", M.PDF)]
    first = _post(hub, auth, M.document(files=pdf))
    assert first.status_code == 201
    doc_id = first.get_json()["created"][0]["document_id"]
    assert first.get_json()["created"][0]["files"] == 1

    update = _post(
        hub,
        auth,
        M.document(
            business=2,
            reason="Sửa trích yếu",
            subject="Văn bản liên thông chỉ đạo (sửa đổi)",
            files=[("Phụ lục.xlsx", "application/vnd.ms-excel", M.xlsx())],
        ),
    )
    assert update.status_code == 201, update.get_json()
    assert update.get_json()["changed"][0]["document_id"] == doc_id
    info = _doc(hub, auth, doc_id)
    assert info["document"]["summary"] == "Văn bản liên thông chỉ đạo (sửa đổi)"
    assert info["outside"]["version"] == 2
    assert (
        "Cập nhật lần 1" in info["document"]["notes"]
        and "Sửa trích yếu" in info["document"]["notes"]
    )
    # The earlier version is its message, kept; the earlier file stays beside the new one.
    assert [m["code"] for m in info["messages"] if m["direction"] == "in"] == ["0", "2"]
    names = {
        r[0]
        for r in hub_query(
            tmp_path / "hub", "SELECT name FROM attachment WHERE parent_id = ?", doc_id
        )
    }
    assert names == {"Quyết định.pdf", "Phụ lục.xlsx"}

    replacement = _post(
        hub,
        auth,
        M.document(
            number="15", notation="VPCP-TH", business=3, reason="Thay thế", replaces=[M.SAMPLE_KEY]
        ),
    )
    assert replacement.status_code == 201, replacement.get_json()
    new_id = replacement.get_json()["created"][0]["document_id"]
    old = _doc(hub, auth, doc_id)
    assert old["document"]["recalled"] is True
    assert "thay thế bởi văn bản 15/VPCP-TH" in old["document"]["recalled_by"]
    assert old["outside"]["replaced_by"] == new_id
    assert "Thay thế văn bản: " + M.SAMPLE_KEY in _doc(hub, auth, new_id)["document"]["notes"]

    revocation = _post(
        hub, auth, M.document(number="15", notation="VPCP-TH", business=1, reason="Ban hành nhầm")
    )
    assert revocation.status_code == 201, revocation.get_json()
    revoked = _doc(hub, auth, new_id)["document"]
    assert revoked["recalled"] is True and revoked["recalled_at"]
    assert revoked["recalled_by"] == "Văn phòng Chính phủ (002.00.20.H13): Ban hành nhầm"


@pytest.mark.parametrize("business", [1, 2, 3])
def test_a_message_naming_a_document_nobody_here_knows_is_refused(
    hub: FlaskClient, tmp_path: Path, auth: dict[str, str], business: int
) -> None:
    _ward_organ(hub, tmp_path, WARD, M.SAMPLE_TO)
    before = _count(tmp_path)
    resp = _post(hub, auth, M.document(business=business, replaces=["000.00.00.X1,2020/01/01,1/A"]))
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "edxml_unknown_document"
    assert "chưa từng nhận văn bản" in resp.get_json()["error"]["message"]
    assert _count(tmp_path) == before


# -- refused ------------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><x>&lol3;</x></edXML>"""
EXTERNAL = (
    b'<?xml version="1.0"?>\n<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    + M.document(subject="&xxe;").split(b"\n", 1)[1].replace(b"&amp;xxe;", b"&xxe;")
)
DTD_ONLY = M.document().replace(
    b"<edXML ", b'<!DOCTYPE edXML SYSTEM "http://evil.example/edxml.dtd">\n<edXML ', 1
)


@pytest.mark.parametrize(
    ("raw", "status", "code", "says"),
    [
        (BILLION_LAUGHS, 422, "edxml_dtd", "DOCTYPE/ENTITY"),
        (EXTERNAL, 422, "edxml_dtd", "DOCTYPE/ENTITY"),
        (DTD_ONLY, 422, "edxml_dtd", "DOCTYPE/ENTITY"),
        (M.document()[:-40], 422, "edxml_malformed", "không đúng cú pháp XML"),
        (b"hello", 422, "edxml_not_xml", "không phải một thông điệp edXML"),
        (b"<a>not edxml</a>", 422, "edxml_not_edxml", "QCVN 102:2016"),
        (M.document(to="000.00.99.X99"), 422, "edxml_wrong_recipient", "không phải Văn phòng"),
        (
            M.document(
                files=[("big.pdf", "application/pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024))]
            ),
            413,
            "edxml_file_too_large",
            "lớn hơn 10 MB",
        ),
        (
            M.document(
                files=[("setup.exe", "application/octet-stream", b"MZ\x90\x00" + b"\x00" * 100)]
            ),
            415,
            "unsupported_file_type",
            "setup.exe",
        ),
        (
            M.document(files=[("macro.docx", "application/msword", M.docx(macros=True))]),
            415,
            "office_macros",
            "macro",
        ),
        (
            M.document(files=[("mau.docx", "application/msword", M.docx(remote_template=True))]),
            415,
            "office_active_content",
            "tự tải từ mạng",
        ),
    ],
    ids=[
        "billion-laughs",
        "external-entity",
        "external-dtd",
        "not-well-formed",
        "not-xml",
        "not-edxml",
        "wrong-recipient",
        "oversized-attachment",
        "executable",
        "word-macros",
        "word-remote-template",
    ],
)
def test_broken_and_hostile_messages_are_refused_and_nothing_is_stored(
    hub: FlaskClient,
    tmp_path: Path,
    auth: dict[str, str],
    raw: bytes,
    status: int,
    code: str,
    says: str,
) -> None:
    _ward_organ(hub, tmp_path, WARD, M.SAMPLE_TO)
    before = _count(tmp_path)
    resp = _post(hub, auth, raw)
    assert resp.status_code == status, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == code
    assert says in error["message"]
    assert _count(tmp_path) == before


def test_a_message_must_come_as_xml_from_an_administrator(
    hub: FlaskClient, tmp_path: Path, auth: dict[str, str]
) -> None:
    resp = hub.post(
        "/api/v1/edxml", data=M.sample("edoc"), headers={**auth, "Content-Type": "text/plain"}
    )
    assert resp.status_code == 415 and "application/xml" in resp.get_json()["error"]["message"]
    operator = hub_token(hub, tmp_path / "hub", role="operator")
    resp = hub.post("/api/v1/edxml", data=M.sample("edoc"), headers={**operator, **XML})
    assert resp.status_code == 403
    assert hub.post("/api/v1/edxml", data=M.sample("edoc"), headers=XML).status_code == 401


def test_messy_files_are_read(hub: FlaskClient, tmp_path: Path, auth: dict[str, str]) -> None:
    """A BOM, bytes before the declaration, odd whitespace, empty and missing optional parts."""
    raw = M.document(subject="  Về   việc\n\t kiểm tra  ")
    raw = raw.replace(
        b"<edXML:Content>test g\xe1\xbb\xadi li\xc3\xaan th\xc3\xb4ng vpcp</edXML:Content>",
        b"<edXML:Content/>",
    )
    raw = raw.replace(b"<edXML:DueDate>2018/06/25</edXML:DueDate>", b"")
    messy = b"\xef\xbb\xbfContent-Type: application/xml\r\n\r\n  " + raw
    resp = _post(
        hub,
        auth,
        messy.replace(b"<edXML:To>", b"<edXML:To>\n\n  ", 1).replace(
            M.SAMPLE_TO.encode(), b"  000.00.00.G22 \n"
        ),
    )
    assert resp.status_code == 201, resp.get_json()
    doc = _doc(hub, auth, resp.get_json()["created"][0]["document_id"])["document"]
    assert doc["summary"] == "Về việc kiểm tra" and doc["units"] == [CITY]
    assert "Hạn trả lời" not in (doc["notes"] or "")


def test_word_and_excel_files_are_stored_and_only_downloaded(
    hub: FlaskClient, tmp_path: Path, auth: dict[str, str]
) -> None:
    from tests.support import console_login

    files = [
        ("Tờ trình.docx", "application/msword", M.docx()),
        ("Số liệu.xlsx", "application/vnd.ms-excel", M.xlsx()),
        ("Quyết định.pdf", "application/pdf", M.PDF),
    ]
    resp = _post(hub, auth, M.document(to="000.00.00.G22", files=files))
    assert resp.status_code == 201, resp.get_json()
    doc_id = resp.get_json()["created"][0]["document_id"]
    rows = hub_query(
        tmp_path / "hub",
        "SELECT id, name, mime FROM attachment WHERE parent_id = ? ORDER BY name",
        doc_id,
    )
    mimes = {r[1]: r[2] for r in rows}
    assert mimes["Tờ trình.docx"].endswith("wordprocessingml.document")
    assert mimes["Số liệu.xlsx"].endswith("spreadsheetml.sheet")
    console_login(hub, None, role="admin")
    for att_id, name, _mime in rows:
        got = hub.get(f"/console/dieu-hanh/lien-thong/{doc_id}/tep/{att_id}")
        got.close()
        assert got.status_code == 200
        disposition = got.headers["Content-Disposition"]
        if name.endswith(".pdf"):
            assert disposition.startswith("inline")
        else:
            assert disposition.startswith("attachment")
            assert "sandbox" in got.headers["Content-Security-Policy"]
    page = hub.get(f"/console/dieu-hanh/lien-thong/{doc_id}").get_data(as_text=True)
    assert "Tờ trình.docx" in page and "tải về" in page
