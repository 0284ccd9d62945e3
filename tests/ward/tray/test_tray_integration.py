"""``ward-tray`` for real: on a virtual X display with a system tray, against a real hub and an
enrolled ward node on loopback ports; and its login autostart entry.

Each tray test starts a fresh ``trayer`` and a tray under ``dbus-run-session`` with the GTK
backend (FACTS.md, "Tray"), finds the icon by its colour in a screenshot of the root window, and
drives the menu as a person would with ``xdotool``: a right click on the icon, then the arrow keys
and Return (GTK skips greyed-out items, as the comments say where it matters). Screenshots are
kept in ``$TMPDIR/ward-tray-shots/`` to look at.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support import (
    PASSWORD,
    Cluster,
    Server,
    env,
    free_port,
    running_cluster,
    token,
    wait_until,
)
from ward_node import tray
from ward_node.tray import config as tray_config
from ward_node.tray.state import AMBER, BLUE_GREY, DEEP_ORANGE, GREEN, GREY

UNIT = "19786"
SHOTS = Path(tempfile.gettempdir()) / "ward-tray-shots"
TOOLS = ("Xvfb", "trayer", "xdotool", "dbus-run-session", "xwininfo")
IMPORT = "/usr/bin/import"  # ImageMagick's; ``convert`` first on PATH may be a stand-in


def _missing() -> str:
    absent = [t for t in TOOLS if shutil.which(t) is None]
    if not Path(IMPORT).exists():
        absent.append(IMPORT)
    if absent:
        return "missing system tools: " + ", ".join(absent) + " (make sysdeps installs them)"
    for module, what in (("gi", "PyGObject"), ("pystray", "pystray"), ("PIL", "Pillow")):
        if importlib.util.find_spec(module) is None:
            return f"{what} is not installed (pip install '.[tray]')"
    return ""


needs_x = pytest.mark.skipif(bool(_missing()), reason=_missing() or "ready")


# -- autostart (no display needed) -------------------------------------------------------------


def test_install_autostart_writes_a_desktop_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.delenv("WARD_TRAY_PASSWORD", raising=False)
    secret = tmp_path / "mật khẩu" / "password"
    secret.parent.mkdir()
    secret.write_text("s3cret-100%\n")
    code = tray.main(
        [
            "--install-autostart",
            "--node",
            "http://10.46.1.20:8800",
            "--user",
            "khay-mot-cua",
            "--password-file",
            str(secret),
        ]
    )
    assert code == 0
    entry = tmp_path / "cfg" / "autostart" / "ward-tray.desktop"
    assert str(entry) in capsys.readouterr().out
    text = entry.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "[Desktop Entry]"
    assert "Type=Application" in lines and "Terminal=false" in lines
    exec_line = next(line for line in lines if line.startswith("Exec="))
    launcher = tray_config._launcher()
    assert Path(launcher[0]).is_absolute() and Path(launcher[0]).exists()
    # The folder name has a space: quoted as the Desktop Entry spec asks.
    assert exec_line == (
        "Exec="
        + " ".join(tray_config._exec_arg(part) for part in launcher)
        + ' --node http://10.46.1.20:8800 --user khay-mot-cua --password-file "'
        + str(secret)
        + '"'
    )
    assert "s3cret" not in text  # the password stays in its file


def test_install_autostart_without_xdg_config_home_uses_dot_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("WARD_TRAY_NODE", raising=False)
    monkeypatch.delenv("WARD_TRAY_PASSWORD_FILE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("WARD_TRAY_USER", "khay")
    monkeypatch.setenv("WARD_TRAY_PASSWORD", "pw")
    assert tray.main(["--install-autostart"]) == 0
    entry = tmp_path / ".config" / "autostart" / "ward-tray.desktop"
    assert " --node http://127.0.0.1:8800 --user khay" in entry.read_text(encoding="utf-8")
    assert tray.main(["--uninstall-autostart"]) == 0
    assert not entry.exists()


def test_exec_arguments_are_escaped_for_desktop_entries() -> None:
    assert tray_config._exec_arg("plain-arg") == "plain-arg"
    assert tray_config._exec_arg("50%") == "50%%"
    assert tray_config._exec_arg('a "b" $c') == '"a \\\\"b\\\\" \\\\$c"'


def test_without_credentials_the_tray_says_what_it_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    for name in ("USER", "PASSWORD", "PASSWORD_FILE", "NODE"):
        monkeypatch.delenv(f"WARD_TRAY_{name}", raising=False)
    assert tray.main(["--once"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ward-tray: cần tài khoản của khay: --user")


def test_the_config_file_gives_node_and_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    for name in ("USER", "PASSWORD", "PASSWORD_FILE", "NODE"):
        monkeypatch.delenv(f"WARD_TRAY_{name}", raising=False)
    folder = tmp_path / "ward-tray"
    folder.mkdir()
    port = free_port()
    (folder / "config.json").write_text(f'{{"node": "http://127.0.0.1:{port}", "user": "khay"}}')
    (folder / "password").write_text("pw\n")
    assert tray.main(["--once"]) == 1  # nothing listens on that port
    assert capsys.readouterr().out.strip() == "Máy chủ phường không chạy hoặc không trả lời"


# -- the real tray on a virtual display --------------------------------------------------------


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A hub and an enrolled ward node, synced once; the node syncs again only when asked."""
    if _missing():
        pytest.skip(_missing())
    with running_cluster(tmp_path_factory.mktemp("tray-cluster"), UNIT, interval=3600) as made:
        server = made.wards[UNIT]
        wait_until(lambda: _status(server)["state"] == "synced", 30, what="first sync")
        yield made


