"""Conflicts in the open (issue [8]): a concurrent edit of any field a person typed or chose
opens a conflict for review; both values stay visible on the record's page at the ward and in
the console until someone decides; a person resolves from either page or from the inbox, and
the decision closes it everywhere. In process first (the hub's Flask test client, a ward's
real sync session and its pages), then on real processes (a hub and a ward node, each its own
``serve``) for a dossier's notes, an applicant's phone and a document's summary;
tests/hub/conflicts/test_open_browser.py drives both record pages in Chromium."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient

from central_hub import conflicts as hub_conflicts
from central_hub.store import capture as hub_capture
from central_hub.store import open_store as open_hub_store
from office import SECRET_SUMMARY, SecretContent
from schemas import SCHEMA_DIR
from sync import RemoteRefused, SyncReport, Write, record_types, select_records
from sync.schemas import _review_fields
from tests.hub.conftest import HubEngine
from tests.support import (
    PASSWORD,
    Cluster,
    console_login,
    csrf_of,
    enrolled_node,
    query,
    running_cluster,
    synced_session,
    token,
    wait_until,
    ward_login,
    web_session,
)
from ward_node import create_app as create_ward
from ward_node.dossiers import Dossiers
from ward_node.store import ROLES as WARD_ROLES
from ward_node.store import capture as ward_capture
from ward_node.store import load_clock
from webapp import User, add_user

UNIT = "19786"
CLERK = User("canbo", "officer", "Lê Thị Thu Hà")


# -- the schemas -------------------------------------------------------------------------------


def _schemas() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        if "x-record-type" in schema:
            found.append((schema["x-record-type"], schema))
    return found


@pytest.mark.parametrize("name,schema", _schemas(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_field_is_reviewed_unless_it_opts_out_with_its_reason(
    name: str, schema: dict[str, Any]
) -> None:
    for key, prop in schema["properties"].items():
        where = f"{name}.{key}"
        if "x-review" in prop:
            assert prop["x-review"] is False, f"{where}: review is the default, only false opts out"
            reason = prop.get("x-review-reason")
            assert isinstance(reason, str) and len(reason.strip()) >= 10, f"{where}: no reason"
        else:
            assert "x-review-reason" not in prop, f"{where}: a reason without an opt-out"
        assert prop.get("title"), f"{where}: no Vietnamese title to show in a conflict"
    rtype = record_types()[name]
    opted_out = {k for k, p in schema["properties"].items() if p.get("x-review") is False}
    fixed = {"id", "unit"} | rtype.immutable
    assert rtype.review_fields == set(schema["properties"]) - opted_out - fixed


def test_the_fields_people_type_are_reviewed_and_the_machines_are_not() -> None:
    types = record_types()
    for name, field in [
        ("dossier", "notes"),
        ("dossier", "applicant"),
        ("dossier", "status"),
        ("dossier", "due_at"),
        ("document", "summary"),
        ("document", "notes"),
        ("document_receipt", "result"),
        ("directive", "content"),
        ("meeting", "place"),
    ]:
        assert field in types[name].review_fields, (name, field)
    for name, field in [
        ("sms", "attempts"),
        ("sms", "status"),
        ("dossier", "code"),
        ("dossier", "received_at"),
        ("document", "number"),
        ("attachment", "sha256"),
        ("conflict", "state"),
    ]:
        assert field not in types[name].review_fields, (name, field)


def test_an_opt_out_without_its_reason_is_refused_when_schemas_load() -> None:
    with pytest.raises(ValueError, match="needs its reason"):
        _review_fields("dossier", {"notes": {"type": "string", "x-review": False}})
    with pytest.raises(ValueError, match="only false"):
        _review_fields("dossier", {"notes": {"type": "string", "x-review": True}})
    with pytest.raises(ValueError, match="needs its reason"):
        _review_fields(
            "dossier", {"notes": {"type": "string", "x-review-reason": "a reason alone"}}
        )


# -- a hub, a ward and their pages -------------------------------------------------------------


class Pair:
    """The hub (Flask test client, console logged in as ``admin``) and a ward node: its
    store, its real sync session against the hub, and its pages (a Flask test client)."""

    def __init__(self, tmp_path: Path, hub: FlaskClient) -> None:
        self.tmp_path, self.hub = tmp_path, hub
        self.hub_csrf = console_login(hub, tmp_path / "hub")
        token = hub.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD})
        self.admin = {"Authorization": "Bearer " + token.get_json()["token"]}
        self.data, transport = enrolled_node(tmp_path, hub)
        self.session, self.conn = synced_session(self.data, transport)
        for username, role, name in [
            ("canbo", "officer", "Lê Thị Thu Hà"),
            ("lanhdao", "leader", "Trần Minh Quang"),
        ]:
            add_user(self.conn, username, PASSWORD, role, WARD_ROLES, name)
        self.service = Dossiers(self.conn, load_clock(self.conn))
        self.app = create_ward({"DATA": str(self.data), "SYNC_INTERVAL": 0})
        self.app.config["TESTING"] = True
        self.ward = self.app.test_client()

    def dossier(self, **applicant: Any) -> dict[str, Any]:
        made = self.service.receive(
            {
                "procedure_code": "1.001193",
                "applicant": {"full_name": "Nguyễn Thị Lan", "phone": "0905111222", **applicant},
                "notes": "Nộp đủ giấy tờ.",
            },
            CLERK,
        )
        self.session.push(SyncReport())
        return made

    def notes_conflict(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """A dossier whose notes the city and the ward (not yet synced) both edited."""
        dossier = self.dossier()
        resp = self.hub.patch(
            f"/api/v1/dossiers/{dossier['id']}",
            json={"notes": "Thành phố: chờ xác minh hộ khẩu."},
            headers=self.admin,
        )
        assert resp.status_code == 200
        self.service.edit(dossier["id"], {"notes": "Phường: đã xác minh, đủ điều kiện."}, CLERK)
        self.session.run()
        (conflict,) = self.conflicts()
        return dossier, conflict

    def conflicts(self, **query: str) -> list[dict[str, Any]]:
        resp = self.hub.get("/api/v1/conflicts", query_string=query, headers=self.admin)
        assert resp.status_code == 200, resp.get_json()
        items: list[dict[str, Any]] = resp.get_json()["items"]
        return items

    def conflict(self, number: int) -> dict[str, Any]:
        found: dict[str, Any] = self.hub.get(
            f"/api/v1/conflicts/{number}", headers=self.admin
        ).get_json()
        return found

    def notices(self) -> list[dict[str, Any]]:
        return select_records(self.conn, "conflict", "ORDER BY number")

    def hub_db(self) -> sqlite3.Connection:
        return open_hub_store(self.tmp_path / "hub")

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def pair(tmp_path: Path, hub: FlaskClient) -> Iterator[Pair]:
    made = Pair(tmp_path, hub)
    yield made
    made.close()


def _text(html: str) -> str:
    """A page's visible text, tags dropped, spaces collapsed (for phrases across elements)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# -- a conflict opens and both pages show it ---------------------------------------------------


