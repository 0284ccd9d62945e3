"""A ward's own document to agencies outside the city (docs/edxml.md, "A ward's documents"),
both engines: the ward addresses an outside agency by OrganId and name; once released and
synced, the hub writes its edXML document message (its file embedded) to the outbox exactly
once, whatever rounds, replayed pushes and crashes come, from the ward's own OrganId or else
the city's; the status the agency sends back reaches the ward's document on its next sync;
two wards without an OrganId sending the same symbol the same day make a status ambiguous,
refused rather than put on the wrong document."""

from __future__ import annotations

import hashlib
import io
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from central_hub.edxml import outbound, parse, run_once
from sync import NodeSync
from tests.hub.edxml import messages as M
from tests.support import AppTransport, hub_query, hub_token, synced_session
from tests.support.nodes import enrollment_token
from tests.support.users import add_ward_user
from ward_node import create_app as create_ward
from ward_node.documents import Documents
from ward_node.store import load_clock
from ward_node.sync_link import init_node
from webapp import User

WARD, OTHER = "19786", "19744"
WARD_ORGAN = "000.35.15.H57"
PROVINCE = ("000.00.20.H41", "Văn phòng UBND tỉnh Quảng Trị")
MINISTRY = ("000.00.00.G22", "Văn phòng Chính phủ")
HUB_ORGAN = "000.00.00.H57"
CLERK = User("vanthu", "clerk", "Trần Thị Văn Thư")
LEADER = User("lanhdao", "leader", "Lê Văn Lãnh")
SPECIALIST = User("chuyenvien", "specialist", "Ngô Chuyên Viên")


def _ward(tmp_path: Path, hub: FlaskClient, unit: str) -> tuple[NodeSync, sqlite3.Connection]:
    transport = AppTransport(hub)
    data = tmp_path / f"ward-{unit}"
    init_node(
        data,
        unit=unit,
        hub_url="http://hub.test",
        token=enrollment_token(tmp_path, unit),
        transport=transport,
    )
    return synced_session(data, transport)


def _organ(hub: FlaskClient, tmp_path: Path, unit: str, organ: str) -> None:
    resp = hub.put(
        f"/api/v1/units/{unit}", json={"organ_id": organ}, headers=hub_token(hub, tmp_path / "hub")
    )
    assert resp.status_code == 200, resp.get_json()


def _release(conn: sqlite3.Connection, *agencies: tuple[str, str], **extra: Any) -> dict:
    docs = Documents(conn, load_clock(conn))
    body = {
        "doc_type": "Công văn",
        "summary": "Về việc phối hợp xác minh hộ khẩu",
        "edxml_to": [{"organ_id": o, "name": n} for o, n in agencies],
        **extra,
    }
    doc = docs.create(body, SPECIALIST)
    for action, user in (("approve", LEADER), ("sign", LEADER), ("release", CLERK)):
        doc = docs.act(doc["id"], {"action": action}, user)
    return doc


def _outbox(hub: FlaskClient) -> list[Path]:
    out = Path(hub.application.config["DATA"]) / "edxml" / "outbox"
    return sorted(out.glob("*-vanban-*.edxml")) if out.exists() else []


def _take(hub: FlaskClient, tmp_path: Path, raw: bytes) -> Any:
    headers = {**hub_token(hub, tmp_path / "hub"), "Content-Type": "application/xml"}
    return hub.post("/api/v1/edxml", data=raw, headers=headers)


def _attach_pdf(tmp_path: Path, ward_app: Any, doc_id: str) -> None:
    """The ward's file on the document, through the ward's API as the drafter attaches it."""
    add_ward_user(tmp_path / f"ward-{WARD}", "chuyenvien", "specialist")
    client = ward_app.test_client()
    auth = client.post(
        "/api/v1/auth/token", json={"username": "chuyenvien", "password": "matkhau-123"}
    ).get_json()["token"]
    up = client.post(
        f"/api/v1/documents/{doc_id}/attachments",
        data={"file": (io.BytesIO(M.PDF), "Công văn xác minh.pdf")},
        headers={"Authorization": f"Bearer {auth}"},
        content_type="multipart/form-data",
    )
    assert up.status_code == 201, up.get_json()


@pytest.fixture
def hub_config() -> dict[str, Any]:
    return {"ORGAN_ID": HUB_ORGAN}


