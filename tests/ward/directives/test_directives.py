"""Directives (issue [4], docs/domain.md "Directives"): the time class, the ward's and the hub's
API, and a directive's life across the city and three wards, with the hub down in the middle."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from office import shown_status, time_class
from sync import SyncError, TransportError
from tests.hub.protocol.test_routing import _ward
from tests.support import Api, AppTransport, hub_token, ward_login
from ward_node.directives import Directives
from ward_node.store import load_clock
from webapp import User

LEAD, COORD, OTHER = "19786", "19744", "19750"
TODAY = date(2026, 11, 27)


# -- The time class ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("deadline", "completed", "expected"),
    [
        ("2026-12-31", None, "within"),
        ("2026-12-01", None, "within"),  # 4 days ahead
        ("2026-11-30", None, "due_soon"),  # 3 days ahead
        ("2026-11-28", None, "due_soon"),
        ("2026-11-27", None, "due_soon"),  # due today: not late yet
        ("2026-11-26", None, "overdue"),
        ("2026-01-01", None, "overdue"),
        (None, None, "no_deadline"),
        ("2026-11-20", "2026-11-20T16:59:00+07:00", "done_on_time"),  # by date, not time
        ("2026-11-20", "2026-11-19T03:00:00+00:00", "done_on_time"),
        ("2026-11-20", "2026-11-21T01:00:00+00:00", "done_late"),
        (None, "2026-11-21T01:00:00+00:00", "done_on_time"),
    ],
)
def test_time_class_compares_dates_around_the_deadline(
    deadline: str | None, completed: str | None, expected: str
) -> None:
    assert time_class(deadline, TODAY, completed) == expected


def _directive(**fields: Any) -> dict[str, Any]:
    return {"status": "assigned", "lead_unit": LEAD, "sent_back_at": None, **fields}


def _report(unit: str, at: str, done: bool = False) -> dict[str, Any]:
    return {"unit": unit, "reported_at": at, "done": done}


def test_shown_status_follows_the_reports_until_the_issuer_answers() -> None:
    assert shown_status(_directive(), []) == "assigned"
    progress = _report(COORD, "2026-11-27T01:00:00.000001+00:00")
    assert shown_status(_directive(), [progress]) == "in_progress"
    # Only the lead unit's report of done awaits confirmation.
    coord_done = _report(COORD, "2026-11-27T02:00:00.000001+00:00", done=True)
    assert shown_status(_directive(), [progress, coord_done]) == "in_progress"
    done = _report(LEAD, "2026-11-27T03:00:00.000001+00:00", done=True)
    assert shown_status(_directive(), [progress, done]) == "awaiting_confirmation"
    sent_back = _directive(status="in_progress", sent_back_at="2026-11-27T04:00:00.000001+00:00")
    assert shown_status(sent_back, [progress, done]) == "in_progress"
    again = _report(LEAD, "2026-11-27T05:00:00.000001+00:00", done=True)
    assert shown_status(sent_back, [progress, done, again]) == "awaiting_confirmation"
    assert shown_status(_directive(status="done"), [again]) == "done"


# -- The ward's API ----------------------------------------------------------------------------


def _issue_at_ward(api: Api, **extra: Any) -> dict[str, Any]:
    body = {
        "title": "Ra quân vệ sinh môi trường tuyến đường Lê Lợi",
        "content": "Tổ chức ra quân, báo cáo kết quả về UBND phường.",
        "deadline": "2026-12-15",
        **extra,
    }
    resp = api.post("/directives", json=body)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_a_ward_leader_issues_inside_the_ward_and_confirms_after_a_report_of_done(
    client: FlaskClient,
) -> None:
    leader, officer = Api(client, "leader"), Api(client, "officer")
    assert officer.post("/directives", json={"title": "x", "content": "y"}).status_code == 403
    d = _issue_at_ward(leader)
    assert (d["unit"], d["lead_unit"], d["units"], d["status"]) == (
        "19786",
        "19786",
        ["19786"],
        "assigned",
    )
    assert leader.post(f"/directives/{d['id']}/send-back", json={}).status_code == 409

    resp = officer.post(
        f"/directives/{d['id']}/reports", json={"percent": 40, "content": "Đã họp tổ dân phố."}
    )
    assert resp.status_code == 201 and resp.get_json()["percent"] == 40
    assert (
        officer.post(
            f"/directives/{d['id']}/reports", json={"percent": 140, "content": "x"}
        ).status_code
        == 422
    )
    assert officer.post(f"/directives/{d['id']}/reports", json={"content": ""}).status_code == 422
    got = officer.get(f"/directives/{d['id']}").get_json()
    assert got["shown_status"] == "in_progress" and len(got["reports"]) == 1

    officer.post(
        f"/directives/{d['id']}/reports", json={"content": "Đã ra quân xong.", "done": True}
    )
    got = officer.get(f"/directives/{d['id']}").get_json()
    assert got["shown_status"] == "awaiting_confirmation" and got["reports"][-1]["percent"] == 100
    assert officer.post(f"/directives/{d['id']}/confirm").status_code == 403
    assert (
        leader.post(f"/directives/{d['id']}/send-back", json={"reason": "Thiếu ảnh"}).status_code
        == 200
    )
    assert officer.get(f"/directives/{d['id']}").get_json()["shown_status"] == "in_progress"

    officer.post(f"/directives/{d['id']}/reports", json={"content": "Bổ sung ảnh.", "done": True})
    resp = leader.post(f"/directives/{d['id']}/confirm")
    assert resp.status_code == 200, resp.get_json()
    done = resp.get_json()
    assert done["status"] == "done" and done["time_class"] == "done_on_time"
    assert (
        officer.post(f"/directives/{d['id']}/reports", json={"content": "Thêm"}).status_code == 409
    )
    assert leader.post(f"/directives/{d['id']}/confirm").status_code == 409
    with sqlite3.connect(Path(client.application.config["DATA"]) / "node.sqlite3") as db:
        assert db.execute("SELECT status FROM directive").fetchone()[0] == "done"
        assert db.execute("SELECT count(*) FROM directive_report").fetchone()[0] == 3


def test_an_extension_moves_the_deadline_and_keeps_the_old_one(client: FlaskClient) -> None:
    leader = Api(client, "leader")
    d = _issue_at_ward(leader, deadline="2026-11-20")
    assert leader.get(f"/directives/{d['id']}").get_json()["time_class"] in (
        "overdue",
        "within",
        "due_soon",
    )
    bad = leader.post(
        f"/directives/{d['id']}/extensions", json={"new_deadline": "2026-11-01", "reason": "x"}
    )
    assert bad.status_code == 422
    resp = leader.post(
        f"/directives/{d['id']}/extensions",
        json={"new_deadline": "2099-01-31", "reason": "Chờ kinh phí"},
    )
    assert resp.status_code == 201, resp.get_json()
    got = resp.get_json()
    assert got["deadline"] == "2099-01-31" and got["time_class"] == "within"
    assert [(e["old_deadline"], e["new_deadline"]) for e in got["extensions"]] == [
        ("2026-11-20", "2099-01-31")
    ]


def test_unknown_directive_is_404_and_lists_need_a_login(client: FlaskClient, api: Api) -> None:
    assert client.get("/api/v1/directives").status_code == 401
    assert api.get("/directives/0190a0a0-0000-7000-8000-000000000000").status_code == 404
    assert api.get("/directives").get_json() == {"items": [], "next_cursor": None}


# -- Across the city and the wards -------------------------------------------------------------


class FlakyTransport(AppTransport):
    """The hub over a test client, with a switch to make it unreachable."""

    down = False

    def post(self, path: str, body: bytes) -> bytes:
        if self.down:
            raise TransportError("Không kết nối được máy chủ trung tâm.")
        return super().post(path, body)

    def get_json(self, path: str) -> Any:
        if self.down:
            raise TransportError("Không kết nối được máy chủ trung tâm.")
        return super().get_json(path)


def _user(unit: str) -> User:
    return User(f"cb{unit}", "specialist", f"Cán bộ {unit}")


def _report_at(
    conn: sqlite3.Connection, unit: str, directive_id: str, **body: Any
) -> dict[str, Any]:
    return Directives(conn, load_clock(conn), unit).report(directive_id, body, _user(unit))


def _shown(conn: sqlite3.Connection, unit: str, directive_id: str) -> dict[str, Any]:
    return Directives(conn, load_clock(conn), unit).get(directive_id)


@pytest.fixture
def city(tmp_path: Path, hub: FlaskClient) -> dict[str, Any]:
    """An admin's headers and three synced wards, the lead and coordinator on a switchable link."""
    admin = hub_token(hub, tmp_path / "hub")
    wards = {unit: _ward(tmp_path, hub, unit) for unit in (LEAD, COORD, OTHER)}
    return {"admin": admin, "wards": wards}


