"""The tables a fresh store gets, column by column and index by index, frozen.

Table creation moved from hand-written SQL to sqlite-utils (``sync/replica.py``, the apps'
migrations): the stores it makes must be the ones the hand-written SQL made, or a ward
created today and one created last year would differ. ``store_schemas.json`` is
``PRAGMA table_info``, ``index_list``/``index_info`` and ``foreign_key_list`` of every table of a ward's and
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
    """Every table's columns (cid, name, type, notnull, default, pk), indexes (name, unique,
    origin, partial, columns) and foreign keys (table, from, to), by table name."""
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
        keys = [list(r)[2:5] for r in conn.execute(f"PRAGMA foreign_key_list({table})")]
        out[table] = {"columns": columns, "indexes": sorted(indexes), "foreign_keys": keys}
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
        assert actual[table]["foreign_keys"] == expected[table]["foreign_keys"], table


def _accounts_store(path: Path) -> sqlite3.Connection:
    from sync import atomic, connect
    from webapp import add_user, create_account_tables

    conn = connect(path)
    with atomic(conn):
        create_account_tables(conn)
    add_user(conn, "admin", "matkhau-123", "admin", ("admin",), "Quản trị")
    with atomic(conn):
        conn.execute(
            "INSERT INTO api_tokens (token_hash, username, expires_at) VALUES ('t', 'admin', 'x')"
        )
    return conn


def test_a_migration_reshapes_a_referenced_table_with_transform(tmp_path: Path) -> None:
    from sync import migrate, tables

    conn = _accounts_store(tmp_path / "s.sqlite3")
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1

    def rename(c: sqlite3.Connection) -> None:  # what SQLite's ALTER cannot do in one step
        tables(c).table("users").transform(rename={"full_name": "display_name"}, drop={"role"})

    assert migrate(conn, [("0001_rename", rename)]) == ["0001_rename"]
    columns = [r[1] for r in conn.execute("PRAGMA table_info(users)")]
    assert "display_name" in columns and "full_name" not in columns and "role" not in columns
    assert conn.execute("SELECT display_name FROM users").fetchone()[0] == "Quản trị"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1  # left as it was
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    token = conn.execute("SELECT username FROM api_tokens").fetchone()
    assert token[0] == "admin"
    with pytest.raises(sqlite3.IntegrityError):  # the reference still holds
        conn.execute("INSERT INTO api_tokens VALUES ('u', 'nobody', 'x', 0)")
    conn.close()


def test_a_failed_migration_undoes_its_transform(tmp_path: Path) -> None:
    from sync import migrate, tables

    conn = _accounts_store(tmp_path / "s.sqlite3")
    before = [tuple(r) for r in conn.execute("PRAGMA table_info(users)")]

    def broken(c: sqlite3.Connection) -> None:
        tables(c).table("users").transform(types={"session_epoch": str}, drop={"active"})
        raise RuntimeError("cut short")

    with pytest.raises(RuntimeError):
        migrate(conn, [("0001_broken", broken)])
    assert [tuple(r) for r in conn.execute("PRAGMA table_info(users)")] == before
    assert conn.execute("SELECT count(*) FROM _migrations").fetchone()[0] == 0
    assert not conn.in_transaction
    conn.close()


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
