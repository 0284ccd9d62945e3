"""Bounded growth (issue [8]): what every request adds to a store is summarised or pruned on a
schedule, so a year of 27 wards syncing every 30 s does not grow the hub without bound
(docs/operations.md, "Growth"; the figures: ``bench/bench_growth.py``)."""

from __future__ import annotations

import base64
import json
import sqlite3
import stat
import time
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from central_hub import create_app as create_hub
from central_hub import housekeeping, nodes
from central_hub.setup import init_hub, load_keys
from central_hub.sms.providers import LogProvider
from central_hub.store import open_store as open_hub
from central_hub.store import sync_history
from sync import ChangesetError, KeyPair, ValidationError, get_meta
from tests.support import (
    UNIT,
    console_login,
    enrolled_node,
    receive_dossiers,
    synced_session,
    wait_until,
)
from tests.support.hubstore import hub_db
from webapp import background_workers, check_rate, stop_background, throttle

DAY = 86400.0


def _events(tmp_path: Path) -> list[tuple[str, str, int]]:
    conn = hub_db(tmp_path / "hub")
    try:
        return conn.execute("SELECT kind, outcome, changes FROM sync_events ORDER BY id").fetchall()
    finally:
        conn.close()


def _summary(tmp_path: Path) -> tuple[int, int, str]:
    conn = hub_db(tmp_path / "hub")
    try:
        return conn.execute("SELECT visits, quiet, last_outcome FROM sync_visits").fetchone()
    finally:
        conn.close()


def _enroll(conn: sqlite3.Connection, data: Path, unit: str) -> nodes.Node:
    """A node of ``unit`` registered straight in the hub's store (no ward behind it)."""
    text = nodes.make_token(
        conn,
        unit=unit,
        name="Máy thử",
        hub_url="http://hub.test",
        hub_keys=load_keys(data),
        hours=1,
    )
    raw = text.split(".", 1)[1]
    secret = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))["secret"]
    return nodes.redeem(
        conn, unit=unit, secret=secret, keys=KeyPair.generate().public, software="wardsync"
    )


@pytest.fixture
def store(tmp_path: Path) -> tuple[sqlite3.Connection, Path]:
    data = tmp_path / "hub"
    init_hub(data, name="Hub thử")
    conn = open_hub(data)
    yield conn, data
    conn.close()


# -- the sync history: a summary per node, rows only for what moved -----------------------------


def test_syncs_that_move_nothing_add_no_history_rows_but_are_counted(
    tmp_path: Path, hub: FlaskClient
) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    rows = _events(tmp_path)
    assert rows and rows[-1][:2] == ("pull", "ok") and rows[-1][2] > 0  # the reference data
    visits = _summary(tmp_path)[0]
    for _ in range(5):
        session.run()  # nothing to push, nothing routed: each run is one quiet pull
    assert _events(tmp_path) == rows
    assert _summary(tmp_path) == (visits + 5, 5, "ok")

    receive_dossiers(conn, 1)  # a dossier and its first step: two changes to push
    session.run()
    after = _events(tmp_path)
    assert after[: len(rows)] == rows and after[len(rows) :] == [("push", "ok", 2)]
    assert _summary(tmp_path) == (visits + 7, 6, "ok")  # the push, then a quiet pull
    assert get_meta(conn, "sync.state") == "synced"
    conn.close()


def test_a_refusal_shows_on_the_dashboard_until_a_quiet_visit_goes_fine(
    tmp_path: Path, hub: FlaskClient
) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    console_login(hub, tmp_path / "hub")
    hub_conn = open_hub(tmp_path / "hub")
    node = nodes.get_node(hub_conn, session.node_id)
    sync_history.record_refusal(
        hub_conn, b"x" * 10, "push", ChangesetError("Gói hỏng.", code="bad_changeset"), node
    )
    row = hub.get("/console/api/units").get_json()["items"][0]
    assert row["state"] == "error" and row["state_detail"] == "bad_changeset: Gói hỏng."
    assert _summary(tmp_path)[2] == "refused"

    session.run()  # a quiet visit: no row, yet the node syncs fine again
    assert _events(tmp_path)[-1][:2] == ("push", "refused")
    row = hub.get("/console/api/units").get_json()["items"][0]
    assert row["state"] == "synced" and row["state_detail"] == ""
    page = hub.get(f"/console/don-vi/{UNIT}").text
    assert "lượt không có gì để chuyển" in page and "thành công" in page
    assert "Bị từ chối" in page  # the refusal stays in the history
    hub_conn.close()
    conn.close()


