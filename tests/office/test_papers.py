"""The reception checklist and the fee it sets (office/papers.py, docs/domain.md,
"Reception checklist"): attested copies are charged by the page of the original, 2.000 đ for
each of the first two pages, 1.000 đ from the third, at most 200.000 đ a copy (Circular
226/2016/TT-BTC), for each copy handed in."""

from __future__ import annotations

from typing import Any

import pytest

from central_hub.reference import seed_procedures
from office import clean_papers, fee_for
from sync import ValidationError

ATTESTATION = next(p for p in seed_procedures() if p["code"] == "2.000815")
MARRIAGE_STATUS = next(p for p in seed_procedures() if p["code"] == "1.004873")


def copies(count: int, pages: int, form: str = "copy") -> dict[str, Any]:
    return {"name": "Bằng tốt nghiệp", "form": form, "count": count, "pages": pages}


@pytest.mark.parametrize(
    ("papers", "fee"),
    [
        ([copies(1, 1)], 2000),
        ([copies(1, 2)], 4000),
        ([copies(1, 3)], 5000),  # the third page at 1.000 đ
        ([copies(3, 5)], 3 * 7000),
        ([copies(1, 197)], 199000),
        ([copies(1, 198)], 200000),
        ([copies(2, 500)], 2 * 200000),  # at most 200.000 đ a copy
        ([copies(2, 1), copies(1, 4)], 2 * 2000 + 6000),  # two documents
        # The original shown is not charged, only the copies to attest.
        ([copies(1, 3, "original"), copies(2, 3)], 2 * 5000),
    ],
)
def test_attested_copies_are_charged_by_the_page_and_the_copy(
    papers: list[dict[str, Any]], fee: int
) -> None:
    total, lines = fee_for(ATTESTATION, clean_papers(papers))
    assert total == fee
    assert sum(line.amount for line in lines) == fee


def test_the_working_says_what_each_line_charges() -> None:
    _total, lines = fee_for(ATTESTATION, clean_papers([copies(2, 300)]))
    assert [(line.text, line.amount) for line in lines] == [
        ("Bằng tốt nghiệp: 2 bản × 300 trang = 2 × 200.000 đ (mức tối đa một bản)", 400000)
    ]


def test_a_copy_charged_by_the_page_needs_its_pages() -> None:
    papers = clean_papers([{"name": "Bản sao cần chứng thực", "form": "copy", "count": 2}])
    with pytest.raises(ValidationError) as err:
        fee_for(ATTESTATION, papers)
    assert err.value.details["field"] == "papers_received[0].pages"
    assert "số trang" in err.value.message


def test_a_fee_per_copy_and_a_fee_per_dossier() -> None:
    per_copy = {**ATTESTATION, "fee": 8000, "fee_rule": {"basis": "copy", "forms": ["copy"]}}
    assert fee_for(per_copy, clean_papers([copies(3, 1)]))[0] == 24000
    # No rule: the procedure's fee once, however many papers.
    assert fee_for(MARRIAGE_STATUS, clean_papers([copies(4, 2)]))[0] == 3000
    # No checklist (a dossier received before it existed): the plain fee.
    assert fee_for(ATTESTATION, None)[0] == 2000


def test_the_checklist_is_normalised_and_knows_the_catalogues_papers() -> None:
    papers = clean_papers(
        [
            {"name": "  Bản sao  cần chứng thực ", "form": "copy", "count": "2", "pages": "3"},
            {"name": "Giấy khai sinh", "form": "certified_copy", "count": 1, "pages": ""},
        ],
        ATTESTATION["papers"],
    )
    assert papers == [
        {"name": "Bản sao cần chứng thực", "form": "copy", "count": 2, "pages": 3, "listed": True},
        {
            "name": "Giấy khai sinh",
            "form": "certified_copy",
            "count": 1,
            "pages": None,
            "listed": False,
        },
    ]


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        ([], "papers_received", "ít nhất một giấy tờ"),
        ("Tờ khai", "papers_received", "danh sách"),
        ([{"name": "", "form": "copy", "count": 1}], "papers_received[0].name", "ghi tên"),
        (
            [{"name": "Tờ khai", "form": "photo", "count": 1}],
            "papers_received[0].form",
            "bản chính",
        ),
        ([{"name": "Tờ khai", "form": "copy", "count": 0}], "papers_received[0].count", "số lượng"),
        (
            [{"name": "Tờ khai", "form": "copy", "count": "hai"}],
            "papers_received[0].count",
            "1 đến 999",
        ),
        (
            [{"name": "Tờ khai", "form": "copy", "count": 1, "pages": -3}],
            "papers_received[0].pages",
            "số trang",
        ),
        ([{"name": "x" * 301, "form": "copy", "count": 1}], "papers_received[0].name", "300 ký tự"),
    ],
)
def test_a_bad_checklist_is_refused_with_a_sentence_naming_the_paper(
    raw: Any, field: str, words: str
) -> None:
    with pytest.raises(ValidationError) as err:
        clean_papers(raw)
    assert err.value.details["field"] == field
    assert words in err.value.message
