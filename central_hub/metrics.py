"""The hub's ``GET /metrics`` (docs/operations.md, "Giám sát"; who may read it: webapp/metrics.py).

Two kinds of figures:

- **from the store, at each scrape** (:func:`store_families`): per node, the seconds since
  its last contact, the changes it reported waiting to be sent, its changes held and
  quarantined at the hub, its refusals since its last visit that went fine; per unit, open
  conflicts and overdue dossiers; SMS notices by status; unverified refusals of the day. They
  are exact whichever hub process answers (every process reads the same store), and cheap on
  a fleet of 3,321 nodes: one grouped query each (central_hub/store/metrics.py).
- **observed by the sync routes** (:data:`OBSERVED`): push and pull durations as histograms,
  and refusals by kind and code as a counter. They are this process's; with several hub
  processes on one port (``serve --reuse-port``), set ``PROMETHEUS_MULTIPROC_DIR`` to a folder
  all of them share, emptied when the group starts, and each scrape tells the sum of all
  (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from webapp import db

from .store import metrics as figures
from .store import records

# How long a push or a pull takes at the hub, from its body read to its answer sealed: a
# 27-ward city's visits take tens of milliseconds; a backlog's chunk a few seconds.
BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

OBSERVED = CollectorRegistry(auto_describe=True)
SYNC_DURATION = Histogram(
    "wardsync_hub_sync_duration_seconds",
    "Time the hub took to answer a node's push or pull, by verb and outcome (ok or refused)",
    ("verb", "outcome"),
    buckets=BUCKETS,
    registry=OBSERVED,
)
SYNC_REFUSALS = Counter(
    "wardsync_hub_sync_refusals",
    "Requests of the node protocol the hub refused, by verb and machine code",
    ("verb", "code"),
    registry=OBSERVED,
)
ROLES = ("admin", "operator")  # whose API token may read the metrics


def observe(verb: str, started: float, refusal: str | None = None) -> None:
    """Count one answer to ``verb`` (push, pull, recover) begun at ``started``
    (``time.perf_counter()``), refused with the machine code ``refusal`` if given."""
    outcome = "ok" if refusal is None else "refused"
    SYNC_DURATION.labels(verb, outcome).observe(time.perf_counter() - started)
    if refusal is not None:
        SYNC_REFUSALS.labels(verb, refusal).inc()


def _age(now: float, iso: str | None) -> float | None:
    if not iso:
        return None
    return max(0.0, now - datetime.fromisoformat(iso).timestamp())


def store_families() -> Iterator[Metric]:
    """The metric families read from the store now (this request's connection)."""
    conn = db()
    now = time.time()
    nodes = figures.node_figures(conn)
    node_labels = ("unit", "node")
    info = GaugeMetricFamily(
        "wardsync_hub_node_info",
        "Each enrolled node (value 1): its unit, status (active, revoked) and software",
        labels=("unit", "node", "status", "software"),
    )
    seen = GaugeMetricFamily(
        "wardsync_hub_node_seconds_since_contact",
        "Seconds since the hub last heard from an active node (none before its first contact)",
        labels=node_labels,
    )
    pending = GaugeMetricFamily(
        "wardsync_hub_node_pending_changes",
        "Changes an active node last reported waiting to be sent to the hub",
        labels=node_labels,
    )
    held = GaugeMetricFamily(
        "wardsync_hub_node_held_changes",
        "Changes of an active node held at the hub because its clock runs ahead",
        labels=node_labels,
    )
    aside = GaugeMetricFamily(
        "wardsync_hub_node_quarantined_changes",
        "Held changes of a node set aside for good (revoked, or refused on release)",
        labels=node_labels,
    )
    refused = GaugeMetricFamily(
        "wardsync_hub_node_refusals",
        "Visits of an active node refused since its last visit that went fine",
        labels=node_labels,
    )
    for node in nodes:
        labels = [node.unit, node.node_id]
        info.add_metric([*labels, node.status, node.software], 1)
        aside.add_metric(labels, node.quarantined)
        if node.status != "active":
            continue  # a revoked node is silent on purpose: no alert for it
        age = _age(now, node.last_seen_at)
        if age is not None:
            seen.add_metric(labels, age)
        if node.pending_changes is not None:
            pending.add_metric(labels, node.pending_changes)
        held.add_metric(labels, node.held)
        refused.add_metric(labels, node.refusals)
    yield from (info, seen, pending, held, aside, refused)

    units = sorted({n.unit for n in nodes if n.status == "active"})
    conflicts = figures.open_conflicts(conn)
    family = GaugeMetricFamily(
        "wardsync_hub_open_conflicts",
        "Open conflicts waiting for a decision, by unit",
        labels=["unit"],
    )
    for unit in sorted(set(units) | set(conflicts)):
        family.add_metric([unit], conflicts.get(unit, 0))
    yield family

    overdue = records.overdue_counts(
        conn, datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds")
    )
    family = GaugeMetricFamily(
        "wardsync_hub_dossiers_overdue",
        "Dossiers past their due time while their clock runs, by unit (as last synced)",
        labels=["unit"],
    )
    for unit in sorted(set(units) | set(overdue)):
        family.add_metric([unit], overdue.get(unit, 0))
    yield family

    sms = figures.sms_by_status(conn)
    family = GaugeMetricFamily(
        "wardsync_hub_sms", "SMS notices at the hub by status", labels=["status"]
    )
    for status in ("queued", "sending", "sent", "delivered", "failed"):
        family.add_metric([status], sms.get(status, 0))
    yield family

    today = datetime.fromtimestamp(now, UTC).date().isoformat()
    family = GaugeMetricFamily(
        "wardsync_hub_unverified_refusals_today",
        "Requests refused today (UTC) whose sender could not be verified, by verb and code",
        labels=["verb", "code"],
    )
    for (verb, code), count in sorted(figures.unverified_refusals(conn, today).items()):
        family.add_metric([verb, code], count)
    yield family
