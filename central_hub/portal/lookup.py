"""The public look-up at the hub: any ward's dossier by its code, without a login.

docs/domain.md, "Public look-up": the applicant's name masked (``sync.mask_name``, the ward node's
rule), no staff names and no notes, except what the ward's notices tell the citizen anyway:
a refusal's reason (form 03) and the papers a supplement request asks for (form 02); a dossier
that ended without a result (refused, withdrawn, stopped) has no due date but the date it
ended. Rate-limited per client address against enumeration of the codes, which are guessable
(a unit prefix, a date and a daily counter).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from office import supplement_papers
from sync import NotFound, labels, mask_name
from webapp import check_rate

from ..web import db, records

bp = Blueprint("public", __name__, url_prefix="/api/v1/public")

STATUS_NAMES = labels("dossier", "status")  # the national 1–10 list (schemas/dossier.json)
REFUSED, SUPPLEMENT = 3, 5
# Statuses a dossier ends in without a result: no due date any more, but the day it ended.
ENDED_WITHOUT_RESULT = {3: "Ngày từ chối tiếp nhận", 7: "Ngày rút hồ sơ", 8: "Ngày dừng xử lý"}


@bp.get("/dossiers/<code>")
def dossier(code: str) -> Response:
    """A dossier's status by its code: procedure, dates, status, timeline; 404 when unknown."""
    _rate_limit()
    found = records("dossier", "WHERE code = ? LIMIT 1", (code.strip().upper(),))
    if not found:
        raise NotFound("Không tìm thấy hồ sơ với mã này. Hãy kiểm tra lại mã trên giấy tiếp nhận.")
    record = found[0]
    steps = records("dossier_step", "WHERE dossier_id = ? ORDER BY at, id", (record["id"],))
    units = records(  # the unit as it is now, when its code was reused over time
        "unit",
        "WHERE code = ? ORDER BY valid_to IS NOT NULL, valid_from DESC LIMIT 1",
        (record["unit"],),
    )
    ended = (
        _last_step(steps, record["status"]) if record["status"] in ENDED_WITHOUT_RESULT else None
    )
    refused = record["status"] == REFUSED
    return jsonify(
        {
            "code": record["code"],
            "unit": record["unit"],
            "unit_name": units[0].get("name") if units else None,
            "procedure_name": record.get("procedure_name"),
            "applicant_name": mask_name(record["applicant"]["full_name"]),
            "status": record["status"],
            "status_name": STATUS_NAMES.get(record["status"], ""),
            "received_at": record["received_at"],
            # After a refusal, a withdrawal or a stop there is nothing to wait for.
            "due_at": None if ended else record.get("due_at"),
            "ended_at": ended["at"] if ended else None,
            "ended_label": ENDED_WITHOUT_RESULT.get(record["status"]) if ended else None,
            "refusal_reason": (ended.get("note") or None) if ended and refused else None,
            "supplement": _supplement(record, steps),
            "returned_at": record.get("returned_at"),
            "timeline": [
                {
                    "at": s["at"],
                    "status": s["to_status"],
                    "status_name": STATUS_NAMES.get(s["to_status"], ""),
                }
                for s in steps
            ],
        }
    )


def _last_step(steps: list[dict[str, Any]], status: int) -> dict[str, Any] | None:
    """The last step that moved the dossier to ``status``, if any."""
    found = [s for s in steps if s["to_status"] == status]
    return found[-1] if found else None


def _supplement(record: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any] | None:
    """While the dossier awaits a supplement (status 5): when it was asked, the papers asked
    for and the remark beside them (``office.supplement_papers``); None otherwise."""
    if record["status"] != SUPPLEMENT:
        return None
    step = _last_step(steps, SUPPLEMENT)
    if step is None:
        return None
    papers, note = supplement_papers(step)
    return {"requested_at": step["at"], "papers": papers, "note": note}


def _rate_limit() -> None:
    """Refuse more than PUBLIC_LOOKUP_PER_MINUTE look-ups a minute from one address; a look-up
    of an unknown code counts too (that is what enumeration makes)."""
    check_rate(
        db(), request.remote_addr or "?", int(current_app.config["PUBLIC_LOOKUP_PER_MINUTE"])
    )
