"""The hub's tests run on both engines of its store: the SQLite file (the default) and
PostgreSQL (docs/operations.md, "PostgreSQL"). ``hub_engine`` parametrises every test of
this folder; on PostgreSQL each test gets a fresh database through
``CENTRAL_HUB_DATABASE_URL``, which every hub the test makes uses (``init_hub``, ``create_app``,
the ``central-hub`` commands of tests/support/cluster.py). A fixture that outlives a test (a
module's running cluster) asks ``hub_engine.new_url()`` for its own database."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ENV_URL = "CENTRAL_HUB_DATABASE_URL"


class HubEngine:
    """The engine a test runs on: ``kind`` is ``sqlite`` or ``postgresql``; ``template`` a
    database the hub's migrations have made, that each test's database copies (a hub's
    ``init`` then only writes its identity and reference data)."""

    def __init__(self, kind: str, server: Any = None, template: Any = None) -> None:
        self.kind, self.server, self.template = kind, server, template

    def new_url(self) -> str:
        """A fresh database for one hub, schema made (empty string: the SQLite file)."""
        if self.server is None:
            return ""
        return str(self.template.take())

    def use(self, hub_dir: Path) -> str:
        """Give the hub to be made in ``hub_dir`` a database of its own (this process's hubs
        in that folder use it whatever the environment says); its URL."""
        from central_hub.store import use_database

        url = self.new_url()
        use_database(hub_dir, url)
        return url

    def drop(self, url: str) -> None:
        if url and self.server is not None:
            from central_hub.store import close_all

            close_all()
            self.template.drop(url)


class Databases:
    """Copies of the template made ahead, and dropped after, by a thread of their own: making
    one takes the server most of a second, which the tests need not wait for."""

    AHEAD = 3

    def __init__(self, server: Any, template: str) -> None:
        self.server, self.template = server, template
        self.ready: queue.Queue[str] = queue.Queue(self.AHEAD)
        self.gone: queue.Queue[str] = queue.Queue()
        self.stopped = threading.Event()
        self.made = self.taken = self.dropped_unused = 0  # every copy is taken or dropped
        self.thread = threading.Thread(target=self._work, name="test-databases", daemon=True)
        self.thread.start()

    def take(self) -> str:
        url = self.ready.get(timeout=120)
        self.taken += 1
        return url

    def drop(self, url: str) -> None:
        self.gone.put(url)

    def _work(self) -> None:
        made = ""  # a copy made and not yet queued: kept for the next free place, never leaked
        while not self.stopped.is_set():
            while not self.gone.empty():
                self.server.drop(self.gone.get())
            if not made:
                made = self.server.database(template=self.template)
                self.made += 1
            try:
                self.ready.put(made, timeout=0.2)
            except queue.Full:
                continue
            made = ""
        unused = [url for url in [made, *_drain(self.ready)] if url]
        for url in [*unused, *_drain(self.gone)]:
            self.server.drop(url)
        self.dropped_unused = len(unused)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(30)


def _drain(q: queue.Queue[str]) -> list[str]:
    items = []
    while not q.empty():
        items.append(q.get())
    return items


@pytest.fixture(scope="session")
def hub_template(postgres: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    """Copies of a database with the hub's schema, made by its migrations, and nothing else."""
    from central_hub.store import close_all, open_store, use_database

    url = postgres.database("hub_template")
    folder = tmp_path_factory.mktemp("hub-template")
    use_database(folder, url)
    open_store(folder).close()
    close_all()
    databases = Databases(postgres, url)
    yield databases
    databases.stop()
    # Every copy made ahead is taken by a test or dropped unused: a leak once left a thousand
    # databases (8 GB) that took minutes to delete at the end of a run.
    assert databases.made == databases.taken + databases.dropped_unused, vars(databases)
    # What tests and module fixtures left (a module's cluster keeps its own), deleted here
    # rather than file by file with the cluster's folder.
    for name in postgres.names():
        if not url.endswith(f"/{name}"):
            postgres.drop(postgres.url(name))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def hub_engine(request: pytest.FixtureRequest) -> HubEngine:
    if request.param == "sqlite":
        return HubEngine("sqlite")
    server = request.getfixturevalue("postgres")
    return HubEngine("postgresql", server, request.getfixturevalue("hub_template"))


@pytest.fixture(autouse=True)
def hub_database(hub_engine: HubEngine, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """This test's hub store: ``CENTRAL_HUB_DATABASE_URL`` set to a fresh database, or unset."""
    url = hub_engine.new_url()
    if url:
        monkeypatch.setenv(ENV_URL, url)
    else:
        monkeypatch.delenv(ENV_URL, raising=False)
    yield url
    hub_engine.drop(url)
