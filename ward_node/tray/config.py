"""Configuration and autostart of the tray app (``ward-tray``): where its settings live,
how they are resolved, and the desktop entry that starts it at login."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

from .. import __version__

DEFAULT_NODE = "http://127.0.0.1:8800"


def config_dir() -> Path:
    """``%APPDATA%\\ward-tray`` on Windows, else ``$XDG_CONFIG_HOME/ward-tray``."""
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "ward-tray"
    return _xdg_config() / "ward-tray"


def _xdg_config() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")


def autostart_file() -> Path:
    """Where the desktop session looks for programs to start at login (XDG autostart)."""
    return _xdg_config() / "autostart" / "ward-tray.desktop"


def _exec_arg(arg: str) -> str:
    """One argument of a desktop entry's Exec line, quoted and escaped as the spec asks."""
    arg = arg.replace("%", "%%")
    if arg == "" or re.search(r"[\s\"'\\><~|&;$*?#()`]", arg):
        arg = '"' + re.sub(r'(["`$\\])', r"\\\1", arg) + '"'
    return arg.replace("\\", "\\\\")


def _launcher() -> list[str]:
    """The command that starts this tray: the ``ward-tray`` script, else ``python -m``."""
    me = Path(sys.argv[0])
    if me.name.startswith("ward-tray") and me.exists():
        return [str(me.resolve())]
    found = shutil.which("ward-tray")
    return [str(Path(found).resolve())] if found else [sys.executable, "-m", "ward_node.tray"]


def install_autostart(args: list[str]) -> Path:
    """Write the XDG autostart entry that runs ``ward-tray ARGS`` at login; return its path."""
    path = autostart_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    command = " ".join(_exec_arg(a) for a in [*_launcher(), *args])
    path.write_text(
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=Đồng bộ phường (ward-tray)\n"
        "Comment=Trạng thái đồng bộ của máy chủ phường với máy chủ trung tâm\n"
        f"Exec={command}\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n",
        encoding="utf-8",
    )
    return path


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ward-tray", description="Trạng thái đồng bộ của máy chủ phường, trên khay hệ thống."
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("--node", help=f"địa chỉ máy chủ phường (WARD_TRAY_NODE; {DEFAULT_NODE})")
    p.add_argument("--user", help="tài khoản của khay trên máy chủ phường (WARD_TRAY_USER)")
    p.add_argument("--password-file", help="tệp chứa mật khẩu (WARD_TRAY_PASSWORD_FILE)")
    p.add_argument(
        "--ca-bundle",
        help="tệp PEM chứng chỉ CA của thành phố, khi máy chủ phường chạy https (WARD_TRAY_CA_BUNDLE)",
    )
    p.add_argument("--config", help="tệp cấu hình JSON (mặc định: thư mục cấu hình/config.json)")
    p.add_argument("--interval", type=float, help="số giây giữa hai lần hỏi trạng thái (5)")
    p.add_argument("--offline-alert-minutes", type=float, help="báo khi mất kết nối quá (30)")
    p.add_argument("--once", action="store_true", help="in trạng thái một lần rồi thoát")
    p.add_argument("--install-autostart", action="store_true", help="tự chạy khi đăng nhập")
    p.add_argument("--uninstall-autostart", action="store_true", help="bỏ tự chạy")
    return p


KEYS = ("node", "user", "password_file", "interval", "offline_alert_minutes", "ca_bundle")


def settings(args: argparse.Namespace) -> dict[str, Any]:
    """Defaults, then the config file, then ``WARD_TRAY_*``, then the command line."""
    path = Path(args.config) if args.config else config_dir() / "config.json"
    found: dict[str, Any] = {"node": DEFAULT_NODE, "interval": 5.0, "offline_alert_minutes": 30}
    if path.exists():
        loaded = json.loads(path.read_text(encoding="utf-8"))
        unknown = set(loaded) - set(KEYS)
        if unknown:
            raise ValueError(f"{path}: khóa không biết: {', '.join(sorted(unknown))}")
        found.update(loaded)
    elif args.config:
        raise ValueError(f"không có tệp cấu hình {path}")
    for key in ("node", "user", "password", "password_file", "ca_bundle"):
        if os.environ.get(f"WARD_TRAY_{key.upper()}"):
            found[key] = os.environ[f"WARD_TRAY_{key.upper()}"]
    found.update({k: v for k, v in vars(args).items() if k in KEYS and v is not None})
    default_file = config_dir() / "password"
    if not found.get("password_file") and default_file.exists():
        found["password_file"] = str(default_file)
    if not found.get("password") and found.get("password_file"):
        found["password"] = Path(found["password_file"]).read_text(encoding="utf-8").strip()
    if found.get("ca_bundle"):
        found["ca_bundle"] = str(ca_bundle(str(found["ca_bundle"])))
    return found


def ca_bundle(value: str) -> Path:
    """The CA bundle a ward node served over https is checked against (the city's own CA, as
    the node's ``HUB_CA_BUNDLE`` is for the hub; docs/operations.md, "HTTPS"), as an absolute
    path; :class:`ValueError` saying what to do when it is not a readable PEM file of
    certificates."""
    path = Path(value).expanduser().resolve()
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        raise ValueError(
            f"không đọc được tệp CA {path} ({exc.strerror}); hãy ghi đường dẫn tệp PEM chứng "
            "chỉ CA của thành phố (--ca-bundle)"
        ) from None
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise ValueError(f"tệp CA {path} không chứa chứng chỉ PEM nào (--ca-bundle)")
    return path
