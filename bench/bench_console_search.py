"""The console's dossier list and search (``central_hub/store/dossier_search.py``) on a hub
store of N dossiers of 27 wards, on SQLite and PostgreSQL: the p50 and p95 of each query's
first page, of a deep page (the 20th, reached through its keyset cursor) and of its capped
count, beside the full-scan baseline measured in the same run on the same rows (the same
query and order with the indexes out of play: ``NOT INDEXED`` on SQLite,
``enable_indexscan``/``enable_bitmapscan`` off on PostgreSQL).

The dossiers are received over the 400 days before NOW, due 5 to 15 days later; those due
before NOW are mostly finished (9, 10), 4 % still running (overdue), 1 % awaiting papers (5);
those not yet due are being handled (2, 4, 5). Five procedures.

    python bench/bench_console_search.py [--dossiers 100000] [--runs 20]
        [--engines sqlite,postgresql]
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

import random  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402

from bench.common import dossier_rows  # noqa: E402
from bench.fleet_store import engines  # noqa: E402
from central_hub.store import dossier_search  # noqa: E402
from sync import Change, Replica, atomic, is_postgres  # noqa: E402

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
PROCEDURES = ["1.001193", "1.000894", "1.001022", "2.000908", "1.004227"]


def shape(r: dict[str, object], i: int, rng: random.Random) -> None:
    """Give the row ``r`` (the ``i``-th) a received time, a due time, a status and a
    procedure as a year of a city's one-stop desks spreads them (module docstring)."""
    now = datetime.fromisoformat(NOW)
    received = now - timedelta(seconds=rng.randint(0, 400 * 86400))
    due = received + timedelta(days=rng.randint(5, 15))
    if due >= now:
        status = rng.choice((2, 4, 4, 5))
    else:
        roll = rng.random()
        status = 4 if roll < 0.04 else 5 if roll < 0.05 else rng.choice((9, 10, 10))
    r["received_at"] = received.isoformat(timespec="seconds")
    r["due_at"] = due.isoformat(timespec="seconds")
    r["status"] = status
    r["procedure_code"] = PROCEDURES[i % len(PROCEDURES)]


def fill(conn: object, n: int) -> dict[str, str]:
    """``n`` dossiers spread over the 27 wards, merged as the hub applies a ward's changes;
    the values of one of them to look up."""
    seq = 0
    rng = random.Random(11)
    picked: dict[str, str] = {}
    for start in range(0, n, 5000):
        rows = dossier_rows(min(5000, n - start), seed=start)
        changes = []
        for i, r in enumerate(rows):
            seq += 1
            r["unit"] = WARDS[(start + i) % len(WARDS)]
            r["code"] = r["code"].replace("19786", r["unit"])
            shape(r, start + i, rng)
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


QUERIES = {
    "list, first page": {},
    "one ward": {"unit": "19786"},
    "status 4 (handling)": {"status": 4},
    "status 10 (returned)": {"status": 10},
    "procedure": {"procedure_code": "1.000894"},
    "overdue": {"overdue_at": NOW},
    "overdue, one ward": {"overdue_at": NOW, "unit": "19786"},
    "received one day": {
        "received_from": "2026-11-26T17:00:00+00:00",
        "received_before": "2026-11-27T17:00:00+00:00",
    },
    "received, 13 months": {
        "received_from": "2025-11-01T17:00:00+00:00",
        "received_before": "2026-12-07T17:00:00+00:00",
    },
    "ward + status + dates": {
        "unit": "19786",
        "status": 10,
        "received_from": "2026-01-01T00:00:00+00:00",
        "received_before": "2026-07-01T00:00:00+00:00",
    },
}


def scan_sql(conn: object, q: dossier_search.DossierQuery) -> tuple[str, list[object]]:
    """The query's first page with the indexes out of play (module docstring)."""
    clauses, params = q.where(conn)  # type: ignore[arg-type]
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    table = "dossier" if is_postgres(conn) else "dossier NOT INDEXED"  # type: ignore[arg-type]
    return f"SELECT * FROM {table} {where} ORDER BY {dossier_search.ORDER} LIMIT 51", params


def deep_cursor(conn: object, q: dossier_search.DossierQuery, pages: int) -> str | None:
    """The cursor of page ``pages`` + 1 (None when the list is shorter)."""
    cursor = None
    for _ in range(pages):
        _items, cursor = dossier_search.page(conn, q, after=cursor)  # type: ignore[arg-type]
        if cursor is None:
            return None
    return cursor


def run(engine: object, args: argparse.Namespace) -> None:
    """Fill a fresh hub store on ``engine`` and print each query's figures."""
    from sync import fold

    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        engine.init(data)  # type: ignore[attr-defined]
        with engine.store(data) as conn:  # type: ignore[attr-defined]
            started = time.perf_counter()
            picked = fill(conn, args.dossiers)
            if is_postgres(conn):
                conn.execute("VACUUM ANALYZE dossier")  # as autovacuum would have
            else:
                conn.execute("ANALYZE")
            print(
                f"[{engine.name}] {args.dossiers} dossiers of 27 wards written in "  # type: ignore[attr-defined]
                f"{time.perf_counter() - started:.0f} s"
            )
            Q = dossier_search.DossierQuery
            queries = {label: Q(**kw) for label, kw in QUERIES.items()}
            queries.update(
                {
                    "code (exact)": Q(lookup="code", value=picked["code"]),
                    "CCCD (exact)": Q(lookup="id_number", value=picked["id_number"]),
                    "CCCD nobody has": Q(lookup="id_number", value="046199999999"),
                    "phone (exact)": Q(lookup="phone", value=picked["phone"]),
                    "name, no diacritics": Q(lookup="name", value=fold(picked["name"])),
                    "name nobody has": Q(lookup="name", value="khong co ai ten nay"),
                    "ward + name": Q(unit="19786", lookup="name", value=fold(picked["name"])),
                }
            )
            print(
                f"{'query':24} {'page p50':>9} {'page p95':>9} {'p.20 p95':>9} "
                f"{'count p95':>10} {'scan p95':>9}  (ms, {args.runs} runs; count up to "
                f"{args.cap})"
            )
            for label, q in queries.items():
                p50, p95 = timings(lambda q=q: dossier_search.page(conn, q), args.runs)
                cursor = deep_cursor(conn, q, 19)
                deep = "-"
                if cursor:
                    _d50, d95 = timings(
                        lambda q=q, c=cursor: dossier_search.page(conn, q, after=c), args.runs
                    )
                    deep = f"{d95:.2f}"
                _c50, c95 = timings(lambda q=q: dossier_search.count(conn, q, args.cap), args.runs)
                sql, params = scan_sql(conn, q)

                def scan(sql: str = sql, params: list[object] = params) -> object:
                    if is_postgres(conn):
                        conn.execute("SET enable_indexscan = off")
                        conn.execute("SET enable_bitmapscan = off")
                        conn.execute("SET enable_indexonlyscan = off")
                    try:
                        return conn.execute(sql, params).fetchall()
                    finally:
                        if is_postgres(conn):
                            conn.execute("RESET enable_indexscan")
                            conn.execute("RESET enable_bitmapscan")
                            conn.execute("RESET enable_indexonlyscan")

                _s50, s95 = timings(scan, max(3, args.runs // 4))
                print(f"{label:24} {p50:9.2f} {p95:9.2f} {deep:>9} {c95:10.2f} {s95:9.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--cap", type=int, default=10_000, help="the count's cap (the console's)")
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    for engine in engines(args.engines.split(",")):
        with engine:
            run(engine, args)


if __name__ == "__main__":
    main()
