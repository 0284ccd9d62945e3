"""What the printed one-stop forms say (docs/domain.md, "Forms"), apart from their layout.

The receipt, the supplement request, the refusal, the apology with a new date, the notice that
processing stopped and the control slip, each numbered and named as the edition of the legal
templates in force when the dossier was received gives it (``editions.py``); the register is a
list (``queries.received_between``). A form applies to a dossier only when its history has the
event the form records (:func:`applies`); :func:`form_context` gathers the form's content for
its template in ``templates/desk/form_<kind>.html``. No Flask here.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from markupsafe import Markup

from office import PAPER_FORMS, fee_for
from office import qr_svg as draw_qr
from sync import ValidationError

from .editions import Edition, FormTemplate, edition_for
from .queries import local_day, register_number

__all__ = [
    "DESK_OFFICE",
    "SIGNER_TITLES",
    "applies",
    "control_rows",
    "edition_of",
    "form_context",
    "limit_text",
    "paper_lines",
    "place_name",
    "printable",
    "qr_svg",
]

LIMIT_UNITS = {
    "working_days": "ngày làm việc",
    "working_hours": "giờ làm việc",
    "calendar_days": "ngày",
}
DESK_OFFICE = "Bộ phận Tiếp nhận và Trả kết quả"
# The title lines under "TM. ỦY BAN NHÂN DÂN" (Decree 30/2020/NĐ-CP, signing on behalf of a
# collective body): the chairman signs, or a vice-chairman signs for the chairman (KT.).
SIGNER_TITLES = {
    "chu-tich": ("CHỦ TỊCH",),
    "pho-chu-tich": ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"),
}
# The control slip's rows: every hand-over of the dossier between the citizen, the desk and
# the officers, the supplement request and the papers coming back included.
CONTROL_ACTIONS = (
    "receive",
    "hand_over",
    "request_supplement",
    "supplement_received",
    "complete",
    "return",
    "withdraw",
    "stop",
)
# Outgoing-document symbols (Decree 30/2020/NĐ-CP, appendix III) of the forms the committee
# signs; the number is the outgoing register's, written when the clerk registers the letter.
SYMBOLS = {"apology": {"2018": "PH-UBND", "2025": "UBND-VP"}, "stop": {"2025": "TB-UBND"}}

Dossier = dict[str, Any]


def edition_of(dossier: Dossier) -> Edition:
    """The edition of the forms a dossier is printed with: the one in force on the day it was
    received, in Huế (``editions.py``)."""
    return edition_for(local_day(dossier.get("received_at")))


def applies(kind: str, dossier: Dossier) -> bool:
    """Whether the form recording ``kind`` can be printed for ``dossier`` (a record with its
    ``steps``): a receipt and a control slip once received, the others once their event
    happened."""
    actions = {s["action"] for s in dossier.get("steps", [])}
    accepted = int(dossier["status"]) not in (1, 3)
    return {
        "receipt": accepted,
        "supplement": "request_supplement" in actions,
        "refusal": "refuse" in actions,
        "apology": "extend" in actions or bool(dossier.get("original_due_at")),
        "stop": "stop" in actions,
        "control": accepted,
    }.get(kind, False)


def printable(dossier: Dossier) -> list[FormTemplate]:
    """The forms of the dossier's edition that apply to it, in the edition's order."""
    return [f for f in edition_of(dossier).forms if applies(f.kind, dossier)]


def form_context(
    template: FormTemplate,
    dossier: Dossier,
    *,
    unit_name: str,
    names: dict[str, str],
    procedure: dict[str, Any] | None = None,
    lookup_url: str = "",
    desk_phone: str = "",
    signer: str = "chu-tich",
    signer_name: str = "",
) -> dict[str, Any]:
    """The content of the form ``template`` for ``dossier``: the dossier (``d``), the unit
    and place of the header, the edition, and what the form itself needs. ``names`` maps
    usernames to full names; ``procedure`` (the catalogue entry) gives the time limit, the
    legal basis and the fee's working; ``lookup_url`` the receipt's QR code; ``desk_phone``
    the number the citizen calls; ``signer`` (a key of :data:`SIGNER_TITLES`) and
    ``signer_name`` the committee's signature on the apology and the stop notice."""
    steps = dossier["steps"]
    edition = edition_of(dossier)
    procedure = procedure or {}
    context: dict[str, Any] = {
        "d": dossier,
        "form": template,
        "form_code": template.number,
        "form_title": template.title,
        "edition": edition,
        "unit": unit_name,
        "committee": committee_name(unit_name),
        "place": place_name(unit_name),
        "office": DESK_OFFICE,
        "receiver": _receiver(dossier, names),
        "legal_basis": procedure.get("legal_basis") or "",
        "desk_phone": desk_phone,
        "signer_titles": SIGNER_TITLES.get(signer, SIGNER_TITLES["chu-tich"]),
        "signer_name": signer_name,
        "symbol": SYMBOLS.get(template.kind, {}).get(edition.key, ""),
    }
    if template.kind == "receipt":
        papers = dossier.get("papers_received")
        context.update(
            papers=[{**p, "form_name": PAPER_FORMS.get(p["form"], "")} for p in papers or []],
            checklist=papers is not None,
            sets=1,
            limit=limit_text(procedure),
            fee_lines=_fee_lines(procedure, dossier),
            register_book=(local_day(dossier["received_at"]) or date.today()).year,
            register_number=register_number(dossier),
            return_place=_return_place(dossier, unit_name),
            lookup_url=lookup_url,
            qr=qr_svg(lookup_url) if lookup_url else "",
        )
    elif template.kind == "supplement":
        step = _last(steps, "request_supplement")
        context.update(step=step, missing=paper_lines(step.get("note")), guide=_actor(step, names))
    elif template.kind == "refusal":
        context.update(step=_last(steps, "refuse"))
    elif template.kind == "apology":
        context.update(step=_last(steps, "extend"), original_due=dossier.get("original_due_at"))
    elif template.kind == "stop":
        context.update(step=_last(steps, "stop"))
    elif template.kind == "control":
        context.update(rows=control_rows(dossier, names))
    return context


