"""Concurrent edits: detected at the hub, the deterministic winner applied, reviewed, resolved."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from sync import SyncReport
from tests.support import enrolled_node, hub_token, synced_session
from ward_node.dossiers import Dossiers
from ward_node.store import load_clock
from webapp import User


def test_concurrent_status_edit_opens_a_conflict_and_its_resolution_reaches_the_ward(
    tmp_path: Path, hub: FlaskClient
) -> None:
    admin = hub_token(hub, tmp_path / "hub")
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    clerk = User("canbo", "officer", "Cán bộ một cửa")
    service = Dossiers(conn, load_clock(conn))
    dossier = service.receive(
        {"procedure_code": "1.001193", "applicant": {"full_name": "Lê Thị Hồng"}}, clerk
    )
    session.push(SyncReport())

    # The city stops the dossier while the ward, offline, starts processing it.
    resp = hub.patch(
        f"/api/v1/dossiers/{dossier['id']}",
        json={"status": 8, "notes": "Dừng theo chỉ đạo"},
        headers=admin,
    )
    assert resp.status_code == 200
    service.act(dossier["id"], {"action": "start"}, User("lanhdao", "leader", "Lãnh đạo"))
    session.run()

    listed = hub.get("/api/v1/conflicts", headers=admin).get_json()["items"]
    assert [c["field"] for c in listed] == ["status"]
    conflict = listed[0]
    assert (
        conflict["record_id"] == dossier["id"]
        and conflict["needs_review"]
        and conflict["state"] == "open"
    )
    sides = {v["value"]: v for v in conflict["values"]}
    assert set(sides) == {8, 4}
    assert (
        sides[8]["user"] == "admin"
        and sides[4]["user"] == "lanhdao"
        and sides[4]["unit"] == "19786"
    )
    assert conflict["base"] is not None and conflict["winner"] in (
        sides[8]["version"],
        sides[4]["version"],
    )

    # Both replicas hold the same winner before anyone resolves.
    hub_status = hub.get(f"/api/v1/dossiers/{dossier['id']}", headers=admin).get_json()["status"]
    assert service.get(dossier["id"])["status"] == hub_status == conflict["winning_value"]

    resolved = hub.post(
        f"/api/v1/conflicts/{conflict['id']}/resolve",
        json={"value": 4, "note": "Phường đã xử lý"},
        headers=admin,
    )
    assert resolved.status_code == 200 and resolved.get_json()["state"] == "resolved"
    assert (
        hub.post(
            f"/api/v1/conflicts/{conflict['id']}/resolve", json={"value": 4}, headers=admin
        ).status_code
        == 409
    )
    assert hub.get("/api/v1/conflicts", headers=admin).get_json()["items"] == []
    session.run()
    assert service.get(dossier["id"])["status"] == 4
    assert (
        service.get(dossier["id"])["notes"] == "Dừng theo chỉ đạo"
    )  # the other field was no conflict


def test_a_resolution_is_validated_against_the_schema(tmp_path: Path, hub: FlaskClient) -> None:
    admin = hub_token(hub, tmp_path / "hub")
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    service = Dossiers(conn, load_clock(conn))
    dossier = service.receive(
        {"procedure_code": "1.001193", "applicant": {"full_name": "Võ Văn Tư"}},
        User("canbo", "officer", "C"),
    )
    session.push(SyncReport())
    hub.patch(f"/api/v1/dossiers/{dossier['id']}", json={"status": 8}, headers=admin)
    service.act(dossier["id"], {"action": "start"}, User("lanhdao", "leader", "L"))
    session.run()
    conflict = hub.get("/api/v1/conflicts", headers=admin).get_json()["items"][0]
    bad = hub.post(f"/api/v1/conflicts/{conflict['id']}/resolve", json={"value": 99}, headers=admin)
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "status"
    assert (
        hub.get(f"/api/v1/conflicts/{conflict['id']}", headers=admin).get_json()["state"] == "open"
    )


def test_concurrent_notes_open_a_conflict_for_review(tmp_path: Path, hub: FlaskClient) -> None:
    # Before issue [8] a dossier's notes were last-writer-wins, kept as "auto": no one was
    # asked and the losing text was visible only to someone who went looking.
    admin = hub_token(hub, tmp_path / "hub")
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    service = Dossiers(conn, load_clock(conn))
    dossier = service.receive(
        {"procedure_code": "1.001193", "applicant": {"full_name": "Hồ Văn Năm"}},
        User("canbo", "officer", "C"),
    )
    session.push(SyncReport())
    hub.patch(
        f"/api/v1/dossiers/{dossier['id']}", json={"notes": "ghi chú của thành phố"}, headers=admin
    )
    service.edit(dossier["id"], {"notes": "ghi chú của phường"}, User("canbo", "officer", "C"))
    session.run()
    (conflict,) = hub.get("/api/v1/conflicts", headers=admin).get_json()["items"]
    assert conflict["field"] == "notes" and conflict["state"] == "open"
    assert {v["value"] for v in conflict["values"]} == {
        "ghi chú của thành phố",
        "ghi chú của phường",
    }
    assert hub.get("/api/v1/conflicts?state=auto", headers=admin).get_json()["items"] == []
    assert (
        service.get(dossier["id"])["notes"]
        == hub.get(f"/api/v1/dossiers/{dossier['id']}", headers=admin).get_json()["notes"]
    )


def test_the_same_value_written_on_both_sides_is_kept_as_auto_not_open(
    tmp_path: Path, hub: FlaskClient
) -> None:
    admin = hub_token(hub, tmp_path / "hub")
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    service = Dossiers(conn, load_clock(conn))
    dossier = service.receive(
        {"procedure_code": "1.001193", "applicant": {"full_name": "Hồ Văn Năm"}},
        User("canbo", "officer", "C"),
    )
    session.push(SyncReport())
    hub.patch(f"/api/v1/dossiers/{dossier['id']}", json={"notes": "đã gọi điện"}, headers=admin)
    service.edit(dossier["id"], {"notes": "đã gọi điện"}, User("canbo", "officer", "C"))
    session.run()
    assert hub.get("/api/v1/conflicts", headers=admin).get_json()["items"] == []
    auto = hub.get("/api/v1/conflicts?state=auto", headers=admin).get_json()["items"]
    assert [c["field"] for c in auto] == ["notes"] and not auto[0]["needs_review"]
