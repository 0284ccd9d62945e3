"""Vietnamese text helpers: NFC normalisation and the diacritic fold used for search and SMS.

SQLite's FTS5 ``remove_diacritics`` never folds đ/Đ and its ``lower()`` is ASCII-only
(DOMAIN.md, "Names"), so every searchable text is stored beside a folded copy made here.
"""

from __future__ import annotations

import unicodedata

_D_MAP = str.maketrans({"đ": "d", "Đ": "D"})


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC, so decomposed input from old keyboards compares equal."""
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Return ``text`` without diacritics, đ→d, lower-cased: "Đặng Thị Hoà" → "dang thi hoa"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_MAP))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped).lower()


def unaccent(text: str) -> str:
    """Like :func:`fold` but keeps the case, for SMS text in GSM-7."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_MAP))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
