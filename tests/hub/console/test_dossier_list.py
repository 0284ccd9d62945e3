"""The console's dossiers across wards (``/console/ho-so``): filters, the one search box (code,
CCCD and phone looked up exactly through their indexes, a name without diacritics), paging,
refusals in Vietnamese, and one dossier with its steps and its files shown in the browser."""

from __future__ import annotations

import html
import random
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from flask.testing import FlaskClient

from central_hub.store import capture, dossier_search, open_store
from office import is_overdue
from sync import BlobStore, Write, is_postgres
from tests.hub.console.test_stats import A, B, _dossier, _id
from tests.support import console_login, scan_pdf

NOW = datetime.now(UTC).replace(microsecond=0)


def _at(delta: timedelta) -> str:
    return (NOW + delta).isoformat()


def _seed(tmp_path: Path, extra: int = 0) -> None:
    """Four dossiers of two wards and two procedures, and ``extra`` plain ones after them."""
    writes = [
        _dossier(
            1,
            A,
            "2026-11-02T02:00:00+00:00",
            4,
            due_at=_at(-timedelta(days=2)),
            applicant={
                "full_name": "Trần Thị Bích",
                "id_number": "046185000123",
                "phone": "+84905123456",
            },
        ),
        _dossier(
            2,
            A,
            "2026-11-20T02:00:00+00:00",
            9,
            procedure_code="1.002",
            applicant={"full_name": "Đặng Văn Đức", "id_number": "046090000777"},
        ),
        _dossier(3, B, "2026-11-25T18:30:00+00:00", 2, due_at=_at(timedelta(days=3))),
        _dossier(4, B, "2026-10-01T02:00:00+00:00", 5, due_at=_at(-timedelta(days=9))),
    ]
    writes += [_dossier(100 + n, B, "2026-09-01T02:00:00+00:00", 10) for n in range(extra)]
    conn = open_store(tmp_path / "hub")
    capture(conn).write_many(writes, actor="admin")
    conn.close()


def _codes(page: str) -> list[str]:
    return re.findall(r'<a href="/console/ho-so/[^"]+">([^<]+)</a>', page)


def _get(hub: FlaskClient, **args: Any) -> tuple[int, str]:
    resp = hub.get("/console/ho-so", query_string=args)
    return resp.status_code, resp.get_data(as_text=True)


@pytest.fixture
def seeded(hub: FlaskClient, tmp_path: Path) -> FlaskClient:
    _seed(tmp_path)
    console_login(hub, tmp_path / "hub")
    return hub


def test_the_list_shows_every_ward_latest_received_first(seeded: FlaskClient) -> None:
    status, page = _get(seeded)
    assert status == 200
    assert _codes(page) == [
        f"W{B}-260301-0003",
        f"W{A}-260301-0002",
        f"W{A}-260301-0001",
        f"W{B}-260301-0004",
    ]
    assert "4 hồ sơ" in page


@pytest.mark.parametrize(
    ("args", "numbers"),
    [
        ({"unit": A}, [2, 1]),
        ({"procedure": "1.002"}, [2]),
        ({"status": "5"}, [4]),
        # Received 26/11 at 01:30 in Huế (18:30 UTC the day before): the local day counts.
        ({"from": "26/11/2026", "to": "26/11/2026"}, [3]),
        ({"from": "01/11/2026", "to": "25/11/2026"}, [2, 1]),
        # Overdue: the clock runs and the due time is past; awaiting a supplement never is.
        ({"overdue": "1"}, [1]),
        ({"unit": B, "status": "2"}, [3]),
    ],
)
def test_the_filters_narrow_the_list(
    seeded: FlaskClient, args: dict[str, str], numbers: list[int]
) -> None:
    status, page = _get(seeded, **args)
    assert status == 200
    units = {1: A, 2: A, 3: B, 4: B}
    assert _codes(page) == [f"W{units[n]}-260301-{n:04d}" for n in numbers]


