"""SMS notices to a dossier's applicant: which status changes are told, and in what words.

docs/domain.md, "SMS notices": unaccented text, so one message of 160 GSM-7 characters is one
part (one accented letter would cut the limit to 70). When a notice would not fit, the
procedure's name is shortened, then dropped, then the look-up address; a notice is never split.

The ward only queues: :func:`notice_for` builds the ``sms`` record (``schemas/sms.json``) that
``Dossiers.receive`` and ``Dossiers.act`` write in the same transaction as the change it tells
of. Sync carries it to the hub, whose dispatcher sends it (``central_hub/sms/dispatch.py``) and writes
the delivery status back, so a dossier never waits on a gateway.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from office import VIETNAM
from sync import new_id, unaccent

SMS_LENGTH = 160

# Status changes worth telling the applicant (action → the notice's kind). Internal moves
# (start, hand_over, supplement_received, the financial steps) are not told.
KINDS = {
    "receive": "received",
    "request_supplement": "supplement",
    "complete": "result_ready",
    "return": "returned",
    "refuse": "refused",
    "extend": "apology",
    "withdraw": "withdrawn",
    "stop": "stopped",
    "renumber": "code_changed",  # after a restore from an older copy (ward_node/sync_link/recovery.py)
}

# SMS reach mobiles only; a landline (allowed on a dossier) gets no notice.
_MOBILE = re.compile(r"\+84[35789][0-9]{8}")
# Outside GSM-7's basic table: [ \ ] ^ { | } ~ take two characters each, ` none at all.
_NOT_GSM = re.compile(r"[^ -Z_a-z]")
_SPACES = re.compile(r"\s+")
_PUNCTUATION = str.maketrans({"–": "-", "—": "-", "“": '"', "”": '"', "‘": "'", "’": "'"})
_DESK = "bo phan mot cua"
# Kinds about a closed dossier: nothing left to look up.
_NO_LOOKUP = frozenset({"returned", "withdrawn"})
_SHORTEST_PROCEDURE = 12  # below this a cut name says nothing: drop it instead


def notice_for(
    dossier: dict[str, Any], action: str, step: dict[str, Any], lookup_url: str
) -> dict[str, Any] | None:
    """The ``sms`` record telling the applicant of ``action`` on ``dossier``, or ``None``.

    ``dossier`` holds the fields after the change, ``step`` is the ``dossier_step`` record
    written with it (its time is the notice's), ``lookup_url`` the ward's ``PUBLIC_LOOKUP_URL``
    (``{code}`` in it becomes the dossier code; empty: the citizen is sent to the desk).
    ``None`` when the action is not worth telling or the applicant has no mobile number.
    """
    kind = KINDS.get(action)
    phone = (dossier.get("applicant") or {}).get("phone")
    if kind is None or not phone or not _MOBILE.fullmatch(phone):
        return None
    return {
        "id": new_id(),
        "unit": dossier["unit"],
        "dossier_id": dossier["id"],
        "dossier_code": dossier["code"],
        "phone": phone,
        "text": notice_text(kind, dossier, step["at"], lookup_url),
        "kind": kind,
        "status": "queued",
        "attempts": 0,
        "last_error": None,
        "queued_at": step["at"],
        "sent_at": None,
        "delivered_at": None,
        "provider": None,
        "provider_id": None,
    }


def notice_text(kind: str, dossier: dict[str, Any], at: str, lookup_url: str = "") -> str:
    """The text of a notice of ``kind``: plain GSM-7, at most 160 characters."""
    code = dossier["code"]
    template = _template(kind, dossier, at)
    procedure = _plain(dossier.get("procedure_name") or "")
    url = lookup_url.strip().replace("{code}", code)
    lookups: list[str] = []
    if kind not in _NO_LOOKUP:
        if url and not _NOT_GSM.search(url):
            lookups.append(f"Tra cuu: {url}")
        if _DESK not in template("", ""):  # the notice does not already send them there
            lookups.append(f"Tra cuu: {code} tai {_DESK}")
    lookups.append("")
    for lookup in lookups:
        for with_procedure in (True, False):
            text = template(procedure if with_procedure else "", lookup)
            if len(text) <= SMS_LENGTH:
                return text
            if with_procedure and procedure:
                room = SMS_LENGTH - len(template("", lookup)) - len(" ()")
                if room >= _SHORTEST_PROCEDURE:
                    return template(_shorten(procedure, room), lookup)
    return template("", "")[:SMS_LENGTH]  # unreachable with codes of at most 38 characters


def _template(kind: str, dossier: dict[str, Any], at: str) -> Callable[[str, str], str]:
    """A function of (procedure, lookup) giving the notice's plain text."""
    code = dossier["code"]
    after = ""  # words after the procedure's name, for the kinds that name it
    if kind == "received":
        words = f"Hồ sơ {code} đã được tiếp nhận. Ngày hẹn trả: {_date(dossier['due_at'])}."
    elif kind == "supplement":
        words = f"Hồ sơ {code} cần bổ sung giấy tờ. Xin liên hệ bộ phận một cửa."
    elif kind == "result_ready":
        words = f"Hồ sơ {code}"
        after = "đã có kết quả, " + (
            "sẽ gửi qua bưu điện."
            if dossier.get("channel") == "postal"
            else "mời ông/bà đến bộ phận một cửa nhận."
        )
    elif kind == "returned":
        day = _date(at)
        words = {
            "postal": f"Kết quả hồ sơ {code} đã gửi qua bưu điện ngày {day}.",
            "electronic": f"Kết quả hồ sơ {code} đã trả trực tuyến ngày {day}.",
        }.get(dossier.get("return_method") or "", f"Hồ sơ {code} đã trả kết quả ngày {day}.")
    elif kind == "refused":
        words = f"Hồ sơ {code} không được tiếp nhận. Xin liên hệ bộ phận một cửa để biết lý do."
    elif kind == "apology":
        words = (
            f"Xin lỗi ông/bà: hồ sơ {code} chậm so với hẹn. "
            f"Ngày hẹn trả mới: {_date(dossier['due_at'])}."
        )
    elif kind == "withdrawn":
        words = f"Hồ sơ {code} đã được rút theo yêu cầu của ông/bà."
    elif kind == "code_changed":
        words = (
            f"Hồ sơ {dossier.get('previous_code') or ''} của ông/bà đổi mã thành {code} do "
            "phường khôi phục dữ liệu. Xin lỗi ông/bà."
        )
    elif kind == "stopped":
        words = f"Hồ sơ {code} đã dừng xử lý. Xin liên hệ bộ phận một cửa để biết lý do."
    else:
        raise ValueError(f"unknown notice kind {kind!r}")
    head, tail = _plain(words), _plain(after)

    def text(procedure: str, lookup: str) -> str:
        body = f"{head} ({procedure}) {tail}" if procedure and tail else f"{head} {tail}"
        return f"{body.strip()} {lookup}".strip()

    return text


def _plain(text: str) -> str:
    """``text`` unaccented, in GSM-7's basic table, spaces collapsed: "Hồ sơ" → "Ho so"."""
    ascii_ = unaccent(text.translate(_PUNCTUATION))
    return _SPACES.sub(" ", _NOT_GSM.sub(" ", ascii_)).strip()


def _shorten(text: str, width: int) -> str:
    """``text`` cut at a word boundary to at most ``width`` characters, "..." marking the cut."""
    if len(text) <= width:
        return text
    cut = text[: width - 3]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:-") + "..."


def _date(stored: str) -> str:
    """A stored UTC time as the citizen's date in Huế: dd/mm/yyyy."""
    return datetime.fromisoformat(stored).astimezone(VIETNAM).strftime("%d/%m/%Y")
