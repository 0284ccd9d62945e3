"""Issuing at the ward from the browser (issue [4]): a leader gives a directive from "Giao nhiệm
vụ mới" and a leader or clerk sends a GM invitation from "Gửi giấy mời". Both forms call the
same functions as the JSON API; a refused form shows the message, keeps what was typed, marks
the faulty field and writes nothing."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from office import VIETNAM
from tests.support import UNIT, ward_login

OTHER_WARD, DEPARTMENT = "19744", "19750"  # Phú Thuận, Tây Lộc: current units in the seed data


@pytest.fixture
def store(ward_app: Flask) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(Path(ward_app.config["DATA"]) / "node.sqlite3")
    try:
        yield conn
    finally:
        conn.close()


def _changes(conn: sqlite3.Connection, type_name: str) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT fields FROM changes WHERE type = ? ORDER BY seq", (type_name,))
    return [json.loads(r[0]) for r in rows.fetchall()]


def _count(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _in_days(days: int) -> datetime:
    return datetime.now(VIETNAM) + timedelta(days=days)


# -- Giao nhiệm vụ mới -----------------------------------------------------------------------


def test_a_leader_issues_a_directive_from_the_form_and_it_is_routed_to_its_units(
    client: FlaskClient, store: sqlite3.Connection
) -> None:
    csrf = ward_login(client, "leader")
    listing = client.get("/directives").get_data(True)
    assert 'href="/directives/new"' in listing and "Giao nhiệm vụ mới" in listing
    form = client.get("/directives/new").get_data(True)
    assert f'name="units" value="{OTHER_WARD}"' in form
    assert f'name="units" value="{UNIT}"' not in form  # the ward itself is not a coordinator
    deadline = _in_days(10)
    resp = client.post(
        "/directives/new",
        data={
            "csrf_token": csrf,
            "title": "Ra quân làm sạch tuyến đường Lê Lợi",
            "content": "Tổ chức ra quân, báo cáo kết quả về UBND phường.",
            "lead_unit": OTHER_WARD,
            "units": [DEPARTMENT],
            "deadline": f"{deadline:%d/%m/%Y}",
            "priority": "urgent",
            "source_kind": "document",
            "source": "Thông báo số 45/TB-UBND",
        },
    )
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(True)
    assert "Đã giao nhiệm vụ" in page and "Ra quân làm sạch tuyến đường Lê Lợi" in page

    (written,) = _changes(store, "directive")
    assert written["unit"] == UNIT and written["issued_by"] == "Cán bộ leader"
    assert (written["lead_unit"], written["units"]) == (OTHER_WARD, [OTHER_WARD, DEPARTMENT])
    assert written["deadline"] == deadline.date().isoformat()
    assert (written["priority"], written["source_kind"], written["source"]) == (
        "urgent",
        "document",
        "Thông báo số 45/TB-UBND",
    )
    assert resp.headers["Location"].endswith("/directives/" + written["id"])


def test_a_directive_inside_the_ward_is_led_by_the_ward(
    client: FlaskClient, store: sqlite3.Connection
) -> None:
    csrf = ward_login(client, "admin")
    resp = client.post(
        "/directives/new",
        data={
            "csrf_token": csrf,
            "title": "Trực Tết",
            "content": "Phân công trực.",
            "lead_unit": UNIT,
        },
    )
    assert resp.status_code == 302
    (written,) = _changes(store, "directive")
    assert (written["lead_unit"], written["units"], written["deadline"]) == (UNIT, [UNIT], None)
    assert written["priority"] == "normal"


def test_an_officer_has_no_link_and_is_refused_the_form(
    client: FlaskClient, store: sqlite3.Connection
) -> None:
    ward_login(client, "officer")
    assert "/directives/new" not in client.get("/directives").get_data(True)
    assert client.get("/directives/new").status_code == 403
    assert client.post("/directives/new", data={"title": "x"}).status_code in (400, 403)
    assert _count(store, "changes") == 0


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": "  "}, "title", "Nhập trích yếu"),
        ({"content": ""}, "content", "Nhập nội dung chỉ đạo"),
        ({"lead_unit": ""}, "lead_unit", "Chọn đơn vị chủ trì"),
        ({"lead_unit": "99999"}, "lead_unit", "Đơn vị chủ trì không có"),
        ({"deadline": "31-12-2026"}, "deadline", "dd/mm/yyyy"),
        ({"deadline": "31/02/2027"}, "deadline", "dd/mm/yyyy"),
        ({"deadline": f"{_in_days(-1):%d/%m/%Y}"}, "deadline", "đã qua"),
    ],
)
def test_a_refused_directive_form_keeps_what_was_typed_and_writes_nothing(
    client: FlaskClient, store: sqlite3.Connection, change: dict[str, str], field: str, message: str
) -> None:
    csrf = ward_login(client, "leader")
    data = {
        "csrf_token": csrf,
        "title": "Kiểm tra an toàn thực phẩm",
        "content": "Kiểm tra các cơ sở trên địa bàn.",
        "lead_unit": OTHER_WARD,
        "units": [DEPARTMENT],
        "deadline": f"{_in_days(5):%d/%m/%Y}",
        "priority": "high",
        **change,
    }
    resp = client.post("/directives/new", data=data)
    page = resp.get_data(True)
    assert resp.status_code == 422
    assert message in page and 'role="alert"' in page
    marked = re.search(rf'id="{field}"[^>]*aria-invalid="true"', page)
    assert marked, f"the field {field} is marked"
    assert page.count('aria-invalid="true"') == 1
    for name in ("title", "content", "deadline"):
        if data[name].strip():
            assert data[name] in page  # what was typed is kept
    assert f'value="{DEPARTMENT}" checked' in page
    assert re.search(r'<option value="high" selected', page)
    assert _count(store, "changes") == 0 and _count(store, "directive") == 0


# -- Gửi giấy mời ------------------------------------------------------------------------------


def _invitation(csrf: str, **change: Any) -> dict[str, Any]:
    start = _in_days(7).replace(hour=8, minute=0)
    return {
        "csrf_token": csrf,
        "subject": "Họp giao ban công tác chuyển đổi số",
        "starts_at": f"{start:%d/%m/%Y} 08:00",
        "ends_at": "11:00",
        "place": "Hội trường UBND phường",
        "chair": "Chủ tịch UBND phường",
        "units": [OTHER_WARD, DEPARTMENT],
        "signer": "Trần Văn A, Chủ tịch",
        **change,
    }


def test_an_invitation_sent_from_the_form_gets_the_next_number_of_the_year(
    client: FlaskClient, store: sqlite3.Connection
) -> None:
    csrf = ward_login(client, "leader")
    assert "Gửi giấy mời" in client.get("/invitations").get_data(True)
    first = client.post("/invitations/new", data=_invitation(csrf))
    second = client.post("/invitations/new", data=_invitation(csrf, subject="Họp dân phố 3"))
    assert first.status_code == second.status_code == 302
    sent = _changes(store, "invitation")
    assert [s["number"] for s in sent] == [1, 2]
    assert [s["symbol"] for s in sent] == ["1/GM-UBND", "2/GM-UBND"]
    assert sent[1]["units"] == sorted([OTHER_WARD, DEPARTMENT])
    start = _in_days(7).replace(hour=8, minute=0, second=0, microsecond=0)
    assert datetime.fromisoformat(sent[0]["starts_at"]) == start
    assert datetime.fromisoformat(sent[0]["ends_at"]) == start.replace(hour=11)
    assert second.headers["Location"].endswith(f"/invitations#sent-{sent[1]['id']}")

    page = client.get("/invitations").get_data(True)
    assert "Đã gửi giấy mời số 2/GM-UBND" in page
    card = page[page.index(f'id="sent-{sent[1]["id"]}"') :]
    assert "Họp dân phố 3" in card and "2/GM-UBND" in card
    assert card.count("Chưa trả lời") >= 2  # no reply has come back yet
    assert "Phú Thuận" in card


def test_the_sent_invitation_shows_a_reply_that_came_back(
    client: FlaskClient, ward_app: Flask
) -> None:
    from sync import Change, Replica, new_id

    csrf = ward_login(client, "clerk")
    assert client.post("/invitations/new", data=_invitation(csrf)).status_code == 302
    conn = sqlite3.connect(Path(ward_app.config["DATA"]) / "node.sqlite3")
    try:
        inv_id = conn.execute("SELECT id FROM invitation").fetchone()[0]
        reply = {
            "id": new_id(),
            "unit": OTHER_WARD,
            "invitation_id": inv_id,
            "attending": True,
            "attendees": ["Bà Lê Thị B, Phó Chủ tịch"],
        }
        with conn:
            Replica(conn).merge(
                [
                    Change(
                        "hub",
                        1,
                        10**15,
                        "invitation_reply",
                        reply["id"],
                        OTHER_WARD,
                        reply,
                        {},
                        "x",
                    )
                ]
            )
    finally:
        conn.close()
    page = client.get("/invitations").get_data(True)
    row = re.search(rf'<tr data-unit="{OTHER_WARD}">(.*?)</tr>', page, re.S)
    assert row and "Dự họp — Bà Lê Thị B, Phó Chủ tịch" in row.group(1)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"starts_at": "2/12/26 8h"}, "starts_at", "dd/mm/yyyy HH:MM"),
        ({"starts_at": "31/11/2099 08:00"}, "starts_at", "dd/mm/yyyy HH:MM"),
        ({"starts_at": ""}, "starts_at", "Nhập thời gian họp"),
        ({"starts_at": f"{_in_days(-2):%d/%m/%Y} 08:00"}, "starts_at", "đã qua"),
        ({"ends_at": "25:00"}, "ends_at", "Giờ kết thúc"),
        ({"ends_at": "07:00"}, "ends_at", "Giờ kết thúc phải sau"),
        ({"subject": ""}, "subject", "Nhập nội dung"),
        ({"units": []}, "units", "Chọn ít nhất một đơn vị"),
    ],
)
def test_a_refused_invitation_form_keeps_what_was_typed_and_takes_no_number(
    client: FlaskClient, store: sqlite3.Connection, change: dict[str, Any], field: str, message: str
) -> None:
    csrf = ward_login(client, "leader")
    data = _invitation(csrf, **change)
    resp = client.post("/invitations/new", data=data)
    page = resp.get_data(True)
    assert resp.status_code == 422
    assert message in page and 'role="alert"' in page
    if field == "units":
        assert re.search(r'name="units" value="19744"\s*aria-invalid="true"', page)
    else:
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page), field
    assert 'value="Hội trường UBND phường"' in page
    if data["starts_at"]:
        assert f'value="{data["starts_at"]}"' in page
    assert _count(store, "changes") == 0 and _count(store, "counters") == 0


def test_an_officer_cannot_send_an_invitation(client: FlaskClient) -> None:
    ward_login(client, "officer")
    assert "/invitations/new" not in client.get("/invitations").get_data(True)
    assert client.get("/invitations/new").status_code == 403


def test_the_issuer_extends_with_a_date_typed_dd_mm_yyyy(
    client: FlaskClient, store: sqlite3.Connection
) -> None:
    csrf = ward_login(client, "leader")
    resp = client.post(
        "/directives/new",
        data={"csrf_token": csrf, "title": "Trực Tết", "content": "Phân công.", "lead_unit": UNIT},
    )
    where = resp.headers["Location"]
    bad = client.post(
        where, data={"csrf_token": csrf, "action": "extend", "new_deadline": "2099-01-31"}
    )
    assert "dd/mm/yyyy" in client.get(bad.headers["Location"]).get_data(True)
    assert _changes(store, "directive_extension") == []
    client.post(
        where,
        data={
            "csrf_token": csrf,
            "action": "extend",
            "new_deadline": "31/01/2099",
            "reason": "Chờ kinh phí",
        },
    )
    (extension,) = _changes(store, "directive_extension")
    assert (extension["new_deadline"], extension["reason"]) == ("2099-01-31", "Chờ kinh phí")
    assert "31/01/2099" in client.get(where).get_data(True)
