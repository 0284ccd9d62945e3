"""The console's dossier list and search (``central_hub/store/dossier_search.py``) on a hub
store (SQLite) of N dossiers of 27 wards: the p50 and p95 of each query's first page and its
count, beside the full-scan baseline measured in the same run on the same rows (the same
query with the store's indexes ignored: ``NOT INDEXED`` on the table).

    python bench/bench_console_search.py [--dossiers 100000] [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import dossier_rows  # noqa: E402
from central_hub.store import dossier_search, open_store  # noqa: E402
from sync import Change, Replica, atomic  # noqa: E402

WARDS = [
    "19744",
    "19747",
    "19750",
    "19753",
    "19756",
    "19759",
    "19762",
    "19765",
    "19768",
    "19771",
    "19774",
    "19777",
    "19780",
    "19783",
    "19786",
    "19789",
    "19792",
    "19795",
    "19798",
    "19801",
    "19803",
    "19804",
    "19807",
    "19810",
    "19813",
    "19815",
    "19816",
]
NOW = "2026-12-07T03:00:00+00:00"


def fill(conn: object, n: int) -> dict[str, str]:
    """``n`` dossiers spread over the 27 wards, merged as the hub applies a ward's changes;
    the values of one of them to look up."""
    seq = 0
    picked: dict[str, str] = {}
    for start in range(0, n, 5000):
        rows = dossier_rows(min(5000, n - start), seed=start)
        changes = []
        for i, r in enumerate(rows):
            seq += 1
            r["unit"] = WARDS[(start + i) % len(WARDS)]
            r["code"] = r["code"].replace("19786", r["unit"])
            r["status"] = (2, 4, 4, 5, 9, 10)[(start + i) % 6]
            changes.append(Change(r["unit"], seq, seq, "dossier", r["id"], r["unit"], r, {}, "x"))
        with atomic(conn):  # type: ignore[arg-type]
            Replica(conn).merge(changes)  # type: ignore[arg-type]
        if not picked:
            r = rows[len(rows) // 2]
            picked = {
                "code": r["code"],
                "id_number": r["applicant"]["id_number"],
                "phone": r["applicant"]["phone"],
                "name": r["applicant"]["full_name"],
            }
    return picked


def timings(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """(p50, p95) in ms of ``runs`` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, round(0.95 * len(times)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    from sync import fold

    with tempfile.TemporaryDirectory() as folder:
        conn = open_store(Path(folder))
        started = time.perf_counter()
        picked = fill(conn, args.dossiers)
        print(
            f"{args.dossiers} dossiers of 27 wards written in {time.perf_counter() - started:.0f} s"
        )
        Q = dossier_search.DossierQuery
        queries = {
            "list, first page": Q(),
            "one ward": Q(unit="19786"),
            "status 5": Q(status=5),
            "overdue": Q(overdue_at=NOW),
            "received one day": Q(
                received_from="2026-11-27T00:00:00+00:00",
                received_before="2026-11-28T00:00:00+00:00",
            ),
            "code (exact)": Q(lookup="code", value=picked["code"]),
            "CCCD (exact)": Q(lookup="id_number", value=picked["id_number"]),
            "CCCD nobody has": Q(lookup="id_number", value="046199999999"),
            "phone (exact)": Q(lookup="phone", value=picked["phone"]),
            "name, no diacritics": Q(lookup="name", value=fold(picked["name"])),
            "name nobody has": Q(lookup="name", value="khong co ai ten nay"),
            "ward + name": Q(unit="19786", lookup="name", value=fold(picked["name"])),
        }
        print(
            f"{'query':24} {'page p50':>9} {'page p95':>9} {'count p95':>10} "
            f"{'scan p95':>9}  (ms, {args.runs} runs)"
        )
        for label, q in queries.items():
            p50, p95 = timings(lambda q=q: dossier_search.page(conn, q), args.runs)
            _c50, c95 = timings(lambda q=q: dossier_search.count(conn, q), args.runs)
            clauses, params = q.where(conn)
            where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
            sql = f"SELECT * FROM dossier NOT INDEXED {where} ORDER BY id DESC LIMIT 51"
            _s50, s95 = timings(
                lambda sql=sql, params=params: conn.execute(sql, params).fetchall(),
                max(3, args.runs // 4),
            )
            print(f"{label:24} {p50:9.2f} {p95:9.2f} {c95:10.2f} {s95:9.2f}")
        conn.close()


if __name__ == "__main__":
    main()
