"""wardsync's sync engine, shared by the ward node and the central hub (no web framework here).

The apps import from this package only, never from its inner modules.
"""

from . import backup
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
from .compat import LEGACY_RELEASE, RELEASE, Receiver, Verdict, release_of
from .envelope import Opened, open_envelope, pack_payload, peek_header, seal, unpack_payload
from .errors import (
    BadSignature,
    ChainBroken,
    ChangesetError,
    Conflict,
    EnrollmentError,
    EnvelopeError,
    HistoryDiverged,
    NotFound,
    OutOfScope,
    PayloadTooLarge,
    RemoteRefused,
    RevokedSender,
    StoreTooNew,
    SyncError,
    TamperedEnvelope,
    TransportError,
    UnknownSender,
    UnsupportedFile,
    ValidationError,
    WrongRecipient,
)
from .files import append_private, private_dir, private_umask, tighten, write_private
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
from .jsonbody import MAX_DEPTH as MAX_JSON_DEPTH
from .jsonbody import JsonTooDeep, loads_bounded
from .keys import KeyPair, PublicKeys, rotation_proof
from .recovery import Recovery
from .replica import (
    FieldClash,
    MergeResult,
    Replica,
    create_record_tables,
    gc_paused,
    select_records,
)
from .schemas import (
    SCHEMA_VERSION,
    RecordType,
    labels,
    record_schemas,
    record_type,
    record_types,
    schema_fingerprint,
    schemas_digest,
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
from .store import atomic, connect, create_meta, get_meta, migrate, set_meta, store_path
from .text import clean_text, fold, mask_name, nfc, unaccent
from .transport import ENVELOPE_TYPE, HttpTransport

__all__ = [
    "backup",
    "BLOB_CHUNK_SIZE",
    "BLOB_MAX_CHUNK",
    "ENVELOPE_TYPE",
    "FILE_KINDS",
    "PDF",
    "SCHEMA_VERSION",
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
    "HistoryDiverged",
    "FieldClash",
    "FileKind",
    "Frame",
    "HttpTransport",
    "HubIdentity",
    "HybridClock",
    "JsonTooDeep",
    "MAX_JSON_DEPTH",
    "KeyPair",
    "MergeResult",
    "NodeSync",
    "NotFound",
    "Opened",
    "OutOfScope",
    "PayloadTooLarge",
    "PublicKeys",
    "RecordType",
    "Recovery",
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
    "ValidationError",
    "Version",
    "Write",
    "WrongRecipient",
    "accepted_labels",
    "append_private",
    "private_dir",
    "private_umask",
    "tighten",
    "write_private",
    "atomic",
    "canonical",
    "check_bytes",
    "check_file",
    "check_immutable",
    "check_immutable_in_order",
    "create_refused_table",
    "refused_count",
    "screen_pulled",
    "clean_text",
    "check_sha256",
    "connect",
    "create_change_log",
    "create_meta",
    "create_record_tables",
    "select_records",
    "download_name",
    "fold",
    "gc_paused",
    "get_meta",
    "kind_of",
    "labels",
    "loads",
    "loads_bounded",
    "mask_name",
    "migrate",
    "new_id",
    "nfc",
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
    "seal",
    "set_meta",
    "sync_blobs",
    "sync_lock",
    "unaccent",
    "unpack_frame",
    "unpack_payload",
    "utcnow_iso",
    "validate",
    "validate_fields",
    "LEGACY_RELEASE",
    "RELEASE",
    "Receiver",
    "StoreTooNew",
    "Verdict",
    "record_schemas",
    "release_of",
    "schema_fingerprint",
    "schemas_digest",
    "store_path",
    "wall_ms",
    "write_bundle",
]
