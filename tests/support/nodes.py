"""Enrolled ward nodes in-process: the node protocol's signed sessions against the hub's Flask
app as the transport (the same bytes as over HTTP, which the cluster tests cover with real
servers)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from central_hub import nodes
from central_hub.setup import load_keys
from central_hub.store import open_store as open_hub
from sync import HttpTransport, KeyPair, NodeSync, Replica, SyncReport
from ward_node.dossiers import Dossiers
from ward_node.store import identity, load_clock, open_store
from ward_node.sync_link import init_node

UNIT = "19786"


class AppTransport(HttpTransport):
    """Posts to a Flask test client instead of a socket; records every body sent."""

    def __init__(self, client: FlaskClient) -> None:
        super().__init__("http://hub.test")
        self.client = client
        self.sent: list[tuple[str, bytes]] = []

    def post(self, path: str, body: bytes) -> bytes:
        self.sent.append((path, body))
        resp = self.client.post(path, data=body)
        return self._check(_Resp(resp))

    def get_json(self, path: str) -> Any:
        return self.client.get(path).get_json()


class _Resp:
    def __init__(self, resp: Any) -> None:
        self.status_code = resp.status_code
        self.content = resp.data
        self.headers = resp.headers
        self._json = resp.get_json(silent=True)

    def json(self) -> Any:
        if self._json is None:
            raise ValueError("not json")
        return self._json


def enrollment_token(root: Path, unit: str = UNIT, hours: int = 1) -> str:
    """An enrollment token for ``unit`` from the hub in ``root / "hub"``."""
    conn = open_hub(root / "hub")
    try:
        return nodes.make_token(
            conn,
            unit=unit,
            name=unit,
            hub_url="http://hub.test",
            hub_keys=load_keys(root / "hub"),
            hours=hours,
        )
    finally:
        conn.close()


def enrolled_node(
    root: Path,
    hub: FlaskClient,
    unit: str = UNIT,
    *,
    transport: AppTransport | None = None,
    folder: str = "ward",
) -> tuple[Path, AppTransport]:
    """A ward node for ``unit`` enrolled with the hub of ``root / "hub"`` (served by ``hub``,
    through ``transport`` if given), in ``root / folder``; its data folder and transport."""
    transport = transport or AppTransport(hub)
    data = root / folder
    init_node(
        data,
        unit=unit,
        hub_url="http://hub.test",
        token=enrollment_token(root, unit),
        transport=transport,
    )
    return data, transport


def node_session(data: Path, transport: AppTransport) -> tuple[NodeSync, sqlite3.Connection]:
    """The sync session of the enrolled node in ``data`` (chunks of 3), and its store."""
    conn = open_store(data)
    ident = identity(conn)
    session = NodeSync(
        conn,
        node_id=ident.node_id,
        keys=KeyPair.load(data / "keys"),
        hub=ident.hub,
        replica=Replica(conn),
        clock=load_clock(conn),
        transport=transport,
        chunk=3,
    )
    return session, conn


def synced_session(data: Path, transport: AppTransport) -> tuple[NodeSync, sqlite3.Connection]:
    """A session after the first pull, as ``ward-node init`` leaves the node."""
    session, conn = node_session(data, transport)
    session.chunk = 5000
    session.pull(SyncReport())
    session.chunk = 3
    return session, conn


def receive_dossiers(conn: sqlite3.Connection, n: int) -> None:
    """Receive ``n`` dossiers at the ward node whose store is ``conn``, as its officer."""
    from webapp import User

    service = Dossiers(conn, load_clock(conn))
    for i in range(n):
        service.receive(
            {
                "procedure_code": "1.001193",
                "applicant": {"full_name": ["Lê Văn Tám", "Hồ Thị Hoa"][i % 2]},
            },
            User("canbo", "officer", "Cán bộ"),
        )
