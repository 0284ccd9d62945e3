"""The console's list of enrolled nodes at a province's or a ministry's scale (3,321 communes
and wards): each node's state derived in SQL, totals by state, filters, sorting and paging
done by the database, so a page reads 50 rows whatever the size of the fleet.

A node's state is the console's (``central_hub/console/unit_state.py``), decided in this
order: ``revoked`` (not active), ``error`` (a refusal recorded in its sync history after its
last visit that went fine, as :func:`sync_history.refused_now` reads it), ``never`` (no
contact yet), ``offline`` (last contact before :attr:`Moments.offline_before`), ``synced``
(last contact at or after :attr:`Moments.synced_since`), else ``behind``. The two moments are
computed by the caller from its clock and passed as parameters: the SQL names no clock of its
own and runs on SQLite and PostgreSQL alike. Times are stored as ISO 8601 UTC text with
seconds (``sync_history._iso``), so comparing them as text compares them as times.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sync import fold

from .journal import ALL_UNITS

# The states most in need of attention first: the order of sorting by state.
STATES = ("error", "offline", "behind", "never", "synced", "revoked")
SORTS = ("name", "state", "seen", "waiting", "pending")
MAX_WORDS = 8  # words of a search taken into account

_STATE = (
    "CASE WHEN n.status <> 'active' THEN 'revoked' "
    "WHEN EXISTS (SELECT 1 FROM sync_events e WHERE e.unit = n.unit AND e.node_id = n.node_id "
    "AND e.outcome = 'refused' AND e.id > coalesce("
    "(SELECT v.ok_through FROM sync_visits v WHERE v.node_id = n.node_id), 0)) THEN 'error' "
    "WHEN n.last_seen_at IS NULL THEN 'never' "
    "WHEN n.last_seen_at < ? THEN 'offline' "
    "WHEN n.last_seen_at >= ? THEN 'synced' "
    "ELSE 'behind' END"
)
# What a search is matched against: the unit's folded name and code (schemas/unit.json,
# x-search), and the codes of the unit and the node, for a node whose unit is not in the
# reference data.
_HAYSTACK = "(coalesce(u._search, '') || ' ' || lower(n.unit) || ' ' || lower(n.node_id))"
_RANK = "CASE s.state " + " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(STATES)) + " END"
# Changes waiting at the hub for a node (as Journal.count_routed counts them), to sort by:
# those routed to its unit, counted in the routes' primary key (unit, jseq) from its cursor
# (the "<> all units" tells PostgreSQL's planner that few rows match, which they do), plus
# those routed to every unit after its cursor, ``b.after`` of :data:`_ALL_AFTER`.
_STAR = f"'{ALL_UNITS}'"  # a constant of the journal, not an input
_WAITING = (
    "((SELECT count(*) FROM routes r WHERE r.unit = s.unit AND r.unit <> "
    f"{_STAR} AND r.jseq > s.pulled_cursor) + coalesce(b.after, 0))"
)
# For each node's cursor, how many entries routed to every unit lie after it: one pass over
# those entries and the cursors in order, counting the entries met so far (the entries at a
# cursor's own position first), rather than one count per node: after a city-wide change
# every node lags behind by it, and a count per node would read it once for each.
_ALL_AFTER = (
    "SELECT x.v AS cursor, x.after FROM ("
    f"SELECT u.kind, u.v, (SELECT count(*) FROM routes WHERE unit = {_STAR}) - "
    "sum(1 - u.kind) OVER (ORDER BY u.v, u.kind ROWS UNBOUNDED PRECEDING) AS after "
    f"FROM (SELECT 0 AS kind, jseq AS v FROM routes WHERE unit = {_STAR} "
    "UNION ALL SELECT DISTINCT 1 AS kind, pulled_cursor AS v FROM nodes) u) x "
    "WHERE x.kind = 1"
)


@dataclass(frozen=True)
class Moments:
    """The two times a node's last contact is compared with, as ISO 8601 UTC text."""

    synced_since: str  # a contact at or after this: in sync
    offline_before: str  # a contact before this: offline

    @classmethod
    def at(cls, now: datetime, synced_within: timedelta, offline_after: timedelta) -> Moments:
        """The moments at ``now`` for the two durations."""
        return cls(_iso(now - synced_within), _iso(now - offline_after))


@dataclass(frozen=True)
class FleetFilter:
    """Which nodes to list; every given part must hold. ``search`` is what a person typed:
    each of its words must appear in the unit's name or code or the node's id, with or
    without diacritics."""

    state: str | None = None
    province: str | None = None
    district: str | None = None
    search: str = ""
    unit: str | None = None


