"""The console's list of nodes in the store (``central_hub/store/fleet.py``): each node's state
derived in SQL as the console derives it, totals by state, filters by province, district and a
search without diacritics, sorting both ways and paging, on a seeded fleet of 60 nodes."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from central_hub.setup import init_hub
from central_hub.store import Journal, fleet, open_store, sync_history
from central_hub.store.nodes import get_node, list_nodes, pulled_cursor
from tests.hub.conftest import HubEngine
from tests.support.fleet import (
    CYCLE,
    DISTRICT,
    PROVINCES,
    district_of,
    expected_states,
    province_of,
    seed_fleet,
    unit_code,
)

N = 60
NOW = datetime.now(UTC).replace(microsecond=0)


def moments(now: datetime = NOW) -> fleet.Moments:
    return fleet.Moments.at(now, timedelta(minutes=2), timedelta(minutes=10))


@pytest.fixture(scope="module")
def store(
    tmp_path_factory: pytest.TempPathFactory, hub_engine: HubEngine
) -> Iterator[tuple[sqlite3.Connection, list[str]]]:
    data = tmp_path_factory.mktemp("fleet") / "hub"
    url = hub_engine.use(data)  # the module's own database: it outlives each test's
    init_hub(data, name="Hub thử")
    conn = open_store(data)
    ids = seed_fleet(conn, data, N, NOW)
    yield conn, ids
    conn.close()
    hub_engine.drop(url)


def _ids(rows: list[tuple[str, str]]) -> list[str]:
    return [node_id for node_id, _ in rows]


def test_the_totals_count_each_state_the_console_shows(
    store: tuple[sqlite3.Connection, list[str]],
) -> None:
    conn, ids = store
    totals = fleet.state_totals(conn, fleet.FleetFilter(), moments())
    assert totals == {state: expected_states(N)[state] for state in fleet.STATES}
    listed = dict(fleet.node_page(conn, fleet.FleetFilter(), moments(), limit=None))
    assert {node_id: listed[node_id] for node_id in ids} == {
        node_id: CYCLE[i % len(CYCLE)] for i, node_id in enumerate(ids)
    }
    # The state filter does not change the totals: each total stays a link to its own state.
    assert fleet.state_totals(conn, fleet.FleetFilter(state="offline"), moments()) == totals


def test_states_follow_the_clock_passed_in(store: tuple[sqlite3.Connection, list[str]]) -> None:
    conn, ids = store
    later = dict(
        fleet.node_page(conn, fleet.FleetFilter(), moments(NOW + timedelta(minutes=4)), limit=None)
    )
    assert later[ids[0]] == "behind"  # seen 30 s before NOW: 4.5 minutes ago
    much_later = fleet.state_totals(conn, fleet.FleetFilter(), moments(NOW + timedelta(hours=1)))
    counts = expected_states(N)
    assert much_later["synced"] == much_later["behind"] == 0
    assert much_later["offline"] == counts["offline"] + counts["synced"] + counts["behind"]


def test_an_error_lasts_until_the_node_syncs_fine_again(tmp_path: Path) -> None:
    init_hub(tmp_path / "hub", name="Hub thử")
    conn = open_store(tmp_path / "hub")
    ids = seed_fleet(conn, tmp_path / "hub", 12, NOW)
    failing = ids[CYCLE.index("error")]
    assert dict(fleet.node_page(conn, fleet.FleetFilter(state="error"), moments())) == {
        failing: "error"
    }
    node = get_node(conn, failing)
    sync_history.record_visit(
        conn, node, b"", 0, "pull", 0, 0.0, "", measure_clock=False, now=NOW.timestamp()
    )
    assert fleet.node_page(conn, fleet.FleetFilter(state="error"), moments()) == []
    assert dict(fleet.node_page(conn, fleet.FleetFilter(unit=node.unit), moments())) == {
        failing: "synced"
    }
    conn.close()


def test_filters_by_province_and_district(store: tuple[sqlite3.Connection, list[str]]) -> None:
    conn, ids = store
    for province in PROVINCES:
        flt = fleet.FleetFilter(province=province)
        mine = [i for i in range(N) if province_of(i) == province]
        assert set(_ids(fleet.node_page(conn, flt, moments(), limit=None))) == {
            ids[i] for i in mine
        }
        totals = fleet.state_totals(conn, flt, moments())
        assert Counter({k: v for k, v in totals.items() if v}) == Counter(
            CYCLE[i % len(CYCLE)] for i in mine
        )
    in_district = fleet.node_page(conn, fleet.FleetFilter(district=DISTRICT), moments(), limit=None)
    assert set(_ids(in_district)) == {ids[i] for i in range(N) if district_of(i)}
    offline_here = fleet.FleetFilter(state="offline", province=PROVINCES[1])
    assert {s for _, s in fleet.node_page(conn, offline_here, moments(), limit=None)} == {"offline"}
    assert ("Thành phố Huế", DISTRICT, sum(1 for i in range(N) if district_of(i))) in fleet.places(
        conn
    )


@pytest.mark.parametrize(
    "search",
    ["phu hoi", "PHÚ HỘI", "Phú Hội", "hoi phu", "  phú   hội "],
    ids=["plain", "upper", "marks", "order", "spaces"],
)
def test_the_search_ignores_diacritics_case_and_word_order(
    store: tuple[sqlite3.Connection, list[str]], search: str
) -> None:
    conn, ids = store
    found = _ids(fleet.node_page(conn, fleet.FleetFilter(search=search), moments(), limit=None))
    assert set(found) == {ids[i] for i in range(N) if i % 7 == 0}  # NAMES[0] is Phú Hội


def test_the_search_finds_unit_and_node_codes_and_takes_wildcards_literally(
    store: tuple[sqlite3.Connection, list[str]],
) -> None:
    conn, ids = store
    by_code = fleet.node_page(conn, fleet.FleetFilter(search=unit_code(17).lower()), moments())
    assert _ids(by_code) == [ids[17]]
    assert _ids(fleet.node_page(conn, fleet.FleetFilter(search=ids[5]), moments())) == [ids[5]]
    for wild in ("%", "_", "\\"):
        assert fleet.node_page(conn, fleet.FleetFilter(search=wild), moments()) == []


def test_sorting_goes_both_ways_and_puts_the_unknown_last(
    store: tuple[sqlite3.Connection, list[str]],
) -> None:
    conn, ids = store
    every = fleet.FleetFilter()
    for sort in fleet.SORTS:
        up = _ids(fleet.node_page(conn, every, moments(), sort=sort, limit=None))
        down = _ids(fleet.node_page(conn, every, moments(), sort=sort, descending=True, limit=None))
        assert sorted(up) == sorted(down) == sorted(ids), sort
    rows = {n["node_id"]: n for n in list_nodes(conn)}
    for descending in (False, True):
        seen = _ids(
            fleet.node_page(conn, every, moments(), sort="seen", descending=descending, limit=None)
        )
        times = [rows[i]["last_seen_at"] for i in seen]
        known = [t for t in times if t is not None]
        assert times == known + [None] * (len(times) - len(known))  # never seen: last either way
        assert known == sorted(known, reverse=descending)
    states = [s for _, s in fleet.node_page(conn, every, moments(), sort="state", limit=None)]
    assert states == sorted(states, key=fleet.STATES.index)
    journal = Journal(conn, "hub")
    waiting = fleet.node_page(conn, every, moments(), sort="waiting", descending=True, limit=None)
    counts = [
        journal.count_routed(rows[i]["unit"], pulled_cursor(conn, i) or 0) for i, _ in waiting
    ]
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1]
    names = _ids(fleet.node_page(conn, every, moments(), sort="name", limit=None))
    assert names.index(ids[1]) < names.index(ids[2])  # "ubnd phuong ..." before "ubnd xa ..."


def test_pages_cover_every_node_once(store: tuple[sqlite3.Connection, list[str]]) -> None:
    conn, ids = store
    for sort in fleet.SORTS:
        whole = _ids(fleet.node_page(conn, fleet.FleetFilter(), moments(), sort=sort, limit=None))
        pages = [
            _ids(
                fleet.node_page(conn, fleet.FleetFilter(), moments(), sort=sort, limit=7, offset=k)
            )
            for k in range(0, N, 7)
        ]
        assert [i for page in pages for i in page] == whole, sort
        assert [len(p) for p in pages] == [7] * (N // 7) + [N % 7]
    assert fleet.node_page(conn, fleet.FleetFilter(), moments(), limit=10, offset=N) == []


def test_unknown_sorts_and_states_are_refused(store: tuple[sqlite3.Connection, list[str]]) -> None:
    conn, _ = store
    with pytest.raises(ValueError):
        fleet.node_page(conn, fleet.FleetFilter(), moments(), sort="name; DROP TABLE nodes")
    with pytest.raises(ValueError):
        fleet.node_page(conn, fleet.FleetFilter(state="lost"), moments())