def committee_name(unit_name: str) -> str:
    """The committee that signs, written in full: "UBND phường Phú Hội" → "Ủy ban nhân dân
    phường Phú Hội" (abbreviations are not used in a document's issuer line)."""
    return re.sub(r"^\s*UBND\b", "Ủy ban nhân dân", unit_name or "").strip() or "Ủy ban nhân dân"


def _fee_lines(procedure: dict[str, Any], dossier: Dossier) -> list[Any]:
    """The working of the dossier's fee, when its procedure's fee grows with the papers."""
    if (procedure.get("fee_rule") or {}).get("basis") not in ("copy", "page"):
        return []
    try:
        _total, lines = fee_for(procedure, dossier.get("papers_received"))
    except ValidationError:  # a copy without its pages: the fee stays as recorded
        return []
    return lines


def place_name(unit_name: str) -> str:
    """The place written before the date: "UBND phường Phú Hội" → "Phú Hội"."""
    place = re.sub(r"^\s*(UBND|Ủy ban nhân dân|Uỷ ban nhân dân)\s+", "", unit_name, flags=re.I)
    place = re.sub(r"^(phường|xã|thị trấn)\s+", "", place, flags=re.I).strip()
    return place or "Huế"


def limit_text(procedure: dict[str, Any]) -> str:
    """A procedure's time limit in words: "03 ngày làm việc", "Trong ngày", "4 giờ làm việc"."""
    if not procedure:
        return ""
    value = float(procedure.get("limit_value") or 0)
    unit = procedure.get("limit_unit") or "working_days"
    if value == 0 and unit == "working_days":
        return "Trong ngày"
    amount = f"{int(value):02d}" if value == int(value) else f"{value:g}".replace(".", ",")
    return f"{amount} {LIMIT_UNITS.get(unit, unit)}"


