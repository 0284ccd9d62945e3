"""Fixtures: real apps on temporary stores (a ward node seeded with the hub's reference data),
a hub, a browser; the helpers they use are in tests/support/. And no quiet skips in CI."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support import CHROMIUM, CHROMIUM_ARGS, Api, make_ward_data
from ward_node import create_app

# psycopg_pool jitters each new connection's lifetime with the ``random`` module's shared state,
# from its own worker thread. Hypothesis fails a test whose global random state moves while it
# draws an example (a pool growing under a fuzz test on PostgreSQL did); the pool gets its own
# generator so tests stay reproducible.
try:
    import random

    import psycopg_pool.base

    psycopg_pool.base.random = random.Random().random  # type: ignore[attr-defined]
except ImportError:  # the postgresql extra is not installed
    pass


# The background threads of serve (webapp/background.py). One a test leaves running keeps
# opening the store of a data folder that is gone or reused, and logs tracebacks from its own
# thread into later tests (on Python 3.11 formatting one parses source, which raced a test's own
# parsing once and failed it). Whoever builds an app with them stops them: stop_background(app).
BACKGROUND_THREADS = frozenset({"sync-worker", "sms-dispatcher", "edxml-exchange", "housekeeping"})


@pytest.fixture(autouse=True)
def _no_background_thread_outlives_its_test() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    left = sorted(
        t.name
        for t in threading.enumerate()
        if t not in before and t.name in BACKGROUND_THREADS and t.is_alive()
    )
    assert not left, (
        f"background threads still running after the test: {left}; stop the app's threads "
        "with webapp.stop_background(app) (or the worker's stop()) before the test ends"
    )


@pytest.fixture
def ward_app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app({"DATA": str(make_ward_data(tmp_path / "ward")), "SYNC_INTERVAL": 0})
    app.config["TESTING"] = True
    yield app


@pytest.fixture
def client(ward_app: Flask) -> FlaskClient:
    return ward_app.test_client()


@pytest.fixture
def api(client: FlaskClient) -> Api:
    return Api(client)


@pytest.fixture
def hub_config() -> dict[str, Any]:
    """Settings for the ``hub`` fixture's app; a module overrides this fixture for its own."""
    return {}


@pytest.fixture
def hub(tmp_path: Path, hub_config: dict[str, Any]) -> FlaskClient:
    """A hub initialised in ``tmp_path / "hub"``, as a Flask test client."""
    from central_hub import create_app as create_hub
    from central_hub.setup import init_hub

    init_hub(tmp_path / "hub", name="Hub thử")
    return create_hub({"DATA": str(tmp_path / "hub"), **hub_config}).test_client()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright: one per test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


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


# -- the hub's store on PostgreSQL ---------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """One real PostgreSQL server for the session (tests/support/postgres.py); each test that
    uses it makes its own database."""
    from tests.support.postgres import postgres_server

    with postgres_server() as server:
        yield server


@pytest.fixture(autouse=True)
def _close_hub_stores() -> Iterator[None]:
    """Close the connections this process's hubs keep between requests
    (central_hub/store/engine.py) when a test ends: its folders go away with it."""
    yield
    import sys

    store = sys.modules.get("central_hub.store")
    if store is not None:
        store.close_all()