def test_a_ward_document_waits_for_its_files_before_it_goes_out(
    tmp_path: Path, hub: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A ward sends a file's bytes after the records that name it. A round in between must not
    write the message without the file: it goes out once, so it would never carry it."""
    from central_hub.files import blob_store

    session, conn = _ward(tmp_path, hub, WARD)
    ward_app = create_ward({"DATA": str(tmp_path / f"ward-{WARD}"), "SYNC_INTERVAL": 0})
    doc = Documents(conn, load_clock(conn)).create(
        {
            "doc_type": "Công văn",
            "summary": "Về việc xác minh",
            "edxml_to": [PROVINCE[0]],
            "edxml_to_names": {PROVINCE[0]: PROVINCE[1]},
        },
        SPECIALIST,
    )
    _attach_pdf(tmp_path, ward_app, doc["id"])
    docs = Documents(conn, load_clock(conn))
    for action, user in (("approve", LEADER), ("sign", LEADER), ("release", CLERK)):
        doc = docs.act(doc["id"], {"action": action}, user)
    session.run()
    # The records are at the hub; the file's bytes, as if still on their way, are not.
    with hub.application.app_context():
        stored = blob_store().path(hashlib.sha256(M.PDF).hexdigest())
    away = stored.with_name("away")
    stored.rename(away)
    caplog.set_level("INFO", logger=hub.application.logger.name)
    assert run_once(hub.application)["documents"] == 0
    assert _outbox(hub) == []
    assert hub_query(tmp_path / "hub", "SELECT count(*) FROM edxml_document_sent")[0][0] == 0
    assert "chưa nhận đủ tệp đính kèm" in caplog.text
    assert not [r for r in caplog.records if r.levelname == "WARNING" and "edXML" in r.message]
    with hub.application.app_context(), pytest.raises(Exception, match="chưa nhận đủ tệp"):
        outbound.document_edxml(doc["id"])  # the API's GET says so too, 409
    away.rename(stored)
    assert run_once(hub.application)["documents"] == 1
    (written,) = _outbox(hub)
    (att,) = parse(written.read_bytes()).attachments
    assert att.name == "Công văn xác minh.pdf" and att.data() == M.PDF


def test_a_ward_document_goes_out_once_from_its_organ_id_and_its_status_comes_back(
    tmp_path: Path, hub: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _organ(hub, tmp_path, WARD, WARD_ORGAN)
    session, conn = _ward(tmp_path, hub, WARD)
    # The ward's file on the document, through the ward's API as the drafter attaches it.
    ward_app = create_ward({"DATA": str(tmp_path / f"ward-{WARD}"), "SYNC_INTERVAL": 0})
    doc = Documents(conn, load_clock(conn)).create(
        {
            "doc_type": "Công văn",
            "summary": "Về việc phối hợp xác minh hộ khẩu",
            "edxml_to": [" 000.00.20.h41 ", MINISTRY[0]],
            "edxml_to_names": {"000.00.20.h41": PROVINCE[1], MINISTRY[0]: MINISTRY[1]},
        },
        SPECIALIST,
    )
    assert doc["edxml_to"] == [PROVINCE[0], MINISTRY[0]]  # spaces and case mended
    _attach_pdf(tmp_path, ward_app, doc["id"])
    docs = Documents(conn, load_clock(conn))
    for action, user in (("approve", LEADER), ("sign", LEADER), ("release", CLERK)):
        doc = docs.act(doc["id"], {"action": action}, user)
    assert [r["sent_at"] for r in doc["outside"]] == [None, None]
    session.run()

    # A round writes it: from the ward's OrganId, to both agencies by name, the PDF inside.
    assert run_once(hub.application)["documents"] == 1
    (written,) = _outbox(hub)
    msg = parse(written.read_bytes())
    assert msg.from_organ == WARD_ORGAN and msg.to_organs == [PROVINCE[0], MINISTRY[0]]
    assert msg.symbol == doc["symbol"]
    assert PROVINCE[1].encode() in written.read_bytes()  # To/OrganName as the ward typed it
    (att,) = msg.attachments
    assert att.name == "Công văn xác minh.pdf" and att.data() == M.PDF

    # Rounds again, the same push replayed, a second process: still one message.
    pushes = [(p, b) for p, b in session.transport.sent if "push" in p]
    assert pushes
    for path, body in pushes:
        hub.post(path, data=body)
    assert run_once(hub.application)["documents"] == 0
    with hub.application.app_context():
        assert outbound.write_document(doc["id"]) is None
    assert _outbox(hub) == [written]
    assert hub_query(tmp_path / "hub", "SELECT count(*) FROM edxml_document_sent")[0][0] == 1

    # The ward learns it went out; the province reports 03, the ministry 02 with its reason.
    session.run()
    seen = Documents(conn, load_clock(conn)).get(doc["id"], CLERK)["outside"]
    assert [r["name"] for r in seen] == [PROVINCE[1], MINISTRY[1]]
    assert all(r["sent_at"] for r in seen) and not any(r["status_code"] for r in seen)
    key = msg.doc_key
    assert key.startswith(f"{WARD_ORGAN},")
    assert _take(hub, tmp_path, M.status("03", answers=key, sender=PROVINCE[0])).status_code == 201
    refused = M.status("02", answers=key, sender=MINISTRY[0])
    assert _take(hub, tmp_path, refused).status_code == 201
    session.run()
    seen = {
        r["organ_id"]: r for r in Documents(conn, load_clock(conn)).get(doc["id"], CLERK)["outside"]
    }
    assert seen[PROVINCE[0]]["status_code"] == "03"
    assert seen[PROVINCE[0]]["status_name"] == "Văn thư đã tiếp nhận, vào sổ"
    assert seen[MINISTRY[0]]["status_code"] == "02" and seen[MINISTRY[0]]["at"]
    # A status from an agency the document was not sent to changes nothing at the ward.
    stranger = M.status("06", answers=key, sender="000.00.00.X09")
    assert _take(hub, tmp_path, stranger).status_code == 422
    session.run()
    again = Documents(conn, load_clock(conn)).get(doc["id"], CLERK)
    assert {r["organ_id"] for r in again["outside"]} == {PROVINCE[0], MINISTRY[0]}


def test_a_crash_between_claim_and_file_writes_the_same_message_once_after_restart(
    tmp_path: Path, hub: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, conn = _ward(tmp_path, hub, WARD)
    doc = _release(conn, PROVINCE)
    session.run()
    real = outbound._write

    def crash(name: str, data: bytes) -> Path:
        raise OSError("ổ đĩa đầy")

    monkeypatch.setattr(outbound, "_write", crash)
    with pytest.raises(OSError):
        run_once(hub.application)
    assert _outbox(hub) == []
    claimed = hub_query(tmp_path / "hub", "SELECT file_name, written_at FROM edxml_document_sent")
    assert len(claimed) == 1 and claimed[0][1] is None
    monkeypatch.setattr(outbound, "_write", real)
    # After the restart: the claimed message, byte for byte, under the name claimed; once.
    assert run_once(hub.application)["documents"] == 1
    assert run_once(hub.application)["documents"] == 0
    (written,) = _outbox(hub)
    assert written.name == claimed[0][0]
    (stored,) = hub_query(
        tmp_path / "hub",
        "SELECT sha256 FROM edxml_messages WHERE document_id = ? AND kind = 'document'",
        doc["id"],
    )
    assert hashlib.sha256(written.read_bytes()).hexdigest() == stored[0]
    # No OrganId for the ward: the document goes out under the city's.
    msg = parse(written.read_bytes())
    assert msg.from_organ == HUB_ORGAN and msg.to_organs == [PROVINCE[0]]


def test_two_wards_without_organ_id_same_symbol_same_day_a_status_is_not_guessed(
    tmp_path: Path, hub: FlaskClient
) -> None:
    s1, c1 = _ward(tmp_path, hub, WARD)
    s2, c2 = _ward(tmp_path, hub, OTHER)
    d1 = _release(c1, PROVINCE)
    d2 = _release(c2, PROVINCE, MINISTRY)
    assert d1["symbol"] == d2["symbol"] and d1["issued_on"] == d2["issued_on"]
    s1.run()
    s2.run()
    assert run_once(hub.application)["documents"] == 2
    key = parse(_outbox(hub)[0].read_bytes()).doc_key
    before = hub_query(tmp_path / "hub", "SELECT count(*) FROM edxml_statuses")[0][0]
    # Both went to the province: which one it answers cannot be told.
    resp = _take(hub, tmp_path, M.status("03", answers=key, sender=PROVINCE[0]))
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["code"] == "edxml_ambiguous_document" and "mã định danh" in error["message"]
    assert hub_query(tmp_path / "hub", "SELECT count(*) FROM edxml_statuses")[0][0] == before
    # Only the second went to the ministry: its status is that one's.
    assert _take(hub, tmp_path, M.status("04", answers=key, sender=MINISTRY[0])).status_code == 201
    s2.run()
    s1.run()
    two = Documents(c2, load_clock(c2)).get(d2["id"], CLERK)["outside"]
    assert {r["organ_id"]: r["status_code"] for r in two} == {PROVINCE[0]: None, MINISTRY[0]: "04"}
    one = Documents(c1, load_clock(c1)).get(d1["id"], CLERK)["outside"]
    assert [r["status_code"] for r in one] == [None]
