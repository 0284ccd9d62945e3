"""The hub's pull handler on one core: real sealed pulls from enrolled nodes, served by the hub's
Flask app in-process (no HTTP server, so the figure is the handler's own), on a real store.

Nodes enroll through the real protocol and take the reference data; then each sends pulls
sealed in advance (so the nodes' own crypto is not timed): empty ones (asked from the tip of
the journal, what a fleet polling every 30 s sends) and ones that bring ``--entries`` entries
(asked from that far back). Prints pulls per second, the write transactions each pull opened
(``BEGIN`` statements on the hub's connections) and, with ``--profile``, where the time went.
Wall time includes the disk's flushes (the store commits with ``synchronous=FULL``); the
figure per second of CPU is what the process itself spent.

    python bench/bench_pull.py [--nodes 10] [--pulls 2000] [--entries 5] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import pstats
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path.cwd()))

from central_hub import create_app as create_hub  # noqa: E402
from central_hub import nodes  # noqa: E402
from central_hub.settings import SETTINGS  # noqa: E402
from central_hub.setup import init_hub, load_keys  # noqa: E402
from central_hub.store import open_store as open_hub  # noqa: E402
from sync import HttpTransport, KeyPair, NodeSync, Replica, SyncReport, get_meta  # noqa: E402
from ward_node.store import identity, load_clock, open_store  # noqa: E402
from ward_node.sync_link import init_node  # noqa: E402

UNIT = "19786"


class _Reply:
    def __init__(self, resp: Any) -> None:
        self.status_code, self.content, self.headers = resp.status_code, resp.data, resp.headers
        self._json = resp.get_json(silent=True)

    def json(self) -> Any:
        if self._json is None:
            raise ValueError("not json")
        return self._json


class InProcess(HttpTransport):
    """Posts to the hub's Flask test client instead of a socket."""

    def __init__(self, client: Any) -> None:
        super().__init__("http://hub.bench")
        self.client = client

    def post(self, path: str, body: bytes) -> bytes:
        return self._check(_Reply(self.client.post(path, data=body)))

    def get_json(self, path: str) -> Any:
        return self.client.get(path).get_json()


def enroll(root: Path, client: Any, n: int) -> list[NodeSync]:
    """``n`` nodes of one ward enrolled and synced once, as sessions."""
    sessions = []
    for i in range(n):
        conn = open_hub(root / "hub")
        token = nodes.make_token(
            conn,
            unit=UNIT,
            name=UNIT,
            hub_url="http://hub.bench",
            hub_keys=load_keys(root / "hub"),
            hours=1,
        )
        conn.close()
        data = root / f"node{i}"
        transport = InProcess(client)
        init_node(data, unit=UNIT, hub_url="http://hub.bench", token=token, transport=transport)
        store = open_store(data)
        ident = identity(store)
        session = NodeSync(
            store,
            node_id=ident.node_id,
            keys=KeyPair.load(data / "keys"),
            hub=ident.hub,
            replica=Replica(store),
            clock=load_clock(store),
            transport=transport,
            chunk=5000,
        )
        session.pull(SyncReport())
        sessions.append(session)
    return sessions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=10)
    parser.add_argument("--pulls", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    begins = [0]
    # The hub's connections are opened by its store's engine (kept between requests); a
    # release before it opened one per request in webapp.site.
    try:
        module = importlib.import_module("central_hub.store.engine")
        name = "sqlite_connect"
    except ImportError:
        module, name = importlib.import_module("webapp.site"), "connect"
    real_connect = getattr(module, name)

    def traced(path: Any, **options: Any) -> sqlite3.Connection:
        conn = real_connect(path, **options)
        conn.set_trace_callback(
            lambda sql: begins.__setitem__(0, begins[0] + sql.lstrip().upper().startswith("BEGIN"))
        )
        return conn

    setattr(module, name, traced)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        init_hub(root / "hub", name="Hub đo")
        # Admission control off (the loop is sequential anyway); a hub without it has none.
        config = {"DATA": str(root / "hub")}
        if any(name == "MAX_INFLIGHT" for name, _default, _help in SETTINGS):
            config["MAX_INFLIGHT"] = -1
        client = create_hub(config).test_client()
        sessions = enroll(root, client, args.nodes)
        tip = int(get_meta(sessions[0].conn, "pull_cursor", 0))
        for label, cursor in (("empty", tip), (f"{args.entries} entries", tip - args.entries)):
            bodies = [sessions[i % len(sessions)].pull_envelope(cursor) for i in range(args.pulls)]
            begins[0] = 0
            profile = cProfile.Profile() if args.profile else None
            started, cpu = time.perf_counter(), time.process_time()
            if profile:
                profile.enable()
            for body in bodies:
                resp = client.post("/sync/v1/pull", data=body)
                assert resp.status_code == 200, resp.data[:200]
            if profile:
                profile.disable()
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            print(
                f"{label:>12}: {args.pulls / elapsed:5.0f} pulls/s "
                f"({args.pulls / cpu:.0f} a second of CPU), "
                f"{1000 * elapsed / args.pulls:.2f} ms a pull, "
                f"{begins[0] / args.pulls:.2f} write transactions a pull"
            )
            if profile:
                stats = pstats.Stats(profile)
                stats.sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
