"""SQLite store helpers: one way to connect, one way to write, ordered migrations.

Every write goes through :func:`atomic`, which starts with ``BEGIN IMMEDIATE`` so that writers
queue on SQLite's busy timeout instead of failing later with "database is locked" (Datasette's
single-writer discipline), and nests with savepoints.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import StoreTooNew
from .files import precreate, private_dir

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_MS = 30_000

Migration = tuple[str, Callable[[sqlite3.Connection], None]]

_savepoint_ids = threading.local()


def connect(
    path: str | Path,
    *,
    synchronous: str = "FULL",
    factory: type[sqlite3.Connection] = sqlite3.Connection,
) -> sqlite3.Connection:
    """Open ``path`` in WAL mode with foreign keys, a busy timeout and the given sync level.

    The connection is in autocommit mode: transactions are opened by :func:`atomic` only.
    Rows come back as :class:`sqlite3.Row`. A new database file is created with mode 0600, and
    SQLite gives its ``-wal`` and ``-shm`` files the same (docs/security.md, "Files on disk").
    ``factory`` is the connection's class (a subclass of ``sqlite3.Connection``).
    """
    if str(path) != ":memory:" and not str(path).startswith("file:"):
        precreate(Path(path))
    conn = sqlite3.connect(
        str(path),
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
        check_same_thread=False,
        factory=factory,
    )
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


@contextmanager
def atomic(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block in one transaction (or a savepoint when already inside one).

    Commits when the block ends, rolls back on any exception and re-raises it.
    """
    if conn.in_transaction:
        depth = getattr(_savepoint_ids, "n", 0) + 1
        _savepoint_ids.n = depth
        name = f"sp{depth}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield conn
        except BaseException:
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
            raise
        else:
            conn.execute(f"RELEASE {name}")
        finally:
            _savepoint_ids.n = depth - 1
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def tables(conn: sqlite3.Connection) -> sqlite_utils.Database:
    """The store behind ``conn`` as a sqlite-utils :class:`~sqlite_utils.Database`, for the
    schema work hand-written SQL does badly: ``create`` (with ``pk``, ``not_null``,
    ``defaults``, ``if_not_exists``), ``create_index``, ``add_column``, and ``transform`` for
    the column changes SQLite's ALTER TABLE cannot make (type, NOT NULL, rename, drop, order).

    The connection's settings are left as :func:`connect` made them (no ``recursive_triggers``
    pragma, no plugins). Called inside :func:`atomic` (as every migration is, by
    :func:`migrate`), each operation is a savepoint of that transaction, so a migration's
    table changes and its record in ``_migrations`` commit or roll back together; ``transform``
    then defers the foreign-key checks to its end instead of switching them off (and refuses
    a table referenced with ``ON DELETE`` actions: none in these stores). ``transform``
    rewrites numeric defaults as quoted text (``DEFAULT 1`` becomes ``DEFAULT '1'``), the
    same value once stored in an INTEGER column.

    The hot paths (capture, apply, journal) stay on raw ``sqlite3``, which the benchmarks
    show faster for bulk writes (README, "Benchmarks").
    """
    # Imported here: only migrations need it, and it costs 60 ms and 10 MB in every process.
    import sqlite_utils

    return sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)


def migrate(
    conn: sqlite3.Connection,
    migrations: Sequence[Migration],
    *,
    release: str = "",
    backup_dir: Path | None = None,
) -> list[str]:
    """Apply, in order, each named migration not yet recorded; return the names applied.

    Each migration runs in its own transaction together with its record in ``_migrations``
    (with the ``release`` that ran it), so a crash mid-upgrade leaves the store at a clean
    step. Before the first migration of an upgrade, the store is copied whole to
    ``backup_dir/<store>-before-<migration>.sqlite3`` (mode 0600; a copy already there, from
    an upgrade cut short, is the older state and is kept).

    Raises :class:`StoreTooNew`, leaving the store untouched, when it holds a migration that
    ``migrations`` does not list: a newer release migrated it, and this one would misread it
    (docs/upgrades.md, "Never downgrade").
    """
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL, "
        "release TEXT)"
    )
    has_release = "release" in {r[1] for r in conn.execute("PRAGMA table_info(_migrations)")}
    rows = conn.execute(
        "SELECT name, " + ("release" if has_release else "NULL") + " FROM _migrations"
    ).fetchall()
    done = {row[0]: row[1] for row in rows}
    known = {name for name, _ in migrations}
    newer = sorted(name for name in done if name not in known)
    if newer:
        raise _too_new(conn, newer, done, release)
    pending = [(name, fn) for name, fn in migrations if name not in done]
    if pending and done and backup_dir is not None:
        copy_before(conn, backup_dir, f"before-{pending[0][0]}")
    if not has_release:
        conn.execute("ALTER TABLE _migrations ADD COLUMN release TEXT")
    applied = []
    for name, fn in pending:
        with atomic(conn):
            fn(conn)
            conn.execute(
                "INSERT INTO _migrations (name, applied_at, release) "
                "VALUES (?, datetime('now'), ?)",
                (name, release or None),
            )
        applied.append(name)
    return applied


