"""The sealed, signed envelope every changeset travels in.

Layout: ``b"WSE1" | u32 header length | header | 64-byte Ed25519 signature | HPKE ciphertext``.

- The payload is sealed with HPKE (RFC 9180, base mode, X25519 / HKDF-SHA256 / AES-256-GCM) to
  the recipient's key, with the canonical header bound through HPKE's ``info``: a header moved
  onto another ciphertext does not decrypt.
- The sender signs header and ciphertext with Ed25519, so the recipient knows who sent it
  before spending anything on decryption, and a stranger cannot forge it.

The protocol therefore needs no TLS: on plain HTTP a man in the middle can read only headers.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

from .changes import canonical, loads
from .errors import BadSignature, PayloadTooLarge, TamperedEnvelope, ValidationError, WrongRecipient
from .keys import KeyPair, PublicKeys
from .schemas import SCHEMA_VERSION, validate

MAGIC = b"WSE1"
SIG_LEN = 64
MAX_HEADER = 4096
INFO_PREFIX = b"wardsync-envelope-v1\x00"
SIG_PREFIX = b"wardsync-signature-v1\x00"
SUITE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)


@dataclass(frozen=True)
class Opened:
    """An envelope that verified and decrypted."""

    header: dict[str, Any]
    payload: bytes


def seal(
    payload: bytes,
    *,
    sender: str,
    keys: KeyPair,
    recipient: str,
    recipient_keys: PublicKeys,
    kind: str,
    envelope_id: str,
    seq_from: int | None = None,
    seq_to: int | None = None,
) -> bytes:
    """Seal ``payload`` to ``recipient`` and sign it as ``sender``; return the wire bytes."""
    header: dict[str, Any] = {
        "v": 1,
        "sender": sender,
        "sender_key": keys.public.fingerprint,
        "recipient": recipient,
        "recipient_key": recipient_keys.fingerprint,
        "id": envelope_id,
        "kind": kind,
        "schema_version": SCHEMA_VERSION,
        "content_hash": hashlib.sha256(payload).hexdigest(),
        "created_at": int(time.time()),
    }
    if seq_from is not None and seq_to is not None:
        header["seq_from"], header["seq_to"] = seq_from, seq_to
    # HPKE adds a 32-byte encapsulated key and a 16-byte tag: the header states the size, so
    # a body cut short is told apart from a forged one before any signature work.
    header["size"] = 32 + len(payload) + 16
    head = canonical(header)
    ciphertext = SUITE.encrypt(payload, recipient_keys.kem_key(), info=INFO_PREFIX + head)
    signed = SIG_PREFIX + struct.pack(">I", len(head)) + head + ciphertext
    signature = keys.sign.sign(signed)
    return MAGIC + struct.pack(">I", len(head)) + head + signature + ciphertext


def peek_header(data: bytes) -> dict[str, Any]:
    """The header of an envelope, parsed and schema-checked but not yet trusted."""
    head, _sig, _ct = _split(data)
    try:
        header: dict[str, Any] = loads(head)
    except ValueError as exc:  # not JSON, not UTF-8, nested too deep, integers past 64 bits
        raise TamperedEnvelope("Tiêu đề phong bì không phải JSON hợp lệ.") from exc
    if not isinstance(header, dict) or canonical(header) != head:
        raise TamperedEnvelope("Tiêu đề phong bì không ở dạng chuẩn.")
    try:
        validate("envelope_header", header)
    except ValidationError as exc:
        raise TamperedEnvelope(f"Tiêu đề phong bì sai cấu trúc: {exc.message}") from exc
    return header


def open_envelope(
    data: bytes,
    *,
    keys: KeyPair,
    sender_keys: Callable[[dict[str, Any]], PublicKeys],
) -> Opened:
    """Verify and decrypt an envelope addressed to ``keys``.

    ``sender_keys(header)`` returns the sender's public keys or raises
    (:class:`~sync.errors.UnknownSender`, :class:`~sync.errors.RevokedSender`).
    Raises :class:`WrongRecipient`, :class:`BadSignature` or :class:`TamperedEnvelope`.
    """
    head, signature, ciphertext = _split(data)
    header = peek_header(data)
    if len(ciphertext) != header["size"]:
        raise TamperedEnvelope(
            f"Phong bì bị cắt cụt hoặc thừa dữ liệu: {len(ciphertext)} byte, "
            f"tiêu đề ghi {header['size']}. Hãy gửi lại."
        )
    if header["recipient_key"] != keys.public.fingerprint:
        raise WrongRecipient(
            "Phong bì này gửi cho một khóa khác, không phải của nơi nhận.",
        )
    public = sender_keys(header)
    if public.fingerprint != header["sender_key"]:
        raise BadSignature("Khóa người gửi không khớp với tiêu đề phong bì.")
    try:
        public.verifier().verify(
            signature, SIG_PREFIX + struct.pack(">I", len(head)) + head + ciphertext
        )
    except InvalidSignature as exc:
        raise BadSignature("Chữ ký của phong bì không hợp lệ.") from exc
    try:
        payload = SUITE.decrypt(ciphertext, keys.kem, info=INFO_PREFIX + head)
    except (InvalidTag, ValueError) as exc:
        raise TamperedEnvelope("Không giải mã được phong bì.") from exc
    if hashlib.sha256(payload).hexdigest() != header["content_hash"]:
        raise TamperedEnvelope("Nội dung phong bì không khớp mã băm.")
    return Opened(header, payload)


def _split(data: bytes) -> tuple[bytes, bytes, bytes]:
    if len(data) < 8 or data[:4] != MAGIC:
        raise TamperedEnvelope("Không phải phong bì wardsync (sai phần đầu).")
    (head_len,) = struct.unpack(">I", data[4:8])
    if head_len > MAX_HEADER or len(data) < 8 + head_len + SIG_LEN + 32 + 16:
        raise TamperedEnvelope("Phong bì bị cắt cụt hoặc sai độ dài.")
    head = data[8 : 8 + head_len]
    signature = data[8 + head_len : 8 + head_len + SIG_LEN]
    return head, signature, data[8 + head_len + SIG_LEN :]


def pack_payload(obj: Any) -> bytes:
    """Serialise a changeset compactly: canonical JSON, then zlib."""
    return zlib.compress(canonical(obj), 6)


# Bytes of JSON per value (a value: an item of an array or object, or an array or object itself)
# below which a payload is refused unparsed. Python spends 50 to 90 bytes on each value, so
# a payload of tiny values (``[[],[],…]``, three bytes each) would cost thirty times its size
# in memory; an honest changeset spends 20 or more bytes per value (docs/security.md,
# "Resource bounds").
MIN_BYTES_PER_VALUE = 12


def unpack_payload(data: bytes, *, max_size: int, max_values: int | None = None) -> Any:
    """Inverse of :func:`pack_payload`, refusing anything that inflates past ``max_size``
    bytes or holds more than ``max_values`` values (default: ``max_size`` divided by
    :data:`MIN_BYTES_PER_VALUE`), counted on the bytes before anything is parsed."""
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(data, max_size + 1)
    except zlib.error as exc:
        raise TamperedEnvelope("Nội dung gói thay đổi không giải nén được.") from exc
    if len(raw) > max_size or inflater.unconsumed_tail:
        raise PayloadTooLarge("Gói thay đổi vượt quá kích thước cho phép khi giải nén.")
    limit = max_size // MIN_BYTES_PER_VALUE if max_values is None else max_values
    # An upper bound of the values: commas inside strings count too, which only errs safe.
    if raw.count(b",") + raw.count(b"[") + raw.count(b"{") > limit:
        raise PayloadTooLarge("Gói thay đổi chứa quá nhiều phần tử.", code="too_many_values")
    try:
        return loads(raw) if len(raw) <= FAST_PARSE_MAX else _loads_large(raw)
    except ValueError as exc:  # orjson.JSONDecodeError is a ValueError, invalid UTF-8 too
        raise TamperedEnvelope("Nội dung gói thay đổi không phải JSON hợp lệ.") from exc


# orjson parses two to three times faster than the standard library, but reserves about
# sixteen times its input while it works (40 MB for an honest push of 2.5 MB, 330 MB for
# 24 MB). Up to this size it is worth it; a ward's push stays under it (sync/session.py,
# PUSH_MAX_BYTES), and a larger payload, from an older ward or anyone else, is parsed by the
# standard library in about twice its size (docs/security.md, "Resource bounds").
FAST_PARSE_MAX = 4 * 1024 * 1024


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _loads_large(raw: bytes) -> Any:
    """``loads`` for large payloads, in bounded memory, refusing what orjson refuses: text
    that is not UTF-8, NaN and infinities, nesting past the interpreter's limit, lone
    surrogates (which only an escape can bring in valid UTF-8)."""
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise ValueError("nested too deep") from exc
    if _SURROGATE_ESCAPE.search(raw):  # rare: escaped pairs are fine, lone halves are not
        _check_text(value)
    return value


def _check_text(value: Any) -> None:
    """Raise ValueError at a string that is not valid Unicode (a lone surrogate)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            item.encode("utf-8")  # UnicodeEncodeError is a ValueError
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
