"""``central-hub``: init, serve, enroll, revoke, user add/list/disable/enable/revoke, demo
(docs/operations.md, "Commands")."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from office import vn_datetime
from sync import RELEASE, SyncError, atomic, get_meta, set_meta
from webapp import (
    add_backup_commands,
    add_log_options,
    add_user_commands,
    background_workers,
    command_adder,
    load_settings,
    log_settings,
    run_command,
)

from . import nodes
from .settings import PREFIX, SETTINGS
from .setup import init_hub, load_keys
from .store import ROLES, engine, open_store, use_database

DEFAULT_PORT = 8700


def _data(args: argparse.Namespace) -> Path:
    """The data folder a command names; its ``--database-url``, when given, becomes the
    store of that folder's hub for this process (central_hub/store/engine.py)."""
    data = Path(args.data or os.environ.get("CENTRAL_HUB_DATA") or "./hub-data")
    if getattr(args, "database_url", None):
        use_database(data, args.database_url)
    return data


def _backup_data(args: argparse.Namespace) -> Path:
    data = _data(args)
    if engine(data).kind == "postgresql":
        raise SyncError(
            "Kho của máy chủ này nằm trên PostgreSQL: hãy sao lưu cơ sở dữ liệu bằng pg_dump "
            "hoặc pg_basebackup, và thư mục dữ liệu (khóa, tệp đính kèm) bằng công cụ sao lưu "
            'tệp (docs/backup.md, "PostgreSQL").',
            code="backup_postgresql",
        )
    return data


def cmd_init(args: argparse.Namespace) -> None:
    fingerprint = init_hub(_data(args), name=args.name, unit=args.unit)
    print(f"Đã tạo máy chủ trung tâm trong {_data(args)}. Dấu vân tay khóa: {fingerprint}")


def cmd_serve(args: argparse.Namespace) -> None:
    from webapp import configure_logging, limit_malloc_arenas, serve

    limit_malloc_arenas()

    from . import create_app

    data = _data(args)
    config: dict[str, Any] = {"DATA": str(data), **log_settings(args)}
    settings = load_settings(SETTINGS, PREFIX, config)
    configure_logging(settings["LOG_LEVEL"], settings["LOG_FORMAT"])
    load_keys(data)
    url = f"http://{args.host}:{args.port}"
    conn = open_store(data)
    with atomic(conn):
        set_meta(conn, "listen_url", url)
    conn.close()
    app = create_app(config, start_dispatcher=True)
    print(f"Máy chủ trung tâm đang chạy tại {url}", flush=True)
    serve(
        app,
        host=args.host,
        port=args.port,
        threads=args.threads,
        ident="wardsync-hub",
        background=background_workers(app),
        reuse_port=args.reuse_port,
    )


def cmd_enroll(args: argparse.Namespace) -> None:
    data = _data(args)
    keys = load_keys(data)
    conn = open_store(data)
    try:
        url = (
            args.hub_url
            or os.environ.get("CENTRAL_HUB_PUBLIC_URL")
            or get_meta(conn, "listen_url")
            or f"http://127.0.0.1:{DEFAULT_PORT}"
        )
        token = nodes.make_token(
            conn,
            unit=args.unit,
            name=args.name or args.unit,
            hub_url=url,
            hub_keys=keys,
            hours=args.hours,
        )
    finally:
        conn.close()
    print(token)


def cmd_enrollment_list(args: argparse.Namespace) -> None:
    conn = open_store(_data(args))
    try:
        tokens = nodes.pending_tokens(conn)
    finally:
        conn.close()
    if not tokens:
        print("Không có mã đăng ký nào chưa dùng.")
    for t in tokens:
        print(
            f"{t['id']}  {t['unit']}  {t['unit_name']}  máy: {t['name']}  "
            f"tạo {vn_datetime(t['created_at'])}  hết hạn {vn_datetime(t['expires_at'])}"
        )


def cmd_enrollment_cancel(args: argparse.Namespace) -> None:
    conn = open_store(_data(args))
    try:
        token = nodes.cancel_token(conn, args.id)
    finally:
        conn.close()
    print(f"Đã hủy mã đăng ký số {token['id']} của đơn vị {token['unit']}.")


def cmd_revoke(args: argparse.Namespace) -> None:
    conn = open_store(_data(args))
    try:
        ids = nodes.revoke_unit(conn, args.unit, args.reason or "")
    finally:
        conn.close()
    print(f"Đã thu hồi {len(ids)} nút của đơn vị {args.unit}: {', '.join(ids)}")


