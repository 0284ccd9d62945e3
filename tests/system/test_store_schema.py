"""The tables a store gets, column by column and index by index, frozen.

Table creation moved from hand-written SQL to sqlite-utils (``sync/replica.py``, the apps'
migrations): the stores it makes must be the ones the hand-written SQL made, or a ward
created today and one created last year would differ. ``store_schemas.json`` is
``PRAGMA table_info``, ``index_list``/``index_info`` and ``foreign_key_list`` of every table
of a ward's and the hub's store as release 0.2.0's hand-written SQL made them: fresh
(``ward``, ``hub``) and made by release 0.1.0 then upgraded (``ward_from_0.1.0``,
``hub_from_0.1.0``; tests/system/test_compat.py builds that release from git). A migration that
changes the schema on purpose updates that file in the same commit:
``python tests/system/test_store_schema.py`` rewrites it from the current code.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = Path(__file__).with_name("store_schemas.json")
PREVIOUS = "3573c66"  # release 0.1.0, as in tests/system/test_compat.py


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


def _open_stores(folder: Path) -> dict[str, Any]:
    """Open (create or upgrade) ``folder/ward`` and ``folder/hub`` with the current code, and
    return their schemas."""
    from central_hub.store import open_store as open_hub_store
    from ward_node.store import open_store as open_ward_store

    schemas = {}
    for app, open_store in (("ward", open_ward_store), ("hub", open_hub_store)):
        (folder / app).mkdir(parents=True, exist_ok=True)
        conn = open_store(folder / app)
        try:
            schemas[app] = schema(conn)
        finally:
            conn.close()
    return schemas


def _previous_release_stores(folder: Path) -> None:
    """A ward's and the hub's store made by release 0.1.0, in ``folder/ward`` and
    ``folder/hub``: that release's code from git, run in a child process."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", PREVIOUS], capture_output=True)
    if archive.returncode != 0:
        pytest.fail(
            f"Release 0.1.0 (commit {PREVIOUS}) is not in this clone: git fetch --unshallow"
        )
    code = folder / "release-0.1.0"
    code.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(code)], input=archive.stdout, check=True, timeout=120)
    for app, module in (("ward", "ward_node.store"), ("hub", "central_hub.store")):
        (folder / app).mkdir()
        subprocess.run(
            [
                sys.executable,
                "-c",
                f"import sys, pathlib; from {module} import open_store; "
                "open_store(pathlib.Path(sys.argv[1])).close()",
                str(folder / app),
            ],
            cwd=code,
            env={**os.environ, "PYTHONPATH": str(code)},
            check=True,
            capture_output=True,
            timeout=120,
        )


def all_schemas(folder: Path) -> dict[str, Any]:
    """The four schemas ``store_schemas.json`` freezes, made by the current code in ``folder``."""
    fresh = _open_stores(folder / "fresh")
    _previous_release_stores(folder / "old")
    upgraded = _open_stores(folder / "old")
    return {**fresh, **{f"{app}_from_0.1.0": body for app, body in upgraded.items()}}


@pytest.fixture(scope="module")
def actual(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    made = all_schemas(tmp_path_factory.mktemp("stores"))
    return dict(json.loads(json.dumps(made)))  # tuples as lists, as in the file


@pytest.mark.parametrize("store", ["ward", "hub", "ward_from_0.1.0", "hub_from_0.1.0"])
def test_a_store_has_the_tables_the_hand_written_sql_made(
    store: str, actual: dict[str, Any]
) -> None:
    expected = json.loads(EXPECTED.read_text())[store]
    assert sorted(actual[store]) == sorted(expected), "tables differ"
    for table in expected:
        assert actual[store][table]["columns"] == expected[table]["columns"], table
        assert actual[store][table]["indexes"] == expected[table]["indexes"], table
        assert actual[store][table]["foreign_keys"] == expected[table]["foreign_keys"], table


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

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    with tempfile.TemporaryDirectory() as tmp:
        frozen = all_schemas(Path(tmp))
    lines = ["{"]
    for i, (app, tables) in enumerate(frozen.items()):
        lines.append(f'  "{app}": {{')
        for j, (table, body) in enumerate(tables.items()):
            comma = "," if j < len(tables) - 1 else ""
            lines.append(f'    "{table}": {json.dumps(body, ensure_ascii=False)}{comma}')
        lines.append("  }" + ("," if i < len(frozen) - 1 else ""))
    lines.append("}")
    EXPECTED.write_text("\n".join(lines) + "\n")
