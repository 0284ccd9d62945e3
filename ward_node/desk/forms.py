"""What the printed one-stop forms say (docs/domain.md, "Forms"), apart from their layout.

01 receipt, 02 supplement request, 03 refusal, 04 apology with a new date, 06 control slip; the
07 register is a list (``queries.received_between``). Each form applies to a dossier only when
its history has the event the form records (:func:`applies`); :func:`form_context` gathers the
form's content for its template in ``templates/desk/form_NN.html``. No Flask here.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from markupsafe import Markup

from office import qr_svg as draw_qr

from .queries import local_day, register_number

__all__ = [
    "DESK_OFFICE",
    "FORMS",
    "applies",
    "control_rows",
    "form_context",
    "limit_text",
    "paper_lines",
    "place_name",
    "qr_svg",
]

FORMS = {
    "01": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    "02": "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
    "03": "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
    "04": "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
    "06": "Phiếu kiểm soát quá trình giải quyết hồ sơ",
}
PAPER_KINDS = {
    "original": "Bản chính",
    "copy": "Bản sao",
    "certified_copy": "Bản sao chứng thực",
    "original_or_copy": "Bản chính hoặc bản sao",
}
LIMIT_UNITS = {
    "working_days": "ngày làm việc",
    "working_hours": "giờ làm việc",
    "calendar_days": "ngày",
}
DESK_OFFICE = "Bộ phận Tiếp nhận và Trả kết quả"
CONTROL_ACTIONS = ("receive", "hand_over", "complete", "return")

Dossier = dict[str, Any]


def applies(code: str, dossier: Dossier) -> bool:
    """Whether form ``code`` can be printed for ``dossier`` (a record with its ``steps``): a
    receipt and a control slip once received, the others once their event happened."""
    actions = {s["action"] for s in dossier.get("steps", [])}
    accepted = int(dossier["status"]) not in (1, 3)
    return {
        "01": accepted,
        "02": "request_supplement" in actions,
        "03": "refuse" in actions,
        "04": "extend" in actions or bool(dossier.get("original_due_at")),
        "06": accepted,
    }[code]


def form_context(
    code: str,
    dossier: Dossier,
    *,
    unit_name: str,
    names: dict[str, str],
    procedure: dict[str, Any] | None = None,
    lookup_url: str = "",
) -> dict[str, Any]:
    """The content of form ``code`` for ``dossier``: the dossier (``d``), the unit and place of
    the header, and what the form itself needs. ``names`` maps usernames to full names;
    ``procedure`` (the catalogue entry, for its papers and time limit) and ``lookup_url`` (for
    the QR code) are used by the receipt."""
    steps = dossier["steps"]
    context: dict[str, Any] = {
        "d": dossier,
        "form_code": code,
        "form_title": FORMS[code],
        "unit": unit_name,
        "place": place_name(unit_name),
        "office": DESK_OFFICE,
        "receiver": _receiver(dossier, names),
    }
    if code == "01":
        procedure = procedure or {}
        papers = procedure.get("papers") or []
        context.update(
            papers=[{**p, "kind_name": PAPER_KINDS.get(p.get("kind") or "", "")} for p in papers],
            sets=max((int(p.get("sets") or 1) for p in papers), default=1),
            limit=limit_text(procedure),
            register_book=(local_day(dossier["received_at"]) or date.today()).year,
            register_number=register_number(dossier),
            return_place=_return_place(dossier, unit_name),
            lookup_url=lookup_url,
            qr=qr_svg(lookup_url) if lookup_url else "",
        )
    elif code == "02":
        step = _last(steps, "request_supplement")
        context.update(step=step, missing=paper_lines(step.get("note")))
    elif code == "03":
        context.update(step=_last(steps, "refuse"))
    elif code == "04":
        context.update(step=_last(steps, "extend"), original_due=dossier.get("original_due_at"))
    elif code == "06":
        context.update(rows=control_rows(dossier, names))
    return context


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
    """The control slip's rows (form 06): one per hand-over of the dossier, from whom, to whom,
    when, the deadline it is measured against and the result.

    The hand-overs are the reception (citizen → desk), each ``hand_over`` step, the result
    coming back to the desk (``complete``) and its return to the citizen. A step is measured
    against its ``step_deadline`` when set, else the dossier's due date (the original one when an
    apology moved it), by date as in the statistics; the reception has no result.
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
        to = {
            "receive": actor,
            "hand_over": names.get(handler, handler),
            "complete": DESK_OFFICE,
            "return": applicant,
        }[action]
        deadline = None if action == "receive" else step.get("step_deadline") or due
        rows.append(
            {
                "step": step,
                "from": applicant if action == "receive" else actor,
                "to": to,
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
