"""Fixtures: real apps on temporary stores (a ward node seeded with the hub's reference data)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from central_hub.reference.seed import seed_calendar, seed_procedures, seed_units
from sync import Change, KeyPair, Replica, atomic, set_meta
from ward_node import create_app
from ward_node.store import ROLES, open_store
from webapp import add_user

UNIT = "19786"
PASSWORD = "matkhau-123"


def scan_pdf(size: int, seed: bytes | None = None) -> bytes:
    """A PDF of exactly ``size`` bytes (at least 80) shaped like a scan: one stream of
    random image data (``seed`` repeated instead, for a reproducible file)."""
    head = b"%PDF-1.4\n1 0 obj\n<< /Length 0 >>\nstream\n"
    tail = b"\nendstream\nendobj\ntrailer\n<< >>\n%%EOF\n"
    n = size - len(head) - len(tail)
    assert n >= 0, "a scan needs at least 80 bytes"
    body = (seed * (n // len(seed) + 1))[:n] if seed else os.urandom(n)
    return head + body + tail


def make_ward_data(folder: Path, unit: str = UNIT) -> Path:
    """A ward node's data folder as ``ward-node init`` leaves it, without a running hub:
    keys, identity, the hub's reference data merged in, and one user per role."""
    folder.mkdir(parents=True, exist_ok=True)
    KeyPair.generate().save(folder / "keys")
    (folder / "secret_key").write_text("test-secret")
    hub_keys = KeyPair.generate().public
    conn = open_store(folder)
    try:
        with atomic(conn):
            set_meta(conn, "node_id", f"{unit}-test0001")
            set_meta(conn, "unit", unit)
            set_meta(conn, "unit_name", "UBND phường Phú Hội")
            set_meta(
                conn,
                "hub",
                {"url": "http://127.0.0.1:9", "hub_id": "hub", "keys": hub_keys.to_json()},
            )
            seq = 0
            changes = []
            for type_name, records in (
                ("unit", seed_units()),
                ("procedure", seed_procedures()),
                ("calendar_day", seed_calendar()),
            ):
                for rec in records:
                    seq += 1
                    changes.append(
                        Change(
                            "hub", seq, seq, type_name, rec["id"], rec["unit"], rec, {}, "system"
                        )
                    )
            Replica(conn).merge(changes)
        for role in ROLES:
            add_user(conn, role, PASSWORD, role, ROLES, f"Cán bộ {role}")
    finally:
        conn.close()
    return folder


@pytest.fixture
def ward_app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app({"DATA": str(make_ward_data(tmp_path / "ward")), "SYNC_INTERVAL": 0})
    app.config["TESTING"] = True
    yield app


@pytest.fixture
def client(ward_app: Flask) -> FlaskClient:
    return ward_app.test_client()


class Api:
    """A logged-in API client: ``api.post("/dossiers", json=...)``."""

    def __init__(self, client: FlaskClient, role: str = "officer") -> None:
        self.client = client
        resp = client.post("/api/v1/auth/token", json={"username": role, "password": PASSWORD})
        assert resp.status_code == 200, resp.get_json()
        self.headers = {"Authorization": "Bearer " + resp.get_json()["token"]}

    def __getattr__(self, method: str) -> Any:
        def call(path: str, **kwargs: Any) -> Any:
            return getattr(self.client, method)("/api/v1" + path, headers=self.headers, **kwargs)

        return call


@pytest.fixture
def api(client: FlaskClient) -> Api:
    return Api(client)


@pytest.fixture
def hub(tmp_path: Path) -> FlaskClient:
    """A hub initialised in ``tmp_path / "hub"``, as a Flask test client."""
    from central_hub import create_app as create_hub
    from central_hub.setup import init_hub

    init_hub(tmp_path / "hub", name="Hub thử")
    return create_hub({"DATA": str(tmp_path / "hub")}).test_client()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright: one per test module."""
    from playwright.sync_api import sync_playwright

    from tests.browser_util import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def csrf_of(html: str) -> str:
    """The CSRF token of the first form in a page."""
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no csrf token in the page"
    return found.group(1)


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


def console_login(hub: FlaskClient, hub_data: Path, role: str = "admin", **kwargs: Any) -> str:
    """Create ``role`` (named after it) at the hub and log in to the console through the form;
    return the session's CSRF token."""
    from central_hub.store import ROLES as HUB_ROLES
    from central_hub.store import open_store as open_hub_store

    conn = open_hub_store(hub_data)
    try:
        add_user(conn, role, PASSWORD, role, HUB_ROLES, f"Cán bộ {role}")
    finally:
        conn.close()
    page = hub.get("/console/dang-nhap", **kwargs).get_data(as_text=True)
    resp = hub.post(
        "/console/dang-nhap",
        data={"csrf_token": csrf_of(page), "username": role, "password": PASSWORD},
        **kwargs,
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with hub.session_transaction() as sess:
        return str(sess["csrf"])


# -- no quiet skips in CI ------------------------------------------------------------------------
# A browser or tray test skips when Chromium, Xvfb or Pillow is missing: fine on a laptop, but in
# CI (``CI`` set, as .ci/run sets it) everything is installed, so a skip means a test that did not
# run while the run looked green. Every skip fails the run there.


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if os.environ.get("CI") and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped while CI is set (a test that did not run): {report.longrepr}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if os.environ.get("CI") and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"a module skipped while CI is set: {report.longrepr}"
