"""The benchmarks say only what they measured (README, "Benchmarks"): each runs at a toy size,
every figure from elsewhere (PouchDB's) is printed with its source and date and enters no
ratio, and the search's baselines find what the search finds (the benchmark asserts it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cluster import env

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def bench(script: str, *args: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        capture_output=True,
        text=True,
        env=env(),
        timeout=240,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


@pytest.mark.parametrize("engines", ["sqlite", "sqlite,postgresql"])
def test_sync_benchmark_labels_pouchdb_as_measured_elsewhere_and_takes_no_ratio_of_it(
    engines: str,
) -> None:
    lines = bench("bench_sync.py", "--changes", "300", "--chunk", "100", "--engines", engines)
    assert lines[1].split()[-len(engines.split(",")) :] == engines.split(",")
    measured = lines[: lines.index(next(x for x in lines if x.startswith("for scale")))]
    assert not any("pouchdb" in x.lower() for x in measured)
    assert any(x.strip().startswith("time ratio, sync / baseline") for x in measured)
    pouch = [x for x in lines if "PouchDB" in x]
    assert pouch and all("measured elsewhere, not in this run:" in x for x in pouch)


def test_search_benchmark_times_each_query_beside_its_baselines() -> None:
    lines = bench("bench_search.py", "--dossiers", "300", "--runs", "1")
    assert "median of 1 run after one warm-up" in lines[0]
    rows = [x for x in lines[2:] if x.strip()]
    assert len(rows) == 9 and all(x.count(" ms") == 3 for x in rows)
