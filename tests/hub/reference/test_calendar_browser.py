"""The city console's reference data in a real browser, against a real hub and a real ward node
running its sync worker: an administrator adds a day off in the calendar and the due date the
ward gives a dossier received after its next sync moves one working day; an administrator ends a
unit (a bad date first) and the ward stops offering it as an addressee after its next sync."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import requests

from office import VIETNAM
from tests.support import (
    BROWSER_MARKS,
    Cluster,
    log_in,
    query,
    running_cluster,
    token,
    wait_until,
)
from tests.support.hubstore import hub_query
from ward_node.dossiers import WorkCalendar, calendar_from_records, due_at

try:
    from playwright.sync_api import Page, expect
except ImportError:  # skipped by BROWSER_MARKS
    pass

pytestmark = BROWSER_MARKS

UNIT = "19786"  # Phú Hội
MERGED, HEIR = "19789", "19786"  # Phú Nhuận ends; Phú Hội takes over


@pytest.fixture
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with running_cluster(tmp_path_factory.mktemp("calendar"), UNIT) as cluster:
        yield cluster


def _ward_store(cluster: Cluster) -> Any:
    return cluster.ward_data(UNIT) / "node.sqlite3"


def _calendar(cluster: Cluster) -> WorkCalendar:
    rows = query(_ward_store(cluster), "SELECT date, kind, deleted FROM calendar_day")
    return calendar_from_records({"date": d, "kind": k, "deleted": bool(x)} for d, k, x in rows)


def _receive(cluster: Cluster, procedure: str, name: str) -> dict[str, Any]:
    """Receive a dossier at the ward through its API; the ward computes its due date."""
    ward = cluster.wards[UNIT].url
    resp = requests.post(
        ward + "/api/v1/dossiers",
        json={"procedure_code": procedure, "applicant": {"full_name": name}},
        headers=token(ward),
        timeout=10,
    )
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(VIETNAM)


def _login_console(page: Page, cluster: Cluster) -> None:
    log_in(page, cluster.hub_url + "/console/", "admin")
    expect(page.get_by_role("heading", name="Các đơn vị")).to_be_visible()


def _day_off_inside(received: datetime, due: datetime, rule: dict[str, Any], cal: WorkCalendar):  # type: ignore[no-untyped-def]
    """The first working day after the day of reception whose becoming a day off moves the
    due date: a weekday inside the deadline window, whatever today is."""
    day = received.date() + timedelta(days=1)
    while day <= due.date():
        if cal.is_working_day(day):
            moved = WorkCalendar(holidays=cal.holidays | {day}, workdays=cal.workdays)
            if due_at(received, *rule.values(), moved) != due:
                return day
        day += timedelta(days=1)
    raise AssertionError(f"no working day between {received} and {due}")


def test_a_day_off_added_in_the_console_moves_the_wards_next_due_date(
    cluster: Cluster, browser: Any
) -> None:
    store = _ward_store(cluster)
    wait_until(
        lambda: query(store, "SELECT count(*) FROM calendar_day")[0][0] > 0,
        60,
        what="the ward's first pull of the reference data",
    )
    # The procedure with the longest limit in working days, so the window holds a weekday.
    code, value, cutoff = query(
        store,
        "SELECT code, limit_value, same_day_cutoff FROM procedure "
        "WHERE limit_unit = 'working_days' AND limit_value >= 2 ORDER BY limit_value DESC, code",
    )[0]
    rule = {"limit_value": float(value), "limit_unit": "working_days", "cutoff": cutoff}
    before = _calendar(cluster)
    first = _receive(cluster, code, "Nguyễn Thị Mai")
    first_due = _moment(first["due_at"])
    assert first_due == due_at(_moment(first["received_at"]), *rule.values(), before)
    day_off = _day_off_inside(_moment(first["received_at"]), first_due, rule, before)

    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        _login_console(page, cluster)
        page.get_by_role("link", name="Danh mục").click()
        page.get_by_role("link", name="Ngày nghỉ và ngày làm bù").click()
        page.goto(cluster.hub_url + f"/console/lich?nam={day_off.year}")
        page.get_by_label("Ngày (dd/mm/yyyy)").fill(f"{day_off:%d/%m/%Y}")
        page.get_by_label("Loại").select_option("holiday")
        page.get_by_label("Tên (không bắt buộc)").fill("Nghỉ đột xuất")
        page.get_by_role("button", name="Thêm ngày").click()
        expect(page.get_by_role("status")).to_contain_text(f"Đã thêm ngày {day_off:%d/%m/%Y}")
        row = page.get_by_role("row").filter(has_text=f"{day_off:%d/%m/%Y}")
        expect(row).to_contain_text("Nghỉ đột xuất")
        page.screenshot(path=str(cluster.root / "calendar.png"), full_page=True)

        wait_until(
            lambda: query(
                store,
                "SELECT 1 FROM calendar_day WHERE date = ? AND kind = 'holiday' AND deleted = 0",
                day_off.isoformat(),
            ),
            60,
            what="the ward to pull the new day off",
        )
        second = _receive(cluster, code, "Trần Văn Hùng")
        received = _moment(second["received_at"])
        old_rule = due_at(received, *rule.values(), before)
        after = WorkCalendar(holidays=before.holidays | {day_off}, workdays=before.workdays)
        second_due = _moment(second["due_at"])
        assert second_due == due_at(received, *rule.values(), after)
        assert second_due.date() == after.next_working_day(old_rule.date())  # one working day
        # The first dossier keeps the due date it was given at reception.
        ward = cluster.wards[UNIT].url
        again = requests.get(
            f"{ward}/api/v1/dossiers/{first['id']}", headers=token(ward), timeout=10
        ).json()
        assert _moment(again["due_at"]) == first_due

        # The ward's own page shows the moved date to the officer.
        log_in(page, f"{ward}/login", "canbo")
        page.goto(f"{ward}/dossiers/{second['id']}")
        expect(page.locator("strong.due")).to_have_text(f"{second_due:%d/%m/%Y %H:%M}")
    finally:
        context.close()


def test_an_administrator_ends_a_unit_and_the_ward_stops_offering_it(
    cluster: Cluster, browser: Any
) -> None:
    store = _ward_store(cluster)
    wait_until(
        lambda: query(store, "SELECT count(*) FROM unit")[0][0] > 0,
        60,
        what="the ward's first pull of the units",
    )
    last_day = date.today() - timedelta(days=1)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        _login_console(page, cluster)
        page.get_by_role("link", name="Danh mục").click()
        page.get_by_role("link", name="Đơn vị", exact=True).click()
        expect(page.get_by_role("heading", name="Các đơn vị của thành phố")).to_be_visible()
        page.get_by_role("link", name="Kết thúc hiệu lực của UBND phường Phú Nhuận").click()

        field = page.get_by_label("Hiệu lực đến hết ngày (dd/mm/yyyy)")
        # The date entry takes dd/mm/yyyy only: the browser holds an ISO date back...
        field.fill(f"{last_day:%Y-%m-%d}")
        assert field.evaluate("el => el.validity.patternMismatch")
        # ...and the server refuses a day that does not exist, in words.
        field.fill("31/02/2026")
        page.get_by_role("button", name="Kết thúc hiệu lực").click()
        expect(page.get_by_role("alert")).to_contain_text("phải ghi theo dạng ngày/tháng/năm")
        page.screenshot(path=str(cluster.root / "unit-error.png"), full_page=True)
        assert hub_query(cluster.hub_data, "SELECT valid_to FROM unit WHERE code = ?", MERGED) == [
            (None,)
        ]

        field.fill(f"{last_day:%d/%m/%Y}")
        page.get_by_label("Đơn vị kế thừa (không bắt buộc)").select_option(HEIR)
        page.get_by_role("button", name="Kết thúc hiệu lực").click()
        expect(page.get_by_role("status")).to_contain_text(f"Đơn vị {MERGED} hết hiệu lực")
        row = page.locator(f'tr[data-unit="{MERGED}"]')
        expect(row).to_contain_text(f"{last_day:%d/%m/%Y}")
        expect(row).to_contain_text("UBND phường Phú Hội (19786)")

        wait_until(
            lambda: (
                query(store, "SELECT valid_to FROM unit WHERE code = ?", MERGED)
                == [(last_day.isoformat(),)]
            ),
            60,
            what="the ward to pull the ended unit",
        )
        ward = cluster.wards[UNIT].url
        log_in(page, f"{ward}/login", "canbo")
        page.goto(f"{ward}/van-ban/moi")
        picker = page.locator("select#units")
        expect(picker.locator('option[value="19792"]')).to_have_count(1)
        expect(picker.locator(f'option[value="{MERGED}"]')).to_have_count(0)
    finally:
        context.close()
