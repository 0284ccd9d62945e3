"""The console's reference data pages: the procedure catalogue (``/console/thu-tuc``) and the
calendar of days off and make-up working days (``/console/lich``); the units of the city are
``unit_pages.py``.

Every write goes through :mod:`central_hub.reference.edit`, the code behind
``PUT /api/v1/procedures``, ``PUT /api/v1/calendar`` and ``PUT /api/v1/units/<code>``, so a
change is routed to every ward and takes effect there on its next sync. Administrators write;
operators only read.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import flash, redirect, render_template, request, url_for

from office import PAPER_FORMS, VIETNAM, form_day
from sync import NotFound, ValidationError, nfc

from ..web import ConsoleForbidden, console_blueprint, console_user, db, login_required
from . import edit as reference_edit

bp = console_blueprint("console_reference", __name__, "/console")

LIMIT_UNITS = {
    "working_days": "ngày làm việc",
    "working_hours": "giờ làm việc",
    "calendar_days": "ngày (kể cả ngày nghỉ)",
}
SUPPLEMENT_RULES = {
    "extend": "Cộng thêm thời gian chờ bổ sung",
    "recompute": "Tính lại hạn từ khi đủ hồ sơ",
}
PAPER_KINDS = {
    "original": "Bản chính",
    "copy": "Bản sao",
    "certified_copy": "Bản sao chứng thực",
    "original_or_copy": "Bản chính hoặc bản sao",
}
DAY_KINDS = {"holiday": "Ngày nghỉ", "workday": "Ngày làm bù"}
# How the fee grows with what is handed in (schemas/procedure.json, "fee_rule").
FEE_BASES = {
    "case": "Mỗi hồ sơ một lần",
    "copy": "Theo số bản nộp",
    "page": "Theo số trang của mỗi bản (chứng thực bản sao)",
}


def actor() -> str:
    """Who acts: the console user's name."""
    user = console_user()
    return user.username if user else "admin"


def _catalogue() -> list[dict[str, Any]]:
    return reference_edit.reference(db(), "procedure", "code")


def _procedure(code: str) -> dict[str, Any]:
    for item in _catalogue():
        if item["code"] == code:
            return item
    raise NotFound(f"Không có thủ tục mã '{code}'.")


def papers_text(papers: list[dict[str, Any]] | None) -> str:
    """Papers as lines ``name | kind`` (and ``| sets`` when more than one set)."""
    lines = []
    for p in papers or []:
        parts = [p["name"], PAPER_KINDS.get(p.get("kind", ""), "")]
        if p.get("sets", 1) != 1:
            parts.append(str(p["sets"]))
        lines.append(" | ".join(parts).rstrip(" |"))
    return "\n".join(lines)


def limit_text(value: float | int) -> str:
    """A time limit as typed in Vietnamese: ``1,5``, ``0``, ``15``."""
    number = float(value)
    return str(int(number)) if number.is_integer() else str(number).replace(".", ",")


def parse_papers(text: str) -> list[dict[str, Any]]:
    """Lines ``name | kind [| sets]`` as papers; ``kind`` is a code or its Vietnamese name.
    Raises :class:`ValidationError` naming the line."""
    names = {label.lower(): code for code, label in PAPER_KINDS.items()}
    papers = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = [p.strip() for p in line.split("|")]
        if not parts[0]:
            continue
        paper: dict[str, Any] = {"name": nfc(parts[0])}
        if len(parts) > 1 and parts[1]:
            kind = parts[1] if parts[1] in PAPER_KINDS else names.get(nfc(parts[1]).lower())
            if kind is None:
                raise ValidationError(
                    f"Giấy tờ dòng {number}: loại phải là một trong: "
                    f"{', '.join(PAPER_KINDS.values())}.",
                    field="papers",
                )
            paper["kind"] = kind
        if len(parts) > 2 and parts[2]:
            if not parts[2].isdigit() or int(parts[2]) < 1:
                raise ValidationError(
                    f"Giấy tờ dòng {number}: số bộ phải là số nguyên dương.", field="papers"
                )
            paper["sets"] = int(parts[2])
        papers.append(paper)
    return papers