def test_concurrent_notes_open_a_conflict_whose_notice_reaches_the_ward(pair: Pair) -> None:
    dossier, conflict = pair.notes_conflict()
    assert conflict["field"] == "notes" and conflict["state"] == "open"
    assert conflict["notice"], "the hub wrote a notice for the ward"
    (notice,) = pair.notices()
    assert notice["id"] == conflict["notice"] and notice["number"] == conflict["id"]
    assert notice["record_type"] == "dossier" and notice["record_id"] == dossier["id"]
    assert notice["state"] == "open" and notice["unit"] == UNIT
    sides = {s["value"]: s for s in notice["sides"]}
    assert sides["Thành phố: chờ xác minh hộ khẩu."]["place"] == "hub"
    assert sides["Thành phố: chờ xác minh hộ khẩu."]["user"] == "admin"
    assert sides["Phường: đã xác minh, đủ điều kiện."]["place"] == UNIT
    assert sides["Phường: đã xác minh, đủ điều kiện."]["user"] == "canbo"
    assert all(s["at"] for s in notice["sides"])
    # The notice is the hub's write, journaled after the ward's change that caused it.
    hub = pair.hub_db()
    try:
        order = [
            r[0]
            for r in hub.execute(
                "SELECT type FROM journal WHERE id IN (?, ?) ORDER BY jseq",
                (dossier["id"], notice["id"]),
            )
        ]
    finally:
        hub.close()
    assert order[-1] == "conflict" and order[-2] == "dossier"


def test_the_wards_dossier_page_shows_the_open_conflict_with_both_values(pair: Pair) -> None:
    dossier, conflict = pair.notes_conflict()
    ward_login(pair.ward, "canbo")
    page = pair.ward.get(f"/dossiers/{dossier['id']}").get_data(as_text=True)
    text = _text(page)
    assert "<title>Đang có xung đột — Hồ sơ" in page
    assert "Đang có xung đột" in text and f"Xung đột số {conflict['id']}" in text
    assert (
        "Thành phố: chờ xác minh hộ khẩu." in text and "Phường: đã xác minh, đủ điều kiện." in text
    )
    assert "admin · Máy chủ trung tâm thành phố" in text
    assert "Lê Thị Thu Hà (canbo) · UBND phường" in text
    assert "(đang áp dụng)" in text
    # An officer sees both values but does not decide.
    assert "Lãnh đạo phường hoặc quản trị viên sẽ quyết định" in text
    assert 'name="choice"' not in page


def test_the_consoles_record_page_shows_the_open_conflict_with_both_values(pair: Pair) -> None:
    dossier, conflict = pair.notes_conflict()
    page = pair.hub.get(f"/console/ban-ghi/dossier/{dossier['id']}").get_data(as_text=True)
    text = _text(page)
    assert "Đang có xung đột" in text and f"Xung đột số {conflict['id']}" in text
    assert (
        "Thành phố: chờ xác minh hộ khẩu." in text and "Phường: đã xác minh, đủ điều kiện." in text
    )
    assert "Máy chủ trung tâm" in text and "UBND phường" in text
    assert f'action="/console/xung-dot/{conflict["id"]}"' in page
    assert f'name="back" value="/console/ban-ghi/dossier/{dossier["id"]}"' in page
    assert "Lịch sử thay đổi" in text


