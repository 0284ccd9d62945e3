"""Online submission at the hub (issue [6], "Citizens"): the public form writes a status-1
online dossier owned by the chosen ward, which reaches the ward by sync, is received there and
flows back; bad input and floods write nothing."""

from __future__ import annotations

import io
import secrets
import sqlite3
from pathlib import Path

from flask.testing import FlaskClient

from central_hub.store import open_store as open_hub
from sync import BlobStore, NodeSync, select_records
from tests.support import AppTransport, enrollment_token, synced_session
from ward_node import create_app as create_ward
from ward_node.dossiers import Dossiers
from ward_node.store import load_clock
from ward_node.sync_link import init_node
from webapp import User

WARD = "19786"
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def _ward(tmp_path: Path, hub: FlaskClient) -> tuple[NodeSync, sqlite3.Connection]:
    transport = AppTransport(hub)
    data = tmp_path / f"ward-{WARD}"
    init_node(
        data,
        unit=WARD,
        hub_url="http://hub.test",
        token=enrollment_token(tmp_path, WARD),
        transport=transport,
    )
    return synced_session(data, transport)


def _procedure(tmp_path: Path) -> str:
    conn = open_hub(tmp_path / "hub")
    try:
        return str(conn.execute("SELECT code FROM procedure WHERE active = 1").fetchone()[0])
    finally:
        conn.close()


def _form(tmp_path: Path, **over: object) -> dict[str, object]:
    form: dict[str, object] = {
        "unit": WARD,
        "procedure_code": _procedure(tmp_path),
        "full_name": "Nguyễn Thị Lan",
        "id_number": "046185000123",
        "birth_year": "1985",
        "sex": "nữ",
        "phone": "0905 123 456",
        "address": "12 Lê Lợi, Phú Hội",
        "email": "lan@example.vn",
        "notes": "",
        "scans": (io.BytesIO(PDF), "giay-to.pdf"),
        "submission": secrets.token_urlsafe(24),  # the form's one-time token
    }
    form.update(over)
    return form


def _hub_rows(tmp_path: Path, sql: str) -> list[tuple]:
    conn = open_hub(tmp_path / "hub")
    try:
        return [tuple(r) for r in conn.execute(sql).fetchall()]
    finally:
        conn.close()


def test_form_lists_wards_and_procedures(hub: FlaskClient) -> None:
    resp = hub.get("/nop-ho-so")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "Nộp hồ sơ trực tuyến" in page and f'value="{WARD}"' in page