@pytest.mark.parametrize(
    ("typed", "number", "said"),
    [
        (f"w{A}-260301-0002", 2, "mã hồ sơ"),
        ("046185000123", 1, "số định danh cá nhân"),
        ("0905 123 456", 1, "số điện thoại"),
        ("+84905123456", 1, "số điện thoại"),
        ("tran thi bich", 1, "họ tên người nộp"),
        ("dang van duc", 2, "họ tên người nộp"),
        ("Đức", 2, "họ tên người nộp"),
    ],
)
def test_one_search_box_finds_by_code_cccd_phone_or_name(
    seeded: FlaskClient, typed: str, number: int, said: str
) -> None:
    status, page = _get(seeded, q=typed)
    assert status == 200
    assert _codes(page) == [f"W{A}-260301-{number:04d}"]
    assert f"1 hồ sơ khớp {said}" in page


def test_an_unknown_cccd_finds_nothing_and_says_what_to_try(seeded: FlaskClient) -> None:
    status, page = _get(seeded, q="046185999999")
    assert status == 200
    assert _codes(page) == []
    assert "Không có hồ sơ nào khớp điều kiện tìm" in page


@pytest.mark.parametrize(
    ("args", "field", "words"),
    [
        ({"q": "12345"}, "f-q", "không phải số định danh cá nhân"),
        ({"from": "31/02/2026"}, "f-from", "phải ghi theo dạng ngày/tháng/năm"),
        ({"from": "20/11/2026", "to": "01/11/2026"}, "f-to", "phải cùng ngày hoặc sau"),
        ({"status": "42"}, "f-status", "Hãy chọn trạng thái"),
    ],
)
def test_bad_input_is_refused_in_vietnamese_and_marked(
    seeded: FlaskClient, args: dict[str, str], field: str, words: str
) -> None:
    status, page = _get(seeded, **args)
    assert status == 422
    assert words in page
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page), page


def test_pages_of_fifty_follow_each_other_to_the_end(hub: FlaskClient, tmp_path: Path) -> None:
    _seed(tmp_path, extra=110)
    console_login(hub, tmp_path / "hub")
    seen: list[str] = []
    args: dict[str, str] = {"unit": B}
    for _ in range(5):
        status, page = _get(hub, **args)
        assert status == 200
        seen += _codes(page)
        found = re.search(r'href="/console/ho-so\?cursor=([^"&]+)[^"]*">Trang sau', page)
        if found is None:
            break
        args = {"unit": B, "cursor": unquote(html.unescape(found.group(1)))}
    assert len(seen) == 112 == len(set(seen))
    assert "112 hồ sơ" in page


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "2026-09-01T02:00:00+00:00",  # cut short: no id
        "2026-09-01T02:00:00+00:00~0192' OR 1=1 --",
        "01/09/2026~01920000-0000-7000-8000-000000000000",
    ],
)
def test_a_broken_cursor_is_answered_400_in_words(seeded: FlaskClient, cursor: str) -> None:
    status, page = _get(seeded, cursor=cursor)
    assert status == 400
    assert "Địa chỉ trang sau không hợp lệ" in page
    assert "từ trang đầu" in page


# The list's order is (received_at, id) newest first; each filter must walk an index in that
# order (no sort of every match) so that a page stops at its 51st row (docs/operations.md).
PLANS = [
    ({}, "dossier_received"),
    ({"unit": A}, "dossier_unit_received"),
    ({"status": 4}, "dossier_status_received"),
    ({"procedure_code": "1.002"}, "dossier_procedure_code_received"),
    ({"received_from": "2026-11-01T00:00:00+00:00"}, "dossier_received"),
    ({"overdue_at": NOW.isoformat()}, "dossier_running"),
    ({"overdue_at": NOW.isoformat(), "unit": A}, "dossier_running_unit"),
]


