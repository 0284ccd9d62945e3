"""Dossier search on a ward's store of N dossiers: query time with and without diacritics,
each beside two baselines measured in the same run, on the same rows, timed the same way
(one warm-up call, then the median of ``--runs`` calls):

- a bare ``LIKE`` scan of the same folded text column (``_search``), every word, first page of
  ids newest first: the SQL alone, without the service that decodes the rows it returns;
- Python's ``in`` over the same folded texts held in memory, newest first, first page.

    python bench/bench_search.py [--dossiers 100000] [--runs 5]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import dossier_rows, median_time  # noqa: E402
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
    fold,
)
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
PAGE = 50


def fill(conn: sqlite3.Connection, n: int) -> None:
    """``n`` dossiers written through change capture, as a ward writes them (not timed)."""
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
    for start in range(0, n, 5000):
        rows = dossier_rows(min(5000, n - start), seed=start)
        writer.write_many([Write("dossier", r["id"], r["unit"], r) for r in rows], actor="canbo")
    conn.execute("INSERT INTO meta (key, value) VALUES ('unit', '\"19786\"')")


def like_scan(conn: sqlite3.Connection, q: str) -> list[str]:
    """The ids of the first page matching every folded word of ``q``, by bare ``LIKE``."""
    words = fold(q).split()
    where = " AND ".join("_search LIKE ? ESCAPE '\\'" for _ in words) or "1"
    params = [
        "%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for w in words
    ]
    sql = f"SELECT id FROM dossier WHERE {where} ORDER BY id DESC LIMIT ?"
    return [r[0] for r in conn.execute(sql, (*params, PAGE + 1))]


def in_memory(texts: list[tuple[str, str]], q: str) -> list[str]:
    """The same page by Python's ``in`` over ``(id, folded text)`` pairs, newest first."""
    words = fold(q).split()
    found = []
    for row_id, text in texts:
        if all(w in text for w in words):
            found.append(row_id)
            if len(found) > PAGE:
                break
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    runs = args.runs
    with tempfile.TemporaryDirectory() as tmp:
        conn = connect(Path(tmp) / "node.db")
        fill(conn, args.dossiers)
        service = Dossiers(conn, HybridClock())
        texts = conn.execute("SELECT id, _search FROM dossier ORDER BY id DESC").fetchall()
        print(
            f"search over {args.dossiers:,} dossiers, first page of {PAGE} newest first; "
            f"each time the median of {runs} run{'s' if runs != 1 else ''} after one warm-up, all measured in this run"
        )
        print(
            f"  {'query':28} {'search':>9} {'LIKE scan':>10} {'Python in':>10}   "
            "search / LIKE   shown"
        )
        for q in QUERIES:
            items, _cursor = service.search(q, limit=PAGE)
            ids = [i["id"] for i in items]
            # The baselines must find what the search finds, or they are not comparable.
            assert like_scan(conn, q)[:PAGE] == ids == in_memory(texts, q)[:PAGE], q
            ours = median_time(lambda q=q: service.search(q, limit=PAGE), runs)
            like = median_time(lambda q=q: like_scan(conn, q), runs)
            mem = median_time(lambda q=q: in_memory(texts, q), runs)
            print(
                f"  {q!r:28} {ours * 1000:6.2f} ms {like * 1000:7.2f} ms {mem * 1000:7.2f} ms"
                f"   {ours / like:10.2f}x   {len(items):5}"
            )
        conn.close()


if __name__ == "__main__":
    main()
