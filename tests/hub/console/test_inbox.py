"""The conflict inbox, finished: the age filter and paging, readable labels, a word diff for
long text (escaped), bulk resolution (all or none, mixed kinds refused) and that every
resolution is routed to the owning ward. Through the Flask test client and a real ward session."""

from __future__ import annotations

import html
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from central_hub import conflicts
from central_hub.conflicts.pages import word_diff
from central_hub.console.dashboard import VIETNAM
from sync import NotFound, SyncReport, ValidationError
from tests.support import PASSWORD, csrf_of, enrolled_node, hub_token, synced_session
from tests.support.hubstore import hub_store
from ward_node.dossiers import Dossiers
from ward_node.store import load_clock
from webapp import User

UNIT = "19786"
CLERK = User("canbo", "officer", "Cán bộ một cửa")
LEADER = User("lanhdao", "leader", "Lãnh đạo")
NAMES = ["Lê Thị Hồng", "Trần Văn Bình", "Nguyễn Thị Cúc", "Phạm Văn Dũng"]


class Ward:
    """A ward node's store and sync session against the hub test client."""

    def __init__(self, tmp_path: Path, hub: FlaskClient) -> None:
        self.hub = hub
        self.admin = hub_token(hub, tmp_path / "hub")
        data, transport = enrolled_node(tmp_path, hub)
        self.session, self.conn = synced_session(data, transport)
        self.service = Dossiers(self.conn, load_clock(self.conn))

    def dossiers(self, n: int) -> list[dict[str, Any]]:
        made = [
            self.service.receive(
                {"procedure_code": "1.001193", "applicant": {"full_name": NAMES[i % 4]}}, CLERK
            )
            for i in range(n)
        ]
        self.session.push(SyncReport())
        return made

    def status_conflicts(self, n: int) -> list[dict[str, Any]]:
        """``n`` dossiers whose status the city stopped (8) while the ward, not yet synced,
        started processing them (4): one open status conflict each."""
        made = self.dossiers(n)
        for d in made:
            assert self.patch(d["id"], status=8).status_code == 200
            self.service.act(d["id"], {"action": "start"}, LEADER)
        self.session.run()
        return made

    def patch(self, dossier_id: str, **fields: Any) -> Any:
        return self.hub.patch(f"/api/v1/dossiers/{dossier_id}", json=fields, headers=self.admin)

    def conflicts(self, **query: str) -> list[dict[str, Any]]:
        resp = self.hub.get("/api/v1/conflicts", query_string=query, headers=self.admin)
        assert resp.status_code == 200, resp.get_json()
        items: list[dict[str, Any]] = resp.get_json()["items"]
        return items

    def login(self) -> str:
        page = self.hub.get("/console/dang-nhap")
        resp = self.hub.post(
            "/console/dang-nhap",
            data={"csrf_token": csrf_of(page.text), "username": "admin", "password": PASSWORD},
        )
        assert resp.status_code == 302
        return csrf_of(self.hub.get("/console/xung-dot").text)


@pytest.fixture
def ward(tmp_path: Path, hub: FlaskClient) -> Any:
    ward = Ward(tmp_path, hub)
    yield ward
    ward.conn.close()


def _hub_db(tmp_path: Path) -> sqlite3.Connection:
    return hub_store(tmp_path / "hub")


