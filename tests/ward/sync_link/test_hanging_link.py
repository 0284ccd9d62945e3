"""A hanging link (issue [8], docs/sync.md "A hanging link"): a hub that accepts and never
answers must read as offline within the ward's deadlines, stay offline with the same
``offline_since`` while retries hang, and turn back to synced once the hub answers; the tray
follows.

Real ``central-hub serve`` and ``ward-node serve`` processes (``tests/support/cluster.py``) with the
deadlines shortened by their settings: a hub process stopped with SIGSTOP, and a proxy on
loopback that accepts connections and never answers. And the transport on its own: the connect
deadline, and the overall deadline against a peer that trickles its answer.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from sync import HttpTransport, TransportError
from tests.support import Cluster, Server, env, free_port, token, wait_until
from tests.ward.tray.test_tray_integration import Desktop, display, needs_x  # noqa: F401 (fixture)
from ward_node.tray.state import AMBER, GREEN, tray_state

UNIT = "19786"
CONNECT, READ, DEADLINE = 1, 2, 4  # the ward's sync deadlines here, in seconds
INTERVAL, BACKOFF = 1, 2
SLACK = 10  # two cores shared with other work: room for a slow process start or poll
DEADLINES = {
    "WARD_NODE_SYNC_CONNECT_TIMEOUT": str(CONNECT),
    "WARD_NODE_SYNC_READ_TIMEOUT": str(READ),
    "WARD_NODE_SYNC_DEADLINE": str(DEADLINE),
}


# -- a proxy that accepts and never answers ------------------------------------------------------


class HangingProxy:
    """A TCP proxy on loopback to ``port``: forwards, or (``hang``) accepts connections, takes
    what is sent and never answers, as a router that black-holes packets would."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.hanging = False
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def hang(self) -> None:
        """From now on, answer nothing; connections open now are cut (no pooled one forwards)."""
        self.hanging = True
        self._close_all()

    def forward(self) -> None:
        """Forward again; the connections held unanswered are closed."""
        self.hanging = False
        self._close_all()

    def close(self) -> None:
        self._listener.close()
        self._close_all()

    def _close_all(self) -> None:
        with self._lock:
            held, self._sockets = self._sockets, set()
        for sock in held:
            _shut(sock)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                self._sockets.add(client)
            if self.hanging:
                threading.Thread(target=_drain, args=(client,), daemon=True).start()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=5)
            except OSError:
                _shut(client)
                continue
            with self._lock:
                self._sockets.add(upstream)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(a, b), daemon=True).start()


def _drain(sock: socket.socket) -> None:
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    _shut(dst)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


# -- the cluster --------------------------------------------------------------------------------


class Ward:
    """The ward node's process, its status as polled, and what the tray makes of each."""

    def __init__(self, cluster: Cluster, server: Server) -> None:
        self.cluster, self.server = cluster, server
        self.headers = token(server.url)
        self.seen: list[dict[str, Any]] = []

    def status(self) -> dict[str, Any]:
        resp = requests.get(
            self.server.url + "/api/v1/sync/status", headers=self.headers, timeout=5
        )
        resp.raise_for_status()
        body: dict[str, Any] = resp.json()
        body["tray"] = tray_state(body, datetime.now(UTC)).kind
        self.seen.append(body)
        return body

    def poll_until(
        self, check: Callable[[dict[str, Any]], bool], timeout: float, what: str
    ) -> dict[str, Any]:
        """Poll every 0.1 s until ``check`` holds; every status read is kept in ``seen``."""
        found: dict[str, Any] = wait_until(
            lambda: s if check(s := self.status()) else None, timeout, 0.1, what=what
        )
        return found

    def add_dossier(self) -> None:
        """A dossier at the desk: changes that wait for the hub."""
        resp = requests.post(
            self.server.url + "/api/v1/dossiers",
            headers=self.headers,
            timeout=10,
            json={
                "procedure_code": "1.001193",
                "applicant": {"full_name": "Trần Thị Hồng Nhung", "phone": "0905123456"},
                "channel": "in_person",
            },
        )
        assert resp.status_code == 201, resp.text

    def sync_command(self) -> tuple[subprocess.CompletedProcess[str], float]:
        """``ward-node sync`` as an operator runs it, with the same deadlines; and its time."""
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "ward_node", "sync", "--data", str(self.server.data)],
            capture_output=True,
            text=True,
            env=env(**DEADLINES),
            timeout=120,
        )
        return done, time.monotonic() - started


