"""Record identifiers: UUIDv7, time-ordered and generated offline without coordination."""

from __future__ import annotations

import uuid6


def new_id() -> str:
    """A new UUIDv7 as text."""
    return str(uuid6.uuid7())
