"""Sealed, signed envelopes: open(seal(x)) == x, and anything else is refused."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import struct
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.changes import canonical
from sync.envelope import (
    INFO_PREFIX,
    MAGIC,
    SIG_LEN,
    SIG_PREFIX,
    SUITE,
    open_envelope,
    pack_payload,
    peek_header,
    seal,
    unpack_payload,
)
from sync.errors import (
    BadSignature,
    EnvelopeError,
    PayloadTooLarge,
    RevokedSender,
    TamperedEnvelope,
    UnknownSender,
    WrongRecipient,
)
from sync.keys import KEM_FILE, SIGN_FILE, KeyPair, PublicKeys
from sync.schemas import SCHEMA_VERSION

WARD = KeyPair.generate()
HUB = KeyPair.generate()
STRANGER = KeyPair.generate()
ENROLLED = {WARD.public.fingerprint: WARD.public, HUB.public.fingerprint: HUB.public}

fast = settings(max_examples=100, deadline=None)


def enrolled(header: dict[str, Any]) -> PublicKeys:
    """The hub's look-up of a sender: by the key fingerprint in the header."""
    try:
        return ENROLLED[header["sender_key"]]
    except KeyError:
        raise UnknownSender("Máy gửi chưa được đăng ký.") from None


def seal_to_hub(payload: bytes, *, keys: KeyPair = WARD, to: PublicKeys = HUB.public) -> bytes:
    return seal(
        payload,
        sender="node-phu-hoi",
        keys=keys,
        recipient="hub",
        recipient_keys=to,
        kind="changeset",
        envelope_id="cs-0001",
        seq_from=1,
        seq_to=3,
    )


def parts(data: bytes) -> tuple[bytes, bytes, bytes]:
    """Header, signature and ciphertext of an envelope (the layout in sync/envelope.py)."""
    (head_len,) = struct.unpack(">I", data[4:8])
    head = data[8 : 8 + head_len]
    return head, data[8 + head_len : 8 + head_len + SIG_LEN], data[8 + head_len + SIG_LEN :]


def signed_bytes(head: bytes, ciphertext: bytes) -> bytes:
    return SIG_PREFIX + struct.pack(">I", len(head)) + head + ciphertext


def assemble(head: bytes, signature: bytes, ciphertext: bytes) -> bytes:
    return MAGIC + struct.pack(">I", len(head)) + head + signature + ciphertext


SMALL = seal_to_hub(pack_payload({"changes": [{"seq": 1}]}))


# -- round trip ------------------------------------------------------------------------------


@fast
@given(st.binary(max_size=4096))
def test_open_returns_what_was_sealed(payload: bytes) -> None:
    opened = open_envelope(seal_to_hub(payload), keys=HUB, sender_keys=enrolled)
    assert opened.payload == payload
    header = opened.header
    assert header["sender"] == "node-phu-hoi"
    assert header["sender_key"] == WARD.public.fingerprint
    assert header["recipient"] == "hub"
    assert header["recipient_key"] == HUB.public.fingerprint
    assert (header["kind"], header["id"]) == ("changeset", "cs-0001")
    assert (header["seq_from"], header["seq_to"]) == (1, 3)
    assert header["schema_version"] == SCHEMA_VERSION
    assert peek_header(seal_to_hub(payload))["content_hash"] == header["content_hash"]


def test_payload_is_not_readable_on_the_wire() -> None:
    secret = b"CCCD 046090001234 Nguyen Van An"
    assert secret not in seal_to_hub(secret)


# -- tampering -------------------------------------------------------------------------------


def test_every_flipped_byte_is_refused() -> None:
    for position in range(len(SMALL)):
        for mask in (0x01, 0x80):
            tampered = bytearray(SMALL)
            tampered[position] ^= mask
            with pytest.raises(EnvelopeError):
                open_envelope(bytes(tampered), keys=HUB, sender_keys=enrolled)


@fast
@given(st.data(), st.binary(min_size=0, max_size=300), st.integers(min_value=1, max_value=255))
def test_any_flipped_byte_of_any_envelope_is_refused(
    data: st.DataObject, payload: bytes, mask: int
) -> None:
    envelope = bytearray(seal_to_hub(payload))
    position = data.draw(st.integers(min_value=0, max_value=len(envelope) - 1), label="position")
    envelope[position] ^= mask
    with pytest.raises(EnvelopeError):
        open_envelope(bytes(envelope), keys=HUB, sender_keys=enrolled)


