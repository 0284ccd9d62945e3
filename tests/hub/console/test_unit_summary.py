"""A unit's page in the console (``/console/don-vi/<unit>``, docs/operations.md, "A unit's
page"): the summary's sentences (how each node stands and when it last made contact, what
waits, the last day's refusals grouped by reason in words) and the sync log below it, a page
of 25 at a time (``?truoc=<id>``), a broken page address answered 400, on both engines."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from central_hub.store import capture, open_store, sync_history
from central_hub.store.nodes import get_node, record_status
from office import vn_datetime
from sync import SyncError, Write, atomic
from tests.support import console_login
from tests.support.fleet import AGO, CYCLE, seed_fleet, unit_code


@pytest.fixture
def now() -> datetime:
    """The test's moment: taken when it starts (a node's state is judged against the clock)."""
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def fleet(tmp_path: Path, hub: FlaskClient, now: datetime) -> list[str]:
    """Nine units of one node each, node i in the state ``tests.support.fleet.CYCLE[i]``:
    0 in sync, 5 behind, 6 offline, 7 never connected, 8 refused once 9 hours ago."""
    conn = open_store(tmp_path / "hub")
    ids = seed_fleet(conn, tmp_path / "hub", 9, now)
    conn.close()
    console_login(hub, tmp_path / "hub")
    return ids


def _summary(hub: FlaskClient, unit: str) -> tuple[str, list[str]]:
    """The summary's level and its sentences as a reader hears them (mark, word, text)."""
    resp = hub.get(f"/console/don-vi/{unit}")
    assert resp.status_code == 200
    found = re.search(r'<section class="card unit-summary".*?</section>', resp.text, re.S)
    assert found, resp.text
    level = re.search(r'data-level="(\w+)"', found.group(0))
    assert level
    lines = [
        " ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split())
        for item in re.findall(r"<li[^>]*>(.*?)</li>", found.group(0), re.S)
    ]
    # The summary comes first: before the nodes' table and the log.
    assert resp.text.index("unit-summary") < resp.text.index("Nhật ký đồng bộ")
    return level.group(1), lines


def _store(tmp_path: Path):  # type: ignore[no-untyped-def]
    return open_store(tmp_path / "hub")


def test_a_unit_in_sync_says_so_in_three_sentences(
    fleet: list[str], hub: FlaskClient, now: datetime
) -> None:
    level, lines = _summary(hub, unit_code(0))
    seen = vn_datetime((now - AGO["synced"]).isoformat())
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", seen)
    assert level == "ok"
    assert lines == [
        f"● Bình thường: Nút {fleet[0]}: đồng bộ, liên lạc lần cuối {seen}.",
        "● Bình thường: Không có gì đang chờ: máy chủ và các nút đã trao đổi hết.",
        "● Bình thường: Không có yêu cầu nào bị từ chối trong 24 giờ qua.",
    ]


@pytest.mark.parametrize(
    ("i", "level", "start", "end"),
    [
        (5, "warn", "▲ Cần chú ý: Nút {node}: chậm, ", "liên lạc lần cuối {seen}."),
        (6, "error", "✕ Có lỗi: Nút {node}: mất liên lạc từ ", "liên lạc lần cuối {seen}."),
        (7, "warn", "▲ Cần chú ý: Nút {node}: chưa kết nối.", ""),
    ],
)
def test_the_state_and_the_last_contact_of_each_node(
    fleet: list[str], hub: FlaskClient, now: datetime, i: int, level: str, start: str, end: str
) -> None:
    ago = AGO.get(CYCLE[i], timedelta(hours=1 + i % 48))  # as seed_fleet sets it
    seen = vn_datetime((now - ago).isoformat())
    got_level, lines = _summary(hub, unit_code(i))
    assert got_level == level
    assert lines[0].startswith(start.format(node=fleet[i]))
    assert lines[0].endswith(end.format(seen=seen) or ".")
    if not end:
        assert "liên lạc lần cuối" not in lines[0]


def test_what_waits_is_counted_in_words_with_links(
    tmp_path: Path, fleet: list[str], hub: FlaskClient, now: datetime
) -> None:
    unit = unit_code(0)
    conn = _store(tmp_path)
    late = (now - timedelta(days=2)).isoformat()
    capture(conn).write_many(
        [
            Write(
                "dossier",
                f"00000000-0000-7000-8000-{n:012d}",
                unit,
                {
                    "code": f"H57.{unit}-261201-{n:04d}",
                    "procedure_code": "1.001",
                    "applicant": {"full_name": "Lê Văn Tám"},
                    "channel": "in_person",
                    "status": status,
                    "received_at": "2026-11-20T02:00:00+00:00",
                    "due_at": late,
                },
            )
            for n, status in ((1, 4), (2, 2), (3, 10))
        ],
        actor="admin",
    )
    with atomic(conn):
        record_status(
            conn,
            fleet[0],
            {
                "pending_changes": 4,
                "oldest_pending_at": (now - timedelta(hours=2)).isoformat(),
                "schema_version": 1,
                "software": "",
            },
        )
    conn.close()
    level, lines = _summary(hub, unit)
    assert level == "warn"
    waiting = lines[1:-1]
    assert f"● Bình thường: Máy chủ có 3 thay đổi chờ nút {fleet[0]} nhận về." in waiting
    assert (
        f"▲ Cần chú ý: Nút {fleet[0]} báo còn thay đổi chưa gửi lên: 4 · cũ nhất 2 giờ." in waiting
    )
    assert "▲ Cần chú ý: 2 hồ sơ của đơn vị đang quá hạn. Xem danh sách" in waiting
    page = hub.get(f"/console/don-vi/{unit}").text
    assert f'href="/console/thong-ke/qua-han?unit={unit}">Xem danh sách</a>' in page