@pytest.mark.parametrize(("fields", "index"), PLANS)
@pytest.mark.parametrize("paged", [False, True])
def test_each_filter_walks_its_index_in_the_lists_order(
    seeded: FlaskClient, tmp_path: Path, fields: dict[str, Any], index: str, paged: bool
) -> None:
    conn = open_store(tmp_path / "hub")
    try:
        query = dossier_search.DossierQuery(**fields)
        clauses, params = query.where(conn)
        if paged:  # the keyset condition of a next page
            clauses.append("received_at <= ? AND (received_at < ? OR id < ?)")
            params += ["2026-11-20T02:00:00+00:00"] * 2 + [_id(2)]
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT id FROM dossier {where} ORDER BY {dossier_search.ORDER} LIMIT 51"
        if is_postgres(conn):
            conn.execute("SET enable_seqscan = off")  # a table of 4 rows: ask for an index
            conn.execute("SET enable_sort = off")
            plan = " ".join(str(r[0]) for r in conn.execute("EXPLAIN " + sql, params))
            assert " Sort " not in f" {plan} ", plan
        else:
            plan = " ".join(str(r[3]) for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
            assert "TEMP B-TREE" not in plan, plan
        assert re.search(rf"\b{index}\b", plan), plan
    finally:
        conn.close()


def test_overdue_reads_due_times_written_with_any_offset(hub: FlaskClient, tmp_path: Path) -> None:
    now = datetime.now(UTC)  # the page judges against the clock, not the module's NOW
    past = (now - timedelta(hours=2)).astimezone(timezone(timedelta(hours=7)))
    future = (now + timedelta(hours=2)).astimezone(timezone(timedelta(hours=-5)))
    writes = [
        _dossier(1, A, "2026-11-02T02:00:00+00:00", 4, due_at=past.isoformat()),
        _dossier(2, A, "2026-11-03T02:00:00+00:00", 2, due_at=future.isoformat()),
        _dossier(3, A, "2026-11-04T02:00:00+00:00", 6, due_at=None),
        # The farthest offsets: 10 minutes late at +14:00 (its text reads 13 h 50 ahead), 10
        # minutes early at -12:00 (its text reads 12 h behind): the instants decide.
        _dossier(4, A, "2026-11-05T02:00:00+00:00", 6, due_at=_offset(now, -10, 14)),
        _dossier(5, A, "2026-11-06T02:00:00+00:00", 4, due_at=_offset(now, 10, -12)),
        # Read from the text alone (26 h behind), and 10 minutes early read 14 h 10 ahead.
        _dossier(6, A, "2026-11-07T02:00:00+00:00", 4, due_at=_offset(now, -14 * 60, -12)),
        _dossier(7, A, "2026-11-08T02:00:00+00:00", 2, due_at=_offset(now, 10, 14)),
    ]
    conn = open_store(tmp_path / "hub")
    capture(conn).write_many(writes, actor="admin")
    conn.close()
    console_login(hub, tmp_path / "hub")
    status, page = _get(hub, overdue="1")
    assert status == 200
    assert _codes(page) == [f"W{A}-260301-{n:04d}" for n in (6, 4, 1)]


def _offset(now: datetime, minutes: int, hours: int) -> str:
    """``now`` and ``minutes``, written at the UTC offset of ``hours``."""
    moment = now + timedelta(minutes=minutes)
    return moment.astimezone(timezone(timedelta(hours=hours))).isoformat()


def test_exact_look_ups_use_their_indexes(seeded: FlaskClient, tmp_path: Path) -> None:
    conn = open_store(tmp_path / "hub")
    try:
        for lookup, value, index in (
            ("id_number", "046185000123", "dossier_applicant_id_number"),
            ("phone", "+84905123456", "dossier_applicant_phone"),
            ("code", f"W{A}-260301-0002", "dossier_code"),
        ):
            clauses, params = dossier_search.DossierQuery(lookup=lookup, value=value).where(conn)
            sql = f"SELECT id FROM dossier WHERE {' AND '.join(clauses)} ORDER BY id DESC"
            if is_postgres(conn):
                conn.execute("SET enable_seqscan = off")  # a table of 4 rows: ask for the index
                plan = " ".join(str(r[0]) for r in conn.execute("EXPLAIN " + sql, params))
            else:
                plan = " ".join(
                    str(r[3]) for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params)
                )
            assert index in plan, plan
            assert [r[0] for r in conn.execute(sql, params)], lookup
    finally:
        conn.close()


