"""The hub's seed reference data: valid records, the real wards, a calendar that knows Tết."""

import re
import uuid
from datetime import date

import holidays
import pytest

from central_hub.reference.data import MAKEUP_WORKDAYS
from central_hub.reference.seed import WARDS, seed_calendar, seed_procedures, seed_units
from sync import validate

# As listed in docs/domain.md ("Units"): GSO code and name of each of the 27 wards.
DOMAIN_WARDS = """
19744 Phú Thuận, 19747 Phú Bình, 19750 Tây Lộc, 19753 Thuận Lộc, 19756 Phú Hiệp, 19759 Phú Hậu,
19762 Thuận Hòa, 19765 Thuận Thành, 19768 Phú Hòa, 19771 Phú Cát, 19774 Kim Long, 19777 Vĩ Dạ,
19780 Phường Đúc, 19783 Vĩnh Ninh, 19786 Phú Hội, 19789 Phú Nhuận, 19792 Xuân Phú,
19795 Trường An, 19798 Phước Vĩnh, 19801 An Cựu, 19803 An Hòa, 19804 Hương Sơ, 19807 Thủy Biều,
19810 Hương Long, 19813 Thủy Xuân, 19815 An Đông, 19816 An Tây
"""
EXPECTED_WARDS = [
    tuple(item.strip().split(" ", 1)) for item in DOMAIN_WARDS.replace("\n", " ").split(",")
]

SEEDS = {
    "unit": seed_units,
    "procedure": seed_procedures,
    "calendar_day": seed_calendar,
}


def calendar_by_date():
    return {day["date"]: day for day in seed_calendar()}


@pytest.mark.parametrize("type_name", sorted(SEEDS))
def test_every_seeded_record_validates_against_its_schema(type_name):
    records = SEEDS[type_name]()
    assert records
    for record in records:
        validate(type_name, record)


@pytest.mark.parametrize("type_name", sorted(SEEDS))
def test_records_have_unique_uuid7_ids_and_belong_to_the_hub_unit(type_name):
    records = SEEDS[type_name]()
    ids = [record["id"] for record in records]
    assert len(set(ids)) == len(ids)
    assert all(uuid.UUID(i).version == 7 for i in ids)
    assert {record["unit"] for record in records} == {"H57"}


@pytest.mark.parametrize("type_name", sorted(SEEDS))
def test_seeding_twice_gives_the_same_content_under_new_ids(type_name):
    first, second = SEEDS[type_name](), SEEDS[type_name]()

    def strip(records):
        return [{k: v for k, v in r.items() if k != "id"} for r in records]

    assert strip(first) == strip(second)
    assert {r["id"] for r in first}.isdisjoint(r["id"] for r in second)


def test_hub_unit_parameter_sets_the_owner_of_every_record():
    for seed in SEEDS.values():
        assert {record["unit"] for record in seed(hub_unit="H57-TEST")} == {"H57-TEST"}


def test_the_27_wards_match_domain_codes_and_names():
    assert len(EXPECTED_WARDS) == 27
    assert WARDS == EXPECTED_WARDS
    wards = [u for u in seed_units() if u["kind"] == "ward"]
    assert [(w["code"], w["name"]) for w in wards] == [
        (code, f"UBND phường {name}") for code, name in EXPECTED_WARDS
    ]
    assert all(w["prefix"] == f"H57.{w['code']}" for w in wards)
    assert all(w["valid_from"] == "2021-07-01" and w["valid_to"] is None for w in wards)


def test_there_are_42_units_beside_the_city_with_unique_codes_and_prefixes():
    units = seed_units()
    kinds = [u["kind"] for u in units]
    assert len(units) == 43
    assert (kinds.count("city"), kinds.count("ward")) == (1, 27)
    assert (kinds.count("department"), kinds.count("service")) == (11, 4)
    city = units[0]
    assert (city["kind"], city["code"], city["prefix"]) == ("city", "H57", "H57")
    assert city["name"] == "Văn phòng HĐND và UBND thành phố Huế"
    assert len({u["code"] for u in units}) == 43
    assert len({u["prefix"] for u in units}) == 43
    assert all(u["successor"] is None for u in units)