def _cluster(root: Path, through_proxy: bool) -> tuple[Cluster, Ward, HangingProxy | None]:
    cluster = Cluster(root)
    proxy = None
    try:
        cluster.start_hub()
        if through_proxy:
            proxy = HangingProxy(cluster.hub_port)
            cluster.hub_url = proxy.url  # the ward knows the hub only by the proxy's address
        cluster.enroll(UNIT)
        server = cluster.start_ward(
            UNIT, interval=INTERVAL, WARD_NODE_BACKOFF_MAX=str(BACKOFF), **DEADLINES
        )
        ward = Ward(cluster, server)
        ward.poll_until(lambda s: s["state"] == "synced", 30, "the first sync")
    except BaseException:
        if proxy is not None:
            proxy.close()
        cluster.close()
        raise
    return cluster, ward, proxy


@pytest.fixture
def stopped_hub(tmp_path: Path) -> Iterator[tuple[Ward, Callable[[], None], Callable[[], None]]]:
    """A synced ward, and how to stop its hub's process (SIGSTOP) and let it go on (SIGCONT)."""
    cluster, ward, _ = _cluster(tmp_path, through_proxy=False)
    assert cluster.hub is not None
    pid = cluster.hub.proc.pid
    try:
        yield ward, lambda: os.kill(pid, signal.SIGSTOP), lambda: os.kill(pid, signal.SIGCONT)
    finally:
        os.kill(pid, signal.SIGCONT)  # a stopped process cannot be terminated gracefully
        cluster.close()


@pytest.fixture
def black_hole(tmp_path: Path) -> Iterator[tuple[Ward, Callable[[], None], Callable[[], None]]]:
    """A synced ward whose hub is behind a proxy, and how to make the proxy hang and forward."""
    cluster, ward, proxy = _cluster(tmp_path, through_proxy=True)
    assert proxy is not None
    try:
        yield ward, proxy.hang, proxy.forward
    finally:
        proxy.close()
        cluster.close()


# -- the hanging link, end to end ---------------------------------------------------------------


def _goes_offline_stays_offline_and_comes_back(
    ward: Ward, hang: Callable[[], None], answer: Callable[[], None]
) -> None:
    hang()
    started = time.monotonic()
    offline = ward.poll_until(
        lambda s: s["state"] == "offline", INTERVAL + DEADLINE + SLACK, "the ward to go offline"
    )
    # The next attempt began within the interval and failed at the read deadline.
    assert time.monotonic() - started <= INTERVAL + DEADLINE + SLACK
    assert "Không kết nối được máy chủ trung tâm" in offline["last_error"]["message"]
    since = offline["offline_since"]
    assert since
    mark = len(ward.seen)

    ward.add_dossier()  # work goes on at the desk; its changes wait
    attempts = {offline["last_attempt_at"]}
    ward.poll_until(
        lambda s: bool(attempts.add(s["last_attempt_at"])) or len(attempts) >= 4,
        3 * (BACKOFF + DEADLINE) + SLACK * 2,
        "three more attempts",
    )
    during = ward.seen[mark:]
    assert len(during) > 20
    assert {s["state"] for s in during} == {"offline"}, [s["state"] for s in during]
    assert {s["offline_since"] for s in during} == {since}
    assert {s["tray"] for s in during} == {"offline"}  # amber, never the syncing arrows
    assert during[-1]["pending_changes"] > 0
    # Retries hang and fail at the read deadline (the first may have been cut in flight).
    assert during[-1]["last_error"]["code"] == "timeout", during[-1]["last_error"]
    latest = tray_state(during[-1], datetime.now(UTC))
    assert latest.colour == AMBER and latest.count == during[-1]["pending_changes"]
    assert latest.tooltip.startswith("Mất kết nối từ ")

    done, took = ward.sync_command()
    # It may first wait for the worker's attempt to end (the sync lock), then makes its own.
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert took <= 2 * DEADLINE + SLACK
    assert "Không kết nối được máy chủ trung tâm" in done.stderr
    assert "quá thời gian chờ" in done.stderr

    mark = len(ward.seen)
    answer()
    back = ward.poll_until(
        lambda s: s["state"] == "synced" and s["pending_changes"] == 0,
        30 + SLACK,
        "the ward synced again",
    )
    after = ward.seen[mark:]
    # "syncing" only once the hub has answered in a run, which clears offline_since.
    assert all(s["offline_since"] is None for s in after if s["state"] == "syncing")
    assert all(s["state"] in ("offline", "syncing", "synced") for s in after)
    assert back["offline_since"] is None and back["last_error"] is None
    assert back["tray"] == "synced"
    assert tray_state(back, datetime.now(UTC)).colour == GREEN


