"""The public look-up at the hub: any ward's dossier by its code, without a login.

docs/domain.md, "Public look-up": the applicant's name masked (``sync.mask_name``, the ward node's
rule), no staff names and no notes; rate-limited per client address against enumeration of
the codes, which are guessable (a unit prefix, a date and a daily counter).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from sync import NotFound, labels, mask_name
from webapp import check_rate

from ..web import db, records

bp = Blueprint("public", __name__, url_prefix="/api/v1/public")

STATUS_NAMES = labels("dossier", "status")  # the national 1–10 list (schemas/dossier.json)


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
            "due_at": record.get("due_at"),
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


def _rate_limit() -> None:
    """Refuse more than PUBLIC_LOOKUP_PER_MINUTE look-ups a minute from one address; a look-up
    of an unknown code counts too (that is what enumeration makes)."""
    check_rate(
        db(), request.remote_addr or "?", int(current_app.config["PUBLIC_LOOKUP_PER_MINUTE"])
    )