def test_procedures_have_papers_a_fee_and_a_coherent_time_limit():
    procedures = seed_procedures()
    assert len(procedures) == 14
    assert len({p["code"] for p in procedures}) == len(procedures)
    for p in procedures:
        assert p["papers"], p["name"]
        assert isinstance(p["fee"], int) and p["fee"] >= 0, p["name"]
        assert p["active"] is True and p["valid_from"] == "2025-07-01"
        same_day = p["limit_unit"] == "working_days" and p["limit_value"] == 0
        assert p["same_day_cutoff"] == ("15:00" if same_day else None), p["name"]
    units = {p["limit_unit"] for p in procedures}
    assert units == {"working_days", "calendar_days"}


def test_the_catalogue_is_the_ward_desks_under_national_codes():
    procedures = seed_procedures()
    # Codes of the national catalogue (Cổng Dịch vụ công quốc gia), no local placeholder left.
    assert all(re.fullmatch(r"[1-3]\.[0-9]{6}", p["code"]) for p in procedures)
    # Residence registration is the commune police's, not the ward's one-stop desk.
    names = " ".join(p["name"].lower() for p in procedures)
    for police in ("thường trú", "tạm trú", "tạm vắng", "cư trú"):
        assert police not in names, police
    assert {p["field"] for p in procedures} == {
        "Hộ tịch",
        "Chứng thực",
        "Bảo trợ xã hội",
        "Đất đai",
    }
    # Every procedure names its legal basis (printed on forms 03 and 05).
    assert all(p["legal_basis"] for p in procedures)
    by_code = {p["code"]: p for p in procedures}
    assert by_code["2.000815"]["former_codes"] == ["HUE-XA-003"]
    assert by_code["2.000815"]["fee_rule"]["basis"] == "page"
    assert by_code["1.012812"]["name"] == "Hòa giải tranh chấp đất đai"


def test_known_procedures_carry_their_time_limit_and_fee():
    by_name = {p["name"]: p for p in seed_procedures()}
    birth = by_name["Đăng ký khai sinh"]
    assert (birth["code"], birth["limit_value"], birth["fee"]) == ("1.001193", 0, 0)
    extract = by_name["Cấp bản sao trích lục hộ tịch"]
    assert (extract["code"], extract["limit_value"], extract["same_day_cutoff"]) == (
        "2.000635",
        0,
        "15:00",
    )
    assert extract["fee"] == 8000
    mediation = by_name["Hòa giải tranh chấp đất đai"]
    assert (mediation["limit_value"], mediation["limit_unit"]) == (30, "calendar_days")


def test_calendar_has_tet_2026_as_holidays():
    days = calendar_by_date()
    for day in range(16, 21):
        assert days[f"2026-02-{day}"]["kind"] == "holiday"


def test_calendar_swaps_saturday_26_04_2025_for_friday_02_05_2025():
    days = calendar_by_date()
    assert days["2025-04-26"]["kind"] == "workday"
    assert days["2025-05-02"]["kind"] == "holiday"
    assert days["2025-04-30"]["kind"] == days["2025-05-01"]["kind"] == "holiday"


def test_calendar_is_sorted_and_limited_to_the_requested_years():
    days = seed_calendar(years=[2026])
    dates = [d["date"] for d in days]
    assert dates == sorted(dates)
    assert {d[:4] for d in dates} == {"2026"}
    assert "2025-04-26" not in dates


def test_make_up_days_are_saturdays_the_package_does_not_already_treat_as_days_off():
    for workday, day_off in MAKEUP_WORKDAYS:
        year = date.fromisoformat(workday).year
        package_days = holidays.country_holidays("VN", years=year)
        assert date.fromisoformat(workday).weekday() == 5
        assert date.fromisoformat(workday) not in package_days
        assert date.fromisoformat(day_off).weekday() < 5


def test_every_swapped_day_off_in_the_package_has_its_make_up_day():
    # The package names a swapped day off "Ngày nghỉ (thay cho ngày dd/mm/yyyy)" but does not list
    # that Saturday as a working day; a day off without its make-up day would shorten deadlines.
    days = calendar_by_date()
    for day in days.values():
        match = re.search(r"thay cho ngày (\d{2})/(\d{2})/(\d{4})", day["name"] or "")
        if day["kind"] == "holiday" and match:
            dd, mm, yyyy = match.groups()
            makeup = f"{yyyy}-{mm}-{dd}"
            if int(yyyy) in (2025, 2026, 2027):
                assert days[makeup]["kind"] == "workday", day
