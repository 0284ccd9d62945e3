"""The tables a fresh store gets, column by column and index by index, frozen.

Table creation moved from hand-written SQL to sqlite-utils (``sync/replica.py``, the apps'
migrations): the stores it makes must be the ones the hand-written SQL made, or a ward
created today and one created last year would differ. ``store_schemas.json`` is
``PRAGMA table_info`` and ``PRAGMA index_list``/``index_info`` of every table of a ward's and
the hub's store as release 0.2.0's hand-written SQL made them. A migration that changes the
schema on purpose updates that file in the same commit: ``python tests/test_store_schema.py``
rewrites it from the current code.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest

EXPECTED = Path(__file__).with_name("store_schemas.json")


def schema(conn: sqlite3.Connection) -> dict[str, Any]:
    """Every table's columns (cid, name, type, notnull, default, pk) and indexes (name,
    unique, origin, partial, columns), by table name."""
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    out: dict[str, Any] = {}
    for table in tables:
        columns = [list(r) for r in conn.execute(f"PRAGMA table_info({table})")]
        indexes = []
        for _, name, unique, origin, partial in conn.execute(f"PRAGMA index_list({table})"):
            cols = [r[2] for r in conn.execute(f"PRAGMA index_info('{name}')")]
            indexes.append([name, unique, origin, partial, cols])
        out[table] = {"columns": columns, "indexes": sorted(indexes)}
    return out


def fresh_schemas(folder: Path) -> dict[str, Any]:
    """The schemas of a ward's and the hub's store made by the current code in ``folder``."""
    from central_hub.store import open_store as open_hub_store
    from ward_node.store import open_store as open_ward_store

    schemas = {}
    for app, open_store in (("ward", open_ward_store), ("hub", open_hub_store)):
        (folder / app).mkdir(parents=True)
        conn = open_store(folder / app)
        try:
            schemas[app] = schema(conn)
        finally:
            conn.close()
    return schemas


@pytest.mark.parametrize("app", ["ward", "hub"])
def test_a_fresh_store_has_the_tables_the_hand_written_sql_made(app: str, tmp_path: Path) -> None:
    expected = json.loads(EXPECTED.read_text())[app]
    actual = json.loads(json.dumps(fresh_schemas(tmp_path)[app]))  # tuples as lists
    assert sorted(actual) == sorted(expected), "tables differ"
    for table in expected:
        assert actual[table]["columns"] == expected[table]["columns"], table
        assert actual[table]["indexes"] == expected[table]["indexes"], table


if __name__ == "__main__":  # rewrite the frozen schemas from the current code
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    with tempfile.TemporaryDirectory() as tmp:
        frozen = fresh_schemas(Path(tmp))
    lines = ["{"]
    for i, (app, tables) in enumerate(frozen.items()):
        lines.append(f'  "{app}": {{')
        for j, (table, body) in enumerate(tables.items()):
            comma = "," if j < len(tables) - 1 else ""
            lines.append(f'    "{table}": {json.dumps(body, ensure_ascii=False)}{comma}')
        lines.append("  }" + ("," if i < len(frozen) - 1 else ""))
    lines.append("}")
    EXPECTED.write_text("\n".join(lines) + "\n")
