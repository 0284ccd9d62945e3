"""The procedure catalogue as the ward holds it (reference data from the hub), looked up by code.

A procedure is found by its code or by a code it had before (``former_codes``: a local code the
national one replaced, docs/domain.md, "The procedure catalogue"), so a dossier received under
an old code keeps its procedure's papers, time limit and supplement rule.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sync import select_records

__all__ = ["find_procedure"]


def find_procedure(
    conn: sqlite3.Connection, code: str, *, active_only: bool = False
) -> dict[str, Any] | None:
    """The procedure ``code`` (an active one first), or the one that had ``code`` before;
    with ``active_only`` only a procedure the desks still offer. ``None`` when unknown."""
    active = " AND active = 1" if active_only else ""
    found = select_records(
        conn, "procedure", f"WHERE code = ?{active} ORDER BY active DESC", (code,)
    )
    if found:
        return found[0]
    # former_codes is a JSON list: the LIKE narrows, the membership test decides.
    for procedure in select_records(
        conn,
        "procedure",
        f"WHERE former_codes LIKE ? ESCAPE '\\'{active} ORDER BY active DESC",
        ("%" + code.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",),
    ):
        if code in (procedure.get("former_codes") or []):
            return procedure
    return None