def test_a_dossier_opens_with_its_steps_and_its_files_in_the_browser(
    seeded: FlaskClient, tmp_path: Path
) -> None:
    scan = scan_pdf(3000)
    sha = BlobStore(tmp_path / "hub" / "blobs").put(scan)
    conn = open_store(tmp_path / "hub")
    capture(conn).write_many(
        [
            Write(
                "dossier_step",
                _id(50),
                A,
                {
                    "dossier_id": _id(1),
                    "action": "start",
                    "from_status": 2,
                    "to_status": 4,
                    "actor": "canbo",
                    "actor_name": "Lê Văn Cán",
                    "at": "2026-11-02T03:00:00+00:00",
                },
            ),
            Write(
                "attachment",
                _id(51),
                A,
                {
                    "parent_type": "dossier",
                    "parent_id": _id(1),
                    "sha256": sha,
                    "name": "don-de-nghi.pdf",
                    "mime": "application/pdf",
                    "size": len(scan),
                    "uploaded_by": "canbo",
                    "uploaded_at": "2026-11-02T02:05:00+00:00",
                },
            ),
        ],
        actor="admin",
    )
    conn.close()
    page = seeded.get(f"/console/ho-so/{_id(1)}").get_data(as_text=True)
    assert "Trần Thị Bích" in page and "0905 123 456" in page and "046185000123" in page
    assert "Lê Văn Cán" in page
    assert "don-de-nghi.pdf" in page
    with seeded.get(f"/console/ho-so/{_id(1)}/tep/{sha}") as file:
        assert file.status_code == 200
        assert file.data == scan
        assert file.mimetype == "application/pdf"
        assert "attachment" not in file.headers.get("Content-Disposition", "")
    # A file of another dossier is not served under this one.
    assert seeded.get(f"/console/ho-so/{_id(2)}/tep/{sha}").status_code == 404
    assert seeded.get(f"/console/ho-so/{_id(999)}").status_code == 404


def test_the_list_needs_a_console_login(hub: FlaskClient) -> None:
    resp = hub.get("/console/ho-so")
    assert resp.status_code in (302, 303, 401)


def test_the_overdue_filter_agrees_with_the_rule_at_every_offset(
    hub: FlaskClient, tmp_path: Path
) -> None:
    """300 due times within 30 hours of now, written at offsets from -12:00 to +14:00, in
    every status: the filter finds exactly those ``office.is_overdue`` says (docs/domain.md)."""
    rng = random.Random(5)
    writes = []
    for n in range(300):
        offset = timezone(timedelta(minutes=15 * rng.randint(-48, 56)))
        due = (NOW + timedelta(minutes=rng.randint(-30 * 60, 30 * 60))).astimezone(offset)
        writes.append(
            _dossier(
                n + 1,
                A,
                _at(-timedelta(days=1, minutes=n)),
                rng.randint(1, 10),
                due_at=due.isoformat(),
            )
        )
    conn = open_store(tmp_path / "hub")
    try:
        capture(conn).write_many(writes, actor="admin")
        query = dossier_search.DossierQuery(overdue_at=NOW.isoformat())
        found, _next = dossier_search.page(conn, query, limit=400)
        expected = [w.id for w in writes if is_overdue(w.fields, NOW)]
        assert 20 < len(expected) < 280
        assert [d["id"] for d in found] == expected  # received one minute apart, newest first
        assert dossier_search.count(conn, query) == len(expected)
    finally:
        conn.close()


def test_a_rare_name_reads_its_few_ids_first_and_a_common_one_walks_the_list(
    seeded: FlaskClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name nobody has once walked the whole list's index through the table (2.5 s on
    100,000 dossiers); its ids now come from the narrow (_search, id) index on SQLite."""
    conn = open_store(tmp_path / "hub")
    try:
        rare = dossier_search.DossierQuery(lookup="name", value="dang van duc")
        nobody = dossier_search.DossierQuery(lookup="name", value="khong ai co ten nay")
        found = dossier_search.name_ids(conn, rare)
        if is_postgres(conn):  # one scan of the folded text either way: nothing to choose
            assert found.ids is None
        else:
            assert found.ids is not None and len(found.ids) == 1
            assert dossier_search.name_ids(conn, nobody).ids == []
            # More matches than the narrow read keeps: the walk of the list's index instead.
            monkeypatch.setattr(dossier_search, "NAME_SCAN_AT_MOST", 0)
            assert dossier_search.name_ids(conn, rare).ids is None
        monkeypatch.undo()
        for query, expected in ((rare, 1), (nobody, 0)):
            items, _next = dossier_search.page(conn, query)
            assert len(items) == expected
            assert dossier_search.count(conn, query) == expected
    finally:
        conn.close()
