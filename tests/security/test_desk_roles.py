"""Roles at the desk (docs/security.md, "Roles at the desk"): one table of who may do what
(``ward_node/permissions.py``), the same verdict through the pages and through the API, the
store untouched when refused; a dossier is acted on by its holder only, and after a hand-over
the previous holder may no longer act on it."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from tests.support import PASSWORD, Api
from ward_node.directives import Directives
from ward_node.documents import Documents
from ward_node.dossiers import Dossiers
from ward_node.errors import Forbidden
from ward_node.meetings import Meetings
from ward_node.store import ROLES, load_clock, open_store
from webapp import User, add_user, get_user

BIRTH = {"procedure_code": "1.001193", "channel": "in_person"}
EXTRA = {"officer2": "officer", "specialist2": "specialist"}


@pytest.fixture
def app(ward_app: Flask) -> Flask:
    conn = open_store(Path(ward_app.config["DATA"]))
    try:
        for name, role in EXTRA.items():
            add_user(conn, name, PASSWORD, role, ROLES, f"Cán bộ {name}")
    finally:
        conn.close()
    return ward_app


def _conn(app: Flask) -> sqlite3.Connection:
    return open_store(Path(app.config["DATA"]))


def _user(conn: sqlite3.Connection, name: str) -> User:
    found = get_user(conn, name)
    assert found is not None
    return found


def _page(app: Flask, username: str) -> tuple[FlaskClient, str]:
    """A browser session of ``username`` and its CSRF token."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    resp = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert resp.status_code == 302
    page = client.get("/").get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return client, found.group(1)


# -- dossiers: a table of role × action × assignment --------------------------------------


def _dossier(app: Flask, setup: str) -> str:
    """A dossier in the state ``setup`` names (who holds it is in the name):

    - ``received_by_officer``: status 2, received (so held) by ``officer``;
    - ``processing_by_officer2``: status 4, received by ``officer``, started by ``officer2``;
    - ``processing_by_specialist``: status 4, started by ``specialist``;
    - ``supplement_by_officer2``: status 5, ``officer2`` asked for a supplement;
    - ``ready_for_officer2``: status 9, received by ``officer2``, completed by ``specialist``
      (the result is back with the receiving officer).
    """
    conn = _conn(app)
    try:
        service = Dossiers(conn, load_clock(conn))
        receiver = "officer2" if setup == "ready_for_officer2" else "officer"
        d = service.receive(
            {**BIRTH, "applicant": {"full_name": "Lê Thị Hoa"}}, _user(conn, receiver)
        )
        steps = {
            "received_by_officer": [],
            "processing_by_officer2": [("officer2", "start")],
            "processing_by_specialist": [("specialist", "start")],
            "supplement_by_officer2": [
                ("officer2", "start"),
                ("officer2", "request_supplement"),
            ],
            "ready_for_officer2": [("specialist", "start"), ("specialist", "complete")],
        }[setup]
        for who, action in steps:
            service.act(
                d["id"], {"action": action, "note": "Thiếu giấy khai sinh"}, _user(conn, who)
            )
        return str(d["id"])
    finally:
        conn.close()


def _state(app: Flask, dossier_id: str) -> tuple[Any, ...]:
    conn = _conn(app)
    try:
        row = conn.execute(
            "SELECT status, handler, due_at, (SELECT count(*) FROM dossier_step "
            "WHERE dossier_id = dossier.id) FROM dossier WHERE id = ?",
            (dossier_id,),
        ).fetchone()
        return tuple(row)
    finally:
        conn.close()


def _body(action: str) -> dict[str, str]:
    return {
        "action": action,
        "note": "Ghi chú thử: thiếu bản sao giấy tờ",
        "to_handler": "specialist2",
        "new_due_at": "2099-01-05T10:00:00+07:00",
        "return_method": "in_person",
    }


