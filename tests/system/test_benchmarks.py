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
    assert "median and p95 of 1 runs after one warm-up" in lines[0]
    rows = [x for x in lines[2:] if x.strip() and not x.lstrip().startswith("slowest")]
    assert len(rows) == 14 and all(x.count(" ms") == 5 for x in rows)
    # Each exact look-up (CCCD, phone, code) goes by its index; the rest by words.
    assert sum(" exact " in x for x in rows) == 6 and sum(" words " in x for x in rows) == 8
    assert (
        lines[-1].startswith("  slowest exact look-up (median):")
        and "target under 5 ms" in lines[-1]
    )
