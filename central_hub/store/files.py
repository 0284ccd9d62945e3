"""Where each file at the hub came from (``blob_sources``) and which files a unit may send or
fetch, from the attachment records that name them (docs/security.md, "Files"; the rule is
told in ``central_hub/files.py``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from sync import utcnow_iso

from .journal import ALL_UNITS


def add_source(conn: sqlite3.Connection, sha: str, unit: str) -> None:
    """Record that ``unit`` sent the whole file ``sha`` (or the hub stored it for ``unit``)."""
    conn.execute(
        "INSERT OR IGNORE INTO blob_sources (sha256, unit, at) VALUES (?, ?, ?)",
        (sha, unit, utcnow_iso()),
    )


def sent_by(conn: sqlite3.Connection, sha: str, unit: str) -> bool:
    """Whether ``unit`` is one of the sources of the file ``sha``."""
    row = conn.execute(
        "SELECT 1 FROM blob_sources WHERE sha256 = ? AND unit = ?", (sha, unit)
    ).fetchone()
    return row is not None


def own_sizes(conn: sqlite3.Connection, unit: str, shas: Iterable[str]) -> dict[str, set[int]]:
    """The files among ``shas`` named by an attachment record of ``unit``'s own, with the
    sizes those records state: the files a node of ``unit`` may send."""
    return _sizes(conn, shas, "a.unit = ?", (unit,))


def fetchable(conn: sqlite3.Connection, unit: str, sha: str) -> bool:
    """Whether a node of ``unit`` may fetch the file ``sha``: an attachment record it may see
    (its unit's own, or one routed to it or to every unit) names it, and that record's owner
    sent the file."""
    return bool(
        _sizes(
            conn,
            [sha],
            "(a.unit = ? OR EXISTS (SELECT 1 FROM journal j JOIN routes r ON r.jseq = j.jseq"
            "  WHERE j.type = 'attachment' AND j.id = a.id AND r.unit IN (?, ?))) "
            "AND EXISTS (SELECT 1 FROM blob_sources b WHERE b.sha256 = a.sha256 "
            "AND b.unit = a.unit)",
            (unit, unit, ALL_UNITS),
        )
    )


def _sizes(
    conn: sqlite3.Connection, shas: Iterable[str], where: str, params: tuple[Any, ...]
) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    listed = list(dict.fromkeys(shas))
    for i in range(0, len(listed), 500):
        part = listed[i : i + 500]
        rows = conn.execute(
            f"SELECT a.sha256, a.size FROM attachment a WHERE a.sha256 IN "
            f"({','.join('?' * len(part))}) AND {where}",
            (*part, *params),
        ).fetchall()
        for r in rows:
            found.setdefault(r["sha256"], set()).add(int(r["size"]))
    return found


def dossier_file_hashes(conn: sqlite3.Connection, dossier_ids: list[str]) -> set[str]:
    """The files attached to the dossiers ``dossier_ids`` (at most 500 ids)."""
    marks = ",".join("?" * len(dossier_ids))
    rows = conn.execute(
        f"SELECT DISTINCT sha256 FROM attachment WHERE parent_type = 'dossier' "
        f"AND parent_id IN ({marks}) AND sha256 IS NOT NULL",
        dossier_ids,
    )
    return {r["sha256"] for r in rows}


def file_parents(conn: sqlite3.Connection, sha: str) -> list[tuple[str, str]]:
    """``(parent_type, parent_id)`` of every attachment record naming the file ``sha``."""
    rows = conn.execute(
        "SELECT parent_type, parent_id FROM attachment WHERE sha256 = ?", (sha,)
    ).fetchall()
    return [(r["parent_type"], r["parent_id"]) for r in rows]


def forget_sources(conn: sqlite3.Connection, sha: str) -> None:
    """Forget where the file ``sha`` came from (its bytes are gone)."""
    conn.execute("DELETE FROM blob_sources WHERE sha256 = ?", (sha,))
