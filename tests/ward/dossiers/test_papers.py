"""The reception checklist at the ward (docs/domain.md, "Reception checklist"): the desk ticks the
papers handed in at reception, each original or copy, how many and, for attested copies, their
pages; the dossier keeps them and its fee is computed from them; the list is corrected while
the dossier is at the desk (2) or waiting for a supplement (5), never after; and a dossier
received under a procedure's old local code still finds its procedure."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from sync import Change, Replica, Write, atomic, new_id, select_records
from tests.support import Api, csrf_of, ward_login
from ward_node.dossiers import Dossiers, find_procedure
from ward_node.store import capture, load_clock, open_store
from webapp import User

ATTESTATION = "2.000815"  # 2.000 đ a page, 1.000 đ from the third, at most 200.000 đ a copy
OFFICER = User("officer", "officer", "Cán bộ officer")


def _store(app: Flask) -> sqlite3.Connection:
    return open_store(Path(app.config["DATA"]))


def _dossier(app: Flask, dossier_id: str) -> dict[str, Any]:
    conn = _store(app)
    try:
        return select_records(conn, "dossier", "WHERE id = ?", (dossier_id,))[0]
    finally:
        conn.close()


def _reception_form(csrf: str, **fields: str) -> dict[str, str]:
    prefix = f"{ATTESTATION}/"
    return {
        "csrf_token": csrf,
        "procedure_code": ATTESTATION,
        "channel": "in_person",
        "applicant_full_name": "Nguyễn Văn An",
        **{prefix + key: value for key, value in fields.items()},
    }


def _receive_on_the_page(client: FlaskClient) -> str:
    csrf = csrf_of(client.get("/dossiers/new").get_data(as_text=True))
    form = _reception_form(
        csrf,
        **{
            "paper-0": "1",
            "paper-0-form": "original",
            "paper-0-count": "1",
            "paper-1": "1",
            "paper-1-form": "copy",
            "paper-1-count": "3",
            "paper-1-pages": "5",
            "extra-0-name": "Giấy khai sinh",
            "extra-0-form": "copy",
            "extra-0-count": "2",
            "extra-0-pages": "1",
            "extra-1-name": "",
        },
    )
    resp = client.post("/dossiers/new", data=form)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return resp.headers["Location"].rsplit("/", 1)[-1]


def test_reception_keeps_the_papers_ticked_and_charges_by_the_page_and_copy(
    client: FlaskClient, ward_app: Flask
) -> None:
    ward_login(client)
    dossier_id = _receive_on_the_page(client)
    stored = _dossier(ward_app, dossier_id)
    assert stored["papers_received"] == [
        {
            "name": "Bản chính giấy tờ, văn bản làm cơ sở chứng thực",
            "form": "original",
            "count": 1,
            "pages": None,
            "listed": True,
        },
        {"name": "Bản sao cần chứng thực", "form": "copy", "count": 3, "pages": 5, "listed": True},
        {"name": "Giấy khai sinh", "form": "copy", "count": 2, "pages": 1, "listed": False},
    ]
    # 3 copies of 5 pages: 3 × (2 × 2.000 + 3 × 1.000); 2 copies of 1 page: 2 × 2.000.
    assert stored["fee"] == 3 * 7000 + 2 * 2000
    page = client.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    section = page[page.index('id="sec-papers"') : page.index('id="sec-applicant"')]
    assert "Bản sao cần chứng thực: 3 bản × 5 trang = 3 × 7.000 đ" in section
    assert "25.000 đ" in page


def test_reception_without_a_ticked_paper_is_refused_and_nothing_is_stored(
    client: FlaskClient, ward_app: Flask
) -> None:
    ward_login(client)
    csrf = csrf_of(client.get("/dossiers/new").get_data(as_text=True))
    resp = client.post("/dossiers/new", data=_reception_form(csrf, **{"paper-1-count": "3"}))
    assert resp.status_code == 422
    assert "Hãy đánh dấu giấy tờ công dân đã nộp" in resp.get_data(as_text=True)
    # Pages missing on a copy charged by the page: refused, saying which paper.
    resp = client.post(
        "/dossiers/new",
        data=_reception_form(
            csrf, **{"paper-1": "1", "paper-1-form": "copy", "paper-1-count": "2"}
        ),
    )
    assert resp.status_code == 422
    assert "Bản sao cần chứng thực" in resp.get_data(as_text=True)
    assert "số trang" in resp.get_data(as_text=True)
    conn = _store(ward_app)
    try:
        assert conn.execute("SELECT count(*) FROM dossier").fetchone()[0] == 0
    finally:
        conn.close()


def test_the_papers_are_corrected_at_the_desk_and_the_fee_follows(
    client: FlaskClient, ward_app: Flask
) -> None:
    csrf = ward_login(client)
    dossier_id = _receive_on_the_page(client)
    resp = client.post(
        f"/dossiers/{dossier_id}/giay-to",
        data={
            "csrf_token": csrf,
            "paper-1": "1",
            "paper-1-form": "copy",
            "paper-1-count": "1",
            "paper-1-pages": "2",
        },
    )
    assert resp.status_code == 302
    stored = _dossier(ward_app, dossier_id)
    assert [(p["name"], p["count"]) for p in stored["papers_received"]] == [
        ("Bản sao cần chứng thực", 1)
    ]
    assert stored["fee"] == 4000
    # A bad correction changes nothing and says why.
    resp = client.post(
        f"/dossiers/{dossier_id}/giay-to",
        data={"csrf_token": csrf, "paper-1": "1", "paper-1-form": "copy", "paper-1-count": "0"},
        follow_redirects=True,
    )
    assert "số lượng phải là số nguyên từ 1 đến 999" in resp.get_data(as_text=True)
    assert _dossier(ward_app, dossier_id)["fee"] == 4000


def test_the_papers_are_fixed_once_processing_starts(api: Api, ward_app: Flask) -> None:
    papers = [{"name": "Bản sao cần chứng thực", "form": "copy", "count": 2, "pages": 1}]
    created = api.post(
        "/dossiers",
        json={
            "procedure_code": ATTESTATION,
            "applicant": {"full_name": "Trần Thị Bình"},
            "papers_received": papers,
        },
    )
    assert created.status_code == 201, created.get_json()
    dossier = created.get_json()
    assert dossier["fee"] == 4000
    more = [{**papers[0], "count": 5}]
    resp = api.put(f"/dossiers/{dossier['id']}/papers", json={"papers_received": more})
    assert resp.status_code == 200 and resp.get_json()["fee"] == 10000
    assert (
        api.post(f"/dossiers/{dossier['id']}/actions", json={"action": "start"}).status_code == 200
    )
    resp = api.put(f"/dossiers/{dossier['id']}/papers", json={"papers_received": papers})
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "papers_not_editable"
    assert _dossier(ward_app, dossier["id"])["fee"] == 10000
    # The clerk keeps the registers and records no papers.
    clerk = Api(api.client, "clerk")
    assert (
        clerk.put(f"/dossiers/{dossier['id']}/papers", json={"papers_received": papers}).status_code
        == 403
    )


def test_a_dossier_received_under_an_old_local_code_finds_its_procedure(ward_app: Flask) -> None:
    conn = _store(ward_app)
    try:
        assert find_procedure(conn, "HUE-XA-003")["code"] == ATTESTATION
        assert find_procedure(conn, "HUE-XA-00") is None  # a code, not a part of one
        dossiers = Dossiers(conn, load_clock(conn))
        # A caller that still sends the old code gets the procedure under its national code.
        received = dossiers.receive(
            {"procedure_code": "HUE-XA-003", "applicant": {"full_name": "Lê Văn Cường"}}, OFFICER
        )
        assert received["procedure_code"] == ATTESTATION
        assert received["papers_received"] is None and received["fee"] == 2000
    finally:
        conn.close()


def test_a_dossier_of_a_procedure_withdrawn_from_the_catalogue_stays_readable(
    client: FlaskClient, ward_app: Flask
) -> None:
    """A residence dossier received before the catalogue lost its procedure (the commune police
    handle residence): its page and its receipt still show it, with the name it was received
    under."""
    conn = _store(ward_app)
    try:
        # As an upgraded ward has it: the hub made the procedure inactive (migration 0033).
        residence = {
            "id": new_id(),
            "unit": "H57",
            "code": "HUE-XA-008",
            "name": "Đăng ký tạm trú",
            "field": "Cư trú",
            "limit_value": 3,
            "limit_unit": "working_days",
            "fee": 15000,
            "papers": [
                {"name": "Tờ khai thay đổi thông tin cư trú (mẫu CT01)", "kind": "original"}
            ],
            "active": False,
        }
        change = Change(
            "hub", 10**6, 10**6, "procedure", residence["id"], "H57", residence, {}, "system"
        )
        with atomic(conn):
            Replica(conn).merge([change])
        dossier_id = new_id()
        record = {
            "id": dossier_id,
            "unit": "19786",
            "code": "H57.19786-250610-0007",
            "procedure_code": "HUE-XA-008",
            "procedure_name": "Đăng ký tạm trú",
            "applicant": {"full_name": "Phan Thị Dung"},
            "channel": "in_person",
            "status": 2,
            "received_at": "2025-06-10T02:00:00+00:00",
            "due_at": "2025-06-13T02:00:00+00:00",
            "fee": 15000,
            "handler": "officer",
            "created_by": "officer",
        }
        step = {
            "id": new_id(),
            "unit": "19786",
            "dossier_id": dossier_id,
            "action": "receive",
            "from_status": None,
            "to_status": 2,
            "actor": "officer",
            "actor_name": "Cán bộ officer",
            "at": record["received_at"],
            "note": None,
            "to_handler": None,
            "step_deadline": None,
        }
        with atomic(conn):
            capture(conn, load_clock(conn)).write_many(
                [
                    Write("dossier", dossier_id, "19786", record),
                    Write("dossier_step", step["id"], "19786", step),
                ],
                actor="officer",
            )
    finally:
        conn.close()
    ward_login(client)
    page = client.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert "Đăng ký tạm trú" in page
    assert "khi chưa ghi danh sách giấy tờ đã nhận" in page
    receipt = client.get(f"/dossiers/{dossier_id}/in/01")
    assert receipt.status_code == 200
    text = receipt.get_data(as_text=True)
    # Received on 10/06/2025, under Decree 61/2018: the 2018 templates.
    assert "Thông tư số 01/2018/TT-VPCP" in text and "Đăng ký tạm trú" in text
    assert re.search(r'href="/dossiers/[^/]+/in/05"', page)  # its control slip is Mẫu số 05
    # The reception form no longer offers residence procedures.
    form = client.get("/dossiers/new").get_data(as_text=True)
    assert "tạm trú" not in form.lower() and "HUE-XA-008" not in form
