"""Node and hub keys: an Ed25519 signing key and an X25519 key for HPKE, kept in files.

Private key files are created with mode 0600 in a folder of mode 0700 (docs/security.md,
"Files on disk").
A node is known by the *fingerprint* of its two public keys, which enrollment tokens pin.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from .errors import NotFound, ValidationError
from .files import DIR_MODE, private_dir, write_private

ROTATION_PREFIX = b"wardsync-rotate-v1\x00"
SIGN_FILE = "sign.key"
KEM_FILE = "kem.key"
_RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


@dataclass(frozen=True)
class PublicKeys:
    """The public half of a key pair: what others need to seal to and verify from a node."""

    sign: bytes
    kem: bytes

    @property
    def fingerprint(self) -> str:
        """Hex SHA-256 over both public keys; names the key pair in envelope headers."""
        return hashlib.sha256(b"wardsync-keys-v1\x00" + self.sign + self.kem).hexdigest()

    def to_json(self) -> dict[str, str]:
        """Base64 form for the enrollment protocol and the store."""
        return {
            "sign": base64.b64encode(self.sign).decode(),
            "kem": base64.b64encode(self.kem).decode(),
        }

    @classmethod
    def from_json(cls, data: dict[str, str]) -> PublicKeys:
        """Inverse of :meth:`to_json`; :class:`ValidationError` on malformed keys."""
        try:
            sign = base64.b64decode(data["sign"], validate=True)
            kem = base64.b64decode(data["kem"], validate=True)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError("Khóa công khai không hợp lệ.", field="keys") from exc
        if len(sign) != 32 or len(kem) != 32:
            raise ValidationError("Khóa công khai phải dài 32 byte.", field="keys")
        return cls(sign, kem)

    def verifier(self) -> Ed25519PublicKey:
        """The Ed25519 key to verify signatures with."""
        return Ed25519PublicKey.from_public_bytes(self.sign)

    def kem_key(self) -> X25519PublicKey:
        """The X25519 key to seal to."""
        return X25519PublicKey.from_public_bytes(self.kem)


@dataclass(frozen=True)
class KeyPair:
    """A node's private keys."""

    sign: Ed25519PrivateKey
    kem: X25519PrivateKey

    @classmethod
    def generate(cls) -> KeyPair:
        """Fresh random keys."""
        return cls(Ed25519PrivateKey.generate(), X25519PrivateKey.generate())

    @property
    def public(self) -> PublicKeys:
        """The public half."""
        return PublicKeys(
            self.sign.public_key().public_bytes(*_RAW), self.kem.public_key().public_bytes(*_RAW)
        )

    def save(self, folder: Path) -> None:
        """Write both private keys to ``folder`` (mode 0700), each file mode 0600.

        Refuses to overwrite existing key files.
        """
        private_dir(folder)
        os.chmod(folder, DIR_MODE)  # an existing folder, before any key is written into it
        pem = serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8
        plain = serialization.NoEncryption()
        for name, key in ((SIGN_FILE, self.sign), (KEM_FILE, self.kem)):
            write_private(folder / name, key.private_bytes(*pem, plain), exclusive=True)

    @classmethod
    def load(cls, folder: Path) -> KeyPair:
        """Read the keys saved by :meth:`save`; :class:`NotFound` when missing."""
        try:
            sign = serialization.load_pem_private_key((folder / SIGN_FILE).read_bytes(), None)
            kem = serialization.load_pem_private_key((folder / KEM_FILE).read_bytes(), None)
        except FileNotFoundError as exc:
            raise NotFound(
                f"Không tìm thấy khóa trong {folder}: hãy chạy lệnh init trước.", code="no_keys"
            ) from exc
        if not isinstance(sign, Ed25519PrivateKey) or not isinstance(kem, X25519PrivateKey):
            raise ValidationError(f"Tệp khóa trong {folder} sai loại.", code="bad_keys")
        return cls(sign, kem)


def rotation_proof(node_id: str, old_fingerprint: str) -> bytes:
    """What a node's new signing key signs during key rotation: its id and the old fingerprint."""
    return ROTATION_PREFIX + node_id.encode() + b"\x00" + old_fingerprint.encode()
