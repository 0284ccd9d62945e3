"""The hub's database engines as the fleet benchmark runs them: SQLite in the data folder (the
default), and PostgreSQL started for real by ``tests/support/postgres.py`` with its default
durability (a commit waits for the disk, as SQLite's ``synchronous=FULL`` does), the hub
pointed at it by ``CENTRAL_HUB_DATABASE_URL`` and the benchmark's own writes by
``central_hub.store.use_database`` (docs/operations.md, "PostgreSQL")."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from bench.fleet_hub import MachineWatch, Watch
from central_hub.setup import init_hub
from central_hub.store import close_all, open_store, use_database
from tests.support.cluster import free_port

HUB_NAME = "Máy chủ đo tải đội nút"
DATABASE_URL = "CENTRAL_HUB_DATABASE_URL"


class Engine:
    """SQLite: the store is a file in the hub's data folder."""

    name = "sqlite"

    def __enter__(self) -> Engine:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    url = ""  # the SQLite file, whatever this process's environment says

    def init(self, data: Path) -> None:
        """A new hub in ``data`` (``central-hub init``), its store on this engine."""
        use_database(data, self.url)
        init_hub(data, name=HUB_NAME)

    @contextmanager
    def store(self, data: Path) -> Iterator[sqlite3.Connection]:
        """The hub's store, opened as its commands open it."""
        conn = open_store(data)
        try:
            yield conn
        finally:
            conn.close()

    def env(self) -> dict[str, str]:
        """What the hub's process needs in its environment to use this engine."""
        return {DATABASE_URL: self.url}

    def free_port(self) -> int:
        return free_port()

    def watches(self, hub_pid: int) -> dict[str, Watch]:
        """What to measure over a phase: the hub's process (and the database server's)."""
        return {"hub": Watch(hub_pid), "machine": MachineWatch()}


class PostgresEngine(Engine):
    """PostgreSQL 15 or later from Debian's packages, a fresh cluster for the run."""

    name = "postgresql"

    def __enter__(self) -> Engine:
        from tests.support.postgres import postgres_server

        self._stack = ExitStack()
        self.server = self._stack.enter_context(postgres_server(durable=True))
        self.url = self.server.database("fleet")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        close_all()  # this process's pool, before its server stops
        self._stack.close()

    def watches(self, hub_pid: int) -> dict[str, Watch]:
        pid_file = self.server.folder / "data" / "postmaster.pid"
        postmaster = int(pid_file.read_text().split()[0])
        return {
            "hub": Watch(hub_pid),
            "db": Watch(postmaster, whole_tree=True),
            "machine": MachineWatch(),
        }


def engines(names: list[str]) -> list[Engine]:
    """The engines named (``sqlite``, ``postgresql``), in that order."""
    known: dict[str, Any] = {"sqlite": Engine, "postgresql": PostgresEngine}
    unknown = [n for n in names if n.strip() not in known]
    if unknown:
        raise SystemExit(f"unknown engine {unknown[0]!r}: choose among {', '.join(known)}")
    return [known[n.strip()]() for n in names]