def test_truncated_envelope_is_refused() -> None:
    head, _sig, ciphertext = parts(SMALL)
    # Up to the end of the shortest possible ciphertext (32-byte HPKE enc + 16-byte tag) the
    # framing itself is broken.
    frame_end = 8 + len(head) + SIG_LEN + 32 + 16
    for length in range(frame_end):
        with pytest.raises(TamperedEnvelope):
            open_envelope(SMALL[:length], keys=HUB, sender_keys=enrolled)
    # Cut inside the ciphertext the frame still parses and the signature no longer verifies.
    # The header does not carry the ciphertext length, so this cannot be told apart from a
    # modified ciphertext.
    for length in range(frame_end, len(SMALL)):
        with pytest.raises(EnvelopeError):
            open_envelope(SMALL[:length], keys=HUB, sender_keys=enrolled)
    assert len(ciphertext) > 48


def test_envelope_sealed_to_another_key_raises_wrong_recipient() -> None:
    envelope = seal_to_hub(b"payload", to=STRANGER.public)
    with pytest.raises(WrongRecipient):
        open_envelope(envelope, keys=HUB, sender_keys=enrolled)
    assert open_envelope(envelope, keys=STRANGER, sender_keys=enrolled).payload == b"payload"


def test_unknown_sender_is_refused() -> None:
    envelope = seal_to_hub(b"payload", keys=STRANGER)
    with pytest.raises(UnknownSender):
        open_envelope(envelope, keys=HUB, sender_keys=enrolled)


def test_revoked_sender_is_refused() -> None:
    def revoked(header: dict[str, Any]) -> PublicKeys:
        raise RevokedSender("Máy này đã bị thu hồi.")

    with pytest.raises(RevokedSender):
        open_envelope(SMALL, keys=HUB, sender_keys=revoked)


def test_envelope_signed_by_another_key_raises_bad_signature() -> None:
    # The stranger claims to be the ward: the look-up by name returns the ward's real keys.
    forged = seal_to_hub(b"payload", keys=STRANGER)
    with pytest.raises(BadSignature):
        open_envelope(forged, keys=HUB, sender_keys=lambda header: WARD.public)

    # The stranger keeps the ward's genuine header and ciphertext and signs them itself.
    head, _sig, ciphertext = parts(SMALL)
    resigned = assemble(head, STRANGER.sign.sign(signed_bytes(head, ciphertext)), ciphertext)
    with pytest.raises(BadSignature):
        open_envelope(resigned, keys=HUB, sender_keys=enrolled)


def test_header_naming_another_key_than_the_signer_is_refused() -> None:
    # Well formed in every other way: sealed with the header as info and signed by the ward,
    # but the header claims another key signed it.
    head, _sig, _ct = parts(SMALL)
    header = {**json.loads(head), "sender_key": STRANGER.public.fingerprint}
    payload = pack_payload({"changes": []})
    header["content_hash"] = hashlib.sha256(payload).hexdigest()
    header["size"] = 32 + len(payload) + 16
    new_head = canonical(header)
    ciphertext = SUITE.encrypt(payload, HUB.public.kem_key(), info=INFO_PREFIX + new_head)
    envelope = assemble(new_head, WARD.sign.sign(signed_bytes(new_head, ciphertext)), ciphertext)
    with pytest.raises(BadSignature):
        open_envelope(envelope, keys=HUB, sender_keys=lambda header: WARD.public)


def test_header_moved_onto_another_ciphertext_does_not_decrypt() -> None:
    # Even the genuine sender cannot relabel a ciphertext: the header is bound through HPKE info.
    head, _sig, ciphertext = parts(SMALL)
    header = json.loads(head)
    header["seq_to"] = 99
    new_head = canonical(header)
    relabelled = assemble(new_head, WARD.sign.sign(signed_bytes(new_head, ciphertext)), ciphertext)
    with pytest.raises(TamperedEnvelope):
        open_envelope(relabelled, keys=HUB, sender_keys=enrolled)


# -- payloads --------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=30,
)


@fast
@given(json_values)
def test_unpack_returns_what_was_packed(value: Any) -> None:
    assert unpack_payload(pack_payload(value), max_size=1 << 20) == value


