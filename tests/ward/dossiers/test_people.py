"""Names, personal ID numbers and phone numbers (docs/domain.md, "People")."""

from __future__ import annotations

import pytest

from office import (
    CCCD_PROVINCES,
    display_phone,
    id_number_birth_year,
    id_number_sex,
    normalize_name,
    normalize_phone,
    sort_key,
    validate_id_number,
)
from sync import ValidationError, fold, mask_name

# --- Names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("  Nguyễn   Văn\tAn ", "Nguyễn Văn An"),
        ("nguyễn văn an", "Nguyễn Văn An"),
        ("ĐẶNG THỊ HOÀ", "Đặng Thị Hoà"),
        ("Trần Thị Thu\u0309y", "Trần Thị Thủy"),
        ("Mac Văn tài", "Mac Văn tài"),
    ],
    ids=["whitespace", "all_lower", "all_upper", "decomposed_nfd", "mixed_case_kept"],
)
def test_normalize_name(typed: str, expected: str) -> None:
    assert normalize_name(typed) == expected


def test_decomposed_name_becomes_nfc() -> None:
    assert normalize_name("Thu\u0309y") == "Thủy"
    assert normalize_name("Thu\u0309y") == normalize_name("Thủy")
    assert fold(normalize_name("Thuỷ")) == fold(normalize_name("Thủy")) == "thuy"


@pytest.mark.parametrize("typed", ["", "   ", "Nguyễn Văn 2", "Lê Thị B1"])
def test_empty_name_or_name_with_digits_is_refused(typed: str) -> None:
    with pytest.raises(ValidationError) as caught:
        normalize_name(typed)
    assert caught.value.details == {"field": "applicant.full_name"}
    assert caught.value.status == 422
    assert "Hãy nhập" in caught.value.message


@pytest.mark.parametrize(
    ("full_name", "masked"),
    [
        ("Nguyễn Văn An", "Nguyễn V* A*"),
        ("Tôn Nữ Thị Ánh Tuyết", "Tôn N* T* Á* T*"),
        ("Đặng Đức", "Đặng Đ*"),
        ("An", "A*"),
        ("", ""),
    ],
)
def test_mask_name_keeps_family_name_and_initials(full_name: str, masked: str) -> None:
    assert mask_name(full_name) == masked


def test_d_with_stroke_sorts_after_d() -> None:
    names = ["Lê Văn Đạt", "Lê Văn Dũng", "Lê Văn Em", "Lê Văn Cường"]
    assert sorted(names, key=sort_key) == ["Lê Văn Cường", "Lê Văn Dũng", "Lê Văn Đạt", "Lê Văn Em"]


def test_names_sort_by_given_then_middle_then_family_name() -> None:
    names = [
        "Trần Văn Bình",
        "Nguyễn Thị An",
        "Lê Văn An",
        "Nguyễn Văn An",
        "Đỗ Thị Bình",
        "Hoàng Văn An",
    ]
    assert sorted(names, key=sort_key) == [
        "Nguyễn Thị An",
        "Hoàng Văn An",
        "Lê Văn An",
        "Nguyễn Văn An",
        "Đỗ Thị Bình",
        "Trần Văn Bình",
    ]


def test_vietnamese_letters_and_tones_sort_in_alphabet_order() -> None:
    given = ["Ơn", "Ân", "Ôn", "Ăn", "Oanh", "Anh", "Ưng", "Uyên"]
    ordered = sorted((f"Lê {g}" for g in given), key=sort_key)
    assert [name.split()[-1] for name in ordered] == [
        "Anh",
        "Ăn",
        "Ân",
        "Oanh",
        "Ôn",
        "Ơn",
        "Uyên",
        "Ưng",
    ]
    tones = ["Thụy", "Thúy", "Thũy", "Thủy", "Thùy", "Thuy"]
    ordered = sorted((f"Lê Thị {t}" for t in tones), key=sort_key)
    assert [name.split()[-1] for name in ordered] == [
        "Thuy",
        "Thùy",
        "Thủy",
        "Thũy",
        "Thúy",
        "Thụy",
    ]


def test_sort_key_ignores_tone_mark_placement_and_nfd() -> None:
    # "Thủy"/"Thuỷ" and "Hòa"/"Hoà" differ only in where the tone mark sits.
    assert sort_key("Lê Thủy")[:3] == sort_key("Lê Thuỷ")[:3]
    assert sort_key("Lê Hòa")[:3] == sort_key("Lê Hoà")[:3]
    assert sort_key("Lê Thu\u0309y") == sort_key("Lê Thủy")


# --- Personal ID numbers ----------------------------------------------------------------------


