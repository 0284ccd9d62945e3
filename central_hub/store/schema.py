"""The hub's schema: its migrations, ordered and named (their names are recorded in each
store, so they never change), the connection that applies them, and the hub's identity."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sync import (
    RELEASE,
    NotFound,
    SyncError,
    create_meta,
    create_record_tables,
    get_meta,
    install_functions,
    is_postgres,
    migrate,
    refresh_search,
)
from webapp import create_account_tables

from . import (
    dossier_search,
    edxml,
    edxml_revocations,
    enrollments,
    held,
    sync_history,
    upgrades,
)
from .engine import check_location, engine, marker_key

# The hub's origin and clock live with its write path, which the catalogue migration uses.
from .journal import HUB_ORIGIN, capture

ROLES = ("admin", "operator", "viewer")


def _journal(conn: sqlite3.Connection) -> None:
    conn.execute(
        """CREATE TABLE journal (
            jseq INTEGER PRIMARY KEY AUTOINCREMENT,
            origin TEXT NOT NULL, seq INTEGER NOT NULL, hlc INTEGER NOT NULL,
            type TEXT NOT NULL, id TEXT NOT NULL, unit TEXT NOT NULL,
            fields TEXT NOT NULL, bases TEXT NOT NULL, actor TEXT NOT NULL,
            prev TEXT, hash TEXT, received_at TEXT NOT NULL,
            UNIQUE (origin, seq))"""
    )
    conn.execute("CREATE INDEX journal_record ON journal (type, id)")
    conn.execute(
        "CREATE TABLE routes (unit TEXT NOT NULL, jseq INTEGER NOT NULL, "
        "PRIMARY KEY (unit, jseq)) WITHOUT ROWID"
    )


def _nodes(conn: sqlite3.Connection) -> None:
    conn.execute(
        """CREATE TABLE nodes (
            node_id TEXT PRIMARY KEY, unit TEXT NOT NULL, name TEXT NOT NULL,
            sign_pub TEXT NOT NULL, kem_pub TEXT NOT NULL, fingerprint TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL DEFAULT 'active', enrolled_at TEXT NOT NULL,
            revoked_at TEXT, revoked_reason TEXT, last_seen_at TEXT, clock_offset_s REAL,
            last_seq INTEGER NOT NULL DEFAULT 0, last_hash TEXT,
            replays INTEGER NOT NULL DEFAULT 0, software TEXT)"""
    )
    conn.execute("CREATE INDEX nodes_unit ON nodes (unit)")
    conn.execute(
        """CREATE TABLE enrollments (
            token_hash TEXT PRIMARY KEY, unit TEXT NOT NULL, name TEXT NOT NULL,
            created_at TEXT NOT NULL, expires_at TEXT NOT NULL, used_at TEXT, node_id TEXT)"""
    )
    conn.execute(
        """CREATE TABLE sync_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT, node_id TEXT, unit TEXT, at TEXT NOT NULL,
            kind TEXT NOT NULL, changes INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,
            duration_ms REAL, outcome TEXT NOT NULL, detail TEXT)"""
    )
    conn.execute("CREATE INDEX sync_events_unit ON sync_events (unit, id)")


def _conflicts(conn: sqlite3.Connection) -> None:
    conn.execute(
        """CREATE TABLE conflicts (
            id INTEGER PRIMARY KEY AUTOINCREMENT, record_type TEXT NOT NULL,
            record_id TEXT NOT NULL, unit TEXT NOT NULL, field TEXT NOT NULL,
            base TEXT, values_json TEXT NOT NULL, winner TEXT NOT NULL,
            needs_review INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'open',
            detected_at TEXT NOT NULL, resolved_at TEXT, resolved_by TEXT,
            resolution TEXT, note TEXT)"""
    )
    conn.execute("CREATE INDEX conflicts_state ON conflicts (state, id)")


def _records(conn: sqlite3.Connection) -> None:
    create_meta(conn)
    create_account_tables(conn)
    create_record_tables(conn)


def _pull_cursor(conn: sqlite3.Connection) -> None:
    # The cursor a node last pulled from: where an offline export for it starts by default
    # (central_hub/protocol/transfer.py).
    conn.execute("ALTER TABLE nodes ADD COLUMN pulled_cursor INTEGER NOT NULL DEFAULT 0")


def _attachments(conn: sqlite3.Connection) -> None:
    # Attachment records (schemas/attachment.json) in stores made before they existed; the
    # blob protocol looks them up by the file's hash (central_hub/protocol/blobs.py).
    create_record_tables(conn)
    conn.execute("CREATE INDEX IF NOT EXISTS attachment_sha256 ON attachment (sha256)")


def _sms(conn: sqlite3.Connection) -> None:
    # SMS records (schemas/sms.json) in stores made before they existed, and the dispatcher's
    # own bookkeeping, kept at the hub and never synced (central_hub/sms/dispatch.py): when a message
    # may next be tried, and delivery receipts that came before the send was recorded.
    create_record_tables(conn)
    conn.execute("CREATE INDEX IF NOT EXISTS sms_status ON sms (status)")
    conn.execute("CREATE INDEX IF NOT EXISTS sms_provider_id ON sms (provider_id)")
    conn.execute(
        """CREATE TABLE sms_dispatch (
            sms_id TEXT PRIMARY KEY, next_attempt_at REAL NOT NULL,
            done INTEGER NOT NULL DEFAULT 0)"""
    )
    conn.execute(
        """CREATE TABLE sms_receipts (
            provider_id TEXT PRIMARY KEY, status TEXT NOT NULL, error TEXT,
            received_at REAL NOT NULL)"""
    )


def _public_lookups(conn: sqlite3.Connection) -> None:
    # The public look-up by code (central_hub/portal/lookup.py): its rate limit per client address.
    conn.execute("CREATE INDEX IF NOT EXISTS dossier_code ON dossier (code)")
    conn.execute("CREATE INDEX IF NOT EXISTS dossier_step_dossier ON dossier_step (dossier_id)")
    conn.execute("CREATE TABLE public_lookups (client TEXT NOT NULL, at REAL NOT NULL)")
    conn.execute("CREATE INDEX public_lookups_client ON public_lookups (client, at)")


def _dossier_search(conn: sqlite3.Connection) -> None:
    # The console's dossiers across wards: exact look-ups and filters through indexes.
    dossier_search.create_indexes(conn)


def _online_counters(conn: sqlite3.Connection) -> None:
    # Numbers of dossiers submitted online at the hub, per ward and day: 5001-9999, so they
    # never meet the ward's own offline counter, 0001-5000 (central_hub/portal/submission.py).
    conn.execute(
        "CREATE TABLE online_counters (unit TEXT NOT NULL, day TEXT NOT NULL, "
        "value INTEGER NOT NULL, PRIMARY KEY (unit, day))"
    )


def _node_status(conn: sqlite3.Connection) -> None:
    # What a node reports of itself in each push and pull (schemas/changeset.json, "status"),
    # and an administrator's request that it rotate its keys (central_hub/console/dashboard.py).
    for column in (
        "pending_changes INTEGER",
        "oldest_pending_at TEXT",
        "schema_version TEXT",
        "status_reported_at TEXT",
        "rotate_requested_at TEXT",
    ):
        conn.execute(f"ALTER TABLE nodes ADD COLUMN {column}")


def _blob_sources(conn: sqlite3.Connection) -> None:
    # Which units each file at the hub came from (central_hub/files.py): an attachment record
    # lets a unit fetch a file only if its owner's unit sent the bytes, so naming a hash is
    # not enough (docs/security.md, "Files"). Files already held are trusted to the units
    # whose records named them before this check existed.
    conn.execute(
        "CREATE TABLE blob_sources (sha256 TEXT NOT NULL, unit TEXT NOT NULL, "
        "at TEXT NOT NULL, PRIMARY KEY (sha256, unit))"
    )
    conn.execute(
        "INSERT OR IGNORE INTO blob_sources (sha256, unit, at) "
        "SELECT sha256, unit, coalesce(uploaded_at, '') FROM attachment WHERE sha256 IS NOT NULL"
    )


def _portal_submissions(conn: sqlite3.Connection) -> None:
    # The one-time token of each form the portal received (central_hub/portal/submission.py): a
    # reloaded or doubly clicked submission finds its dossier instead of making a second one.
    conn.execute(
        "CREATE TABLE portal_submissions (token TEXT PRIMARY KEY, dossier_id TEXT NOT NULL, "
        "created_at REAL NOT NULL)"
    )


def _disclosure_indexes(conn: sqlite3.Connection) -> None:
    # The portal's public disclosure (central_hub/store/disclosure.py): figures by month read
    # dossiers by their reception and resolution times and apology steps by action and time.
    # The indexes cover every column those queries read: a year is most of the table, and
    # fetching each row from the table through an index costs forty times a scan (1.1 s
    # against 26 ms on 100,000 dossiers). A ward's hall screen counts its dossiers by status.
    conn.execute(
        "CREATE INDEX IF NOT EXISTS dossier_received_at ON dossier (received_at, status, unit)"
    )
    conn.execute(
        "CREATE INDEX IF NOT EXISTS dossier_completed_at "
        "ON dossier (completed_at, status, unit, original_due_at, due_at)"
    )
    conn.execute("CREATE INDEX IF NOT EXISTS dossier_unit_status ON dossier (unit, status)")
    conn.execute(
        "CREATE INDEX IF NOT EXISTS dossier_step_action ON dossier_step (action, at, unit)"
    )


# The data steps of migrations that write records through the hub's write path. The store
# imports no domain code: the module that owns such a step registers it when it is imported
# (conflicts/notices.py registers "0028_conflict_notices"), and every hub process imports it
# with the app. A step missing raises KeyError and rolls its migration back.
DATA_STEPS: dict[str, Callable[[sqlite3.Connection], object]] = {}


def _conflict_notices(conn: sqlite3.Connection) -> None:
    # The notice of each open conflict, a record routed to the unit owning the record in
    # conflict (schemas/conflict.json, central_hub/conflicts/notices.py): conflicts opened
    # before notices existed get theirs now, so every ward learns of them on its next pull.
    create_record_tables(conn)
    conn.execute("ALTER TABLE conflicts ADD COLUMN notice TEXT")
    conn.execute("CREATE INDEX conflicts_notice ON conflicts (notice)")
    conn.execute("CREATE INDEX conflicts_record ON conflicts (record_type, record_id, state)")
    DATA_STEPS["0028_conflict_notices"](conn)


def _unit_places(conn: sqlite3.Connection) -> None:
    # A unit's province and (before July 2025) district, and its search text without
    # diacritics (schemas/unit.json): the console's units page filters and finds a fleet of
    # thousands of nodes by them in SQL (central_hub/store/fleet.py). Units are looked up by
    # code from every node's row.
    create_record_tables(conn)
    refresh_search(conn, "unit")
    conn.execute("CREATE INDEX IF NOT EXISTS unit_code ON unit (code)")
    conn.execute("CREATE INDEX IF NOT EXISTS unit_place ON unit (province, district)")
    # Each row of the page counts its unit's open conflicts.
    conn.execute("CREATE INDEX IF NOT EXISTS conflicts_unit ON conflicts (unit, state)")


def _edxml(conn: sqlite3.Connection) -> None:
    # edXML exchange with agencies outside the city (docs/edxml.md): a unit's OrganId and a
    # document's outside addressees and recaller are new optional fields; the exchange's own
    # bookkeeping is hub-local (central_hub/store/edxml.py). Units are found by OrganId.
    create_record_tables(conn)
    edxml.create_tables(conn)
    conn.execute("CREATE INDEX IF NOT EXISTS unit_organ ON unit (organ_id)")


def _ward_catalogue(conn: sqlite3.Connection) -> None:
    # Reference data, edited through the journal like an administrator's edit so that every
    # ward receives it (central_hub/reference/catalogue.py, which only reads the store);
    # imported here, not at the top: the reference package's pages import the store.
    from ..reference.catalogue import catalogue_upgrade

    writes = catalogue_upgrade(conn)
    if writes:
        capture(conn).write_many(writes, actor="system")


def _edxml_ward_documents(conn: sqlite3.Connection) -> None:
    # A ward's documents to agencies outside the city (docs/edxml.md, "A ward's documents"):
    # document.edxml_to_names and edxml_statuses; document messages claimed exactly once.
    create_record_tables(conn)
    edxml.create_sent_table(conn)


MIGRATIONS = [
    ("0001_records", _records),
    ("0002_journal", _journal),
    ("0003_nodes", _nodes),
    ("0004_conflicts", _conflicts),
    ("0005_pull_cursor", _pull_cursor),
    ("0006_attachments", _attachments),
    ("0007_held", held.create_table),
    ("0008_key_rotation", lambda c: c.execute("ALTER TABLE nodes ADD COLUMN keys_rotated_at TEXT")),
    ("0009_sms", _sms),
    ("0010_public_lookups", _public_lookups),
    # New optional fields of existing record types (dossier.clock_stopped_at, issue [3]).
    ("0011_clock_stopped_at", create_record_tables),
    ("0012_documents", create_record_tables),
    ("0013_documents_more", create_record_tables),
    ("0015_meetings", create_record_tables),
    ("0016_directive_status_note", create_record_tables),
    ("0017_online_counters", _online_counters),
    ("0018_node_status", _node_status),
    ("0019_held_quarantine", held.add_quarantine),
    ("0020_unverified_refusals", sync_history.create_unverified_refusals),
    ("0021_enrollment_cancelled", enrollments.create_cancelled_column),
    # Session epochs of users and tokens, failed logins keyed by address (webapp/accounts.py).
    ("0022_account_sessions", create_account_tables),
    ("0023_blob_sources", _blob_sources),
    ("0024_portal_submissions", _portal_submissions),
    # What each node was handed of the journal, to tell a hub restored from a backup.
    ("0025_sent_cursor", lambda c: c.execute("ALTER TABLE nodes ADD COLUMN sent_cursor INTEGER")),
    # Staged upgrades (docs/upgrades.md): what each node's release can take, and what waits
    # at the hub for a node's upgrade; _extra columns as on the nodes.
    ("0026_staged_upgrades", upgrades.create_tables),
    # A summary per node instead of a row per quiet visit (docs/operations.md, "Growth").
    ("0027_sync_visits", sync_history.create_summary),
    # Conflicts in the open (docs/conflicts.md): a notice of each, routed to the unit.
    ("0028_conflict_notices", _conflict_notices),
    # Units by province and district, found by name without diacritics (docs/upgrades.md).
    ("0029_unit_places", _unit_places),
    # A dossier's line in its ward's register book (schemas/dossier.json, register_number).
    ("0030_register_number", create_record_tables),
    # The papers a dossier was received with, the procedures' legal basis, fee rule and former
    # codes (docs/domain.md, "Reception checklist" and "The procedure catalogue").
    ("0032_papers_received", create_record_tables),
    # The ward's catalogue: national procedure codes, residence procedures out of it.
    ("0033_ward_catalogue", _ward_catalogue),
    ("0034_disclosure_indexes", _disclosure_indexes),
    # A document presented to a leader (document_receipt.presented_*), a directive assigned to
    # a ward's own staff (directive.assignees): docs/domain.md, "Official documents".
    ("0036_presented_and_assignees", create_record_tables),
    # The console's dossier list and search (docs/operations.md, "Dossiers across wards").
    ("0037_dossier_search", _dossier_search),
    # edXML (QCVN 102:2016) in and out: unit.organ_id, document.edxml_to and recalled_by.
    ("0040_edxml", _edxml),
    # A ward's documents to outside agencies: their names and the statuses reported back are
    # new optional fields of the document; each document message is claimed once.
    ("0041_edxml_ward_documents", _edxml_ward_documents),
    # A recall of a document already sent outside: one revocation message per agency, claimed
    # once (docs/edxml.md, "Revocations out").
    ("0042_edxml_revocations", edxml_revocations.create_table),
]

BACKUP_DIR = "backups"  # copies of the store taken before each upgrade migrates it


# The advisory lock PostgreSQL's migrations run under: hub processes starting together upgrade
# the schema one after the other (the second finds nothing left to do).
MIGRATION_LOCK = 0x68756221


def open_store(data_dir: Path) -> sqlite3.Connection:
    """Connect to the hub's store (``engine.py``: the SQLite file in ``data_dir``, or its
    PostgreSQL database), upgrading its schema if needed (after a copy of a SQLite store in
    ``data_dir/backups``; PostgreSQL is backed up with its own tools, docs/backup.md).

    Raises :class:`sync.StoreTooNew` when a newer release migrated the store
    (docs/upgrades.md, "Never downgrade"), and :class:`sync.SyncError` when the store is not
    this folder's hub's (``engine.check_location``, :func:`check_identity`).
    """
    if not data_dir.is_dir():  # SQLite would say only "unable to open database file"
        raise NotFound(
            f"Thư mục {data_dir} chưa có máy chủ trung tâm: hãy chạy 'central-hub init' "
            "trước, hoặc cho biết đúng thư mục (--data).",
            code="not_initialised",
        )
    found = engine(data_dir)
    check_location(data_dir, found)
    conn = found.connect()
    try:
        if is_postgres(conn):
            conn.execute(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
            try:
                install_functions(conn)
                migrate(conn, MIGRATIONS, release=RELEASE)
            finally:
                conn.execute(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
        else:
            migrate(conn, MIGRATIONS, release=RELEASE, backup_dir=data_dir / BACKUP_DIR)
        check_identity(conn, data_dir)
    except BaseException:
        conn.close()
        raise
    return conn


def check_identity(conn: sqlite3.Connection, data_dir: Path) -> None:
    """Refuse a PostgreSQL database that is not the hub of ``data_dir``: the key made at init
    is in both, and must match (a wrong address in the settings must not serve another
    hub's data with this folder's keys)."""
    if not is_postgres(conn):
        return
    stored = get_meta(conn, "hub_key")
    expected = marker_key(data_dir)
    if stored is None and expected is None:
        return  # a database being initialised
    if expected is None:
        raise SyncError(
            f"Cơ sở dữ liệu {engine(data_dir).describe()} đã có một máy chủ trung tâm, không "
            f"phải của thư mục {data_dir}. Dùng cơ sở dữ liệu trống cho máy chủ mới, hoặc thư "
            "mục dữ liệu của máy chủ đó.",
            code="store_elsewhere",
        )
    if stored != expected:
        raise SyncError(
            f"Cơ sở dữ liệu {engine(data_dir).describe()} không phải của máy chủ trung tâm "
            f"trong {data_dir}: hãy kiểm tra CENTRAL_HUB_DATABASE_URL/--database-url.",
            code="store_elsewhere",
        )


def hub_info(conn: sqlite3.Connection) -> dict[str, Any]:
    """The hub's identity as stored at init."""
    return {
        "hub_id": get_meta(conn, "hub_id", HUB_ORIGIN),
        "name": get_meta(conn, "hub_name", ""),
        "unit": get_meta(conn, "hub_unit", "H57"),
    }


def check_store(data_dir: Path) -> None:
    """Run a query on a connection to the store of ``data_dir``: the health check (raises
    when the store cannot answer)."""
    check = engine(data_dir).connect()
    try:
        check.execute("SELECT 1").fetchone()
    finally:
        check.close()


@contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """A read transaction: in WAL mode, one consistent view that blocks no writer."""
    conn.execute("BEGIN DEFERRED")
    try:
        yield
    finally:
        conn.execute("COMMIT")
