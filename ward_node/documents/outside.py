"""A ward's outgoing document to agencies outside the city (docs/edxml.md, "A ward's
documents"): the drafter addresses them by their national agency identifier (OrganId) and
name, kept in the synced ``edxml_to`` and ``edxml_to_names``; once released, the hub writes the
document's edXML message for the national document exchange platform and writes back, in the
document's ``edxml_statuses``, when it went out and the status each agency reports.

OrganIds are typed, not chosen from a list the hub syncs: the platform's directory is national
(every agency of the country, kept by the Government Office), the city holds no copy of it to
sync, and a ward writes to few outside agencies, which it reads off the letters it receives.
What is typed is checked against the identifier's format (Decision 20/2020/QĐ-TTg, the codes
QCVN 102:2016 carries: ``000.00.00.H57``), never against a unit of the city (those are
addressed by sync), and the agencies the ward already wrote to are offered again.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from office import EDXML_STATUS_NAMES
from sync import ValidationError, clean_text, select_records

# Decision 20/2020/QĐ-TTg, Article 4: three digits, two, two, then a letter and two digits
# (the province or ministry block), dot-separated: 13 characters.
ORGAN_ID = re.compile(r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$")
MAX_AGENCIES = 32  # schemas/document.json, edxml_to.maxItems


def _norm(organ: str) -> str:
    """An OrganId as typed, spaces dropped and letters upper-case (``000.00.20.h41 ``)."""
    return clean_text(organ or "").replace(" ", "").upper()


def _pairs(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(OrganId, name) as given: ``edxml_to`` a list of OrganIds (names in
    ``edxml_to_names``) or of ``{"organ_id", "name"}`` objects."""
    raw = data.get("edxml_to") or []
    names = data.get("edxml_to_names") or {}
    if not isinstance(raw, list) or not isinstance(names, dict):
        raise ValidationError(
            "edxml_to phải là danh sách mã định danh cơ quan nhận, edxml_to_names là bảng "
            "mã → tên cơ quan.",
            field="edxml_to",
        )
    names = {_norm(str(k)): v for k, v in names.items()}
    out = []
    for item in raw:
        if isinstance(item, dict):
            out.append((str(item.get("organ_id") or ""), str(item.get("name") or "")))
        elif isinstance(item, str):
            out.append((item, str(names.get(_norm(item)) or "")))
        else:
            raise ValidationError("Mỗi cơ quan nhận là một mã định danh.", field="edxml_to")
    return out


def outside_addressees(
    conn: sqlite3.Connection, data: dict[str, Any], secret: bool
) -> dict[str, Any]:
    """The fields ``edxml_to`` and ``edxml_to_names`` of a new outgoing document, from what
    the drafter gave; nothing when no outside agency is addressed. :class:`ValidationError`
    (Vietnamese, saying what to type) for an OrganId not of the format, one without a name,
    one of a unit of the city, one given twice, too many, or a secret document."""
    pairs = [(_norm(o), clean_text(n or "")) for o, n in _pairs(data)]
    pairs = [(o, n) for o, n in pairs if o or n]
    if not pairs:
        return {}
    if secret:
        raise ValidationError(
            "Văn bản mật không gửi qua trục liên thông quốc gia: hãy bỏ các cơ quan nhận ngoài "
            "hệ thống và gửi bản giấy theo chế độ mật.",
            field="edxml_to",
        )
    if len(pairs) > MAX_AGENCIES:
        raise ValidationError(
            f"Một văn bản gửi tối đa {MAX_AGENCIES} cơ quan ngoài hệ thống.", field="edxml_to"
        )
    units = {
        str(u["organ_id"]): str(u["name"])
        for u in select_records(conn, "unit")
        if u.get("organ_id")
    }
    organs: list[str] = []
    names: dict[str, str] = {}
    for organ, name in pairs:
        if not ORGAN_ID.match(organ):
            raise ValidationError(
                f"Mã định danh '{organ or '(trống)'}' không đúng dạng: mã cơ quan trên trục "
                "liên thông gồm 13 ký tự như 000.00.00.H57 (3 số, 2 số, 2 số, một chữ cái và "
                "2 số, cách nhau bằng dấu chấm). Hãy chép đúng mã in trên văn bản của cơ quan "
                "đó.",
                field="edxml_to",
            )
        if not name:
            raise ValidationError(f"Hãy nhập tên cơ quan có mã {organ}.", field="edxml_to_names")
        if organ in units:
            raise ValidationError(
                f"Mã {organ} là của {units[organ]}, một đơn vị trong hệ thống: hãy chọn đơn vị "
                "đó trong danh sách đơn vị nhận (liên thông qua đồng bộ).",
                field="edxml_to",
            )
        if organ in names:
            raise ValidationError(f"Cơ quan {organ} được nhập hai lần.", field="edxml_to")
        organs.append(organ)
        names[organ] = name[:300]
    return {"edxml_to": organs, "edxml_to_names": names}


def outside_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Per outside agency of a document: its OrganId, name, when the hub sent it
    (``sent_at``), when it sent the revocation of the recalled document (``revoked_at``) and
    the last status it reported, as the hub wrote them back."""
    names = doc.get("edxml_to_names") or {}
    statuses = doc.get("edxml_statuses") or {}
    rows = []
    for organ in doc.get("edxml_to") or []:
        got = statuses.get(organ) or {}
        code = got.get("status_code")
        rows.append(
            {
                "organ_id": organ,
                "name": names.get(organ) or got.get("organ_name") or organ,
                "sent_at": got.get("sent_at"),
                "status_code": code,
                "status_name": EDXML_STATUS_NAMES.get(code, code) if code else None,
                "description": got.get("description"),
                "staff": got.get("staff"),
                "at": got.get("at"),
                "revoked_at": got.get("revoked_at"),
            }
        )
    return rows


def known_agencies(conn: sqlite3.Connection, unit: str) -> list[tuple[str, str]]:
    """(OrganId, name) of the outside agencies the ward's documents were addressed to, by
    name: offered again on the form."""
    seen: dict[str, str] = {}
    for doc in select_records(
        conn, "document", "WHERE unit = ? AND edxml_to_names IS NOT NULL", (unit,)
    ):
        for organ, name in (doc.get("edxml_to_names") or {}).items():
            seen.setdefault(organ, name)
    return sorted(seen.items(), key=lambda kv: (kv[1], kv[0]))