def test_every_ward_page_reminds_of_open_conflicts_and_lists_them(pair: Pair) -> None:
    dossier, conflict = pair.notes_conflict()
    csrf = ward_login(pair.ward, "lanhdao")
    home = _text(pair.ward.get("/").get_data(as_text=True))
    assert "Có 1 xung đột dữ liệu đang chờ quyết định." in home
    listing = pair.ward.get("/xung-dot").get_data(as_text=True)
    assert f'<a href="/dossiers/{dossier["id"]}">{dossier["code"]} · Nguyễn Thị Lan</a>' in listing
    assert "Phường: đã xác minh, đủ điều kiện." in listing and 'name="choice"' in listing
    resp = pair.ward.post(
        f"/xung-dot/{conflict['notice']}",
        data={"csrf_token": csrf, "choice": "1", "back": "/xung-dot"},
        follow_redirects=True,
    )
    assert "Không có xung đột nào đang mở" in resp.get_data(as_text=True)
    assert "xung đột dữ liệu đang chờ" not in _text(pair.ward.get("/").get_data(as_text=True))


def test_the_wards_directive_page_shows_a_conflict_on_its_content(pair: Pair) -> None:
    from ward_node.directives import Directives

    ops = Directives(pair.conn, load_clock(pair.conn), UNIT)
    directive = ops.issue(
        {"title": "Dọn vệ sinh kênh", "content": "Hoàn thành trước 30/12."},
        User("lanhdao", "leader", "Trần Minh Quang"),
    )
    pair.session.push(SyncReport())
    hub = pair.hub_db()
    try:
        hub_capture(hub).write(
            "directive",
            directive["id"],
            UNIT,
            {"content": "Hoàn thành trước 25/12."},
            actor="admin",
        )
    finally:
        hub.close()
    ward_capture(pair.conn, load_clock(pair.conn)).write(
        "directive", directive["id"], UNIT, {"content": "Hoàn thành trước 31/12."}, actor="lanhdao"
    )
    pair.session.run()
    (conflict,) = pair.conflicts()
    ward_login(pair.ward, "lanhdao")
    page = pair.ward.get(f"/directives/{directive['id']}").get_data(as_text=True)
    text = _text(page)
    assert "Đang có xung đột" in text and "Nội dung chỉ đạo" in text
    assert "Hoàn thành trước 25/12." in text and "Hoàn thành trước 31/12." in text
    assert f'action="/xung-dot/{conflict["notice"]}"' in page


# -- resolving from the record's page ----------------------------------------------------------


def test_a_leader_resolves_from_the_wards_page_and_the_hub_closes_it_everywhere(
    pair: Pair,
) -> None:
    dossier, conflict = pair.notes_conflict()
    csrf = ward_login(pair.ward, "lanhdao")
    page = pair.ward.get(f"/dossiers/{dossier['id']}").get_data(as_text=True)
    assert 'name="choice"' in page and "Giải quyết" in page
    city = next(
        i
        for i, s in enumerate(pair.notices()[0]["sides"])
        if s["value"] == "Thành phố: chờ xác minh hộ khẩu."
    )
    resp = pair.ward.post(
        f"/xung-dot/{conflict['notice']}",
        data={
            "csrf_token": csrf,
            "choice": str(city),
            "note": "Giữ ghi chú của thành phố",
            "back": f"/dossiers/{dossier['id']}",
        },
    )
    assert resp.status_code == 302 and resp.headers["Location"] == f"/dossiers/{dossier['id']}"
    # At the ward, at once: the record holds the chosen value, the notice the decision.
    assert pair.service.get(dossier["id"])["notes"] == "Thành phố: chờ xác minh hộ khẩu."
    (notice,) = pair.notices()
    assert notice["state"] == "resolved" and notice["resolved_by"] == "lanhdao"
    assert notice["resolved_place"] == UNIT and notice["note"] == "Giữ ghi chú của thành phố"
    after = _text(pair.ward.get(f"/dossiers/{dossier['id']}").get_data(as_text=True))
    assert "Đang có xung đột" not in after and "Đã giải quyết xung đột số" in after
    # At the hub after the sync: closed as decided at the ward, by whom, where.
    pair.session.run()
    closed = pair.conflict(conflict["id"])
    assert closed["state"] == "resolved" and closed["resolved_by"] == "lanhdao"
    assert closed["resolution"]["place"] == UNIT and closed["note"] == "Giữ ghi chú của thành phố"
    assert closed["resolution"]["value"] == "Thành phố: chờ xác minh hộ khẩu."
    assert closed["resolution"]["version"], "the version of the ward's field change"
    assert pair.conflicts() == []
    hub_dossier = pair.hub.get(f"/api/v1/dossiers/{dossier['id']}", headers=pair.admin)
    assert hub_dossier.get_json()["notes"] == "Thành phố: chờ xác minh hộ khẩu."
    console = _text(pair.hub.get(f"/console/ban-ghi/dossier/{dossier['id']}").get_data(True))
    assert "Đang có xung đột" not in console
    assert f"Giải quyết xung đột số {conflict['id']} bởi lanhdao (UBND phường" in console


