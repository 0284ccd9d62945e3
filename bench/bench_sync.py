"""End-to-end sync of N dossier changes from a ward node to the hub over loopback HTTP.

Prints changes per second, bytes on the wire per change, HTTP requests per 1,000 changes,
peak memory of the node and of the hub, and, in the same run, a raw baseline: the same rows
inserted with ``executemany`` into a bare SQLite file. PouchDB's replication of comparable
documents on a 2-core machine (about 2,500 docs/s, 825 bytes per doc on the wire, 4 requests
per 100 docs) is printed beside for scale.

    python bench/bench_sync.py [--changes 10000] [--chunk 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench.common import dossier_rows, flat  # noqa: E402
from central_hub import nodes  # noqa: E402
from central_hub.setup import init_hub, load_keys  # noqa: E402
from central_hub.store import open_store as open_hub  # noqa: E402
from sync import SyncReport, Write, atomic, connect  # noqa: E402
from ward_node.store import capture, load_clock, open_store  # noqa: E402
from ward_node.sync_link import init_node, run_sync  # noqa: E402

POUCHDB = {"changes_per_s": 2500, "bytes_per_change": 825, "requests_per_1000": 40}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env() -> dict[str, str]:
    out = dict(os.environ)
    out["PYTHONPATH"] = str(ROOT) + os.pathsep + out.get("PYTHONPATH", "")
    return out


def peak_rss_mb(pid: int) -> float:
    """VmHWM (peak resident memory) of a running process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def fill(data: Path, n: int, batch: int = 5000) -> None:
    """Write n dossier records through the node's write path (not timed)."""
    conn = open_store(data)
    writer = capture(conn, load_clock(conn))
    rows = None
    for start in range(0, n, batch):
        rows = dossier_rows(min(batch, n - start), seed=start)
        writer.write_many([Write("dossier", r["id"], r["unit"], r) for r in rows], actor="canbo")
    conn.close()


def baseline(n: int, folder: Path, batch: int = 5000) -> float:
    conn = connect(folder / "raw.db")
    cols = None
    start_total = 0.0
    for start in range(0, n, batch):
        rows = [flat(r) for r in dossier_rows(min(batch, n - start), seed=start)]
        if cols is None:
            cols = list(rows[0])
            conn.execute(
                f"CREATE TABLE dossier ({', '.join(c + (' PRIMARY KEY' if c == 'id' else '') for c in cols)})"
            )
        sql = f"INSERT INTO dossier ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        params = [[r[c] for c in cols] for r in rows]
        t = time.perf_counter()
        with atomic(conn):
            conn.executemany(sql, params)
        start_total += time.perf_counter() - t
    conn.close()
    return n / start_total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=5000)
    args = parser.parse_args()
    n = args.changes
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        hub_data, ward = root / "hub", root / "ward"
        init_hub(hub_data, name="bench")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        hub = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "central_hub",
                "serve",
                "--data",
                str(hub_data),
                "--port",
                str(port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env(),
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if requests.get(url + "/healthz", timeout=1).ok:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("hub did not start")
                time.sleep(0.1)
            conn = open_hub(hub_data)
            token = nodes.make_token(
                conn, unit="19786", name="19786", hub_url=url, hub_keys=load_keys(hub_data), hours=1
            )
            conn.close()
            init_node(ward, unit="19786", hub_url=url, token=token)
            run_sync(ward)  # reference data first, as `ward-node init` does
            hub_before = peak_rss_mb(hub.pid)
            t = time.perf_counter()
            fill(ward, n)
            fill_s = time.perf_counter() - t
            child = subprocess.Popen(
                [
                    sys.executable,
                    str(ROOT / "bench" / "node_sync_child.py"),
                    str(ward),
                    str(args.chunk),
                ],
                stdout=subprocess.PIPE,
                env=env(),
            )
            out = child.stdout.read() if child.stdout else b""
            _pid, status, usage = os.wait4(child.pid, 0)
            if status != 0:
                raise SystemExit(f"node sync failed ({status})")
            figures = json.loads(out.decode().strip().splitlines()[-1])
            hub_peak = peak_rss_mb(hub.pid)
        finally:
            hub.terminate()
            hub.wait(30)
        raw = baseline(n, root)
    pushed = figures["pushed"]
    rate = pushed / figures["seconds"]
    wire = (figures["bytes_sent"] + figures["bytes_received"]) / pushed
    per_1000 = figures["requests"] * 1000 / pushed
    node_mb = usage.ru_maxrss / 1024
    print(
        f"end-to-end sync, {pushed:,} dossier changes ward → hub over loopback HTTP, chunks of {args.chunk}"
    )
    print(f"  written through the node's write path beforehand in {fill_s:.1f} s (not counted)")
    print(f"  sync time:                 {figures['seconds']:.2f} s")
    print(
        f"  changes per second:        {rate:>10,.0f}   (PouchDB ~{POUCHDB['changes_per_s']:,}; x{rate / POUCHDB['changes_per_s']:.1f})"
    )
    print(
        f"  bytes on the wire/change:  {wire:>10,.1f}   (PouchDB ~{POUCHDB['bytes_per_change']}; 1/{POUCHDB['bytes_per_change'] / wire:.1f})"
    )
    print(
        f"  HTTP requests/1,000:       {per_1000:>10,.2f}   (PouchDB ~{POUCHDB['requests_per_1000']})"
    )
    print(f"  node peak memory:          {node_mb:>10,.0f} MB")
    print(f"  hub peak memory:           {hub_peak:>10,.0f} MB   (at start {hub_before:.0f} MB)")
    print(
        f"  raw executemany baseline:  {raw:>10,.0f} rows/s   ratio {raw / rate:.1f}x faster than the sync"
    )
    _ = SyncReport


if __name__ == "__main__":
    main()
