"""What both command lines (``central-hub``, ``ward-node``) share: a subcommand with the
app's ``--data`` option, ``backup`` and ``restore`` (docs/backup.md), and running a command
with errors told in one Vietnamese line and an exit status (docs/operations.md,
"Commands"). The account commands are ``usercli.py``'s."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from sync import SyncError, TransportError, private_umask

from .usercli import Command


def command_adder(sub: Any, data_help: str) -> Command:
    """A function adding one subcommand to ``sub`` with the app's ``--data`` option:
    ``command(name, fn, help, parent=sub)`` returns its parser."""

    def command(name: str, fn: Any, help_: str, parent: Any = sub) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = parent.add_parser(name, help=help_)
        p.add_argument("--data", help=data_help)
        p.set_defaults(fn=fn)
        return p

    return command


def add_backup_commands(
    command: Command,
    *,
    data: Callable[[argparse.Namespace], Path],
    store: str,
    app: str,
    version: Callable[[], str],
    restored: str,
    lock: Callable[[Path], AbstractContextManager[Any]] | None = None,
) -> None:
    """Add ``backup`` (or ``backup --verify``) and ``restore`` for the app whose store file is
    ``store`` in the folder ``data`` names; ``lock`` is held while the copy is made, and
    ``restored`` is the sentence that tells what happens after a restore."""

    def cmd_backup(args: argparse.Namespace) -> int:
        from sync import backup

        if args.verify:
            problems = backup.verify(Path(args.verify))
            if problems:
                raise SyncError("Bản sao lưu hỏng: " + "; ".join(problems), code="backup_broken")
            print("Bản sao lưu dùng được: " + backup.summary(backup.manifest_of(Path(args.verify))))
            return 0
        if not args.out:
            raise SyncError(
                "Hãy cho biết thư mục sẽ ghi bản sao lưu (--out) hoặc bản cần kiểm tra (--verify)."
            )
        folder = data(args)
        with lock(folder) if lock else nullcontext():
            manifest = backup.backup(
                folder, Path(args.out), store=store, app=app, version=version()
            )
        print(f"Đã sao lưu {folder} vào {args.out} và kiểm tra xong: {backup.summary(manifest)}")
        return 0

    def cmd_restore(args: argparse.Namespace) -> int:
        from sync import backup

        manifest = backup.restore(Path(args.from_), data(args))
        print(
            f"Đã khôi phục {data(args)} từ bản sao lưu {args.from_} "
            f"({backup.summary(manifest)}). {restored}"
        )
        return 0

    p = command(
        "backup", cmd_backup, "sao lưu thư mục dữ liệu (đang chạy vẫn sao lưu được), rồi kiểm tra"
    )
    p.add_argument("--out", help="thư mục mới sẽ chứa bản sao lưu")
    p.add_argument("--verify", metavar="FOLDER", help="chỉ kiểm tra một bản sao lưu đã có")
    p = command("restore", cmd_restore, "khôi phục thư mục dữ liệu (trống) từ một bản sao lưu")
    p.add_argument("--from", dest="from_", required=True, help="thư mục bản sao lưu")


def run_command(parser: argparse.ArgumentParser, argv: list[str] | None) -> int:
    """Parse ``argv`` and run the command it names; errors are one line on stderr and a
    non-zero exit (2: the hub could not be reached; 1: refused or failed; 130: interrupted)."""
    args = parser.parse_args(argv)
    private_umask()  # everything this process writes is its owner's alone
    try:
        code = args.fn(args)
        return int(code or 0)
    except TransportError as exc:
        print(f"Lỗi: {exc.message}", file=sys.stderr)
        return 2
    except SyncError as exc:
        print(f"Lỗi: {exc.message}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
