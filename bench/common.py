"""Shared helpers of the benchmarks: realistic dossier rows, timers, and the label of a figure
measured elsewhere.

A benchmark prints only what it measured in its own run, with ratios only against a baseline
measured in that same run; a figure from elsewhere is printed through :func:`elsewhere`, with
its source and date, and never enters a ratio (README, "Benchmarks").
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from sync import new_id

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Ngọc", "Minh", "Thanh", "Quang"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Đào", "Hà", "Hoà", "Thuỷ", "Phúc", "Tâm"]


def dossier_rows(n: int, unit: str = "19786", seed: int = 7) -> list[dict[str, Any]]:
    """``n`` dossier records as a ward writes them (about 600 bytes of JSON each)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        rows.append(
            {
                "id": new_id(),
                "unit": unit,
                "code": f"H57.{unit}-2611{(i // 9999) % 28 + 1:02d}-{i % 9999 + 1:04d}",
                "procedure_code": "1.001193",
                "procedure_name": "Đăng ký khai sinh",
                "applicant": {
                    "full_name": f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
                    "id_number": f"046{rng.randint(0, 3)}{rng.randint(60, 99):02d}{rng.randint(0, 999999):06d}",
                    "birth_year": None,
                    "phone": f"+8490{rng.randint(1000000, 9999999)}",
                    "address": f"{rng.randint(1, 200)} Lê Lợi, phường Phú Hội",
                    "email": None,
                },
                "channel": "in_person",
                "status": 2,
                "received_at": "2026-11-27T02:15:00+00:00",
                "due_at": "2026-12-02T10:00:00+00:00",
                "fee": 0,
                "notes": None,
                "handler": "canbo",
                "created_by": "canbo",
            }
        )
    return rows


def flat(row: dict[str, Any]) -> dict[str, Any]:
    """A row with nested objects as JSON text, as a plain table stores it."""
    return {
        k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v for k, v in row.items()
    }


def median_time(fn: Callable[[], object], runs: int = 5, warmup: int = 1) -> float:
    """The median wall time of ``runs`` calls of ``fn``, after ``warmup`` untimed calls (so a
    query and its baseline are timed the same way: same warm-up, same number of runs)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def elsewhere(figure: str, source: str, date: str) -> str:
    """A figure not measured in this run, as a benchmark prints it: with where it comes from
    and when it was measured (``date`` dd/mm/yyyy, or what is known of it)."""
    return f"{figure}   [measured elsewhere, not in this run: {source}; {date}]"
