"""The ward node's ``GET /metrics`` (docs/operations.md, "Giám sát"; who may read it:
webapp/metrics.py): its sync state as ``GET /api/v1/sync/status`` tells it, and its dossiers
overdue, read from its store at each scrape.

A ward runs one process, so nothing needs to be summed across processes; the figures come from
the store, which ``ward-node sync`` and ``serve`` share, so a sync made by either shows.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from office import OVERDUE_SQL
from sync import get_meta, read_status

from . import __version__
from .web import db, state

STATES = ("synced", "syncing", "offline", "error")
OBSERVED = CollectorRegistry()  # nothing observed by views yet: every figure is the store's
ROLES = ("admin",)  # whose API token may read the metrics


def _age(now: float, iso: object) -> float | None:
    if not iso:
        return None
    return max(0.0, now - datetime.fromisoformat(str(iso)).timestamp())


def overdue_count(conn: sqlite3.Connection, now: float) -> int:
    """How many of the ward's dossiers are overdue at ``now`` (office/dossier_time.py)."""
    at = datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds")
    row = conn.execute(f"SELECT count(*) AS n FROM dossier WHERE {OVERDUE_SQL}", (at,)).fetchone()
    return int(row["n"])


def _gauge(name: str, text: str, value: float | None) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, text, labels=[])
    if value is not None:
        family.add_metric([], value)
    return family


def store_families() -> Iterator[Metric]:
    """The metric families read from the store now (this request's connection)."""
    conn = db()
    now = time.time()
    status = read_status(conn)
    info = GaugeMetricFamily(
        "wardsync_ward_info", "This ward node (value 1)", labels=["unit", "node", "version"]
    )
    info.add_metric(
        [str(get_meta(conn, "unit", "")), str(get_meta(conn, "node_id", "")), __version__], 1
    )
    yield info
    family = GaugeMetricFamily(
        "wardsync_ward_sync_state",
        "The node's sync state: 1 for the current one (synced, syncing, offline, error)",
        labels=["state"],
    )
    for name in STATES:
        family.add_metric([name], 1 if status["state"] == name else 0)
    yield family
    yield _gauge(
        "wardsync_ward_seconds_since_sync",
        "Seconds since the last sync the hub acknowledged (none before the first)",
        _age(now, status["last_success_at"]),
    )
    yield _gauge(
        "wardsync_ward_pending_changes",
        "Changes made here that the hub has not acknowledged yet",
        status["pending_changes"],
    )
    yield _gauge(
        "wardsync_ward_oldest_pending_seconds",
        "Age of the oldest change waiting to be sent (none when nothing waits)",
        _age(now, status["oldest_pending_at"]),
    )
    error = status["last_error"] if isinstance(status["last_error"], dict) else None
    family = GaugeMetricFamily(
        "wardsync_ward_sync_last_error_timestamp_seconds",
        "When the last sync attempt failed, by machine code (none while syncs go fine)",
        labels=["code"],
    )
    if error:
        at = error.get("at")
        moment = datetime.fromisoformat(str(at)).timestamp() if at else now
        family.add_metric([str(error.get("code") or "error")], moment)
    yield family
    yield _gauge(
        "wardsync_ward_refused_changes",
        "Changes the hub refused for good (kept aside, shown on the sync page)",
        int(status["refused_changes"] or 0),
    )
    yield _gauge(
        "wardsync_ward_waiting_upgrade",
        "Entries the hub holds until this node is upgraded (docs/upgrades.md)",
        int(status["waiting_upgrade"] or 0),
    )
    worker = state().worker
    yield _gauge(
        "wardsync_ward_sync_paused",
        "1 while the background sync is paused from the tray, 0 otherwise",
        1 if worker is not None and worker.paused else 0,
    )
    yield _gauge(
        "wardsync_ward_dossiers_overdue",
        "Dossiers past their due time while their clock runs",
        overdue_count(conn, now),
    )