def test_a_leader_may_type_another_value_at_the_ward(pair: Pair) -> None:
    dossier, conflict = pair.notes_conflict()
    csrf = ward_login(pair.ward, "lanhdao")
    pair.ward.post(
        f"/xung-dot/{conflict['notice']}",
        data={"csrf_token": csrf, "choice": "other", "other": " Đã xác minh;\r\nđủ điều kiện. "},
    )
    assert pair.service.get(dossier["id"])["notes"] == "Đã xác minh;\nđủ điều kiện."
    pair.session.run()
    assert pair.conflict(conflict["id"])["resolution"]["value"] == "Đã xác minh;\nđủ điều kiện."


def test_an_officer_cannot_resolve_and_nothing_changes(pair: Pair) -> None:
    dossier, conflict = pair.notes_conflict()
    before = pair.conn.execute("SELECT count(*) FROM changes").fetchone()[0]
    csrf = ward_login(pair.ward, "canbo")
    resp = pair.ward.post(
        f"/xung-dot/{conflict['notice']}",
        data={"csrf_token": csrf, "choice": "0", "back": f"/dossiers/{dossier['id']}"},
        follow_redirects=True,
    )
    assert "Chưa giải quyết được xung đột" in resp.get_data(as_text=True)
    assert "lãnh đạo phường hoặc quản trị hệ thống" in resp.get_data(as_text=True)
    assert pair.conn.execute("SELECT count(*) FROM changes").fetchone()[0] == before
    assert pair.notices()[0]["state"] == "open"


def test_a_value_the_field_cannot_hold_is_refused_at_the_ward(pair: Pair) -> None:
    dossier, conflict = pair.notes_conflict()
    csrf = ward_login(pair.ward, "lanhdao")
    resp = pair.ward.post(
        f"/xung-dot/{conflict['notice']}",
        data={"csrf_token": csrf, "choice": "other", "other": "x" * 2001},
        follow_redirects=True,
    )
    assert "dài quá 2000 ký tự" in resp.get_data(as_text=True)
    assert pair.notices()[0]["state"] == "open"
    assert pair.service.get(dossier["id"])["notes"] == "Phường: đã xác minh, đủ điều kiện."


def test_an_administrator_resolves_from_the_consoles_record_page_and_the_ward_receives_it(
    pair: Pair,
) -> None:
    dossier, conflict = pair.notes_conflict()
    back = f"/console/ban-ghi/dossier/{dossier['id']}"
    resp = pair.hub.post(
        f"/console/xung-dot/{conflict['id']}",
        data={
            "csrf_token": pair.hub_csrf,
            "choice": "merged",
            "merged": "Đã xác minh hộ khẩu.",
            "note": "Thống nhất với phường",
            "back": back,
        },
    )
    assert resp.status_code == 302 and resp.headers["Location"] == back
    closed = pair.conflict(conflict["id"])
    assert closed["state"] == "resolved" and closed["resolution"]["place"] == "hub"
    pair.session.run()
    assert pair.service.get(dossier["id"])["notes"] == "Đã xác minh hộ khẩu."
    (notice,) = pair.notices()
    assert notice["state"] == "resolved" and notice["resolved_by"] == "admin"
    assert notice["resolved_place"] == "hub" and notice["resolution"] == "Đã xác minh hộ khẩu."
    ward_login(pair.ward, "canbo")
    page = _text(pair.ward.get(f"/dossiers/{dossier['id']}").get_data(as_text=True))
    assert "Đang có xung đột" not in page and "Đã xác minh hộ khẩu." in page


def test_the_consoles_form_comes_back_only_to_a_record_page(pair: Pair) -> None:
    _dossier, conflict = pair.notes_conflict()
    resp = pair.hub.post(
        f"/console/xung-dot/{conflict['id']}",
        data={"csrf_token": pair.hub_csrf, "choice": "0", "back": "https://evil.example/"},
    )
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/console/xung-dot")


def test_the_inbox_still_resolves_and_closes_the_wards_notice(pair: Pair) -> None:
    dossier, conflict = pair.notes_conflict()
    resp = pair.hub.post(
        f"/api/v1/conflicts/{conflict['id']}/resolve",
        json={"value": "Phường: đã xác minh, đủ điều kiện."},
        headers=pair.admin,
    )
    assert resp.status_code == 200 and resp.get_json()["state"] == "resolved"
    pair.session.run()
    assert pair.notices()[0]["state"] == "resolved"


# -- the applicant's phone: an object field, decided part by part -------------------------------


