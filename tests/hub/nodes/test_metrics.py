"""The hub's ``GET /metrics`` (docs/operations.md, "Giám sát"): what it tells of each ward, read
from the store at the scrape, the push and pull histograms, and who may read it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from central_hub.metrics import store_families
from sync import HybridClock, SyncReport, wall_ms
from tests.support import ROOT, enrolled_node, hub_token, receive_dossiers, synced_session
from tests.support.hubstore import hub_db
from ward_node.dossiers import Dossiers
from webapp import User

REMOTE = {"REMOTE_ADDR": "203.0.113.9"}  # a client on another machine


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, by (name, sorted labels)."""
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def scrape(
    hub: FlaskClient, **kwargs: object
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    resp = hub.get("/metrics", **kwargs)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.content_type.startswith("text/plain; version=0.0.4")
    return samples(resp.get_data(as_text=True))


def test_a_ward_that_synced_is_seen_with_its_figures(tmp_path: Path, hub: FlaskClient) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    before = scrape(hub)
    receive_dossiers(conn, 4)
    session.run()
    # One dossier past due at the hub, as a ward's sync would bring it.
    with hub_db(tmp_path / "hub") as db:
        db.execute(
            "UPDATE dossier SET due_at = ? WHERE id = (SELECT min(id) FROM dossier)",
            ("2025-01-02T01:00:00+00:00",),
        )
        db.commit()

    after = scrape(hub)
    node = session.node_id
    labels = (("node", node), ("unit", "19786"))
    assert 0 <= after[("wardsync_hub_node_seconds_since_contact", labels)] < 60
    assert after[("wardsync_hub_node_pending_changes", labels)] == 0
    assert after[("wardsync_hub_node_held_changes", labels)] == 0
    assert after[("wardsync_hub_node_refusals", labels)] == 0
    assert after[("wardsync_hub_open_conflicts", (("unit", "19786"),))] == 0
    assert after[("wardsync_hub_dossiers_overdue", (("unit", "19786"),))] == 1
    info = [k for k in after if k[0] == "wardsync_hub_node_info"]
    assert dict(info[0][1])["status"] == "active"
    # Four dossiers in chunks of 3: at least two pushes, each observed in the histogram.
    key = ("wardsync_hub_sync_duration_seconds_count", (("outcome", "ok"), ("verb", "push")))
    assert after[key] - before.get(key, 0) >= 2
    assert after[("wardsync_hub_sms", (("status", "failed"),))] == 0


def test_held_changes_and_refusals_show_per_ward(tmp_path: Path, hub: FlaskClient) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    session.clock = HybridClock(last=session.clock.last, now=lambda: wall_ms() + 12 * 60_000)
    Dossiers(conn, session.clock).receive(
        {"procedure_code": "1.001193", "applicant": {"full_name": "Trương Văn Hai"}},
        User("canbo", "officer", "Cán bộ"),
    )
    session.push(SyncReport())
    before = scrape(hub)
    refused = hub.post("/sync/v1/push", data=b"not an envelope")
    assert refused.status_code >= 400

    after = scrape(hub)
    labels = (("node", session.node_id), ("unit", "19786"))
    with hub_db(tmp_path / "hub") as db:
        held = db.execute("SELECT count(*) FROM held WHERE origin = ?", (session.node_id,))
        in_store = int(held.fetchone()[0])
    assert in_store >= 1  # the dossier and its first step
    assert after[("wardsync_hub_node_held_changes", labels)] == in_store
    key = (
        "wardsync_hub_sync_refusals_total",
        (("code", refused.get_json()["error"]["code"]), ("verb", "push")),
    )
    assert after[key] - before.get(key, 0) == 1
    unverified = [k for k in after if k[0] == "wardsync_hub_unverified_refusals_today"]
    assert unverified and dict(unverified[0][1])["verb"] == "push"


def test_only_the_machine_itself_or_a_token_reads_the_metrics(
    tmp_path: Path, hub: FlaskClient
) -> None:
    remote = hub.get("/metrics", environ_base=REMOTE)
    assert remote.status_code == 401
    assert remote.get_json()["error"]["code"] == "metrics_refused"
    assert "Bearer" in remote.headers["WWW-Authenticate"]
    # Through a proxy the request comes from loopback, yet it is not the machine's own.
    proxied = hub.get("/metrics", headers={"X-Forwarded-For": "198.51.100.7"})
    assert proxied.status_code == 401
    viewer = hub_token(hub, tmp_path / "hub", role="viewer")
    assert hub.get("/metrics", headers=viewer, environ_base=REMOTE).status_code == 403
    operator = hub_token(hub, tmp_path / "hub", role="operator")
    assert hub.get("/metrics", headers=operator, environ_base=REMOTE).status_code == 200
    bad = {"Authorization": "Bearer not-the-token"}
    assert hub.get("/metrics", headers=bad, environ_base=REMOTE).status_code == 401


@pytest.mark.parametrize("hub_config", [{"METRICS_TOKEN": "s3cret-prometheus"}])
def test_the_metrics_token_opens_the_metrics_to_another_machine(hub: FlaskClient) -> None:
    auth = {"Authorization": "Bearer s3cret-prometheus"}
    resp = hub.get("/metrics", headers=auth, environ_base=REMOTE)
    assert resp.status_code == 200
    assert "wardsync_hub_sms" in resp.get_data(as_text=True)


def test_several_processes_add_up_in_multiprocess_mode(tmp_path: Path) -> None:
    """With PROMETHEUS_MULTIPROC_DIR (``serve --reuse-port``, several processes), whichever
    process answers the scrape tells every process's pushes."""
    folder = tmp_path / "prom"
    folder.mkdir()
    code = (
        "import time; from central_hub.metrics import observe; "
        "observe('push', time.perf_counter()); observe('pull', time.perf_counter(), 'bad_sig')"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder), "PYTHONPATH": str(ROOT)}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    merged = CollectorRegistry()
    MultiProcessCollector(merged, path=str(folder))
    found = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for m in merged.collect()
        for s in m.samples
    }
    assert (
        found[("wardsync_hub_sync_duration_seconds_count", (("outcome", "ok"), ("verb", "push")))]
        == 2
    )
    assert found[("wardsync_hub_sync_refusals_total", (("code", "bad_sig"), ("verb", "pull")))] == 2


