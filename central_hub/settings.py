"""The hub's settings, declared once: (name, default, help). Unknown keys are refused."""

from __future__ import annotations

from typing import Any

from webapp import METRICS_SETTINGS, WEB_SETTINGS

SETTINGS: list[tuple[str, Any, str]] = [
    ("DATA", "./hub-data", "folder holding the hub's store, keys and blobs"),
    (
        "DATABASE_URL",
        "",
        "the store on PostgreSQL (postgresql://user:password@host:5432/name); empty: the SQLite "
        "file in DATA",
    ),
    ("HUB_UNIT", "H57", "unit code of the city office that runs the hub"),
    (
        "ORGAN_ID",
        "000.00.00.H57",
        "the city office's identifier on the national document exchange platform (edXML "
        "OrganId); each unit's own is in the reference data (docs/edxml.md)",
    ),
    (
        "EDXML_TRUST_STORE",
        "",
        "PEM file of the certificates (authorities) whose signatures on incoming edXML messages "
        "count as verified; empty: signatures are shown as unverifiable",
    ),
    ("EDXML_SIGN_CERT", "", "PEM certificate the city signs outgoing edXML messages with"),
    ("EDXML_SIGN_KEY", "", "PEM private key of EDXML_SIGN_CERT; both set: messages are signed"),
    (
        "EDXML_INTERVAL",
        10,
        "seconds between rounds of serve's edXML exchange: take the files in DATA/edxml/inbox, "
        "write status and document messages to DATA/edxml/outbox (0 turns it off)",
    ),
    ("PUBLIC_URL", "", "URL wards and citizens use to reach the hub (put in enrollment tokens)"),
    ("MAX_BODY_BYTES", 64 * 1024 * 1024, "largest request body accepted, in bytes"),
    ("MAX_INFLATED_BYTES", 24 * 1024 * 1024, "largest changeset after decompression, in bytes"),
    ("PULL_LIMIT", 20_000, "most journal entries sent in one pull answer"),
    ("DRIFT_SECONDS", 300, "how far in the future a change's clock may be before it is held"),
    (
        "HOLD_MAX_SECONDS",
        86_400,
        "how far in the future a change's clock may be at all: further ahead, the push is refused "
        "with the reason instead of held",
    ),
    ("MAX_PUSH_CHANGES", 5000, "most changes accepted in one push"),
    (
        "MAX_INFLIGHT",
        0,
        "requests in flight (served or waiting for a thread) beyond which a node's sync request "
        "is answered at once with 503 and Retry-After; 0: 4 per server thread, -1: never",
    ),
    ("ENROLL_TOKEN_HOURS", 72, "how long an enrollment token stays valid"),
    ("ENROLL_PER_MINUTE", 10, "node enrollment requests allowed per client address a minute"),
    (
        "SMS_PROVIDER",
        "log",
        "how SMS notices leave: log (appended to DATA/sms.log, nothing sent) or http (the gateway)",
    ),
    ("SMS_GATEWAY_URL", "", "the HTTP gateway's send address, for SMS_PROVIDER http"),
    (
        "SMS_GATEWAY_TOKEN",
        "",
        "bearer token sent to the gateway, and expected on its delivery receipts",
    ),
    ("SMS_GATEWAY_TIMEOUT", 10, "seconds to wait for the gateway before trying again later"),
    ("SMS_MAX_ATTEMPTS", 5, "attempts to send one SMS before it is marked failed for good"),
    ("SMS_INTERVAL", 30, "seconds between rounds of the SMS dispatcher of serve (0 turns it off)"),
    (
        "HOUSEKEEPING_INTERVAL",
        3600,
        "seconds between housekeeping rounds of serve, which prune the sync history, failed "
        "logins and rate-limit rows (0 turns it off)",
    ),
    (
        "HISTORY_DAYS",
        90,
        "days the sync history (transfers, refusals, key rotations) and the counts of "
        "unverified refusals are kept",
    ),
    # Sessions, the server's connections, the public look-up's rate: both apps alike.
    *WEB_SETTINGS,
    # Who may read /metrics besides the machine itself (docs/operations.md, "Giám sát").
    *METRICS_SETTINGS,
]

PREFIX = "CENTRAL_HUB"
