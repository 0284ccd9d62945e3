"""The console's units of the city with their validity dates (``/console/danh-muc-don-vi``):
list (valid today, or every unit ever), add, edit, and end a unit with its successor.

Every write goes through :func:`central_hub.reference.edit.put_units`, the code behind
``PUT /api/v1/units/<code>``, so a change reaches every ward on its next sync; a ward then
stops offering an ended unit as an addressee. Administrators write; operators only read.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import flash, redirect, render_template, request, url_for

from office import VIETNAM, form_day
from sync import NotFound, ValidationError, nfc

from ..web import ConsoleForbidden, console_blueprint, console_user, db, login_required
from . import edit as reference_edit
from .pages import actor

bp = console_blueprint("console_units", __name__, "/console")

UNIT_KINDS = {
    "ward": "Phường",
    "department": "Phòng chuyên môn",
    "service": "Đơn vị sự nghiệp",
    "city": "Văn phòng thành phố",
}


def _units() -> list[dict[str, Any]]:
    return reference_edit.reference(db(), "unit", "code")


def _today() -> date:
    return datetime.now(VIETNAM).date()


def _unit(code: str) -> dict[str, Any]:
    for item in _units():
        if item["code"] == code:
            return item
    raise NotFound(f"Không có đơn vị mã '{code}'.")


def _form_day(name: str, label: str, *, required: bool = False) -> str | None:
    """A dd/mm/yyyy field of the posted form as an ISO date; ``None`` when left empty."""
    day = form_day(request.form.get(name, ""), name, label, required=required)
    return day.isoformat() if day else None


def _unit_form(*, ending: bool = False) -> dict[str, Any]:
    """The unit fields of the posted form: the end form gives only the end and the successor."""
    form = request.form
    fields: dict[str, Any] = {
        "valid_to": _form_day("valid_to", "Ngày hết hiệu lực", required=ending),
        "successor": form.get("successor", "").strip() or None,
    }
    if ending:
        return fields
    kind = form.get("kind", "")
    if kind not in UNIT_KINDS:
        raise ValidationError(
            f"Loại đơn vị phải là một trong: {', '.join(UNIT_KINDS.values())}.", field="kind"
        )
    name = nfc(form.get("name", "")).strip()
    if not name:
        raise ValidationError("Nhập tên đơn vị.", field="name")
    return {
        "name": name,
        "kind": kind,
        "prefix": form.get("prefix", "").strip().upper() or None,
        "organ_id": form.get("organ_id", "").strip() or None,
        "province": nfc(form.get("province", "")).strip() or None,
        "district": nfc(form.get("district", "")).strip() or None,
        "valid_from": _form_day("valid_from", "Ngày bắt đầu hiệu lực"),
        **fields,
    }


def _unit_page(template: str, item: dict[str, Any] | None, status: int = 200) -> Any:
    today = _today()
    return render_template(
        template,
        item=item,
        form=request.form if request.method == "POST" else None,
        unit_kinds=UNIT_KINDS,
        heirs=[
            u
            for u in _units()
            if (item is None or u["code"] != item["code"]) and not _ended(u, today)
        ],
        day_text=_day_text,
        today=today,
    ), status


def _ended(unit: dict[str, Any], today: date) -> bool:
    return bool(unit.get("valid_to")) and str(unit["valid_to"]) < today.isoformat()


def _day_text(iso: str | None) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else ""


def _require_admin() -> None:
    user = console_user()
    if user is None or user.role != "admin":
        raise ConsoleForbidden("Tài khoản của bạn không có quyền làm việc này.")


@bp.get("/danh-muc-don-vi")
@login_required()
def units() -> Any:
    """The units of the city: those valid today (``?xem=tat-ca``: every unit ever)."""
    today = _today()
    everything = request.args.get("xem") == "tat-ca"
    items = _units()
    shown = items if everything else [u for u in items if reference_edit.is_valid_on(u, today)]
    return render_template(
        "console/units.html",
        items=shown,
        total=len(items),
        everything=everything,
        names={u["code"]: u["name"] for u in items},
        unit_kinds=UNIT_KINDS,
        day_text=_day_text,
        ended=lambda u: _ended(u, today),
    )


@bp.route("/danh-muc-don-vi/moi", methods=["GET", "POST"])
@login_required("admin")
def add_unit() -> Any:
    """Add a unit (its code is chosen once and never changes)."""
    if request.method == "GET":
        return _unit_page("console/unit_form.html", None)
    code = request.form.get("code", "").strip()
    try:
        if not code:
            raise ValidationError("Nhập mã đơn vị.", field="code")
        if any(u["code"] == code for u in _units()):
            raise ValidationError(
                f"Đã có đơn vị mã '{code}'; mã đơn vị không dùng lại được, hãy chọn mã khác.",
                field="code",
            )
        reference_edit.put_units(db(), [{"code": code, **_unit_form()}], actor=actor())
    except ValidationError as err:
        flash(err.message, "error")
        return _unit_page("console/unit_form.html", None, 422)
    flash(f"Đã thêm đơn vị {code}. Các phường nhận được ở lần đồng bộ tới.", "ok")
    return redirect(url_for("console_units.units"))


@bp.route("/danh-muc-don-vi/<code>", methods=["GET", "POST"])
@login_required()
def edit_unit(code: str) -> Any:
    """A unit: its form (administrators save it; operators read it). The code never changes."""
    item = _unit(code)
    if request.method == "GET":
        return _unit_page("console/unit_form.html", item)
    _require_admin()
    try:
        reference_edit.put_units(db(), [{"code": code, **_unit_form()}], actor=actor())
    except ValidationError as err:
        flash(err.message, "error")
        return _unit_page("console/unit_form.html", item, 422)
    flash(f"Đã lưu đơn vị {code}. Các phường nhận được ở lần đồng bộ tới.", "ok")
    return redirect(url_for("console_units.edit_unit", code=code))


@bp.route("/danh-muc-don-vi/<code>/ket-thuc", methods=["GET", "POST"])
@login_required("admin")
def end_unit(code: str) -> Any:
    """End a unit's validity on a day (its last day), with an optional successor unit."""
    item = _unit(code)
    if request.method == "GET":
        return _unit_page("console/unit_end.html", item)
    try:
        fields = _unit_form(ending=True)
        reference_edit.put_units(db(), [{"code": code, **fields}], actor=actor())
    except ValidationError as err:
        flash(err.message, "error")
        return _unit_page("console/unit_end.html", item, 422)
    heir = f", đơn vị kế thừa {fields['successor']}" if fields["successor"] else ""
    flash(
        f"Đơn vị {code} hết hiệu lực sau ngày {_day_text(fields['valid_to'])}{heir}. "
        "Các phường nhận được ở lần đồng bộ tới.",
        "ok",
    )
    return redirect(url_for("console_units.units", xem="tat-ca"))
