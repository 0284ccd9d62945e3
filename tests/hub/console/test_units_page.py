"""The console's units page through the Flask test client: the query string holds the filters,
the sort and the page (a shared link shows the same page, the JSON refresh answers the same
one), malformed values fall back to defaults, and the unit's province is edited like any of
its fields."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

from flask.testing import FlaskClient

from central_hub.store import fleet, open_store
from central_hub.store.schema import MIGRATIONS
from sync import atomic, select_records
from tests.support import console_login, csrf_of, hub_token
from tests.support.fleet import CYCLE, PROVINCES, expected_states, province_of, seed_fleet

N = 120  # ten cycles of states, three pages of 50


def _seeded(tmp_path: Path, hub: FlaskClient, n: int = N) -> list[str]:
    conn = open_store(tmp_path / "hub")
    ids = seed_fleet(conn, tmp_path / "hub", n, datetime.now(UTC))
    conn.close()
    console_login(hub, tmp_path / "hub")
    return ids


def test_the_page_shows_totals_a_page_of_rows_and_links_to_the_others(
    tmp_path: Path, hub: FlaskClient
) -> None:
    _seeded(tmp_path, hub)
    page = hub.get("/console/").text
    assert page.count("<tr data-node=") == 50
    assert "Nút 1–50 trong 120 nút · trang 1/3" in page
    offline = expected_states(N)["offline"]
    assert re.search(
        rf'href="/console/\?state=offline" class="total state-offline" data-total="offline"\s*>'
        rf'.*?<span class="total-count">{offline}</span>',
        page,
    )
    assert 'href="/console/?page=2" rel="next"' in page
    assert 'aria-sort="ascending"' in page  # by name, the default
    assert "đang sắp xếp theo tên đơn vị tăng dần; bấm để sắp xếp giảm dần" in page


def test_a_shared_link_shows_the_same_page_and_the_refresh_answers_it(
    tmp_path: Path, hub: FlaskClient
) -> None:
    ids = _seeded(tmp_path, hub)
    query = f"state=synced&province={PROVINCES[2]}&q=ubnd&sort=seen&order=desc&page=1"
    page = hub.get(f"/console/?{query}").text
    data = hub.get(f"/console/api/units?{query}").get_json()
    shown = re.findall(r'<tr data-node="([^"]+)"', page)
    assert shown == [item["node_id"] for item in data["items"]]
    expected = {ids[i] for i in range(N) if province_of(i) == PROVINCES[2]}
    assert set(shown) <= expected and len(shown) == data["total"] > 0
    assert {item["state"] for item in data["items"]} == {"synced"}
    assert data["totals"] == {
        s: sum(1 for i in range(N) if province_of(i) == PROVINCES[2] and _state(i) == s)
        for s in fleet.STATES
    }
    # The table's source for console.js is this very query; the form keeps the sort.
    source = re.search(r'data-source="([^"]+)"', page)
    assert source and "state=synced" in source[1] and "sort=seen" in source[1]
    assert '<input type="hidden" name="sort" value="seen">' in page
    assert f'<option value="{PROVINCES[2]}" selected>' in page
    assert 'aria-sort="descending"' in page


def test_paging_past_the_end_shows_the_last_page_and_bad_values_their_defaults(
    tmp_path: Path, hub: FlaskClient
) -> None:
    _seeded(tmp_path, hub)
    last = hub.get("/console/api/units?page=99").get_json()
    assert last["page"] == last["pages"] == 3 and len(last["items"]) == N - 100
    odd = hub.get("/console/?page=abc&sort=x;drop&order=up&state=lost")
    assert odd.status_code == 200 and "Nút 1–50 trong 120 nút" in odd.text
    none = hub.get("/console/?q=khong-co-dau")
    assert "Không có nút nào khớp với bộ lọc." in none.text
    assert hub.get("/console/api/units?q=khong-co-dau").get_json()["items"] == []


def test_a_units_own_page_lists_only_its_nodes(tmp_path: Path, hub: FlaskClient) -> None:
    ids = _seeded(tmp_path, hub, 12)
    page = hub.get(f"/console/don-vi/{ids[3].split('-')[0]}").text
    assert re.findall(r'<tr data-node="([^"]+)"', page) == [ids[3]]
    assert "aria-sort" not in page


def test_the_province_is_edited_on_the_units_form(tmp_path: Path, hub: FlaskClient) -> None:
    console_login(hub, tmp_path / "hub")
    form = hub.get("/console/danh-muc-don-vi/19786")
    assert form.status_code == 200 and 'value="Thành phố Huế"' in form.text
    saved = hub.post(
        "/console/danh-muc-don-vi/19786",
        data={
            "csrf_token": csrf_of(form.text),
            "name": "UBND phường Phú Hội",
            "kind": "ward",
            "prefix": "H57.19786",
            "province": "  Thành phố Huế ",
            "district": "Thành phố Huế cũ",
            "valid_from": "01/07/2021",
        },
    )
    assert saved.status_code in (200, 302), saved.text
    conn = open_store(tmp_path / "hub")
    unit = select_records(conn, "unit", "WHERE code = '19786'")[0]
    conn.close()
    assert unit["province"] == "Thành phố Huế" and unit["district"] == "Thành phố Huế cũ"


def test_units_written_before_the_search_text_existed_are_found_after_the_migration(
    tmp_path: Path, hub: FlaskClient
) -> None:
    conn = open_store(tmp_path / "hub")
    with atomic(conn):
        conn.execute("UPDATE unit SET _search = NULL")  # as before migration 0029
    step = dict(MIGRATIONS)["0029_unit_places"]
    with atomic(conn):
        step(conn)
    found = conn.execute("SELECT code FROM unit WHERE _search LIKE '%phu hoi%'").fetchall()
    conn.close()
    assert [r["code"] for r in found] == ["19786"]


def _state(i: int) -> str:
    return CYCLE[i % len(CYCLE)]


def test_the_api_takes_a_units_province_in_nfc(tmp_path: Path, hub: FlaskClient) -> None:
    headers = hub_token(hub, tmp_path / "hub")
    decomposed = unicodedata.normalize("NFD", "Tỉnh Quảng Trị")
    resp = hub.put("/api/v1/units/19786", headers=headers, json={"province": f" {decomposed} "})
    assert resp.status_code == 200, resp.text
    assert resp.get_json()["province"] == "Tỉnh Quảng Trị"
    console_login(hub, tmp_path / "hub")
    page = hub.get("/console/").text
    assert '<option value="Tỉnh Quảng Trị">' not in page  # no node of it enrolled yet
