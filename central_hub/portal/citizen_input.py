"""What a citizen sends with an online submission (``submission.py``), checked before anything is
stored: the applicant's details, with simple rules (the hub cannot import the ward's
``people.py``), and the scans, judged by their bytes (docs/security.md, "Files")."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from werkzeug.datastructures import FileStorage

from office import VIETNAM
from sync import FILE_KINDS, ValidationError, accepted_labels, check_bytes, nfc

_PHONE_SEP = re.compile(r"[\s.\-()]")


def applicant(values: dict[str, str]) -> dict[str, Any]:
    """The applicant from the form's ``values``, checked and in canonical form;
    :class:`ValidationError` naming the field otherwise."""
    name = " ".join(nfc(values["full_name"]).split())
    if not name or len(name) > 200 or any(c.isdigit() for c in name):
        raise ValidationError("Hãy ghi họ và tên người nộp (chỉ gồm chữ).", field="full_name")
    id_number = values["id_number"].strip()
    if not re.fullmatch(r"[0-9]{12}", id_number):
        raise ValidationError("Số CCCD phải gồm đúng 12 chữ số.", field="id_number")
    try:
        birth_year = int(values["birth_year"].strip())
    except ValueError:
        raise ValidationError("Năm sinh phải là số, ví dụ 1985.", field="birth_year") from None
    if not 1900 <= birth_year <= datetime.now(VIETNAM).year:
        raise ValidationError("Năm sinh không hợp lệ.", field="birth_year")
    phone = _PHONE_SEP.sub("", values["phone"])
    if phone.startswith("0"):
        phone = "+84" + phone[1:]
    elif phone.startswith("84"):
        phone = "+" + phone
    if not re.fullmatch(r"\+84[35789][0-9]{8}", phone):
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
