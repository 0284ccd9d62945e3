"""Merge is per-field last-writer-wins: replicas that saw the same changes hold the same rows."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.changes import Change
from sync.clock import Version, pack
from sync.replica import MergeResult, Replica, create_record_tables, decode_versions
from sync.schemas import validate_fields
from sync.store import atomic, connect, create_meta

T0 = 1_764_300_000_000
RECORDS = [  # (id, unit): a record always belongs to the same unit
    ("01937a6e-0000-7000-8000-000000000001", "phu-hoi"),
    ("01937a6e-0000-7000-8000-000000000002", "vy-da"),
    ("01937a6e-0000-7000-8000-000000000003", "phu-hoi"),
]
DOSSIERS = ["01937a6d-1111-7000-8000-00000000000a", "01937a6d-1111-7000-8000-00000000000b"]
ORIGINS = ["hub", "node-phu-hoi", "node-vy-da", "node-thuy-xuan"]
TYPES = ("calendar_day", "dossier_step")

maybe_text = st.one_of(st.none(), st.sampled_from(["", "Quốc khánh", "Tết Nguyên đán", "Giỗ Tổ"]))
times = st.sampled_from(
    ["2026-09-02T08:00:00+07:00", "2026-11-28T16:59:59+07:00", "2026-11-28T10:00:00Z"]
)
FIELDS = {
    "calendar_day": {
        "date": st.sampled_from(["2026-09-02", "2026-04-30", "2027-02-16"]),
        "kind": st.sampled_from(["holiday", "workday"]),
        "name": maybe_text,
        "deleted": st.booleans(),
    },
    "dossier_step": {
        "dossier_id": st.sampled_from(DOSSIERS),
        "action": st.sampled_from(["receive", "assign", "approve", "return"]),
        "from_status": st.one_of(st.none(), st.integers(min_value=1, max_value=10)),
        "to_status": st.integers(min_value=1, max_value=10),
        "actor": st.sampled_from(["cb.nguyen", "cb.tran", "admin"]),
        "actor_name": st.one_of(st.none(), st.sampled_from(["Nguyễn Văn An", "Trần Thị Bình"])),
        "at": times,
        "note": maybe_text,
        "to_handler": st.one_of(st.none(), st.sampled_from(["cb.le", "cb.pham"])),
        "step_deadline": st.one_of(st.none(), times),
    },
}
# A narrow range of clock values, so that different origins often stamp the same hlc.
hlcs = st.builds(
    pack,
    st.integers(min_value=T0, max_value=T0 + 3),
    st.integers(min_value=0, max_value=2),
)


def field_values(type_name: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=FIELDS[type_name]).filter(bool)


@st.composite
def change_sets(draw: st.DrawFn) -> list[Change]:
    """Changes of 2-4 origins to 1-3 records; each origin's hlcs increase with its seq."""
    origins = draw(st.lists(st.sampled_from(ORIGINS), min_size=2, max_size=4, unique=True))
    n_records = draw(st.integers(min_value=1, max_value=3))
    records = [(rid, unit, draw(st.sampled_from(TYPES))) for rid, unit in RECORDS[:n_records]]
    changes = []
    for origin in origins:
        stamps = sorted(draw(st.lists(hlcs, min_size=1, max_size=5, unique=True)))
        for seq, hlc in enumerate(stamps, start=1):
            rid, unit, type_name = draw(st.sampled_from(records))
            fields = draw(field_values(type_name))
            bases = {
                name: draw(st.one_of(st.none(), hlcs.map(lambda h: f"{h:016x}@hub")))
                for name in fields
            }
            changes.append(Change(origin, seq, hlc, type_name, rid, unit, fields, bases, "cb"))
    return changes


