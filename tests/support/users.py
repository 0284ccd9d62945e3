"""The tests' users: one password for everyone, and adding staff to a ward node or the hub
straight in its store (what ``ward-node user add`` and ``central-hub user add`` do)."""

from __future__ import annotations

from pathlib import Path

from webapp import add_user, get_user

PASSWORD = "matkhau-123"


def add_ward_user(data: Path, username: str, role: str, full_name: str = "") -> None:
    """Add (or reset) a user with :data:`PASSWORD` in the ward node's store at ``data``."""
    from ward_node.store import ROLES, open_store

    conn = open_store(data)
    try:
        add_user(conn, username, PASSWORD, role, ROLES, full_name)
    finally:
        conn.close()


def add_hub_user(
    data: Path, username: str, role: str, full_name: str = "", *, reset: bool = True
) -> None:
    """Add a user with :data:`PASSWORD` in the hub's store at ``data``; one that exists is
    reset (which ends its sessions and tokens), or left alone if ``reset`` is false."""
    from central_hub.store import ROLES, open_store

    conn = open_store(data)
    try:
        if reset or get_user(conn, username) is None:
            add_user(conn, username, PASSWORD, role, ROLES, full_name)
    finally:
        conn.close()
