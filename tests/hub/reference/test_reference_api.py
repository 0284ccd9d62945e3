"""The hub's reference data editing API: ``PUT /api/v1/procedures`` and ``PUT /api/v1/calendar``.

Upserts by ``code`` / ``date``, admin only, validated item by item and written in one
transaction that reaches every ward; a ward then counts due dates on the new calendar.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient

from central_hub.store import open_store as open_hub
from tests.support import enrolled_node, hub_token, synced_session
from ward_node.dossiers import Dossiers
from ward_node.store import load_clock
from webapp import User

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def _journal_size(tmp_path: Path) -> int:
    conn = open_hub(tmp_path / "hub")
    try:
        return conn.execute("SELECT count(*) FROM journal").fetchone()[0]
    finally:
        conn.close()


def _by(items: list[dict], key: str) -> dict[str, dict]:
    return {item[key]: item for item in items}


def test_put_procedures_updates_by_code_and_adds_new_ones(tmp_path: Path, hub: FlaskClient) -> None:
    admin = hub_token(hub, tmp_path / "hub")
    before = _by(hub.get("/api/v1/procedures", headers=admin).get_json()["items"], "code")
    resp = hub.put(
        "/api/v1/procedures",
        headers=admin,
        json={
            "items": [
                {"code": "1.004873", "limit_value": 5, "supplement_rule": "recompute"},
                {
                    "code": "HUE-XA-099",
                    "name": "Thủ tục thử nghiệm",
                    "limit_value": 2,
                    "limit_unit": "working_days",
                    "supplement_rule": "extend",
                },
            ]
        },
    )
    assert resp.status_code == 200, resp.get_json()
    after = _by(resp.get_json()["items"], "code")
    assert len(after) == len(before) + 1
    changed = after["1.004873"]
    assert changed["id"] == before["1.004873"]["id"]
    assert (changed["limit_value"], changed["supplement_rule"]) == (5, "recompute")
    assert changed["name"] == before["1.004873"]["name"]  # fields not given are kept
    new = after["HUE-XA-099"]
    assert new["id"] not in {p["id"] for p in before.values()}
    assert new["active"] is True and new["unit"] == changed["unit"]
    assert _by(hub.get("/api/v1/procedures", headers=admin).get_json()["items"], "code") == after


def test_put_procedures_refuses_a_bad_item_naming_the_field_and_writes_nothing(
    tmp_path: Path, hub: FlaskClient
) -> None:
    admin = hub_token(hub, tmp_path / "hub")
    size = _journal_size(tmp_path)
    good = {"code": "1.004873", "limit_value": 4}
    for items, field in (
        ([good, {"code": "1.004884", "limit_unit": "weeks"}], "limit_unit"),
        ([good, {"code": "HUE-XA-100", "limit_value": 1, "limit_unit": "working_days"}], "name"),
        ([good, {"code": "1.004884", "colour": "red"}], "colour"),
        ([good, {"name": "Không có mã"}], "code"),
        ([good, good], "code"),
        ([{**good, "id": "0190a4b2-0000-7000-8000-000000000000"}], "id"),
        ([], "items"),
    ):
        resp = hub.put("/api/v1/procedures", headers=admin, json={"items": items})
        assert resp.status_code == 422, (items, resp.get_json())
        assert resp.get_json()["error"]["field"] == field
    assert _journal_size(tmp_path) == size
    items = hub.get("/api/v1/procedures", headers=admin).get_json()["items"]
    assert _by(items, "code")["1.004873"]["limit_value"] == 3


def test_put_reference_data_is_for_admins_only(tmp_path: Path, hub: FlaskClient) -> None:
    from central_hub.store import ROLES
    from webapp import add_user

    hub_token(hub, tmp_path / "hub")
    conn = open_hub(tmp_path / "hub")
    add_user(conn, "xem", "xem-thoi-123", "viewer", ROLES)
    conn.close()
    token = hub.post(
        "/api/v1/auth/token", json={"username": "xem", "password": "xem-thoi-123"}
    ).get_json()["token"]
    viewer = {"Authorization": f"Bearer {token}"}
    body = {"items": [{"date": "2026-03-10", "kind": "holiday"}]}
    assert hub.put("/api/v1/calendar", json=body).status_code == 401
    assert hub.put("/api/v1/calendar", headers=viewer, json=body).status_code == 403
    assert hub.put("/api/v1/procedures", headers=viewer, json=body).status_code == 403


def test_put_calendar_adds_deletes_and_revives_days(tmp_path: Path, hub: FlaskClient) -> None:
    admin = hub_token(hub, tmp_path / "hub")
    seeded = _by(hub.get("/api/v1/calendar", headers=admin).get_json()["items"], "date")
    resp = hub.put(
        "/api/v1/calendar",
        headers=admin,
        json={
            "items": [
                {"date": "2026-03-10", "kind": "holiday", "name": "Nghỉ theo quyết định"},
                {"date": "2026-02-20", "deleted": True},
            ]
        },
    )
    assert resp.status_code == 200, resp.get_json()
    days = _by(resp.get_json()["items"], "date")
    assert days["2026-03-10"]["kind"] == "holiday" and days["2026-03-10"]["deleted"] is False
    assert days["2026-02-20"]["deleted"] is True  # a tombstone, same record
    assert days["2026-02-20"]["id"] == seeded["2026-02-20"]["id"]
    assert days["2026-02-20"]["kind"] == "holiday"
    revived = hub.put(
        "/api/v1/calendar", headers=admin, json={"items": [{"date": "2026-02-20"}]}
    ).get_json()
    assert _by(revived["items"], "date")["2026-02-20"]["deleted"] is False
    bad = hub.put(
        "/api/v1/calendar", headers=admin, json={"items": [{"date": "2026-03-11", "kind": "x"}]}
    )
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "kind"
    missing_kind = hub.put(
        "/api/v1/calendar", headers=admin, json={"items": [{"date": "2026-03-12"}]}
    )
    assert missing_kind.status_code == 422
    assert missing_kind.get_json()["error"]["field"] == "kind"


def test_ward_counts_due_dates_on_the_new_holiday_after_a_sync(
    tmp_path: Path, hub: FlaskClient
) -> None:
    admin = hub_token(hub, tmp_path / "hub")
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    clerk = User("canbo", "officer", "Cán bộ một cửa")
    received = datetime(2026, 3, 9, 8, tzinfo=HCM)  # Monday; 3 working days
    dossier = {"procedure_code": "1.004873", "applicant": {"full_name": "Trần Văn Bình"}}

    def due() -> datetime:
        made = Dossiers(conn, load_clock(conn)).receive(dossier, clerk, at=received)
        return datetime.fromisoformat(made["due_at"]).astimezone(HCM)

    try:
        assert due() == datetime(2026, 3, 12, 8, tzinfo=HCM)
        resp = hub.put(
            "/api/v1/calendar",
            headers=admin,
            json={"items": [{"date": "2026-03-10", "kind": "holiday", "name": "Nghỉ đột xuất"}]},
        )
        assert resp.status_code == 200
        session.run()
        row = conn.execute(
            "SELECT kind, deleted FROM calendar_day WHERE date = '2026-03-10'"
        ).fetchone()
        assert tuple(row) == ("holiday", 0)
        assert due() == datetime(2026, 3, 13, 8, tzinfo=HCM)
    finally:
        conn.close()
