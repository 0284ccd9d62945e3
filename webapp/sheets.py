"""CSV and Excel files the apps hand out, with no cell a spreadsheet would run as a formula
(docs/security.md, "Exports").

A citizen's name typed on the public portal, ``=HYPERLINK("http://…","Bấm vào đây")``, reaches
the console's overdue list and its exports; opened in Excel or LibreOffice it must stay text.
Every text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, or
the full-width and small forms of those signs (which some spreadsheets read the same), is
written with a leading apostrophe, in CSV and in XLSX alike (:func:`safe_cell`); XLSX cells
holding text are moreover typed as strings, never formulas. Every export goes through
:func:`csv_bytes` or :func:`xlsx_append`.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_SIGNS = frozenset("=+-@\t\r")


def safe_cell(value: Any) -> Any:
    """``value``, with a leading apostrophe when it is text a spreadsheet would run."""
    if isinstance(value, str) and value and _formula_sign(value[0]):
        return "'" + value
    return value


def _formula_sign(first: str) -> bool:
    # NFKC folds the full-width (＝＋－＠) and small (﹦﹢﹣﹫) forms onto the ASCII signs.
    return first in FORMULA_SIGNS or unicodedata.normalize("NFKC", first)[:1] in FORMULA_SIGNS


def csv_bytes(rows: Iterable[Sequence[Any]], *, lineterminator: str = "\r\n") -> bytes:
    """``rows`` as CSV in UTF-8 with a byte-order mark (so Excel reads the Vietnamese);
    ``None`` is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=lineterminator)
    for row in rows:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_append(sheet: Any, row: Sequence[Any]) -> None:
    """Append ``row`` to an openpyxl worksheet: text made safe and typed as a string."""
    sheet.append([safe_cell(v) for v in row])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
