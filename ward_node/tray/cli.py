"""``ward-tray``'s command line: read the settings, install or remove the autostart entry,
poll once (``--once``) or run the tray."""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from datetime import timedelta
from pathlib import Path

from .app import TrayApp
from .client import NodeClient
from .config import _parser, autostart_file, config_dir, install_autostart, settings


def main(argv: list[str] | None = None) -> int:
    """``ward-tray``: run the tray (or install its autostart entry); the exit status."""
    args = _parser().parse_args(argv)
    debug = os.environ.get("WARD_TRAY_DEBUG") == "1"
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO, format="ward-tray: %(message)s"
    )
    if args.uninstall_autostart:
        autostart_file().unlink(missing_ok=True)
        print(f"Đã bỏ tự chạy: {autostart_file()}")
        return 0
    try:
        conf = settings(args)
    except (OSError, ValueError) as exc:
        print(f"ward-tray: {exc}", file=sys.stderr)
        return 2
    if not conf.get("user") or not conf.get("password"):
        print(
            "ward-tray: cần tài khoản của khay: --user (hoặc WARD_TRAY_USER) và mật khẩu "
            "(WARD_TRAY_PASSWORD, --password-file hoặc tệp password trong thư mục cấu hình "
            f"{config_dir()}).",
            file=sys.stderr,
        )
        return 2
    if args.install_autostart and sys.platform == "win32":
        print(
            "ward-tray: trên Windows, hãy tạo lối tắt trong shell:startup (README).",
            file=sys.stderr,
        )
        return 2
    if args.install_autostart:
        keep = ["--node", conf["node"], "--user", conf["user"]]
        if conf.get("password_file"):
            keep += ["--password-file", str(Path(conf["password_file"]).resolve())]
        else:
            print(
                "ward-tray: chú ý: mật khẩu lấy từ WARD_TRAY_PASSWORD; phiên đăng nhập sau cần "
                "biến này, hoặc lưu mật khẩu vào tệp (--password-file).",
                file=sys.stderr,
            )
        if conf.get("ca_bundle"):
            keep += ["--ca-bundle", str(conf["ca_bundle"])]
        if args.interval is not None:
            keep += ["--interval", str(args.interval)]
        if args.offline_alert_minutes is not None:
            keep += ["--offline-alert-minutes", str(args.offline_alert_minutes)]
        print(f"Đã cài tự chạy khi đăng nhập: {install_autostart(keep)}")
        return 0
    client = NodeClient(
        conf["node"], conf["user"], conf["password"], ca_bundle=conf.get("ca_bundle")
    )
    app = TrayApp(
        client,
        interval=float(conf["interval"]),
        offline_alert=timedelta(minutes=float(conf["offline_alert_minutes"])),
    )
    if args.once:
        state = app.poll()
        print(state.tooltip)
        return 0 if state.reachable else 1
    if sys.platform.startswith("linux") and "PYSTRAY_BACKEND" not in os.environ:
        # Chosen explicitly: pystray's own choice hangs without a D-Bus session (FACTS.md).
        os.environ["PYSTRAY_BACKEND"] = "gtk" if importlib.util.find_spec("gi") else "xorg"
    app.run()
    return 0