def test_a_phone_conflict_shows_the_differing_part_and_takes_a_typed_phone(pair: Pair) -> None:
    dossier = pair.dossier()
    pair.hub.patch(
        f"/api/v1/dossiers/{dossier['id']}",
        json={"applicant": {"phone": "+84905333444"}},
        headers=pair.admin,
    )
    pair.service.edit(dossier["id"], {"applicant": {"phone": "0905 555 666"}}, CLERK)
    pair.session.run()
    (conflict,) = pair.conflicts()
    assert conflict["field"] == "applicant"
    csrf = ward_login(pair.ward, "lanhdao")
    page = pair.ward.get(f"/dossiers/{dossier['id']}").get_data(as_text=True)
    assert '<mark title="Hai giá trị khác nhau ở đây">Điện thoại: 0905333444</mark>' in page
    assert '<mark title="Hai giá trị khác nhau ở đây">Điện thoại: 0905555666</mark>' in page
    assert 'name="other.phone"' in page and 'name="other.full_name"' not in page
    pair.ward.post(
        f"/xung-dot/{conflict['notice']}",
        data={"csrf_token": csrf, "choice": "other", "other.phone": "0905 777 888"},
    )
    applicant = pair.service.get(dossier["id"])["applicant"]
    assert applicant["phone"] == "+84905777888" and applicant["full_name"] == "Nguyễn Thị Lan"
    pair.session.run()
    closed = pair.conflict(conflict["id"])
    assert (
        closed["state"] == "resolved" and closed["resolution"]["value"]["phone"] == "+84905777888"
    )


# -- the trust boundary: a ward only decides ---------------------------------------------------


def _hub_state(pair: Pair) -> tuple[Any, ...]:
    hub = pair.hub_db()
    try:
        return (
            hub.execute("SELECT count(*) FROM journal").fetchone()[0],
            hub.execute("SELECT id, state, resolved_by FROM conflicts ORDER BY id").fetchall(),
        )
    finally:
        hub.close()


def test_a_ward_cannot_forge_a_notice(pair: Pair) -> None:
    dossier, conflict = pair.notes_conflict()
    before = _hub_state(pair)
    forged = dict(pair.notices()[0])
    forged["id"] = "01900000-0000-7000-8000-000000000001"
    forged["state"] = "resolved"
    ward_capture(pair.conn, load_clock(pair.conn)).write_many(
        [Write("conflict", forged["id"], UNIT, forged)], actor="lanhdao"
    )
    with pytest.raises(RemoteRefused, match="không do máy chủ trung tâm mở"):
        pair.session.push(SyncReport())
    assert _hub_state(pair) == before
    assert pair.conflict(conflict["id"])["state"] == "open"


def test_a_ward_only_decides_a_notice_it_never_reopens_one(pair: Pair) -> None:
    # Its values, record and field are x-immutable (refused by the scope check, as any
    # immutable field); what is left to a ward is the decision, and only to "resolved".
    _dossier, conflict = pair.notes_conflict()
    before = _hub_state(pair)
    ward_capture(pair.conn, load_clock(pair.conn)).write_many(
        [Write("conflict", conflict["notice"], UNIT, {"state": "open", "note": "mở lại"})],
        actor="lanhdao",
    )
    with pytest.raises(RemoteRefused, match="chỉ được ghi quyết định"):
        pair.session.push(SyncReport())
    assert _hub_state(pair) == before


# -- two decisions at once ---------------------------------------------------------------------


def test_two_different_decisions_keep_the_first_and_open_a_conflict_of_their_own(
    pair: Pair,
) -> None:
    dossier, conflict = pair.notes_conflict()
    pair.hub.post(
        f"/api/v1/conflicts/{conflict['id']}/resolve",
        json={"value": "Quyết định của thành phố."},
        headers=pair.admin,
    )
    csrf = ward_login(pair.ward, "lanhdao")
    pair.ward.post(
        f"/xung-dot/{conflict['notice']}",
        data={"csrf_token": csrf, "choice": "other", "other": "Quyết định của phường."},
    )
    pair.session.run()
    pair.session.run()
    first = pair.conflict(conflict["id"])
    assert first["resolved_by"] == "admin" and first["resolution"]["place"] == "hub"
    # The notice tells the decision the hub keeps, at both ends.
    notice = next(n for n in pair.notices() if n["number"] == conflict["id"])
    assert notice["resolved_by"] == "admin" and notice["resolution"] == "Quyết định của thành phố."
    (again,) = pair.conflicts()
    assert again["field"] == "notes" and again["id"] != conflict["id"]
    assert {v["value"] for v in again["values"]} == {
        "Quyết định của thành phố.",
        "Quyết định của phường.",
    }
    assert any(n["number"] == again["id"] and n["state"] == "open" for n in pair.notices())
    # The two decisions of one notice are no conflict of their own, not even an "auto" one.
    assert {c["record_type"] for c in pair.conflicts(state="all")} == {"dossier"}


# -- what is not reviewed ----------------------------------------------------------------------


