"""The fleet benchmark's short variant (``bench/bench_fleet.py --quick``: 50 nodes enrolled
through the protocol, a few seconds of polling, the burst) runs to the end on each engine,
and every node's requests succeed; the full run is ``make bench-fleet``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.cluster import ROOT, env


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_quick_fleet_run_serves_every_node_without_error(engine: str) -> None:
    done = subprocess.run(
        [sys.executable, "bench/bench_fleet.py", "--quick", "--json", "--engines", engine],
        capture_output=True,
        text=True,
        env=env(),
        cwd=ROOT,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (result,) = json.loads(done.stdout)["results"]
    assert result["engine"] == engine and result["nodes"] == 50
    assert result["enroll"] == {
        "enrolled": 50,
        "seconds": result["enroll"]["seconds"],
        "errors": {},
    }
    assert result["first_sync"]["errors"] == {}
    steady = result["steady"]
    assert steady["errors"] == 0, steady["error_kinds"]
    # Every node visits at its own phase of a 2 s interval for 8 s: four visits each.
    assert steady["pulls"] >= 50 * 4
    assert steady["entries_pulled"] == result["routed_directives"] > 0
    assert all(steady["pull_ms"][p] > 0 for p in ("p50", "p95", "p99"))
    assert steady["hub"]["cpu_s"] > 0 and steady["hub"]["rss_peak_mb"] > 0
    burst = result["burst"]
    assert burst["served"] == 50 and burst["errors"] == 0
    assert burst["seconds_to_last"] is not None and burst["seconds_to_last"] < 60
    growth = result["growth_per_day"]
    assert growth["sync_visits_rows_now"] == 50  # a summary row per node
