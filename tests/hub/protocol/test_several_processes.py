"""Several hub processes on one store (docs/sync.md, "Several hub processes"): administrators
write through every process while wards push and pull through whichever process answers, and
no pull skips a journal entry, and every push is applied once, in order.

The trap this guards against: journal positions taken by concurrent transactions that commit
out of order, so that a reader whose cursor has passed a position never sees the entry that
commits there later. The hub's writers are serialized (one advisory lock on PostgreSQL, SQLite's
single writer on a file), so positions commit in order; this test would catch a change that
broke it, on both engines (tests/hub/conftest.py).
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import pytest
import requests

from central_hub import nodes
from central_hub.setup import load_keys
from central_hub.store import open_store as open_hub
from sync import HttpTransport, NodeSync, SyncReport
from tests.support import receive_dossiers, synced_session, token
from tests.support.cluster import Cluster, Server, free_port
from tests.support.hubstore import hub_query
from ward_node.sync_link import init_node

UNITS = ("19786", "19744", "19750", "19753")
DOCUMENTS_PER_WRITER = 12
ROUNDS = 10


class AnyProcess(HttpTransport):
    """A transport that sends each request to one of the hub's processes, chosen at random:
    a reverse proxy spreading a node's requests."""

    def __init__(self, urls: list[str], seed: int) -> None:
        super().__init__(urls[0])
        self.urls = urls
        self.random = random.Random(seed)
        self.bodies: list[tuple[str, bytes]] = []

    def post(self, path: str, body: bytes) -> bytes:
        self.base_url = self.random.choice(self.urls)
        self.bodies.append((path, body))
        return super().post(path, body)


def _post(url: str, *, body: bytes) -> requests.Response:
    return requests.post(url + "/sync/v1/push", data=body, timeout=60)


def _ward(cluster: Cluster, unit: str, urls: list[str], seed: int) -> NodeSync:
    conn = open_hub(cluster.hub_data)
    try:
        enrollment = nodes.make_token(
            conn,
            unit=unit,
            name=unit,
            hub_url=urls[0],
            hub_keys=load_keys(cluster.hub_data),
            hours=1,
        )
    finally:
        conn.close()
    data = cluster.root / f"ward-{unit}"
    transport = AnyProcess(urls, seed)
    init_node(data, unit=unit, hub_url=urls[0], token=enrollment, transport=transport)
    # Synced once (the catalogue first, as `ward-node init` leaves the node), chunks of 3.
    session, _store = synced_session(data, transport)  # type: ignore[arg-type]
    return session


@pytest.mark.slow
def test_no_pull_skips_an_entry_and_pushes_apply_once_in_order_across_processes(
    tmp_path: Path,
) -> None:
    cluster = Cluster(tmp_path)
    servers: list[Server] = []
    try:
        servers.append(cluster.start_hub())
        for _ in range(2):
            servers.append(
                Server(
                    "central_hub",
                    cluster.hub_data,
                    free_port(),
                    **cluster.hub_env(),
                    CENTRAL_HUB_SMS_INTERVAL="0",
                )
            )
        urls = [s.url for s in servers]
        wards = {unit: _ward(cluster, unit, urls, seed) for seed, unit in enumerate(UNITS)}
        headers = [token(url, "admin") for url in urls]
        sent: dict[str, set[str]] = {unit: set() for unit in UNITS}
        sent_lock = threading.Lock()
        writing = threading.Event()
        writing.set()

        def write(writer: int) -> None:
            chooser = random.Random(100 + writer)
            for n in range(DOCUMENTS_PER_WRITER):
                process = writer % len(urls)
                units = chooser.sample(UNITS, chooser.randint(1, len(UNITS)))
                resp = requests.post(
                    urls[process] + "/api/v1/documents",
                    headers=headers[process],
                    json={
                        "doc_type": "Công văn",
                        "summary": f"Văn bản {writer}-{n}",
                        "units": units,
                    },
                    timeout=60,
                )
                assert resp.status_code == 201, resp.text
                with sent_lock:
                    for unit in units:
                        sent[unit].add(resp.json()["id"])

        def work(unit: str) -> None:
            session = wards[unit]
            for round_ in range(ROUNDS):
                receive_dossiers(session.conn, 2)
                session.push(SyncReport())
                session.pull(SyncReport())
                if round_ % 3 == 0:
                    # A push sent twice at once, to two processes: a retry racing its original.
                    body = [b for p, b in session.transport.bodies if p.endswith("/push")][-1]
                    with ThreadPoolExecutor(2) as pool:
                        answers = list(pool.map(partial(_post, body=body), urls[:2]))
                    assert all(a.status_code in (200, 409) for a in answers), answers

        with ThreadPoolExecutor(len(urls) * 2 + len(UNITS)) as pool:
            writers = [pool.submit(write, w) for w in range(len(urls) * 2)]
            workers = [pool.submit(work, unit) for unit in UNITS]
            for future in writers + workers:
                future.result()

        for unit, session in wards.items():
            for _ in range(20):
                report = SyncReport()
                session.push(report)
                session.pull(report)
                if not report.pulled and not report.pushed:
                    break
            received = {r[0] for r in session.conn.execute("SELECT id FROM document")}
            assert sent[unit] <= received, f"{unit} never received {sent[unit] - received}"
            routed = {
                r[0]
                for r in hub_query(
                    cluster.hub_data,
                    "SELECT j.id FROM journal j JOIN routes r ON r.jseq = j.jseq "
                    "WHERE r.unit = ? AND j.type = 'document'",
                    unit,
                )
            }
            assert routed == sent[unit]

            node_id = session.node_id
            seqs = [
                r[0]
                for r in hub_query(
                    cluster.hub_data,
                    "SELECT seq FROM journal WHERE origin = ? ORDER BY jseq",
                    node_id,
                )
            ]
            # Every change of the ward once, in the order it wrote them.
            assert seqs == list(range(1, len(seqs) + 1))
            assert seqs and seqs[-1] == session.log.tip()[0]
    finally:
        for server in servers[1:]:
            server.stop()
        cluster.close()