def test_a_field_that_opts_out_is_last_writer_wins_kept_as_auto(pair: Pair) -> None:
    dossier = pair.dossier()
    hub = pair.hub_db()
    try:
        hub_capture(hub).write("dossier", dossier["id"], UNIT, {"fee": 50000}, actor="admin")
    finally:
        hub.close()
    ward_capture(pair.conn, load_clock(pair.conn)).write(
        "dossier", dossier["id"], UNIT, {"fee": 30000}, actor="canbo"
    )
    pair.session.run()
    assert pair.conflicts() == [] and pair.notices() == []
    (auto,) = pair.conflicts(state="auto")
    assert auto["field"] == "fee" and not auto["needs_review"]


# -- a secret document's content never enters through a resolution -----------------------------


def test_a_typed_summary_of_a_secret_document_is_refused_at_the_hub(pair: Pair) -> None:
    hub = pair.hub_db()
    try:
        doc_id = "01900000-0000-7000-8000-0000000000d1"
        hub_capture(hub).write_many(
            [
                Write(
                    "document",
                    doc_id,
                    UNIT,
                    {
                        "id": doc_id,
                        "unit": UNIT,
                        "symbol": "12/UBND-VP",
                        "doc_type": "Công văn",
                        "summary": SECRET_SUMMARY,
                        "issued_on": "2026-12-01",
                        "urgency": "normal",
                        "secrecy": "mat",
                        "units": [],
                        "direction": "outgoing",
                    },
                )
            ],
            actor="admin",
        )
        sides = [
            {"value": SECRET_SUMMARY, "version": "0@hub", "origin": "hub", "unit": UNIT},
            {"value": SECRET_SUMMARY + ".", "version": "1@x", "origin": "x", "unit": UNIT},
        ]
        with hub:
            number = hub.execute(
                "INSERT INTO conflicts (record_type, record_id, unit, field, values_json, "
                "winner, needs_review, state, detected_at) VALUES ('document', ?, ?, 'summary', "
                "?, '1@x', 1, 'open', '2026-12-01T00:00:00+00:00') RETURNING id",
                (doc_id, UNIT, json.dumps(sides)),
            ).fetchone()[0]
        assert number is not None
        with pytest.raises(SecretContent):
            hub_conflicts.resolve(hub, number, "Trích yếu thật", user="admin")
        assert hub_conflicts.get_conflict(hub, number)["state"] == "open"
        stored = hub.execute("SELECT summary FROM document WHERE id = ?", (doc_id,)).fetchone()
        assert stored[0] == SECRET_SUMMARY
    finally:
        hub.close()


# -- a store from before notices ---------------------------------------------------------------


def test_conflicts_open_before_the_upgrade_get_their_notice(pair: Pair) -> None:
    dossier = pair.dossier()
    sides = [
        {"value": "Ghi chú cũ của thành phố", "version": "1@hub", "origin": "hub", "unit": UNIT},
        {"value": "Ghi chú cũ của phường", "version": "2@x", "origin": "x", "unit": UNIT},
    ]
    hub = pair.hub_db()
    try:
        with hub:  # the store as release 0024 left it: an open conflict and no notices
            hub.execute("DROP INDEX conflicts_notice")
            hub.execute("DROP INDEX conflicts_record")
            hub.execute("ALTER TABLE conflicts DROP COLUMN notice")
            hub.execute("DELETE FROM _migrations WHERE name = '0028_conflict_notices'")
            hub.execute(
                "INSERT INTO conflicts (record_type, record_id, unit, field, values_json, "
                "winner, needs_review, state, detected_at) VALUES ('dossier', ?, ?, 'notes', "
                "?, '2@x', 1, 'open', '2026-11-01T00:00:00+00:00')",
                (dossier["id"], UNIT, json.dumps(sides)),
            )
    finally:
        hub.close()
    hub = pair.hub_db()  # opening it upgrades it
    try:
        notice_id = hub.execute("SELECT notice FROM conflicts").fetchone()[0]
    finally:
        hub.close()
    assert notice_id
    pair.session.run()
    (notice,) = pair.notices()
    assert notice["id"] == notice_id and notice["state"] == "open"
    assert notice["record_id"] == dossier["id"]
    ward_login(pair.ward, "canbo")
    page = _text(pair.ward.get(f"/dossiers/{dossier['id']}").get_data(as_text=True))
    assert "Đang có xung đột" in page and "Ghi chú cũ của phường" in page


# -- on real processes: a hub and a ward node, each its own `serve` -----------------------------


