"""Bringing a stored procedure catalogue up to the seed's: national codes, residence out.

A hub seeded by an earlier release holds local codes (``HUE-XA-NNN``) where the national
catalogue has codes, and the residence procedures, which the commune police handle, not the
ward's one-stop desk (docs/domain.md, "The procedure catalogue"). :func:`catalogue_upgrade`
gives the edits of those records that hub migration ``0033_ward_catalogue`` writes through the
hub's journal, as an administrator's edit would be, so every ward receives them at its next
sync (the migration writes them: this module reads the store but never writes it, so the
store's migrations may import it):

- a procedure under a local code the seed has replaced takes the national code and keeps the
  old one in ``former_codes``, so a dossier received under the old code still finds it;
- a residence procedure is made inactive, not deleted: the desks no longer offer it, and the
  dossiers received under it keep their procedure name and stay readable;
- a procedure of the seed with no legal basis, or no fee rule where the seed has one, gets the
  seed's; what an administrator set is never overwritten.

Once written, it gives no edit any more.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sync import Write, select_records

from .data import PROCEDURES, WITHDRAWN_PROCEDURES

__all__ = ["catalogue_upgrade"]


def catalogue_upgrade(conn: sqlite3.Connection) -> list[Write]:
    """The edits of the stored procedures described above (none on a store without
    procedures, as a new hub's before its seed, nor on one already upgraded)."""
    stored = {p["code"]: p for p in select_records(conn, "procedure")}
    if not stored:
        return []
    writes = []
    for seed in PROCEDURES:
        current = stored.get(seed["code"])
        fields: dict[str, Any] = {}
        if current is None:
            old = next((c for c in seed.get("former_codes") or [] if c in stored), None)
            if old is None:
                continue  # an administrator removed or renamed it: theirs to decide
            current = stored[old]
            kept = [c for c in current.get("former_codes") or [] if c != seed["code"]]
            fields.update(code=seed["code"], former_codes=sorted({*kept, old}))
        if not current.get("legal_basis") and seed.get("legal_basis"):
            fields["legal_basis"] = seed["legal_basis"]
        if current.get("fee_rule") is None and seed.get("fee_rule"):
            fields["fee_rule"] = seed["fee_rule"]
        if fields:
            writes.append(Write("procedure", current["id"], current["unit"], fields))
    for code in WITHDRAWN_PROCEDURES:
        withdrawn = stored.get(code)
        if withdrawn is not None and withdrawn.get("active") is not False:
            writes.append(Write("procedure", withdrawn["id"], withdrawn["unit"], {"active": False}))
    return writes
