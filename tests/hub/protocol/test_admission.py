"""A hub under pressure says "later" (docs/operations.md, "Under pressure"): with more
requests in flight than its bound, a node's sync request is answered at once with 503, the
protocol's JSON error in Vietnamese and ``Retry-After``; people's pages and the health check
are served as ever, and nothing is written for the refused request."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from central_hub import create_app as create_hub
from central_hub.setup import init_hub
from tests.support.hubstore import hub_db
from webapp import Admission


@pytest.fixture
def hub_config() -> dict[str, Any]:
    return {"MAX_INFLIGHT": 1}


def _admission(hub: FlaskClient) -> Admission:
    found = hub.application.extensions["admission"]
    assert isinstance(found, Admission)
    return found


def _rows(tmp_path: Path) -> tuple[int, int]:
    conn = hub_db(tmp_path / "hub")
    try:
        visits = conn.execute("SELECT count(*) FROM sync_visits").fetchone()[0]
        refusals = conn.execute("SELECT count(*) FROM unverified_refusals").fetchone()[0]
        return visits, refusals
    finally:
        conn.close()


def test_a_sync_request_over_the_bound_is_answered_503_with_retry_after(
    tmp_path: Path, hub: FlaskClient
) -> None:
    admission = _admission(hub)
    admission.waiting = lambda: 1  # one request waits for a thread: 2 in flight, bound 1
    before = _rows(tmp_path)
    resp = hub.post("/sync/v1/pull", data=b"not even an envelope")
    assert resp.status_code == 503
    assert resp.headers["Retry-After"] == "1"
    assert resp.headers["Cache-Control"] == "no-store"
    error = resp.get_json()["error"]
    assert error["code"] == "busy" and error["retry_after"] == 1
    assert "đang bận" in error["message"] and "thử lại sau 1 giây" in error["message"]
    assert admission.refused == 1 and admission.in_flight == 0
    # Refused before any work: not even counted as an unverified refusal.
    assert _rows(tmp_path) == before


def test_a_refused_node_is_told_to_come_back_when_what_waits_is_served(hub: FlaskClient) -> None:
    admission = _admission(hub)
    now = time.monotonic()
    admission._finished.extend([now] * 20)  # 10 requests finished a second, lately
    admission.waiting = lambda: 61  # 62 in flight, bound 1: 61 over, about 6.1 s of work
    resp = hub.post("/sync/v1/push", data=b"x")
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "7"
    admission.waiting = lambda: 100_000  # never more than half a minute
    assert hub.post("/sync/v1/push", data=b"x").headers["Retry-After"] == "30"


def test_unbounded_by_setting_what_waits_follows_the_servers_pace(tmp_path: Path) -> None:
    init_hub(tmp_path / "hub", name="Hub thử")
    client = create_hub({"DATA": str(tmp_path / "hub")}).test_client()
    admission = _admission(client)
    now = time.monotonic()
    admission._finished.extend([now] * 400)  # 200 a second: 400 may wait (2 s of work)
    admission.waiting = lambda: 300
    # Admitted: answered by the protocol itself (400, not an envelope).
    assert client.post("/sync/v1/pull", data=b"x").status_code == 400
    admission.waiting = lambda: 500  # beyond 2 s of work: "later"
    assert client.post("/sync/v1/pull", data=b"x").status_code == 503


def test_pages_and_the_health_check_are_never_refused_so(hub: FlaskClient) -> None:
    _admission(hub).waiting = lambda: 100
    assert hub.get("/healthz").status_code == 200
    assert hub.get("/console/dang-nhap").status_code == 200
    assert hub.get("/").status_code == 200


def test_within_the_bound_a_sync_request_is_served(hub: FlaskClient) -> None:
    resp = hub.get("/sync/v1/hello")
    assert resp.status_code == 200 and "Retry-After" not in resp.headers
    assert _admission(hub).in_flight == 0


@pytest.mark.parametrize(("setting", "limit", "threads", "after"), [(0, 32, 2, 8), (12, 12, 2, 12)])
def test_the_bound_is_four_per_server_thread_unless_set(
    tmp_path: Path, setting: int, limit: int, threads: int, after: int
) -> None:
    init_hub(tmp_path / "hub", name="Hub thử")
    app = create_hub({"DATA": str(tmp_path / "hub"), "MAX_INFLIGHT": setting})
    admission = app.extensions["admission"]
    assert admission.limit == limit
    admission.attach(threads, lambda: 0)  # what webapp.serve does with waitress's threads
    assert admission.limit == after


def test_minus_one_turns_admission_control_off(tmp_path: Path) -> None:
    init_hub(tmp_path / "hub", name="Hub thử")
    app = create_hub({"DATA": str(tmp_path / "hub"), "MAX_INFLIGHT": -1})
    assert app.extensions["admission"] is None
    assert not isinstance(app.wsgi_app, Admission)
