"""The ward node's settings, declared once: (name, default, help). Unknown keys are refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sync import ValidationError
from webapp import METRICS_SETTINGS, WEB_SETTINGS

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
    (
        "HUB_CA_BUNDLE",
        "",
        "PEM file of the CA certificates the hub's HTTPS certificate is checked against (the "
        "city's own CA); empty: the CAs requests ships",
    ),
    ("ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024, "largest file that can be attached, in bytes"),
    (
        "PUBLIC_LOOKUP_URL",
        "",
        "citizens' look-up address, in SMS notices and on receipts ({code} becomes the "
        "dossier code); empty: SMS notices send the citizen to the one-stop desk",
    ),
    (
        "DESK_PHONE",
        "",
        "the one-stop desk's phone number, printed on the supplement request and the stop "
        "notice for the citizen to call; empty: a dotted line to fill in by hand",
    ),
    (
        "HOUSEKEEPING_INTERVAL",
        3600,
        "seconds between housekeeping rounds of serve, which prune failed logins and "
        "rate-limit rows (0 turns it off)",
    ),
    # Sessions, the server's connections, the public look-up's rate: both apps alike.
    *WEB_SETTINGS,
    # Who may read /metrics besides the machine itself (docs/operations.md, "Giám sát").
    *METRICS_SETTINGS,
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


def hub_link(settings: dict[str, Any]) -> dict[str, Any]:
    """The options of the transport to the hub (``sync.HttpTransport``): the deadlines of
    :func:`sync_deadlines` and ``ca_bundle`` from ``HUB_CA_BUNDLE``; :class:`ValidationError`
    names a bad one (a bundle that is not a readable file)."""
    options: dict[str, Any] = dict(sync_deadlines(settings))
    bundle = str(settings.get("HUB_CA_BUNDLE") or "").strip()
    if bundle:
        try:
            text = Path(bundle).read_text(encoding="ascii", errors="replace")
        except OSError as exc:
            raise ValidationError(
                f"Thiết lập 'HUB_CA_BUNDLE': không đọc được tệp {bundle} ({exc.strerror}). "
                "Hãy ghi đường dẫn tệp PEM chứng chỉ CA của máy chủ trung tâm.",
                code="bad_setting",
                field="HUB_CA_BUNDLE",
            ) from exc
        if "-----BEGIN CERTIFICATE-----" not in text:
            raise ValidationError(
                f"Thiết lập 'HUB_CA_BUNDLE': tệp {bundle} không chứa chứng chỉ PEM nào.",
                code="bad_setting",
                field="HUB_CA_BUNDLE",
            )
        options["ca_bundle"] = bundle
    return options