FLEET = 3321  # the communes and wards of a province-scale deployment (issue [10])


def test_a_fleet_of_3321_nodes_is_scraped_in_one_query_per_figure(tmp_path: Path) -> None:
    """Every node is in the answer, with the state the fleet's seeding gave it, and the scrape
    costs a handful of grouped queries, not one per node."""
    from datetime import UTC, datetime

    from central_hub import create_app
    from central_hub.setup import init_hub
    from central_hub.store import open_store
    from tests.support.fleet import CYCLE, seed_fleet

    init_hub(tmp_path / "hub", name="Hub thử")
    conn = open_store(tmp_path / "hub")
    try:
        ids = seed_fleet(conn, tmp_path / "hub", FLEET, datetime.now(UTC).replace(microsecond=0))
    finally:
        conn.close()
    app = create_app({"DATA": str(tmp_path / "hub")})
    statements: list[str] = []
    with app.test_request_context("/metrics"):
        from webapp import db

        raw = getattr(db(), "set_trace_callback", None)
        if raw is not None:  # SQLite: count the statements the scrape runs
            raw(statements.append)
        started = time.perf_counter()
        families = list(store_families())
        took = time.perf_counter() - started
    found = {(s.name, s.labels.get("node")) for f in families for s in f.samples}
    revoked = {ids[i] for i in range(FLEET) if CYCLE[i % len(CYCLE)] == "revoked"}
    never = {ids[i] for i in range(FLEET) if CYCLE[i % len(CYCLE)] == "never"}
    assert {n for name, n in found if name == "wardsync_hub_node_info"} == set(ids)
    seen = {n for name, n in found if name == "wardsync_hub_node_seconds_since_contact"}
    assert seen == set(ids) - revoked - never
    if raw is not None:
        assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 8
    print(f"scrape of {FLEET} nodes: {took * 1000:.0f} ms")  # noqa: T201 (the README's figure)
    assert took < 5
