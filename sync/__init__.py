"""wardsync's sync engine, shared by the ward node and the central hub (no web framework here).

The apps import from this package only, never from its inner modules.
"""

from .accounts import (
    TOKEN_TTL,
    Account,
    AccountDisabled,
    LoginRefused,
    User,
    accounts_text,
    add_user,
    authenticate,
    end_sessions,
    get_user,
    issue_token,
    list_users,
    session_claims,
    set_active,
    user_for_session,
    user_for_token,
)
from .accounts import create_tables as create_account_tables
from .assets import ASSET_DIR
from .blobs import BlobStore, check_sha256
from .blobsync import CHUNK_SIZE as BLOB_CHUNK_SIZE
from .blobsync import MAX_CHUNK as BLOB_MAX_CHUNK
from .blobsync import Frame, pack_frame, sync_blobs, unpack_frame
from .boundary import check_immutable_in_order, refused_count, screen_pulled
from .boundary import create_table as create_refused_table
from .bundle import TransferFileError, read_bundle, write_bundle
from .capture import ChangeCapture, Write, check_immutable
from .changes import Change, ChangeLog, canonical, create_change_log, loads
from .clock import HybridClock, Version, pack, physical_ms, wall_ms
from .config import load_settings, session_cookie
from .display import VIETNAM, form_day, local_time, qr_svg, vn_date, vn_datetime, vnd
from .envelope import Opened, open_envelope, pack_payload, peek_header, seal, unpack_payload
from .errors import (
    BadSignature,
    ChainBroken,
    ChangesetError,
    Conflict,
    EnrollmentError,
    EnvelopeError,
    NotFound,
    OutOfScope,
    PayloadTooLarge,
    RemoteRefused,
    RevokedSender,
    SyncError,
    TamperedEnvelope,
    TransportError,
    UnknownSender,
    ValidationError,
    WrongRecipient,
)
from .files import append_private, private_dir, private_umask, tighten, write_private
from .ids import new_id
from .jsonbody import MAX_DEPTH as MAX_JSON_DEPTH
from .jsonbody import JsonTooDeep, loads_bounded
from .keys import KeyPair, PublicKeys, rotation_proof
from .memory import limit_malloc_arenas
from .ratelimit import RateLimited, check_rate
from .replica import (
    FieldClash,
    MergeResult,
    Replica,
    create_record_tables,
    gc_paused,
    select_records,
)
from .schedule import SCHEDULED, WEEKDAYS, schedule_rows, to_ics, week_of
from .schemas import (
    SCHEMA_VERSION,
    RecordType,
    labels,
    record_type,
    record_types,
    validate,
    validate_fields,
)
from .serving import serve, waitress_options
from .session import (
    HubIdentity,
    NodeSync,
    SyncLockBusy,
    SyncReport,
    read_status,
    sync_lock,
    utcnow_iso,
)
from .sheets import csv_bytes, safe_cell, xlsx_append
from .store import atomic, connect, create_meta, get_meta, migrate, set_meta
from .text import clean_text, fold, mask_name, nfc, unaccent
from .throttle import LoginThrottled
from .timeclass import TIME_CLASSES, done_report, shown_status, time_class
from .transport import ENVELOPE_TYPE, HttpTransport

__all__ = [
    "ASSET_DIR",
    "BLOB_CHUNK_SIZE",
    "BLOB_MAX_CHUNK",
    "ENVELOPE_TYPE",
    "SCHEDULED",
    "SCHEMA_VERSION",
    "TIME_CLASSES",
    "BadSignature",
    "BlobStore",
    "ChainBroken",
    "Change",
    "ChangeCapture",
    "ChangeLog",
    "ChangesetError",
    "Conflict",
    "EnrollmentError",
    "EnvelopeError",
    "FieldClash",
    "Frame",
    "HttpTransport",
    "HubIdentity",
    "HybridClock",
    "JsonTooDeep",
    "MAX_JSON_DEPTH",
    "KeyPair",
    "LoginRefused",
    "Account",
    "AccountDisabled",
    "TOKEN_TTL",
    "LoginThrottled",
    "MergeResult",
    "NodeSync",
    "NotFound",
    "Opened",
    "OutOfScope",
    "PayloadTooLarge",
    "PublicKeys",
    "RateLimited",
    "RecordType",
    "RemoteRefused",
    "Replica",
    "RevokedSender",
    "SyncError",
    "SyncLockBusy",
    "SyncReport",
    "TamperedEnvelope",
    "TransferFileError",
    "TransportError",
    "UnknownSender",
    "WEEKDAYS",
    "User",
    "ValidationError",
    "Version",
    "Write",
    "WrongRecipient",
    "add_user",
    "csv_bytes",
    "safe_cell",
    "xlsx_append",
    "append_private",
    "private_dir",
    "private_umask",
    "serve",
    "tighten",
    "waitress_options",
    "write_private",
    "accounts_text",
    "end_sessions",
    "list_users",
    "session_claims",
    "set_active",
    "user_for_session",
    "atomic",
    "authenticate",
    "canonical",
    "check_immutable",
    "check_immutable_in_order",
    "create_refused_table",
    "refused_count",
    "screen_pulled",
    "check_rate",
    "clean_text",
    "check_sha256",
    "connect",
    "create_account_tables",
    "create_change_log",
    "create_meta",
    "create_record_tables",
    "select_records",
    "done_report",
    "fold",
    "gc_paused",
    "get_meta",
    "get_user",
    "issue_token",
    "labels",
    "limit_malloc_arenas",
    "load_settings",
    "session_cookie",
    "loads",
    "loads_bounded",
    "mask_name",
    "migrate",
    "new_id",
    "nfc",
    "vn_date",
    "vn_datetime",
    "vnd",
    "local_time",
    "qr_svg",
    "form_day",
    "VIETNAM",
    "open_envelope",
    "pack",
    "pack_frame",
    "pack_payload",
    "peek_header",
    "physical_ms",
    "read_status",
    "read_bundle",
    "record_type",
    "record_types",
    "rotation_proof",
    "schedule_rows",
    "seal",
    "set_meta",
    "shown_status",
    "sync_blobs",
    "sync_lock",
    "time_class",
    "to_ics",
    "unaccent",
    "unpack_frame",
    "unpack_payload",
    "user_for_token",
    "utcnow_iso",
    "validate",
    "validate_fields",
    "wall_ms",
    "week_of",
    "write_bundle",
]