def test_online_dossier_reaches_ward_is_received_and_flows_back(
    tmp_path: Path, hub: FlaskClient
) -> None:
    session, conn = _ward(tmp_path, hub)
    resp = hub.post(
        "/nop-ho-so",
        data=_form(tmp_path),
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    (code,) = _hub_rows(tmp_path, "SELECT code FROM dossier")[0]
    assert code in resp.get_data(as_text=True)
    assert code.startswith(f"H57.{WARD}-") and code.endswith("-5001")

    session.run()
    dossier = select_records(conn, "dossier", "WHERE code = ?", (code,))[0]
    assert (dossier["status"], dossier["channel"], dossier["due_at"]) == (1, "online", None)
    assert dossier["applicant"]["phone"] == "+84905123456"
    (attachment,) = select_records(conn, "attachment", "WHERE parent_id = ?", (dossier["id"],))
    assert (attachment["mime"], attachment["size"]) == ("application/pdf", len(PDF))
    ward_blobs = BlobStore(tmp_path / f"ward-{WARD}" / "blobs")
    assert ward_blobs.read(attachment["sha256"], 0, len(PDF) + 1) == PDF  # the scan followed

    officer = User("officer", "officer", "Cán bộ một cửa")
    received = Dossiers(conn, load_clock(conn)).act(dossier["id"], {"action": "receive"}, officer)
    assert received["status"] == 2 and received["due_at"]
    assert select_records(conn, "sms", "WHERE dossier_id = ?", (dossier["id"],))
    session.run()

    row = _hub_rows(tmp_path, f"SELECT status, due_at FROM dossier WHERE code = '{code}'")[0]
    assert row[0] == 2 and row[1] == received["due_at"]
    timeline = hub.get(f"/api/v1/public/dossiers/{code}").get_json()["timeline"]
    assert [s["status"] for s in timeline] == [1, 2]
    assert "Được tiếp nhận" in hub.get(f"/tra-cuu/{code}").get_data(as_text=True)
    ward_app = create_ward({"DATA": str(tmp_path / f"ward-{WARD}"), "SYNC_INTERVAL": 0})
    ward_timeline = ward_app.test_client().get(f"/api/v1/public/dossiers/{code}").get_json()
    assert [s["status"] for s in ward_timeline["timeline"]] == [1, 2]


def test_bad_input_shows_the_form_again_and_writes_nothing(
    tmp_path: Path, hub: FlaskClient
) -> None:
    for over, message in (
        ({"id_number": "12345"}, "CCCD"),
        ({"phone": "12"}, "điện thoại"),
        ({"full_name": "  "}, "họ và tên"),
        ({"unit": "99999"}, "phường"),
        ({"scans": (io.BytesIO(b"MZ not a scan"), "virus.exe")}, "không phải tệp PDF"),
    ):
        resp = hub.post(
            "/nop-ho-so", data=_form(tmp_path, **over), content_type="multipart/form-data"
        )
        assert resp.status_code == (415 if "scans" in over else 422)
        assert message in resp.get_data(as_text=True)
        assert 'name="full_name"' in resp.get_data(as_text=True)
    assert _hub_rows(tmp_path, "SELECT count(*) FROM dossier") == [(0,)]
    assert _hub_rows(tmp_path, "SELECT count(*) FROM attachment") == [(0,)]


def test_the_portal_checks_an_id_number_as_the_desk_does(tmp_path: Path, hub: FlaskClient) -> None:
    # One rule for both (office/people.py): a known province code, a birth year that matches.
    for over, message in (
        ({"id_number": "999185000123"}, "mã tỉnh"),
        ({"birth_year": "1990"}, "ứng với năm sinh 1985"),
        ({"full_name": "nguyễn văn 2"}, "không được chứa chữ số"),
    ):
        resp = hub.post(
            "/nop-ho-so", data=_form(tmp_path, **over), content_type="multipart/form-data"
        )
        assert resp.status_code == 422
        assert message in resp.get_data(as_text=True)
    assert _hub_rows(tmp_path, "SELECT count(*) FROM dossier") == [(0,)]


def test_submissions_past_the_limit_answer_429(tmp_path: Path, hub: FlaskClient) -> None:
    statuses = [
        hub.post("/nop-ho-so", data=_form(tmp_path), content_type="multipart/form-data").status_code
        for _ in range(6)
    ]
    assert statuses == [303] * 5 + [429]
    assert _hub_rows(tmp_path, "SELECT count(*) FROM dossier") == [(5,)]


def test_online_codes_never_collide_with_the_wards_own(tmp_path: Path, hub: FlaskClient) -> None:
    session, conn = _ward(tmp_path, hub)
    for _ in range(2):
        hub.post("/nop-ho-so", data=_form(tmp_path), content_type="multipart/form-data")
    officer = User("officer", "officer", "Cán bộ một cửa")
    desk = Dossiers(conn, load_clock(conn)).receive(
        {"procedure_code": _procedure(tmp_path), "applicant": {"full_name": "Trần Văn Bình"}},
        officer,
    )
    session.run()
    codes = [r["code"] for r in select_records(conn, "dossier")]
    assert len(codes) == len(set(codes)) == 3
    assert desk["code"].endswith("-0001")
    assert sorted(c[-4:] for c in codes) == ["0001", "5001", "5002"]


def test_ward_refuses_an_online_dossier_and_the_citizen_is_texted(
    tmp_path: Path, hub: FlaskClient
) -> None:
    session, conn = _ward(tmp_path, hub)
    hub.post("/nop-ho-so", data=_form(tmp_path), content_type="multipart/form-data")
    session.run()
    (dossier,) = select_records(conn, "dossier")
    officer = User("officer", "officer", "Cán bộ một cửa")
    refused = Dossiers(conn, load_clock(conn)).act(
        dossier["id"], {"action": "refuse", "note": "Thiếu giấy tờ"}, officer
    )
    assert refused["status"] == 3
    assert [
        s["kind"] for s in select_records(conn, "sms", "WHERE dossier_id = ?", (dossier["id"],))
    ]
    session.run()
    statuses = hub.get(f"/api/v1/public/dossiers/{dossier['code']}").get_json()["timeline"]
    assert [s["status"] for s in statuses] == [1, 3]