def _issue_at_hub(hub: FlaskClient, admin: dict[str, str]) -> dict[str, Any]:
    resp = hub.post(
        "/api/v1/directives",
        headers=admin,
        json={
            "title": "Rà soát hồ sơ tồn đọng quý IV",
            "content": "Các phường rà soát, báo cáo số hồ sơ quá hạn và biện pháp khắc phục.",
            "lead_unit": LEAD,
            "units": [COORD],
            "deadline": "2099-12-31",
            "source": "Kết luận giao ban ngày 25/11/2026",
        },
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_the_hub_api_is_for_admins_and_validates(tmp_path: Path, hub: FlaskClient) -> None:
    from central_hub.store import ROLES, open_store
    from webapp import add_user

    admin = hub_token(hub, tmp_path / "hub")
    conn = open_store(tmp_path / "hub")
    add_user(conn, "xem", "xem-thoi-123", "viewer", ROLES)
    conn.close()
    token = hub.post("/api/v1/auth/token", json={"username": "xem", "password": "xem-thoi-123"})
    viewer = {"Authorization": "Bearer " + token.get_json()["token"]}
    body = {"title": "T", "content": "C", "lead_unit": LEAD, "units": [], "deadline": None}
    assert hub.post("/api/v1/directives", json=body).status_code == 401
    assert hub.post("/api/v1/directives", headers=viewer, json=body).status_code == 403
    bad = hub.post("/api/v1/directives", headers=admin, json={**body, "deadline": "31/12/2026"})
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "deadline"
    d = hub.post("/api/v1/directives", headers=admin, json=body).get_json()
    assert d["units"] == [LEAD] and d["unit"] == "H57" and d["time_class"] == "no_deadline"
    assert (
        hub.post(f"/api/v1/directives/{d['id']}/send-back", headers=admin, json={}).status_code
        == 409
    )
    assert hub.get("/api/v1/directives", headers=viewer).get_json()["items"][0]["id"] == d["id"]


def test_a_city_directive_goes_to_its_units_and_their_reports_come_back(
    hub: FlaskClient, city: dict[str, Any]
) -> None:
    admin, wards = city["admin"], city["wards"]
    (s_lead, c_lead), (s_coord, c_coord), (_s_other, c_other) = (
        wards[LEAD],
        wards[COORD],
        wards[OTHER],
    )
    d = _issue_at_hub(hub, admin)
    for session, _conn in wards.values():
        session.run()
    assert _shown(c_lead, LEAD, d["id"])["actions"] == ["report", "report_done"]
    assert _shown(c_coord, COORD, d["id"])["actions"] == ["report"]
    assert c_other.execute("SELECT count(*) FROM directive").fetchone()[0] == 0

    _report_at(c_lead, LEAD, d["id"], percent=30, content="Đã rà soát 120 hồ sơ.")
    _report_at(c_coord, COORD, d["id"], percent=50, content="Phối hợp cung cấp số liệu.")
    with pytest.raises(SyncError) as refused:  # a coordinating unit does not report done
        _report_at(c_coord, COORD, d["id"], content="Xong", done=True)
    assert refused.value.status == 409
    s_lead.run()
    s_coord.run()
    got = hub.get(f"/api/v1/directives/{d['id']}", headers=admin).get_json()
    assert got["shown_status"] == "in_progress"
    assert sorted((r["unit"], r["percent"]) for r in got["reports"]) == [(COORD, 50), (LEAD, 30)]

    _report_at(c_lead, LEAD, d["id"], content="Đã xử lý xong hồ sơ tồn.", done=True)
    s_lead.run()
    got = hub.get(f"/api/v1/directives/{d['id']}", headers=admin).get_json()
    assert got["shown_status"] == "awaiting_confirmation"
    resp = hub.post(
        f"/api/v1/directives/{d['id']}/send-back",
        headers=admin,
        json={"reason": "Thiếu số liệu phường phối hợp"},
    )
    assert resp.get_json()["shown_status"] == "in_progress"
    s_lead.run()
    sent_back = _shown(c_lead, LEAD, d["id"])
    assert sent_back["shown_status"] == "in_progress" and "report_done" in sent_back["actions"]

    _report_at(c_lead, LEAD, d["id"], content="Đã bổ sung số liệu.", done=True)
    s_lead.run()
    resp = hub.post(f"/api/v1/directives/{d['id']}/confirm", headers=admin)
    assert resp.status_code == 200 and resp.get_json()["time_class"] == "done_on_time"
    assert hub.post(f"/api/v1/directives/{d['id']}/confirm", headers=admin).status_code == 409
    for session, _conn in wards.values():
        session.run()
    for conn, unit in ((c_lead, LEAD), (c_coord, COORD)):
        final = _shown(conn, unit, d["id"])
        assert (final["shown_status"], final["actions"]) == ("done", [])
    assert c_other.execute("SELECT count(*) FROM directive").fetchone()[0] == 0
    assert c_other.execute("SELECT count(*) FROM directive_report").fetchone()[0] == 0
    # Each ward's reports go to the issuer only, not to the other addressees.
    assert (
        c_coord.execute("SELECT count(*) FROM directive_report WHERE unit = ?", (LEAD,)).fetchone()[
            0
        ]
        == 0
    )

    dash = hub.get("/api/v1/directives/dashboard", headers=admin).get_json()
    assert dash["items"] == [
        {"unit": LEAD, "counts": {**{k: 0 for k in dash["time_classes"]}, "done_on_time": 1}}
    ]


def test_a_city_extension_reaches_the_units(hub: FlaskClient, city: dict[str, Any]) -> None:
    admin, wards = city["admin"], city["wards"]
    d = _issue_at_hub(hub, admin)
    resp = hub.post(
        f"/api/v1/directives/{d['id']}/extensions",
        headers=admin,
        json={"new_deadline": "2100-01-31", "reason": "Chờ số liệu của Sở"},
    )
    assert resp.status_code == 201, resp.get_json()
    for session, _conn in wards.values():
        session.run()
    got = _shown(wards[COORD][1], COORD, d["id"])
    assert got["deadline"] == "2100-01-31"
    assert [e["reason"] for e in got["extensions"]] == ["Chờ số liệu của Sở"]
    assert wards[OTHER][1].execute("SELECT count(*) FROM directive_extension").fetchone()[0] == 0


def test_a_ward_keeps_reporting_while_the_hub_is_down_then_converges(
    tmp_path: Path, hub: FlaskClient
) -> None:
    from tests.support import enrollment_token, synced_session
    from ward_node.sync_link import init_node

    admin = hub_token(hub, tmp_path / "hub")
    transport = FlakyTransport(hub)
    data = tmp_path / f"ward-{LEAD}"
    init_node(
        data,
        unit=LEAD,
        hub_url="http://hub.test",
        token=enrollment_token(tmp_path, LEAD),
        transport=transport,
    )
    session, conn = synced_session(data, transport)
    d = _issue_at_hub(hub, admin)
    session.run()

    transport.down = True
    for percent in (20, 60):
        _report_at(conn, LEAD, d["id"], percent=percent, content=f"Tiến độ {percent}%.")
        with pytest.raises(TransportError):
            session.run()
    _report_at(conn, LEAD, d["id"], content="Hoàn thành.", done=True)
    assert _shown(conn, LEAD, d["id"])["shown_status"] == "awaiting_confirmation"
    assert hub.get(f"/api/v1/directives/{d['id']}", headers=admin).get_json()["reports"] == []

    transport.down = False
    session.run()
    got = hub.get(f"/api/v1/directives/{d['id']}", headers=admin).get_json()
    assert [r["percent"] for r in got["reports"]] == [20, 60, 100]
    assert got["shown_status"] == "awaiting_confirmation"
    hub.post(f"/api/v1/directives/{d['id']}/confirm", headers=admin)
    session.run()
    assert conn.execute("SELECT status FROM directive").fetchone()[0] == "done"
    session.run()  # nothing left to move
    assert conn.execute("SELECT count(*) FROM directive_report").fetchone()[0] == 3


# -- The ward's pages --------------------------------------------------------------------------


def test_the_pages_list_show_and_take_a_report(client: FlaskClient) -> None:
    d = _issue_at_ward(Api(client, "leader"), deadline="2026-01-02")
    csrf = ward_login(client, "specialist")
    page = client.get("/directives").get_data(as_text=True)
    assert "Theo dõi ý kiến chỉ đạo" in page and d["title"] in page
    assert 'class="tc tc-overdue">Quá hạn' in page
    assert "Quá hạn" in client.get("/directives?time_class=overdue").get_data(as_text=True)
    assert d["title"] not in client.get("/directives?time_class=within").get_data(as_text=True)
    resp = client.post(
        f"/directives/{d['id']}",
        data={"csrf_token": csrf, "action": "report", "percent": "35", "content": "Đang làm."},
    )
    assert resp.status_code == 302
    page = client.get(f"/directives/{d['id']}").get_data(as_text=True)
    assert "Đã gửi báo cáo tiến độ." in page and "35%" in page and "Đang làm." in page
    assert "Xác nhận hoàn thành" not in page  # a specialist does not answer as the issuer
    bad = client.post(
        f"/directives/{d['id']}",
        data={"csrf_token": csrf, "action": "report", "percent": "abc", "content": "x"},
    )
    assert "phải là" in client.get(bad.headers["Location"]).get_data(as_text=True)
    assert client.get("/directives/0190a0a0-0000-7000-8000-000000000000").status_code == 404


def test_a_progress_report_carries_attachments(client: FlaskClient) -> None:
    import io

    leader, officer = Api(client, "leader"), Api(client, "officer")
    d = _issue_at_ward(leader)
    report = officer.post(
        f"/directives/{d['id']}/reports", json={"percent": 60, "content": "Ảnh buổi ra quân."}
    ).get_json()
    pdf = b"%PDF-1.4\n% bao cao tien do\n"
    resp = officer.post(
        f"/directives/{d['id']}/reports/{report['id']}/attachments",
        data={"file": (io.BytesIO(pdf), "bao-cao-tien-do.pdf", "application/pdf")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 201, resp.get_json()
    record = resp.get_json()
    assert (record["parent_type"], record["parent_id"]) == ("directive_report", report["id"])
    served = officer.get(f"/attachments/{record['sha256']}")
    body, headers = served.data, served.headers
    served.close()
    assert served.status_code == 200 and body == pdf
    assert headers["Content-Type"] == "application/pdf"
    assert "inline" in headers["Content-Disposition"]  # a scan opens in the browser
    missing = officer.post(
        f"/directives/{d['id']}/reports/{d['id']}/attachments",
        data={"file": (io.BytesIO(pdf), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert missing.status_code == 404


def test_the_city_pauses_resumes_and_cancels_a_directive(
    hub: FlaskClient, city: dict[str, Any]
) -> None:
    admin, wards = city["admin"], city["wards"]
    s_lead, c_lead = wards[LEAD]
    d = _issue_at_hub(hub, admin)
    url = f"/api/v1/directives/{d['id']}"
    assert hub.post(url + "/resume", headers=admin).status_code == 409  # not paused
    paused = hub.post(url + "/pause", headers=admin, json={"note": "Chờ kinh phí"})
    assert paused.status_code == 200 and paused.get_json()["shown_status"] == "paused"
    assert hub.post(url + "/pause", headers=admin).status_code == 409
    s_lead.run()
    with pytest.raises(SyncError) as refused:  # no reports on a paused directive
        _report_at(c_lead, LEAD, d["id"], percent=10, content="Bắt đầu")
    assert refused.value.status == 409
    assert hub.post(url + "/resume", headers=admin).get_json()["shown_status"] == "in_progress"
    bad = hub.post(url + "/cancel", headers=admin, json={})
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "note"
    cancelled = hub.post(url + "/cancel", headers=admin, json={"note": "Đã có chỉ đạo thay thế"})
    assert cancelled.get_json()["shown_status"] == "cancelled"
    assert hub.post(url + "/confirm", headers=admin).status_code == 409
    s_lead.run()
    shown = _shown(c_lead, LEAD, d["id"])
    assert (shown["shown_status"], shown["status_note"]) == ("cancelled", "Đã có chỉ đạo thay thế")
