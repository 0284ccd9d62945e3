"""Due dates in working hours (docs/domain.md, "Due dates" and "The calendar")."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from ward_node.dossiers import WorkCalendar, calendar_from_records, due_at

HCM = ZoneInfo("Asia/Ho_Chi_Minh")

TET_2026 = frozenset(date(2026, 2, d) for d in range(16, 21))
CAL_2026 = WorkCalendar(holidays=TET_2026 | {date(2026, 1, 1)})
# Reunification and Labour Day 2025, with Fri 02/05 off in exchange for Sat 26/04.
CAL_2025 = WorkCalendar(
    holidays=frozenset({date(2025, 4, 30), date(2025, 5, 1), date(2025, 5, 2)}),
    workdays=frozenset({date(2025, 4, 26)}),
)


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=HCM)


CASES = [
    # id, calendar, received, limit, unit, cutoff, due
    ("tet_2026_worked_example", CAL_2026, at(2026, 2, 13, 10), 3, "working_days", None,
     at(2026, 2, 25, 10)),
    ("tet_2026_friday_1630_one_day", CAL_2026, at(2026, 2, 13, 16, 30), 1, "working_days", None,
     at(2026, 2, 23, 16, 30)),
    ("after_17h_counts_from_0700_next_day", CAL_2026, at(2026, 3, 3, 17, 30), 2,
     "working_hours", None, at(2026, 3, 4, 9)),
    ("at_17h_counts_from_0700_next_day", CAL_2026, at(2026, 3, 3, 17), 0.5, "working_days",
     None, at(2026, 3, 4, 11)),
    ("before_0700_counts_from_0700", CAL_2026, at(2026, 3, 3, 6, 15), 1, "working_hours", None,
     at(2026, 3, 3, 8)),
    ("lunch_break_counts_from_1330", CAL_2026, at(2026, 3, 3, 12), 2, "working_hours", None,
     at(2026, 3, 3, 15, 30)),
    ("morning_overflows_past_lunch", CAL_2026, at(2026, 3, 3, 11), 1, "working_hours", None,
     at(2026, 3, 3, 14)),
    ("friday_skips_weekend", CAL_2026, at(2026, 3, 6, 15), 1, "working_days", None,
     at(2026, 3, 9, 15)),
    ("received_saturday_counts_from_monday", CAL_2026, at(2026, 3, 7, 9), 1, "working_days",
     None, at(2026, 3, 9, 17)),
    ("makeup_saturday_26_04_2025_is_worked", CAL_2025, at(2025, 4, 25, 10), 1, "working_days",
     None, at(2025, 4, 26, 10)),
    ("makeup_saturday_then_30_04_to_02_05_skipped", CAL_2025, at(2025, 4, 25, 10), 4,
     "working_days", None, at(2025, 5, 5, 10)),
    ("30_04_to_02_05_2025_skipped", CAL_2025, at(2025, 4, 29, 10), 1, "working_days", None,
     at(2025, 5, 5, 10)),
    ("same_day_before_cutoff", CAL_2026, at(2026, 3, 3, 14, 59), 0, "working_days", "15:00",
     at(2026, 3, 3, 17)),
    ("same_day_at_cutoff", CAL_2026, at(2026, 3, 3, 15), 0, "working_days", "15:00",
     at(2026, 3, 3, 17)),
    ("same_day_after_cutoff", CAL_2026, at(2026, 3, 3, 15, 1), 0, "working_days", "15:00",
     at(2026, 3, 4, 17)),
    ("same_day_friday_after_cutoff_monday", CAL_2026, at(2026, 3, 6, 15, 30), 0, "working_days",
     "15:00", at(2026, 3, 9, 17)),
    ("same_day_received_sunday_monday", CAL_2026, at(2026, 3, 8, 10), 0, "working_days",
     "15:00", at(2026, 3, 9, 17)),
    ("same_day_before_tet_after_cutoff", CAL_2026, at(2026, 2, 13, 16), 0, "working_days",
     "15:00", at(2026, 2, 23, 17)),
    ("same_day_no_cutoff_until_17h", CAL_2026, at(2026, 3, 3, 16, 59), 0, "working_days", None,
     at(2026, 3, 3, 17)),
    ("calendar_days_on_sunday_move_to_monday", CAL_2026, at(2026, 3, 4, 9), 4, "calendar_days",
     None, at(2026, 3, 9, 17)),
    ("calendar_days_on_working_day", CAL_2026, at(2026, 3, 4, 16), 5, "calendar_days", None,
     at(2026, 3, 9, 17)),
    ("calendar_days_into_tet_move_past_it", CAL_2026, at(2026, 2, 10, 9), 7, "calendar_days",
     None, at(2026, 2, 23, 17)),
    ("full_day_from_0700_stays_at_17h", CAL_2026, at(2026, 3, 2, 7), 1, "working_days", None,
     at(2026, 3, 2, 17)),
    ("afternoon_hours_end_exactly_at_17h", CAL_2026, at(2026, 3, 3, 13, 30), 3.5,
     "working_hours", None, at(2026, 3, 3, 17)),
    ("morning_hours_end_exactly_at_1130", CAL_2026, at(2026, 3, 3, 7), 4.5, "working_hours",
     None, at(2026, 3, 3, 11, 30)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("cal", "received", "limit", "unit", "cutoff", "due"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_due_at(
    cal: WorkCalendar,
    received: datetime,
    limit: float,
    unit: str,
    cutoff: str | None,
    due: datetime,
) -> None:
    result = due_at(received, limit, unit, cutoff, cal)
    assert result == due
    assert result.tzinfo == HCM


def test_received_time_in_another_zone_is_converted_to_vietnam_time() -> None:
    received_utc = datetime(2026, 2, 13, 3, 0, tzinfo=UTC)  # 10:00 in Huế
    result = due_at(received_utc, 3, "working_days", None, CAL_2026)
    assert result == at(2026, 2, 25, 10)
    assert result.tzinfo == HCM
    assert result.isoformat() == "2026-02-25T10:00:00+07:00"


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_at(datetime(2026, 3, 3, 10), 1, "working_days", None, CAL_2026)


@pytest.mark.parametrize(
    ("unit", "limit", "cutoff"),
    [("weeks", 1, None), ("working_days", -1, None), ("working_days", 0, "3pm")],
    ids=["unknown_unit", "negative_limit", "bad_cutoff"],
)
def test_bad_procedure_limits_are_refused(unit: str, limit: float, cutoff: str | None) -> None:
    with pytest.raises(ValueError):
        due_at(at(2026, 3, 3, 10), limit, unit, cutoff, CAL_2026)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(2026, 3, 3, 6), at(2026, 3, 3, 7)),
        (at(2026, 3, 3, 9, 15), at(2026, 3, 3, 9, 15)),
        (at(2026, 3, 3, 11, 30), at(2026, 3, 3, 13, 30)),
        (at(2026, 3, 3, 17), at(2026, 3, 4, 7)),
        (at(2026, 2, 13, 18), at(2026, 2, 23, 7)),
        (at(2025, 4, 26, 8), at(2025, 4, 26, 8)),
    ],
    ids=["before_opening", "inside_morning", "at_1130", "at_1700", "friday_before_tet",
         "makeup_saturday"],
)  # fmt: skip
def test_next_working_start(moment: datetime, expected: datetime) -> None:
    cal = CAL_2025 if moment.year == 2025 else CAL_2026
    assert cal.next_working_start(moment) == expected


def test_working_day_is_eight_hours_of_morning_and_afternoon() -> None:
    assert CAL_2026.day_length == timedelta(hours=8)
    assert CAL_2026.add_working_days(at(2026, 3, 3, 10), 2) == CAL_2026.add_working_hours(
        at(2026, 3, 3, 10), 16
    )


def test_configured_hours_change_the_day_length() -> None:
    cal = WorkCalendar(morning=(time(7, 30), time(11, 30)), afternoon=(time(13, 30), time(17)))
    assert cal.day_length == timedelta(hours=7, minutes=30)
    assert cal.add_working_days(at(2026, 3, 3, 7, 30), 1) == at(2026, 3, 3, 17)


def test_working_days_between_skips_tet_and_weekends() -> None:
    assert CAL_2026.working_days_between(at(2026, 2, 13, 10), at(2026, 2, 25, 10)) == 3
    assert CAL_2026.working_days_between(date(2026, 2, 25), date(2026, 2, 13)) == -3
    assert CAL_2026.working_days_between(date(2026, 3, 3), date(2026, 3, 3)) == 0
    assert CAL_2025.working_days_between(date(2025, 4, 25), date(2025, 5, 5)) == 4


def test_makeup_saturday_is_a_working_day_and_swap_friday_is_not() -> None:
    assert CAL_2025.is_working_day(date(2025, 4, 26))
    assert not CAL_2025.is_working_day(date(2025, 5, 2))
    assert not CAL_2025.is_working_day(date(2025, 4, 27))
    assert CAL_2025.is_working_day(date(2025, 4, 29))


def test_holidays_library_agrees_on_tet_2026() -> None:
    vn = holidays.country_holidays("VN", years=2026)
    assert TET_2026 <= set(vn)
    assert date(2026, 2, 13) not in vn and date(2026, 2, 23) not in vn


def test_holidays_library_has_2025_swap_day_but_not_the_makeup_saturday() -> None:
    vn = holidays.country_holidays("VN", years=2025)
    assert {date(2025, 4, 30), date(2025, 5, 1), date(2025, 5, 2)} <= set(vn)
    assert date(2025, 4, 26) not in vn  # docs/domain.md, "The calendar": make-up days are our own


def test_calendar_from_records_ignores_deleted_rows() -> None:
    cal = calendar_from_records(
        [
            {"date": "2025-04-30", "kind": "holiday", "deleted": False},
            {"date": "2025-05-01", "kind": "holiday", "deleted": None},
            {"date": "2025-05-02", "kind": "holiday"},
            {"date": "2025-04-26", "kind": "workday", "deleted": False},
            {"date": "2025-04-29", "kind": "holiday", "deleted": True},
            {"date": "2025-05-03", "kind": "workday", "deleted": True},
        ]
    )
    assert cal == CAL_2025
    assert due_at(at(2025, 4, 25, 10), 4, "working_days", None, cal) == at(2025, 5, 5, 10)


def test_calendar_record_of_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        calendar_from_records([{"date": "2025-04-30", "kind": "party", "deleted": False}])
