"""The ward node's settings, declared once: (name, default, help). Unknown keys are refused."""

from __future__ import annotations

from typing import Any

from sync import ValidationError

SETTINGS: list[tuple[str, Any, str]] = [
    ("DATA", "./ward-data", "folder holding the node's store, keys and blobs"),
    ("SYNC_INTERVAL", 30, "seconds between background syncs (0 turns the worker off)"),
    ("SYNC_CHUNK", 5000, "most changes sent or received in one changeset"),
    ("BACKOFF_MAX", 300, "longest wait, in seconds, between attempts while the hub is down"),
    (
        "SYNC_CONNECT_TIMEOUT",
        5.0,
        "seconds a request to the hub may take to connect before the attempt fails",
    ),
    (
        "SYNC_READ_TIMEOUT",
        30.0,
        "seconds the hub may stay silent during a request (a stopped hub, a link that "
        "swallows packets) before the attempt fails",
    ),
    (
        "SYNC_DEADLINE",
        120.0,
        "seconds one request to the hub may take in all, however slowly it trickles",
    ),
    ("SECRET_KEY", None, "key signing session cookies (generated in the data folder if unset)"),
    ("PUBLIC_LOOKUP_PER_MINUTE", 20, "public status look-ups allowed per client address a minute"),
    ("ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024, "largest file that can be attached, in bytes"),
    (
        "PUBLIC_LOOKUP_URL",
        "",
        "citizens' look-up address, in SMS notices and on receipts ({code} becomes the "
        "dossier code); empty: SMS notices send the citizen to the one-stop desk",
    ),
    (
        "SESSION_IDLE_MINUTES",
        120,
        "a login session unused this many minutes ends (the user logs in again)",
    ),
    ("SESSION_MAX_HOURS", 10, "a login session ends this many hours after the login, used or not"),
    (
        "HTTPS",
        False,
        "1 when people reach the app over HTTPS (a TLS proxy in front): session cookies are then "
        "sent over HTTPS only",
    ),
    ("MAX_CONNECTIONS", 500, "most client connections the server holds open at once"),
    (
        "HEADER_TIMEOUT",
        20,
        "seconds a client has to send a request's headers before its connection is closed",
    ),
    ("CONNECTION_TIMEOUT", 30, "seconds an idle kept-alive connection stays open"),
    (
        "HOUSEKEEPING_INTERVAL",
        3600,
        "seconds between housekeeping rounds of serve, which prune failed logins and "
        "rate-limit rows (0 turns it off)",
    ),
]

PREFIX = "WARD_NODE"


def sync_deadlines(settings: dict[str, Any]) -> dict[str, float]:
    """The transport's deadlines from the ``SYNC_*`` settings, as ``sync.HttpTransport`` takes
    them (docs/sync.md, "A hanging link"); :class:`ValidationError` names a bad one."""
    values = {}
    for name, key in (
        ("SYNC_CONNECT_TIMEOUT", "connect_timeout"),
        ("SYNC_READ_TIMEOUT", "timeout"),
        ("SYNC_DEADLINE", "deadline"),
    ):
        try:
            value = float(settings[name])
        except (TypeError, ValueError):
            value = float("nan")
        if not 0 < value <= 3600:
            raise ValidationError(
                f"Thiết lập '{name}' phải là số giây lớn hơn 0 và không quá 3600.",
                code="bad_setting",
                field=name,
            )
        values[key] = value
    return values
