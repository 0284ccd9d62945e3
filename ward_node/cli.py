"""``ward-node``: init, serve, sync, status, user add/list/disable/enable/revoke
(docs/operations.md, "Commands")."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from sync import read_status, sync_lock
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

from . import __version__
from .settings import PREFIX, SETTINGS, hub_link
from .store import ROLES, open_store
from .sync_link import (
    export_changes,
    import_changes,
    init_node,
    node_summary,
    rotate_keys,
    run_sync,
)

DEFAULT_PORT = 8800


def _data(args: argparse.Namespace) -> Path:
    return Path(args.data or os.environ.get("WARD_NODE_DATA") or "./ward-data")


def cmd_init(args: argparse.Namespace) -> int:
    data = _data(args)
    settings = load_settings(SETTINGS, PREFIX, {"DATA": str(data)})
    link = hub_link(settings)
    node_id = init_node(
        data, unit=args.unit, hub_url=args.hub, token=args.token, ca_bundle=link.get("ca_bundle")
    )
    print(f"Đã đăng ký nút {node_id} cho đơn vị {args.unit} với máy chủ {args.hub}.")
    report = run_sync(data, deadlines=link)
    print(f"Đồng bộ lần đầu xong: nhận {report.pulled} thay đổi từ máy chủ trung tâm.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from webapp import configure_logging, limit_malloc_arenas, serve

    limit_malloc_arenas()

    from . import create_app

    config: dict[str, Any] = {"DATA": str(_data(args)), **log_settings(args)}
    if args.sync_interval is not None:
        config["SYNC_INTERVAL"] = args.sync_interval
    settings = load_settings(SETTINGS, PREFIX, config)
    configure_logging(settings["LOG_LEVEL"], settings["LOG_FORMAT"])
    app = create_app(config, start_worker=True)
    print(f"Nút phường đang chạy tại http://{args.host}:{args.port}", flush=True)
    serve(
        app,
        host=args.host,
        port=args.port,
        threads=args.threads,
        ident="wardsync-ward",
        background=background_workers(app),
    )
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    settings = load_settings(SETTINGS, PREFIX, {"DATA": str(_data(args))})
    report = run_sync(_data(args), chunk=int(settings["SYNC_CHUNK"]), deadlines=hub_link(settings))
    print(f"Đã đồng bộ: gửi {report.pushed}, nhận {report.pulled} thay đổi.")
    return 0


def cmd_rotate_keys(args: argparse.Namespace) -> int:
    data = _data(args)
    link = hub_link(load_settings(SETTINGS, PREFIX, {"DATA": str(data)}))  # the hub's CA too
    with sync_lock(data, wait=120):
        fingerprint = rotate_keys(data, deadlines=link)
    print(f"Đã đổi khóa của nút; dấu vân tay mới: {fingerprint}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    data = _data(args)
    summary = node_summary(data)
    conn = open_store(data)
    try:
        status = read_status(conn)
    finally:
        conn.close()
    if args.json:
        print(json.dumps({**summary, **status}, ensure_ascii=False, indent=2))
        return 0
    words = {
        "synced": "đã đồng bộ",
        "syncing": "đang đồng bộ / có thay đổi chờ gửi",
        "offline": "mất kết nối với máy chủ trung tâm",
        "error": "lỗi đồng bộ",
    }
    print(f"Nút {summary['node_id']} (đơn vị {summary['unit']}), máy chủ {summary['hub']}")
    print(f"Trạng thái: {words.get(status['state'], status['state'])}")
    print(f"Thay đổi chờ gửi: {status['pending_changes']}")
    if status["last_success_at"]:
        print(f"Đồng bộ thành công gần nhất: {status['last_success_at']}")
    if status["last_error"]:
        print(f"Lỗi gần nhất: {status['last_error']['message']}")
    return 0


def cmd_export_changes(args: argparse.Namespace) -> int:
    data = _data(args)
    settings = load_settings(SETTINGS, PREFIX, {"DATA": str(data)})
    r = export_changes(data, Path(args.out), chunk=int(settings["SYNC_CHUNK"]))
    if not r.changes:
        print(f"Không có thay đổi nào chờ gửi; đã ghi tệp rỗng {r.path}.")
        return 0
    print(
        f"Đã ghi {r.changes} thay đổi chờ gửi (số {r.seq_from}–{r.seq_to}, {r.envelopes} gói) "
        f"vào {r.path}; chúng vẫn chờ đến khi có xác nhận của máy chủ trung tâm."
    )
    return 0


def cmd_import_changes(args: argparse.Namespace) -> int:
    r = import_changes(_data(args), Path(args.file))
    print(
        f"Đã nhập: máy chủ xác nhận đến thay đổi số {r.acked_seq} ({r.newly_acked} mới), "
        f"còn {r.pending} chờ gửi; nhận {r.applied} thay đổi ({r.skipped} đã có), "
        f"vị trí nhận {r.pull_cursor}."
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``ward-node`` command line."""
    parser = argparse.ArgumentParser(prog="ward-node", description="Nút phường wardsync")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    command = command_adder(sub, "thư mục dữ liệu (mặc định $WARD_NODE_DATA hoặc ./ward-data)")

    p = command("init", cmd_init, "đăng ký nút với máy chủ trung tâm và đồng bộ lần đầu")
    p.add_argument("--unit", required=True, help="mã đơn vị, ví dụ 19786")
    p.add_argument(
        "--hub", required=True, help="địa chỉ máy chủ trung tâm, ví dụ http://10.0.0.5:8700"
    )
    p.add_argument("--token", required=True, help="mã đăng ký một lần do quản trị viên cấp")
    p = command("serve", cmd_serve, "chạy ứng dụng web và đồng bộ nền")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--sync-interval", type=float, help="số giây giữa hai lần đồng bộ")
    add_log_options(p)
    command("sync", cmd_sync, "đồng bộ ngay một lần (gửi rồi nhận)")
    command("rotate-keys", cmd_rotate_keys, "đổi khóa của nút (không mất thay đổi đang chờ)")
    p = command("status", cmd_status, "trạng thái đồng bộ")
    p.add_argument("--json", action="store_true")
    add_user_commands(sub, command, roles=ROLES, open_store=open_store, data=_data)
    p = command("export-changes", cmd_export_changes, "ghi ra tệp các thay đổi chưa gửi")
    p.add_argument("--out", required=True, help="tệp sẽ ghi")
    p = command("import-changes", cmd_import_changes, "nhập tệp do máy chủ trung tâm xuất")
    p.add_argument("file", help="tệp do 'central-hub import-changes' hoặc 'export-changes' ghi")
    add_backup_commands(
        command,
        data=_data,
        store="node.sqlite3",
        app="ward-node",
        version=lambda: __version__,
        restored="Khi nút chạy và đồng bộ, nó tự lấy lại từ máy chủ trung tâm những gì đã gửi sau "
        "lúc sao lưu.",
        lock=lambda data: sync_lock(data, wait=120),  # no key rotation half-way through the copy
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; errors are one line on stderr and a non-zero exit."""
    return run_command(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
