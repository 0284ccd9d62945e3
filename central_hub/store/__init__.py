"""The hub's persistence: every SQL statement of the hub lives in this package, one module per
domain, behind the functions the rest of the hub calls. This set of functions is the interface
a second database engine (PostgreSQL, next issue) implements; the rest of the hub never runs
SQL itself (``tests/test_project.py`` checks it), and reads rows by column name.

- ``engine.py``: where the store is (a SQLite file, or PostgreSQL) and its connections;
- ``schema.py``: the migrations (ordered, named, recorded in the store), ``open_store``, the
  hub's clock and identity;
- ``journal.py``: the journal of every change with its routes, and the hub's write path
  (``capture``);
- ``enrollments.py``: one-time enrollment tokens, and their redemption by a node;
- ``nodes.py``: the registry of enrolled nodes (keys, chain, cursors, status, revocation);
- ``held.py``: changes held for a clock running ahead, and quarantined ones;
- ``sync_history.py``: the sync history and its pruning;
- ``upgrades.py``: what waits for a node's upgrade;
- ``fleet.py``: the console's list of nodes: states, totals, filters, sorting and paging in SQL;
- ``conflicts.py``: the conflict inbox;
- ``dossier_search.py``: the console's list and search of dossiers across wards;
- ``records.py``: the synced records the hub's pages and APIs read (dossiers, units,
  attachments, numbering);
- ``portal.py``: the portal's submissions and online numbering;
- ``disclosure.py``: what the portal publishes of the desks' work (figures by day, the hall
  screen's);
- ``sms.py``: the SMS dispatcher's bookkeeping;
- ``files.py``: where each file at the hub came from;
- ``edxml.py``: the exchange with agencies outside the city (docs/edxml.md);
- ``edxml_revocations.py``: revocation messages out when a document sent outside is recalled;
- ``metrics.py``: what ``/metrics`` reads at each scrape, one grouped query each.
"""

from . import (
    conflicts,
    disclosure,
    dossier_search,
    edxml,
    edxml_revocations,
    enrollments,
    fleet,
    held,
    metrics,
    nodes,
    sync_history,
    upgrades,
)
from .engine import (
    STORE_FILE,
    StoreUnavailable,
    check_collation,
    close_all,
    connect,
    engine,
    use_database,
    write_marker,
)
from .journal import ALL_UNITS, HUB_ORIGIN, Journal, capture, load_clock, parent_of, routes_for
from .schema import (
    BACKUP_DIR,
    MIGRATIONS,
    ROLES,
    check_store,
    hub_info,
    open_store,
    snapshot,
)

__all__ = [
    "ALL_UNITS",
    "BACKUP_DIR",
    "HUB_ORIGIN",
    "MIGRATIONS",
    "ROLES",
    "STORE_FILE",
    "StoreUnavailable",
    "Journal",
    "capture",
    "check_collation",
    "check_store",
    "close_all",
    "connect",
    "engine",
    "use_database",
    "write_marker",
    "conflicts",
    "disclosure",
    "dossier_search",
    "edxml",
    "edxml_revocations",
    "enrollments",
    "fleet",
    "held",
    "metrics",
    "hub_info",
    "load_clock",
    "nodes",
    "open_store",
    "parent_of",
    "routes_for",
    "snapshot",
    "sync_history",
    "upgrades",
]