_BULLET = re.compile(r"^\s*(?:[-–•*+]|\d{1,2}[.)])\s*")


def paper_lines(note: str | None) -> list[str]:
    """The missing papers written in a supplement request's note: one per line (or per ";"),
    without the bullets or numbers the clerk typed."""
    parts = (_BULLET.sub("", part).strip() for part in re.split(r"[\n;]+", note or ""))
    return [part for part in parts if part]


def qr_svg(text: str) -> Markup:
    """``text`` as a QR code in inline SVG, named by its text for screen readers."""
    return Markup(draw_qr(text, f"Mã QR: {text}"))


def control_rows(dossier: Dossier, names: dict[str, str]) -> list[dict[str, Any]]:
    """The control slip's rows: one per hand-over of the dossier, from whom, to whom, when,
    the deadline it is measured against and the result; each row has a signature cell for
    the giver and the receiver on paper.

    The hand-overs are the reception (citizen → desk), each ``hand_over`` step, a supplement
    request (officer → citizen) and the papers brought back (citizen → desk), the result coming
    back to the desk (``complete``), and the dossier going back to the citizen: its return,
    a withdrawal or a stop. A hand-over or the result is measured against its
    ``step_deadline`` when set, else the dossier's due date (the original one when an apology
    moved it), by date as in the statistics; the other rows have no result.
    """
    applicant = dossier["applicant"]["full_name"]
    due = dossier.get("original_due_at") or dossier.get("due_at")
    rows = []
    for step in dossier["steps"]:
        action = step["action"]
        if action not in CONTROL_ACTIONS:
            continue
        actor = _actor(step, names)
        handler = step.get("to_handler") or ""
        giver, taker = {
            "receive": (applicant, actor),
            "hand_over": (actor, names.get(handler, handler)),
            "request_supplement": (actor, applicant),
            "supplement_received": (applicant, actor),
            "complete": (actor, names.get(handler, handler) or DESK_OFFICE),
            "return": (actor, applicant),
            "withdraw": (actor, applicant),
            "stop": (actor, applicant),
        }[action]
        measured = action in ("hand_over", "complete", "return")
        deadline = (step.get("step_deadline") or due) if measured else None
        rows.append(
            {
                "step": step,
                "from": giver,
                "to": taker,
                "deadline": deadline,
                "own_deadline": bool(step.get("step_deadline")),
                "result": _result(local_day(step["at"]), local_day(deadline)),
            }
        )
    return rows


def _result(done: date | None, limit: date | None) -> str | None:
    if done is None or limit is None:
        return None
    return "Trước hạn" if done < limit else "Đúng hạn" if done == limit else "Quá hạn"


def _actor(step: dict[str, Any], names: dict[str, str]) -> str:
    return str(step.get("actor_name") or names.get(step["actor"], step["actor"]))


def _last(steps: list[dict[str, Any]], action: str) -> dict[str, Any]:
    found = [s for s in steps if s["action"] == action]
    return found[-1] if found else {}


def _receiver(dossier: Dossier, names: dict[str, str]) -> str:
    step = next((s for s in dossier["steps"] if s["to_status"] == 2), None)
    if step:
        return _actor(step, names)
    creator = dossier.get("created_by") or ""
    return names.get(creator, creator)


def _return_place(dossier: Dossier, unit_name: str) -> str:
    method = dossier.get("return_method") or ("postal" if dossier["channel"] == "postal" else None)
    if method == "postal":
        return "Qua dịch vụ bưu chính công ích, tới địa chỉ của người nộp hồ sơ"
    if method == "electronic":
        return "Trực tuyến, qua tài khoản dịch vụ công của người nộp hồ sơ"
    return f"{DESK_OFFICE}, {unit_name}".rstrip(", ")
