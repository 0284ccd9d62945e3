"""A node told "later" by a busy hub (docs/operations.md, "Under pressure"): the transport
turns 503 + ``Retry-After`` into :class:`sync.HubBusy` carrying the delay; the sync run does
not call it an outage (the desk and the tray show nothing alarming); the worker waits the
delay plus jitter and counts no failure. A 503 without it (an older hub, a proxy) is still a
transport failure, backed off as before."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from sync import HttpTransport, HubBusy, TransportError, get_meta, read_status
from sync.transport import BUSY_RETRY_DEFAULT, BUSY_RETRY_MAX, Reply
from tests.support import enrolled_node, node_session, receive_dossiers, wait_until
from ward_node.sync_link import SyncWorker
from ward_node.tray.state import tray_state


@pytest.fixture
def hub_config() -> dict[str, Any]:
    return {"MAX_INFLIGHT": 1}


def _busy(hub: FlaskClient, busy: bool) -> None:
    hub.application.extensions["admission"].waiting = (lambda: 1) if busy else (lambda: 0)


def test_a_503_with_retry_after_is_hub_busy_carrying_the_delay() -> None:
    body = '{"error": {"code": "busy", "message": "bận", "retry_after": 2}}'.encode()
    with pytest.raises(HubBusy) as caught:
        HttpTransport._check(Reply(503, body, {"Retry-After": "2"}))
    assert caught.value.retry_after == 2 and caught.value.message == "bận"
    assert isinstance(caught.value, TransportError)  # older callers still see a transport error
    for header, seconds in (("soon", BUSY_RETRY_DEFAULT), ("-5", 0.0), ("86400", BUSY_RETRY_MAX)):
        with pytest.raises(HubBusy) as caught:
            HttpTransport._check(Reply(503, b"", {"Retry-After": header}))
        assert caught.value.retry_after == seconds


def test_a_503_without_retry_after_is_still_a_transport_failure() -> None:
    with pytest.raises(TransportError) as caught:
        HttpTransport._check(Reply(503, b"<html>Service Unavailable</html>"))
    assert not isinstance(caught.value, HubBusy) and caught.value.code == "hub_error"


def test_a_busy_hub_is_not_an_outage_for_the_desk_or_the_tray(
    tmp_path: Path, hub: FlaskClient
) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = node_session(data, transport)
    session.run()
    receive_dossiers(conn, 2)
    _busy(hub, True)
    with pytest.raises(HubBusy) as caught:
        session.run()
    assert caught.value.retry_after == 1
    status = read_status(conn)
    assert status["state"] == "syncing"
    assert status["offline_since"] is None and status["last_error"] is None
    assert status["pending_changes"] == 4
    shown = tray_state({**status, "paused": False}, datetime.now(UTC))
    assert shown.kind == "syncing" and shown.alert is None
    _busy(hub, False)
    session.run()
    assert read_status(conn)["state"] == "synced" and get_meta(conn, "acked_seq") == 4


def test_a_refusal_shown_before_stays_while_the_hub_is_busy(
    tmp_path: Path, hub: FlaskClient
) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = node_session(data, transport)
    session.run()
    session._status(state="error", last_error={"code": "out_of_scope", "message": "từ chối"})
    _busy(hub, True)
    with pytest.raises(HubBusy):
        session.run()
    assert read_status(conn)["state"] == "error"
    assert read_status(conn)["last_error"]["code"] == "out_of_scope"


def test_the_worker_waits_what_the_hub_asked_plus_jitter_and_counts_no_failure(
    tmp_path: Path,
) -> None:
    runs = threading.Event()
    calls: list[int] = []

    def busy_sync(_data: Path, **_kw: Any) -> None:
        calls.append(1)
        runs.set()
        raise HubBusy("bận", retry_after=2)

    worker = SyncWorker(tmp_path, interval=3600, backoff_max=600, chunk=10, sync=busy_sync)
    worker._failures = 3  # it was failing (the hub unreachable) before the hub answered
    worker.start()
    try:
        wait_until(runs.is_set, timeout=10)
        wait_until(lambda: worker._busy_delay is not None, timeout=10)
        assert worker._failures == 0
        assert 2 <= worker.next_delay() <= 4
    finally:
        worker.stop()
    assert len(calls) == 1  # the next attempt waits the delay, not the failure backoff
    delays = set()
    for _ in range(20):
        worker.hub_busy(1)
        delays.add(round(worker.next_delay(), 6))
        assert 1 <= worker.next_delay() <= 2
    assert len(delays) > 1  # spread: thousands of nodes refused at once do not return in step
