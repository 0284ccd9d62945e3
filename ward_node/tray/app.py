"""The tray itself: polls the ward node's ``GET /api/v1/sync/status`` and shows it as an icon,
a Vietnamese tooltip and, when a person must act, one notification per episode (``state.py``
decides what to show, ``icons.py`` draws it; this module is the pystray glue). The network is
only ever touched from the poll thread and from short-lived action threads: the UI thread never
waits on it.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
import webbrowser
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from .client import BadReply, LoginFailed, NodeClient, NodeUnreachable, NodeUntrusted
from .state import OFFLINE_ALERT, Alert, Episodes, PollFailure, TrayState, tray_state

log = logging.getLogger("ward_tray")


class TrayApp:
    """Polls the node in a thread and shows what it says on a pystray icon."""

    def __init__(
        self,
        client: NodeClient,
        *,
        interval: float = 5.0,
        offline_alert: timedelta = OFFLINE_ALERT,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client, self.interval = client, interval
        self.offline_alert, self.now = offline_alert, now
        self.episodes = Episodes()
        self.icon: Any = None
        first = tray_state(PollFailure("down", "Khay chưa hỏi được máy chủ phường."), now())
        self.state = replace(first, tooltip="Đang kiểm tra đồng bộ…")
        self._wake = threading.Event()
        self._stop = threading.Event()

    # -- polling (never on the UI thread) ----------------------------------------------------

    def poll(self) -> TrayState:
        """Read the node's status once and say what to show; never raises for the network."""
        status: dict[str, Any] | PollFailure
        try:
            status = self.client.status()
        except NodeUntrusted as exc:
            status = PollFailure("certificate", str(exc))
        except NodeUnreachable as exc:
            status = PollFailure("down", str(exc))
        except LoginFailed as exc:
            status = PollFailure("login", str(exc))
        except BadReply as exc:
            status = PollFailure("bad_reply", str(exc))
        return tray_state(status, self.now(), offline_alert=self.offline_alert)

    def show(self, state: TrayState) -> None:
        """Put ``state`` on the icon; notify when an episode starts (pystray queues to its loop)."""
        old, self.state = self.state, state
        alert = self.episodes.notify(state)
        if self.icon is None:
            return
        if (old.mark, old.colour, old.percent, old.count) != (
            state.mark,
            state.colour,
            state.percent,
            state.count,
        ):
            from .icons import icon_for

            self.icon.icon = icon_for(state)
        if old.tooltip != state.tooltip:
            self._set_tooltip(state.tooltip)
        if (old.paused, old.reachable) != (state.paused, state.reachable):
            self.icon.update_menu()
        if alert is not None:
            self.alert(alert)

    def loop(self) -> None:
        """Poll every ``interval`` seconds, or at once when woken, until stopped."""
        while not self._stop.is_set():
            state = self.poll()
            log.debug("poll: %s", state.kind)  # WARD_TRAY_DEBUG=1: one line per poll
            self.show(state)
            self._wake.wait(self.interval)
            self._wake.clear()

    # -- menu actions (on the UI thread: anything slow goes to a thread) -----------------------

    def menu(self) -> Any:
        """The tray menu (pystray), its items enabled from the last state."""
        import pystray

        item, sep = pystray.MenuItem, pystray.Menu.SEPARATOR
        return pystray.Menu(
            item("Mở phần mềm phường", self.open_web, default=True),
            item("Đồng bộ ngay", self.sync_now, enabled=lambda _i: self._can_sync()),
            item(
                lambda _i: "Tiếp tục đồng bộ" if self.state.paused else "Tạm dừng đồng bộ",
                self.toggle_pause,
                enabled=lambda _i: self.state.reachable,
            ),
            item("Xem lỗi gần nhất", self.show_last_error),
            sep,
            item("Thoát", self.quit),
        )

    def _can_sync(self) -> bool:
        return self.state.reachable and not self.state.paused

    def open_web(self, *_: Any) -> None:
        """Open the ward's web app in the default browser."""
        log.info("menu: Mở phần mềm phường")
        threading.Thread(
            target=webbrowser.open, args=(self.client.base_url + "/",), daemon=True
        ).start()

    def sync_now(self, *_: Any) -> None:
        """Ask the node to sync now (``POST /api/v1/sync/run``)."""
        log.info("menu: Đồng bộ ngay")
        self._act("/api/v1/sync/run", "Không yêu cầu đồng bộ được")

    def toggle_pause(self, *_: Any) -> None:
        """Pause the node's background sync, or resume it."""
        resume = self.state.paused
        log.info("menu: %s", "Tiếp tục đồng bộ" if resume else "Tạm dừng đồng bộ")
        path = "/api/v1/sync/resume" if resume else "/api/v1/sync/pause"
        self._act(path, "Không tiếp tục đồng bộ được" if resume else "Không tạm dừng được")

    def _act(self, path: str, failed: str) -> None:
        def work() -> None:
            try:
                self.client.call("POST", path)
            except (NodeUnreachable, LoginFailed, BadReply) as exc:
                self.message(failed, str(exc))
            self._wake.set()  # show the effect at once

        threading.Thread(target=work, name="tray-action", daemon=True).start()

    def show_last_error(self, *_: Any) -> None:
        """The last error in full sentences (a small dialog, or a notification)."""
        log.info("menu: Xem lỗi gần nhất")
        self.message("Lỗi đồng bộ gần nhất", self.state.details)

    def quit(self, *_: Any) -> None:
        """Stop polling and remove the icon."""
        log.info("menu: Thoát")
        self._stop.set()
        self._wake.set()
        if self.icon is not None:
            self.icon.stop()

    # -- what a person sees ------------------------------------------------------------------

    def alert(self, alert: Alert) -> None:
        """A notification that a person must act; a dialog when no notification service runs."""
        log.warning("%s: %s", alert.title, alert.message)
        if _gtk(self.icon):
            _on_gtk_loop(lambda: _gtk_notify(self.icon, alert.title, alert.message))
        elif self.icon is not None:
            self.icon.notify(alert.message, alert.title)

    def message(self, title: str, text: str) -> None:
        """A small dialog (GTK) or a notification (other backends) with ``text``."""
        if _gtk(self.icon):
            _on_gtk_loop(lambda: _gtk_dialog(title, text))
        elif self.icon is not None:
            self.icon.notify(text, title)

    def _set_tooltip(self, text: str) -> None:
        # Windows keeps at most 127 characters of a tooltip.
        self.icon.title = text if len(text) < 128 or _gtk(self.icon) else text[:126] + "…"
        if _gtk(self.icon):
            # pystray's GTK backend sets only the title, which no tray shows on hover.
            status_icon = self.icon._status_icon
            _on_gtk_loop(lambda: _quietly(status_icon.set_tooltip_text, text))

    # -- running -----------------------------------------------------------------------------

    def run(self) -> None:
        """Show the icon and block in pystray's loop until "Thoát"."""
        import pystray

        from .icons import icon_for

        if os.environ.get("PYSTRAY_BACKEND") == "gtk":
            from gi.repository import GLib

            GLib.set_prgname("ward-tray")  # names the menu and dialog windows, as xdotool sees
        self.icon = pystray.Icon(
            "ward-tray", icon_for(self.state), self.state.tooltip, menu=self.menu()
        )

        def setup(icon: Any) -> None:
            icon.visible = True
            self._set_tooltip(self.state.tooltip)
            threading.Thread(target=self.loop, name="tray-poll", daemon=True).start()

        try:
            self.icon.run(setup=setup)
        except Exception as exc:  # GLib.Error at exit when no notification service runs
            log.debug("tray loop ended: %s", exc)


