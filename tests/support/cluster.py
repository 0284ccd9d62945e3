"""The cluster factory: a real hub and ward node processes on loopback ports, driven through
their CLIs, for the tests where a process boundary is what is tested (integration, faults,
kill -9, upgrades, browser tests against served pages)."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from tests.support.users import PASSWORD, add_ward_user
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env(**extra: str) -> dict[str, str]:
    """The environment for child processes: the repo importable, no proxies."""
    base = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    base["PYTHONPATH"] = str(ROOT) + os.pathsep + base.get("PYTHONPATH", "")
    base.update(extra)
    if not base.get("CENTRAL_HUB_DATABASE_URL", "x"):
        # No database: the variable unset, not empty (a release before 0.2.0 refuses a
        # setting it does not know).
        del base["CENTRAL_HUB_DATABASE_URL"]
    return base


def run(
    module: str, *args: str, stdin: str | None = None, check: bool = True, **extra: str
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m module args`` to completion."""
    child_env = env(**extra)
    result = subprocess.run(
        [sys.executable, "-m", module, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=child_env,
        cwd=code_dir(child_env),
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{module} {args} failed ({result.returncode}): {result.stderr}")
    return result


def code_dir(child_env: dict[str, str]) -> str:
    """Where a child runs: the first folder of its ``PYTHONPATH`` (this checkout, or another
    release's source), since ``python -m`` imports from its working folder first."""
    return child_env["PYTHONPATH"].split(os.pathsep)[0] or str(ROOT)


class Server:
    """A server process (hub or ward node) on a loopback port."""

    def __init__(
        self, module: str, data: Path, port: int, *extra_args: str, **extra_env: str
    ) -> None:
        self.module, self.data, self.port = module, data, port
        self.url = f"http://127.0.0.1:{port}"
        self.log = data.parent / f"{data.name}-{port}.log"
        child_env = env(**extra_env)
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    module,
                    "serve",
                    "--data",
                    str(data),
                    "--port",
                    str(port),
                    *extra_args,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=child_env,
                cwd=code_dir(child_env),
            )
        wait_until(self.healthy, 30, what=f"{module} on {port} (log {self.log})")

    def healthy(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.module} exited: {self.log.read_text()[-2000:]}")
        try:
            return requests.get(self.url + "/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def stop(self) -> None:
        """Terminate gracefully (SIGTERM), then kill if it lingers."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def kill(self) -> None:
        """SIGKILL, as a power cut or an impatient user would."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def code_env(code: Path | None) -> dict[str, str]:
    """The environment that runs the release whose source is in ``code`` (another release,
    built by a test) instead of this checkout; nothing for this checkout."""
    return {} if code is None else {"PYTHONPATH": str(code)}


class Cluster:
    """A hub and ward nodes in folders under ``root``, driven through their real CLIs.

    ``hub_code`` (and ``code`` of :meth:`enroll` and :meth:`start_ward`) names the source
    folder of another release to run instead of this checkout (tests/system/test_compat.py); change
    ``hub_code`` to upgrade the hub in place.

    The hub's store is the PostgreSQL database ``database_url`` names when it is given, else
    the one ``CENTRAL_HUB_DATABASE_URL`` names as the cluster is made (tests/hub/conftest.py
    sets it for the tests on PostgreSQL), else its SQLite file; every hub command of the
    cluster, and this process's reads of the hub's store (tests/support/hubstore.py), use it."""

    def __init__(
        self, root: Path, *, hub_code: Path | None = None, database_url: str | None = None
    ) -> None:
        self.root = root
        self.hub_code = hub_code
        self.hub_data = root / "hub"
        if database_url is None:
            database_url = os.environ.get("CENTRAL_HUB_DATABASE_URL", "")
        self.database_url = database_url
        if database_url:
            from central_hub.store import use_database

            use_database(self.hub_data, database_url)
        self.hub_port = free_port()
        self.hub_url = f"http://127.0.0.1:{self.hub_port}"
        self.hub: Server | None = None
        self.wards: dict[str, Server] = {}
        run("central_hub", "init", "--data", str(self.hub_data), **self.hub_env())
        run(
            "central_hub",
            "user",
            "add",
            "--data",
            str(self.hub_data),
            "--username",
            "admin",
            "--role",
            "admin",
            "--password-stdin",
            stdin=PASSWORD + "\n",
            **self.hub_env(),
        )

    def hub_env(self) -> dict[str, str]:
        """The environment of the hub's commands: its release's code, its store."""
        found = code_env(self.hub_code)
        found["CENTRAL_HUB_DATABASE_URL"] = self.database_url
        return found

    def start_hub(self, **extra_env: str) -> Server:
        # No SMS rounds unless a test asks: a round writes changes, which would make
        # "a second sync moves nothing" depend on timing.
        extra_env.setdefault("CENTRAL_HUB_SMS_INTERVAL", "0")
        extra_env = {**self.hub_env(), **extra_env}
        self.hub = Server("central_hub", self.hub_data, self.hub_port, **extra_env)
        return self.hub

    def stop_hub(self) -> None:
        if self.hub:
            self.hub.stop()
            self.hub = None

    def ward_data(self, unit: str) -> Path:
        return self.root / f"ward-{unit}"

    def enroll(self, unit: str, *, code: Path | None = None) -> Path:
        """Enroll a ward node for ``unit`` (the hub must be running) and add an officer."""
        token = run(
            "central_hub",
            "enroll",
            "--data",
            str(self.hub_data),
            "--unit",
            unit,
            "--hub-url",
            self.hub_url,
            **self.hub_env(),
        ).stdout.strip()
        data = self.ward_data(unit)
        run(
            "ward_node",
            "init",
            "--data",
            str(data),
            "--unit",
            unit,
            "--hub",
            self.hub_url,
            "--token",
            token,
            **code_env(code),
        )
        run(
            "ward_node",
            "user",
            "add",
            "--data",
            str(data),
            "--username",
            "canbo",
            "--role",
            "officer",
            "--full-name",
            "Lê Thị Thu Hà",
            "--password-stdin",
            stdin=PASSWORD + "\n",
            **code_env(code),
        )
        return data

    def start_ward(
        self, unit: str, interval: float = 1, *, code: Path | None = None, **extra_env: str
    ) -> Server:
        extra_env.setdefault("WARD_NODE_BACKOFF_MAX", "2")
        extra_env = {**code_env(code), **extra_env}
        server = Server(
            "ward_node",
            self.ward_data(unit),
            free_port(),
            "--sync-interval",
            str(interval),
            **extra_env,
        )
        self.wards[unit] = server
        return server

    def close(self) -> None:
        for server in self.wards.values():
            server.stop()
        self.stop_hub()


def query(db_path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Read-only query on a store file (another process may be writing it)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return [tuple(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


@contextmanager
def running_cluster(
    root: Path,
    *units: str,
    users: Mapping[str, Iterable[tuple[str, str, str]]] | None = None,
    hub_env: Mapping[str, str] | None = None,
    interval: float = 1,
    serve: bool = True,
    database_url: str | None = None,
) -> Iterator[Cluster]:
    """A running hub with a ward node enrolled for each of ``units`` (each with the officer
    ``canbo``); ``users`` adds staff per unit as ``(username, role, full name)`` before the
    node serves; ``hub_env`` sets the hub's environment (``CENTRAL_HUB_SMS_INTERVAL``...);
    each node serves with background sync every ``interval`` seconds unless ``serve`` is
    false. Every process is stopped on leaving."""
    cluster = Cluster(root, database_url=database_url)
    try:
        cluster.start_hub(**dict(hub_env or {}))
        for unit in units:
            data = cluster.enroll(unit)
            for username, role, full_name in (users or {}).get(unit, ()):
                add_ward_user(data, username, role, full_name)
        if serve:
            for unit in units:
                cluster.start_ward(unit, interval)
        yield cluster
    finally:
        cluster.close()
