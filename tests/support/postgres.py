"""A real PostgreSQL server for the tests and benchmarks: Debian's ``postgresql`` package, a
fresh cluster in a temporary folder on a free loopback port, stopped at the end.

``initdb`` refuses to run as root, and CI runs as root: the cluster then belongs to the
``postgres`` user that Debian's package creates, and its commands run as that user. The
cluster uses the C collation, as the hub requires (docs/operations.md, "PostgreSQL").
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from pathlib import Path

from tests.support.cluster import free_port

_names = count(1)


def pg_bin() -> Path | None:
    """Debian's PostgreSQL programs (the newest installed), or ``None``."""
    root = Path("/usr/lib/postgresql")
    found = sorted(
        (p for p in root.glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return found[-1] if found else None


def _as_owner(args: list[str], owner: str | None) -> list[str]:
    return args if owner is None else ["runuser", "-u", owner, "--", *args]


class PostgresServer:
    """One running cluster; :meth:`database` makes a fresh, empty database on it."""

    def __init__(self, folder: Path, port: int, owner: str | None, bindir: Path) -> None:
        self.folder, self.port, self.owner, self.bindir = folder, port, owner, bindir

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def database(self, prefix: str = "hub", *, template: str = "") -> str:
        """A new database, empty or a copy of the database ``template`` (a URL of this server,
        which nobody may be connected to); its URL."""
        import psycopg

        name = f"{prefix}_{os.getpid()}_{next(_names)}"
        source = template.rsplit("/", 1)[1] if template else "template0"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(
                f"CREATE DATABASE \"{name}\" TEMPLATE \"{source}\" LOCALE 'C' ENCODING 'UTF8'"
            )
        return self.url(name)

    def names(self) -> list[str]:
        """The databases made on this server (the cluster's own excluded)."""
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT datname FROM pg_database WHERE datname NOT IN "
                "('postgres', 'template0', 'template1') ORDER BY datname"
            ).fetchall()
        return [row[0] for row in rows]

    def drop(self, url: str) -> None:
        """Drop the database behind ``url`` (closing whatever still holds it)."""
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def postgres_server(*, durable: bool = False) -> Iterator[PostgresServer]:
    """Start a throwaway cluster; stop it and remove its folder at the end. Tests run it
    without fsync; ``durable`` keeps PostgreSQL's defaults (a commit waits for the disk), as
    a benchmark beside SQLite's ``synchronous=FULL`` must.

    Raises ``RuntimeError`` when Debian's PostgreSQL is not installed (``apt-get install -y
    postgresql``; ``make sysdeps`` does it)."""
    bindir = pg_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed: apt-get install -y postgresql")
    owner = "postgres" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="wardsync-pg-"))
    if owner is not None:
        entry = pwd.getpwnam(owner)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    data = folder / "data"
    port = free_port()
    run = {"check": True, "capture_output": True, "text": True, "timeout": 120}
    subprocess.run(
        _as_owner(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--locale=C",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            owner,
        ),
        **run,  # type: ignore[call-overload]
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=300"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    subprocess.run(
        _as_owner(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(folder / "server.log"),
                "-w",
                "start",
            ],
            owner,
        ),
        **run,  # type: ignore[call-overload]
    )
    try:
        yield PostgresServer(folder, port, owner, bindir)
    finally:
        subprocess.run(
            _as_owner(
                [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], owner
            ),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(folder, ignore_errors=True)