class Live:
    """A real hub and a real ward node (``tests.support``), the ward's worker idle until asked,
    so that the city and the ward can each edit a record before seeing the other's edit."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.ward = cluster.wards[UNIT].url
        self.hub = self.cluster.hub_url
        self.clerk = token(self.ward)
        self.admin = token(self.hub, "admin")
        self.leader_web = web_session(self.ward, "/login", "lanhdao")
        self.clerk_web = web_session(self.ward, "/login", "canbo")
        self.console = web_session(self.hub, "/console/dang-nhap", "admin")

    def call(self, method: str, url: str, headers: dict[str, str], **kwargs: Any) -> Any:
        resp = requests.request(method, url, headers=headers, timeout=10, **kwargs)
        assert resp.status_code < 300, (method, url, resp.status_code, resp.text)
        return resp.json()

    def sync(self) -> None:
        """Ask the ward's worker to push and pull now."""
        self.call("POST", self.ward + "/api/v1/sync/run", self.clerk)

    def at_hub(self, path: str) -> Any:
        resp = requests.get(self.hub + path, headers=self.admin, timeout=10)
        return resp.json() if resp.status_code == 200 else None

    def open_conflict(self, record_id: str) -> dict[str, Any]:
        """Sync, and wait for the hub's open conflict on the record and its notice at the ward."""
        self.sync()

        def found() -> dict[str, Any] | None:
            items = self.at_hub("/api/v1/conflicts")["items"]
            return next((c for c in items if c["record_id"] == record_id), None)

        conflict: dict[str, Any] = wait_until(found, 60, what="the open conflict at the hub")
        store = self.cluster.ward_data(UNIT) / "node.sqlite3"
        wait_until(
            lambda: query(store, "SELECT state FROM conflict WHERE id = ?", conflict["notice"]),
            60,
            what="the conflict's notice at the ward",
        )
        return conflict

    def closed(self, conflict: dict[str, Any]) -> dict[str, Any]:
        """Sync, and wait until the hub's conflict and the ward's notice are both resolved."""
        self.sync()
        done: dict[str, Any] = wait_until(
            lambda: (
                (c := self.at_hub(f"/api/v1/conflicts/{conflict['id']}"))["state"] == "resolved"
                and c
            ),
            60,
            what="the conflict resolved at the hub",
        )
        store = self.cluster.ward_data(UNIT) / "node.sqlite3"
        wait_until(
            lambda: (
                query(store, "SELECT state FROM conflict WHERE id = ?", conflict["notice"])
                == [("resolved",)]
            ),
            60,
            what="the notice resolved at the ward",
        )
        return done

    def ward_page(self, path: str, web: requests.Session | None = None) -> str:
        resp = (web or self.clerk_web).get(self.ward + path, timeout=10)
        assert resp.status_code == 200, resp.text
        return resp.text

    def console_page(self, path: str) -> str:
        resp = self.console.get(self.hub + path, timeout=10)
        assert resp.status_code == 200, resp.text
        return resp.text


def _both_values_shown(page: str, city: str, ward: str) -> None:
    text = _text(page)
    assert "Đang có xung đột" in text, text[:2000]
    assert city in text and ward in text


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, hub_engine: HubEngine) -> Iterator[Live]:
    with running_cluster(
        tmp_path_factory.mktemp("conflicts-live"),
        UNIT,
        users={UNIT: [("lanhdao", "leader", "Trần Minh Quang")]},
        interval=3600,
        database_url=hub_engine.new_url(),
    ) as cluster:
        yield Live(cluster)


@pytest.mark.slow
def test_live_a_dossiers_notes_conflict_is_resolved_from_the_wards_page(live: Live) -> None:
    dossier = live.call(
        "POST",
        live.ward + "/api/v1/dossiers",
        live.clerk,
        json={"procedure_code": "1.001193", "applicant": {"full_name": "Hoàng Thị Mai"}},
    )
    live.sync()
    wait_until(lambda: live.at_hub(f"/api/v1/dossiers/{dossier['id']}"), 60, what="the dossier")
    city, ward = "Thành phố: bổ sung bản sao sổ đỏ.", "Phường: đã đủ, chờ ký."
    hub_dossier = live.hub + f"/api/v1/dossiers/{dossier['id']}"
    live.call("PATCH", hub_dossier, live.admin, json={"notes": city})
    live.call(
        "PATCH", live.ward + f"/api/v1/dossiers/{dossier['id']}", live.clerk, json={"notes": ward}
    )
    conflict = live.open_conflict(dossier["id"])
    assert conflict["field"] == "notes"

    page = live.ward_page(f"/dossiers/{dossier['id']}", live.leader_web)
    _both_values_shown(page, city, ward)
    _both_values_shown(live.console_page(f"/console/ban-ghi/dossier/{dossier['id']}"), city, ward)

    # The leader keeps the city's text, from the dossier's page.
    notice = query(
        live.cluster.ward_data(UNIT) / "node.sqlite3",
        "SELECT sides FROM conflict WHERE id = ?",
        conflict["notice"],
    )[0][0]
    city_side = next(i for i, s in enumerate(json.loads(notice)) if s["value"] == city)
    resp = live.leader_web.post(
        live.ward + f"/xung-dot/{conflict['notice']}",
        data={
            "csrf_token": csrf_of(page),
            "choice": str(city_side),
            "note": "Theo thành phố",
            "back": f"/dossiers/{dossier['id']}",
        },
        timeout=10,
    )
    assert resp.status_code == 200 and "Đã giải quyết xung đột số" in resp.text
    done = live.closed(conflict)
    assert done["resolved_by"] == "lanhdao" and done["resolution"]["place"] == UNIT
    assert live.call("GET", hub_dossier, live.admin)["notes"] == city
    assert "Đang có xung đột" not in live.ward_page(f"/dossiers/{dossier['id']}")
    assert "Đang có xung đột" not in live.console_page(f"/console/ban-ghi/dossier/{dossier['id']}")
    assert conflict["id"] not in {c["id"] for c in live.at_hub("/api/v1/conflicts")["items"]}


