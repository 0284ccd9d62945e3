"""Logging in over HTTP, one helper per kind of client: the ward's API (bearer token) and
pages (cookie session with its CSRF token), the hub's API (bearer token) and the console's
pages (cookie session with its CSRF token); on Flask test clients, or over real HTTP to a
served process (:func:`token`, :func:`web_session`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import requests
from flask.testing import FlaskClient

from tests.support.users import PASSWORD, add_hub_user

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form in a page."""
    found = CSRF.search(html)
    assert found, "no csrf token in the page"
    return found.group(1)


class Api:
    """A logged-in client of the ward's API: ``api.post("/dossiers", json=...)``."""

    def __init__(self, client: FlaskClient, role: str = "officer") -> None:
        self.client = client
        resp = client.post("/api/v1/auth/token", json={"username": role, "password": PASSWORD})
        assert resp.status_code == 200, resp.get_json()
        self.headers = {"Authorization": "Bearer " + resp.get_json()["token"]}

    def __getattr__(self, method: str) -> Any:
        def call(path: str, **kwargs: Any) -> Any:
            return getattr(self.client, method)("/api/v1" + path, headers=self.headers, **kwargs)

        return call


def ward_login(client: FlaskClient, username: str = "officer", **kwargs: Any) -> str:
    """Log in to the ward's pages through the form; return the session's CSRF token.

    ``kwargs`` go to the requests (``environ_base`` for a client address)."""
    page = client.get("/login", **kwargs).get_data(as_text=True)
    resp = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(page)},
        **kwargs,
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with client.session_transaction() as sess:
        token = sess.get("csrf")
    return str(token) if token else csrf_of(client.get("/login", **kwargs).get_data(as_text=True))


def hub_token(hub: FlaskClient, hub_data: Path, role: str = "admin") -> dict[str, str]:
    """Create ``role`` (named after it) at the hub in ``hub_data`` unless it exists; the
    Authorization header of a token for it on the hub's API."""
    add_hub_user(hub_data, role, role, reset=False)
    resp = hub.post("/api/v1/auth/token", json={"username": role, "password": PASSWORD})
    assert resp.status_code == 200, resp.get_json()
    return {"Authorization": "Bearer " + resp.get_json()["token"]}


def console_login(
    hub: FlaskClient, hub_data: Path | None, role: str = "admin", **kwargs: Any
) -> str:
    """Create ``role`` (named after it) at the hub in ``hub_data`` (``None``: the user exists)
    and log in to the console through the form; return the session's CSRF token.

    ``kwargs`` go to the requests (``environ_base`` for a client address)."""
    if hub_data is not None:
        add_hub_user(hub_data, role, role, f"Cán bộ {role}")
    page = hub.get("/console/dang-nhap", **kwargs).get_data(as_text=True)
    resp = hub.post(
        "/console/dang-nhap",
        data={"csrf_token": csrf_of(page), "username": role, "password": PASSWORD},
        **kwargs,
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with hub.session_transaction() as sess:
        return str(sess["csrf"])


def token(url: str, username: str = "canbo", password: str = PASSWORD) -> dict[str, str]:
    """Authorization headers for a user of the served app (ward or hub) at ``url``."""
    resp = requests.post(
        url + "/api/v1/auth/token", json={"username": username, "password": password}, timeout=10
    )
    resp.raise_for_status()
    return {"Authorization": "Bearer " + resp.json()["token"]}


def web_session(url: str, login_path: str, username: str) -> requests.Session:
    """A requests session logged in through the form at ``login_path`` of the app served at
    ``url``: the ward's pages (``/login``) or the console (``/console/dang-nhap``)."""
    web = requests.Session()
    web.trust_env = False  # loopback: no proxy
    page = web.get(url + login_path, timeout=10)
    resp = web.post(
        url + login_path,
        data={"csrf_token": csrf_of(page.text), "username": username, "password": PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 302, resp.text
    return web
