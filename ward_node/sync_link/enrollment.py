"""Creating a ward node: read the enrollment token, check the hub against the token's pin,
enroll, and keep the hub's keys and the node's own (``ward-node init``)."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sync import (
    BadSignature,
    EnrollmentError,
    HttpTransport,
    HubIdentity,
    KeyPair,
    PublicKeys,
    ValidationError,
    atomic,
    open_envelope,
    pack_payload,
    private_dir,
    seal,
    set_meta,
    tighten,
    unpack_payload,
    validate,
    write_private,
)
from webapp import AlreadyInitialised

from .. import __version__
from ..store import open_store

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


@dataclass(frozen=True)
class Enrolled:
    """What enrollment gives a new node: its id, its keys, the hub it pinned, its unit's name."""

    node_id: str
    keys: KeyPair
    hub: HubIdentity
    unit_name: str


def enroll(transport: HttpTransport, *, unit: str, hub_url: str, token: str) -> Enrolled:
    """Enroll new keys for ``unit`` with the hub behind ``transport`` from ``token``.

    The hub's keys are fetched and checked against the fingerprint pinned in the token before
    anything secret is sent; the token's secret travels sealed to those keys. Raises
    :class:`ValidationError` (a malformed token), :class:`EnrollmentError` (a token for another
    unit, or refused by the hub), :class:`BadSignature` (the hub's keys are not the pinned ones)
    and the transport's errors. Nothing is written: :func:`init_node` keeps what it returns.
    """
    claims = parse_token(token)
    if claims["unit"] != unit:
        raise EnrollmentError(
            f"Mã đăng ký này dành cho đơn vị {claims['unit']}, không phải {unit}.", field="unit"
        )
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

    def pinned(header: dict[str, Any]) -> PublicKeys:
        return hub_keys

    reply = unpack_payload(
        open_envelope(raw, keys=keys, sender_keys=pinned).payload, max_size=1 << 20
    )
    validate("changeset", reply)
    info = reply.get("info") or {}
    return Enrolled(
        node_id=str(info["node_id"]),
        keys=keys,
        hub=HubIdentity(hub_url.rstrip("/"), str(hello["hub_id"]), hub_keys),
        unit_name=str(info.get("unit_name", unit)),
    )


def init_node(
    data_dir: Path,
    *,
    unit: str,
    hub_url: str,
    token: str,
    transport: HttpTransport | None = None,
    ca_bundle: str | None = None,
) -> str:
    """Enroll a new node for ``unit`` with the hub at ``hub_url`` (:func:`enroll`) and keep
    its keys and the hub it pinned in ``data_dir``; return its node id. ``ca_bundle``: the
    CAs an ``https://`` hub's certificate is checked against (``HUB_CA_BUNDLE``)."""
    if (data_dir / "keys" / "sign.key").exists():
        raise AlreadyInitialised(
            f"Thư mục {data_dir} đã có một nút phường. Dùng thư mục khác hoặc chạy 'serve'."
        )
    parse_token(token)  # a malformed token is refused before the hub is asked anything
    transport = transport or HttpTransport(hub_url, timeout=30, ca_bundle=ca_bundle)
    try:
        enrolled = enroll(transport, unit=unit, hub_url=hub_url, token=token)
    finally:
        transport.close()
    private_dir(data_dir)
    enrolled.keys.save(data_dir / "keys")
    # Created 0600, never narrowed after the secret is in it (docs/security.md, "Files on disk").
    write_private(data_dir / "secret_key", secrets.token_hex(32).encode())
    conn = open_store(data_dir)
    try:
        with atomic(conn):
            set_meta(conn, "node_id", enrolled.node_id)
            set_meta(conn, "unit", unit)
            set_meta(conn, "unit_name", enrolled.unit_name)
            set_meta(
                conn,
                "hub",
                {
                    "url": enrolled.hub.url,
                    "hub_id": enrolled.hub.hub_id,
                    "keys": enrolled.hub.keys.to_json(),
                },
            )
    finally:
        conn.close()
    tighten(data_dir)  # a folder that existed before init keeps no wider mode
    return enrolled.node_id