def _too_new(
    conn: sqlite3.Connection, newer: list[str], done: dict[str, Any], release: str
) -> StoreTooNew:
    by = sorted({str(done[n]) for n in newer if done[n]}, key=_release_key)
    path = store_path(conn)
    where = f" ({path.name})" if path else ""
    this = f" {release}" if release else " này"
    if by:
        need = by[-1]
        return StoreTooNew(
            f"Kho dữ liệu{where} đã được phiên bản mới hơn ({need}) nâng cấp; hãy cài phiên "
            f"bản {need} hoặc mới hơn. Phiên bản{this} không mở kho này để khỏi làm hỏng dữ "
            "liệu.",
            migrations=newer,
            release=need,
        )
    return StoreTooNew(
        f"Kho dữ liệu{where} đã được một phiên bản mới hơn nâng cấp (bước {newer[-1]}); hãy "
        f"cài phiên bản đã nâng cấp nó hoặc mới hơn. Phiên bản{this} không mở kho này để khỏi "
        "làm hỏng dữ liệu.",
        migrations=newer,
    )


def _release_key(text: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in text.split("."))


def delete_in_batches(
    conn: sqlite3.Connection,
    table: str,
    where: str,
    params: Sequence[Any],
    *,
    budget: int,
    batch: int = 5000,
) -> int:
    """Delete the rows of ``table`` matching ``where`` (the code's own SQL, never a user's),
    ``batch`` per transaction so a request never waits long for the store, at most ``budget``
    in all; return how many."""
    deleted = 0
    while deleted < budget:
        with atomic(conn):
            n = conn.execute(
                f"DELETE FROM {table} WHERE rowid IN "
                f"(SELECT rowid FROM {table} WHERE {where} LIMIT ?)",
                (*params, min(batch, budget - deleted)),
            ).rowcount
        deleted += n
        if n < batch:
            break
    return deleted


def store_path(conn: sqlite3.Connection) -> Path | None:
    """The file of the connection's main database, or ``None`` for one in memory."""
    row = conn.execute("PRAGMA database_list").fetchone()
    return Path(row[2]) if row is not None and row[2] else None


def copy_before(conn: sqlite3.Connection, folder: Path, label: str) -> Path | None:
    """Copy the whole store to ``folder/<store>-<label>.sqlite3`` (see :func:`snapshot`), the
    folder made 0700. An existing copy of that name is kept, not overwritten. Returns the
    copy's path, or ``None`` for a store in memory."""
    path = store_path(conn)
    if path is None:
        return None
    private_dir(folder)
    target = folder / f"{path.stem}-{label}.sqlite3"
    if not target.exists():
        snapshot(conn, target)
    return target


def snapshot(conn: sqlite3.Connection, target: Path) -> None:
    """A consistent copy of the store behind ``conn`` (its WAL included) in the new file
    ``target``, mode 0600: SQLite's online backup, while other connections read and write.
    Written beside under another name first, so a copy cut short never passes for a whole
    one; the copy is one self-contained file (no WAL of its own)."""
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    precreate(partial)
    copy = sqlite3.connect(str(partial))
    try:
        conn.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()
    os.replace(partial, target)


def create_meta(conn: sqlite3.Connection) -> None:
    """Create the key/value ``meta`` table used for clocks, cursors and identities."""
    conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


def get_meta(conn: sqlite3.Connection, key: str, default: Any = None) -> Any:
    """Read a JSON value from ``meta``; ``default`` when absent."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return default if row is None else json.loads(row[0])


def set_meta(conn: sqlite3.Connection, key: str, value: Any) -> None:
    """Write a JSON value to ``meta`` (the caller holds the transaction)."""
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, json.dumps(value)),
    )