def test_cccd_province_list_has_the_63_provinces() -> None:
    assert len(CCCD_PROVINCES) == 63
    assert CCCD_PROVINCES["046"] == "Thừa Thiên Huế"


@pytest.mark.parametrize(
    ("typed", "birth_year", "expected"),
    [
        ("046090123456", 1990, "046090123456"),
        ("046 190 123 456", None, "046190123456"),
        ("001203001234", 2003, "001203001234"),
        ("096199000001", None, "096199000001"),
        ("191234567", None, "191234567"),
        ("191 234 567", 1950, "191234567"),
        (None, None, None),
        ("  ", 1990, None),
    ],
    ids=["hue_male_1990", "spaces_removed", "hanoi_2003", "ca_mau_female_1999",
         "old_cmnd_9_digits", "old_cmnd_birth_year_unchecked", "none", "blank"],
)  # fmt: skip
def test_valid_id_numbers(typed: str | None, birth_year: int | None, expected: str | None) -> None:
    assert validate_id_number(typed, birth_year) == expected


@pytest.mark.parametrize(
    ("typed", "birth_year", "words"),
    [
        ("04609012345", None, "12 chữ số"),
        ("0460901234567", None, "12 chữ số"),
        ("1912345", None, "12 chữ số"),
        ("04609O123456", None, "chỉ gồm chữ số"),
        ("003090123456", None, "mã tỉnh"),
        ("097090123456", None, "mã tỉnh"),
        ("046090123456", 1991, "năm sinh 1990"),
        ("046005123456", 2005, "năm sinh 1905"),
        ("046490123456", None, "năm sinh"),
        ("046890123456", None, "năm sinh"),
        ("046299123456", None, "năm sinh"),
    ],
    ids=["11_digits", "13_digits", "7_digits", "letter_o", "unknown_province_003",
         "unknown_province_097", "birth_year_mismatch", "century_digit_vs_birth_year",
         "century_2100s", "century_digit_8", "born_in_the_future"],
)  # fmt: skip
def test_invalid_id_numbers_are_refused(typed: str, birth_year: int | None, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_id_number(typed, birth_year)
    assert caught.value.details == {"field": "applicant.id_number"}
    assert words in caught.value.message
    assert "Hãy" in caught.value.message


@pytest.mark.parametrize(
    ("number", "year", "sex"),
    [
        ("046090123456", 1990, "nam"),
        ("046185123456", 1985, "nữ"),
        ("046205123456", 2005, "nam"),
        ("046310123456", 2010, "nữ"),
        ("191234567", None, None),
        ("046590123456", None, None),
        (None, None, None),
    ],
)
def test_birth_year_and_sex_from_id_number(
    number: str | None, year: int | None, sex: str | None
) -> None:
    assert id_number_birth_year(number) == year
    assert id_number_sex(number) == sex


# --- Phone numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "0905123456",
        "+84905123456",
        "84 905 123 456",
        "0905.123.456",
        " 0905-123-456 ",
        "(+84) 905123456",
    ],
)
def test_phone_forms_normalize_to_one_canonical_number(typed: str) -> None:
    assert normalize_phone(typed) == ("+84905123456", None)


def test_landline_with_area_code_is_accepted() -> None:
    assert normalize_phone("0234 3822 123") == ("+842343822123", None)
    assert display_phone("+842343822123") == "0234 3822 123"


@pytest.mark.parametrize("typed", [None, "", "   "])
def test_no_phone_is_none(typed: str | None) -> None:
    assert normalize_phone(typed) == (None, None)


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("abc", id="letters"),
        pytest.param("12345", id="too_short"),
        pytest.param("090512345", id="9_digits"),
        pytest.param("09051234567", id="11_digit_mobile"),
        pytest.param("0123456789", id="old_01x_prefix"),
        pytest.param("+1 650 253 0000", id="foreign"),
        pytest.param("0905123456 ext 12", id="extension"),
    ],
)
def test_garbage_phone_is_refused(typed: str) -> None:
    with pytest.raises(ValidationError) as caught:
        normalize_phone(typed)
    assert caught.value.details == {"field": "applicant.phone"}
    assert "Hãy nhập" in caught.value.message


def test_unknown_carrier_prefix_warns_but_keeps_the_number() -> None:
    canonical, warning = normalize_phone("071 123 4567")
    assert canonical == "+84711234567"
    assert warning is not None
    assert "071" in warning and "nhà mạng" in warning


@pytest.mark.parametrize(
    ("e164", "shown"),
    [("+84905123456", "0905 123 456"), ("+84711234567", "0711 234 567"), (None, "")],
)
def test_display_phone(e164: str | None, shown: str) -> None:
    assert display_phone(e164) == shown