def _where(flt: FleetFilter) -> tuple[str, list[Any]]:
    """The filter's conditions on ``nodes n LEFT JOIN unit u`` (the state aside) and their
    parameters."""
    clauses, params = ["1 = 1"], []
    for column, value in (("n.unit", flt.unit), ("u.province", flt.province)):
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    if flt.district:
        clauses.append("u.district = ?")
        params.append(flt.district)
    for word in fold(flt.search).split()[:MAX_WORDS]:
        clauses.append(f"{_HAYSTACK} LIKE ? ESCAPE '\\'")
        params.append(
            "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
    return " AND ".join(clauses), params


def _states(flt: FleetFilter, moments: Moments) -> tuple[str, list[Any]]:
    """A query of the filtered nodes with their state, as a table ``s`` to select from."""
    where, params = _where(flt)
    sql = (
        f"SELECT n.node_id, n.unit, n.pulled_cursor, n.last_seen_at, n.pending_changes, "
        f"coalesce(u._search, lower(n.unit)) AS name_key, {_STATE} AS state "
        f"FROM nodes n LEFT JOIN unit u ON u.code = n.unit WHERE {where}"
    )
    return sql, [moments.offline_before, moments.synced_since, *params]


def state_totals(conn: sqlite3.Connection, flt: FleetFilter, moments: Moments) -> dict[str, int]:
    """How many of the nodes the filter selects are in each state (every state of
    :data:`STATES`, 0 when none), whatever ``flt.state`` says: the page's totals, each a link
    to its own filter."""
    sql, params = _states(flt, moments)
    totals = dict.fromkeys(STATES, 0)
    for r in conn.execute(f"SELECT s.state, count(*) AS n FROM ({sql}) s GROUP BY s.state", params):
        totals[str(r["state"])] = int(r["n"])
    return totals


def node_page(
    conn: sqlite3.Connection,
    flt: FleetFilter,
    moments: Moments,
    *,
    sort: str = "name",
    descending: bool = False,
    limit: int | None = 50,
    offset: int = 0,
) -> list[tuple[str, str]]:
    """``(node_id, state)`` of one page of the nodes the filter selects, sorted by ``sort``
    (one of :data:`SORTS`: the unit's name without diacritics, the state from the most urgent,
    the last contact from the oldest, the changes waiting for the node at the hub, the changes
    the node last reported waiting to be sent), reversed when ``descending``. Nodes never seen
    or that never reported come last either way; ties go by unit code and node id, so pages
    never overlap; ``limit`` None lists them all. Raises ``ValueError`` for an unknown sort
    or state."""
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    if flt.state is not None and flt.state not in STATES:
        raise ValueError(f"unknown state {flt.state!r}")
    way = "DESC" if descending else "ASC"
    sql, params = _states(flt, moments)
    keys = {
        "name": [f"s.name_key {way}"],
        "state": [f"{_RANK} {way}", "s.name_key ASC"],
        "seen": ["CASE WHEN s.last_seen_at IS NULL THEN 1 ELSE 0 END", f"s.last_seen_at {way}"],
        "waiting": [f"{_WAITING} {way}", "s.name_key ASC"],
        "pending": [
            "CASE WHEN s.pending_changes IS NULL THEN 1 ELSE 0 END",
            f"s.pending_changes {way}",
            "s.name_key ASC",
        ],
    }[sort]
    joined = f"({sql}) s"
    if sort == "waiting":
        joined += f" LEFT JOIN ({_ALL_AFTER}) b ON b.cursor = s.pulled_cursor"
    where = ""
    if flt.state:
        where = "WHERE s.state = ?"
        params.append(flt.state)
    order = ", ".join([*keys, f"s.unit {way}", f"s.node_id {way}"])
    page = ""
    if limit is not None:
        page = " LIMIT ? OFFSET ?"
        params += [int(limit), int(offset)]
    rows = conn.execute(
        f"SELECT s.node_id, s.state FROM {joined} {where} ORDER BY {order}{page}", params
    ).fetchall()
    return [(str(r["node_id"]), str(r["state"])) for r in rows]


def places(conn: sqlite3.Connection) -> list[tuple[str, str | None, int]]:
    """``(province, district, nodes)`` for every province and district that has enrolled
    nodes, ``district`` None for a province's nodes outside any district (every unit since
    July 2025): what the page's filters offer."""
    rows = conn.execute(
        "SELECT u.province, u.district, count(*) AS n FROM nodes n "
        "JOIN unit u ON u.code = n.unit WHERE u.province IS NOT NULL "
        "GROUP BY u.province, u.district"
    ).fetchall()
    return [(str(r["province"]), r["district"], int(r["n"])) for r in rows]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")
