"""What the protocol's verbs need (:class:`HubContext`): the store, the hub's keys and clock,
its limits; made from the settings, for a request or for the command line. The hub's wall
clock as the protocol reads it is :func:`now_ms`, one place for every verb."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app

from sync import HybridClock, KeyPair, wall_ms

from .. import nodes
from ..web import db, state


@dataclass
class HubContext:
    """What the protocol handlers need: the store, the hub's keys and clock, the limits."""

    conn: sqlite3.Connection
    keys: KeyPair
    hub_id: str
    clock: HybridClock
    max_inflated: int
    pull_limit: int
    drift_ms: int = 300_000
    hold_max_ms: int = 86_400_000
    max_push_changes: int = 5000
    # The citizens' portal as the public reaches it (the PUBLIC_URL setting): told to the
    # wards at each pull, for the receipts' QR codes and the SMS notices.
    public_url: str = ""
    # The node whose signature verified on this request, once known: a refusal is recorded
    # under a unit only when the unit really sent it (docs/security.md, "Resource bounds").
    sender: nodes.Node | None = None

    @classmethod
    def from_settings(
        cls,
        conn: sqlite3.Connection,
        keys: KeyPair,
        hub_id: str,
        clock: HybridClock,
        settings: Mapping[str, Any],
    ) -> HubContext:
        """The context of a request (or a CLI run) under the hub's settings."""
        return cls(
            conn=conn,
            keys=keys,
            hub_id=hub_id,
            clock=clock,
            max_inflated=int(settings["MAX_INFLATED_BYTES"]),
            pull_limit=int(settings["PULL_LIMIT"]),
            drift_ms=int(settings["DRIFT_SECONDS"]) * 1000,
            hold_max_ms=int(settings["HOLD_MAX_SECONDS"]) * 1000,
            max_push_changes=int(settings["MAX_PUSH_CHANGES"]),
            public_url=portal_url(settings.get("PUBLIC_URL")),
        )

    @classmethod
    def for_request(cls) -> HubContext:
        """The context of this request, on its store connection."""
        hub = state()
        return cls.from_settings(db(), hub.keys, hub.hub_id, hub.clock, current_app.config)


def portal_url(setting: Any) -> str:
    """The ``PUBLIC_URL`` setting as told to the wards: an http(s) address without its final
    slash, or ``""`` when unset or not such an address (a ward refuses an answer whose
    ``portal_url`` is not one: ``schemas/changeset.json``)."""
    url = str(setting or "").strip().rstrip("/")
    return url if len(url) <= 500 and re.fullmatch(r"https?://\S+", url) else ""


def now_ms() -> int:
    """The hub's wall clock in ms, as every verb of the protocol reads it."""
    return wall_ms()
