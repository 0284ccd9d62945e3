"""How long the portal's public disclosure takes on 100,000 dossiers (issue [11]): the
results of a year (three grouped queries, ``central_hub/store/disclosure.py``) and a ward's
hall screen (its figures and the dossiers ready to be returned), on a hub's SQLite store.

    /work/main/.venv/bin/python bench/bench_disclosure.py [N]

The dossiers are spread over 27 wards and the 365 days of 2026, a fifth still open, the rest
resolved (one in ten late), one in fifty with an apology step; rows are inserted directly
into the record tables (the write path is not what is measured).
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import median_time  # noqa: E402
from central_hub.reference import WARDS  # noqa: E402
from central_hub.setup import init_hub  # noqa: E402
from central_hub.store import disclosure, open_store  # noqa: E402
from sync import new_id  # noqa: E402


def fill(conn, n: int) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(11)
    units = [w[0] for w in WARDS]
    dossiers, steps = [], []
    for i in range(n):
        unit = units[i % len(units)]
        received = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(525_600))
        due = received + timedelta(days=5)
        status = rng.choice([2, 4, 5, 9, 10, 10, 10, 10, 10, 10])
        done = received + timedelta(days=rng.choice([1, 2, 3, 4, 6]) if rng.random() < 0.1 else 3)
        completed = done.isoformat() if status in (9, 10) else None
        d_id = new_id()
        dossiers.append(
            (d_id, unit, f"H57.{unit}-{received:%y%m%d}-{i % 10000:04d}", "1.001193",
             json.dumps({"full_name": "Nguyễn Văn An"}), "in_person", status,
             received.isoformat(), due.isoformat(), completed)
        )  # fmt: skip
        if i % 50 == 0:
            steps.append((new_id(), unit, d_id, "extend", 4, "bench", received.isoformat()))
    conn.execute("BEGIN")  # one transaction: the store's connection commits each statement
    conn.executemany(
        "INSERT INTO dossier (id, unit, code, procedure_code, applicant, channel, status, "
        "received_at, due_at, completed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        dossiers,
    )
    conn.executemany(
        "INSERT INTO dossier_step (id, unit, dossier_id, action, to_status, actor, at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        steps,
    )
    conn.execute("COMMIT")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "hub"
        init_hub(data, name="bench")
        conn = open_store(data)
        fill(conn, n)

        def year() -> None:
            disclosure.received_by_month(conn, 2026)
            disclosure.resolved_by_month(conn, 2026)
            disclosure.apologies_by_month(conn, 2026)

        def hall() -> None:
            disclosure.hall_figures(conn, "19786", date(2026, 11, 20))
            disclosure.ready_for_return(conn, "19786", 60)

        print(f"{n} dossiers, SQLite, median of 5 runs")
        for name, fn in (("year's results (3 queries)", year),
                         ("hall screen (figures + ready list)", hall)):  # fmt: skip
            start = time.perf_counter()
            fn()
            print(
                f"  {name}: {median_time(fn) * 1000:.1f} ms (first {1000 * (time.perf_counter() - start):.1f} ms)"
            )
        conn.close()


if __name__ == "__main__":
    main()
