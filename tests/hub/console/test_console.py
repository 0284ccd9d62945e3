"""The city console (``/console``): login, dashboard, unit page, enrollment, revocation,
conflict inbox and a record's history, through the Flask test client."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask.testing import FlaskClient

from sync import SyncReport
from tests.support import PASSWORD, console_login, csrf_of, enrolled_node, hub_token, synced_session
from tests.support.hubstore import hub_store
from ward_node.dossiers import Dossiers
from ward_node.store import load_clock
from webapp import User


def _hub_db(tmp_path: Path):  # type: ignore[no-untyped-def]
    return hub_store(tmp_path / "hub")


def _set_seen(tmp_path: Path, ago: timedelta) -> None:
    conn = _hub_db(tmp_path)
    with conn:
        conn.execute(
            "UPDATE nodes SET last_seen_at = ?",
            ((datetime.now(UTC) - ago).isoformat(timespec="seconds"),),
        )
    conn.close()


def test_pages_need_a_login_and_the_login_needs_its_csrf_token(
    tmp_path: Path, hub: FlaskClient
) -> None:
    for path in ("/console/", "/console/xung-dot", "/console/dang-ky"):
        resp = hub.get(path)
        assert resp.status_code == 302 and "/console/dang-nhap" in resp.headers["Location"]
    assert hub.get("/console/api/units").status_code == 401
    page = hub.get("/console/dang-nhap")
    assert "Máy chủ trung tâm" in page.text and "Văn phòng HĐND và UBND thành phố Huế" in page.text
    refused = hub.post("/console/dang-nhap", data={"username": "x", "password": "y"})
    assert refused.status_code == 400
    wrong = hub.post(
        "/console/dang-nhap",
        data={"csrf_token": csrf_of(page.text), "username": "admin", "password": "sai"},
    )
    assert wrong.status_code == 401
    console_login(hub, tmp_path / "hub")
    home = hub.get("/console/")
    assert home.status_code == 200 and "Các đơn vị" in home.text
    # a form post without the token is refused even when logged in
    assert hub.post("/console/dang-xuat").status_code == 400
    out = hub.post("/console/dang-xuat", data={"csrf_token": csrf_of(home.text)})
    assert out.status_code == 302
    assert hub.get("/console/").status_code == 302


def test_a_ward_account_role_cannot_use_the_console(tmp_path: Path, hub: FlaskClient) -> None:
    from central_hub.store import ROLES, open_store
    from webapp import add_user

    conn = open_store(tmp_path / "hub")
    add_user(conn, "xem", PASSWORD, "viewer", ROLES)
    conn.close()
    page = hub.get("/console/dang-nhap")
    resp = hub.post(
        "/console/dang-nhap",
        data={"csrf_token": csrf_of(page.text), "username": "xem", "password": PASSWORD},
    )
    assert resp.status_code == 401 and "không được dùng" in resp.text


def test_the_dashboard_lists_enrolled_nodes_with_their_state(
    tmp_path: Path, hub: FlaskClient
) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    conn.close()
    console_login(hub, tmp_path / "hub")
    page = hub.get("/console/").text
    assert "19786-" in page and "Đồng bộ" in page and "Hoạt động" in page

    rows = hub.get("/console/api/units").get_json()["items"]
    assert len(rows) == 1 and rows[0]["state"] == "synced" and rows[0]["state_text"] == "Đồng bộ"
    assert rows[0]["unit"] == "19786" and rows[0]["key_status"] == "Hoạt động"

    _set_seen(tmp_path, timedelta(minutes=5))
    assert hub.get("/console/api/units").get_json()["items"][0]["state_text"] == "Chậm"

    _set_seen(tmp_path, timedelta(minutes=30))
    row = hub.get("/console/api/units").get_json()["items"][0]
    assert row["state"] == "offline" and row["state_text"].startswith("Mất liên lạc từ ")
    assert re.search(r"\d\d:\d\d$", row["state_text"])
    assert "Mất liên lạc từ" in hub.get("/console/").text

    hub_conn = _hub_db(tmp_path)
    with hub_conn:
        hub_conn.execute(
            "INSERT INTO sync_events (node_id, unit, at, kind, outcome, detail) "
            "VALUES (?, '19786', ?, 'push', 'refused', 'Chữ ký không hợp lệ')",
            (row["node_id"], datetime.now(UTC).isoformat()),
        )
        hub_conn.execute("UPDATE nodes SET clock_offset_s = 900")
    hub_conn.close()
    row = hub.get("/console/api/units").get_json()["items"][0]
    assert row["state_text"] == "Lỗi" and row["state_detail"] == "Chữ ký không hợp lệ"
    assert row["clock_warning"] is True
    assert "lệch quá giới hạn" in hub.get("/console/").text


def test_a_units_page_shows_its_sync_history(tmp_path: Path, hub: FlaskClient) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    conn.close()
    console_login(hub, tmp_path / "hub")
    page = hub.get("/console/don-vi/19786")
    assert page.status_code == 200
    assert "Nhật ký đồng bộ" in page.text and "Nhận về" in page.text
    assert "Thành công" in page.text
    assert hub.get("/console/don-vi/khong-co").status_code == 404


def test_creating_a_token_shows_it_and_its_qr_code(tmp_path: Path, hub: FlaskClient) -> None:
    console_login(hub, tmp_path / "hub")
    page = hub.get("/console/dang-ky?unit=19786")
    assert page.status_code == 200
    resp = hub.post(
        "/console/dang-ky",
        data={"csrf_token": csrf_of(page.text), "unit": "19786", "name": "Máy một cửa"},
    )
    assert resp.status_code == 200
    token = re.search(r'<textarea id="token"[^>]*>(wst1\.[^<]+)</textarea>', resp.text)
    assert token, resp.text
    assert '<svg class="qr"' in resp.text and "Máy một cửa" in resp.text
    unknown = hub.post("/console/dang-ky", data={"csrf_token": csrf_of(page.text), "unit": "000"})
    assert unknown.status_code == 422


def test_an_operator_cannot_enroll_or_revoke(tmp_path: Path, hub: FlaskClient) -> None:
    console_login(hub, tmp_path / "hub", role="operator")
    assert hub.get("/console/").status_code == 200
    assert hub.get("/console/dang-ky").status_code == 403
    assert hub.get("/console/don-vi/19786/thu-hoi").status_code == 403


def test_revoking_needs_the_confirmation_and_records_the_reason(
    tmp_path: Path, hub: FlaskClient
) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    console_login(hub, tmp_path / "hub")
    page = hub.get("/console/don-vi/19786/thu-hoi")
    assert page.status_code == 200 and "19786-" in page.text
    token = csrf_of(page.text)
    unconfirmed = hub.post(
        "/console/don-vi/19786/thu-hoi", data={"csrf_token": token, "reason": "Mất máy"}
    )
    assert unconfirmed.status_code == 422 and "xác nhận" in unconfirmed.text
    no_reason = hub.post(
        "/console/don-vi/19786/thu-hoi", data={"csrf_token": token, "confirm": "yes"}
    )
    assert no_reason.status_code == 422
    conn = _hub_db(tmp_path)
    assert conn.execute("SELECT status FROM nodes").fetchone()[0] == "active"
    done = hub.post(
        "/console/don-vi/19786/thu-hoi",
        data={"csrf_token": token, "confirm": "yes", "reason": "Máy bị mất cắp"},
    )
    assert done.status_code == 302
    assert tuple(conn.execute("SELECT status, revoked_reason FROM nodes").fetchone()) == (
        "revoked",
        "Máy bị mất cắp",
    )
    conn.close()
    row = hub.get("/console/api/units").get_json()["items"][0]
    assert row["state_text"] == "Đã thu hồi" and row["key_status"] == "Đã thu hồi"


def test_the_inbox_shows_a_conflict_and_resolving_it_writes_the_value(
    tmp_path: Path, hub: FlaskClient
) -> None:
    admin = hub_token(hub, tmp_path / "hub")  # the API's admin, "admin" with the same password
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    service = Dossiers(conn, load_clock(conn))
    dossier = service.receive(
        {"procedure_code": "1.001193", "applicant": {"full_name": "Lê Thị Hồng"}},
        User("canbo", "officer", "Cán bộ một cửa"),
    )
    session.push(SyncReport())
    hub.patch(f"/api/v1/dossiers/{dossier['id']}", json={"status": 8}, headers=admin)
    service.act(dossier["id"], {"action": "start"}, User("lanhdao", "leader", "Lãnh đạo"))
    session.run()

    page = hub.get("/console/dang-nhap")
    hub.post(
        "/console/dang-nhap",
        data={"csrf_token": csrf_of(page.text), "username": "admin", "password": PASSWORD},
    )
    inbox = hub.get("/console/xung-dot")
    assert inbox.status_code == 200
    assert dossier["id"] in inbox.text and "<code>status</code>" in inbox.text
    assert "lanhdao" in inbox.text and "Giá trị gốc" in inbox.text
    assert "Không có xung đột" in hub.get("/console/xung-dot?unit=00000").text
    assert dossier["id"] in hub.get("/console/xung-dot?type=dossier&unit=19786").text
    conflict = hub.get("/api/v1/conflicts", headers=admin).get_json()["items"][0]

    bad = hub.post(
        f"/console/xung-dot/{conflict['id']}",
        data={"csrf_token": csrf_of(inbox.text), "choice": "merged", "merged": "không phải số"},
    )
    assert bad.status_code == 422
    done = hub.post(
        f"/console/xung-dot/{conflict['id']}",
        data={
            "csrf_token": csrf_of(inbox.text),
            "choice": "merged",
            "merged": "4",
            "note": "Đã thống nhất với phường",
        },
    )
    assert done.status_code == 302
    resolved = hub.get(f"/api/v1/conflicts/{conflict['id']}", headers=admin).get_json()
    assert resolved["state"] == "resolved" and resolved["resolution"]["value"] == 4
    assert resolved["note"] == "Đã thống nhất với phường" and resolved["resolved_by"] == "admin"
    assert hub.get(f"/api/v1/dossiers/{dossier['id']}", headers=admin).get_json()["status"] == 4
    again = hub.post(
        f"/console/xung-dot/{conflict['id']}",
        data={"csrf_token": csrf_of(inbox.text), "choice": "0"},
    )
    assert again.status_code == 409

    history = hub.get(f"/console/ban-ghi/dossier/{dossier['id']}")
    assert history.status_code == 200
    assert "canbo" in history.text and "lanhdao" in history.text and "admin" in history.text
    assert "19786" in history.text and "<li>Họ và tên: Lê Thị Hồng</li>" in history.text
    assert "Trực tiếp" in history.text  # the channel by its label, not "in_person" alone
    session.run()
    assert service.get(dossier["id"])["status"] == 4
    conn.close()


def test_the_history_of_an_unknown_type_is_refused(tmp_path: Path, hub: FlaskClient) -> None:
    console_login(hub, tmp_path / "hub")
    assert hub.get("/console/ban-ghi/khong-co/1").status_code == 422
    empty = hub.get("/console/ban-ghi/dossier/khong-co")
    assert empty.status_code == 200 and "chưa có thay đổi" in empty.text
