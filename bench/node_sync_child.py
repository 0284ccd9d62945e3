"""Child process of bench_sync.py: one full sync of a ward node, with the bytes and requests
it puts on the wire counted at the HTTP layer. Prints one JSON line of figures."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sync import HttpTransport, KeyPair, NodeSync, Replica  # noqa: E402
from ward_node.store import identity, load_clock, open_store  # noqa: E402


class CountingTransport(HttpTransport):
    """Counts request and response bodies (what the envelope protocol puts on the wire)."""

    def __init__(self, url: str) -> None:
        super().__init__(url, timeout=600)
        self.sent = self.received = self.requests = 0

    def post(self, path: str, body: bytes) -> bytes:
        reply = super().post(path, body)
        self.requests += 1
        self.sent += len(body)
        self.received += len(reply)
        return reply


def main() -> None:
    data = Path(sys.argv[1])
    chunk = int(sys.argv[2])
    conn = open_store(data)
    ident = identity(conn)
    transport = CountingTransport(ident.hub.url)
    session = NodeSync(
        conn,
        node_id=ident.node_id,
        keys=KeyPair.load(data / "keys"),
        hub=ident.hub,
        replica=Replica(conn),
        clock=load_clock(conn),
        transport=transport,
        chunk=chunk,
    )
    start, cpu = time.perf_counter(), time.process_time()
    report = session.run()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        json.dumps(
            {
                "pushed": report.pushed,
                "pulled": report.pulled,
                "seconds": elapsed,
                "cpu_seconds": cpu,
                "requests": transport.requests,
                "bytes_sent": transport.sent,
                "bytes_received": transport.received,
            }
        )
    )


if __name__ == "__main__":
    main()
