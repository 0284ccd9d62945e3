"""The ward node's store: migrations, identity, and its write path."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sync import (
    RELEASE,
    ChangeCapture,
    ChangeLog,
    HubIdentity,
    HybridClock,
    NotFound,
    PublicKeys,
    Replica,
    connect,
    create_change_log,
    create_meta,
    create_record_tables,
    create_refused_table,
    get_meta,
    migrate,
    refresh_search,
    tables,
)
from webapp import create_account_tables

ROLES = ("officer", "specialist", "clerk", "leader", "admin")
STORE_FILE = "node.sqlite3"
BACKUP_DIR = "backups"  # copies of the store taken before each upgrade migrates it


def _base(conn: sqlite3.Connection) -> None:
    create_meta(conn)
    create_account_tables(conn)
    create_record_tables(conn)
    create_change_log(conn)
    db = tables(conn)
    db.table("counters").create({"key": str, "value": int}, pk="key", not_null={"value"})
    conn.execute("CREATE INDEX IF NOT EXISTS dossier_code ON dossier (code)")
    conn.execute("CREATE INDEX IF NOT EXISTS dossier_step_dossier ON dossier_step (dossier_id)")
    conn.execute("CREATE INDEX IF NOT EXISTS procedure_code ON procedure (code)")
    conn.execute("CREATE INDEX IF NOT EXISTS calendar_day_date ON calendar_day (date)")
    db.table("public_lookups").create({"client": str, "at": float}, not_null={"client", "at"})


def _attachments(conn: sqlite3.Connection) -> None:
    # Attachment records (schemas/attachment.json) in stores made before they existed.
    create_record_tables(conn)
    conn.execute(
        "CREATE INDEX IF NOT EXISTS attachment_parent ON attachment (parent_type, parent_id)"
    )
    conn.execute("CREATE INDEX IF NOT EXISTS attachment_sha256 ON attachment (sha256)")


def _sms(conn: sqlite3.Connection) -> None:
    # SMS notices (schemas/sms.json, ward_node/dossiers/sms.py) in stores made before they existed.
    create_record_tables(conn)
    conn.execute("CREATE INDEX IF NOT EXISTS sms_dossier ON sms (dossier_id)")


def _widen(conn: sqlite3.Connection) -> None:
    # New optional fields of existing record types (dossier.clock_stopped_at, issue [3]).
    create_record_tables(conn)


def _conflict_notices(conn: sqlite3.Connection) -> None:
    # Notices of the conflicts open on this ward's records (schemas/conflict.json), sent by
    # the hub: the record pages show them (ward_node/conflicts/service.py).
    create_record_tables(conn)
    conn.execute(
        "CREATE INDEX IF NOT EXISTS conflict_record ON conflict (record_type, record_id, state)"
    )


def _unit_places(conn: sqlite3.Connection) -> None:
    # New optional fields of the unit (province, district), and its search text: the write
    # path fills _search for every type whose schema lists x-search (schemas/unit.json).
    create_record_tables(conn)
    refresh_search(conn, "unit")


MIGRATIONS = [
    ("0001_base", _base),
    ("0002_attachments", _attachments),
    ("0003_sms", _sms),
    ("0004_clock_stopped_at", _widen),
    ("0005_documents", _widen),
    ("0006_documents_more", _widen),
    ("0008_meetings", _widen),
    ("0009_directive_status_note", _widen),
    ("0010_refused_changes", create_refused_table),
    # Session epochs of users and tokens, failed logins keyed by address (webapp/accounts.py).
    ("0011_account_sessions", create_account_tables),
    # Fields a newer hub sends before this release knows them, kept per record in _extra
    # (docs/upgrades.md, "Fields a ward does not know yet").
    ("0012_extra_fields", create_record_tables),
    # Conflicts in the open (docs/conflicts.md).
    ("0013_conflict_notices", _conflict_notices),
    # A unit's province and district, and its search text (schemas/unit.json).
    ("0014_unit_places", _unit_places),
    # edXML: a unit's OrganId, a document's outside addressees and recaller (docs/edxml.md).
    ("0025_edxml_fields", _widen),
]


def open_store(data_dir: Path) -> sqlite3.Connection:
    """Connect to the node's store in ``data_dir``, upgrading its schema if needed (after a
    copy of it in ``data_dir/backups``).

    Raises :class:`sync.StoreTooNew` when a newer release migrated the store
    (docs/upgrades.md, "Never downgrade").
    """
    conn = connect(data_dir / STORE_FILE)
    try:
        migrate(conn, MIGRATIONS, release=RELEASE, backup_dir=data_dir / BACKUP_DIR)
    except BaseException:
        conn.close()
        raise
    return conn


@dataclass(frozen=True)
class Identity:
    """Who this node is and which hub it pinned."""

    node_id: str
    unit: str
    unit_name: str
    hub: HubIdentity


def identity(conn: sqlite3.Connection) -> Identity:
    """The node's identity; :class:`NotFound` when the node was never enrolled."""
    node_id = get_meta(conn, "node_id")
    hub = get_meta(conn, "hub")
    if not node_id or not hub:
        raise NotFound(
            "Nút phường chưa được đăng ký: hãy chạy 'ward-node init' với mã đăng ký.",
            code="not_initialised",
        )
    return Identity(
        node_id=node_id,
        unit=get_meta(conn, "unit"),
        unit_name=get_meta(conn, "unit_name", ""),
        hub=HubIdentity(hub["url"], hub["hub_id"], PublicKeys.from_json(hub["keys"])),
    )


def load_clock(conn: sqlite3.Connection) -> HybridClock:
    """The node's clock, resumed from its persisted value."""
    return HybridClock(last=int(get_meta(conn, "hlc", 0)))


def capture(conn: sqlite3.Connection, clock: HybridClock) -> ChangeCapture:
    """The node's one write path over ``conn``."""
    node_id = get_meta(conn, "node_id")
    return ChangeCapture(conn, node_id, clock, Replica(conn), ChangeLog(conn, node_id))


def next_counter(conn: sqlite3.Connection, key: str) -> int:
    """Increment and return a named counter (the caller holds the transaction)."""
    row = conn.execute(
        "INSERT INTO counters (key, value) VALUES (?, 1) "
        "ON CONFLICT(key) DO UPDATE SET value = value + 1 RETURNING value",
        (key,),
    ).fetchone()
    return int(row[0])