def _paper_list(papers: list[dict[str, Any]] | None) -> list[tuple[str, str | None, int]]:
    """Papers as what they mean: name, kind, sets (one when not said)."""
    return [(p["name"], p.get("kind"), int(p.get("sets") or 1)) for p in papers or []]


def _number(name: str, label: str, *, whole: bool) -> int | float:
    text = request.form.get(name, "").strip().replace(" ", "").replace(",", ".")
    try:
        value = int(text.replace(".", "")) if whole else float(text)
    except ValueError:
        raise ValidationError(f"{label} phải là một số.", field=name) from None
    return int(value) if not whole and float(value).is_integer() else value


def _fee_rule() -> dict[str, Any] | None:
    """The posted form's rule of the fee: ``None`` for once a dossier, else the schema's
    ``fee_rule`` (the copies it counts, and by the page its first pages, rate and cap)."""
    form = request.form
    basis = form.get("fee_basis", "case")
    if basis not in FEE_BASES:
        raise ValidationError(
            f"Cách tính lệ phí phải là một trong: {', '.join(FEE_BASES.values())}.",
            field="fee_basis",
        )
    if basis == "case":
        return None
    forms = [key for key in PAPER_FORMS if key in form.getlist("fee_forms")]
    if not forms:
        raise ValidationError(
            "Lệ phí tính theo bản hay theo trang: hãy chọn dạng giấy tờ được tính "
            f"({', '.join(PAPER_FORMS.values()).lower()}).",
            field="fee_forms",
        )
    rule: dict[str, Any] = {"basis": basis, "forms": forms}
    if basis == "page":
        rule["first_pages"] = _number("fee_first_pages", "Số trang đầu", whole=True)
        rule["next_rate"] = _number("fee_next_rate", "Lệ phí mỗi trang tiếp theo", whole=True)
        cap = form.get("fee_cap", "").strip()
        rule["cap"] = _number("fee_cap", "Mức thu tối đa mỗi bản", whole=True) if cap else None
    return rule


def _procedure_form() -> dict[str, Any]:
    """The procedure fields of the posted form (the schema checks the rest)."""
    form = request.form
    fields: dict[str, Any] = {
        "name": nfc(form.get("name", "")).strip(),
        "limit_value": _number("limit_value", "Thời hạn", whole=False),
        "limit_unit": form.get("limit_unit", ""),
        "fee": _number("fee", "Lệ phí", whole=True),
        "same_day_cutoff": form.get("same_day_cutoff", "").strip() or None,
        "supplement_rule": form.get("supplement_rule", ""),
        "active": form.get("active") == "1",
        "papers": parse_papers(form.get("papers", "")),
    }
    # A form without these inputs (a page left open across the upgrade that added them)
    # leaves the stored values as they are, rather than clearing them.
    if "fee_basis" in form:
        fields["fee_rule"] = _fee_rule()
    if "legal_basis" in form:
        # Printed on the refusal (form 03) and the stop notice (form 05): docs/domain.md.
        fields["legal_basis"] = nfc(form["legal_basis"]).strip() or None
    return fields


def _edit_page(item: dict[str, Any] | None, status: int = 200) -> Any:
    return render_template(
        "console/procedure.html",
        item=item,
        form=request.form if request.method == "POST" else None,
        papers=papers_text(item["papers"] if item else []),
        limit_units=LIMIT_UNITS,
        supplement_rules=SUPPLEMENT_RULES,
        paper_kinds=PAPER_KINDS,
        fee_bases=FEE_BASES,
        paper_forms=PAPER_FORMS,
        limit_text=limit_text,
    ), status


@bp.get("/thu-tuc")
@login_required()
def procedures() -> Any:
    """The procedure catalogue."""
    return render_template(
        "console/procedures.html",
        items=_catalogue(),
        limit_units=LIMIT_UNITS,
        limit_text=limit_text,
    )


