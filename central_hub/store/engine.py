"""Where the hub's store lives: a SQLite file in the data folder (the default, the embedded
choice for a city) or a PostgreSQL database (``CENTRAL_HUB_DATABASE_URL``, or
``--database-url`` on the commands), for a province or a ministry with several hub processes
(docs/operations.md, "PostgreSQL").

Every connection to the store comes from :func:`connect`: a request's, a background
thread's, a command's. On PostgreSQL they come from one pool per process (psycopg_pool), and
:class:`sync.PgConnection` gives them the sqlite3 API the rest of the code uses.

The data folder still holds the hub's keys, its secret, its files and ``database.json``, which
records that the store is on PostgreSQL (never the password): a hub started on that folder
without the database's address refuses to start instead of making an empty SQLite store, and
a folder whose hub is not the database's refuses too (``check_identity``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sync import (
    PgConnection,
    SyncError,
    TransportError,
    configure_postgres,
    is_postgres,
    write_private,
)
from sync import connect as sqlite_connect

ENV_URL = "CENTRAL_HUB_DATABASE_URL"
STORE_FILE = "hub.sqlite3"
MARKER = "database.json"
CONNECT_WAIT = 5.0  # seconds a request waits for a database connection before a 503
SQLITE_IDLE = 16  # SQLite connections kept open between requests, at most
POOL_MAX = int(os.environ.get("CENTRAL_HUB_DATABASE_POOL", "0") or 0) or 20

_lock = threading.Lock()
_engines: dict[tuple[str, str], Engine] = {}
_chosen: dict[str, str] = {}
_found: dict[tuple[str, str], Engine] = {}  # (folder as given, environment's URL) → engine


@dataclass
class Engine:
    """One store: ``url`` empty for the SQLite file ``path``."""

    path: Path
    url: str = ""
    pooling: bool = True
    _pool: Any = field(default=None, repr=False)
    _idle: list[sqlite3.Connection] = field(default_factory=list, repr=False)

    @property
    def kind(self) -> str:
        return "postgresql" if self.url else "sqlite"

    def describe(self) -> str:
        """Where the store is, for people (a database URL without its password)."""
        return redact(self.url) if self.url else str(self.path)

    def connect(self) -> Any:
        """A connection to the store (``close()`` it: that gives it back to the pool)."""
        if not self.url:
            return self._sqlite_connection()
        pool = self._pool
        if pool is None:
            pool = self._open_pool()
        try:
            raw = pool.getconn(timeout=CONNECT_WAIT)
        except Exception as exc:
            raise StoreUnavailable(
                f"Không kết nối được cơ sở dữ liệu PostgreSQL {self.describe()}: {exc}. "
                "Hãy kiểm tra máy chủ cơ sở dữ liệu và địa chỉ CENTRAL_HUB_DATABASE_URL.",
                code="store_unavailable",
            ) from exc
        return PgConnection(raw, pool.putconn)

    def _sqlite_connection(self) -> sqlite3.Connection:
        # Opening a SQLite connection costs its pragmas, and closing the last one a WAL
        # checkpoint: about a fifth of a quiet pull (docs/operations.md, "A fleet"). Closed
        # connections wait in ``_idle`` for the next request instead.
        file = _identity(self.path)
        with _lock:
            while self._idle:
                kept = self._idle.pop()
                if kept.file == file:
                    return kept
                # The file was replaced (a restore, a copy put back): never serve the old one.
                sqlite3.Connection.close(kept)
        conn = sqlite_connect(self.path, factory=_PooledSqlite)
        conn.engine = self  # type: ignore[attr-defined]
        conn.file = _identity(self.path)  # type: ignore[attr-defined]
        return conn

    def give_back(self, conn: sqlite3.Connection) -> bool:
        """Keep ``conn`` for a later request; ``False`` when it should be closed instead."""
        with _lock:
            if self.pooling and len(self._idle) < SQLITE_IDLE:
                self._idle.append(conn)
                return True
        return False

    def _open_pool(self) -> Any:
        from psycopg_pool import ConnectionPool

        with _lock:
            if self._pool is None:
                self._pool = ConnectionPool(
                    self.url,
                    min_size=1,
                    max_size=POOL_MAX,
                    configure=configure_postgres,
                    reset=_reset,
                    check=ConnectionPool.check_connection,
                    open=True,
                    name="hub-store",
                )
            return self._pool

    def close(self) -> None:
        """Close the pool and the idle connections."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
        with _lock:
            idle, self._idle = self._idle, []
            self.pooling = False
        for conn in idle:
            sqlite3.Connection.close(conn)


class StoreUnavailable(TransportError):
    """The database does not answer (down, restarting, failing over)."""

    code = "store_unavailable"


def _identity(path: Path) -> tuple[int, int] | None:
    """Which file ``path`` is now (device, inode), ``None`` when there is none."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return (found.st_dev, found.st_ino)


class _PooledSqlite(sqlite3.Connection):
    """A SQLite connection that :meth:`close` gives back to its engine (rolled back first),
    and the file it was opened on."""

    engine: Engine
    file: tuple[int, int] | None

    def close(self) -> None:
        if self.in_transaction:
            self.rollback()
        if not self.engine.give_back(self):
            super().close()


def _reset(conn: Any) -> None:
    # A connection given back inside a transaction (an exception mid-request) is rolled back.
    from psycopg.pq import TransactionStatus

    if conn.info.transaction_status != TransactionStatus.IDLE:
        conn.execute("ROLLBACK")


def redact(url: str) -> str:
    """``url`` without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ""
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


