"""The one write path: row, field versions, change log and clock commit together or not at all."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sync.capture import ChangeCapture, Write
from sync.changes import Change, ChangeLog, create_change_log
from sync.clock import HybridClock, pack
from sync.errors import ValidationError
from sync.replica import Replica, create_record_tables, decode_versions
from sync.store import atomic, connect, create_meta, get_meta

ORIGIN = "node-phu-hoi"
UNIT = "phu-hoi"
DAY = "01937a6e-0000-7000-8000-000000000001"
OTHER_DAY = "01937a6e-0000-7000-8000-000000000002"
STEP = "01937a6e-0000-7000-8000-000000000003"
DOSSIER = "01937a6d-1111-7000-8000-00000000000a"
T0 = 1_764_300_000_000

QUOC_KHANH = {"date": "2026-09-02", "kind": "holiday", "name": "Quốc khánh"}
STEP_FIELDS = {
    "dossier_id": DOSSIER,
    "action": "receive",
    "from_status": None,
    "to_status": 1,
    "actor": "cb.nguyen",
    "at": "2026-11-28T08:30:00+07:00",
}


class Wall:
    """A settable wall clock in Unix milliseconds."""

    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


@dataclass
class Node:
    path: Path
    conn: sqlite3.Connection
    wall: Wall
    clock: HybridClock
    replica: Replica
    log: ChangeLog
    capture: ChangeCapture

    def state(self) -> dict[str, Any]:
        """Every row of every table this write path touches."""
        return {
            table: [tuple(r) for r in self.conn.execute(f"SELECT * FROM {table} ORDER BY 1")]
            for table in ("calendar_day", "dossier_step", "changes", "meta")
        }


def open_node(path: Path, wall: Wall, log: Any = None) -> Node:
    conn = connect(path)
    create_meta(conn)
    create_change_log(conn)
    create_record_tables(conn)
    clock = HybridClock(last=get_meta(conn, "hlc", 0), now=wall)
    replica = Replica(conn)
    change_log = ChangeLog(conn, ORIGIN)
    capture = ChangeCapture(conn, ORIGIN, clock, replica, log or change_log)
    return Node(path, conn, wall, clock, replica, change_log, capture)


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    n = open_node(tmp_path / "node.db", Wall(T0))
    yield n
    n.conn.close()


def stored_row(conn: sqlite3.Connection, table: str, rid: str) -> dict[str, Any] | None:
    row = conn.execute(f"SELECT * FROM {table} WHERE id = ?", (rid,)).fetchone()
    return None if row is None else dict(row)


def test_one_write_updates_row_versions_and_log_in_one_transaction(node: Node) -> None:
    statements: list[str] = []
    node.conn.set_trace_callback(statements.append)
    change = node.capture.write("calendar_day", DAY, UNIT, QUOC_KHANH, actor="admin")
    node.conn.set_trace_callback(None)

    assert (change.origin, change.seq, change.type, change.id) == (ORIGIN, 1, "calendar_day", DAY)
    assert (change.unit, change.fields, change.actor) == (UNIT, QUOC_KHANH, "admin")
    assert change.hlc == pack(T0, 0)

    row = stored_row(node.conn, "calendar_day", DAY)
    assert row is not None
    assert {k: row[k] for k in ("id", "unit", *QUOC_KHANH)} == {
        "id": DAY,
        "unit": UNIT,
        **QUOC_KHANH,
    }
    version = change.version.encode()
    assert decode_versions(row["_versions"]) == dict.fromkeys(QUOC_KHANH, version)
    assert node.log.read(0, 10) == [change]
    assert get_meta(node.conn, "hlc") == change.hlc

    # Everything happened between one BEGIN IMMEDIATE and one COMMIT.
    keywords = [s.split()[0].upper() for s in statements]
    assert keywords.count("BEGIN") == 1 and keywords.count("COMMIT") == 1
    assert keywords[0] == "BEGIN" and keywords[-1] == "COMMIT"
    assert statements[0] == "BEGIN IMMEDIATE"
    assert "ROLLBACK" not in keywords


def test_bases_record_the_versions_the_writer_saw(node: Node) -> None:
    first = node.capture.write("calendar_day", DAY, UNIT, QUOC_KHANH, actor="admin")
    assert first.bases == {}  # a new record: the writer saw no version of any field

    node.wall.ms += 1000
    second = node.capture.write(
        "calendar_day", DAY, UNIT, {"kind": "workday", "deleted": False}, actor="admin"
    )
    assert second.bases == {"kind": first.version.encode()}  # "deleted" was never written

    # A change from another origin was merged here: the next local edit saw that version.
    remote = Change(
        "hub",
        7,
        pack(T0 + 5000, 0),
        "calendar_day",
        DAY,
        UNIT,
        {"name": "Lễ"},
        {"name": first.version.encode()},
        "admin",
    )
    with atomic(node.conn):
        node.replica.merge([remote])
    node.wall.ms += 10_000
    third = node.capture.write("calendar_day", DAY, UNIT, {"name": "Quốc khánh 2/9"}, actor="a")
    assert third.bases == {"name": remote.version.encode()}


def test_later_writes_in_one_batch_see_the_earlier_ones(node: Node) -> None:
    a, b, c = node.capture.write_many(
        [
            Write("calendar_day", DAY, UNIT, QUOC_KHANH),
            Write("calendar_day", OTHER_DAY, UNIT, {"date": "2026-04-30", "kind": "holiday"}),
            Write("calendar_day", DAY, UNIT, {"kind": "workday"}),
        ],
        actor="admin",
    )
    assert [x.seq for x in (a, b, c)] == [1, 2, 3]
    assert a.hlc < b.hlc < c.hlc
    assert c.bases == {"kind": a.version.encode()}
    row = node.replica.get("calendar_day", DAY)
    assert row is not None and row["kind"] == "workday"
    assert node.replica.versions("calendar_day", DAY)["kind"] == c.version.encode()


def test_change_log_is_hash_chained(node: Node) -> None:
    written = [node.capture.write("calendar_day", DAY, UNIT, QUOC_KHANH, actor="admin")]
    node.wall.ms -= 60_000  # the wall clock going back changes nothing in the chain
    written += node.capture.write_many(
        [
            Write("dossier_step", STEP, UNIT, STEP_FIELDS),
            Write("calendar_day", DAY, UNIT, {"name": None}),
        ],
        actor="cb.nguyen",
    )
    written.append(
        node.capture.write("calendar_day", OTHER_DAY, UNIT, {"kind": "workday"}, actor="x")
    )

    logged = node.log.read(0, 100)
    assert logged == written  # what was returned is what was stored
    assert [c.seq for c in logged] == [1, 2, 3, 4]
    assert logged[0].prev is None
    for earlier, later in zip(logged, logged[1:], strict=False):
        assert later.prev == earlier.hash
        assert later.hlc > earlier.hlc
    for change in logged:
        assert change.hash == change.link_hash()
    assert node.log.tip() == (4, logged[-1].hash)

    # Rewriting history breaks the link: the stored hash no longer matches the content.
    node.conn.execute("UPDATE changes SET actor = 'someone-else' WHERE seq = 2")
    rewritten = node.log.read(1, 1)[0]
    assert rewritten.hash != rewritten.link_hash()


@pytest.mark.parametrize(
    ("type_name", "fields", "field"),
    [
        ("calendar_day", {"date": "2026-09-02", "kind": "xyz"}, "kind"),
        ("calendar_day", {"date": "02/09/2026"}, "date"),
        ("calendar_day", {"name": "x" * 201}, "name"),
        ("calendar_day", {"colour": "red"}, "colour"),
        ("dossier_step", {**STEP_FIELDS, "to_status": 11}, "to_status"),
        ("dossier_step", {**STEP_FIELDS, "at": "28/11/2026 08:30"}, "at"),
    ],
)
def test_invalid_field_is_refused_naming_it_and_nothing_changes(
    node: Node, type_name: str, fields: dict[str, Any], field: str
) -> None:
    node.capture.write("calendar_day", DAY, UNIT, QUOC_KHANH, actor="admin")
    before, clock_before = node.state(), node.clock.last
    node.wall.ms += 1000
    rid = STEP if type_name == "dossier_step" else DAY

    with pytest.raises(ValidationError) as refused:
        node.capture.write(type_name, rid, UNIT, fields, actor="admin")
    assert refused.value.details["field"] == field
    assert field in refused.value.message
    assert node.state() == before
    assert node.clock.last == clock_before

    # One bad write spoils the batch: the good one beside it is not written either.
    with pytest.raises(ValidationError):
        node.capture.write_many(
            [
                Write("calendar_day", OTHER_DAY, UNIT, {"kind": "holiday"}),
                Write(type_name, rid, UNIT, fields),
            ],
            actor="admin",
        )
    assert node.state() == before


def test_exception_in_outer_transaction_rolls_back_everything(node: Node) -> None:
    node.capture.write("calendar_day", DAY, UNIT, QUOC_KHANH, actor="admin")
    before = node.state()

    node.wall.ms += 1000
    with pytest.raises(RuntimeError), atomic(node.conn):
        node.capture.write("calendar_day", DAY, UNIT, {"kind": "workday"}, actor="admin")
        node.capture.write("dossier_step", STEP, UNIT, STEP_FIELDS, actor="admin")
        raise RuntimeError("the request failed after writing")
    assert node.state() == before
    assert not node.conn.in_transaction

    # The log goes on from where it really stands.
    node.wall.ms += 1000
    change = node.capture.write("calendar_day", DAY, UNIT, {"kind": "workday"}, actor="admin")
    assert change.seq == 2
    assert change.prev == node.log.read(0, 1)[0].hash


def test_failure_while_logging_leaves_no_row_without_its_change(node: Node) -> None:
    class BrokenLog:
        def tip(self) -> tuple[int, str | None]:
            return node.log.tip()

        def append_many(self, changes: Sequence[Change]) -> None:
            raise sqlite3.OperationalError("disk I/O error")

    capture = ChangeCapture(node.conn, ORIGIN, node.clock, node.replica, BrokenLog())
    with pytest.raises(sqlite3.OperationalError):
        capture.write("calendar_day", DAY, UNIT, QUOC_KHANH, actor="admin")
    assert stored_row(node.conn, "calendar_day", DAY) is None
    assert node.log.tip() == (0, None)
    assert get_meta(node.conn, "hlc") is None


def test_persisted_clock_equals_the_clock_after_writing(node: Node, tmp_path: Path) -> None:
    for wall_ms in (T0, T0 + 10, T0 - 3_600_000, T0 - 3_600_000, T0 + 20):
        node.wall.ms = wall_ms
        change = node.capture.write("calendar_day", DAY, UNIT, {"name": str(wall_ms)}, actor="a")
        assert get_meta(node.conn, "hlc") == node.clock.last == change.hlc

    # A remote stamp from the future raises the clock; the next write persists the raised value.
    future = pack(T0 + 86_400_000, 3)
    node.clock.receive(future)
    change = node.capture.write("calendar_day", DAY, UNIT, {"kind": "holiday"}, actor="a")
    assert change.hlc > future
    assert get_meta(node.conn, "hlc") == node.clock.last == change.hlc
    node.conn.close()

    # After a restart with the wall clock an hour behind, writes still stamp above the log.
    restarted = open_node(node.path, Wall(T0 - 3_600_000))
    node.conn = restarted.conn  # for the fixture to close
    again = restarted.capture.write("calendar_day", DAY, UNIT, {"kind": "workday"}, actor="a")
    assert again.hlc > change.hlc
    assert again.seq == change.seq + 1 and again.prev == change.hash
