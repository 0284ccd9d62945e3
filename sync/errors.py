"""Errors raised by the sync engine.

Hierarchy::

    SyncError                      base of everything below; ``status`` is the HTTP status
    ├── ValidationError            a record or change breaks its JSON Schema (422)
    │   └── UnsupportedFile        a file that is not a kind the offices use, by its bytes (415)
    ├── NotFound                   a record, node or key that does not exist (404)
    ├── Conflict                   an action not allowed in the current state (409)
    ├── EnvelopeError              a sealed envelope cannot be trusted (400)
    │   ├── BadSignature           the Ed25519 signature does not verify (401)
    │   ├── UnknownSender          no active node holds the sender key (403)
    │   ├── RevokedSender          the sender's node was revoked (403)
    │   ├── WrongRecipient         the envelope is addressed to someone else (400)
    │   └── TamperedEnvelope       truncated, malformed, or fails to decrypt (400)
    ├── ChangesetError             a changeset's content is refused (422)
    │   ├── ChainBroken            the node's hash chain does not link (409)
    │   ├── HistoryDiverged        the node's log differs from what the hub holds of it (409)
    │   └── OutOfScope             a change to a record the sender does not own (403)
    ├── PayloadTooLarge            a body over the configured limit (413)
    ├── EnrollmentError            an enrollment token is unknown, used or expired (403)
    ├── StoreTooNew                a store a newer release migrated, opened by an older one (409)
    └── TransportError             the other side cannot be reached or answered badly (503)
        ├── RemoteRefused          the other side answered with a clear refusal (status from it)
        └── HubBusy                the hub is under pressure: try again after ``retry_after`` s (503)

Every class carries a machine ``code`` and a human ``message`` that says what to do.
"""

from __future__ import annotations

from typing import Any


class SyncError(Exception):
    """Base of all errors raised by the sync engine."""

    status = 500
    code = "sync_error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def to_json(self) -> dict[str, Any]:
        """The error as the API's ``{"error": {...}}`` body."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        body.update(self.details)
        return {"error": body}


class ValidationError(SyncError):
    """Raised when a record or change does not match its JSON Schema."""

    status = 422
    code = "validation_error"


class UnsupportedFile(ValidationError):
    """Raised when a file is not one of the accepted kinds by its bytes, or carries active
    content (``sync/filetypes.py``)."""

    status = 415
    code = "unsupported_file_type"


class NotFound(SyncError):
    """Raised when a record, node or key does not exist."""

    status = 404
    code = "not_found"


class Conflict(SyncError):
    """Raised when an action is not allowed in the record's current state."""

    status = 409
    code = "conflict"


class EnvelopeError(SyncError):
    """Raised when a sealed envelope cannot be trusted."""

    status = 400
    code = "bad_envelope"


class BadSignature(EnvelopeError):
    """Raised when the sender's Ed25519 signature does not verify."""

    status = 401
    code = "bad_signature"


class UnknownSender(EnvelopeError):
    """Raised when no enrolled node holds the sender's key."""

    status = 403
    code = "unknown_sender"


class RevokedSender(EnvelopeError):
    """Raised when the sender's node has been revoked by an administrator."""

    status = 403
    code = "revoked"


class WrongRecipient(EnvelopeError):
    """Raised when the envelope is addressed to another recipient."""

    status = 400
    code = "wrong_recipient"


class TamperedEnvelope(EnvelopeError):
    """Raised when an envelope is truncated, malformed or fails to decrypt."""

    status = 400
    code = "tampered"


class ChangesetError(SyncError):
    """Raised when the content of a changeset is refused."""

    status = 422
    code = "bad_changeset"


class ChainBroken(ChangesetError):
    """Raised when a node's change log hash chain does not link."""

    status = 409
    code = "chain_broken"


class HistoryDiverged(ChangesetError):
    """Raised when a node sends, for a seq the hub already holds, a change with another hash:
    the node was restored from an older copy and wrote since (docs/sync.md, "Restores")."""

    status = 409
    code = "history_diverged"


class OutOfScope(ChangesetError):
    """Raised when a change touches a record its sender does not own."""

    status = 403
    code = "out_of_scope"


class PayloadTooLarge(SyncError):
    """Raised when a request body exceeds the configured limit."""

    status = 413
    code = "too_large"


class EnrollmentError(SyncError):
    """Raised when an enrollment token is unknown, already used or expired."""

    status = 403
    code = "enrollment_refused"


class TransportError(SyncError):
    """Raised when the other side cannot be reached or answers with garbage."""

    status = 503
    code = "unreachable"


class RemoteRefused(TransportError):
    """Raised when the other side answered with a clear refusal."""

    code = "refused"


class HubBusy(TransportError):
    """Raised when the hub has more requests in flight than it serves promptly and asks to
    come back after ``retry_after`` seconds (docs/operations.md, "Under pressure")."""

    status = 503
    code = "busy"

    def __init__(self, message: str, *, retry_after: float, **details: Any) -> None:
        super().__init__(message, retry_after=retry_after, **details)
        self.retry_after = retry_after


class StoreTooNew(SyncError):
    """Raised when a store was migrated by a newer release than the one opening it: an
    older release would misread or damage it (docs/upgrades.md, "Never downgrade")."""

    status = 409
    code = "store_too_new"
