"""What the citizens' portal keeps at the hub, never synced: the one-time token of each form
it received (so a second click finds the first dossier), the online numbering of each ward
and day, and the count of a submitted dossier's scans."""

from __future__ import annotations

import sqlite3


def submitted_dossier(
    conn: sqlite3.Connection, token: str, since: float | None = None
) -> str | None:
    """The dossier made from the form with ``token`` (received after ``since``, a Unix time,
    when given), or None."""
    if since is None:
        row = conn.execute(
            "SELECT dossier_id FROM portal_submissions WHERE token = ?", (token,)
        ).fetchone()
    else:
        row = conn.execute(
            "SELECT dossier_id FROM portal_submissions WHERE token = ? AND created_at > ?",
            (token, since),
        ).fetchone()
    return None if row is None else str(row["dossier_id"])


def record_submission(conn: sqlite3.Connection, token: str, dossier_id: str, at: float) -> None:
    """Remember that the form with ``token`` made ``dossier_id`` at ``at`` (Unix time)."""
    conn.execute(
        "INSERT INTO portal_submissions (token, dossier_id, created_at) VALUES (?, ?, ?)",
        (token, dossier_id, at),
    )


def forget_submissions(conn: sqlite3.Connection, before: float) -> None:
    """Forget the forms received before ``before`` (Unix time)."""
    conn.execute("DELETE FROM portal_submissions WHERE created_at < ?", (before,))


def next_online_number(conn: sqlite3.Connection, unit: str, day: str, first: int) -> int:
    """The next online number of ``unit`` on ``day`` (``first`` for the day's first)."""
    row = conn.execute(
        "INSERT INTO online_counters (unit, day, value) VALUES (?, ?, ?) "
        "ON CONFLICT(unit, day) DO UPDATE SET value = online_counters.value + 1 RETURNING value",
        (unit, day, first),
    ).fetchone()
    return int(row["value"])


def scan_count(conn: sqlite3.Connection, dossier_id: str) -> int:
    """How many attachment records the dossier ``dossier_id`` has."""
    row = conn.execute(
        "SELECT count(*) AS n FROM attachment WHERE parent_type = 'dossier' AND parent_id = ?",
        (dossier_id,),
    ).fetchone()
    return int(row["n"])