def _age(tmp_path: Path, conflict_id: int, days: float) -> None:
    """Pretend a conflict was detected ``days`` ago (a test cannot wait a week)."""
    conn = _hub_db(tmp_path)
    with conn:
        conn.execute(
            "UPDATE conflicts SET detected_at = ? WHERE id = ?",
            (
                (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds"),
                conflict_id,
            ),
        )
    conn.close()


def _store_state(tmp_path: Path) -> tuple[Any, ...]:
    conn = _hub_db(tmp_path)
    try:
        return (
            conn.execute("SELECT count(*) FROM journal").fetchone()[0],
            conn.execute(
                "SELECT id, state, resolution, note FROM conflicts ORDER BY id"
            ).fetchall(),
        )
    finally:
        conn.close()


# -- the age filter and paging ------------------------------------------------------------------


def test_the_age_filter_keeps_conflicts_open_longer_than_chosen(tmp_path: Path, ward: Ward) -> None:
    ward.status_conflicts(3)
    fresh, week, month = sorted(c["id"] for c in ward.conflicts())
    _age(tmp_path, week, 8)
    _age(tmp_path, month, 40)

    def ids(**query: str) -> set[int]:
        return {c["id"] for c in ward.conflicts(**query)}

    assert ids() == {fresh, week, month}
    assert ids(older_than_days="7") == {week, month}
    assert ids(older_than_days="30") == {month}
    assert (
        ward.hub.get("/api/v1/conflicts?older_than_days=bảy", headers=ward.admin).status_code == 422
    )

    ward.login()
    page = ward.hub.get("/console/xung-dot?age=7")
    assert f'id="xung-dot-{week}"' in page.text and f'id="xung-dot-{month}"' in page.text
    assert f'id="xung-dot-{fresh}"' not in page.text
    both = ward.hub.get(f"/console/xung-dot?age=1&unit={UNIT}&type=dossier").text
    assert f'id="xung-dot-{fresh}"' not in both and f'id="xung-dot-{month}"' in both
    assert "Không có xung đột" in ward.hub.get("/console/xung-dot?age=30&unit=00000").text

    # Between dates, dd/mm/yyyy in Huế time, both days included.
    today = datetime.now(VIETNAM).strftime("%d/%m/%Y")
    ten_days_ago = (datetime.now(VIETNAM) - timedelta(days=10)).strftime("%d/%m/%Y")
    recent = ward.hub.get(f"/console/xung-dot?from={ten_days_ago}&to={today}").text
    assert f'id="xung-dot-{fresh}"' in recent and f'id="xung-dot-{week}"' in recent
    assert f'id="xung-dot-{month}"' not in recent
    bad = ward.hub.get("/console/xung-dot?from=2026-11-01")
    assert bad.status_code == 422
    assert "ngày/tháng/năm" in bad.text and 'aria-invalid="true"' in bad.text


def test_the_inbox_pages_beyond_a_hundred(tmp_path: Path, ward: Ward) -> None:
    ward.status_conflicts(1)
    only = ward.conflicts()[0]
    conn = _hub_db(tmp_path)
    with conn:  # 104 copies of the real conflict: the paging, not the merge, is under test
        conn.executemany(
            "INSERT INTO conflicts (record_type, record_id, unit, field, base, values_json, "
            "winner, needs_review, state, detected_at) SELECT record_type, record_id, unit, "
            "field, base, values_json, winner, needs_review, state, detected_at FROM conflicts "
            "WHERE id = ?",
            [(only["id"],)] * 104,
        )
    conn.close()
    ward.login()
    first = ward.hub.get("/console/xung-dot")
    assert first.text.count('class="card conflict"') == 100 and "Trang sau" in first.text
    link = html.unescape(re.search(r'href="([^"]+)">Trang sau', first.text).group(1))  # type: ignore[union-attr]
    second = ward.hub.get(link)
    assert second.text.count('class="card conflict"') == 5
    assert "Trang sau" not in second.text and "Trang đầu" in second.text
    assert f'id="xung-dot-{only["id"]}"' in second.text


# -- labels ------------------------------------------------------------------------------------


def test_the_inbox_reads_in_vietnamese_labels_and_hue_time(tmp_path: Path, ward: Ward) -> None:
    (dossier,) = ward.dossiers(1)
    ward.patch(dossier["id"], status=8, due_at="2026-12-20T10:00:00+00:00")
    ward.service.act(dossier["id"], {"action": "start"}, LEADER)
    ward.service.act(
        dossier["id"],
        {"action": "extend", "new_due_at": "2027-01-15T09:30:00+07:00", "note": "Xin lỗi"},
        LEADER,
    )
    ward.session.run()
    assert {c["field"] for c in ward.conflicts()} == {"status", "due_at"}
    ward.login()
    page = ward.hub.get("/console/xung-dot").text
    assert "Hồ sơ một cửa — Trạng thái hồ sơ" in page and "Hồ sơ một cửa — Hạn giải quyết" in page
    assert 'Dừng xử lý <small class="muted">(8)</small>' in page
    assert 'Đang xử lý <small class="muted">(4)</small>' in page
    assert "20/12/2026 17:00" in page and "15/01/2027 09:30" in page  # Huế time
    assert dossier["code"] in page and "Lê Thị Hồng" in page  # which case it is
    assert "Máy chủ trung tâm" in page and "UBND phường" in page  # where each side was written
    assert 'value="8">Dừng xử lý (8)</option>' in page  # the other value is chosen by name


def test_an_other_value_for_a_time_field_is_written_in_hue_time(tmp_path: Path, ward: Ward) -> None:
    (dossier,) = ward.dossiers(1)
    ward.patch(dossier["id"], due_at="2026-12-20T10:00:00+00:00")
    ward.service.act(dossier["id"], {"action": "start"}, LEADER)
    ward.service.act(
        dossier["id"],
        {"action": "extend", "new_due_at": "2027-01-15T09:30:00+07:00", "note": "Xin lỗi"},
        LEADER,
    )
    ward.session.run()
    (conflict,) = ward.conflicts()
    token = ward.login()
    bad = ward.hub.post(
        f"/console/xung-dot/{conflict['id']}",
        data={"csrf_token": token, "choice": "merged", "merged": "2027-01-10"},
    )
    assert bad.status_code == 422 and "15/12/2026 16:30" in bad.text
    assert ward.conflicts()[0]["state"] == "open"
    done = ward.hub.post(
        f"/console/xung-dot/{conflict['id']}",
        data={"csrf_token": token, "choice": "merged", "merged": "10/01/2027 16:30"},
    )
    assert done.status_code == 302
    resolved = ward.hub.get(f"/api/v1/conflicts/{conflict['id']}", headers=ward.admin).get_json()
    assert resolved["resolution"]["value"] == "2027-01-10T16:30:00+07:00"
    ward.session.run()
    assert ward.service.get(dossier["id"])["due_at"].startswith("2027-01-10T")


# -- the diff ----------------------------------------------------------------------------------


def test_the_word_diff_marks_insertions_and_deletions_and_escapes() -> None:
    diff = word_diff("Hồ sơ thiếu giấy khai sinh", "Hồ sơ đủ giấy khai sinh <b>")
    assert str(diff) == "Hồ sơ <del>thiếu</del><ins>đủ</ins> giấy khai sinh<ins> &lt;b&gt;</ins>"
    assert str(word_diff("a b", "a b")) == "a b"


def test_long_text_is_shown_as_a_diff_and_a_script_as_text(tmp_path: Path, ward: Ward) -> None:
    (dossier,) = ward.dossiers(1)
    base = "Công dân đã nộp đủ bản sao giấy khai sinh và sổ hộ khẩu, chờ xác minh tại tổ dân phố."
    ward.service.edit(dossier["id"], {"notes": base}, CLERK)
    ward.session.run()
    ward.patch(dossier["id"], notes=base.replace("chờ xác minh", "đã xác minh xong"))
    ward.service.edit(dossier["id"], {"notes": base + "\n<script>alert('x')</script>"}, CLERK)
    ward.session.run()
    # A dossier's notes are typed by people: the concurrent edit opens for review.
    (conflict,) = ward.conflicts()
    assert conflict["field"] == "notes"
    ward.login()
    page = ward.hub.get("/console/xung-dot").text
    assert "<del>chờ</del>" in page and "<ins>đã</ins>" in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</ins>" in page
    assert "<script>alert" not in page
    assert "Hồ sơ một cửa — Ghi chú" in page


# -- bulk resolution ---------------------------------------------------------------------------


def test_bulk_resolution_keeps_a_units_value_audits_each_and_routes_each_to_the_ward(
    tmp_path: Path, ward: Ward
) -> None:
    made = ward.status_conflicts(3)
    ids = [c["id"] for c in ward.conflicts()]
    assert len(ids) == 3
    resp = ward.hub.post(
        "/api/v1/conflicts/resolve",
        json={"ids": ids, "rule": "unit", "unit": UNIT, "note": "Phường đã xử lý"},
        headers=ward.admin,
    )
    assert resp.status_code == 200, resp.get_json()
    done = resp.get_json()["items"]
    assert [c["id"] for c in done] == ids
    for c in done:
        assert c["state"] == "resolved" and c["resolution"]["value"] == 4
        assert c["resolved_by"] == "admin" and c["note"] == "Phường đã xử lý" and c["resolved_at"]
    # Each resolution is its own hub change in the journal, routed to the owning ward.
    conn = _hub_db(tmp_path)
    try:
        for c in done:
            hlc_hex, _, origin = c["resolution"]["version"].partition("@")
            routed = conn.execute(
                "SELECT r.unit, j.id FROM routes r JOIN journal j ON j.jseq = r.jseq "
                "WHERE j.origin = ? AND j.hlc = ?",
                (origin, int(hlc_hex, 16)),
            ).fetchall()
            assert (UNIT, c["record_id"]) in [tuple(r) for r in routed]
    finally:
        conn.close()
    ward.session.run()
    assert [ward.service.get(d["id"])["status"] for d in made] == [4, 4, 4]


@pytest.mark.parametrize(("rule", "expected"), [("hub", 8), ("base", 2), ("latest", None)])
def test_bulk_rules_hub_base_and_latest(
    tmp_path: Path, ward: Ward, rule: str, expected: int | None
) -> None:
    ward.status_conflicts(3)
    listed = ward.conflicts()
    resp = ward.hub.post(
        "/api/v1/conflicts/resolve",
        json={"ids": [c["id"] for c in listed], "rule": rule},
        headers=ward.admin,
    )
    assert resp.status_code == 200, resp.get_json()
    for before, after in zip(listed, resp.get_json()["items"], strict=True):
        want = before["winning_value"] if expected is None else expected
        assert after["resolution"]["value"] == want


def test_bulk_resolution_refuses_mixed_kinds_and_changes_nothing(
    tmp_path: Path, ward: Ward
) -> None:
    ward.status_conflicts(2)
    (dossier,) = ward.dossiers(1)
    ward.patch(dossier["id"], due_at="2026-12-20T10:00:00+00:00")
    ward.service.act(dossier["id"], {"action": "start"}, LEADER)
    ward.service.act(
        dossier["id"],
        {"action": "extend", "new_due_at": "2027-01-15T09:30:00+07:00", "note": "Xin lỗi"},
        LEADER,
    )
    ward.session.run()
    listed = ward.conflicts()
    assert sorted(c["field"] for c in listed) == ["due_at", "status", "status"]
    before = _store_state(tmp_path)

    mixed = ward.hub.post(
        "/api/v1/conflicts/resolve",
        json={"ids": [c["id"] for c in listed], "rule": "hub"},
        headers=ward.admin,
    )
    assert mixed.status_code == 422
    assert mixed.get_json()["error"]["code"] == "mixed_kinds"
    assert "cùng loại" in mixed.get_json()["error"]["message"]
    assert _store_state(tmp_path) == before

    # Through the console: the same refusal as a message, and the store unchanged.
    token = ward.login()
    resp = ward.hub.post(
        "/console/xung-dot/hang-loat",
        data={"csrf_token": token, "ids": [str(c["id"]) for c in listed], "rule": "hub"},
    )
    assert resp.status_code == 302
    page = ward.hub.get(resp.headers["Location"]).text
    assert "Chưa giải quyết xung đột nào" in page and "cùng loại" in page
    assert _store_state(tmp_path) == before

    # One conflict the rule has no value for refuses the whole batch: all or none.
    statuses = [c["id"] for c in listed if c["field"] == "status"]
    none_of_unit = ward.hub.post(
        "/api/v1/conflicts/resolve",
        json={"ids": statuses, "rule": "unit", "unit": "19744"},
        headers=ward.admin,
    )
    assert (
        none_of_unit.status_code == 422 and "19744" in none_of_unit.get_json()["error"]["message"]
    )
    missing = ward.hub.post(
        "/api/v1/conflicts/resolve",
        json={"ids": [*statuses, 9999], "rule": "hub"},
        headers=ward.admin,
    )
    assert missing.status_code == 404
    assert _store_state(tmp_path) == before


def test_bulk_resolution_in_the_console_resolves_the_ticked_conflicts(
    tmp_path: Path, ward: Ward
) -> None:
    made = ward.status_conflicts(4)
    listed = ward.conflicts()
    token = ward.login()
    page = ward.hub.get("/console/xung-dot").text
    assert 'form="bulk" name="ids"' in page and "Chọn tất cả cùng loại" in page
    ticked = [str(c["id"]) for c in listed[:3]]
    resp = ward.hub.post(
        "/console/xung-dot/hang-loat",
        data={
            "csrf_token": token,
            "ids": ticked,
            "rule": "unit",
            "rule_unit": UNIT,
            "note": "Thống nhất theo phường",
            "type": "dossier",
        },
    )
    assert resp.status_code == 302 and "type=dossier" in resp.headers["Location"]
    assert "Đã giải quyết 3 xung đột" in ward.hub.get(resp.headers["Location"]).text
    states = {c["id"]: c["state"] for c in ward.conflicts(state="all")}
    assert sorted(str(i) for i, s in states.items() if s == "resolved") == sorted(ticked)
    ward.session.run()
    values = {d["id"]: ward.service.get(d["id"])["status"] for d in made}
    resolved_records = {c["record_id"] for c in listed[:3]}
    assert all(values[r] == 4 for r in resolved_records)

    history = ward.hub.get(f"/console/ban-ghi/dossier/{listed[0]['record_id']}").text
    assert f"Giải quyết xung đột số {listed[0]['id']}" in history
    assert "Thống nhất theo phường" in history and "Trạng thái hồ sơ" in history


def test_resolve_many_needs_ids_a_rule_and_a_unit_for_the_unit_rule(ward: Ward) -> None:
    ward.status_conflicts(1)
    (c,) = ward.conflicts()
    for ids, rule, unit in (
        ([], "hub", None),
        ([c["id"]], "ai-cũng-được", None),
        ([c["id"]], "unit", None),
    ):
        resp = ward.hub.post(
            "/api/v1/conflicts/resolve",
            json={"ids": ids, "rule": rule, "unit": unit},
            headers=ward.admin,
        )
        assert resp.status_code == 422, (ids, rule)
    assert ward.conflicts()[0]["state"] == "open"
    store = ward_store(ward)
    try:
        with pytest.raises(ValidationError):
            conflicts.resolve_many(store, [c["id"]], "unit", user="admin")
        with pytest.raises(NotFound):
            conflicts.resolve_many(store, [c["id"], c["id"] + 1], "hub", user="admin")
    finally:
        store.close()
    assert ward.conflicts()[0]["state"] == "open"


def ward_store(ward: Ward) -> sqlite3.Connection:
    """The hub's store, opened as the hub app opens it."""
    from central_hub.store import open_store

    return open_store(Path(ward.hub.application.config["DATA"]))
