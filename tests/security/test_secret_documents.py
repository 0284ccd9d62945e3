"""Secret documents (docs/security.md, "Secret documents"): wardsync holds only their register
entry, never their content. A summary, a handling result or a file of a secret document is
refused wherever it enters (ward pages and API, hub API and console, a changeset), and the
register entry is shown only to the văn thư, the leaders, the administrators and the people
assigned to it, at the ward and at the hub."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from office import (
    SECRET_RESULT,
    SECRET_SUMMARY,
    SecretContent,
    check_secret_changes,
    strip_secret_content,
)
from sync import Change, Replica, Write, new_id
from tests.support import PASSWORD, Api, console_login, csrf_of, hub_token
from tests.support.hubstore import hub_db
from ward_node.documents import Documents
from ward_node.store import ROLES, load_clock, open_store
from webapp import add_user

PAPER = {
    "direction": "incoming",
    "doc_type": "Công văn",
    "symbol": "12/CAT-PV01",
    "issuing_agency": "Công an thành phố Huế",
    "secrecy": "mat",
}
CONTENT = "Kế hoạch bảo vệ mục tiêu trọng điểm dịp Tết"  # what must never be stored


@pytest.fixture
def app(ward_app: Flask) -> Flask:
    conn = open_store(Path(ward_app.config["DATA"]))
    try:
        add_user(conn, "specialist2", PASSWORD, "specialist", ROLES, "Chuyên viên hai")
    finally:
        conn.close()
    return ward_app


def _conn(app: Flask) -> sqlite3.Connection:
    return open_store(Path(app.config["DATA"]))


def _count(app: Flask, sql: str) -> int:
    conn = _conn(app)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def _stored_text(app: Flask) -> str:
    """Everything the ward's store holds, records and change log, as one text."""
    conn = _conn(app)
    try:
        parts = [str(r) for r in conn.execute("SELECT * FROM document")]
        parts += [str(r) for r in conn.execute("SELECT * FROM document_receipt")]
        parts += [str(r) for r in conn.execute("SELECT fields FROM changes")]
        return "\n".join(parts)
    finally:
        conn.close()