@pytest.mark.slow
def test_live_an_applicants_phone_conflict_is_resolved_from_the_consoles_page(live: Live) -> None:
    dossier = live.call(
        "POST",
        live.ward + "/api/v1/dossiers",
        live.clerk,
        json={
            "procedure_code": "1.001193",
            "applicant": {"full_name": "Phan Văn Khải", "phone": "0905111222"},
        },
    )
    live.sync()
    wait_until(lambda: live.at_hub(f"/api/v1/dossiers/{dossier['id']}"), 60, what="the dossier")
    live.call(
        "PATCH",
        live.hub + f"/api/v1/dossiers/{dossier['id']}",
        live.admin,
        json={"applicant": {"phone": "+84905333444"}},
    )
    live.call(
        "PATCH",
        live.ward + f"/api/v1/dossiers/{dossier['id']}",
        live.clerk,
        json={"applicant": {"phone": "0905 555 666"}},
    )
    conflict = live.open_conflict(dossier["id"])
    assert conflict["field"] == "applicant"
    _both_values_shown(live.ward_page(f"/dossiers/{dossier['id']}"), "0905333444", "0905555666")
    record_page = f"/console/ban-ghi/dossier/{dossier['id']}"
    page = live.console_page(record_page)
    _both_values_shown(page, "0905333444", "0905555666")

    # The administrator types the number the citizen gave on the phone, on the record's page.
    resp = live.console.post(
        live.hub + f"/console/xung-dot/{conflict['id']}",
        data={
            "csrf_token": csrf_of(page),
            "choice": "merged",
            "merged.phone": "0905 777 888",
            "note": "Công dân báo số mới",
            "back": record_page,
        },
        timeout=10,
    )
    assert resp.status_code == 200 and "Đã giải quyết xung đột số" in resp.text
    assert resp.url == live.hub + record_page
    live.closed(conflict)
    got = live.call("GET", live.ward + f"/api/v1/dossiers/{dossier['id']}", live.clerk)
    assert got["applicant"]["phone"] == "+84905777888"
    assert got["applicant"]["full_name"] == "Phan Văn Khải"
    assert "Đang có xung đột" not in live.ward_page(f"/dossiers/{dossier['id']}")
    assert "Đang có xung đột" not in live.console_page(record_page)


@pytest.mark.slow
def test_live_a_documents_summary_conflict_is_resolved_at_the_ward_with_a_typed_text(
    live: Live,
) -> None:
    doc = live.call(
        "POST",
        live.ward + "/api/v1/documents",
        live.clerk,
        json={
            "direction": "outgoing",
            "doc_type": "Công văn",
            "summary": "V/v sửa chữa trường học",
        },
    )
    live.sync()
    wait_until(lambda: live.at_hub(f"/api/v1/documents/{doc['id']}"), 60, what="the document")
    # No page of the console edits a ward's document: the city's edit goes through the hub's
    # own write path (what an administrator's edit runs), on the running hub's store.
    hub = open_hub_store(live.cluster.hub_data)
    try:
        hub_capture(hub).write(
            "document", doc["id"], UNIT, {"summary": "V/v sửa chữa trường tiểu học"}, actor="admin"
        )
    finally:
        hub.close()
    live.call(
        "PATCH",
        live.ward + f"/api/v1/documents/{doc['id']}",
        live.clerk,
        json={"summary": "V/v sửa chữa mái trường học"},
    )
    conflict = live.open_conflict(doc["id"])
    assert conflict["field"] == "summary"
    page = live.ward_page(f"/van-ban/{doc['id']}", live.leader_web)
    _both_values_shown(page, "V/v sửa chữa trường tiểu học", "V/v sửa chữa mái trường học")
    _both_values_shown(
        live.console_page(f"/console/ban-ghi/document/{doc['id']}"),
        "V/v sửa chữa trường tiểu học",
        "V/v sửa chữa mái trường học",
    )
    resp = live.leader_web.post(
        live.ward + f"/xung-dot/{conflict['notice']}",
        data={
            "csrf_token": csrf_of(page),
            "choice": "other",
            "other": "V/v sửa chữa mái trường tiểu học",
            "back": f"/van-ban/{doc['id']}",
        },
        timeout=10,
    )
    assert resp.status_code == 200 and "Đã giải quyết xung đột số" in resp.text
    done = live.closed(conflict)
    assert done["resolution"]["value"] == "V/v sửa chữa mái trường tiểu học"
    assert live.at_hub(f"/api/v1/documents/{doc['id']}")["summary"] == (
        "V/v sửa chữa mái trường tiểu học"
    )
    assert "Đang có xung đột" not in live.ward_page(f"/van-ban/{doc['id']}")
    assert "Đang có xung đột" not in live.console_page(f"/console/ban-ghi/document/{doc['id']}")
