"""``user add|list|disable|enable|revoke``: the account commands both command lines have
(docs/operations.md, "Commands"), on the app's store."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from sync import SyncError

from .accounts import accounts_text, add_user, end_sessions, list_users, set_active

Opener = Callable[[argparse.Namespace], sqlite3.Connection]  # the store the command names
Command = Callable[..., argparse.ArgumentParser]  # (name, fn, help, parent=) → its parser


def add_user_commands(
    sub: Any,
    command: Command,
    *,
    roles: tuple[str, ...],
    open_store: Callable[[Path], Any],
    data: Callable[[argparse.Namespace], Path],
) -> None:
    """Add the ``user`` commands to a command line's subcommands ``sub``.

    ``command`` adds one subcommand with the app's common options (``--data``); ``roles`` are
    the app's roles; ``open_store`` opens the store in the folder ``data`` names.
    """

    def opener(args: argparse.Namespace) -> sqlite3.Connection:
        conn: sqlite3.Connection = open_store(data(args))
        return conn

    user = sub.add_parser("user", help="tài khoản").add_subparsers(
        dest="user_command", required=True
    )
    p = command("add", partial(_add, opener, roles), "tạo hoặc đặt lại tài khoản", parent=user)
    p.add_argument("--username", required=True)
    p.add_argument("--role", required=True, choices=roles)
    p.add_argument("--full-name")
    p.add_argument("--password-stdin", action="store_true")
    p = command("list", partial(_list, opener), "liệt kê tài khoản", parent=user)
    p.add_argument("--json", action="store_true")
    p = command(
        "disable",
        partial(_set_active, opener, False),
        "khóa tài khoản (hết mọi phiên và mã)",
        parent=user,
    )
    p.add_argument("--username", required=True)
    p = command(
        "enable", partial(_set_active, opener, True), "mở lại tài khoản đã khóa", parent=user
    )
    p.add_argument("--username", required=True)
    p = command(
        "revoke",
        partial(_revoke, opener),
        "thu hồi mọi mã truy cập và phiên đăng nhập",
        parent=user,
    )
    p.add_argument("--username", required=True)


def read_password(args: argparse.Namespace) -> str:
    """The password given on standard input (``--password-stdin``); never on the command
    line, where other users of the machine could read it."""
    if not args.password_stdin:
        raise SyncError("Hãy đưa mật khẩu qua đầu vào chuẩn với --password-stdin.", code="usage")
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise SyncError("Không đọc được mật khẩu từ đầu vào chuẩn.", code="usage")
    return password


def _add(opener: Opener, roles: tuple[str, ...], args: argparse.Namespace) -> int:
    password = read_password(args)
    conn = opener(args)
    try:
        user = add_user(conn, args.username, password, args.role, roles, args.full_name or "")
    finally:
        conn.close()
    print(f"Đã tạo tài khoản {user.username} ({user.role}).")
    return 0


def _list(opener: Opener, args: argparse.Namespace) -> int:
    conn = opener(args)
    try:
        accounts = list_users(conn)
    finally:
        conn.close()
    print(accounts_text(accounts, args.json))
    return 0


def _set_active(opener: Opener, active: bool, args: argparse.Namespace) -> int:
    conn = opener(args)
    try:
        user = set_active(conn, args.username, active)
    finally:
        conn.close()
    if active:
        print(f"Đã mở lại tài khoản {user.username}.")
    else:
        print(
            f"Đã khóa tài khoản {user.username}; mọi phiên đăng nhập và mã truy cập của nó đã hết."
        )
    return 0


def _revoke(opener: Opener, args: argparse.Namespace) -> int:
    conn = opener(args)
    try:
        tokens = end_sessions(conn, args.username)
    finally:
        conn.close()
    print(
        f"Đã thu hồi {tokens} mã truy cập và mọi phiên đăng nhập của {args.username}; "
        "người dùng phải đăng nhập lại."
    )
    return 0
