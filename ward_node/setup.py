"""Creating a ward node: check the hub against the token's pin, enroll, first sync."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from office import strip_secret_content
from sync import (
    BadSignature,
    EnrollmentError,
    HttpTransport,
    KeyPair,
    NodeSync,
    PublicKeys,
    Replica,
    SyncReport,
    ValidationError,
    atomic,
    get_meta,
    open_envelope,
    pack_payload,
    private_dir,
    seal,
    set_meta,
    sync_lock,
    tighten,
    unpack_payload,
    validate,
    write_private,
)
from webapp import AlreadyInitialised

from . import __version__, rotation
from .recovery import renumber
from .rotation import recover
from .store import identity, load_clock, open_store

TOKEN_PREFIX = "wst1."


def parse_token(token: str) -> dict[str, Any]:
    """Decode an enrollment token (``wst1.`` + base64url JSON: hub, unit, secret, fp, exp)."""
    token = token.strip()
    if not token.startswith(TOKEN_PREFIX):
        raise ValidationError(
            "Mã đăng ký không đúng dạng (phải bắt đầu bằng 'wst1.').", field="token"
        )
    raw = token[len(TOKEN_PREFIX) :]
    try:
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        if not all(isinstance(data.get(k), str) for k in ("hub", "unit", "secret", "fp", "exp")):
            raise ValueError("missing keys")
    except ValueError as exc:
        raise ValidationError(
            "Mã đăng ký bị hỏng; hãy sao chép lại cả dòng.", field="token"
        ) from exc
    result: dict[str, Any] = data
    return result


def init_node(
    data_dir: Path, *, unit: str, hub_url: str, token: str, transport: HttpTransport | None = None
) -> str:
    """Enroll a new node for ``unit`` with the hub at ``hub_url``; return its node id.

    The hub's keys are fetched and checked against the fingerprint pinned in the token before
    anything secret is sent; the token's secret travels sealed to those keys.
    """
    if (data_dir / "keys" / "sign.key").exists():
        raise AlreadyInitialised(
            f"Thư mục {data_dir} đã có một nút phường. Dùng thư mục khác hoặc chạy 'serve'."
        )
    claims = parse_token(token)
    if claims["unit"] != unit:
        raise EnrollmentError(
            f"Mã đăng ký này dành cho đơn vị {claims['unit']}, không phải {unit}.", field="unit"
        )
    transport = transport or HttpTransport(hub_url, timeout=30)
    try:
        hello = transport.get_json("/sync/v1/hello")
        hub_keys = PublicKeys.from_json(hello.get("keys") or {})
        if hub_keys.fingerprint != claims["fp"]:
            raise BadSignature(
                "Khóa của máy chủ tại địa chỉ này không khớp với mã đăng ký: có thể đang kết nối "
                "nhầm máy chủ hoặc bị giả mạo. Hãy kiểm tra địa chỉ với quản trị viên.",
                code="hub_key_mismatch",
            )
        keys = KeyPair.generate()
        request_body = {
            "kind": "enroll",
            "info": {
                "unit": unit,
                "secret": claims["secret"],
                "software": f"wardsync {__version__}",
            },
        }
        envelope = seal(
            pack_payload(request_body),
            sender=f"new-{secrets.token_hex(4)}",
            keys=keys,
            recipient=str(hello["hub_id"]),
            recipient_keys=hub_keys,
            kind="enroll",
            envelope_id=str(uuid.uuid4()),
        )
        raw = transport.post(
            "/sync/v1/enroll",
            json.dumps(
                {"keys": keys.public.to_json(), "envelope": base64.b64encode(envelope).decode()}
            ).encode(),
        )
    finally:
        transport.close()

    def pinned(header: dict[str, Any]) -> PublicKeys:
        return hub_keys

    reply = unpack_payload(
        open_envelope(raw, keys=keys, sender_keys=pinned).payload, max_size=1 << 20
    )
    validate("changeset", reply)
    info = reply.get("info") or {}
    node_id = str(info["node_id"])
    private_dir(data_dir)
    keys.save(data_dir / "keys")
    # Created 0600, never narrowed after the secret is in it (docs/security.md, "Files on disk").
    write_private(data_dir / "secret_key", secrets.token_hex(32).encode())
    conn = open_store(data_dir)
    try:
        with atomic(conn):
            set_meta(conn, "node_id", node_id)
            set_meta(conn, "unit", unit)
            set_meta(conn, "unit_name", info.get("unit_name", unit))
            set_meta(
                conn,
                "hub",
                {
                    "url": hub_url.rstrip("/"),
                    "hub_id": str(hello["hub_id"]),
                    "keys": hub_keys.to_json(),
                },
            )
    finally:
        conn.close()
    tighten(data_dir)  # a folder that existed before init keeps no wider mode
    return node_id


def run_sync(
    data_dir: Path,
    *,
    chunk: int = 5000,
    wait: float = 120.0,
    deadlines: Mapping[str, float] | None = None,
) -> SyncReport:
    """One full push and pull under the node's sync lock, on a connection of its own.

    ``deadlines``: the transport's connect, read and overall deadlines
    (``settings.sync_deadlines``); the transport's defaults otherwise.
    """
    with sync_lock(data_dir, wait=wait):
        recover(data_dir)
        if rotation.pending(data_dir):
            rotation.rotate_keys(data_dir)  # a rotation cut short: the hub may hold either key
        keys = KeyPair.load(data_dir / "keys")
        conn = open_store(data_dir)
        try:
            ident = identity(conn)
            session = NodeSync(
                conn,
                node_id=ident.node_id,
                keys=keys,
                hub=ident.hub,
                replica=Replica(conn),
                clock=load_clock(conn),
                chunk=chunk,
                software=f"wardsync {__version__}",
                transport=HttpTransport(ident.hub.url, **(deadlines or {})),
                after_recovery=renumber,
                pulled_filter=strip_secret_content,
            )
            try:
                return session.run()
            finally:
                session.transport.close()
        finally:
            conn.close()


def node_summary(data_dir: Path) -> dict[str, Any]:
    """Node id, unit and hub URL, for ``status``."""
    conn = open_store(data_dir)
    try:
        ident = identity(conn)
        return {
            "node_id": ident.node_id,
            "unit": ident.unit,
            "unit_name": ident.unit_name,
            "hub": ident.hub.url,
            "acked_seq": get_meta(conn, "acked_seq", 0),
            "pull_cursor": get_meta(conn, "pull_cursor", 0),
        }
    finally:
        conn.close()