def _gtk(icon: Any) -> bool:
    return getattr(icon, "_status_icon", None) is not None


def _on_gtk_loop(work: Callable[[], object]) -> None:
    from gi.repository import GLib

    def once() -> bool:
        work()
        return False

    GLib.idle_add(once)


def _quietly(call: Callable[..., object], *args: Any) -> None:
    # GtkStatusIcon is deprecated as a whole, yet it is what XEmbed trays (trayer, the
    # Windows-like panels of the ward PCs) show; pystray uses it the same way.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        call(*args)


def _gtk_notify(icon: Any, title: str, text: str) -> None:
    try:
        icon._notifier.notify(title, text, icon._icon_path)
    except Exception:  # no notification service on this desktop: say it in a dialog instead
        _gtk_dialog(title, text)


def _gtk_dialog(title: str, text: str) -> None:
    import gi

    gi.require_version("Gtk", "3.0")
    from gi.repository import Gtk

    dialog = Gtk.MessageDialog(message_type=Gtk.MessageType.INFO, text=title)
    # Our own label, not GTK's stock "Close": the desk PC's locale may well be English.
    dialog.add_button("Đóng", Gtk.ResponseType.CLOSE)
    dialog.format_secondary_text(text)
    dialog.set_title(f"ward-tray — {title}")
    dialog.connect("response", lambda d, _r: d.destroy())
    dialog.show_all()