@bp.route("/thu-tuc/moi", methods=["GET", "POST"])
@login_required("admin")
def add_procedure() -> Any:
    """Add a procedure (its code is chosen once)."""
    if request.method == "GET":
        return _edit_page(None)
    try:
        code = request.form.get("code", "").strip()
        if any(p["code"] == code for p in _catalogue()):
            raise ValidationError(f"Đã có thủ tục mã '{code}'.", field="code")
        reference_edit.put_procedures(db(), [{"code": code, **_procedure_form()}], actor=actor())
    except ValidationError as err:
        flash(err.message, "error")
        return _edit_page(None, 422)
    flash(f"Đã thêm thủ tục {code}. Các phường nhận được ở lần đồng bộ tới.", "ok")
    return redirect(url_for("console_reference.procedures"))


@bp.route("/thu-tuc/<code>", methods=["GET", "POST"])
@login_required()
def procedure(code: str) -> Any:
    """A procedure: its form (administrators save it; operators read it)."""
    item = _procedure(code)
    if request.method == "GET":
        return _edit_page(item)
    user = console_user()
    if user is None or user.role != "admin":
        raise ConsoleForbidden("Tài khoản của bạn không có quyền làm việc này.")
    try:
        fields = _procedure_form()
        if _paper_list(fields["papers"]) == _paper_list(item.get("papers")):
            # The same papers as typed back (one set is one set, said or not): no change to
            # send to every ward.
            fields["papers"] = item.get("papers")
        reference_edit.put_procedures(db(), [{"code": code, **fields}], actor=actor())
    except ValidationError as err:
        flash(err.message, "error")
        return _edit_page(item, 422)
    flash(f"Đã lưu thủ tục {code}. Các phường nhận được ở lần đồng bộ tới.", "ok")
    return redirect(url_for("console_reference.procedure", code=code))


# -- the calendar ----------------------------------------------------------------------------


@bp.get("/lich")
@login_required()
def calendar() -> Any:
    """The days off and make-up working days of a year (``?nam=``), deleted ones apart."""
    this_year = datetime.now(VIETNAM).year
    year_text = request.args.get("nam", "")
    year = int(year_text) if year_text.isdigit() and 1900 < int(year_text) < 3000 else this_year
    days = [
        d
        for d in reference_edit.reference(db(), "calendar_day", "date")
        if d["date"].startswith(f"{year:04d}-")
    ]
    return render_template(
        "console/calendar.html",
        year=year,
        days=[d for d in days if not d.get("deleted")],
        deleted=[d for d in days if d.get("deleted")],
        day_kinds=DAY_KINDS,
        day_text=lambda iso: date.fromisoformat(iso).strftime("%d/%m/%Y"),
    )


@bp.post("/lich")
@login_required("admin")
def add_day() -> Any:
    """Add (or revive) a day off or a make-up working day."""
    try:
        day = form_day(request.form.get("date", ""), "date", "Ngày", required=True)
        kind = request.form.get("kind", "")
        name = nfc(request.form.get("name", "")).strip() or None
        reference_edit.put_calendar_days(
            db(), [{"date": day.isoformat(), "kind": kind, "name": name}], actor=actor()
        )
    except ValidationError as err:
        flash(err.message, "error")
        return redirect(url_for("console_reference.calendar"))
    flash(
        f"Đã thêm ngày {day:%d/%m/%Y}. Các phường tính hạn theo ngày này từ lần đồng bộ tới.", "ok"
    )
    return redirect(url_for("console_reference.calendar", nam=day.year))


@bp.post("/lich/<day>/xoa")
@login_required("admin")
def delete_day(day: str) -> Any:
    """Delete a day: it stays as a tombstone that wards ignore."""
    try:
        found = date.fromisoformat(day)
    except ValueError:
        raise NotFound("Không có ngày này trong lịch.") from None
    days = {d["date"]: d for d in reference_edit.reference(db(), "calendar_day", "date")}
    if day not in days:
        raise NotFound("Không có ngày này trong lịch.")
    reference_edit.put_calendar_days(
        db(), [{"date": day, "kind": days[day]["kind"], "deleted": True}], actor=actor()
    )
    flash(f"Đã xoá ngày {found:%d/%m/%Y}. Các phường bỏ ngày này từ lần đồng bộ tới.", "ok")
    return redirect(url_for("console_reference.calendar", nam=found.year))