OK = 200
# (user, action, dossier state, verdict): 200 done, 403 refused for the role or the holder,
# 409 refused for the status.
CASES = [
    # Who receives: the desk, never the văn thư.
    ("clerk", "start", "received_by_officer", 403),
    ("specialist", "start", "received_by_officer", OK),  # who starts it holds it
    ("officer2", "start", "received_by_officer", OK),
    # In processing: only the holder of the current step, or a leader, deliberately.
    ("officer", "hand_over", "processing_by_officer2", 403),
    ("officer", "request_supplement", "processing_by_officer2", 403),
    ("officer", "request_payment", "processing_by_officer2", 403),
    ("officer", "complete", "processing_by_officer2", 403),
    ("specialist", "complete", "processing_by_officer2", 403),
    ("clerk", "complete", "processing_by_officer2", 403),
    ("officer2", "complete", "processing_by_officer2", OK),
    ("officer2", "hand_over", "processing_by_officer2", OK),
    ("officer2", "request_supplement", "processing_by_officer2", OK),
    ("leader", "complete", "processing_by_officer2", OK),
    ("admin", "request_supplement", "processing_by_officer2", OK),
    ("specialist2", "request_supplement", "processing_by_specialist", 403),
    ("specialist", "request_payment", "processing_by_specialist", OK),
    # Only leaders stop or extend, whoever holds the dossier.
    ("officer2", "stop", "processing_by_officer2", 403),
    ("officer2", "extend", "processing_by_officer2", 403),
    ("leader", "stop", "processing_by_officer2", OK),
    ("leader", "extend", "processing_by_officer2", OK),
    # What the citizen brings to the counter: any officer of the desk, no specialist.
    ("officer", "supplement_received", "supplement_by_officer2", OK),
    ("specialist", "supplement_received", "supplement_by_officer2", 403),
    ("officer", "withdraw", "supplement_by_officer2", OK),
    ("clerk", "withdraw", "supplement_by_officer2", 403),
    # The return: the desk officer the result came back to, or a leader.
    ("officer", "return", "ready_for_officer2", 403),
    ("specialist", "return", "ready_for_officer2", 403),
    ("officer2", "return", "ready_for_officer2", OK),
    ("leader", "return", "ready_for_officer2", OK),
    # A refusal for the status stays a 409.
    ("officer2", "return", "processing_by_officer2", 409),
]


def test_pages_and_api_give_the_same_verdict_and_a_refusal_changes_nothing(app: Flask) -> None:
    wrong = []
    for case in CASES:
        try:
            _check_case(app, *case)
        except AssertionError as exc:
            wrong.append(f"{case}: {exc}".splitlines()[0])
    assert not wrong, "\n".join(wrong)


def _check_case(app: Flask, who: str, action: str, setup: str, verdict: int) -> None:
    # Through the API.
    by_api = _dossier(app, setup)
    before = _state(app, by_api)
    resp = Api(app.test_client(), who).post(f"/dossiers/{by_api}/actions", json=_body(action))
    assert resp.status_code == verdict, resp.get_json()
    if verdict != OK:
        assert _state(app, by_api) == before
        message = resp.get_json()["error"]["message"]
        if verdict == 403:
            assert resp.get_json()["error"]["code"] == "forbidden_action"
    # Through the page's form, on a dossier in the same state.
    by_page = _dossier(app, setup)
    before_page = _state(app, by_page)
    client, csrf = _page(app, who)
    shown = client.get(f"/dossiers/{by_page}").get_data(as_text=True)
    button = f'name="action" value="{action}"' in shown
    # The page's date entry takes dd/mm/yyyy hh:mm (webapp/templates/webapp/inputs.html).
    form = {**_body(action), "new_due_at": "05/01/2099 10:00", "csrf_token": csrf}
    resp = client.post(f"/dossiers/{by_page}/actions", data=form)
    assert resp.status_code == 302
    after = _state(app, by_page)
    if verdict == OK:
        assert button, "the page offers what the user may do"
        assert after != before_page and after[:2] == _state(app, by_api)[:2]
    else:
        assert not button, "the page offers no button the rules refuse"
        assert after == before_page
        flashed = client.get(f"/dossiers/{by_page}").get_data(as_text=True)
        assert str(escape(message)) in flashed  # the same sentence as the API's