@pytest.mark.slow
def test_a_stopped_hub_reads_as_offline_until_it_answers_again(
    stopped_hub: tuple[Ward, Callable[[], None], Callable[[], None]],
) -> None:
    _goes_offline_stays_offline_and_comes_back(*stopped_hub)


@pytest.mark.slow
def test_a_link_that_accepts_and_never_answers_reads_as_offline_until_it_forwards(
    black_hole: tuple[Ward, Callable[[], None], Callable[[], None]],
) -> None:
    _goes_offline_stays_offline_and_comes_back(*black_hole)


@needs_x
@pytest.mark.slow
def test_the_tray_turns_amber_while_the_hub_hangs_and_green_when_it_answers(
    stopped_hub: tuple[Ward, Callable[[], None], Callable[[], None]],
    display: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    ward, stop, resume = stopped_hub
    desktop = Desktop(display, tmp_path)
    try:
        desktop.start_tray(ward.server.url)
        desktop.wait_icon(GREEN, "hanging-1-synced")
        stop()
        ward.poll_until(lambda s: s["state"] == "offline", INTERVAL + DEADLINE + SLACK, "offline")
        desktop.wait_icon(AMBER, "hanging-2-offline")
        resume()
        ward.poll_until(lambda s: s["state"] == "synced", 30 + SLACK, "synced again")
        desktop.wait_icon(GREEN, "hanging-3-synced-again")
        assert "Traceback" not in desktop.tray_log()
    finally:
        desktop.close()


# -- the transport's deadlines on their own --------------------------------------------------------


def _trickler(part: str) -> tuple[str, threading.Event]:
    """A server that answers one request a byte every 0.3 s: in the head or in the body."""
    listener = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def serve() -> None:
        client, _ = listener.accept()
        client.recv(65536)
        if part == "body":
            head, rest = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", b"x" * 1000
        else:
            head, rest = b"", b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nX-Slow: " + b"a" * 1000
        try:
            client.sendall(head)
            for byte in rest:
                if done.wait(0.3):
                    break
                client.sendall(bytes([byte]))
        except OSError:
            pass
        client.close()
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}", done


@pytest.mark.parametrize("part", ["head", "body"])
def test_an_answer_that_trickles_is_cut_at_the_overall_deadline(part: str) -> None:
    url, done = _trickler(part)
    transport = HttpTransport(url, connect_timeout=1, timeout=1, deadline=2)
    outcome: list[BaseException | bytes] = []

    def post() -> None:
        try:
            outcome.append(transport.post("/sync/v1/pull", b"{}"))
        except BaseException as exc:
            outcome.append(exc)

    started = time.monotonic()
    worker = threading.Thread(target=post, daemon=True)
    worker.start()
    worker.join(2 + SLACK)
    done.set()
    took = time.monotonic() - started
    assert outcome, "the request was still running long past its overall deadline"
    assert isinstance(outcome[0], TransportError) and outcome[0].code == "timeout", outcome
    assert 2 <= took <= 2 + SLACK
    transport.close()


def test_a_hub_that_never_accepts_is_given_up_at_the_connect_deadline() -> None:
    # A listener with a full backlog: the kernel drops further handshakes, as a dead host would.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(filler)
    transport = HttpTransport(
        f"http://127.0.0.1:{port}", connect_timeout=1, timeout=30, deadline=60
    )
    started = time.monotonic()
    try:
        with pytest.raises(TransportError) as caught:
            transport.post("/sync/v1/pull", b"{}")
        took = time.monotonic() - started
    finally:
        transport.close()
        for sock in [*fillers, listener]:
            sock.close()
    assert caught.value.code == "timeout"
    assert 1 <= took < 1 + SLACK  # the connect deadline, not the read one (30 s)


def test_a_hub_that_is_not_running_fails_at_once_as_unreachable() -> None:
    transport = HttpTransport(f"http://127.0.0.1:{free_port()}", connect_timeout=1, timeout=2)
    started = time.monotonic()
    with pytest.raises(TransportError) as caught:
        transport.post("/sync/v1/pull", b"{}")
    transport.close()
    assert caught.value.code == "unreachable"
    assert time.monotonic() - started < 1
