"""Statistics of a period, computed from dossiers and steps built at fixed dates (no store).

The period is March 2026 in Huế time; each case is one dossier's history and the figures it
must add, everything else staying 0.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from ward_node.desk.stats import PeriodStats, compute, lines, percent_text, to_csv, to_xlsx

VN = ZoneInfo("Asia/Ho_Chi_Minh")
FIRST, LAST = date(2026, 3, 1), date(2026, 3, 31)
AFTER = datetime(2026, 4, 15, 9, 0, tzinfo=VN)  # the period is over


def t(day: int, hour: int = 9, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=VN)


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


def dossier(
    events: list[tuple[datetime, int]],
    *,
    due: datetime | None,
    original_due: datetime | None = None,
    channel: str = "in_person",
    completed: datetime | None = None,
    with_steps: bool = True,
    name: str = "d",
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A dossier whose status went through ``events`` (time, new status); received at the first."""
    steps, previous = [], None
    for i, (when, status) in enumerate(events):
        steps.append(
            {
                "id": f"{name}-{i:02d}",
                "dossier_id": name,
                "action": "x",
                "from_status": previous,
                "to_status": status,
                "at": iso(when),
            }
        )
        previous = status
    record = {
        "id": name,
        "status": events[-1][1],
        "channel": channel,
        "received_at": iso(events[0][0]),
        "due_at": iso(due),
        "original_due_at": iso(original_due),
        "completed_at": iso(completed),
        "returned_at": None,
    }
    return record, steps if with_steps else []


def figures(result: PeriodStats) -> dict[str, int]:
    """The non-zero counters of ``result``."""
    return {k: v for k, v in asdict(result).items() if k not in ("first", "last") and v}


