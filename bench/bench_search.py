"""Dossier search on a ward's store of N dossiers: query time with and without diacritics,
against a bare full scan of the same rows in the same run.

    python bench/bench_search.py [--dossiers 100000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import dossier_rows  # noqa: E402
from sync import (
    ChangeCapture,
    ChangeLog,
    HybridClock,
    Replica,
    Write,
    connect,
    create_change_log,
    create_meta,
    create_record_tables,
)  # noqa: E402
from ward_node.dossiers import Dossiers  # noqa: E402

QUERIES = [
    "khong co ai ten nay",
    "046199123456",
    "nguyen van binh",
    "Nguyễn Văn Bình",
    "đào",
    "dao",
    "0904",
    "046",
    "H57.19786-261101-00",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        conn = connect(Path(tmp) / "node.db")
        create_meta(conn)
        create_record_tables(conn)
        create_change_log(conn)
        writer = ChangeCapture(
            conn,
            "19786-bench",
            HybridClock(),
            Replica(conn),
            ChangeLog(conn, "19786-bench"),
            validate=False,
        )
        for start in range(0, args.dossiers, 5000):
            rows = dossier_rows(min(5000, args.dossiers - start), seed=start)
            writer.write_many(
                [Write("dossier", r["id"], r["unit"], r) for r in rows], actor="canbo"
            )
        conn.execute("INSERT INTO meta (key, value) VALUES ('unit', '\"19786\"')")
        service = Dossiers(conn, HybridClock())
        print(f"search over {args.dossiers:,} dossiers (first page of 50, newest first)")
        for q in QUERIES:
            times = []
            for _ in range(5):
                t = time.perf_counter()
                items, _cursor = service.search(q, limit=50)
                times.append(time.perf_counter() - t)
            print(f"  {q!r:28} {statistics.median(times) * 1000:7.1f} ms  ({len(items)} shown)")
        t = time.perf_counter()
        conn.execute("SELECT count(*) FROM dossier WHERE notes IS NULL AND fee >= 0").fetchone()
        print(f"  baseline full scan of the table: {(time.perf_counter() - t) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
