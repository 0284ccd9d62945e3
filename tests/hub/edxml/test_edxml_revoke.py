"""Revocation messages out (docs/edxml.md, "Revocations out"), both engines: a document whose
edXML document message went out and is then recalled (by the city office at the console, or
by a ward, the recall synced from a real ward app) gets one revocation message (business type
1) per agency it went to, with the document's identity and the recall's reason, signed when
configured, exactly once whatever rounds, processes, replayed pushes and crashes come; a
document recalled before it went out sends nothing; a second hub takes the revocation and
recalls its copy; the ward's page and the console's say it went; and the statuses of a
document from outside stop once its sender revoked it (only 15/16 go back)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from central_hub.edxml import outbound, parse, revocation, run_once
from central_hub.store import edxml_revocations
from tests.hub.conftest import HubEngine
from tests.hub.edxml import messages as M
from tests.hub.edxml.test_edxml_out import _auth, _certificates, _hub, _send, _take
from tests.hub.edxml.test_edxml_ward import (
    CLERK,
    LEADER,
    MINISTRY,
    PROVINCE,
    _organ,
    _release,
    _ward,
)
from tests.hub.edxml.test_edxml_ward import _take as _take_at
from tests.support import console_login, csrf_of, hub_query, ward_login
from tests.support.users import add_ward_user
from ward_node import create_app as create_ward
from ward_node.documents import Documents
from ward_node.store import load_clock

CITY_A, CITY_B = "000.00.00.H57", "000.00.00.H41"
GOV = ("000.00.00.G22", "Văn phòng Chính phủ")
WARD = "19786"
WARD_ORGAN = "000.35.15.H57"
BUSINESS = {
    "edXML/edXMLEnvelope/edXMLHeader/TraceHeaderList/Bussiness",
    *(
        f"edXML/edXMLEnvelope/edXMLHeader/TraceHeaderList/Bussiness/{leaf}"
        for leaf in ("DocumentId", "BussinessDocType", "BussinessDocReason", "Paper")
    ),
}


def _files(app: Flask, kind: str) -> list[Path]:
    out = Path(app.config["DATA"]) / "edxml" / "outbox"
    return sorted(out.glob(f"*-{kind}-*.edxml")) if out.exists() else []


def _numbered(number: str, **kw: Any) -> bytes:
    """The document sample numbered ``number``, with a platform DocumentId of its own."""
    raw = M.document(number=number, **kw)
    return raw.replace(b"50fb1061cddb", f"{int(number):012d}".encode())


def _console(app: Flask) -> FlaskClient:
    client = app.test_client()
    console_login(client, None, role="admin")
    return client


def _recall(client: FlaskClient, doc_id: str, reason: str) -> str:
    page = f"/console/dieu-hanh/van-ban/{doc_id}"
    resp = client.post(
        f"{page}/thu-hoi",
        data={"reason": reason, "csrf_token": csrf_of(client.get(page).text)},
        follow_redirects=True,
    )
    assert resp.status_code == 200
    return resp.text


@pytest.fixture
def engine(hub_engine: HubEngine) -> HubEngine:
    return hub_engine


def test_a_city_recall_revokes_at_each_agency_once_and_a_second_hub_takes_it(
    tmp_path: Path, engine: HubEngine
) -> None:
    ca, cert, key = _certificates(tmp_path)
    a = _hub(tmp_path, "a", engine, EDXML_SIGN_CERT=str(cert), EDXML_SIGN_KEY=str(key))
    b = _hub(tmp_path, "b", engine, ORGAN_ID=CITY_B, EDXML_TRUST_STORE=str(ca))
    sent = _send(a, edxml_to=[CITY_B, GOV[0]], edxml_to_names={GOV[0]: GOV[1]})
    early = _send(a, summary="Văn bản thu hồi trước khi gửi")
    console = _console(a)
    # A recall needs its reason: refused, nothing changed; then recalled before any round.
    assert "Hãy ghi lý do thu hồi" in _recall(console, early["id"], "  ")
    assert hub_query(tmp_path / "a", "SELECT recalled FROM document WHERE id = ?", early["id"])[0][
        0
    ] in (None, 0, False)
    _recall(console, early["id"], "Gửi nhầm")
    assert "đã được thu hồi trước đó" in _recall(console, early["id"], "Lần nữa")

    done = run_once(a)
    assert done["documents"] == 1 and done["revocations"] == 0
    (message,) = _files(a, "vanban")
    original = parse(message.read_bytes())
    assert original.symbol == sent["symbol"]
    taken = _take(b, message.read_bytes())
    assert taken.status_code == 201, taken.get_json()
    copy_id = taken.get_json()["created"][0]["document_id"]
    # The early one went nowhere and has nothing to revoke.
    page = console.get(f"/console/dieu-hanh/van-ban/{early['id']}").text
    assert "Không gửi (đã thu hồi trước khi gửi)" in page and "data-recall-form" not in page

    text = _recall(console, sent["id"], "Ban hành nhầm nơi nhận")
    assert "Chờ gửi thông báo thu hồi" in text
    assert run_once(a)["revocations"] == 2
    revocations = _files(a, "thuhoi")
    assert [p.name.split("-thuhoi-")[1][:2] for p in revocations] == ["1-", "1-"]
    by_organ = {}
    for path in revocations:
        raw = path.read_bytes()
        msg = parse(raw)
        (to,) = msg.to_organs
        by_organ[to] = raw
        assert msg.business_type == 1 and msg.attachments == []
        assert msg.from_organ == CITY_A == original.from_organ
        assert (msg.symbol, msg.promulgated_on) == (original.symbol, original.promulgated_on)
        assert msg.doc_key == original.doc_key == msg.business_document_id == msg.platform_id
        assert msg.business_reason == "admin: Ban hành nhầm nơi nhận"
        assert b"SignatureValue" in raw
        # The samples' structure, plus the business part where the SDK writes it.
        extra = M.paths(raw) - M.paths(M.sample("edoc"))
        assert extra <= BUSINESS and extra, extra
    assert sorted(by_organ) == sorted([CITY_B, GOV[0]])
    assert GOV[1].encode() in by_organ[GOV[0]]

    # Rounds again, a second process holding the same work: nothing more.
    assert run_once(a)["revocations"] == 0
    with a.app_context():
        from central_hub.web import db

        assert edxml_revocations.due(db(), 10) == []
        stale = {
            "document_id": sent["id"],
            "organ_from": CITY_A,
            "organ_to": f"{CITY_B},{GOV[0]}",
            "doc_key": original.doc_key,
        }
        assert revocation.write_revocations(stale) == []
    assert _files(a, "thuhoi") == revocations
    assert (
        hub_query(
            tmp_path / "a",
            "SELECT count(*) FROM edxml_revocation_sent WHERE written_at IS NOT NULL",
        )[0][0]
        == 2
    )
    page = console.get(f"/console/dieu-hanh/van-ban/{sent['id']}").text
    assert page.count("Đã gửi thông báo thu hồi") == 2 and "data-recall-form" not in page
    assert "Ban hành nhầm nơi nhận" in page

    # Hub b takes its revocation: its copy is recalled, by hub a, for the reason given.
    resp = _take(b, by_organ[CITY_B])
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["business_type"] == 1 and body["signature"]["status"] == "verified"
    info = b.test_client().get(f"/api/v1/edxml/documents/{copy_id}", headers=_auth(b)).get_json()
    assert info["document"]["recalled"] is True
    assert info["document"]["recalled_by"] == (
        f"Văn phòng a ({CITY_A}): admin: Ban hành nhầm nơi nhận"
    )
    assert info["outside"]["revoked_at"]
    assert _take(b, by_organ[CITY_B]).status_code == 200  # the same bytes again: repeated
    # The one for the ministry is not for hub b.
    assert _take(b, by_organ[GOV[0]]).get_json()["error"]["code"] == "edxml_wrong_recipient"


def test_a_crash_between_claim_and_file_writes_the_same_revocations_once(
    tmp_path: Path, engine: HubEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = _hub(tmp_path, "a", engine)
    sent = _send(a, edxml_to=[CITY_B, GOV[0]], edxml_to_names={GOV[0]: GOV[1]})
    run_once(a)
    _recall(_console(a), sent["id"], "Sai số ký hiệu")
    real = outbound._write

    def crash(name: str, data: bytes) -> Path:
        raise OSError("ổ đĩa đầy")

    monkeypatch.setattr(outbound, "_write", crash)
    with pytest.raises(OSError):
        run_once(a)
    assert _files(a, "thuhoi") == []
    claimed = hub_query(
        tmp_path / "a",
        "SELECT organ_id, file_name, written_at, message_id FROM edxml_revocation_sent "
        "ORDER BY organ_id",
    )
    assert [(r[0], r[2]) for r in claimed] == [(GOV[0], None), (CITY_B, None)]
    monkeypatch.setattr(outbound, "_write", real)
    # After the restart: the claimed messages, byte for byte, under the names claimed; once.
    assert run_once(a)["revocations"] == 2
    assert run_once(a)["revocations"] == 0
    written = _files(a, "thuhoi")
    assert sorted(p.name for p in written) == sorted(r[1] for r in claimed)
    for organ, name, _, message_id in claimed:
        (stored,) = hub_query(
            tmp_path / "a", "SELECT sha256 FROM edxml_messages WHERE id = ?", message_id
        )
        path = written[0].parent / name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == stored[0]
        assert parse(path.read_bytes()).to_organs == [organ]


@pytest.fixture
def hub_config() -> dict[str, Any]:
    return {"ORGAN_ID": CITY_A}


def test_a_ward_recall_synced_revokes_under_the_identifier_it_went_out_with(
    tmp_path: Path, hub: FlaskClient
) -> None:
    session, conn = _ward(tmp_path, hub, WARD)
    doc = _release(conn, PROVINCE, MINISTRY)
    session.run()
    assert run_once(hub.application)["documents"] == 1
    (message,) = _files(hub.application, "vanban")
    original = parse(message.read_bytes())
    assert original.from_organ == CITY_A  # the ward had no OrganId of its own
    # The city gives the ward one since: the revocation still names the document as it went.
    _organ(hub, tmp_path, WARD, WARD_ORGAN)
    session.run()

    # The ward's leader recalls it on the ward's page, with the reason.
    data = tmp_path / f"ward-{WARD}"
    add_ward_user(data, "lanhdao", "leader", LEADER.full_name)
    ward_app = create_ward({"DATA": str(data), "SYNC_INTERVAL": 0})
    client = ward_app.test_client()
    csrf = ward_login(client, "lanhdao")
    resp = client.post(
        f"/van-ban/{doc['id']}/thao-tac",
        data={"action": "recall", "note": "Sai thông tin hộ khẩu", "csrf_token": csrf},
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    page = client.get(f"/van-ban/{doc['id']}").get_data(as_text=True)
    assert page.count("Chờ máy chủ trung tâm gửi thông báo thu hồi") == 2
    session.run()

    assert run_once(hub.application)["revocations"] == 2
    revocations = {}
    for path in _files(hub.application, "thuhoi"):
        msg = parse(path.read_bytes())
        revocations[msg.to_organs[0]] = msg
    assert sorted(revocations) == sorted([PROVINCE[0], MINISTRY[0]])
    for msg in revocations.values():
        assert msg.business_type == 1 and msg.from_organ == CITY_A
        assert msg.doc_key == original.doc_key and msg.symbol == doc["symbol"]
        assert msg.business_reason == f"{LEADER.full_name}: Sai thông tin hộ khẩu"
    # Rounds again, the ward's pushes replayed: still two.
    for path, body in [(p, b) for p, b in session.transport.sent if "push" in p]:
        hub.post(path, data=body)
    assert run_once(hub.application)["revocations"] == 0
    assert len(_files(hub.application, "thuhoi")) == 2

    # The ward learns they went, per agency.
    session.run()
    seen = Documents(conn, load_clock(conn)).get(doc["id"], CLERK)["outside"]
    assert all(r["revoked_at"] for r in seen)
    page = client.get(f"/van-ban/{doc['id']}").get_data(as_text=True)
    assert page.count("Đã gửi thông báo thu hồi") == 2


def test_a_ward_document_recalled_before_it_went_out_sends_nothing(
    tmp_path: Path, hub: FlaskClient
) -> None:
    session, conn = _ward(tmp_path, hub, WARD)
    doc = _release(conn, PROVINCE)
    Documents(conn, load_clock(conn)).act(doc["id"], {"action": "recall"}, LEADER)
    session.run()
    done = run_once(hub.application)
    assert done["documents"] == 0 and done["revocations"] == 0
    assert _files(hub.application, "vanban") == [] == _files(hub.application, "thuhoi")
    (recalled_by,) = hub_query(
        tmp_path / "hub", "SELECT recalled_by FROM document WHERE id = ?", doc["id"]
    )
    assert recalled_by[0] == LEADER.full_name


def test_statuses_stop_once_the_sender_revokes_and_the_answer_to_the_recall_goes_back(
    tmp_path: Path, hub: FlaskClient
) -> None:
    _organ(hub, tmp_path, WARD, M.SAMPLE_TO)
    session, conn = _ward(tmp_path, hub, WARD)
    first = _take_at(hub, tmp_path, _numbered("1"))
    second = _take_at(hub, tmp_path, _numbered("2"))
    one, two = (r.get_json()["created"][0]["document_id"] for r in (first, second))
    session.run()
    docs = Documents(conn, load_clock(conn))
    docs.act(one, {"action": "register"}, CLERK)
    session.run()
    assert run_once(hub.application)["statuses"] == 1  # 03 for the first
    # The sender revokes both; the ward refuses the first before it hears of it.
    for number in ("1", "2"):
        resp = _take_at(hub, tmp_path, _numbered(number, business=1, reason="Nhầm"))
        assert resp.status_code == 201, resp.get_json()
    docs.act(one, {"action": "refuse", "note": "Không thuộc thẩm quyền"}, LEADER)
    session.run()
    assert run_once(hub.application)["statuses"] == 0  # no 02 for a revoked document
    # The second: the ward agrees to the recall; 15 goes back with its note, once.
    docs = Documents(conn, load_clock(conn))
    assert docs.get(two, CLERK)["state"] == "13"
    docs.act(two, {"action": "accept_recall", "note": "Đã hủy bản lưu"}, LEADER)
    session.run()
    assert run_once(hub.application)["statuses"] == 1
    assert run_once(hub.application)["statuses"] == 0
    out = sorted(
        p.name.split("-trangthai-")[1][:2]
        for p in (Path(hub.application.config["DATA"]) / "edxml" / "outbox").glob("*trangthai*")
    )
    assert out == ["01", "01", "03", "15"]
    (answer,) = (Path(hub.application.config["DATA"]) / "edxml" / "outbox").glob("*-trangthai-15-*")
    msg = parse(answer.read_bytes())
    assert msg.status_code == "15" and msg.description == "Đồng ý thu hồi: Đã hủy bản lưu"
    assert M.paths(answer.read_bytes()) <= M.paths(M.sample("status"))
