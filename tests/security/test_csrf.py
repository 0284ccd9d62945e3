"""A state-changing request that the browser's session cookie authenticates must carry the
session's CSRF token, on every route of both apps (docs/security.md, "Sessions, tokens and
CSRF"); bearer calls need none; session cookies are HttpOnly, SameSite=Lax, Secure over HTTPS."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.support import Api, console_login, make_ward_data, ward_login
from ward_node import create_app

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def unsafe_routes(app: Flask, prefix: str = "/") -> list[tuple[str, str]]:
    """Every (method, url) of ``app`` that may change state, arguments filled with dummies."""

    def fill(match: re.Match[str]) -> str:
        converter = match.group(1) or ""
        if converter.startswith("int"):
            return "1"
        if converter.startswith("any("):
            return converter[4:].split(",")[0].strip(" '\")")
        return "x"

    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix):
            continue
        url = re.sub(r"<(?:([^>]*):)?[^>:]+>", fill, rule.rule)
        found += [(method, url) for method in UNSAFE if method in (rule.methods or ())]
    return sorted(found)


def snapshot(db_path: Path) -> dict[str, list[str]]:
    """Every row of every table of a store, to compare before and after."""
    conn = sqlite3.connect(db_path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: sorted(map(repr, conn.execute(f'SELECT * FROM "{t}"'))) for t in tables}
    finally:
        conn.close()


class FakeWorker:
    paused = False

    def trigger(self) -> None:
        pass


# -- ward node ----------------------------------------------------------------------------------


def test_a_cross_site_post_with_the_session_cookie_cannot_pause_sync(
    ward_app: Flask, client: FlaskClient
) -> None:
    worker = FakeWorker()
    ward_app.extensions["ward_node"].worker = worker
    token = ward_login(client, "officer")
    forged = client.post("/api/v1/sync/pause", headers={"Origin": "http://evil.example"})
    assert forged.status_code == 400
    assert forged.get_json()["error"]["code"] == "csrf"
    assert "tải lại trang" in forged.get_json()["error"]["message"]
    assert worker.paused is False
    # The ward's own pages' scripts send the token in a header.
    ok = client.post("/api/v1/sync/pause", headers={"X-CSRF-Token": token})
    assert ok.status_code == 200 and worker.paused is True
    body = {"procedure_code": "1.001193", "applicant": {"full_name": "Lê Thị Hồng"}}
    created = client.post("/api/v1/dossiers", json=body, headers={"X-CSRF-Token": token})
    assert created.status_code == 201, created.get_json()
    # A bearer call carries no ambient authority: no CSRF token, even beside the cookie.
    assert Api(client, "officer").post("/dossiers", json=body).status_code == 201
    assert len(client.get("/api/v1/dossiers").get_json()["items"]) == 2


def test_every_state_changing_ward_route_refuses_the_cookie_without_the_token(
    ward_app: Flask, client: FlaskClient
) -> None:
    # The token endpoint is the one unsafe route the cookie does not log in to: it takes a
    # password, and a forged call learns nothing (its answer is not readable cross-site).
    routes = [r for r in unsafe_routes(ward_app) if r != ("POST", "/api/v1/auth/token")]
    assert ("POST", "/api/v1/dossiers") in routes and ("POST", "/sync") in routes
    ward_login(client, "admin")
    store = Path(ward_app.config["DATA"]) / "node.sqlite3"
    before = snapshot(store)
    answers = {
        (method, url): client.open(url, method=method, data={"csrf_token": "", "q": "x"})
        for method, url in routes
    }
    refused = {k: r.status_code for k, r in answers.items() if r.status_code != 400}
    assert not refused, f"answered without the CSRF token: {refused}"
    for (_method, url), resp in answers.items():
        if url.startswith("/api/"):
            assert resp.get_json()["error"]["code"] == "csrf", url
    assert snapshot(store) == before


def test_a_wrong_token_is_refused_cleanly_even_when_it_is_not_ascii(client: FlaskClient) -> None:
    ward_login(client, "officer")
    for sent in ("đ", "x" * 40):
        resp = client.post("/logout", data={"csrf_token": sent})
        assert resp.status_code == 400, sent
        resp = client.post("/api/v1/sync/run", headers={"X-CSRF-Token": sent.encode().hex()})
        assert resp.status_code == 400


def _set_cookie(resp: Any) -> str:
    cookies = [v for k, v in resp.headers.items() if k.lower() == "set-cookie"]
    assert cookies, "no cookie set"
    return "; ".join(cookies)


def test_the_ward_session_cookie_is_httponly_lax_and_secure_over_https(tmp_path: Path) -> None:
    data = make_ward_data(tmp_path / "ward")
    for https, secure in ((False, False), (True, True)):
        app = create_app({"DATA": str(data), "SYNC_INTERVAL": 0, "HTTPS": https})
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token
        resp = client.post(
            "/login",
            data={"username": "officer", "password": "matkhau-123", "csrf_token": token.group(1)},
        )
        cookie = _set_cookie(resp)
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure


# -- hub console --------------------------------------------------------------------------------


def test_every_state_changing_console_route_refuses_the_cookie_without_the_token(
    tmp_path: Path, hub: FlaskClient
) -> None:
    routes = unsafe_routes(hub.application, "/console")
    assert ("POST", "/console/dang-xuat") in routes and len(routes) > 10
    console_login(hub, tmp_path / "hub", "admin")
    store = tmp_path / "hub" / "hub.sqlite3"
    before = snapshot(store)
    answers = {
        (method, url): hub.open(url, method=method, data={"csrf_token": "", "confirm": "yes"})
        for method, url in routes
    }
    served = {k: r.status_code for k, r in answers.items() if r.status_code != 400}
    assert not served, f"answered without the CSRF token: {served}"
    assert snapshot(store) == before
    # The header works as well as the form field, for the console's scripts.
    with hub.session_transaction() as sess:
        token = sess["csrf"]
    out = hub.post("/console/dang-xuat", headers={"X-CSRF-Token": token})
    assert out.status_code == 302


def test_the_console_session_cookie_is_httponly_lax_and_secure_over_https(
    tmp_path: Path, hub: FlaskClient
) -> None:
    from central_hub import create_app as create_hub

    for https, secure in ((False, False), (True, True)):
        client = create_hub({"DATA": str(tmp_path / "hub"), "HTTPS": https}).test_client()
        cookie = _set_cookie(client.get("/console/dang-nhap"))  # the form's CSRF token
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure
