"""How a dossier search reads the store (``Dossiers.search``): a whole CCCD, phone number or
dossier code is looked up exactly through its index; anything else is matched word by word in
the folded search text (``_search``, docs/domain.md, "Names"), read from a narrow index beside
the id. The indexes are ``store.create_lookup_indexes``; ``bench/bench_search.py`` measures
both paths on 100,000 dossiers."""

from __future__ import annotations

import re
from typing import Any

from office import normalize_phone
from sync import ValidationError, fold, nfc

_CCCD = re.compile(r"[0-9]{12}")
_PHONE = re.compile(r"(\+84|84|0)[1-9][0-9]{8,9}")
_CODE = re.compile(r"[A-Z0-9][A-Z0-9.]{0,30}-[0-9]{6}-[0-9]{4}")  # schemas/dossier.json


def exact_lookup(q: str) -> tuple[list[str], list[Any]] | None:
    """The SQL condition of an exact look-up when ``q`` is a whole CCCD, phone number or
    dossier code (spaces, dots and dashes in a number ignored), else ``None``.

    Each goes through an index, so that a number nobody has is answered at once instead of
    after reading every dossier (issue [11]).
    """
    text = nfc(q).strip()
    digits = re.sub(r"[\s.\-]", "", text)
    if _CCCD.fullmatch(digits):
        return ["json_extract(applicant, '$.id_number') = ?"], [digits]
    if _PHONE.fullmatch(digits):
        try:
            phone, _warning = normalize_phone(digits)
        except ValidationError:
            return None  # not a phone after all: matched as words
        return ["json_extract(applicant, '$.phone') = ?"], [phone]
    if _CODE.fullmatch(text.upper()):
        return ["code = ?"], [text.upper()]
    return None


def word_clauses(q: str) -> tuple[list[str], list[Any]]:
    """The SQL condition that every folded word of ``q`` is in the search text."""
    clauses, params = [], []
    for word in fold(q).split():
        clauses.append("_search LIKE ? ESCAPE '\\'")
        params.append(
            "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
    return clauses, params
