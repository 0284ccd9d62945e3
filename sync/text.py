"""Vietnamese text helpers: NFC normalisation, the diacritic fold used for search and SMS, and
the name mask of the public look-up (shared by the ward node and the hub).

SQLite's FTS5 ``remove_diacritics`` never folds đ/Đ and its ``lower()`` is ASCII-only
(docs/domain.md, "Names"), so every searchable text is stored beside a folded copy made here.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC, so decomposed input from old keyboards compares equal."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def clean_text(text: str) -> str:
    """Free text as stored: NFC, line breaks as ``\n`` (browsers send ``\r\n``), trimmed."""
    return nfc(text).replace("\r\n", "\n").replace("\r", "\n").strip()


def unaccent(text: str) -> str:
    """``text`` in plain ASCII, keeping case: "Đặng Thị Hoà" → "Dang Thi Hoa".

    Decompose, then drop every non-ASCII code point: the combining tone and vowel marks go,
    and đ/Đ (which do not decompose) are mapped first. Letters of other scripts are dropped
    too, which suits both uses: search keys and GSM-7 SMS text. All steps run in C, four
    times faster than a per-character table (it runs on every write of a searchable record).
    """
    plain = text.replace("đ", "d").replace("Đ", "D")
    return unicodedata.normalize("NFD", plain).encode("ascii", "ignore").decode("ascii")


def fold(text: str) -> str:
    """Return ``text`` without diacritics, đ→d, lower-cased: "Đặng Thị Hoà" → "dang thi hoa"."""
    return unaccent(text).lower()


def mask_name(full_name: str) -> str:
    """The name as shown by the public lookup: family name kept, every other word cut to its
    first letter and one star: "Nguyễn Văn An" → "Nguyễn V* A*".

    One star whatever the word's length, so the mask does not leak it. A one-word name is
    masked as well ("An" → "A*"). An empty name gives "".
    """
    words = _SPACES.sub(" ", nfc(full_name or "")).strip().split()
    if not words:
        return ""
    if len(words) == 1:
        return words[0][:1] + "*"
    return " ".join([words[0], *(word[:1] + "*" for word in words[1:])])