# (case, events, dossier options, figures it adds)
CASES: list[tuple[str, list[tuple[datetime, int]], dict[str, Any], dict[str, int]]] = [
    (
        "resolved the day before the due date is early",
        [(t(2, 8), 2), (t(2, 9), 4), (t(4, 16), 9)],
        {"due": t(5, 8)},
        {"received_in_person": 1, "early": 1},
    ),
    (
        "resolved on the due date after the due hour is on time (dates, not timestamps)",
        [(t(2, 8), 2), (t(2, 9), 4), (t(5, 16, 30), 9), (t(6, 8), 10)],
        {"due": t(5, 8)},
        {"received_in_person": 1, "on_time": 1},
    ),
    (
        "resolved the day after the due date is late",
        [(t(2, 8), 2), (t(2, 9), 4), (t(6, 7, 30), 9)],
        {"due": t(5, 17)},
        {"received_in_person": 1, "late": 1},
    ),
    (
        "the date is Huế's: 06:00 on the 6th is 23:00 UTC on the 5th, still late",
        [(t(2, 8), 2), (t(2, 9), 4), (t(6, 6), 9)],
        {"due": t(5, 17)},
        {"received_in_person": 1, "late": 1},
    ),
    (
        "an apology's new date does not hide the lateness: the original date counts",
        [(t(2, 8), 2), (t(2, 9), 4), (t(12, 10), 9)],
        {"due": t(20, 17), "original_due": t(10, 17)},
        {"received_in_person": 1, "late": 1},
    ),
    (
        "open when the period starts: carried over, then resolved early",
        [(t(20, 9, month=2), 2), (t(23, 9, month=2), 4), (t(5, 10), 9)],
        {"due": t(6, 9)},
        {"carried_over": 1, "early": 1},
    ),
    (
        "closed before the period: not counted",
        [(t(10, 9, month=2), 2), (t(11, 9, month=2), 4), (t(20, 9, month=2), 9)],
        {"due": t(25, 9, month=2)},
        {},
    ),
    (
        "received after the period: not counted",
        [(t(2, 9, month=4), 2)],
        {"due": t(6, 9, month=4)},
        {},
    ),
    (
        "received at 00:30 on the 1st (17:30 UTC the day before) is received in the period",
        [(t(1, 0, 30), 2)],
        {"due": t(4, 17)},
        {"received_in_person": 1, "in_progress_late": 1},
    ),
    (
        "received at 23:30 on the last day is received in the period",
        [(t(31, 23, 30), 2)],
        {"due": t(3, 17, month=4)},
        {"received_in_person": 1, "in_progress_within": 1},
    ),
    (
        "an online submission still awaiting reception is not counted",
        [(t(3, 20), 1)],
        {"due": t(6, 17), "channel": "online"},
        {},
    ),
    (
        "a refused online submission is not counted",
        [(t(3, 20), 1), (t(4, 8), 3)],
        {"due": t(6, 17), "channel": "online"},
        {},
    ),
    (
        "online, accepted in the period: counted online at its reception",
        [(t(28, 20, month=2), 1), (t(2, 8), 2)],
        {"due": t(5, 17), "channel": "online"},
        {"received_online": 1, "in_progress_late": 1},
    ),
    (
        "by the public postal service",
        [(t(9, 8), 2), (t(9, 9), 4)],
        {"due": t(2, 17, month=4), "channel": "postal"},
        {"received_postal": 1, "in_progress_within": 1},
    ),
    (
        "withdrawn by the citizen",
        [(t(9, 8), 2), (t(10, 9), 7)],
        {"due": t(12, 17)},
        {"received_in_person": 1, "withdrawn": 1},
    ),
    (
        "stopped",
        [(t(9, 8), 2), (t(9, 9), 4), (t(10, 9), 8)],
        {"due": t(12, 17)},
        {"received_in_person": 1, "stopped": 1},
    ),
    (
        "awaiting a supplement at the end, supplied after it",
        [(t(9, 8), 2), (t(9, 9), 4), (t(20, 9), 5), (t(2, 9, month=4), 4)],
        {"due": t(12, 17)},
        {"received_in_person": 1, "awaiting_supplement": 1},
    ),
    (
        "in progress at the end, due before the last day: past the deadline",
        [(t(9, 8), 2), (t(9, 9), 4)],
        {"due": t(30, 17)},
        {"received_in_person": 1, "in_progress_late": 1},
    ),
    (
        "in progress at the end, due on the last day: within the deadline",
        [(t(9, 8), 2), (t(9, 9), 4)],
        {"due": t(31, 17)},
        {"received_in_person": 1, "in_progress_within": 1},
    ),
    (
        "resolved after the period: in progress at its end",
        [(t(25, 8), 2), (t(25, 9), 4), (t(3, 9, month=4), 9)],
        {"due": t(7, 17, month=4)},
        {"received_in_person": 1, "in_progress_within": 1},
    ),
    (
        "waiting for a payment is in progress",
        [(t(9, 8), 2), (t(9, 9), 4), (t(10, 9), 6)],
        {"due": t(12, 17)},
        {"received_in_person": 1, "in_progress_late": 1},
    ),
    (
        "known without its steps: received and resolved by its own fields",
        [(t(9, 8), 9)],
        {"due": t(12, 17), "completed": t(11, 15), "with_steps": False},
        {"received_in_person": 1, "early": 1},
    ),
    (
        "returned without a 'result ready' step: the return resolves it",
        [(t(9, 8), 2), (t(9, 9), 4), (t(13, 9), 10)],
        {"due": t(12, 17)},
        {"received_in_person": 1, "late": 1},
    ),
]


