"""The hub side of the fleet benchmark: the store a country's fleet needs (3,321 units, one
token each, 300 directives), a real ``central-hub serve`` process, and what it costs: CPU
seconds and resident memory read from ``/proc``, and the store's size.

Everything is written through the hub's own functions (``reference.edit.put_units``,
``nodes.make_token``, the hub's capture), as the console and ``central-hub enroll`` do.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import requests

from central_hub import nodes
from central_hub.reference import WARDS
from central_hub.reference.edit import put_units
from central_hub.setup import load_keys
from central_hub.store import capture
from sync import Write, new_id

ROOT = Path(__file__).resolve().parent.parent
VISIT_TABLES = ("sync_events", "sync_visits")
TICK = os.sysconf("SC_CLK_TCK")


def fleet_units(n: int) -> list[str]:
    """The codes of ``n`` units: Huế's 27 wards first, then made-up communes (kind ``ward``,
    codes from 30000: above every real GSO code of Huế)."""
    codes = [code for code, _name in WARDS][:n]
    return codes + [str(30000 + i) for i in range(n - len(codes))]


def add_units(conn: sqlite3.Connection, codes: list[str]) -> None:
    """The made-up communes among ``codes`` in the reference data (every ward receives them,
    as it receives any unit)."""
    known = {code for code, _name in WARDS}
    items = [
        {
            "code": code,
            "name": f"UBND xã Thử Nghiệm {code}",
            "kind": "ward",
            "prefix": f"X{code}",
            "valid_from": "2025-07-01",
        }
        for code in codes
        if code not in known
    ]
    if items:
        put_units(conn, items, actor="bench")


def make_tokens(conn: sqlite3.Connection, data: Path, codes: list[str], url: str) -> list[str]:
    """One enrollment token for each unit of ``codes``, as ``central-hub enroll`` makes it."""
    keys = load_keys(data)
    return [
        nodes.make_token(conn, unit=code, name=code, hub_url=url, hub_keys=keys, hours=24)
        for code in codes
    ]


def seed_directives(conn: sqlite3.Connection, codes: list[str], n: int, seed: int) -> int:
    """``n`` directives of the city, each to 5 to 64 of ``codes`` (fewer when the fleet is
    smaller); the number of routed entries they make."""
    rng = random.Random(seed)
    writes, routed = [], 0
    today = date(2026, 12, 7)
    for i in range(n):
        units = rng.sample(codes, min(len(codes), rng.randint(5, 64)))
        routed += len(units)
        record = {
            "id": new_id(),
            "unit": "H57",
            "source_kind": None,
            "source": None,
            "title": f"Triển khai kế hoạch số {i + 1}/KH-UBND về chuyển đổi số",
            "content": "Các đơn vị báo cáo kết quả thực hiện trước thời hạn. " * 4,
            "issued_by": "Nguyễn Văn An",
            "issued_on": today.isoformat(),
            "lead_unit": units[0],
            "units": units,
            "deadline": (today + timedelta(days=rng.randint(5, 60))).isoformat(),
            "priority": rng.choice(["normal", "normal", "high", "urgent"]),
            "status": "assigned",
            "created_by": "admin",
        }
        writes.append(Write("directive", record["id"], "H57", record))
    capture(conn).write_many(writes, actor="admin")
    return routed


def store_size(conn: sqlite3.Connection, engine: str) -> dict[str, int]:
    """The store's bytes in use, the bytes of the visit tables (with their indexes) and their
    rows. SQLite: pages in use, WAL included (the files only grow); PostgreSQL:
    ``pg_database_size`` and ``pg_total_relation_size``."""
    rows = {
        t: int(conn.execute(f"SELECT count(*) AS n FROM {t}").fetchone()["n"]) for t in VISIT_TABLES
    }
    if engine == "sqlite":
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        used = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        total = (used - free) * page
        # Only the b-trees of the visit tables and their indexes are read, not the whole file.
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE tbl_name IN (?, ?)", VISIT_TABLES
            )
        ]
        visit = sum(
            int(
                conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name = ?", (n,)).fetchone()[0]
                or 0
            )
            for n in names
        )
    else:
        total = int(
            conn.execute("SELECT pg_database_size(current_database()) AS n").fetchone()["n"]
        )
        visit = sum(
            int(conn.execute("SELECT pg_total_relation_size(?) AS n", (t,)).fetchone()["n"])
            for t in VISIT_TABLES
        )
    return {"store_bytes": total, "visit_bytes": visit, **{f"{t}_rows": n for t, n in rows.items()}}


def child_env(**extra: str) -> dict[str, str]:
    """The environment of the hub and the generators: this checkout importable, no proxies."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """User and system CPU seconds of process ``pid`` (and of its children it reaped)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICK


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` now, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pss_mb(pid: int) -> float:
    """Proportional memory of ``pid`` in MB: its own pages, and its share of those it shares
    (a database server's backends all map its shared buffers; their RSS would count them
    once each)."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


def tree(pid: int) -> list[int]:
    """``pid`` and its live descendants (a PostgreSQL server's backends)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(parents.get(current, []))
    return found


@dataclass
class Usage:
    """CPU seconds and peak resident memory over a phase."""

    wall_s: float
    cpu_s: float
    rss_peak_mb: float

    def as_dict(self) -> dict[str, float]:
        return {
            "wall_s": round(self.wall_s, 3),
            "cpu_s": round(self.cpu_s, 3),
            "cpu_pct": round(100 * self.cpu_s / max(self.wall_s, 1e-9), 1),
            "rss_peak_mb": round(self.rss_peak_mb, 1),
        }


class Watch:
    """The CPU and the peak resident memory of a process (or of its whole tree, for a database
    server whose backends come and go: their proportional memory, shared buffers counted once)
    between :meth:`start` and :meth:`stop`, memory sampled every 0.2 s on a thread."""

    def __init__(self, pid: int, *, whole_tree: bool = False) -> None:
        self.pid, self.whole_tree = pid, whole_tree

    def _cpu(self) -> float:
        if not self.whole_tree:
            return cpu_seconds(self.pid)
        total = cpu_seconds(self.pid, children=True)
        for pid in tree(self.pid)[1:]:
            try:
                total += cpu_seconds(pid)
            except OSError:  # ended meanwhile: its parent counts it once reaped
                pass
        return total

    def _rss(self) -> float:
        if not self.whole_tree:
            return rss_mb(self.pid)
        total = 0.0
        for pid in tree(self.pid):
            try:
                total += pss_mb(pid)
            except OSError:  # ended meanwhile
                pass
        return total

    def start(self) -> None:
        self._t0, self._cpu0, self._peak = time.monotonic(), self._cpu(), self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            try:
                self._peak = max(self._peak, self._rss())
            except OSError:
                return

    def stop(self) -> Usage:
        self._stop.set()
        self._thread.join(5)
        return Usage(time.monotonic() - self._t0, self._cpu() - self._cpu0, self._peak)


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine spent busy since boot (``/proc/stat``)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and waiting for the disk
    return (sum(fields[:8]) - idle) / TICK


class MachineWatch(Watch):
    """The whole machine's busy CPU over a phase: the hub, the database and the generators,
    and whatever else runs on the machine meanwhile (other people's work on a shared one)."""

    def __init__(self) -> None:
        super().__init__(0)

    def _cpu(self) -> float:
        return machine_busy_seconds()

    def _rss(self) -> float:
        return 0.0


class HubProcess:
    """``central-hub serve`` on ``port`` for the store in ``data`` (and ``database_url``)."""

    def __init__(self, data: Path, port: int, env: dict[str, str]) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.log = data.parent / f"hub-{port}.log"
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "central_hub",
                    "serve",
                    "--data",
                    str(data),
                    "--port",
                    str(port),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=str(ROOT),
            )
        deadline = time.monotonic() + 60
        while not self._healthy():
            if self.proc.poll() is not None:
                raise SystemExit(f"the hub exited: {self.log.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"the hub did not start within 60 s (log {self.log})")
            time.sleep(0.1)

    def _healthy(self) -> bool:
        try:
            return requests.get(self.url + "/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
