"""Write path: records written per second through change capture (row + field versions +
hash-chained change log + clock, one transaction per batch) against plain sqlite-utils
upserts of the same rows into a bare SQLite file, in the same run; and, beside that baseline,
the same upserts as raw ``executemany`` (what the write path uses, not sqlite-utils: this
line shows why).

    python bench/bench_write.py [--rows 100000] [--batch 1000]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlite_utils  # noqa: E402

from bench.common import dossier_rows, flat  # noqa: E402
from sync import (  # noqa: E402
    ChangeCapture,
    ChangeLog,
    HybridClock,
    Replica,
    Write,
    connect,
    create_change_log,
    create_meta,
    create_record_tables,
)


def baseline(rows: list[dict], folder: Path, batch: int) -> float:
    db = sqlite_utils.Database(folder / "plain.db")
    db.conn.execute("PRAGMA journal_mode = WAL")
    table = db["dossier"]
    flat_rows = [flat(r) for r in rows]
    start = time.perf_counter()
    for i in range(0, len(flat_rows), batch):
        table.upsert_all(flat_rows[i : i + batch], pk="id", batch_size=batch)
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed


def raw_upsert(rows: list[dict], folder: Path, batch: int) -> float:
    """The baseline's upserts as one raw ``executemany`` INSERT … ON CONFLICT per batch."""
    flat_rows = [flat(r) for r in rows]
    columns = list(dict.fromkeys(k for r in flat_rows for k in r))
    conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    sqlite_utils.Database(conn)["dossier"].create({c: str for c in columns}, pk="id")
    sql = (
        f"INSERT INTO dossier ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
        "ON CONFLICT(id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in columns if c != "id")
    )
    values = [[r.get(c) for c in columns] for r in flat_rows]
    start = time.perf_counter()
    for i in range(0, len(values), batch):
        conn.execute("BEGIN")
        conn.executemany(sql, values[i : i + batch])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def capture_path(rows: list[dict], folder: Path, batch: int, validate: bool) -> float:
    conn = connect(folder / f"capture-{validate}.db")
    create_meta(conn)
    create_record_tables(conn)
    create_change_log(conn)
    writer = ChangeCapture(
        conn,
        "19786-bench",
        HybridClock(),
        Replica(conn),
        ChangeLog(conn, "19786-bench"),
        validate=validate,
    )
    writes = [Write("dossier", r["id"], r["unit"], r) for r in rows]
    start = time.perf_counter()
    for i in range(0, len(writes), batch):
        writer.write_many(writes[i : i + batch], actor="canbo")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    rows = dossier_rows(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base = baseline(rows, folder, args.batch)
        raw = raw_upsert(rows, folder, args.batch)
        ours = capture_path(rows, folder, args.batch, validate=False)
        ours_validated = capture_path(rows, folder, args.batch, validate=True)
    n = args.rows
    print(f"write path, {n:,} dossier records, batches of {args.batch:,}; measured in this run")
    print(f"  {'':36}{'rows/s':>10}   time ratio to sqlite-utils, to raw executemany")
    for label, seconds in (
        ("sqlite-utils upsert_all (baseline)", base),
        ("raw executemany upsert (baseline)", raw),
        ("change capture", ours),
        ("change capture + JSON Schema check", ours_validated),
    ):
        print(f"  {label:36}{n / seconds:>10,.0f}   {seconds / base:8.2f}x {seconds / raw:8.2f}x")


if __name__ == "__main__":
    main()
