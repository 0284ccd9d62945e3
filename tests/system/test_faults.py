"""Fault injection: the proxy does each fault it claims, and seeded scenarios (a hub and wards
as real processes, faults of every kind while clerks and an administrator write) end with
nothing lost and every replica equal to the hub. The long variant: ``bench/bench_faults.py``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from tests.faults.proxy import KINDS, FaultConfig, FaultProxy
from tests.faults.scenario import enroll, run_scenario
from tests.support import Cluster, query, run, wait_until
from ward_node.dossiers import Dossiers
from ward_node.store import load_clock, open_store
from webapp import User

pytestmark = pytest.mark.slow


class Upstream:
    """A tiny HTTP server standing in for the hub: counts whole requests, echoes the body."""

    def __init__(self) -> None:
        self.complete = 0
        self.connection_headers: list[str | None] = []
        self.lock = threading.Lock()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers["Content-Length"])
                body = self.rfile.read(length)
                if len(body) < length:
                    return  # the proxy cut the request: nothing to answer
                with upstream.lock:  # a concurrent duplicate runs two handlers at once
                    upstream.complete += 1
                    upstream.connection_headers.append(self.headers.get("Connection"))
                answer = b"echo:" + body
                self.send_response(200)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,))

    def __enter__(self) -> Upstream:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    with Upstream() as server:
        yield server


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.trust_env = False
        yield s


BODY = b"x" * 20_000


def _only(kind: str) -> FaultConfig:
    return FaultConfig(**{k: float(k == kind) for k in KINDS})


def test_clean_proxy_forwards_each_request_on_its_own_connection(
    upstream: Upstream, session: requests.Session
) -> None:
    with FaultProxy(upstream.port, seed=1) as proxy:
        for _ in range(3):  # the session would reuse a kept-alive connection: the proxy closes
            resp = session.post(proxy.url + "/sync/v1/push", data=BODY, timeout=5)
            assert resp.content == b"echo:" + BODY
        proxy.set_faulty(True)  # faulty with every probability at zero: still clean
    assert upstream.complete == 3
    assert upstream.connection_headers == ["close"] * 3
    assert proxy.requests == 3 and sum(proxy.snapshot().values()) == 0


@pytest.mark.parametrize(
    ("kind", "reaches_hub", "answered"),
    [
        ("drop", 0, False),
        ("cut_request", 0, False),
        ("cut_response", 1, False),
        ("duplicate", 2, True),
        ("delay", 1, True),
        ("replay", 2, True),  # the only earlier request is this one
    ],
)
def test_each_fault_does_what_it_says(
    upstream: Upstream, session: requests.Session, kind: str, reaches_hub: int, answered: bool
) -> None:
    with FaultProxy(upstream.port, seed=7, config=_only(kind)) as proxy:
        proxy.set_faulty(True)
        try:
            resp = session.post(proxy.url + "/sync/v1/push", data=BODY, timeout=5)
            got = resp.content
        except requests.RequestException:
            got = None
        wait_until(lambda: upstream.complete >= reaches_hub, 5, interval=0.02)
    assert (got == b"echo:" + BODY) is answered
    assert upstream.complete == reaches_hub
    assert proxy.snapshot()[kind] == 1


def test_a_hang_reads_requests_and_answers_none_until_released(
    upstream: Upstream, session: requests.Session
) -> None:
    with FaultProxy(upstream.port, seed=1) as proxy:
        proxy.hang()
        with pytest.raises(requests.Timeout):
            session.post(proxy.url + "/x", data=b"1", timeout=(2, 0.5))
        assert upstream.complete == 0  # the hub never saw it
        proxy.release()
        assert session.post(proxy.url + "/x", data=b"1", timeout=5).content == b"echo:1"


def test_partition_refuses_connections_then_heals_on_the_same_port(
    upstream: Upstream, session: requests.Session
) -> None:
    with FaultProxy(upstream.port, seed=1) as proxy:
        port = proxy.port
        proxy.go_down()
        with pytest.raises(requests.ConnectionError):
            session.post(proxy.url + "/x", data=b"1", timeout=5)
        proxy.come_up()
        assert proxy.port == port
        assert session.post(proxy.url + "/x", data=b"1", timeout=5).content == b"echo:1"


@pytest.mark.parametrize("seed", [1, 2])
def test_seeded_faults_lose_nothing_and_replicas_converge(tmp_path: Path, seed: int) -> None:
    result = run_scenario(tmp_path, seed, size=40, wards=2)
    report = result.report()
    assert result.changes_lost == 0, report
    assert result.replicas_diverged == 0, report
    assert result.ok, report
    proxy_kinds = [k for k in KINDS if result.faults[k]]
    assert len(proxy_kinds) >= 3, f"too few kinds of network fault injected\n{report}"
    for kind in ("partition", "hang", "ward_kill", "hub_kill", "restore"):
        assert result.faults[kind] >= 1, f"no {kind} injected\n{report}"
    assert result.codes_reused == 0, report
    assert result.changes_written >= 80, report


def test_push_whose_answer_was_lost_does_not_wedge_a_smaller_chunk(tmp_path: Path) -> None:
    """Found by seed 1: a push of every pending change commits at the hub but its answer is
    cut; the next push, with a smaller chunk (another process, a changed SYNC_CHUNK), is
    acknowledged up to the whole earlier push. The node must take that, not stop in
    'ack_mismatch' with its changes pending forever."""
    cluster = Cluster(tmp_path)
    cluster.start_hub()
    proxy = FaultProxy(cluster.hub_port, seed=3, config=_only("cut_response")).start()
    try:
        data = enroll(cluster, "19786", proxy.url)
        conn = open_store(data)
        try:
            service = Dossiers(conn, load_clock(conn))
            for name in ("Nguyễn Văn Đức", "Trần Thị Thuỷ", "Lê Văn Hoà", "Phạm Thị Đào"):
                service.receive(
                    {"procedure_code": "1.001193", "applicant": {"full_name": name}},
                    User("canbo", "officer", "Lê Thị Thu Hà"),
                )
        finally:
            conn.close()
        proxy.set_faulty(True)
        lost_answer = run("ward_node", "sync", "--data", str(data), check=False)
        assert lost_answer.returncode == 2, lost_answer.stderr  # unreachable: answer cut
        hub_db = cluster.hub_data / "hub.sqlite3"
        assert query(hub_db, "SELECT last_seq FROM nodes") == [(8,)]  # yet all committed

        proxy.set_clean()
        again = run("ward_node", "sync", "--data", str(data), check=False, WARD_NODE_SYNC_CHUNK="3")
        assert again.returncode == 0, again.stderr
        assert query(data / "node.sqlite3", "SELECT value FROM meta WHERE key = 'acked_seq'") == [
            ("8",)
        ]
        origin = query(data / "node.sqlite3", "SELECT value FROM meta WHERE key = 'node_id'")
        seqs = query(
            hub_db, "SELECT seq FROM journal WHERE origin = ? ORDER BY seq", origin[0][0].strip('"')
        )
        assert [s for (s,) in seqs] == list(range(1, 9))
    finally:
        cluster.close()
        proxy.stop()
