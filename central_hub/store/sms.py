"""The SMS dispatcher's bookkeeping at the hub (never synced): when a message may next be
tried, delivery receipts that came before the send was recorded, and the units that queued
messages. The ``sms`` records themselves are synced records."""

from __future__ import annotations

import sqlite3


def sms_units(conn: sqlite3.Connection) -> list[str]:
    """The units that queued a message, by code."""
    return [r["unit"] for r in conn.execute("SELECT DISTINCT unit FROM sms ORDER BY unit")]