def test_after_a_hand_over_the_previous_officer_can_no_longer_act(app: Flask) -> None:
    dossier_id = _dossier(app, "received_by_officer")
    officer = Api(app.test_client(), "officer")
    path = f"/dossiers/{dossier_id}/actions"
    assert officer.post(path, json={"action": "start"}).status_code == OK
    moved = officer.post(path, json={"action": "hand_over", "to_handler": "officer2"})
    assert moved.status_code == OK and moved.get_json()["handler"] == "officer2"
    before = _state(app, dossier_id)
    verdicts = {}
    for action in ("hand_over", "request_supplement", "request_payment", "complete", "stop"):
        resp = officer.post(path, json=_body(action))
        verdicts[action] = resp.status_code
    assert verdicts == dict.fromkeys(verdicts, 403)
    assert officer.post(path, json=_body("return")).status_code == 409  # not ready anyway
    assert _state(app, dossier_id) == before
    # The API tells each user what they may do, as the page's buttons do.
    shown = officer.get(f"/dossiers/{dossier_id}").get_json()["actions"]
    assert "complete" not in shown and "withdraw" in shown
    holder = Api(app.test_client(), "officer2").get(f"/dossiers/{dossier_id}").get_json()
    assert {"complete", "hand_over", "request_supplement"} <= set(holder["actions"])
    # The page refuses the same, and offers none of them.
    client, csrf = _page(app, "officer")
    shown = client.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert 'value="complete"' not in shown and 'value="request_supplement"' not in shown
    for action in ("request_supplement", "complete"):
        client.post(f"/dossiers/{dossier_id}/actions", data={**_body(action), "csrf_token": csrf})
    assert _state(app, dossier_id) == before
    # The new holder completes it; the result goes back to the receiving officer to return.
    done = Api(app.test_client(), "officer2").post(path, json={"action": "complete"})
    assert done.status_code == OK and done.get_json()["handler"] == "officer"
    assert officer.post(path, json=_body("return")).status_code == OK


def test_a_clerk_neither_receives_nor_edits_a_dossier_by_api_or_page(app: Flask) -> None:
    clerk = Api(app.test_client(), "clerk")
    resp = clerk.post("/dossiers", json={**BIRTH, "applicant": {"full_name": "Lê Văn Tám"}})
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden_action"
    dossier_id = _dossier(app, "received_by_officer")
    edit = clerk.patch(f"/dossiers/{dossier_id}", json={"notes": "sửa trái phép"})
    assert edit.status_code == 403
    unholding = Api(app.test_client(), "specialist").patch(
        f"/dossiers/{dossier_id}", json={"notes": "không phải hồ sơ của tôi"}
    )
    assert unholding.status_code == 403
    conn = _conn(app)
    try:
        assert conn.execute("SELECT count(*) FROM dossier").fetchone()[0] == 1
        assert conn.execute("SELECT notes FROM dossier").fetchone()[0] is None
    finally:
        conn.close()
    client, csrf = _page(app, "clerk")
    assert client.get("/dossiers/new").status_code == 403
    form = {"procedure_code": "1.001193", "applicant_full_name": "Lê Văn Tám", "csrf_token": csrf}
    assert client.post("/dossiers/new", data=form).status_code == 403
    assert "Tiếp nhận hồ sơ" not in client.get("/").get_data(as_text=True)
    # The desk and the holder may.
    assert (
        Api(app.test_client(), "officer2")
        .patch(f"/dossiers/{dossier_id}", json={"notes": "Gọi lại chiều nay"})
        .status_code
        == OK
    )


# -- documents, directives, meetings ---------------------------------------------------------


def _assigned_document(app: Flask, lead: str) -> str:
    conn = _conn(app)
    try:
        docs = Documents(conn, load_clock(conn))
        doc = docs.create(
            {
                "direction": "incoming",
                "symbol": "245/STNMT-QLĐĐ",
                "issuing_agency": "Sở Tài nguyên và Môi trường",
                "summary": "Về việc rà soát đất công",
            },
            _user(conn, "clerk"),
        )
        docs.act(doc["id"], {"action": "assign", "lead_handler": lead}, _user(conn, "leader"))
        return str(doc["id"])
    finally:
        conn.close()


def _receipt(app: Flask, doc_id: str) -> tuple[Any, ...]:
    conn = _conn(app)
    try:
        return tuple(
            conn.execute(
                "SELECT status_code, handled_at, result FROM document_receipt WHERE document_id = ?",
                (doc_id,),
            ).fetchone()
        )
    finally:
        conn.close()


def test_only_the_assigned_lead_handler_or_a_leader_handles_a_document(app: Flask) -> None:
    for who, verdict in (("specialist2", 403), ("officer2", 403), ("specialist", OK)):
        _check_handle(app, who, verdict)
    _check_handle(app, "leader", OK)


