"""Whole numbers in query arguments past the store's 64-bit integers (Schemathesis found a
ward's ``?status=`` of 34 digits answered 500): refused with 422 on the API, ignored or
clamped by the pages, and never handed to SQLite, which raises ``OverflowError``."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support import Api, console_login, ward_login

HUGE = [str(2**63), str(10**40), "-" + str(10**40), "1" * 400]


def test_the_ward_api_refuses_a_status_past_the_list(api: Api) -> None:
    for value in [*HUGE, "11", "x"]:
        resp = api.client.get(f"/api/v1/dossiers?status={value}", headers=api.headers)
        assert resp.status_code == 422, (value, resp.status_code)
        assert resp.get_json()["error"]["field"] == "status"
    assert api.client.get("/api/v1/dossiers?status=2", headers=api.headers).status_code == 200


def test_the_ward_api_answers_any_number_without_a_server_error(api: Api) -> None:
    @settings(max_examples=60, deadline=None)
    @given(st.integers(min_value=-(10**30), max_value=10**30))
    def run(number: int) -> None:
        resp = api.client.get(f"/api/v1/dossiers?status={number}", headers=api.headers)
        assert resp.status_code in (200, 422)

    run()


def test_the_wards_list_page_ignores_a_status_it_does_not_offer(client: FlaskClient) -> None:
    ward_login(client)
    for value in HUGE:
        assert client.get(f"/?status={value}").status_code == 200


def test_the_units_page_clamps_a_page_number(hub: FlaskClient, tmp_path: Path) -> None:
    console_login(hub, tmp_path / "hub")
    for value in HUGE:
        assert hub.get(f"/console/?page={value}").status_code == 200