def cmd_import_changes(args: argparse.Namespace) -> None:
    from .protocol import transfer

    ack_out = Path(args.ack_out) if args.ack_out else None
    with transfer.open_hub(_data(args)) as ctx:
        results = transfer.import_changes(ctx, Path(args.file), ack_out=ack_out)
    if not results:
        print("Tệp không có thay đổi nào.")
    for r in results:
        print(
            f"Nút {r.node_id} (đơn vị {r.unit}): đã ghi nhận đến thay đổi số {r.acked_seq} "
            f"({r.new} thay đổi mới); xác nhận cho phường ghi vào {r.ack_path}"
        )


def cmd_export_changes(args: argparse.Namespace) -> None:
    from .protocol import transfer

    with transfer.open_hub(_data(args)) as ctx:
        r = transfer.export_changes(ctx, args.unit, Path(args.out), since=args.since)
    print(
        f"Đã ghi {r.entries} thay đổi cho nút {r.node_id} (đơn vị {r.unit}), vị trí "
        f"{r.since}–{r.next_cursor}, kèm xác nhận đến thay đổi số {r.acked_seq}, vào {r.path}"
    )


def cmd_demo(args: argparse.Namespace) -> None:
    from .demo import run_demo

    run_demo(wards=args.wards, data=Path(args.data or "./demo-data"), port=args.port)


def _version() -> str:
    # This release: the package's version, which a test holds equal to it (sync/compat.py).
    return RELEASE


def build_parser() -> argparse.ArgumentParser:
    """The ``central-hub`` command line."""
    parser = argparse.ArgumentParser(prog="central-hub", description="Máy chủ trung tâm wardsync")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    add_command = command_adder(sub, "thư mục dữ liệu (mặc định $CENTRAL_HUB_DATA hoặc ./hub-data)")

    def command(name: str, fn: Any, help_: str, parent: Any = sub) -> argparse.ArgumentParser:
        p = add_command(name, fn, help_, parent=parent)
        p.add_argument(
            "--database-url",
            help="kho trên PostgreSQL (postgresql://...; mặc định $CENTRAL_HUB_DATABASE_URL, "
            "hoặc tệp SQLite trong thư mục dữ liệu)",
        )
        return p

    p = command("init", cmd_init, "tạo máy chủ trung tâm mới")
    p.add_argument("--name", default="Máy chủ trung tâm thành phố Huế")
    p.add_argument("--unit", default="H57")
    p = command("serve", cmd_serve, "chạy máy chủ")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument(
        "--reuse-port",
        action="store_true",
        help="cho phép nhiều tiến trình máy chủ cùng mở một cổng (Linux; kho trên PostgreSQL)",
    )
    add_log_options(p)
    p = command("enroll", cmd_enroll, "tạo mã đăng ký một lần cho một đơn vị")
    p.add_argument("--unit", required=True)
    p.add_argument("--name")
    p.add_argument("--hub-url", help="địa chỉ máy chủ mà nút sẽ dùng")
    p.add_argument("--hours", type=int, default=72, help="hiệu lực của mã (giờ)")
    enrollment = sub.add_parser("enrollment", help="mã đăng ký nút chưa dùng").add_subparsers(
        dest="enrollment_command", required=True
    )
    command("list", cmd_enrollment_list, "liệt kê mã đăng ký chưa dùng", parent=enrollment)
    p = command("cancel", cmd_enrollment_cancel, "hủy một mã đăng ký chưa dùng", parent=enrollment)
    p.add_argument("id", help="số của mã (cột đầu của 'enrollment list')")
    p = command("revoke", cmd_revoke, "thu hồi quyền đồng bộ các nút của một đơn vị")
    p.add_argument("--unit", required=True)
    p.add_argument("--reason", default="")
    add_user_commands(sub, command, roles=ROLES, open_store=open_store, data=_data)
    p = command("import-changes", cmd_import_changes, "nhập tệp thay đổi do nút phường xuất")
    p.add_argument("file", help="tệp do 'ward-node export-changes' ghi")
    p.add_argument("--ack-out", help="tệp xác nhận cho phường (mặc định FILE.ack)")
    p = command("export-changes", cmd_export_changes, "ghi ra tệp các thay đổi gửi một phường")
    p.add_argument("--unit", required=True, help="mã đơn vị nhận")
    p.add_argument("--out", required=True, help="tệp sẽ ghi")
    p.add_argument("--since", type=int, help="vị trí bắt đầu (mặc định: vị trí nút nhận lần cuối)")
    p = command("demo", cmd_demo, "chạy thử: máy chủ và các phường trên máy này")
    p.add_argument("--wards", type=int, default=27)
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    # The hub may go on serving while it is copied: the store's snapshot is consistent.
    add_backup_commands(
        command,
        data=_backup_data,
        store="hub.sqlite3",
        app="central-hub",
        version=_version,
        restored="Các nút phường sẽ tự gửi lại những gì máy chủ đã mất sau lúc sao lưu.",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; errors are one line on stderr and a non-zero exit."""
    return run_command(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