def _check_handle(app: Flask, who: str, verdict: int) -> None:
    doc_id = _assigned_document(app, "specialist")
    before = _receipt(app, doc_id)
    resp = Api(app.test_client(), who).post(
        f"/documents/{doc_id}/actions", json={"action": "handle", "result": "Đã rà soát"}
    )
    assert resp.status_code == verdict, (who, resp.get_json())
    assert (_receipt(app, doc_id) == before) is (verdict != OK)
    other = _assigned_document(app, "specialist")
    client, csrf = _page(app, who)
    shown = client.get(f"/van-ban/{other}").get_data(as_text=True)
    assert ('value="handle"' in shown) is (verdict == OK)
    client.post(f"/van-ban/{other}/thao-tac", data={"action": "handle", "csrf_token": csrf})
    assert (_receipt(app, other)[1] is None) is (verdict != OK)


def test_an_officer_the_leader_assigned_handles_the_document(app: Flask) -> None:
    doc_id = _assigned_document(app, "officer2")  # the role does not matter: the assignment
    resp = Api(app.test_client(), "officer2").post(
        f"/documents/{doc_id}/actions", json={"action": "done"}
    )
    assert resp.status_code == OK and resp.get_json()["state"] == "06"
    bad = Api(app.test_client(), "leader").post(
        f"/documents/{_assigned_document(app, 'specialist')}/actions",
        json={"action": "assign", "lead_handler": "khong-co-ai"},
    )
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "lead_handler"


def test_a_draft_is_edited_by_its_drafter_the_clerk_or_a_leader_only(app: Flask) -> None:
    drafter = Api(app.test_client(), "specialist")
    doc = drafter.post("/documents", json={"doc_type": "Công văn", "summary": "Về việc trực Tết"})
    path = f"/documents/{doc.get_json()['id']}"
    assert Api(app.test_client(), "specialist2").patch(path, json={"copies": 9}).status_code == 403
    assert Api(app.test_client(), "officer").patch(path, json={"copies": 9}).status_code == 403
    assert drafter.get(path).get_json()["copies"] is None
    assert drafter.patch(path, json={"copies": 3}).status_code == OK
    assert Api(app.test_client(), "clerk").patch(path, json={"copies": 4}).status_code == OK


def test_directive_reports_come_from_task_handlers_through_api_and_page(app: Flask) -> None:
    leader = Api(app.test_client(), "leader")
    directive = leader.post(
        "/directives", json={"title": "Ra quân vệ sinh", "content": "Tổ chức ra quân"}
    ).get_json()
    path = f"/directives/{directive['id']}/reports"
    clerk = Api(app.test_client(), "clerk")
    assert clerk.post(path, json={"percent": 10, "content": "x"}).status_code == 403
    assert "report" not in clerk.get(f"/directives/{directive['id']}").get_json()["actions"]
    client, csrf = _page(app, "clerk")
    client.post(
        f"/directives/{directive['id']}",
        data={"action": "report", "content": "Báo cáo", "csrf_token": csrf},
    )
    report = Api(app.test_client(), "officer").post(path, json={"percent": 40, "content": "Đã họp"})
    assert report.status_code == 201
    attach = Api(app.test_client(), "specialist").post(
        f"{path}/{report.get_json()['id']}/attachments",
        data={"file": (__import__("io").BytesIO(b"%PDF-1.4 x"), "anh.pdf")},
        content_type="multipart/form-data",
    )
    assert attach.status_code == 403  # not the report's author
    conn = _conn(app)
    try:
        assert conn.execute("SELECT count(*) FROM directive_report").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM attachment").fetchone()[0] == 0
    finally:
        conn.close()


@pytest.mark.parametrize(
    "call",
    [
        lambda ops, who: Meetings(*ops).register(
            {"subject": "Họp giao ban", "starts_at": "2099-12-02T08:00"}, who
        ),
        lambda ops, who: Meetings(*ops).send(
            {"subject": "Họp", "starts_at": "2099-12-02T08:00", "units": ["19744"]}, who
        ),
        lambda ops, who: Directives(*ops, "19786").issue({"title": "x", "content": "y"}, who),
    ],
    ids=["meeting.register", "invitation.send", "directive.issue"],
)
def test_the_domain_itself_refuses_whatever_the_caller(
    app: Flask, call: Callable[[tuple[Any, ...], User], Any]
) -> None:
    conn = _conn(app)
    try:
        before = conn.execute("SELECT count(*) FROM changes").fetchone()[0]
        with pytest.raises(Forbidden):
            call((conn, load_clock(conn)), _user(conn, "officer"))
        assert conn.execute("SELECT count(*) FROM changes").fetchone()[0] == before
    finally:
        conn.close()