@st.composite
def deliveries(draw: st.DrawFn, changes: list[Change]) -> list[list[Change]]:
    """One replica's arrival of ``changes``: any order, some twice, cut into batches."""
    arrival = list(draw(st.permutations(changes)))
    for again in draw(st.lists(st.sampled_from(changes), max_size=4)):
        arrival.insert(draw(st.integers(min_value=0, max_value=len(arrival))), again)
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=max(len(arrival) - 1, 1)))))
    bounds = [0, *(c for c in cuts if c < len(arrival)), len(arrival)]
    return [arrival[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


@contextmanager
def fresh_store(folder: Path, name: str) -> Iterator[sqlite3.Connection]:
    # Durability is not under test here; fsync on every batch would only slow Hypothesis down.
    conn = connect(folder / f"{name}.db", synchronous="OFF")
    try:
        create_meta(conn)
        create_record_tables(conn)
        yield conn
    finally:
        conn.close()


def merge(conn: sqlite3.Connection, changes: list[Change]) -> MergeResult:
    with atomic(conn):
        return Replica(conn).merge(changes)


def snapshot(conn: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table: [tuple(row) for row in conn.execute(f"SELECT * FROM {table} ORDER BY id")]
        for table in TYPES
    }


def assert_holds_the_newest_value_of_every_field(
    conn: sqlite3.Connection, changes: list[Change]
) -> None:
    """Check a replica against a model of per-field LWW: the highest version's value wins."""
    newest: dict[tuple[str, str], dict[str, tuple[Version, Any]]] = {}
    for c in changes:
        fields = newest.setdefault((c.type, c.id), {})
        for name, value in c.fields.items():
            if name not in fields or c.version > fields[name][0]:
                fields[name] = (c.version, value)
    replica = Replica(conn)
    for (type_name, rid), fields in newest.items():
        row = replica.get(type_name, rid)
        assert row is not None
        assert {name: row[name] for name in fields} == {n: v for n, (_, v) in fields.items()}
        assert replica.versions(type_name, rid) == {n: v.encode() for n, (v, _) in fields.items()}


@settings(max_examples=20, deadline=None)
@given(change_sets())
def test_generated_changes_hold_valid_field_values(changes: list[Change]) -> None:
    for change in changes:
        validate_fields(change.type, change.fields)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_replicas_converge_whatever_the_order_batching_and_duplicates(data: st.DataObject) -> None:
    changes = data.draw(change_sets(), label="changes")
    plans = [data.draw(deliveries(changes), label=f"replica {i}") for i in range(3)]
    states = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, plan in enumerate(plans):
            with fresh_store(Path(tmp), f"r{i}") as conn:
                for batch in plan:
                    merge(conn, batch)
                assert_holds_the_newest_value_of_every_field(conn, changes)
                states.append(snapshot(conn))
    # Same rows, byte for byte, _versions included.
    assert states[1] == states[0]
    assert states[2] == states[0]


@settings(max_examples=50, deadline=None)
@given(change_sets())
def test_merging_the_same_changes_twice_changes_nothing(changes: list[Change]) -> None:
    with tempfile.TemporaryDirectory() as tmp, fresh_store(Path(tmp), "r") as conn:
        merge(conn, changes)
        before = snapshot(conn)
        again = merge(conn, changes)
        assert again.touched == set()
        assert all(won == set() for won in again.won.values())
        assert snapshot(conn) == before


# -- explicit cases ----------------------------------------------------------------------------

DAY = RECORDS[0][0]


def day_change(
    origin: str, seq: int, hlc: int, bases: dict[str, str | None] | None = None, **fields: Any
) -> Change:
    bases = bases if bases is not None else dict.fromkeys(fields)
    return Change(origin, seq, hlc, "calendar_day", DAY, "hue", fields, bases, "admin")


def row_and_versions(conn: sqlite3.Connection) -> tuple[dict[str, Any], dict[str, str]]:
    row = conn.execute(
        "SELECT date, kind, name, deleted, unit, _versions FROM calendar_day WHERE id = ?", (DAY,)
    ).fetchone()
    assert row is not None
    return dict(row), decode_versions(row["_versions"])


@pytest.fixture
def store(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    with fresh_store(tmp_path, "replica") as conn:
        yield conn


@pytest.mark.parametrize("reverse", [False, True], ids=["in-order", "reversed"])
def test_newer_version_wins_per_field_while_other_fields_keep_their_own(
    store: sqlite3.Connection, reverse: bool
) -> None:
    first = day_change("hub", 1, pack(T0, 0), date="2026-09-02", kind="holiday", name="Quốc khánh")
    newer_kind = day_change("node-a", 1, pack(T0 + 5, 0), kind="workday")
    older = day_change("node-b", 1, pack(T0 - 5, 0), date="2026-09-03", name="Sai", deleted=True)
    changes = [first, newer_kind, older]
    result = merge(store, changes[::-1] if reverse else changes)

    row, versions = row_and_versions(store)
    assert row == {
        "date": "2026-09-02",
        "kind": "workday",
        "name": "Quốc khánh",
        "deleted": 1,  # nobody newer wrote it
        "unit": "hue",
        "_versions": row["_versions"],
    }
    assert versions == {
        "date": first.version.encode(),
        "kind": newer_kind.version.encode(),
        "name": first.version.encode(),
        "deleted": older.version.encode(),
    }
    assert result.touched == {("calendar_day", DAY)}
    # ``won`` is what each change wrote in arrival order: an older change that arrives first
    # holds its fields until a newer one comes.
    if reverse:
        assert result.won == {
            ("node-b", 1): {"date", "name", "deleted"},
            ("node-a", 1): {"kind"},
            ("hub", 1): {"date", "name"},
        }
    else:
        assert result.won == {
            ("hub", 1): {"date", "kind", "name"},
            ("node-a", 1): {"kind"},
            ("node-b", 1): {"deleted"},
        }
    assert Replica(store).get("calendar_day", DAY) == {
        "id": DAY,
        "unit": "hue",
        "date": "2026-09-02",
        "kind": "workday",
        "name": "Quốc khánh",
        "deleted": True,
    }


@pytest.mark.parametrize("reverse", [False, True], ids=["a-first", "b-first"])
def test_tie_on_hlc_is_broken_by_origin(store: sqlite3.Connection, reverse: bool) -> None:
    stamp = pack(T0, 7)
    a = day_change("node-a", 1, stamp, kind="holiday", name="từ node-a")
    b = day_change("node-b", 1, stamp, kind="workday")
    for change in [b, a] if reverse else [a, b]:
        merge(store, [change])
    row, versions = row_and_versions(store)
    assert (row["kind"], row["name"]) == ("workday", "từ node-a")
    assert versions["kind"] == f"{stamp:016x}@node-b"
    assert versions["name"] == f"{stamp:016x}@node-a"


def test_field_clash_reported_when_base_differs_from_current_version(
    store: sqlite3.Connection,
) -> None:
    original = day_change("hub", 1, pack(T0, 0), date="2026-09-02", kind="holiday")
    merge(store, [original])
    seen = original.version.encode()

    # Saw the current value: an ordinary edit, no clash.
    informed = day_change("node-a", 1, pack(T0 + 1, 0), bases={"kind": seen}, kind="workday")
    assert merge(store, [informed]).clashes == []
    kind_now = informed.version.encode()

    # Did not see node-a's edit (its base is the original version), and is newer: clash, wins.
    concurrent = day_change(
        "node-b", 1, pack(T0 + 2, 0), bases={"kind": seen, "name": None}, kind="holiday", name="X"
    )
    result = merge(store, [concurrent])
    assert len(result.clashes) == 1  # "name" had no value: nothing to clash with
    clash = result.clashes[0]
    assert (clash.change, clash.field, clash.base) == (concurrent, "kind", seen)
    assert (clash.current_version, clash.current_value) == (kind_now, "workday")
    assert clash.incoming_won is True
    assert row_and_versions(store)[0]["kind"] == "holiday"

    # Never saw the record at all, and is older than what is held: clash, loses.
    stale = day_change("node-c", 1, pack(T0 - 1, 0), bases={"date": None}, date="2026-09-03")
    result = merge(store, [stale])
    assert [
        (c.field, c.base, c.current_version, c.current_value, c.incoming_won)
        for c in result.clashes
    ] == [("date", None, seen, "2026-09-02", False)]
    assert result.touched == set()
    assert row_and_versions(store)[0]["date"] == "2026-09-02"


def test_replayed_change_is_not_a_clash(store: sqlite3.Connection) -> None:
    change = day_change("node-a", 1, pack(T0, 0), kind="holiday")
    merge(store, [change])
    replay = merge(store, [change])
    assert replay.clashes == []
    assert replay.touched == set()
