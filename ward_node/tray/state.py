"""What the tray shows for a status of the ward node: pure, no pystray, no network.

:func:`tray_state` turns one answer of ``GET /api/v1/sync/status`` (or the failure to get one)
and the current time into a :class:`TrayState`: which of the seven kinds, the Vietnamese
tooltip, the colour and the mark of the icon, and the alert a person should see.
:class:`Episodes` decides when that alert becomes a notification: once per episode, not at
every poll (docs/architecture.md, "How a sync run flows"; issue #5).

Kinds and their marks (``icons.py`` draws them; colour is never the only signal):

=============  ===============================================  =============  ===========
kind           when                                             colour         mark
=============  ===============================================  =============  ===========
synced         the hub acknowledged everything                  green          check
syncing        a run is moving data, or changes wait their turn blue           arrows + arc
offline        the hub cannot be reached (changes wait)         amber          up arrow +
                                                                               count badge
offline_long   the same for longer than the alert threshold     deep orange    cross
error          the hub refused, or the ward's clock is wrong    red            exclamation
                                                                               triangle
paused         staff paused syncing from the tray               blue grey      pause bars
down           the ward node does not answer (not running)      grey           power sign
=============  ===============================================  =============  ===========
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

try:
    from zoneinfo import ZoneInfo

    VIETNAM: tzinfo = ZoneInfo("Asia/Ho_Chi_Minh")
except Exception:  # Windows without the tzdata package: Vietnam has had no DST since 1975
    VIETNAM = timezone(timedelta(hours=7), "ICT")

OFFLINE_ALERT = timedelta(minutes=30)

GREEN = (46, 125, 50)
BLUE = (21, 101, 192)
AMBER = (249, 168, 37)
DEEP_ORANGE = (230, 81, 0)
RED = (198, 40, 40)
BLUE_GREY = (84, 110, 122)
GREY = (117, 117, 117)

#: kind → (colour, mark)
LOOKS: dict[str, tuple[tuple[int, int, int], str]] = {
    "synced": (GREEN, "check"),
    "syncing": (BLUE, "arrows"),
    "offline": (AMBER, "up_arrow"),
    "offline_long": (DEEP_ORANGE, "cross"),
    "error": (RED, "exclamation"),
    "paused": (BLUE_GREY, "pause"),
    "down": (GREY, "power"),
}

#: Why the hub refused, in the tooltip's few words; the full sentence comes from the hub.
REASONS = {
    "clock_ahead": "đồng hồ máy chủ phường sai giờ",
    "revoked": "máy chủ phường đã bị thu hồi quyền đồng bộ",
    "unknown_sender": "máy chủ trung tâm không nhận ra máy chủ phường",
    "bad_signature": "chữ ký của gói dữ liệu không hợp lệ",
    "chain_broken": "sổ thay đổi của phường không khớp với máy chủ trung tâm",
    "ack_mismatch": "sổ thay đổi của phường không khớp với máy chủ trung tâm",
}


@dataclass(frozen=True)
class Alert:
    """Something a person must know; ``key`` names its episode (one notification per key)."""

    key: tuple[str, str]
    title: str
    message: str


@dataclass(frozen=True)
class PollFailure:
    """The tray could not read the status: ``reason`` is ``down``, ``certificate`` (https
    with a certificate it cannot trust), ``login`` or ``bad_reply``."""

    reason: str
    message: str


@dataclass(frozen=True)
class TrayState:
    """Everything the tray shows for one poll."""

    kind: str
    tooltip: str
    colour: tuple[int, int, int]
    mark: str
    percent: int | None = None
    count: int = 0
    alert: Alert | None = None
    #: the last error in full sentences, for the menu's "Xem lỗi gần nhất"
    details: str = ""
    paused: bool = False
    reachable: bool = True


def _parse(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def clock_time(value: datetime, now: datetime) -> str:
    """``10:32`` in Vietnam time; ``10:32 ngày 27/11/2026`` when not today."""
    local, today = value.astimezone(VIETNAM), now.astimezone(VIETNAM).date()
    text = local.strftime("%H:%M")
    return text if local.date() == today else f"{text} ngày {local.strftime('%d/%m/%Y')}"


def duration(seconds: float) -> str:
    """A wait in words: ``dưới 1 phút``, ``37 phút``, ``1 giờ 22 phút``, ``3 ngày 2 giờ``."""
    minutes = int(max(seconds, 0) // 60)
    if minutes < 1:
        return "dưới 1 phút"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} ngày" + (f" {hours} giờ" if hours else "")
    if hours:
        return f"{hours} giờ" + (f" {minutes} phút" if minutes else "")
    return f"{minutes} phút"


def tray_state(
    status: dict[str, Any] | PollFailure,
    now: datetime,
    *,
    offline_alert: timedelta = OFFLINE_ALERT,
) -> TrayState:
    """What to show for ``status`` (the node's JSON, or why it could not be read) at ``now``."""
    if isinstance(status, PollFailure):
        return _down(status)
    pending = int(status.get("pending_changes") or 0)
    oldest = _parse(status.get("oldest_pending_at"))
    waited = f"thay đổi cũ nhất đã chờ {duration((now - oldest).total_seconds())}" if oldest else ""
    waiting = f"{pending} thay đổi chờ gửi"
    progress = status.get("progress") if isinstance(status.get("progress"), dict) else None
    since = _parse(status.get("offline_since"))
    error = status.get("last_error") if isinstance(status.get("last_error"), dict) else None
    state = status.get("state")
    details = _details(status, error, now)

    def make(kind: str, *lines: str, **extra: Any) -> TrayState:
        colour, mark = LOOKS[kind]
        tooltip = "\n".join(line for line in lines if line)
        return TrayState(kind, tooltip, colour, mark, count=pending, details=details, **extra)

    if status.get("paused"):
        first = "Đã tạm dừng đồng bộ" + (f" — {waiting}" if pending else "")
        return make("paused", first, _cap(waited), paused=True)
    if state == "syncing" and progress and progress.get("phase") == "recover":
        return make(
            "syncing",
            "Đang khôi phục dữ liệu từ máy chủ trung tâm",
            "máy phường chạy lại từ bản sao cũ: đang lấy lại những gì đã gửi",
        )
    if state == "syncing" and progress and progress.get("percent") is not None:
        percent = int(progress["percent"])
        second = f"{waiting}, {waited}" if pending and waited else ""
        return make("syncing", f"Đang đồng bộ {percent}%", second, percent=percent)
    if state == "synced":
        success = _parse(status.get("last_success_at"))
        recovery = status.get("recovery") if isinstance(status.get("recovery"), dict) else None
        recovered = _parse((recovery or {}).get("at"))
        note = ""
        if recovered is not None and now - recovered < timedelta(days=1):
            renumbered = len((recovery or {}).get("renumbered") or [])
            note = f"Đã khôi phục dữ liệu lúc {clock_time(recovered, now)}" + (
                f", {renumbered} số hồ sơ/văn bản được cấp lại: xem trang Đồng bộ"
                if renumbered
                else ""
            )
        return make(
            "synced",
            f"Đã đồng bộ lúc {clock_time(success, now)}" if success else "Đã đồng bộ",
            note,
        )
    if state == "offline" or (since is not None and state != "error"):
        # A retry while the link is down reports "syncing": it is still the same outage.
        first = f"Mất kết nối từ {clock_time(since, now)}" if since else "Chưa kết nối được"
        first += f" — {waiting}" if pending else " — không có thay đổi chờ gửi"
        lasting = since is not None and now - since >= offline_alert
        alert = None
        if lasting and since is not None:
            alert = Alert(
                ("offline", since.isoformat()),
                "Phường mất kết nối với máy chủ trung tâm",
                f"Mất kết nối từ {clock_time(since, now)} (đã {duration((now - since).total_seconds())})"
                f", {waiting}. Công việc vẫn được lưu ở phường và sẽ tự gửi khi có mạng; "
                "nếu mạng chưa trở lại, hãy báo cán bộ tin học.",
            )
        return make("offline_long" if lasting else "offline", first, _cap(waited), alert=alert)
    if state == "error" or error is not None:
        # A refusal or a wrong clock does not heal by retrying: a person must act, at once.
        code = str((error or {}).get("code") or "")
        reason = REASONS.get(code) or (
            f"máy chủ trung tâm từ chối ({code})" if code else "xem chi tiết trong menu"
        )
        second = f"{waiting}, {waited}" if pending and waited else (waiting if pending else "")
        alert = Alert(
            ("error", code or "unknown"),
            "Lỗi đồng bộ cần người xử lý",
            str((error or {}).get("message") or "Lần đồng bộ gần nhất bị lỗi.")
            + " Công việc ở phường vẫn được lưu bình thường.",
        )
        return make("error", f"Lỗi đồng bộ: {reason}", second, alert=alert)
    # "syncing" without a percentage: a run is starting, or changes wait for the next run.
    second = _cap(waited) if pending else ""
    return make("syncing", "Đang đồng bộ" + (f" — {waiting}" if pending else ""), second)


def _down(failure: PollFailure) -> TrayState:
    colour, mark = LOOKS["down"]
    if failure.reason == "login":
        tooltip = "Khay không đăng nhập được vào máy chủ phường: sai tài khoản hoặc mật khẩu"
    elif failure.reason == "certificate":
        tooltip = "Khay không tin được chứng chỉ https của máy chủ phường: cần tệp CA của thành phố"
    elif failure.reason == "bad_reply":
        tooltip = "Máy chủ phường trả lời không đúng: có thể địa chỉ --node bị sai"
    else:
        tooltip = "Máy chủ phường không chạy hoặc không trả lời"
    return TrayState("down", tooltip, colour, mark, details=failure.message, reachable=False)


def _details(status: dict[str, Any], error: dict[str, Any] | None, now: datetime) -> str:
    """The last error in sentences, or a line saying there is none."""
    if error is None:
        success = _parse(status.get("last_success_at"))
        if success is None:
            return "Chưa có lỗi nào được ghi nhận."
        return f"Không có lỗi: lần đồng bộ thành công gần nhất lúc {clock_time(success, now)}."
    at = _parse(error.get("at"))
    when = f"Lúc {clock_time(at, now)}: " if at else ""
    code = f" (mã lỗi: {error['code']})" if error.get("code") else ""
    return f"{when}{error.get('message') or 'lỗi không rõ'}{code}"


class Episodes:
    """Turns alerts into notifications, once per episode.

    An episode lasts while the same alert key comes back; it ends when a poll shows no alert
    (the node synced again). ``down`` (nothing can be told) and ``paused`` (a person chose
    it) neither end nor start one.
    """

    def __init__(self) -> None:
        self._current: tuple[str, str] | None = None

    def notify(self, state: TrayState) -> Alert | None:
        """The alert to show now for ``state``, or ``None`` (none, or already shown)."""
        if state.kind in ("down", "paused"):
            return None
        if state.alert is None:
            self._current = None
            return None
        if state.alert.key == self._current:
            return None
        self._current = state.alert.key
        return state.alert
