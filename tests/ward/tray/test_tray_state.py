"""What the tray shows for each status of the ward node (``ward_node/tray/state.py``), the
notifications it raises once per episode, and its HTTP client against a real node app.

Times: ``NOW`` is 10:40 in Huế (03:40 UTC) on 27/11/2026.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.support import PASSWORD, Api, free_port, make_ward_data
from ward_node import create_app
from ward_node.sync_link import SyncWorker
from ward_node.tray import NodeClient, TrayApp
from ward_node.tray.state import (
    AMBER,
    BLUE,
    BLUE_GREY,
    DEEP_ORANGE,
    GREEN,
    GREY,
    RED,
    Episodes,
    PollFailure,
    clock_time,
    duration,
    tray_state,
)

NOW = datetime(2026, 11, 27, 3, 40, tzinfo=UTC)


def utc(hhmm: str, day: int = 27) -> str:
    """An ISO UTC time as the node reports it, from a Huế wall-clock ``HH:MM`` on ``day``."""
    hour, minute = map(int, hhmm.split(":"))
    local = datetime(2026, 11, day, hour, minute, tzinfo=UTC) - timedelta(hours=7)
    return local.isoformat(timespec="seconds")


def status(**fields: Any) -> dict[str, Any]:
    """A ``GET /api/v1/sync/status`` answer (every key ``read_status`` writes, plus ``paused``)."""
    base: dict[str, Any] = {
        "state": "synced",
        "pending_changes": 0,
        "oldest_pending_at": None,
        "last_success_at": utc("10:32"),
        "last_attempt_at": utc("10:32"),
        "offline_since": None,
        "last_error": None,
        "progress": None,
        "hub_clock_offset_ms": 12,
        "clock_warning": None,
        "paused": False,
    }
    base.update(fields)
    return base


UNREACHABLE = {
    "code": "unreachable",
    "message": "Không kết nối được máy chủ trung tâm http://10.46.0.5:8700: máy chủ đang tắt "
    "hoặc đường truyền bị mất. Dữ liệu vẫn lưu ở phường và sẽ gửi khi có mạng.",
    "at": utc("10:39"),
}
CLOCK = {
    "code": "clock_ahead",
    "ahead_s": 420,
    "held": 5,
    "message": "Đồng hồ máy tính của phường đang chạy nhanh hơn giờ của thành phố khoảng 7 phút. "
    "Hãy chỉnh lại giờ trên máy chủ phường hoặc báo cán bộ tin học. 5 thay đổi đã được thành phố "
    "lưu an toàn và sẽ được áp dụng khi đến giờ.",
}
REVOKED = {
    "code": "revoked",
    "message": "Nút phường này đã bị thu hồi; hãy liên hệ quản trị viên thành phố.",
    "at": utc("10:38"),
}


def offline(since: str, pending: int, oldest: str | None, **extra: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "state": "offline",
        "pending_changes": pending,
        "oldest_pending_at": oldest,
        "last_success_at": utc("09:05"),
        "last_attempt_at": utc("10:39"),
        "offline_since": since,
        "last_error": UNREACHABLE,
    }
    return status(**{**fields, **extra})


# -- one state each ----------------------------------------------------------------------------


def test_synced_says_when_the_hub_last_acknowledged() -> None:
    shown = tray_state(status(), NOW)
    assert (shown.kind, shown.mark, shown.colour) == ("synced", "check", GREEN)
    assert shown.tooltip == "Đã đồng bộ lúc 10:32"
    assert shown.alert is None and shown.reachable and not shown.paused


def test_a_recovery_from_an_older_copy_shows_while_it_runs_and_for_a_day_after() -> None:
    running = tray_state(
        status(state="syncing", progress={"phase": "recover", "done": 0, "total": 0}), NOW
    )
    assert running.kind == "syncing"
    assert running.tooltip.startswith("Đang khôi phục dữ liệu từ máy chủ trung tâm")
    recovery = {"at": utc("10:20"), "recovered": 12, "reissued": 3, "renumbered": [{}, {}]}
    after = tray_state(status(recovery=recovery), NOW)
    assert after.kind == "synced"
    assert after.tooltip.splitlines() == [
        "Đã đồng bộ lúc 10:32",
        "Đã khôi phục dữ liệu lúc 10:20, 2 số hồ sơ/văn bản được cấp lại: xem trang Đồng bộ",
    ]
    old = {**recovery, "at": utc("10:20", day=24)}
    assert tray_state(status(recovery=old), NOW).tooltip == "Đã đồng bộ lúc 10:32"


def test_synced_on_another_day_gives_the_date() -> None:
    shown = tray_state(status(last_success_at=utc("16:05", day=25)), NOW)
    assert shown.tooltip == "Đã đồng bộ lúc 16:05 ngày 25/11/2026"


def test_today_is_the_day_in_hue_not_in_utc() -> None:
    # 01:30 on the 27th in Huế is still the 26th in UTC: it is today, no date.
    assert utc("01:30").startswith("2026-11-26T18:30")
    assert tray_state(status(last_success_at=utc("01:30")), NOW).tooltip == "Đã đồng bộ lúc 01:30"


def test_syncing_shows_the_percentage_and_the_oldest_waiting_change() -> None:
    shown = tray_state(
        status(
            state="syncing",
            pending_changes=37,
            oldest_pending_at=utc("10:30"),
            progress={"phase": "push", "done": 450, "total": 1000, "percent": 45},
        ),
        NOW,
    )
    assert (shown.kind, shown.mark, shown.colour, shown.percent) == ("syncing", "arrows", BLUE, 45)
    assert shown.tooltip == "Đang đồng bộ 45%\n37 thay đổi chờ gửi, thay đổi cũ nhất đã chờ 10 phút"
    assert shown.alert is None


def test_a_fresh_change_waiting_for_the_next_run_is_syncing_without_percentage() -> None:
    # read_status turns "synced" with pending changes into "syncing" with no progress.
    shown = tray_state(
        status(state="syncing", pending_changes=2, oldest_pending_at=utc("10:39")), NOW
    )
    assert (shown.kind, shown.percent, shown.count) == ("syncing", None, 2)
    assert shown.tooltip == "Đang đồng bộ — 2 thay đổi chờ gửi\nThay đổi cũ nhất đã chờ 1 phút"


def test_offline_for_a_short_while_shows_what_waits_to_be_sent() -> None:
    shown = tray_state(offline(utc("10:25"), 3, utc("10:20")), NOW)
    assert (shown.kind, shown.mark, shown.colour, shown.count) == ("offline", "up_arrow", AMBER, 3)
    assert shown.tooltip == (
        "Mất kết nối từ 10:25 — 3 thay đổi chờ gửi\nThay đổi cũ nhất đã chờ 20 phút"
    )
    assert shown.alert is None


def test_offline_for_long_says_since_when_and_how_old_the_oldest_change_is() -> None:
    shown = tray_state(offline(utc("09:10"), 37, utc("09:18")), NOW)
    assert (shown.kind, shown.mark, shown.colour) == ("offline_long", "cross", DEEP_ORANGE)
    assert shown.tooltip == (
        "Mất kết nối từ 09:10 — 37 thay đổi chờ gửi\nThay đổi cũ nhất đã chờ 1 giờ 22 phút"
    )
    assert shown.alert is not None
    assert shown.alert.key == ("offline", "2026-11-27T02:10:00+00:00")
    assert shown.alert.message.startswith("Mất kết nối từ 09:10 (đã 1 giờ 30 phút), 37 thay đổi")


def test_offline_since_yesterday_gives_the_date_and_days() -> None:
    shown = tray_state(offline(utc("16:45", day=26), 0, None), NOW)
    assert shown.kind == "offline_long"
    assert shown.tooltip == "Mất kết nối từ 16:45 ngày 26/11/2026 — không có thay đổi chờ gửi"
    assert "(đã 17 giờ 55 phút)" in shown.alert.message  # type: ignore[union-attr]


def test_the_offline_threshold_is_a_setting() -> None:
    shown = tray_state(offline(utc("10:25"), 3, None), NOW, offline_alert=timedelta(minutes=10))
    assert shown.kind == "offline_long" and shown.alert is not None


def test_a_retry_during_an_outage_is_still_the_outage() -> None:
    # Each retry reports "syncing" until it fails: not a reason to show the syncing arrows.
    shown = tray_state(offline(utc("09:10"), 37, utc("09:18"), state="syncing"), NOW)
    assert shown.kind == "offline_long"
    assert shown.tooltip.startswith("Mất kết nối từ 09:10 — 37 thay đổi chờ gửi")


def test_a_refusal_when_the_link_comes_back_is_an_error_not_the_outage() -> None:
    # offline_since is cleared only by a success: the refusal must still show as an error.
    mismatch = {"code": "ack_mismatch", "message": "Sổ thay đổi không khớp.", "at": utc("10:39")}
    shown = tray_state(offline(utc("09:10"), 37, None, state="error", last_error=mismatch), NOW)
    assert shown.kind == "error"
    assert shown.tooltip == (
        "Lỗi đồng bộ: sổ thay đổi của phường không khớp với máy chủ trung tâm\n37 thay đổi chờ gửi"
    )


def test_a_node_that_never_reached_the_hub_is_offline_without_a_time() -> None:
    shown = tray_state(
        status(state="offline", last_success_at=None, last_attempt_at=None, pending_changes=1), NOW
    )
    assert shown.kind == "offline"
    assert shown.tooltip == "Chưa kết nối được — 1 thay đổi chờ gửi"


def test_a_wrong_clock_is_an_error_for_a_person() -> None:
    shown = tray_state(
        status(
            state="error",
            pending_changes=5,
            oldest_pending_at=utc("10:35"),
            last_error={**CLOCK, "at": utc("10:39")},
            clock_warning=CLOCK,
        ),
        NOW,
    )
    assert (shown.kind, shown.mark, shown.colour) == ("error", "exclamation", RED)
    assert shown.tooltip == (
        "Lỗi đồng bộ: đồng hồ máy chủ phường sai giờ\n"
        "5 thay đổi chờ gửi, thay đổi cũ nhất đã chờ 5 phút"
    )
    assert shown.alert is not None and shown.alert.key == ("error", "clock_ahead")
    assert shown.alert.message.startswith("Đồng hồ máy tính của phường đang chạy nhanh")
    assert shown.details.startswith("Lúc 10:39: Đồng hồ máy tính của phường")
    assert shown.details.endswith("(mã lỗi: clock_ahead)")


def test_a_revoked_node_says_so() -> None:
    shown = tray_state(status(state="error", last_error=REVOKED), NOW)
    assert shown.kind == "error"
    assert shown.tooltip == "Lỗi đồng bộ: máy chủ phường đã bị thu hồi quyền đồng bộ"
    assert shown.alert is not None and shown.alert.key == ("error", "revoked")


def test_any_other_refusal_names_its_code() -> None:
    refused = {"code": "out_of_scope", "message": "Thay đổi ngoài phạm vi.", "at": utc("10:38")}
    shown = tray_state(status(state="error", last_error=refused), NOW)
    assert shown.tooltip == "Lỗi đồng bộ: máy chủ trung tâm từ chối (out_of_scope)"


def test_paused_shows_the_pause_mark_and_what_waits() -> None:
    shown = tray_state(
        status(state="syncing", pending_changes=4, oldest_pending_at=utc("10:10"), paused=True),
        NOW,
    )
    assert (shown.kind, shown.mark, shown.colour) == ("paused", "pause", BLUE_GREY)
    assert shown.tooltip == (
        "Đã tạm dừng đồng bộ — 4 thay đổi chờ gửi\nThay đổi cũ nhất đã chờ 30 phút"
    )
    assert shown.paused


@pytest.mark.parametrize(
    ("reason", "tooltip"),
    [
        ("down", "Máy chủ phường không chạy hoặc không trả lời"),
        ("login", "Khay không đăng nhập được vào máy chủ phường: sai tài khoản hoặc mật khẩu"),
        ("bad_reply", "Máy chủ phường trả lời không đúng: có thể địa chỉ --node bị sai"),
    ],
)
def test_when_the_status_cannot_be_read_the_node_is_shown_down(reason: str, tooltip: str) -> None:
    shown = tray_state(PollFailure(reason, "chi tiết"), NOW)
    assert (shown.kind, shown.mark, shown.colour) == ("down", "power", GREY)
    assert shown.tooltip == tooltip
    assert shown.details == "chi tiết" and not shown.reachable


def test_details_without_an_error_say_when_the_last_success_was() -> None:
    assert tray_state(status(), NOW).details == (
        "Không có lỗi: lần đồng bộ thành công gần nhất lúc 10:32."
    )


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0, "dưới 1 phút"),
        (59, "dưới 1 phút"),
        (60, "1 phút"),
        (3600, "1 giờ"),
        (4920, "1 giờ 22 phút"),
        (86400 * 3 + 7200 + 300, "3 ngày 2 giờ"),
        (-5, "dưới 1 phút"),
    ],
)
def test_durations_read_as_words(seconds: int, words: str) -> None:
    assert duration(seconds) == words


def test_clock_time_is_hue_time() -> None:
    assert clock_time(datetime(2026, 11, 27, 2, 10, tzinfo=UTC), NOW) == "09:10"
    assert clock_time(datetime(2026, 11, 25, 23, 0, tzinfo=UTC), NOW) == "06:00 ngày 26/11/2026"


# -- notifications, once per episode ------------------------------------------------------------


def _notified(statuses: list[dict[str, Any] | PollFailure], step: timedelta) -> list[str]:
    episodes, said = Episodes(), []
    for i, value in enumerate(statuses):
        alert = episodes.notify(tray_state(value, NOW + i * step))
        if alert is not None:
            said.append(alert.key[0] + ":" + alert.key[1])
    return said


def test_a_long_outage_is_notified_once_and_a_new_one_again() -> None:
    since = utc("10:00")
    outage = offline(since, 3, utc("10:05"))
    retry = offline(since, 3, utc("10:05"), state="syncing")
    down = PollFailure("down", "tắt")
    later = offline(utc("11:05"), 1, utc("11:06"))
    polls: list[dict[str, Any] | PollFailure] = [
        outage,  # 10:40: 40 minutes, past the 30-minute threshold
        outage,
        retry,
        down,  # the node restarted: nothing can be told, the episode goes on
        outage,
        status(),  # synced again: the episode ends
        later,
        later,
    ]
    said = _notified(polls, timedelta(minutes=10))  # polls at 10:40, 10:50, … 11:50
    assert said == ["offline:2026-11-27T03:00:00+00:00", "offline:2026-11-27T04:05:00+00:00"]


def test_a_short_outage_is_not_notified() -> None:
    assert _notified([offline(utc("10:30"), 2, None)] * 3, timedelta(minutes=1)) == []


def test_an_error_is_notified_once_across_retries_and_again_when_it_changes() -> None:
    clock = status(state="error", last_error={**CLOCK, "at": utc("10:39")}, clock_warning=CLOCK)
    clock_retry = {**clock, "state": "syncing"}
    revoked = status(state="error", last_error=REVOKED)
    said = _notified(
        [clock, clock_retry, clock, {**clock, "paused": True}, clock, revoked, revoked],
        timedelta(minutes=1),
    )
    assert said == ["error:clock_ahead", "error:revoked"]


# -- the glue: polling a real node over HTTP ------------------------------------------------------


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, str]]:
    """A ward node app on a real loopback port, with a (not started) sync worker; its URL."""
    app = create_app({"DATA": str(make_ward_data(tmp_path_factory.mktemp("tray") / "ward"))})
    app.extensions["ward_node"].worker = SyncWorker(
        Path(app.config["DATA"]), interval=3600, backoff_max=2, chunk=100
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def node_url(node: tuple[Flask, str]) -> str:
    return node[1]


def test_the_node_is_shown_down_when_nothing_listens() -> None:
    client = NodeClient(f"http://127.0.0.1:{free_port()}", "officer", PASSWORD, timeout=2)
    shown = TrayApp(client, now=lambda: NOW).poll()
    assert (shown.kind, shown.mark) == ("down", "power")
    assert shown.tooltip == "Máy chủ phường không chạy hoặc không trả lời"
    assert "Không liên lạc được với máy chủ phường" in shown.details


def test_the_tray_logs_in_and_reads_the_real_status(node_url: str) -> None:
    shown = TrayApp(NodeClient(node_url, "officer", PASSWORD), now=lambda: NOW).poll()
    # A node made without a hub has never synced: "offline", nothing waiting.
    assert (shown.kind, shown.reachable) == ("offline", True)
    assert shown.tooltip == "Chưa kết nối được — không có thay đổi chờ gửi"


def test_an_expired_token_is_replaced_without_a_fuss(node_url: str) -> None:
    client = NodeClient(node_url, "officer", PASSWORD)
    client.status()
    client._token = "expired-or-unknown"
    assert client.status()["state"] == "offline"
    assert client._token != "expired-or-unknown"


def test_a_wrong_password_shows_login_and_is_not_retried_at_every_poll(node_url: str) -> None:
    client = NodeClient(node_url, "clerk", "sai-mat-khau")
    app = TrayApp(client, now=lambda: NOW)
    assert app.poll().tooltip.startswith("Khay không đăng nhập được")
    client.password = PASSWORD  # fixed meanwhile: the tray still waits before trying again
    assert app.poll().kind == "down"
    client._login_after = 0
    assert app.poll().kind == "offline"


def test_pause_and_resume_reach_the_node(node: tuple[Flask, str]) -> None:
    app, url = node
    client = NodeClient(url, "officer", PASSWORD)
    assert client.call("POST", "/api/v1/sync/pause") == {"paused": True}
    assert client.status()["paused"] is True
    assert app.extensions["ward_node"].worker.paused is True
    assert tray_state(client.status(), NOW).kind == "paused"
    assert client.call("POST", "/api/v1/sync/resume") == {"paused": False}
    assert client.status()["paused"] is False
    assert app.extensions["ward_node"].worker.paused is False


def test_pause_needs_a_login_and_a_worker(node: tuple[Flask, str]) -> None:
    app = node[0]
    client = app.test_client()
    assert client.post("/api/v1/sync/pause").status_code == 401
    api = Api(client)
    worker, app.extensions["ward_node"].worker = app.extensions["ward_node"].worker, None
    try:
        resp = api.post("/sync/pause")  # SYNC_INTERVAL 0: no worker to pause
    finally:
        app.extensions["ward_node"].worker = worker
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "no_worker"


class FakeIcon:
    """What TrayApp uses of a pystray icon, recording what it was asked."""

    def __init__(self) -> None:
        self.icon: Any = None
        self.title = ""
        self.visible = True
        self.notes: list[tuple[str, str]] = []
        self.menu_updates = 0

    def notify(self, message: str, title: str | None = None) -> None:
        self.notes.append((title or "", message))

    def update_menu(self) -> None:
        self.menu_updates += 1


class Scripted:
    """A NodeClient stand-in answering statuses in turn."""

    base_url = "http://127.0.0.1:8800"

    def __init__(self, answers: list[dict[str, Any]]) -> None:
        self.answers = answers

    def status(self) -> dict[str, Any]:
        return self.answers.pop(0)


def test_the_tray_notifies_once_per_episode_and_redraws_only_on_change() -> None:
    pytest.importorskip("PIL", reason="the tray extra (Pillow) is not installed")
    clock = status(state="error", last_error={**CLOCK, "at": utc("10:39")}, clock_warning=CLOCK)
    answers = [status(), clock, {**clock, "state": "syncing"}, clock, status(paused=True)]
    app = TrayApp(Scripted(answers), now=lambda: NOW)  # type: ignore[arg-type]
    app.icon = icon = FakeIcon()
    images = []
    for _ in range(5):
        app.show(app.poll())
        images.append(icon.icon)
    assert icon.notes == [("Lỗi đồng bộ cần người xử lý", icon.notes[0][1])]
    assert icon.notes[0][1].startswith("Đồng hồ máy tính của phường đang chạy nhanh")
    assert icon.title.startswith("Đã tạm dừng đồng bộ")
    assert images[2] is images[1]  # same look, no redraw
    assert images[4] is not images[3]
    assert icon.menu_updates == 2  # reachable at the first poll, paused at the last