def test_decompression_bomb_is_refused_without_inflating_it() -> None:
    bomb = zlib.compress(b"[" + b"0," * 25_000_000 + b"0]", 9)  # ~50 MB of JSON
    assert len(bomb) < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(PayloadTooLarge):
            unpack_payload(bomb, max_size=1 << 20)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20


def test_payload_of_exactly_the_limit_is_accepted() -> None:
    value = {"note": "x" * 100}
    size = len(canonical(value))
    assert unpack_payload(pack_payload(value), max_size=size) == value
    with pytest.raises(PayloadTooLarge):
        unpack_payload(pack_payload(value), max_size=size - 1)


@pytest.mark.parametrize(
    "data", [b"", b"not zlib at all", zlib.compress(b"\xff\xfe not json"), zlib.compress(b"{")]
)
def test_malformed_payload_is_refused(data: bytes) -> None:
    with pytest.raises(TamperedEnvelope):
        unpack_payload(data, max_size=1 << 20)


# -- keys on disk ----------------------------------------------------------------------------


def test_saved_keys_are_readable_only_by_their_owner(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "keys"
    keys = KeyPair.generate()
    keys.save(folder)
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    for name in (SIGN_FILE, KEM_FILE):
        assert stat.S_IMODE(os.stat(folder / name).st_mode) == 0o600
    assert KeyPair.load(folder).public == keys.public


def test_saving_into_an_existing_open_folder_closes_it(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    KeyPair.generate().save(folder)
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700


def test_saving_keys_refuses_to_overwrite(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    first = KeyPair.generate()
    first.save(folder)
    before = {name: (folder / name).read_bytes() for name in (SIGN_FILE, KEM_FILE)}
    with pytest.raises(FileExistsError):
        KeyPair.generate().save(folder)
    assert {name: (folder / name).read_bytes() for name in (SIGN_FILE, KEM_FILE)} == before
    assert KeyPair.load(folder).public == first.public


# -- RFC 9180 --------------------------------------------------------------------------------

# RFC 9180, appendix A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode.
# (Our envelopes use AES-256-GCM; the RFC has no X25519 vector with that AEAD.)
A11_INFO = bytes.fromhex("4f6465206f6e2061204772656369616e2055726e")  # "Ode on a Grecian Urn"
A11_SKRM = bytes.fromhex("4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8")
A11_PKRM = bytes.fromhex("3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d")
A11_ENC = bytes.fromhex("37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431")
A11_KEY = bytes.fromhex("4531685d41d65f03dc48f6b8302c05b0")
A11_BASE_NONCE = bytes.fromhex("56d890e5accaaf011cff4b7d")
# Encryption with sequence number 0 (nonce = base_nonce).
A11_PT = bytes.fromhex("4265617574792069732074727574682c20747275746820626561757479")
A11_AAD = bytes.fromhex("436f756e742d30")  # "Count-0"
A11_CT = bytes.fromhex(
    "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a"
)


def test_rfc9180_a11_vector_opens_with_cryptography_hpke() -> None:
    private = X25519PrivateKey.from_private_bytes(A11_SKRM)
    suite = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_128_GCM)
    # The vector's first encryption has aad "Count-0", and Suite.decrypt takes no aad, so
    # enc + A11_CT cannot be passed to it. Instead: the published ct decrypts under the
    # published key and base_nonce with its aad (the values are consistent), and a ciphertext
    # made with that key and nonce and empty aad opens with Suite.decrypt from skRm, enc and
    # info alone, so cryptography derives the RFC's key schedule.
    assert AESGCM(A11_KEY).decrypt(A11_BASE_NONCE, A11_CT, A11_AAD) == A11_PT
    assert private.public_key().public_bytes_raw() == A11_PKRM
    ct_without_aad = AESGCM(A11_KEY).encrypt(A11_BASE_NONCE, A11_PT, b"")
    assert suite.decrypt(A11_ENC + ct_without_aad, private, info=A11_INFO) == A11_PT
    with pytest.raises(InvalidTag):  # another info derives another key
        suite.decrypt(A11_ENC + ct_without_aad, private, info=b"Ode on a Grecian Urn!")
    with pytest.raises(InvalidTag):  # the published ct needs its aad, which the API cannot pass
        suite.decrypt(A11_ENC + A11_CT, private, info=A11_INFO)
