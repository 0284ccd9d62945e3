"""Creating a hub: keys, store, identity, and the reference data every ward will receive."""

from __future__ import annotations

import secrets
from pathlib import Path

from sync import (
    KeyPair,
    NotFound,
    Write,
    atomic,
    get_meta,
    private_dir,
    set_meta,
    tighten,
    write_private,
)
from webapp import AlreadyInitialised

from .reference.seed import seed_calendar, seed_procedures, seed_units
from .store import HUB_ORIGIN, capture, check_collation, engine, open_store, write_marker


def init_hub(data_dir: Path, *, name: str, unit: str = "H57") -> str:
    """Create keys, store and reference data in ``data_dir``; return the key fingerprint."""
    keys_dir = data_dir / "keys"
    if (keys_dir / "sign.key").exists():
        raise AlreadyInitialised(
            f"Thư mục {data_dir} đã có máy chủ trung tâm. Dùng thư mục khác hoặc chạy 'serve'."
        )
    private_dir(data_dir)
    conn = open_store(data_dir)
    try:
        check_collation(conn)
        if get_meta(conn, "hub_id") is not None:
            raise AlreadyInitialised(
                f"Cơ sở dữ liệu {engine(data_dir).describe()} đã có một máy chủ trung tâm. "
                "Dùng cơ sở dữ liệu trống khác, hoặc chạy 'serve' với thư mục của máy chủ đó."
            )
        keys = KeyPair.generate()
        keys.save(keys_dir)
        # Created 0600, never narrowed after the secret is in it (docs/security.md, "Files on
        # disk").
        write_private(data_dir / "secret_key", secrets.token_hex(32).encode())
        hub_key = secrets.token_hex(16)
        with atomic(conn):
            set_meta(conn, "hub_key", hub_key)
            set_meta(conn, "hub_id", HUB_ORIGIN)
            set_meta(conn, "hub_name", name)
            set_meta(conn, "hub_unit", unit)
        write_marker(data_dir, engine(data_dir), hub_key)
        writes = [
            Write(type_name, rec["id"], rec["unit"], rec)
            for type_name, records in (
                ("unit", seed_units(unit)),
                ("procedure", seed_procedures(unit)),
                ("calendar_day", seed_calendar(hub_unit=unit)),
            )
            for rec in records
        ]
        capture(conn).write_many(writes, actor="system")
    finally:
        conn.close()
    tighten(data_dir)  # a folder that existed before init keeps no wider mode
    return keys.public.fingerprint


def load_keys(data_dir: Path) -> KeyPair:
    """The hub's keys; a clear error when the folder holds no hub."""
    if not (data_dir / "keys" / "sign.key").exists():
        raise NotFound(
            f"Thư mục {data_dir} chưa có máy chủ trung tâm: hãy chạy 'central-hub init' trước.",
            code="not_initialised",
        )
    return KeyPair.load(data_dir / "keys")