# One step of a node's life at the hub: a visit that moved something, one that moved nothing,
# a refusal of its verified request.
STEPS = st.lists(st.sampled_from(["moved", "quiet", "refused"]), min_size=1, max_size=12)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS)
def test_the_console_says_error_exactly_when_the_last_visit_was_refused(
    store: tuple[sqlite3.Connection, Path], steps: list[str]
) -> None:
    conn, data = store
    node = _enroll(conn, data, UNIT)
    for step in steps:
        if step == "refused":
            error = ChangesetError("Gói hỏng.", code="bad_changeset")
            sync_history.record_refusal(conn, b"", "push", error, node)
        else:
            count = 3 if step == "moved" else 0
            sync_history.record_visit(
                conn, node, b"", 100, "pull", count, time.perf_counter(), "", measure_clock=False
            )
    refused = sync_history.refused_now(conn, node.node_id, node.unit)
    assert (refused is not None) == (steps[-1] == "refused")
    rows = conn.execute(
        "SELECT count(*) FROM sync_events WHERE node_id = ?", (node.node_id,)
    ).fetchone()[0]
    assert rows == sum(1 for s in steps if s != "quiet")
    visits, quiet, kept = conn.execute(
        "SELECT visits, quiet, kept FROM sync_visits WHERE node_id = ?", (node.node_id,)
    ).fetchone()
    assert (visits, quiet, kept) == (len(steps), steps.count("quiet"), rows)


def test_a_store_from_before_gets_each_nodes_summary_from_its_history(
    store: tuple[sqlite3.Connection, Path],
) -> None:
    conn, data = store
    fine, broken = _enroll(conn, data, UNIT), _enroll(conn, data, "19747")
    with conn:  # the store as the previous release left it
        conn.execute("DROP TABLE sync_visits")
        conn.execute("DROP INDEX sync_events_at")
        conn.execute("DELETE FROM _migrations WHERE name = '0027_sync_visits'")
        for node, outcomes in ((fine, ["refused", "ok", "ok"]), (broken, ["ok", "refused"])):
            for i, outcome in enumerate(outcomes):
                conn.execute(
                    "INSERT INTO sync_events (node_id, unit, at, kind, outcome, detail) "
                    "VALUES (?, ?, ?, 'pull', ?, ?)",
                    (node.node_id, node.unit, f"2026-11-0{i + 1}T08:00:00+00:00", outcome, "lý do"),
                )
    conn.close()
    conn = open_hub(data)
    got = {
        r[0]: tuple(r[1:])
        for r in conn.execute("SELECT node_id, since, visits, kept, last_outcome FROM sync_visits")
    }
    assert got == {
        fine.node_id: ("2026-11-01T08:00:00+00:00", 3, 3, "ok"),
        broken.node_id: ("2026-11-01T08:00:00+00:00", 2, 2, "refused"),
    }
    assert sync_history.refused_now(conn, fine.node_id, fine.unit) is None
    assert sync_history.refused_now(conn, broken.node_id, broken.unit) == (
        "lý do",
        "2026-11-02T08:00:00+00:00",
    )
    conn.close()


# -- pruning --------------------------------------------------------------------------------------


def test_housekeeping_deletes_history_older_than_its_days_and_keeps_the_rest(
    store: tuple[sqlite3.Connection, Path],
) -> None:
    conn, data = store
    node = _enroll(conn, data, UNIT)
    now = time.time()
    error = ChangesetError("Gói hỏng.", code="bad_changeset")
    for days_ago in (200, 91, 89, 1):
        when = now - days_ago * DAY
        sync_history.record_visit(
            conn, node, b"", 10, "push", 1, 0, "", measure_clock=False, now=when
        )
        sync_history.record_refusal(conn, b"", "pull", error, node, now=when)
        sync_history.record_refusal(conn, b"", "push", error, now=when)  # sender unknown
    done = housekeeping.run_once(conn, data, history_days=90, now=now)
    assert done["history"] == 2 * 2 + 2  # two rows a day for two days, two unverified days
    kept = conn.execute("SELECT count(*) FROM sync_events").fetchone()[0]
    days = [r[0] for r in conn.execute("SELECT day FROM unverified_refusals ORDER BY day")]
    assert kept == 4 and len(days) == 2
    assert min(days) >= sync_history._iso(now - 90 * DAY)[:10]
    assert housekeeping.run_once(conn, data, history_days=90, now=now)["history"] == 0
    # The node's summary is never pruned: the console still knows its last visit.
    assert tuple(conn.execute("SELECT visits, kept FROM sync_visits").fetchone()) == (8, 4)


