"""The personal ID (CCCD) against the birth year and sex it encodes (docs/domain.md, "People"):
property tests of ``office.validate_id_number``, the one rule the ward's desk and the citizens'
portal both apply (issue [11], "The portal")."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from office import CCCD_PROVINCES, id_number_birth_year, id_number_sex, validate_id_number
from sync import ValidationError

THIS_YEAR = date.today().year
provinces = st.sampled_from(sorted(CCCD_PROVINCES))
years = st.integers(min_value=1900, max_value=THIS_YEAR)
sexes = st.sampled_from(["nam", "nữ"])
serials = st.integers(min_value=0, max_value=999_999)


def cccd(province: str, year: int, sex: str, serial: int) -> str:
    """The 12 digits of a CCCD: province, century and sex digit, two-digit year, serial."""
    century = (year - 1900) // 100
    digit = 2 * century + (0 if sex == "nam" else 1)
    return f"{province}{digit}{year % 100:02d}{serial:06d}"


@given(provinces, years, sexes, serials)
def test_a_cccd_is_accepted_with_the_year_and_sex_it_encodes(
    province: str, year: int, sex: str, serial: int
) -> None:
    number = cccd(province, year, sex, serial)
    assert id_number_birth_year(number) == year and id_number_sex(number) == sex
    assert validate_id_number(number, year, sex) == number
    assert validate_id_number(" ".join([number[:4], number[4:8], number[8:]]), year) == number
    assert validate_id_number(number, None, "NỮ" if sex == "nữ" else "Nam") == number


@given(provinces, years, years, sexes, serials)
def test_a_cccd_with_another_birth_year_is_refused_naming_both(
    province: str, year: int, declared: int, sex: str, serial: int
) -> None:
    number = cccd(province, year, sex, serial)
    if declared == year:
        return
    with pytest.raises(ValidationError) as caught:
        validate_id_number(number, declared, sex)
    assert caught.value.details == {"field": "applicant.id_number"}
    assert f"năm sinh {year}" in caught.value.message
    assert f"đã khai là {declared}" in caught.value.message


@given(provinces, years, sexes, serials)
def test_a_cccd_with_the_other_sex_is_refused_in_vietnamese(
    province: str, year: int, sex: str, serial: int
) -> None:
    number = cccd(province, year, sex, serial)
    other = "nữ" if sex == "nam" else "nam"
    with pytest.raises(ValidationError) as caught:
        validate_id_number(number, year, other)
    assert caught.value.details == {"field": "applicant.id_number"}
    message = caught.value.message
    assert f"giới tính {sex}" in message and f"đã khai là {other}" in message
    assert "Hãy kiểm tra lại" in message


@given(st.text(max_size=5).filter(lambda s: s.strip().lower() not in ("nam", "nữ", "nu")))
def test_a_sex_that_is_neither_is_refused_on_its_own_field(sex: str) -> None:
    number = cccd("046", 1985, "nữ", 123)
    if sex.strip().lower() in ("male", "female"):
        return
    with pytest.raises(ValidationError) as caught:
        validate_id_number(number, 1985, sex)
    assert caught.value.details == {"field": "applicant.sex"}


@given(st.from_regex(r"[0-9]{9}", fullmatch=True), years, sexes)
def test_an_old_nine_digit_id_encodes_neither_so_is_not_checked(
    number: str, year: int, sex: str
) -> None:
    assert validate_id_number(number, year, sex) == number