def _page(app: Flask, username: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    token = csrf_of(client.get("/login").get_data(as_text=True))
    data = {"username": username, "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=data).status_code == 302
    return client, csrf_of(client.get("/van-ban/den").get_data(as_text=True))


def _register_secret(app: Flask) -> dict[str, Any]:
    resp = Api(app.test_client(), "clerk").post("/documents", json=PAPER)
    assert resp.status_code == 201, resp.get_json()
    return dict(resp.get_json())


# -- the ward: content refused where it enters -------------------------------------------


def test_a_secret_document_takes_no_summary_by_api_or_page(app: Flask) -> None:
    clerk = Api(app.test_client(), "clerk")
    before = _count(app, "SELECT count(*) FROM changes")
    resp = clerk.post("/documents", json={**PAPER, "summary": CONTENT})
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "secret_content"
    assert resp.get_json()["error"]["field"] == "summary"
    client, csrf = _page(app, "clerk")
    page = client.post("/van-ban/moi", data={**PAPER, "summary": CONTENT, "csrf_token": csrf})
    assert page.status_code == 422 and "sổ đăng ký văn bản mật" in page.get_data(as_text=True)
    assert _count(app, "SELECT count(*) FROM changes") == before
    assert _count(app, "SELECT count(*) FROM counters WHERE key LIKE 'doc_in%'") == 0
    doc = _register_secret(app)  # the register entry alone is welcome, in the secret series
    assert doc["summary"] == SECRET_SUMMARY and doc["receipt"]["secret"] is True
    draft = Api(app.test_client(), "specialist").post(
        "/documents", json={"doc_type": "Báo cáo", "summary": CONTENT}
    )
    made_secret = Api(app.test_client(), "specialist").patch(
        f"/documents/{draft.get_json()['id']}", json={"secrecy": "toi_mat"}
    )
    assert made_secret.status_code == 200 and made_secret.get_json()["summary"] == SECRET_SUMMARY
    again = Api(app.test_client(), "specialist").patch(
        f"/documents/{draft.get_json()['id']}", json={"summary": CONTENT}
    )
    assert again.status_code == 422 and again.get_json()["error"]["code"] == "secret_content"
    conn = _conn(app)
    try:
        summaries = [r[0] for r in conn.execute("SELECT summary FROM document")]
    finally:
        conn.close()
    assert summaries == [SECRET_SUMMARY, SECRET_SUMMARY]  # the draft's text is gone too


def test_no_file_is_attached_to_a_secret_document(app: Flask) -> None:
    doc = _register_secret(app)
    resp = Api(app.test_client(), "clerk").post(
        f"/documents/{doc['id']}/attachments",
        data={"file": (io.BytesIO(b"%PDF-1.4 ban quet van ban mat"), "mat.pdf")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "secret_content"
    assert _count(app, "SELECT count(*) FROM attachment") == 0
    blobs = Path(app.config["DATA"]) / "blobs"
    assert not blobs.exists() or not [p for p in blobs.rglob("*") if p.is_file()]


def test_the_handling_result_of_a_secret_document_is_not_written(app: Flask) -> None:
    doc = _register_secret(app)
    leader = Api(app.test_client(), "leader")
    assign = {"action": "assign", "lead_handler": "specialist"}
    assert leader.post(f"/documents/{doc['id']}/actions", json=assign).status_code == 200
    specialist = Api(app.test_client(), "specialist")
    path = f"/documents/{doc['id']}/actions"
    refused = specialist.post(path, json={"action": "handle", "result": CONTENT})
    assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "result"
    handled = specialist.post(path, json={"action": "handle"})
    assert handled.status_code == 200
    assert handled.get_json()["receipt"]["result"] == SECRET_RESULT
    assert CONTENT not in _stored_text(app)


# -- the ward: who sees the register entry ------------------------------------------------


def test_only_the_registry_the_leaders_and_the_assigned_see_a_secret_document(
    app: Flask,
) -> None:
    doc = _register_secret(app)
    path = f"/documents/{doc['id']}"
    symbol = PAPER["symbol"]

    def sees(username: str) -> bool:
        api = Api(app.test_client(), username)
        got = api.get(path).status_code
        listed = [d["id"] for d in api.get("/documents?direction=incoming").get_json()["items"]]
        found = [
            d["id"]
            for d in api.get(f"/documents?direction=incoming&q={symbol}").get_json()["items"]
        ]
        client, _csrf_token = _page(app, username)
        page_list = client.get("/van-ban/den").get_data(as_text=True)
        register = client.get("/van-ban/so-den?from=01/01/2000&to=31/12/2099").get_data(
            as_text=True
        )
        detail = client.get(f"/van-ban/{doc['id']}").status_code
        seen = {
            got == 200,
            doc["id"] in listed,
            doc["id"] in found,
            symbol in page_list,
            symbol in register,
            detail == 200,
        }
        assert len(seen) == 1, (username, got, listed, found, detail)  # every surface agrees
        assert got in (200, 404) and detail in (200, 404)
        return seen.pop()

    assert {u: sees(u) for u in ("clerk", "leader", "admin", "officer", "specialist")} == {
        "clerk": True,
        "leader": True,
        "admin": True,
        "officer": False,
        "specialist": False,
    }
    assign = {"action": "assign", "lead_handler": "specialist", "coordinators": ["officer"]}
    resp = Api(app.test_client(), "leader").post(f"{path}/actions", json=assign)
    assert resp.status_code == 200
    assert sees("specialist") and sees("officer")  # the lead and the coordinating handler
    assert not sees("specialist2")


def test_a_secret_document_stored_by_an_older_release_never_shows_its_content(
    app: Flask,
) -> None:
    """What an old hub sent before the rule: a summary and a scan. Neither is shown, served,
    or found by a search."""
    doc_id, sha = new_id(), "ab" * 32
    doc = {
        "id": doc_id,
        "unit": "H57",
        "symbol": "5/UBND-VP",
        "doc_type": "Công văn",
        "summary": CONTENT,
        "issued_on": "2026-11-27",
        "units": ["19786"],
        "secrecy": "tuyet_mat",
        "direction": "outgoing",
    }
    attachment = {
        "id": new_id(),
        "unit": "H57",
        "parent_type": "document",
        "parent_id": doc_id,
        "sha256": sha,
        "name": "mat.pdf",
        "mime": "application/pdf",
        "size": 10,
        "uploaded_by": "admin",
        "uploaded_at": "2026-11-27T08:00:00+07:00",
    }
    conn = _conn(app)
    try:
        Replica(conn).merge(
            [
                Change("hub", 1, 1, "document", doc_id, "H57", doc, {}, "admin"),
                Change("hub", 2, 2, "attachment", attachment["id"], "H57", attachment, {}, "x"),
            ]
        )
        conn.commit()
    finally:
        conn.close()
    clerk = Api(app.test_client(), "clerk")
    got = clerk.get(f"/documents/{doc_id}").get_json()
    assert got["summary"] == SECRET_SUMMARY and got["attachments"] == []
    assert (
        clerk.get("/documents?direction=incoming&q=muc tieu trong diem").get_json()["items"] == []
    )
    assert clerk.get(f"/attachments/{sha}").status_code == 404
    client, _ = _page(app, "clerk")
    assert CONTENT not in client.get(f"/van-ban/{doc_id}").get_data(as_text=True)
    assert CONTENT not in client.get("/van-ban/den").get_data(as_text=True)


# -- the hub: API and console ---------------------------------------------------------------


def _hub_count(tmp_path: Path, table: str) -> int:
    conn = hub_db(tmp_path / "hub")
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


SECRET_SEND = {"doc_type": "Công văn", "units": ["19786"], "secrecy": "toi_mat"}


def test_the_hub_sends_a_secret_document_without_summary_or_scans(
    tmp_path: Path, hub: FlaskClient
) -> None:
    admin = hub_token(hub, tmp_path / "hub")
    journal = _hub_count(tmp_path, "journal")
    refused = hub.post("/api/v1/documents", headers=admin, json={**SECRET_SEND, "summary": CONTENT})
    assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "summary"
    with_scan = hub.post(
        "/api/v1/documents",
        headers=admin,
        data={
            "document": __import__("json").dumps(SECRET_SEND),
            "attachments": (io.BytesIO(b"%PDF-1.4 mat"), "mat.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert with_scan.status_code == 422
    assert with_scan.get_json()["error"]["field"] == "attachments"
    assert _hub_count(tmp_path, "journal") == journal
    assert not [p for p in (tmp_path / "hub").rglob("blobs/**/*") if p.is_file()]
    sent = hub.post("/api/v1/documents", headers=admin, json=SECRET_SEND)
    assert sent.status_code == 201 and sent.get_json()["summary"] == SECRET_SUMMARY
    # The console's form says the same.
    console = hub.application.test_client()
    console_login(console, tmp_path / "hub", "admin")
    form_page = console.get("/console/dieu-hanh/van-ban/moi").text
    resp = console.post(
        "/console/dieu-hanh/van-ban/moi",
        data={
            "csrf_token": csrf_of(form_page),
            "doc_type": "Công văn",
            "secrecy": "mat",
            "summary": CONTENT,
            "units": "19786",
        },
    )
    assert resp.status_code == 400 and "sổ đăng ký văn bản mật" in resp.text
    assert _hub_count(tmp_path, "document") == 1


def test_only_a_hub_administrator_sees_a_secret_document(tmp_path: Path, hub: FlaskClient) -> None:
    admin = hub_token(hub, tmp_path / "hub")
    secret = hub.post("/api/v1/documents", headers=admin, json=SECRET_SEND).get_json()
    plain = hub.post(
        "/api/v1/documents",
        headers=admin,
        json={**SECRET_SEND, "secrecy": "none", "summary": "Lịch trực"},
    ).get_json()
    for role in ("operator", "viewer"):
        headers = hub_token(hub, tmp_path / "hub", role)
        listed = [d["id"] for d in hub.get("/api/v1/documents", headers=headers).json["items"]]
        assert listed == [plain["id"]], role
        assert hub.get(f"/api/v1/documents/{secret['id']}", headers=headers).status_code == 404
    listed = [d["id"] for d in hub.get("/api/v1/documents", headers=admin).json["items"]]
    assert set(listed) == {secret["id"], plain["id"]}
    operator = hub.application.test_client()
    console_login(operator, tmp_path / "hub", "operator")
    page = operator.get("/console/dieu-hanh/van-ban").text
    assert f"/van-ban/{secret['id']}" not in page and f"/van-ban/{plain['id']}" in page
    assert operator.get(f"/console/dieu-hanh/van-ban/{secret['id']}").status_code == 404
    assert operator.get(f"/console/ban-ghi/document/{secret['id']}").status_code == 404
    boss = hub.application.test_client()
    console_login(boss, tmp_path / "hub", "admin")
    shown = boss.get(f"/console/dieu-hanh/van-ban/{secret['id']}")
    assert shown.status_code == 200 and SECRET_SUMMARY in shown.text
    assert boss.get(f"/console/ban-ghi/document/{secret['id']}").status_code == 200


# -- sync: what a changeset may carry ----------------------------------------------------------


def _secret_store(tmp_path: Path) -> sqlite3.Connection:
    """A store (the ward's schema, as the hub's) holding one secret document."""
    from tests.support import make_ward_data

    conn = open_store(make_ward_data(tmp_path / "store"))
    doc = {**PAPER, "id": DOC, "unit": "19744", "summary": SECRET_SUMMARY, "units": ["19786"]}
    doc["issued_on"] = "2026-11-27"
    doc.pop("issuing_agency")
    Replica(conn).merge([Change("n1", 1, 1, "document", DOC, "19744", doc, {}, "vanthu")])
    conn.commit()
    return conn


DOC = "0190a0a0-0000-7000-8000-00000000d0c0"


def _change(
    seq: int, type_name: str, fields: dict[str, Any], record_id: str | None = None
) -> Change:
    rid = record_id or fields.get("id") or new_id()
    return Change("n1", seq, 100 + seq, type_name, str(rid), "19744", fields, {}, "vanthu")


def test_a_changeset_carrying_a_secret_document_s_content_is_refused(tmp_path: Path) -> None:
    conn = _secret_store(tmp_path)
    scan = {
        "id": new_id(),
        "unit": "19744",
        "parent_type": "document",
        "parent_id": DOC,
        "sha256": "cd" * 32,
        "name": "mat.pdf",
        "mime": "application/pdf",
        "size": 10,
    }
    receipt = {"id": new_id(), "unit": "19744", "document_id": DOC, "status_code": "05"}
    for bad in (
        [_change(2, "attachment", scan)],
        [_change(2, "document", {"summary": CONTENT}, DOC)],
        [_change(2, "document_receipt", {**receipt, "result": CONTENT})],
        # A document made secret in the same batch, then given a file.
        [
            _change(2, "document", {"secrecy": "none", "summary": "Lịch trực"}, DOC),
            _change(3, "document", {"secrecy": "mat", "summary": SECRET_SUMMARY}, DOC),
            _change(4, "attachment", scan),
        ],
    ):
        with pytest.raises(SecretContent):
            check_secret_changes(conn, bad)
    # What is allowed: the register entry, handling without text, a file once declassified.
    check_secret_changes(
        conn, [_change(2, "document_receipt", {**receipt, "result": SECRET_RESULT})]
    )
    check_secret_changes(conn, [_change(2, "document", {"recalled": True}, DOC)])
    check_secret_changes(
        conn,
        [
            _change(2, "document", {"secrecy": "none", "summary": "Đã giải mật"}, DOC),
            _change(3, "attachment", scan),
        ],
    )


def test_a_ward_pulling_a_secret_document_s_content_keeps_only_its_register_entry(
    tmp_path: Path,
) -> None:
    conn = _secret_store(tmp_path)
    scan = {"id": new_id(), "unit": "H57", "parent_type": "document", "parent_id": DOC}
    pulled = [
        _change(2, "document", {"summary": CONTENT, "recalled": True}, DOC),
        _change(3, "attachment", scan),
        _change(4, "document_receipt", {"id": new_id(), "document_id": DOC, "result": CONTENT}),
    ]
    kept = strip_secret_content(conn, pulled)
    assert [c.type for c in kept] == ["document", "document_receipt"]
    assert kept[0].fields == {"summary": SECRET_SUMMARY, "recalled": True}
    assert kept[1].fields["result"] == SECRET_RESULT


def test_the_hub_keeps_nothing_of_a_secret_documents_content_a_ward_pushes(
    tmp_path: Path, hub: FlaskClient
) -> None:
    from tests.hub.protocol.test_routing import _ward
    from ward_node.store import capture

    session, ward = _ward(tmp_path, hub, "19786")
    doc = {
        **PAPER,
        "id": new_id(),
        "unit": "19786",
        "summary": SECRET_SUMMARY,
        "units": ["19786"],
        "issued_on": "2026-11-27",
    }
    scan = {
        "id": new_id(),
        "unit": "19786",
        "parent_type": "document",
        "parent_id": doc["id"],
        "sha256": "ef" * 32,
        "name": "mat.pdf",
        "mime": "application/pdf",
        "size": 10,
        "uploaded_by": "vanthu",
        "uploaded_at": "2026-11-27T08:00:00+07:00",
    }
    # An older release (or a stolen PC) writes what the ward's own code refuses.
    capture(ward, load_clock(ward)).write_many(
        [
            Write("document", doc["id"], "19786", doc),
            Write("attachment", scan["id"], "19786", scan),
        ],
        actor="vanthu",
    )
    # Acknowledged (an older ward's hash-chained log cannot be edited: refusing would stop
    # its sync for good) but the hub keeps the register entry only.
    session.run()
    assert _hub_count(tmp_path, "attachment") == 0 and _hub_count(tmp_path, "document") == 1
    store = hub_db(tmp_path / "hub")
    try:
        assert store.execute("SELECT summary FROM document").fetchone()[0] == SECRET_SUMMARY
        journal = store.execute("SELECT fields FROM journal WHERE type = 'attachment'").fetchall()
        assert journal == []
    finally:
        store.close()


def test_without_a_user_no_secret_document_is_listed(app: Flask) -> None:
    """A caller that forgot to say who asks gets no secret document."""
    _register_secret(app)
    conn = _conn(app)
    try:
        docs = Documents(conn, load_clock(conn))
        assert docs.search("incoming")[0] == []
        assert (
            docs.incoming_register(
                __import__("datetime").date(2000, 1, 1), __import__("datetime").date(2099, 1, 1)
            )
            == []
        )
    finally:
        conn.close()
