"""What a citizen sends with an online submission (``submission.py``), checked before anything is
stored: the applicant's details, by the rules the ward's desk applies (``office/people.py``:
docs/domain.md, "People"), and the scans, judged by their bytes (docs/security.md, "Files")."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from werkzeug.datastructures import FileStorage

from office import VIETNAM, normalize_name, normalize_phone, validate_id_number
from sync import FILE_KINDS, ValidationError, accepted_labels, check_bytes, nfc

SEXES = {"nam": "Nam", "nữ": "Nữ"}  # the form's choices: value, label

# A mobile number in E.164: the portal tells the citizen of every status change by SMS.
_MOBILE = re.compile(r"\+84[35789][0-9]{8}")


def _on_form(field: str, check: Any, *args: Any) -> Any:
    """``check(*args)``, its refusal naming the portal form's ``field`` (the shared rules name
    the record's field, ``applicant.…``)."""
    try:
        return check(*args)
    except ValidationError as exc:
        raise ValidationError(exc.message, field=field) from None


def applicant(values: dict[str, str]) -> dict[str, Any]:
    """The applicant from the form's ``values``, checked and in canonical form;
    :class:`ValidationError` naming the field otherwise."""
    name = _on_form("full_name", normalize_name, values["full_name"])
    if len(name) > 200:
        raise ValidationError("Hãy ghi họ và tên người nộp (chỉ gồm chữ).", field="full_name")
    id_number = values["id_number"].strip()
    # Online, only the 12-digit personal ID (CCCD): the old 9-digit one is checked at the desk.
    if not re.fullmatch(r"[0-9]{12}", id_number):
        raise ValidationError("Số CCCD phải gồm đúng 12 chữ số.", field="id_number")
    try:
        birth_year = int(values["birth_year"].strip())
    except ValueError:
        raise ValidationError("Năm sinh phải là số, ví dụ 1985.", field="birth_year") from None
    if not 1900 <= birth_year <= datetime.now(VIETNAM).year:
        raise ValidationError("Năm sinh không hợp lệ.", field="birth_year")
    # The sex is asked only to check the CCCD's century digit against it (docs/domain.md,
    # "People"); the number itself carries it, so the record keeps no copy.
    sex = values.get("sex", "").strip()
    if sex not in SEXES:
        raise ValidationError("Hãy chọn giới tính: Nam hoặc Nữ.", field="sex")
    _on_form("id_number", validate_id_number, id_number, birth_year, sex)
    phone, _warning = _on_form("phone", normalize_phone, values["phone"])
    if phone is None or not _MOBILE.fullmatch(phone):
        raise ValidationError(
            "Số điện thoại di động không hợp lệ (ví dụ 0905 123 456); hồ sơ được báo qua SMS.",
            field="phone",
        )
    email = values["email"].strip() or None
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise ValidationError("Địa chỉ thư điện tử không hợp lệ.", field="email")
    address = " ".join(nfc(values["address"]).split())
    if not address:
        raise ValidationError("Hãy ghi địa chỉ liên hệ.", field="address")
    return {
        "full_name": name,
        "id_number": id_number,
        "birth_year": birth_year,
        "phone": phone,
        "address": address,
        "email": email,
    }


def scans(uploaded: list[FileStorage], max_scans: int, max_bytes: int) -> list[tuple[str, bytes]]:
    """The uploaded scans as (name, bytes): at least one, at most ``max_scans``, each a PDF,
    JPEG, PNG or TIFF by its bytes (``sync/filetypes.py``) of at most ``max_bytes``;
    :class:`ValidationError` (field ``scans``) naming the file refused otherwise."""
    files = [f for f in uploaded if f.filename]
    kinds = accepted_labels(FILE_KINDS)
    if not files:
        raise ValidationError(f"Hãy đính kèm bản quét giấy tờ ({kinds}).", field="scans")
    if len(files) > max_scans:
        raise ValidationError(f"Đính kèm tối đa {max_scans} tệp.", field="scans")
    scans = []
    for f in files:
        data = f.read(max_bytes + 1)
        name = nfc(str(f.filename)).replace("\\", "/").rsplit("/", 1)[-1].strip()[:255] or "scan"
        if len(data) > max_bytes:
            raise ValidationError(
                f"Tệp '{name}' lớn hơn {max_bytes // (1024 * 1024)} MB.", field="scans"
            )
        try:
            check_bytes(data, name)
        except ValidationError as exc:
            raise type(exc)(exc.message, code=exc.code, field="scans") from None
        scans.append((name, data))
    return scans
