"""Apply path: remote changes applied per second (per-field last-writer-wins merge, rows and
versions written, the pull cursor and clock committed with them, in chunks as a pull does),
against a raw ``executemany`` INSERT of the same rows into a bare SQLite file, same run.

    python bench/bench_apply.py [--rows 100000] [--chunk 5000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import dossier_rows, flat  # noqa: E402
from sync import (  # noqa: E402
    Change,
    HybridClock,
    Replica,
    atomic,
    connect,
    create_meta,
    create_record_tables,
    pack,
    set_meta,
    validate_fields,
)


def changes_for(rows: list[dict]) -> list[Change]:
    base = pack(1_795_000_000_000, 0)
    return [
        Change("19786-remote", i + 1, base + i, "dossier", r["id"], r["unit"], r, {}, "canbo")
        for i, r in enumerate(rows)
    ]


def baseline(rows: list[dict], folder: Path, chunk: int) -> float:
    conn = connect(folder / "raw.db")
    cols = list(rows[0].keys())
    conn.execute(
        f"CREATE TABLE dossier ({', '.join(c + (' PRIMARY KEY' if c == 'id' else '') for c in cols)})"
    )
    params = [[flat(r)[c] for c in cols] for r in rows]
    sql = f"INSERT INTO dossier ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    start = time.perf_counter()
    for i in range(0, len(params), chunk):
        with atomic(conn):
            conn.executemany(sql, params[i : i + chunk])
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def apply_path(changes: list[Change], folder: Path, chunk: int, validate: bool) -> float:
    conn = connect(folder / f"apply-{validate}.db")
    create_meta(conn)
    create_record_tables(conn)
    replica = Replica(conn)
    clock = HybridClock()
    start = time.perf_counter()
    for i in range(0, len(changes), chunk):
        part = changes[i : i + chunk]
        if validate:
            for c in part:
                validate_fields(c.type, c.fields)
        with atomic(conn):
            replica.merge(part)
            clock.receive(part[-1].hlc)
            set_meta(conn, "hlc", clock.last)
            set_meta(conn, "pull_cursor", part[-1].seq)
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=5000)
    args = parser.parse_args()
    rows = dossier_rows(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base = baseline(rows, folder, args.chunk)
        ours = apply_path(changes_for(rows), folder, args.chunk, validate=False)
        ours_validated = apply_path(changes_for(rows), folder, args.chunk, validate=True)
    n = args.rows
    print(
        f"apply path, {n:,} remote dossier changes, chunks of {args.chunk:,}; measured in this run"
    )
    print(f"  raw executemany INSERT (baseline):  {n / base:>10,.0f} rows/s")
    print(
        f"  merge (LWW per field) + cursor:     {n / ours:>10,.0f} rows/s   ratio {ours / base:.2f}x the baseline's time"
    )
    print(
        f"  same, with JSON Schema check:       {n / ours_validated:>10,.0f} rows/s   ratio {ours_validated / base:.2f}x"
    )


if __name__ == "__main__":
    main()
