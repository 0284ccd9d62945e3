"""After a hand-over, the previous holder of a dossier can no longer act on it (issue [11];
docs/security.md, "Roles at the desk"): every action of the status machine, the edit and the
attaching of a file, each tried through the API and through the page's own route (not only
with its button hidden), refused on the server with the store unchanged. A desk officer keeps
only what any officer at the counter may record for the citizen (a withdrawal, a scan, the
contact details); a specialist keeps nothing."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.support import PASSWORD, Api, scan_pdf, ward_login
from ward_node.dossiers import ACTIONS, Dossiers
from ward_node.store import ROLES, load_clock, open_store
from webapp import User, add_user, get_user

EXTRA = {"officer2": "officer", "specialist2": "specialist"}
# What the previous holder may still do after handing the dossier over, by role: nothing but
# the counter's work, and only for a desk officer. Everything else: 403 for who, or 409 when
# the status (4, in processing) does not allow the action anyway.
STILL_ALLOWED = {"officer": {"withdraw", "edit", "attach"}, "specialist": set()}
COUNTER_ONLY = {"supplement_received", "payment_received"}  # statuses 5, 6: 409 here
STATUS_REFUSED = {"receive", "refuse", "start", "return"} | COUNTER_ONLY


@pytest.fixture
def app(ward_app: Flask) -> Flask:
    conn = open_store(Path(ward_app.config["DATA"]))
    try:
        for name, role in EXTRA.items():
            add_user(conn, name, PASSWORD, role, ROLES, f"Cán bộ {name}")
    finally:
        conn.close()
    return ward_app


def _user(conn: sqlite3.Connection, name: str) -> User:
    found = get_user(conn, name)
    assert found is not None
    return found


def _handed_over(app: Flask, previous: str) -> str:
    """A dossier in processing that ``previous`` started, then handed over to specialist2."""
    conn = open_store(Path(app.config["DATA"]))
    try:
        service = Dossiers(conn, load_clock(conn))
        d = service.receive(
            {"procedure_code": "1.001193", "applicant": {"full_name": "Lê Thị Hoa"}},
            _user(conn, "officer"),
        )
        service.act(d["id"], {"action": "start"}, _user(conn, previous))
        service.act(
            d["id"], {"action": "hand_over", "to_handler": "specialist2"}, _user(conn, previous)
        )
        return str(d["id"])
    finally:
        conn.close()


def _state(app: Flask, dossier_id: str) -> tuple[Any, ...]:
    """Everything an action could change: the dossier, its steps, its files."""
    conn = open_store(Path(app.config["DATA"]))
    try:
        row = conn.execute(
            "SELECT status, handler, due_at, notes, applicant, "
            "(SELECT count(*) FROM dossier_step WHERE dossier_id = dossier.id), "
            "(SELECT count(*) FROM attachment WHERE parent_id = dossier.id) "
            "FROM dossier WHERE id = ?",
            (dossier_id,),
        ).fetchone()
        return tuple(row)
    finally:
        conn.close()


def _body(action: str) -> dict[str, str]:
    return {
        "action": action,
        "note": "Bản sao giấy khai sinh",
        "to_handler": "officer2",
        "new_due_at": "2099-01-05T10:00:00+07:00",
        "return_method": "in_person",
    }


def _by_api(app: Flask, who: str, action: str, dossier_id: str) -> int:
    api = Api(app.test_client(), who)
    if action == "edit":
        resp = api.patch(f"/dossiers/{dossier_id}", json={"notes": "sửa sau khi đã chuyển"})
    elif action == "attach":
        data = {"file": (io.BytesIO(scan_pdf(2000)), "ban-quet.pdf")}
        resp = api.post(f"/dossiers/{dossier_id}/attachments", data=data)
    else:
        resp = api.post(f"/dossiers/{dossier_id}/actions", json=_body(action))
    return int(resp.status_code)


def _by_page(app: Flask, who: str, action: str, dossier_id: str) -> tuple[bool, str]:
    """Try ``action`` through the page's route; whether the page offered it, and the page
    shown after (with its flashed message)."""
    client = app.test_client()
    csrf = ward_login(client, who)
    page = client.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    if action == "attach":
        offered = 'action="/dossiers/' + dossier_id + '/tep"' in page
        data = {"csrf_token": csrf, "file": (io.BytesIO(scan_pdf(2000)), "ban-quet.pdf")}
        resp = client.post(f"/dossiers/{dossier_id}/tep", data=data)
    else:
        offered = f'name="action" value="{action}"' in page
        resp = client.post(
            f"/dossiers/{dossier_id}/actions",
            data={**_body(action), "new_due_at": "05/01/2099 10:00", "csrf_token": csrf},
        )
    assert resp.status_code == 302
    return offered, client.get(f"/dossiers/{dossier_id}").get_data(as_text=True)


@pytest.mark.parametrize("previous", ["officer", "specialist"])
def test_the_previous_holder_is_refused_every_action_on_the_server(
    app: Flask, previous: str
) -> None:
    wrong = []
    for action in [*ACTIONS, "edit", "attach"]:
        allowed = action in STILL_ALLOWED[previous]
        if allowed:
            expected = 201 if action == "attach" else 200
        elif action in STATUS_REFUSED and (previous == "officer" or action == "start"):
            expected = 409  # the role may, the status does not: the 409 comes first
        else:
            expected = 403
        dossier_id = _handed_over(app, previous)
        before = _state(app, dossier_id)
        got = _by_api(app, previous, action, dossier_id)
        changed = _state(app, dossier_id) != before
        if got != expected or changed != allowed:
            wrong.append(f"API {previous} {action}: {got}, changed={changed}")
        if action == "edit":
            continue  # the page has no edit form; the API above is its only route
        dossier_id = _handed_over(app, previous)
        before = _state(app, dossier_id)
        offered, shown = _by_page(app, previous, action, dossier_id)
        changed = _state(app, dossier_id) != before
        if offered != allowed or changed != allowed:
            wrong.append(f"page {previous} {action}: offered={offered}, changed={changed}")
        if expected == 403 and "Bạn không được" not in shown and "không được" not in shown:
            wrong.append(f"page {previous} {action}: no reason given")
    assert not wrong, "\n".join(wrong)


def test_the_new_holder_and_a_leader_may_act_on_it(app: Flask) -> None:
    for who in ("specialist2", "leader"):
        dossier_id = _handed_over(app, "officer")
        assert _by_api(app, who, "attach", dossier_id) == 201
        assert _by_api(app, who, "request_supplement", dossier_id) == 200
        assert _state(app, dossier_id)[0] == 5