@pytest.fixture
def ward(cluster: Cluster) -> Server:
    """The ward node, synced with the hub running (as a test that stopped it leaves it)."""
    if cluster.hub is None:
        cluster.start_hub()
    return cluster.wards[UNIT]


_HEADERS: dict[str, dict[str, str]] = {}


def _status(server: Server) -> dict[str, Any]:
    headers = _HEADERS.get(server.url) or _HEADERS.setdefault(server.url, token(server.url))
    resp = requests.get(server.url + "/api/v1/sync/status", headers=headers, timeout=5)
    resp.raise_for_status()
    body: dict[str, Any] = resp.json()
    return body


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    """Xvfb on a display number it picks itself (``-displayfd``); ``":N"``."""
    if _missing():
        pytest.skip(_missing())
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    try:
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        assert number, "Xvfb did not start"
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(10)


class Desktop:
    """A tray (trayer) on the display, and helpers to look at it and click on it."""

    def __init__(self, display: str, folder: Path) -> None:
        self.display, self.folder = display, folder
        self.env = env(DISPLAY=display, NO_AT_BRIDGE="1", PYSTRAY_BACKEND="gtk")
        self.procs: list[subprocess.Popen[bytes]] = []
        self.shots = 0
        # A loaded machine (the suite runs in several processes) can take long to map the
        # panel; a trayer that quit (the tray selection still held by the last test's) is
        # started again rather than waited for.
        for _attempt in range(3):
            trayer = self._start(
                ["trayer", "--edge", "top", "--align", "right", "--widthtype", "request",
                 "--height", "32", "--SetDockType", "true", "--transparent", "false",
                 "--tint", "0xffffff"],
                "trayer.log",
            )  # fmt: skip
            wait_until(
                lambda t=trayer: t.poll() is not None or self._panel(), 90, what="trayer's panel"
            )
            if trayer.poll() is None:
                return
            time.sleep(1)
        raise AssertionError(f"trayer quit three times:\n{self._log('trayer.log')}")

    def _panel(self) -> bool:
        return "panel" in self.x("xwininfo", "-root", "-tree")

    def _log(self, name: str) -> str:
        return (self.folder / name).read_text(encoding="utf-8", errors="replace")[-2000:]

    def _start(self, cmd: list[str], log: str, **extra: str) -> subprocess.Popen[bytes]:
        with (self.folder / log).open("ab") as out:
            proc = subprocess.Popen(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**self.env, **extra},
                start_new_session=True,  # its own process group, stopped as one
            )
        self.procs.append(proc)
        return proc

    def start_tray(self, node_url: str, *args: str) -> subprocess.Popen[bytes]:
        """``ward-tray`` under its own D-Bus session, polling ``node_url`` every 0.3 s."""
        cmd = ["dbus-run-session", "--", sys.executable, "-m", "ward_node.tray"]
        cmd += ["--node", node_url, "--user", "canbo", "--interval", "0.3", *args]
        return self._start(
            cmd,
            "tray.log",
            WARD_TRAY_PASSWORD=PASSWORD,
            XDG_CONFIG_HOME=str(self.folder),
            WARD_TRAY_DEBUG="1",  # a log line per poll, to wait on polls instead of time
        )

    def tray_log(self) -> str:
        return (self.folder / "tray.log").read_text(encoding="utf-8", errors="replace")

    def x(self, *cmd: str) -> str:
        done = subprocess.run(cmd, capture_output=True, text=True, env=self.env, timeout=10)
        return done.stdout

    def screenshot(self, name: str) -> Any:
        """The root window as a Pillow image, also saved under ``SHOTS``."""
        from PIL import Image

        SHOTS.mkdir(exist_ok=True)
        self.shots += 1
        path = SHOTS / f"{name}.png"
        subprocess.run([IMPORT, "-window", "root", str(path)], env=self.env, check=True, timeout=20)
        with Image.open(path) as image:
            return image.convert("RGB")

    def find_icon(self, colour: tuple[int, int, int], name: str) -> tuple[int, int] | None:
        """The centre of the icon drawn in ``colour`` in the tray strip, or ``None``."""
        box = self.icon_box(colour, self.screenshot(name))
        return None if box is None else ((box[0] + box[2]) // 2, (box[1] + box[3]) // 2)

    def icon_box(self, colour: tuple[int, int, int], image: Any) -> tuple[int, ...] | None:
        """The bounding box of ``colour`` in the tray strip of ``image``, or ``None``."""
        width = image.size[0]
        strip = image.crop((width - 200, 0, width, 40))
        raw = strip.tobytes()
        hits = [
            (i // 3 % strip.size[0], i // 3 // strip.size[0])
            for i in range(0, len(raw), 3)
            if all(abs(raw[i + k] - colour[k]) <= 20 for k in range(3))
        ]
        if len(hits) < 60:  # a 24–32 px icon has hundreds of such pixels
            return None
        xs, ys = [h[0] for h in hits], [h[1] for h in hits]
        return (width - 200 + min(xs), min(ys), width - 200 + max(xs), max(ys))

    def wait_icon(self, colour: tuple[int, int, int], name: str) -> tuple[int, int]:
        found: tuple[int, int] = wait_until(
            lambda: self.find_icon(colour, name), 15, 0.3, what=f"a {colour} icon in the tray"
        )
        return found

    def menu(self, at: tuple[int, int], *keys: str) -> None:
        """Right-click the icon at ``at``, wait for its menu, then press ``keys``."""
        before = set(self._menus())
        self.x("xdotool", "mousemove", str(at[0]), str(at[1]), "click", "3")
        wait_until(lambda: set(self._menus()) - before, 45, what="the tray menu to open")
        self.x("xdotool", "key", "--delay", "80", *keys)

    def _menus(self) -> list[str]:
        return self.x("xdotool", "search", "--onlyvisible", "--name", "^ward-tray$").split()

    def close(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(10)


@pytest.fixture
def desktop(display: str, tmp_path: Path) -> Iterator[Desktop]:
    """A fresh tray (trayer) per test, as FACTS.md advises."""
    desk = Desktop(display, tmp_path)
    try:
        yield desk
    finally:
        desk.close()


def _changed(server: Server, key: str, before: Any) -> Callable[[], bool]:
    return lambda: _status(server)[key] != before


@needs_x
def test_the_tray_shows_a_synced_ward_and_its_menu_syncs_now(
    ward: Server, desktop: Desktop
) -> None:
    desktop.start_tray(ward.url)
    at = desktop.wait_icon(GREEN, "1-synced")
    assert at[1] < 40 and at[0] > 1024 - 200, "the icon sits in the tray, top right"
    before = _status(ward)["last_attempt_at"]
    # Attempt times are to the second: let one pass, so a new attempt shows.
    wait_until(
        lambda: datetime.now(UTC).isoformat(timespec="seconds") > before, 3, 0.05, what="a second"
    )
    desktop.menu(at, "Down", "Down", "Return")  # 1 "Mở phần mềm phường", 2 "Đồng bộ ngay"
    wait_until(_changed(ward, "last_attempt_at", before), 45, 0.2, what="the node to sync")
    wait_until(lambda: _status(ward)["state"] == "synced", 45, 0.2, what="synced again")
    assert "menu: Đồng bộ ngay" in desktop.tray_log()
    desktop.wait_icon(GREEN, "2-synced-again")


@needs_x
def test_pause_and_resume_from_the_menu(ward: Server, desktop: Desktop) -> None:
    tray_proc = desktop.start_tray(ward.url)
    at = desktop.wait_icon(GREEN, "3-before-pause")
    desktop.menu(at, "Down", "Down", "Down", "Return")  # 3 "Tạm dừng đồng bộ"
    wait_until(lambda: _status(ward)["paused"] is True, 45, 0.2, what="the node to pause")
    at = desktop.wait_icon(BLUE_GREY, "4-paused")
    # While paused "Đồng bộ ngay" is greyed out and skipped: two steps reach "Tiếp tục".
    desktop.menu(at, "Down", "Down", "Return")
    wait_until(lambda: _status(ward)["paused"] is False, 45, 0.2, what="the node to resume")
    at = desktop.wait_icon(GREEN, "5-resumed")
    desktop.menu(at, "Up", "Return")  # the last item: "Thoát"
    assert wait_until(lambda: tray_proc.poll() is not None, 45, what="the tray to quit")
    assert tray_proc.returncode == 0, desktop.tray_log()
    log = desktop.tray_log()
    assert "menu: Tạm dừng đồng bộ" in log and "menu: Tiếp tục đồng bộ" in log
    assert "menu: Thoát" in log and "Traceback" not in log


@needs_x
def test_a_node_that_is_not_running_shows_grey_and_explains(desktop: Desktop) -> None:
    desktop.start_tray(f"http://127.0.0.1:{free_port()}")
    at = desktop.wait_icon(GREY, "6-node-down")
    # Nothing reachable: "Đồng bộ ngay" and "Tạm dừng" are greyed out, so two steps reach
    # "Xem lỗi gần nhất", which opens a small dialog.
    desktop.menu(at, "Down", "Down", "Return")
    name = "ward-tray — Lỗi đồng bộ gần nhất"
    window = wait_until(
        lambda: desktop.x("xdotool", "search", "--onlyvisible", "--name", name).split(),
        10,
        what="the last-error dialog",
    )[0]
    geometry = dict(
        line.split("=", 1)
        for line in desktop.x("xdotool", "getwindowgeometry", "--shell", window).split()
    )
    centre = (int(geometry["X"]) + int(geometry["WIDTH"]) // 2, int(geometry["Y"]) + 20)
    # Painted (not the black root any more) before the picture is kept to look at.
    wait_until(
        lambda: desktop.screenshot("7-last-error-dialog").getpixel(centre) != (0, 0, 0),
        10,
        0.2,
        what="the dialog to paint",
    )


def _dialogs(desktop: Desktop, name: str) -> list[str]:
    return desktop.x("xdotool", "search", "--onlyvisible", "--name", name).split()


@needs_x
def test_an_outage_shows_the_waiting_changes_then_alerts_once(
    cluster: Cluster, ward: Server, desktop: Desktop
) -> None:
    headers = token(ward.url)
    procedure = requests.get(ward.url + "/api/v1/procedures", headers=headers, timeout=10).json()
    resp = requests.post(
        ward.url + "/api/v1/dossiers",
        headers=headers,
        timeout=10,
        json={
            "procedure_code": procedure["items"][0]["code"],
            "applicant": {
                "full_name": "Trần Thị Hồng Nhung",
                "id_number": "046190004567",
                "phone": "0905123456",
                "address": "12 Chi Lăng, phường Phú Hội, Huế",
            },
            "channel": "in_person",
        },
    )
    assert resp.status_code == 201, resp.text
    cluster.stop_hub()
    requests.post(ward.url + "/api/v1/sync/run", headers=headers, timeout=10)
    wait_until(lambda: _status(ward)["state"] == "offline", 45, 0.2, what="the node offline")
    pending = _status(ward)["pending_changes"]
    assert pending > 0

    first = desktop.start_tray(ward.url)
    desktop.wait_icon(AMBER, "8-offline-badge")
    image = desktop.screenshot("8-offline-badge")
    box = desktop.icon_box(AMBER, image)
    assert box is not None
    # The badge sits in the icon's lower right: dark, with the count in white strokes.
    x0, y0, x1, y1 = box
    corner = image.crop(((x0 + x1) // 2, (y0 + y1) // 2, x1 + 1, y1 + 1)).convert("L")
    shades = corner.tobytes()
    assert sum(1 for v in shades if v < 60) > 10, "no dark badge"
    assert sum(1 for v in shades if v > 200) > 3, "no number in the badge"
    desktop.menu(desktop.wait_icon(AMBER, "8-offline-badge"), "Up", "Return")  # "Thoát"
    wait_until(lambda: first.poll() is not None, 45, what="the first tray to quit")

    # Past the threshold (0 minutes here): the long-outage icon, and one alert. Without a
    # notification service on this D-Bus session the alert comes as a small dialog.
    desktop.start_tray(ward.url, "--offline-alert-minutes", "0")
    desktop.wait_icon(DEEP_ORANGE, "9-offline-long")
    title = "ward-tray — Phường mất kết nối với máy chủ trung tâm"
    wait_until(lambda: _dialogs(desktop, title), 45, what="the outage alert")
    # Five more polls of the same outage: none may alert again.
    polls = desktop.tray_log().count("poll: ")
    wait_until(lambda: desktop.tray_log().count("poll: ") >= polls + 5, 30, what="5 more polls")
    assert len(_dialogs(desktop, title)) == 1
    assert desktop.tray_log().count("Phường mất kết nối với máy chủ trung tâm:") == 1
    desktop.screenshot("10-offline-alert")
