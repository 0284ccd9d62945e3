"""wardsync's sync engine, shared by the ward node and the central hub (no web framework here).

The apps import from this package only, never from its inner modules.
"""

from .accounts import (
    LoginRefused,
    LoginThrottled,
    User,
    add_user,
    authenticate,
    get_user,
    issue_token,
    user_for_token,
)
from .accounts import create_tables as create_account_tables
from .assets import ASSET_DIR
from .blobs import BlobStore, check_sha256
from .blobsync import CHUNK_SIZE as BLOB_CHUNK_SIZE
from .blobsync import MAX_CHUNK as BLOB_MAX_CHUNK
from .blobsync import Frame, pack_frame, sync_blobs, unpack_frame
from .browser import FILE_HEADERS, apply_policy
from .bundle import TransferFileError, read_bundle, write_bundle
from .capture import ChangeCapture, Write, check_immutable
from .changes import Change, ChangeLog, canonical, create_change_log, loads
from .clock import HybridClock, Version, pack, physical_ms, wall_ms
from .config import load_settings
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
    UnsupportedFile,
    ValidationError,
    WrongRecipient,
)
from .filetypes import ACCEPTED as FILE_KINDS
from .filetypes import (
    PDF,
    FileKind,
    accepted_labels,
    check_bytes,
    check_file,
    download_name,
    kind_of,
)
from .ids import new_id
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
from .session import (
    HubIdentity,
    NodeSync,
    SyncLockBusy,
    SyncReport,
    read_status,
    sync_lock,
    utcnow_iso,
)
from .store import atomic, connect, create_meta, get_meta, migrate, set_meta
from .text import clean_text, fold, mask_name, nfc, unaccent
from .timeclass import TIME_CLASSES, done_report, shown_status, time_class
from .transport import ENVELOPE_TYPE, HttpTransport

__all__ = [
    "ASSET_DIR",
    "BLOB_CHUNK_SIZE",
    "BLOB_MAX_CHUNK",
    "ENVELOPE_TYPE",
    "FILE_HEADERS",
    "FILE_KINDS",
    "PDF",
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
    "FileKind",
    "Frame",
    "HttpTransport",
    "HubIdentity",
    "HybridClock",
    "KeyPair",
    "LoginRefused",
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
    "UnsupportedFile",
    "WEEKDAYS",
    "User",
    "ValidationError",
    "Version",
    "Write",
    "WrongRecipient",
    "accepted_labels",
    "add_user",
    "apply_policy",
    "atomic",
    "authenticate",
    "canonical",
    "check_bytes",
    "check_file",
    "check_immutable",
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
    "download_name",
    "fold",
    "gc_paused",
    "get_meta",
    "get_user",
    "issue_token",
    "kind_of",
    "labels",
    "limit_malloc_arenas",
    "load_settings",
    "loads",
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