def test_a_unit_keeps_at_most_its_newest_rows_and_a_round_has_a_budget(
    store: tuple[sqlite3.Connection, Path],
) -> None:
    conn, data = store
    flood, calm = _enroll(conn, data, UNIT), _enroll(conn, data, "19747")
    error = ChangesetError("Gói hỏng.", code="bad_changeset")
    for _ in range(30):
        sync_history.record_refusal(conn, b"", "push", error, flood)
    for _ in range(5):
        sync_history.record_refusal(conn, b"", "push", error, calm)
    newest = [r[0] for r in conn.execute("SELECT id FROM sync_events WHERE unit = ?", (UNIT,))]
    assert sync_history.prune(conn, keep_per_unit=10, budget=7) == 7  # at most its budget
    assert sync_history.prune(conn, keep_per_unit=10) == 13
    left = [r[0] for r in conn.execute("SELECT id FROM sync_events WHERE unit = ?", (UNIT,))]
    assert left == newest[-10:]
    kept = dict(conn.execute("SELECT unit, kept FROM sync_visits").fetchall())
    assert kept == {UNIT: 10, "19747": 5}
    assert conn.execute("SELECT count(*) FROM sync_events WHERE unit = '19747'").fetchone()[0] == 5


def test_housekeeping_forgets_failed_logins_and_rate_limit_rows_that_no_longer_count(
    store: tuple[sqlite3.Connection, Path],
) -> None:
    conn, data = store
    now = time.time()
    throttle.record_failure(conn, "10.9.9.9", "admin", now=now - 60)
    check_rate(conn, "10.9.9.9", 20, now=now - 10)
    for i in range(300):  # a burst from many addresses two hours ago, then silence
        throttle.record_failure(conn, f"10.0.{i // 250}.{i % 250}", "admin", now=now - 7200)
        check_rate(conn, f"10.1.{i // 250}.{i % 250}", 20, now=now - 7200)
    # Each table forgets old rows only when a new one comes: the burst would stay for ever.
    assert conn.execute("SELECT count(*) FROM login_failures").fetchone()[0] == 301
    assert conn.execute("SELECT count(*) FROM public_lookups").fetchone()[0] == 301
    done = housekeeping.run_once(conn, data, now=now)
    assert (done["login_failures"], done["public_lookups"]) == (300, 300)
    assert [tuple(r) for r in conn.execute("SELECT address FROM login_failures")] == [("10.9.9.9",)]
    assert [tuple(r) for r in conn.execute("SELECT client FROM public_lookups")] == [("10.9.9.9",)]


def test_serve_runs_housekeeping_in_a_thread_of_its_own(tmp_path: Path) -> None:
    data = tmp_path / "hub"
    init_hub(data, name="Hub thử")
    conn = open_hub(data)
    node = _enroll(conn, data, UNIT)
    old = time.time() - 100 * DAY
    sync_history.record_visit(conn, node, b"", 1, "push", 1, 0, "", measure_clock=False, now=old)
    throttle.record_failure(conn, "10.0.0.1", "admin", now=old)
    conn.close()
    app = create_hub(
        {"DATA": str(data), "SMS_INTERVAL": 0, "HOUSEKEEPING_INTERVAL": 3600},
        start_dispatcher=True,
    )
    keeper = app.extensions["housekeeper"]
    try:
        assert keeper is not None and keeper._thread.daemon
        assert background_workers(app)[-1] is keeper
        wait_until(lambda: keeper.rounds >= 1, 30, 0.05, what="a first housekeeping round")
    finally:
        stop_background(app)
    assert not keeper._thread.is_alive()
    assert background_workers(app) == []
    conn = open_hub(data)
    assert conn.execute("SELECT count(*) FROM sync_events").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM login_failures").fetchone()[0] == 0
    conn.close()
    off = create_hub({"DATA": str(data), "HOUSEKEEPING_INTERVAL": 0}, start_dispatcher=True)
    try:
        assert off.extensions["housekeeper"] is None
        assert off.extensions["housekeeper"] not in background_workers(off)
    finally:
        stop_background(off)
    assert create_hub({"DATA": str(data)}).extensions["housekeeper"] is None  # not serve