def _refuse(conn, node_id: str, code: str, message: str, at: datetime) -> None:  # type: ignore[no-untyped-def]
    sync_history.record_refusal(
        conn,
        b"x",
        "push",
        SyncError(message, code=code),
        get_node(conn, node_id),
        now=at.timestamp(),
    )


def test_the_last_days_refusals_are_grouped_by_reason_in_words(
    tmp_path: Path, fleet: list[str], hub: FlaskClient, now: datetime
) -> None:
    node = fleet[0]
    conn = _store(tmp_path)
    too_old = now - timedelta(hours=30)
    _refuse(conn, node, "bad_signature", "Chữ ký không hợp lệ.", too_old)
    for minutes in (60, 120, 180):
        _refuse(
            conn, node, "bad_signature", "Chữ ký không hợp lệ.", now - timedelta(minutes=minutes)
        )
    for minutes in (30, 240):
        _refuse(
            conn, node, "chain_broken", "Chuỗi thay đổi bị đứt.", now - timedelta(minutes=minutes)
        )
    conn.close()
    level, lines = _summary(hub, unit_code(0))
    assert level == "error"
    latest_signature = vn_datetime((now - timedelta(minutes=60)).isoformat())
    latest_chain = vn_datetime((now - timedelta(minutes=30)).isoformat())
    assert lines[-3:] == [
        "✕ Có lỗi: 5 yêu cầu bị từ chối trong 24 giờ qua:",
        f"✕ Có lỗi: 3 lần: Chữ ký không hợp lệ (gần nhất lúc {latest_signature}).",
        f"✕ Có lỗi: 2 lần: Chuỗi thay đổi bị đứt (gần nhất lúc {latest_chain}).",
    ]
    assert not any("bad_signature" in line or "chain_broken" in line for line in lines)
    assert lines[0].endswith(". Lỗi: Chuỗi thay đổi bị đứt.")  # the latest, in words


def test_more_than_five_reasons_are_summed_up(
    tmp_path: Path, fleet: list[str], hub: FlaskClient, now: datetime
) -> None:
    conn = _store(tmp_path)
    for n in range(7):
        _refuse(conn, fleet[0], "refused", f"Lý do thứ {n}.", now - timedelta(minutes=10 + n))
    conn.close()
    _level, lines = _summary(hub, unit_code(0))
    assert "✕ Có lỗi: 7 yêu cầu bị từ chối trong 24 giờ qua:" in lines
    assert sum(line.startswith("✕ Có lỗi: 1 lần: Lý do thứ") for line in lines) == 5
    assert lines[-1] == "✕ Có lỗi: và 2 lý do khác, xem nhật ký bên dưới."


def _log(hub: FlaskClient, unit: str, **args: str) -> tuple[list[int], str | None, bool]:
    """One page of the log: the visits' numbers in it, the ``truoc`` of its "Cũ hơn" link,
    and whether it links back to the newest page."""
    resp = hub.get(f"/console/don-vi/{unit}", query_string=args)
    assert resp.status_code == 200, resp.text
    numbers = [int(n) for n in re.findall(r"<td>Lượt thứ (\d+)</td>", resp.text)]
    older = re.search(r'href="/console/don-vi/[^"?]+\?truoc=(\d+)#nhat-ky">Cũ hơn', resp.text)
    return numbers, older.group(1) if older else None, "« Mới nhất" in resp.text


def test_the_log_pages_from_the_newest_to_the_oldest(
    tmp_path: Path, fleet: list[str], hub: FlaskClient, now: datetime
) -> None:
    node = fleet[0]
    conn = _store(tmp_path)
    record = get_node(conn, node)
    start = (now - timedelta(days=2)).timestamp()
    for n in range(60):
        sync_history.record_visit(
            conn,
            record,
            b"",
            100,
            "push",
            n + 1,
            0.0,
            f"Lượt thứ {n}",
            measure_clock=False,
            now=start + 60 * n,
        )
    conn.close()
    unit = unit_code(0)
    first, older, back = _log(hub, unit)
    assert first == list(range(59, 34, -1)) and older and not back
    second, older2, back = _log(hub, unit, truoc=older)
    assert second == list(range(34, 9, -1)) and older2 and back
    last, older3, back = _log(hub, unit, truoc=older2)
    assert last == list(range(9, -1, -1)) and older3 is None and back
    # A row id past the newest shows the newest rows, not an error.
    assert _log(hub, unit, truoc="999999999999999999")[0] == first


@pytest.mark.parametrize("cursor", ["abc", "-1", "0", "1.5", "12%2045", "9" * 30])
def test_a_broken_log_address_is_answered_400_in_words(
    fleet: list[str], hub: FlaskClient, cursor: str
) -> None:
    resp = hub.get(f"/console/don-vi/{unit_code(0)}?truoc={cursor}")
    assert resp.status_code == 400
    assert "Địa chỉ trang nhật ký đồng bộ không hợp lệ" in resp.text
    assert "Cũ hơn" in resp.text  # what to do instead
    assert hub.get(f"/console/don-vi/khong-co?truoc={cursor}").status_code == 404