@pytest.mark.parametrize(
    ("events", "options", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_one_dossier_adds_its_figures(
    events: list[tuple[datetime, int]], options: dict[str, Any], expected: dict[str, int]
) -> None:
    record, steps = dossier(events, **options)
    assert figures(compute([record], steps, FIRST, LAST, now=AFTER)) == expected


def test_a_period_not_yet_over_measures_in_progress_against_today() -> None:
    now = t(15, 10)
    late, late_steps = dossier([(t(2, 8), 2), (t(2, 9), 4)], due=t(14, 17), name="late")
    within, within_steps = dossier([(t(9, 8), 2), (t(9, 9), 4)], due=t(20, 17), name="within")
    due_today, today_steps = dossier([(t(10, 8), 2)], due=t(15, 8), name="today")
    result = compute(
        [late, within, due_today], late_steps + within_steps + today_steps, FIRST, LAST, now=now
    )
    assert figures(result) == {
        "received_in_person": 3,
        "in_progress_late": 1,
        "in_progress_within": 2,  # due today at 08:00, already past: still the due date
    }


def test_rates_and_totals_over_several_dossiers() -> None:
    built = [
        dossier([(t(2, 8), 2), (t(3, 9), 9)], due=t(5, 17), name="a"),  # early
        dossier([(t(2, 8), 2), (t(5, 9), 9)], due=t(5, 17), name="b"),  # on time
        dossier([(t(2, 8), 2), (t(9, 9), 9)], due=t(5, 17), name="c", channel="online"),  # late
        dossier([(t(2, 8), 2), (t(9, 9), 9)], due=t(10, 17), name="d", channel="online"),
        dossier([(t(20, 8, month=2), 2)], due=t(3, 17), name="e"),  # carried, late at end
    ]
    result = compute(
        [r for r, _ in built], [s for _, ss in built for s in ss], FIRST, LAST, now=AFTER
    )
    assert (result.carried_over, result.received, result.total) == (1, 4, 5)
    assert (result.early, result.on_time, result.late, result.resolved) == (2, 1, 1, 4)
    assert result.on_time_rate == pytest.approx(3 / 4)
    assert result.online_rate == pytest.approx(2 / 4)
    assert result.in_progress_late == 1
    assert percent_text(result.on_time_rate) == "75,0 %"


def test_rates_are_none_without_a_denominator() -> None:
    empty = compute([], [], FIRST, LAST, now=AFTER)
    assert empty.on_time_rate is None and empty.online_rate is None
    assert percent_text(None) == "—"
    assert all(line.value in (0, None) for line in lines(empty))


def test_a_period_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        compute([], [], LAST, FIRST, now=AFTER)


def test_csv_has_a_bom_and_xlsx_keeps_rates_as_numbers() -> None:
    record, steps = dossier([(t(2, 8), 2), (t(3, 9), 9)], due=t(5, 17))
    result = compute([record], steps, FIRST, LAST, now=AFTER)
    body = to_csv(result, "UBND phường Phú Hội")
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[1] == ["Thống kê hồ sơ một cửa từ ngày 01/03/2026 đến ngày 31/03/2026"]
    # A sub-line is marked with an en dash: a hyphen would start a formula in Excel.
    assert ["– Trước hạn", "1"] in rows and ["Tỷ lệ giải quyết đúng hạn", "100,0 %"] in rows
    sheet = load_workbook(io.BytesIO(to_xlsx(result, "UBND phường Phú Hội"))).active
    found = {row[0]: row[1] for row in sheet.iter_rows(min_row=5, values_only=True)}
    assert found["Đã giải quyết"] == 1 and found["Tỷ lệ giải quyết đúng hạn"] == 1.0
    rate_row = next(
        r for r in sheet.iter_rows(min_row=5) if r[0].value == "Tỷ lệ giải quyết đúng hạn"
    )
    assert rate_row[1].number_format == "0.0%"


# -- the balance, for any histories -------------------------------------------------------------

NEXT = {1: [2, 3, 7], 2: [4, 7], 4: [4, 5, 6, 7, 8, 9], 5: [4, 7], 6: [4, 7], 9: [10]}


@st.composite
def histories(draw: st.DrawFn, name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    start = datetime(2026, 2, 1, 7, tzinfo=VN) + timedelta(hours=draw(st.integers(0, 24 * 80)))
    status = draw(st.sampled_from([1, 2]))
    events, when = [(start, status)], start
    for _ in range(draw(st.integers(0, 5))):
        if status not in NEXT:
            break
        when += timedelta(hours=draw(st.integers(1, 24 * 12)))
        status = draw(st.sampled_from(NEXT[status]))
        events.append((when, status))
    due = start + timedelta(days=draw(st.integers(0, 20)))
    channel = draw(st.sampled_from(["in_person", "online", "postal"]))
    return dossier(events, due=due, channel=channel, name=name)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 12).flatmap(lambda n: st.tuples(*(histories(f"d{i}") for i in range(n)))))
def test_carried_over_plus_received_equals_every_outcome(built: tuple[Any, ...]) -> None:
    records = [r for r, _ in built]
    steps = [s for _, ss in built for s in ss]
    r = compute(records, steps, FIRST, LAST, now=AFTER)
    assert r.total == r.resolved + r.in_progress + r.awaiting_supplement + r.withdrawn + r.stopped
    assert 0 <= (r.on_time_rate or 0) <= 1 and 0 <= (r.online_rate or 0) <= 1
