"""The reception checklist and the fee it sets (docs/domain.md, "Reception checklist").

At reception the desk ticks the papers actually handed in, from the procedure's list in the
catalogue or named by hand, each as an original, a copy or a certified copy, how many and,
where the fee counts pages, how many pages: a dossier's ``papers_received``
(``schemas/dossier.json``). :func:`clean_papers` checks and normalises such a list;
:func:`fee_for` computes the fee from it by the procedure's ``fee_rule``
(``schemas/procedure.json``):

- no rule, or basis ``case``: the procedure's ``fee``, once per dossier;
- basis ``copy``: ``fee`` for each copy handed in whose form is in ``forms``;
- basis ``page``: for each such copy, ``fee`` for each of its first ``first_pages`` pages and
  ``next_rate`` for each page after, at most ``cap`` for one copy. The attestation of copies
  from originals is charged so: 2.000 đ a page, 1.000 đ from the third page, at most
  200.000 đ a copy, counted on the original's pages (Circular 226/2016/TT-BTC, article 4).

No Flask and no store here: the ward's desk and the hub both apply it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sync import ValidationError, clean_text, nfc, record_type

__all__ = ["PAPER_FORMS", "FeeLine", "clean_papers", "fee_for", "paper_form_of"]

# Bản chính, bản sao, bản sao chứng thực: the labels schemas/dossier.json gives the forms.
PAPER_FORMS: dict[str, str] = dict(
    record_type("dossier").schema["properties"]["papers_received"]["items"]["properties"]["form"][
        "x-labels"
    ]
)
MAX_COUNT = 999
MAX_PAGES = 9999
MAX_PAPERS = 100


@dataclass(frozen=True)
class FeeLine:
    """One line of the fee's working: what it charges for and how much (đồng)."""

    text: str
    amount: int


def paper_form_of(kind: str | None) -> str:
    """The form a catalogue paper's ``kind`` suggests at reception: a paper the catalogue asks
    as "original or copy" is ticked as an original until the officer says otherwise."""
    return {"copy": "copy", "certified_copy": "certified_copy"}.get(kind or "", "original")


def clean_papers(raw: Any, catalogue: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """``raw`` (a list of ``{name, form, count, pages?, listed?}``) checked and normalised:
    names NFC with single spaces, counts and pages integers, ``listed`` true for a paper whose
    name is in ``catalogue`` (the procedure's ``papers``). Raises :class:`ValidationError`
    naming the item (``papers_received[i].field``) for anything out of bounds, and for an
    empty list: a dossier is received with at least one paper.
    """
    if not isinstance(raw, list):
        raise ValidationError(
            "Danh sách giấy tờ đã nhận phải là một danh sách.", field="papers_received"
        )
    if not raw:
        raise ValidationError(
            "Hãy đánh dấu ít nhất một giấy tờ công dân đã nộp (tên, bản chính hay bản sao, "
            "số lượng).",
            field="papers_received",
        )
    if len(raw) > MAX_PAPERS:
        raise ValidationError(
            f"Một hồ sơ ghi tối đa {MAX_PAPERS} giấy tờ.", field="papers_received"
        )
    known = {_name(p.get("name")) for p in catalogue or []}
    papers = []
    for number, item in enumerate(raw, start=1):
        where = f"papers_received[{number - 1}]"
        if not isinstance(item, dict):
            raise ValidationError(f"Giấy tờ thứ {number} không đúng dạng.", field=where)
        name = _name(item.get("name"))
        if not name:
            raise ValidationError(
                f"Giấy tờ thứ {number}: hãy ghi tên giấy tờ.", field=f"{where}.name"
            )
        if len(name) > 300:
            raise ValidationError(
                f"Giấy tờ thứ {number}: tên dài quá 300 ký tự; hãy ghi gọn lại.",
                field=f"{where}.name",
            )
        form = item.get("form")
        if form not in PAPER_FORMS:
            raise ValidationError(
                f"Giấy tờ “{name}”: chọn bản chính, bản sao hoặc bản sao chứng thực.",
                field=f"{where}.form",
            )
        count = _whole(item.get("count"), 1, MAX_COUNT, name, "số lượng", f"{where}.count")
        pages = item.get("pages")
        if pages in (None, ""):
            pages = None
        else:
            pages = _whole(pages, 1, MAX_PAGES, name, "số trang", f"{where}.pages")
        papers.append(
            {"name": name, "form": form, "count": count, "pages": pages, "listed": name in known}
        )
    return papers


def _name(value: Any) -> str:
    """A paper's name as stored: NFC, control characters out, single spaces."""
    return " ".join(clean_text(nfc(str(value or ""))).split())


def _whole(value: Any, low: int, high: int, name: str, label: str, field: str) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number <= high:
        raise ValidationError(
            f"Giấy tờ “{name}”: {label} phải là số nguyên từ {low} đến {high}.", field=field
        )
    return number


def fee_for(
    procedure: dict[str, Any] | None, papers: list[dict[str, Any]] | None
) -> tuple[int, list[FeeLine]]:
    """The fee of a dossier under ``procedure`` for the ``papers`` handed in, and its working
    (one line per paper charged); the procedure's plain fee when it has no rule or the
    dossier no checklist. Raises :class:`ValidationError` when the rule counts pages and a
    copy it charges has none given."""
    procedure = procedure or {}
    base = int(procedure.get("fee") or 0)
    rule = procedure.get("fee_rule") or {}
    basis = rule.get("basis") or "case"
    if basis == "case" or papers is None:
        return base, ([FeeLine("Lệ phí theo hồ sơ", base)] if base else [])
    forms = set(rule.get("forms") or ["copy", "certified_copy"])
    lines = []
    for index, paper in enumerate(papers):
        if paper["form"] not in forms:
            continue
        count = int(paper["count"])
        if basis == "copy":
            lines.append(FeeLine(f"{paper['name']}: {count} bản × {_money(base)}", count * base))
            continue
        pages = paper.get("pages")
        if not pages:
            raise ValidationError(
                f"Giấy tờ “{paper['name']}”: lệ phí tính theo trang, hãy ghi số trang của "
                "bản chính.",
                field=f"papers_received[{index}].pages",
            )
        first = min(int(pages), int(rule.get("first_pages", pages)))
        one = first * base + (int(pages) - first) * int(rule.get("next_rate") or 0)
        cap = rule.get("cap")
        capped = cap is not None and one > int(cap)
        if cap is not None and capped:
            one = int(cap)
        text = f"{paper['name']}: {count} bản × {pages} trang = {count} × {_money(one)}"
        lines.append(FeeLine(text + (" (mức tối đa một bản)" if capped else ""), count * one))
    return sum(line.amount for line in lines), lines


def _money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đ"