def test_the_wards_serve_runs_housekeeping_too(tmp_path: Path) -> None:
    from tests.support import make_ward_data
    from ward_node import create_app as create_ward
    from ward_node.store import open_store as open_ward

    data = make_ward_data(tmp_path / "ward")
    conn = open_ward(data)
    throttle.record_failure(conn, "10.0.0.1", "canbo", now=time.time() - 2 * 3600)
    check_rate(conn, "10.0.0.2", 20, now=time.time() - 120)
    conn.close()
    app = create_ward({"DATA": str(data), "SYNC_INTERVAL": 0}, start_worker=True)
    keeper = app.extensions["housekeeper"]
    try:
        wait_until(lambda: keeper.rounds >= 1, 30, 0.05, what="a first housekeeping round")
    finally:
        stop_background(app)
    conn = open_ward(data)
    assert conn.execute("SELECT count(*) FROM login_failures").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM public_lookups").fetchone()[0] == 0
    conn.close()


@pytest.mark.parametrize("value", [0, -5, "mười", 4000])
def test_a_bad_history_period_is_refused_at_start(tmp_path: Path, value: object) -> None:
    init_hub(tmp_path / "hub", name="Hub thử")
    with pytest.raises(ValidationError, match="HISTORY_DAYS") as caught:
        create_hub({"DATA": str(tmp_path / "hub"), "HISTORY_DAYS": value})
    assert caught.value.code == "bad_setting"


# -- sms.log ---------------------------------------------------------------------------------------


def test_the_sms_log_rotates_by_size_keeps_its_files_private_and_loses_no_recent_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sms.log"
    provider = LogProvider(path, max_bytes=2000, keep=3)
    ids = [provider.send("+84905123456", f"Hồ sơ số {i:03d} đã có kết quả.") for i in range(200)]
    files = sorted(tmp_path.iterdir())
    assert [f.name for f in files] == ["sms.log", "sms.log.1", "sms.log.2", "sms.log.3"]
    for f in files:
        assert f.stat().st_size <= 2000
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
    lines = [
        json.loads(line)
        for name in ("sms.log.3", "sms.log.2", "sms.log.1", "sms.log")
        for line in (tmp_path / name).read_text(encoding="utf-8").splitlines()
    ]
    # The newest messages, in order, with nothing missing between them.
    assert [line["id"] for line in lines] == ids[-len(lines) :]
    assert len(lines) > 3 * 2000 // 200


# -- the ward's sync deadlines ------------------------------------------------------------------


def test_the_wards_sync_deadlines_come_from_its_settings(tmp_path: Path) -> None:
    from tests.support import make_ward_data
    from ward_node import create_app as create_ward
    from ward_node.settings import sync_deadlines

    assert sync_deadlines(
        {"SYNC_CONNECT_TIMEOUT": "0.5", "SYNC_READ_TIMEOUT": 2, "SYNC_DEADLINE": 4.0}
    ) == {"connect_timeout": 0.5, "timeout": 2.0, "deadline": 4.0}
    data = make_ward_data(tmp_path / "ward")
    with pytest.raises(ValidationError, match="SYNC_READ_TIMEOUT"):
        create_ward({"DATA": str(data), "SYNC_READ_TIMEOUT": "lâu"})
    with pytest.raises(ValidationError, match="SYNC_DEADLINE"):
        create_ward({"DATA": str(data), "SYNC_DEADLINE": 0})


def test_the_wards_sync_status_is_overwritten_at_each_run_not_added_to(
    tmp_path: Path, hub: FlaskClient
) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    session.run()
    before = conn.execute("SELECT count(*) FROM meta").fetchone()[0]
    for _ in range(5):
        session.run()
    assert conn.execute("SELECT count(*) FROM meta").fetchone()[0] == before
    conn.close()
