"""What a pull costs the hub's store (docs/operations.md, "A fleet"): the write transactions
it opens, counted by the statements the hub's connections run. An empty pull opens one (its
visit, with the cursors and the status in it), a pull with data one too; nothing is lost
from what the pull records."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from central_hub.store import capture as hub_capture
from central_hub.store import open_store as open_hub
from sync import SyncReport, new_id
from tests.support import enrolled_node, hub_store, synced_session

UNIT = "19786"
# The module, not the function ``engine`` its package exports under the same name.
engine_module = importlib.import_module("central_hub.store.engine")


class Statements:
    """Every statement the hub's request connections ran, in order."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def begins(self) -> int:
        return sum(1 for s in self.seen if s.lstrip().upper().startswith("BEGIN"))

    def clear(self) -> None:
        self.seen.clear()


class Traced:
    """A store connection that records every statement it is given."""

    def __init__(self, conn: Any, seen: list[str]) -> None:
        self._conn, self._seen = conn, seen

    def execute(self, sql: str, params: Any = ()) -> Any:
        self._seen.append(sql)
        return self._conn.execute(sql, params)

    def executemany(self, sql: str, rows: Any) -> Any:
        self._seen.append(sql)
        return self._conn.executemany(sql, rows)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[Statements]:
    """The statements of every connection the hub's store hands out (either engine)."""
    found = Statements()
    real = engine_module.Engine.connect

    def traced(self: Any) -> Traced:
        return Traced(real(self), found.seen)

    monkeypatch.setattr(engine_module.Engine, "connect", traced)
    yield found


def _hub_row(tmp_path: Path, sql: str) -> dict[str, Any]:
    conn = hub_store(tmp_path / "hub")
    try:
        row = conn.execute(sql).fetchone()
        return {k: row[k] for k in row.keys()}
    finally:
        conn.close()


def test_an_empty_pull_opens_one_write_transaction_and_still_records_the_visit(
    tmp_path: Path, hub: FlaskClient, statements: Statements
) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, _conn = synced_session(data, transport)
    before = _hub_row(tmp_path, "SELECT visits, quiet FROM sync_visits")
    statements.clear()
    report = SyncReport()
    session.pull(report)
    assert report.pulled == 0
    assert statements.begins() == 1
    after = _hub_row(tmp_path, "SELECT visits, quiet FROM sync_visits")
    assert (after["visits"], after["quiet"]) == (before["visits"] + 1, before["quiet"] + 1)
    node = _hub_row(tmp_path, "SELECT last_seen_at, status_reported_at, pulled_cursor FROM nodes")
    assert node["last_seen_at"] and node["status_reported_at"]


def test_a_pull_with_data_opens_one_write_transaction_and_moves_both_cursors(
    tmp_path: Path, hub: FlaskClient, statements: Statements
) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    store = open_hub(tmp_path / "hub")
    doc = {
        "id": new_id(),
        "unit": "H57",
        "symbol": "15/UBND-VP",
        "doc_type": "Công văn",
        "summary": "Về việc rà soát hồ sơ tồn đọng quý IV",
        "issued_on": "2026-11-27",
        "units": [UNIT],
        "urgency": "khan",
        "secrecy": "none",
        "created_by": "vanthu",
    }
    hub_capture(store).write("document", doc["id"], "H57", doc, actor="admin")
    top = store.execute("SELECT max(jseq) FROM journal").fetchone()[0]
    store.close()
    statements.clear()
    report = SyncReport()
    session.pull(report)
    assert report.pulled == 1
    assert conn.execute("SELECT count(*) FROM document").fetchone()[0] == 1
    assert statements.begins() == 1
    node = _hub_row(tmp_path, "SELECT sent_cursor FROM nodes")
    assert node["sent_cursor"] == top
    events = _hub_row(tmp_path, "SELECT count(*) AS n FROM sync_events WHERE kind = 'pull'")
    assert events["n"] >= 1
    # The next pull starts from where this one ended: the cursor it asks from is recorded.
    statements.clear()
    session.pull(SyncReport())
    assert statements.begins() == 1
    assert _hub_row(tmp_path, "SELECT pulled_cursor FROM nodes")["pulled_cursor"] == top