def use_database(data_dir: Path, url: str | None) -> None:
    """Make ``url`` (a ``postgresql://`` address; empty: the SQLite file) the store of the hub
    in ``data_dir`` for this process, whatever the environment says."""
    _check_url(url or "")
    _chosen[str(Path(data_dir).resolve())] = url or ""
    _found.clear()


def engine(data_dir: Path) -> Engine:
    """The store of the hub in ``data_dir``: the database chosen by :func:`use_database`, else
    ``CENTRAL_HUB_DATABASE_URL``, else ``DATABASE_URL`` in ``data_dir/config.json``, else the
    SQLite file; one engine (one pool) per process.

    Called for every connection a request takes: found once per folder and environment, it
    is then one dictionary look-up (no path resolved, no config.json read again)."""
    quick = (str(data_dir), os.environ.get(ENV_URL, ""))
    known = _found.get(quick)
    if known is not None:
        return known
    key_dir = str(Path(data_dir).resolve())
    url = _chosen.get(key_dir)
    if url is None:
        url = os.environ.get(ENV_URL) or _configured(Path(data_dir))
        _check_url(url)
    key = (key_dir, url)
    found = _engines.get(key)
    if found is None:
        with _lock:
            found = _engines.setdefault(key, Engine(Path(data_dir) / STORE_FILE, url))
    _found[quick] = found
    return found


def _configured(data_dir: Path) -> str:
    """``DATABASE_URL`` of ``data_dir/config.json``, where the app's settings may put it."""
    try:
        found = json.loads((data_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    url = found.get("DATABASE_URL") if isinstance(found, dict) else None
    return url if isinstance(url, str) else ""


def connect(data_dir: Path) -> Any:
    """A connection to the hub's store in ``data_dir`` (see :func:`engine`)."""
    return engine(data_dir).connect()


def close_all() -> None:
    """Close every pool of this process (tests, and a command before it exits)."""
    with _lock:
        engines = list(_engines.values())
        _engines.clear()
        _found.clear()
    for found in engines:
        found.close()


def _check_url(url: str) -> None:
    if url and urlsplit(url).scheme not in ("postgresql", "postgres"):
        raise SyncError(
            f"Địa chỉ cơ sở dữ liệu không dùng được: {redact(url)}. Chỉ PostgreSQL được hỗ trợ, "
            "dạng postgresql://người_dùng:mật_khẩu@máy:5432/tên_csdl; bỏ trống để dùng tệp "
            "SQLite trong thư mục dữ liệu.",
            code="bad_database_url",
        )


# -- the marker and the identity check ---------------------------------------------------------


def check_location(data_dir: Path, found: Engine) -> None:
    """Refuse to open a store other than the folder's: a folder whose hub is on PostgreSQL
    opened without the database's address would otherwise start an empty SQLite store, and
    a SQLite hub's folder opened with a database address would leave its store behind."""
    marker = _read_marker(data_dir)
    if found.kind == "sqlite" and marker.get("engine") == "postgresql":
        raise SyncError(
            f"Kho của máy chủ trung tâm trong {data_dir} nằm trên PostgreSQL "
            f"({marker.get('database', '')}): hãy đặt CENTRAL_HUB_DATABASE_URL hoặc "
            "--database-url trỏ tới cơ sở dữ liệu đó.",
            code="store_elsewhere",
        )
    if found.kind == "postgresql" and not marker and (data_dir / STORE_FILE).exists():
        raise SyncError(
            f"Máy chủ trung tâm trong {data_dir} dùng tệp SQLite {STORE_FILE}, không phải "
            f"{found.describe()}: bỏ CENTRAL_HUB_DATABASE_URL/--database-url để mở kho này.",
            code="store_elsewhere",
        )


def write_marker(data_dir: Path, found: Engine, hub_key: str) -> None:
    """Record in ``data_dir`` that its store is ``found`` (PostgreSQL only), with the key
    that identifies the hub in the database."""
    if found.kind != "postgresql":
        return
    body = {"engine": "postgresql", "database": found.describe(), "hub_key": hub_key}
    write_private(data_dir / MARKER, json.dumps(body, ensure_ascii=False, indent=1).encode())


def marker_key(data_dir: Path) -> str | None:
    """The hub key ``data_dir``'s marker names, or ``None`` (no marker)."""
    key = _read_marker(data_dir).get("hub_key")
    return str(key) if key else None


def _read_marker(data_dir: Path) -> dict[str, Any]:
    try:
        found = json.loads((data_dir / MARKER).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise SyncError(f"Tệp {data_dir / MARKER} hỏng: {exc}.", code="store_elsewhere") from exc
    return found if isinstance(found, dict) else {}


def check_collation(conn: Any) -> None:
    """Refuse a PostgreSQL database whose text does not sort byte by byte (the C collation):
    codes, numbers and cursors would sort otherwise than on SQLite."""
    if not is_postgres(conn):
        return
    row = conn.execute(
        "SELECT datcollate AS collation FROM pg_database WHERE datname = current_database()"
    ).fetchone()
    if row is not None and row["collation"] not in ("C", "POSIX", "C.UTF-8", "C.utf8"):
        raise SyncError(
            f"Cơ sở dữ liệu dùng bảng so sánh chữ {row['collation']}; máy chủ trung tâm cần "
            "bảng C. Hãy tạo lại: createdb -T template0 -l C -E UTF8 <tên>.",
            code="bad_collation",
        )
