"""Transfer files: sealed envelopes carried on a file when a link is down for days.

File format ``WSX1`` (docs/protocol.md, "Transfer files")::

    file   = b"WSX1" | record* | end
    record = u32 length (> 0, big-endian) | envelope       a sealed, signed sync envelope
    end    = u32 0 | u32 number of records | SHA-256 of every byte before ``end``

The envelopes carry their own signatures; the end mark and digest only tell a truncated or
damaged copy from a good one before anything is applied. Files are written atomically.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .errors import SyncError

MAGIC = b"WSX1"
DIGEST_LEN = 32


class TransferFileError(SyncError):
    """Raised when a transfer file is missing, truncated, damaged or not what it should be."""

    status = 400
    code = "bad_transfer_file"


def write_bundle(path: Path, envelopes: Sequence[bytes]) -> None:
    """Write ``envelopes`` to ``path`` as a ``WSX1`` file, atomically."""
    digest = hashlib.sha256(MAGIC)
    parts = [MAGIC]
    for envelope in envelopes:
        record = struct.pack(">I", len(envelope)) + envelope
        digest.update(record)
        parts.append(record)
    parts.append(struct.pack(">II", 0, len(envelopes)) + digest.digest())
    folder = path.parent
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise TransferFileError(f"Không ghi được tệp {path}: {exc.strerror}.") from exc
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                out.write(part)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise TransferFileError(f"Không ghi được tệp {path}: {exc.strerror}.") from exc
    # The rename is durable only once the folder itself is on disk.
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_bundle(path: Path) -> list[bytes]:
    """The envelopes of a ``WSX1`` file; :class:`TransferFileError` if it is not a whole one."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise TransferFileError(f"Không tìm thấy tệp {path}.") from exc
    except OSError as exc:
        raise TransferFileError(f"Không đọc được tệp {path}: {exc.strerror}.") from exc
    damaged = f"Tệp {path} bị cắt cụt hoặc hỏng: hãy chép lại tệp từ bản gốc."
    if data[:4] != MAGIC:
        raise TransferFileError(f"Tệp {path} không phải tệp chuyển thay đổi của wardsync.")
    envelopes: list[bytes] = []
    pos = 4
    while True:
        if pos + 4 > len(data):
            raise TransferFileError(damaged)
        (length,) = struct.unpack_from(">I", data, pos)
        if length == 0:
            break
        if pos + 4 + length > len(data):
            raise TransferFileError(damaged)
        envelopes.append(data[pos + 4 : pos + 4 + length])
        pos += 4 + length
    end = data[pos + 4 :]
    if (
        len(end) != 4 + DIGEST_LEN
        or struct.unpack_from(">I", end)[0] != len(envelopes)
        or hashlib.sha256(data[:pos]).digest() != end[4:]
    ):
        raise TransferFileError(damaged)
    return envelopes
