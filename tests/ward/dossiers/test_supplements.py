"""Supplements (4→5→4) and step deadlines on hand-over (docs/domain.md, "Supplements", "Due dates").

A supplement is requested once, listing the missing papers; status 5 stops the clock; when the
citizen supplies the papers the procedure's ``supplement_rule`` moves the due date: ``extend`` by
the working time spent waiting, ``recompute`` afresh from the re-submission.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from sync import Conflict, ValidationError
from tests.office.test_deadlines import CAL_2026
from tests.support import Api, make_ward_data
from ward_node.dossiers import Dossiers
from ward_node.store import load_clock, open_store
from webapp import User

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
EXTEND = "1.004873"  # 3 working days, supplement_rule "extend"
RECOMPUTE = "1.001193"  # same day, cutoff 15:00, supplement_rule "recompute"
OFFICER = User("officer", "officer", "Cán bộ một cửa")
MISSING = "Bản sao giấy khai sinh; Giấy xác nhận cư trú"


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=HCM)


def utc(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="seconds")


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Dossiers]:
    conn = open_store(make_ward_data(tmp_path / "ward"))
    try:
        yield Dossiers(conn, load_clock(conn))
    finally:
        conn.close()


def _processing(service: Dossiers, procedure: str, received: datetime) -> dict:
    dossier = service.receive(
        {"procedure_code": procedure, "applicant": {"full_name": "Hồ Thị Hoa"}},
        OFFICER,
        at=received,
    )
    return service.act(dossier["id"], {"action": "start"}, OFFICER, at=received)


# -- working time between two moments ------------------------------------------------------

HOURS_CASES = [
    ("tet_2026_stopped_thursday_back_monday", at(2026, 2, 12, 10), at(2026, 2, 23, 10), 16),
    ("lunch_break_not_counted", at(2026, 3, 3, 11), at(2026, 3, 3, 14), 1),
    ("night_and_weekend_not_counted", at(2026, 3, 6, 17, 30), at(2026, 3, 9, 6, 45), 0),
    ("whole_working_day", at(2026, 3, 3, 7), at(2026, 3, 3, 17), 8),
    ("inside_one_period", at(2026, 3, 3, 8), at(2026, 3, 3, 9, 15), 1.25),
    ("backwards_is_negative", at(2026, 3, 3, 14), at(2026, 3, 3, 11), -1),
    ("same_moment", at(2026, 3, 3, 9), at(2026, 3, 3, 9), 0),
]


@pytest.mark.parametrize(
    ("start", "stop", "hours"), [c[1:] for c in HOURS_CASES], ids=[c[0] for c in HOURS_CASES]
)
def test_working_hours_between_skips_nights_lunch_weekends_and_tet(
    start: datetime, stop: datetime, hours: float
) -> None:
    assert CAL_2026.working_hours_between(start, stop) == hours


@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31)),
    minutes=st.integers(min_value=1, max_value=60 * 8 * 40),
)
def test_working_hours_between_inverts_add_working_hours(start: datetime, minutes: int) -> None:
    begin = start.replace(tzinfo=HCM, microsecond=0)
    end = CAL_2026.add_working_hours(begin, minutes / 60)
    assert CAL_2026.working_hours_between(begin, end) * 60 == pytest.approx(minutes)


# -- the due date after a supplement --------------------------------------------------------

SUPPLEMENT_CASES = [
    # id, procedure, received (and started), stopped, back, due before, due after
    ("extend_over_tet_by_16_working_hours", EXTEND, at(2026, 2, 11, 8), at(2026, 2, 12, 10),
     at(2026, 2, 23, 10), at(2026, 2, 23, 8), at(2026, 2, 25, 8)),
    ("extend_by_one_hour_across_lunch", EXTEND, at(2026, 3, 2, 7), at(2026, 3, 3, 11),
     at(2026, 3, 3, 14), at(2026, 3, 4, 17), at(2026, 3, 5, 8)),
    ("extend_by_nothing_over_a_weekend_night", EXTEND, at(2026, 3, 2, 7), at(2026, 3, 6, 17, 30),
     at(2026, 3, 9, 6, 45), at(2026, 3, 4, 17), at(2026, 3, 4, 17)),
    ("recompute_same_day_after_tet", RECOMPUTE, at(2026, 2, 12, 9), at(2026, 2, 12, 10),
     at(2026, 2, 23, 10), at(2026, 2, 12, 17), at(2026, 2, 23, 17)),
    ("recompute_after_cutoff_is_next_day", RECOMPUTE, at(2026, 2, 12, 9), at(2026, 2, 12, 10),
     at(2026, 2, 23, 15, 30), at(2026, 2, 12, 17), at(2026, 2, 24, 17)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("procedure", "received", "stopped", "back", "due_before", "due_after"),
    [c[1:] for c in SUPPLEMENT_CASES],
    ids=[c[0] for c in SUPPLEMENT_CASES],
)
def test_supplement_moves_the_due_date_by_the_procedure_rule(
    service: Dossiers,
    procedure: str,
    received: datetime,
    stopped: datetime,
    back: datetime,
    due_before: datetime,
    due_after: datetime,
) -> None:
    dossier = _processing(service, procedure, received)
    assert dossier["due_at"] == utc(due_before)
    waiting = service.act(
        dossier["id"], {"action": "request_supplement", "note": MISSING}, OFFICER, at=stopped
    )
    assert waiting["status"] == 5 and waiting["clock_stopped_at"] == utc(stopped)
    assert waiting["due_at"] == utc(due_before)  # the clock stops; the date stays until resumed
    resumed = service.act(dossier["id"], {"action": "supplement_received"}, OFFICER, at=back)
    assert resumed["status"] == 4 and resumed["clock_stopped_at"] is None
    assert resumed["due_at"] == utc(due_after)
    assert resumed["original_due_at"] is None  # a supplement is not lateness
    last = resumed["steps"][-1]
    assert (last["action"], last["from_status"], last["to_status"]) == (
        "supplement_received",
        5,
        4,
    )
    assert f"Hạn trả trước khi bổ sung: {due_before:%d/%m/%Y %H:%M}" in last["note"]
    assert f"hạn trả mới: {due_after:%d/%m/%Y %H:%M}" in last["note"]
    row = service.conn.execute(
        "SELECT status, due_at, clock_stopped_at FROM dossier WHERE id = ?", (dossier["id"],)
    ).fetchone()
    assert tuple(row) == (4, utc(due_after), None)


def test_extend_counts_from_the_request_step_when_the_stop_time_is_missing(
    service: Dossiers,
) -> None:
    # A dossier put in status 5 before clock_stopped_at existed.
    dossier = _processing(service, EXTEND, at(2026, 2, 11, 8))
    service.act(
        dossier["id"],
        {"action": "request_supplement", "note": MISSING},
        OFFICER,
        at=at(2026, 2, 12, 10),
    )
    with service.conn:
        service.conn.execute(
            "UPDATE dossier SET clock_stopped_at = NULL WHERE id = ?", (dossier["id"],)
        )
    resumed = service.act(
        dossier["id"], {"action": "supplement_received"}, OFFICER, at=at(2026, 2, 23, 10)
    )
    assert resumed["due_at"] == utc(at(2026, 2, 25, 8))


def test_a_dossier_awaiting_a_supplement_is_not_overdue(service: Dossiers) -> None:
    dossier = _processing(service, RECOMPUTE, at(2026, 2, 2, 9))  # due 02/02/2026 17:00
    assert service.get(dossier["id"])["overdue"] is True
    service.act(
        dossier["id"],
        {"action": "request_supplement", "note": MISSING},
        OFFICER,
        at=at(2026, 2, 2, 10),
    )
    assert service.get(dossier["id"])["overdue"] is False
    assert service.search(overdue=True)[0] == []
    assert [d["id"] for d in service.search(overdue=False)[0]] == [dossier["id"]]
    # Back on 03/02/2026 10:00, same-day procedure recomputed: due 03/02 17:00, past today.
    service.act(dossier["id"], {"action": "supplement_received"}, OFFICER, at=at(2026, 2, 3, 10))
    assert service.get(dossier["id"])["overdue"] is True
    assert [d["id"] for d in service.search(overdue=True)[0]] == [dossier["id"]]


# -- through the API --------------------------------------------------------------------------


def _store(app: Flask) -> sqlite3.Connection:
    return sqlite3.connect(Path(app.config["DATA"]) / "node.sqlite3")


def _started(api: Api) -> tuple[dict, str]:
    resp = api.post(
        "/dossiers",
        json={
            "procedure_code": EXTEND,
            "channel": "in_person",
            "applicant": {"full_name": "Nguyễn Văn Đức"},
        },
    )
    assert resp.status_code == 201, resp.get_json()
    path = f"/dossiers/{resp.get_json()['id']}/actions"
    assert api.post(path, json={"action": "start"}).status_code == 200
    return resp.get_json(), path


def test_supplement_needs_a_list_of_missing_papers(api: Api, ward_app: Flask) -> None:
    dossier, path = _started(api)
    for note in (None, "", "   "):
        resp = api.post(path, json={"action": "request_supplement", "note": note})
        assert resp.status_code == 422 and resp.get_json()["error"]["field"] == "note"
    with _store(ward_app) as conn:
        row = conn.execute("SELECT status, clock_stopped_at FROM dossier").fetchone()
        assert tuple(row) == (4, None)


def test_supplement_is_requested_once_only(api: Api, ward_app: Flask) -> None:
    dossier, path = _started(api)
    first = api.post(path, json={"action": "request_supplement", "note": MISSING})
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    assert body["status"] == 5 and body["clock_stopped_at"] and body["overdue"] is False
    assert body["due_at"] == dossier["due_at"]
    back = api.post(path, json={"action": "supplement_received", "note": "Đã nộp đủ"})
    assert back.status_code == 200 and back.get_json()["status"] == 4
    assert back.get_json()["clock_stopped_at"] is None
    assert back.get_json()["steps"][-1]["note"].startswith("Đã nộp đủ. Hạn trả trước khi bổ sung")
    again = api.post(path, json={"action": "request_supplement", "note": "Thêm giấy tờ khác"})
    assert again.status_code == 409
    error = again.get_json()["error"]
    assert error["code"] == "supplement_already_requested" and "một lần" in error["message"]
    with _store(ward_app) as conn:
        assert conn.execute("SELECT status FROM dossier").fetchone()[0] == 4
        actions = [r[0] for r in conn.execute("SELECT action FROM dossier_step ORDER BY at, id")]
        assert actions.count("request_supplement") == 1


def test_direct_second_request_is_a_conflict(service: Dossiers) -> None:
    dossier = _processing(service, EXTEND, at(2026, 3, 2, 8))
    note = {"action": "request_supplement", "note": MISSING}
    service.act(dossier["id"], note, OFFICER, at=at(2026, 3, 2, 9))
    service.act(dossier["id"], {"action": "supplement_received"}, OFFICER, at=at(2026, 3, 3, 9))
    with pytest.raises(Conflict) as caught:
        service.act(dossier["id"], note, OFFICER, at=at(2026, 3, 3, 10))
    assert caught.value.code == "supplement_already_requested"


# -- step deadlines on hand-over ---------------------------------------------------------------

STEP_CASES = [
    # id, extra fields, step deadline (handed over Thu 12/02/2026 10:00)
    ("two_working_days_skip_tet", {"step_days": 2}, at(2026, 2, 23, 10)),
    ("half_a_day", {"step_days": 0.5}, at(2026, 2, 12, 16)),
    ("iso_time", {"step_deadline": "2026-02-24T16:00:00+07:00"}, at(2026, 2, 24, 16)),
    ("iso_time_without_offset_is_hue_time", {"step_deadline": "2026-02-24T16:00"},
     at(2026, 2, 24, 16)),
    ("none", {}, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("extra", "deadline"), [c[1:] for c in STEP_CASES], ids=[c[0] for c in STEP_CASES]
)
def test_hand_over_records_the_step_deadline(
    service: Dossiers, extra: dict, deadline: datetime | None
) -> None:
    dossier = _processing(service, EXTEND, at(2026, 2, 11, 8))
    moved = service.act(
        dossier["id"],
        {"action": "hand_over", "to_handler": "specialist", **extra},
        OFFICER,
        at=at(2026, 2, 12, 10),
    )
    step = moved["steps"][-1]
    assert step["action"] == "hand_over" and step["to_handler"] == "specialist"
    assert step["step_deadline"] == (utc(deadline) if deadline else None)
    assert moved["due_at"] == dossier["due_at"]


BAD_STEP_CASES = [
    ({"step_days": 0}, "step_days"),
    ({"step_days": -1}, "step_days"),
    ({"step_days": "hai"}, "step_days"),
    ({"step_days": True}, "step_days"),
    ({"step_deadline": "thứ hai"}, "step_deadline"),
    ({"step_deadline": "2026-02-12T09:00:00+07:00"}, "step_deadline"),  # before the hand-over
    ({"step_days": 1, "step_deadline": "2026-02-24T16:00:00+07:00"}, "step_deadline"),
]


@pytest.mark.parametrize(("extra", "field"), BAD_STEP_CASES)
def test_bad_step_deadline_is_refused_naming_the_field(
    service: Dossiers, extra: dict, field: str
) -> None:
    dossier = _processing(service, EXTEND, at(2026, 2, 11, 8))
    with pytest.raises(ValidationError) as caught:
        service.act(
            dossier["id"],
            {"action": "hand_over", "to_handler": "specialist", **extra},
            OFFICER,
            at=at(2026, 2, 12, 10),
        )
    assert caught.value.details["field"] == field
    assert service.get(dossier["id"])["handler"] == "officer"


def test_hand_over_step_days_through_the_api(api: Api) -> None:
    _dossier, path = _started(api)
    # Refused while the officer still holds the dossier (after the hand-over it is not theirs).
    bad = api.post(path, json={"action": "hand_over", "to_handler": "specialist", "step_days": 0})
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "step_days"
    before = datetime.now(UTC).replace(microsecond=0)
    resp = api.post(path, json={"action": "hand_over", "to_handler": "specialist", "step_days": 1})
    assert resp.status_code == 200, resp.get_json()
    step = resp.get_json()["steps"][-1]
    deadline = datetime.fromisoformat(step["step_deadline"])
    # One working day (8 working hours) ahead: at least 8 hours and at most a long holiday later.
    assert before + timedelta(hours=8) <= deadline <= before + timedelta(days=12)


def test_the_page_marks_a_note_required_exactly_when_the_rule_refuses_it_empty(
    ward_app: Flask,
) -> None:
    """Issue [11]: the supplement box said "(không bắt buộc)" and was then refused empty."""
    import re

    from tests.support import ward_login
    from ward_node.dossiers import ACTIONS

    api = Api(ward_app.test_client(), "leader")
    made = api.post(
        "/dossiers", json={"procedure_code": "1.001193", "applicant": {"full_name": "Lê Hoa"}}
    ).get_json()
    path = f"/dossiers/{made['id']}/actions"
    assert api.post(path, json={"action": "start"}).status_code == 200
    client = ward_app.test_client()
    ward_login(client, "leader")
    page = client.get(f"/dossiers/{made['id']}").get_data(as_text=True)
    forms = re.findall(r'<form method="post"[^>]*/actions".*?</form>', page, re.S)
    shown = {re.search(r'name="action" value="(\w+)"', f).group(1): f for f in forms}  # type: ignore[union-attr]
    assert {"request_supplement", "extend", "hand_over", "complete"} <= set(shown)
    for name, form in shown.items():
        required = ACTIONS[name].note_required
        box = re.search(r"<label for=\"note-\d+\">.*?</textarea>", form, re.S)
        assert box, name
        assert ("(không bắt buộc)" not in box.group(0)) == required, name
        assert (" required></textarea>" in box.group(0)) == required, name
        if required:  # the rule refuses it empty, with the field named
            body = {"action": name, "note": "  ", "new_due_at": "2099-01-05T10:00:00+07:00"}
            resp = api.post(path, json=body)
            assert resp.status_code == 422, name
            assert resp.get_json()["error"]["field"] == "note"
    assert [n for n, a in ACTIONS.items() if a.note_required] == ["request_supplement", "extend"]
