"""Files attached to records, stored by content: the SHA-256 of the bytes is the address.

Layout of a store's folder::

    ab/cdef…            a complete file, named by its hash (first two hex digits as a folder)
    partial/abcdef…     a file being received in chunks, resumed at its current size
    tmp/                files being written by :meth:`BlobStore.put` before their atomic rename

A file appears under its hash only once complete and verified (written to a temporary file,
fsynced, renamed), so a crash leaves either nothing or the whole file (DESIGN.md,
"Attachments"). Storing the same bytes twice is a no-op.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, BinaryIO

from .errors import ChangesetError, NotFound, PayloadTooLarge, ValidationError
from .files import private_dir

SHA256_RE = re.compile(r"[0-9a-f]{64}")
READ_SIZE = 1024 * 1024


def check_sha256(sha: str) -> str:
    """``sha`` if it is 64 lowercase hex digits; :class:`ValidationError` otherwise.

    Every hash that names a file goes through here first: it is the only guard between a
    request's text and a path on disk.
    """
    if not isinstance(sha, str) or not SHA256_RE.fullmatch(sha):
        raise ValidationError(
            "Mã băm tệp phải gồm 64 ký tự thập lục phân thường.", code="bad_sha256", field="sha256"
        )
    return sha


class BlobStore:
    """Content-addressed files under ``folder``; safe to share between threads and processes."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    # -- complete files ----------------------------------------------------------------------

    def path(self, sha: str) -> Path:
        """Where the file with hash ``sha`` lives (whether or not it is there)."""
        check_sha256(sha)
        return self.folder / sha[:2] / sha[2:]

    def has(self, sha: str) -> bool:
        """Whether the complete file with hash ``sha`` is stored."""
        return self.path(sha).is_file()

    def size(self, sha: str) -> int:
        """Size in bytes of a stored file; :class:`NotFound` when it is not stored."""
        try:
            return self.path(sha).stat().st_size
        except FileNotFoundError:
            raise self._missing(sha) from None

    def open(self, sha: str) -> BinaryIO:
        """The stored file, open for binary reading; :class:`NotFound` when it is not stored."""
        try:
            return self.path(sha).open("rb")
        except FileNotFoundError:
            raise self._missing(sha) from None

    def read(self, sha: str, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes of a stored file from ``offset`` (one chunk to send)."""
        with self.open(sha) as f:
            f.seek(offset)
            return f.read(length)

    def put(
        self, data: bytes | IO[bytes], *, max_size: int | None = None, expect: str | None = None
    ) -> str:
        """Store ``data`` (bytes, or a binary file read in blocks); return its SHA-256.

        Idempotent: storing bytes already held changes nothing. Raises
        :class:`PayloadTooLarge` past ``max_size`` bytes and :class:`ChangesetError` when the
        hash is not ``expect``; either way nothing is stored.
        """
        tmp_dir = self._dir("tmp")
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix="put-")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                for block in _blocks(data):
                    size += len(block)
                    if max_size is not None and size > max_size:
                        raise PayloadTooLarge(
                            f"Tệp lớn hơn giới hạn {max_size // (1024 * 1024)} MiB.",
                            max_bytes=max_size,
                        )
                    digest.update(block)
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            if expect is not None and sha != expect:
                raise _mismatch(expect, sha)
            self._move_in(tmp, sha)
            return sha
        finally:
            tmp.unlink(missing_ok=True)

    # -- files received in chunks ------------------------------------------------------------

    def partial_size(self, sha: str) -> int:
        """How many bytes of ``sha`` have been received so far (0 when none)."""
        try:
            return self._partial(sha).stat().st_size
        except FileNotFoundError:
            return 0

    def append_partial(self, sha: str, offset: int, chunk: bytes) -> int:
        """Append ``chunk`` to the partial file of ``sha`` if it starts at its current end.

        Returns the partial's size afterwards. A chunk at any other ``offset`` (a resent or
        out-of-order chunk) is not written, and the size returned tells the sender where to
        resume. When the file is already complete, returns its size and writes nothing.
        """
        with self._locked_partial(sha, create=not self.has(sha)) as fd:
            if fd is None or self.has(sha):
                # Completed by another sender meanwhile: drop the stray partial we locked.
                if fd is not None:
                    self._partial(sha).unlink(missing_ok=True)
                return self.size(sha)
            size = os.fstat(fd).st_size
            if offset != size or not chunk:
                return size
            os.lseek(fd, 0, os.SEEK_END)
            view = memoryview(chunk)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
            return os.fstat(fd).st_size

    def finish_partial(self, sha: str) -> int:
        """Verify the whole partial file against ``sha`` and move it in; return its size.

        On a mismatch the partial is deleted (it can never become the right file) and
        :class:`ChangesetError` (code ``blob_hash_mismatch``) is raised. When another sender
        completed the file meanwhile, returns its size. :class:`NotFound` when nothing of
        ``sha`` was received.
        """
        with self._locked_partial(sha, create=False) as fd:
            if self.has(sha):
                if fd is not None:
                    self._partial(sha).unlink(missing_ok=True)
                return self.size(sha)
            if fd is None:
                raise NotFound(
                    f"Chưa nhận được phần nào của tệp {sha[:12]}….", code="blob_not_found"
                )
            partial = self._partial(sha)
            digest = hashlib.sha256()
            os.lseek(fd, 0, os.SEEK_SET)
            while block := os.read(fd, READ_SIZE):
                digest.update(block)
            actual = digest.hexdigest()
            if actual != sha:
                partial.unlink(missing_ok=True)
                raise _mismatch(sha, actual)
            size = os.fstat(fd).st_size
            self._move_in(partial, sha)
            return size

    def discard_partial(self, sha: str) -> None:
        """Forget what was received of ``sha`` so far."""
        self._partial(sha).unlink(missing_ok=True)

    # -- helpers -----------------------------------------------------------------------------

    def _partial(self, sha: str) -> Path:
        return self.folder / "partial" / check_sha256(sha)

    def _dir(self, name: str) -> Path:
        return private_dir(self.folder / name)

    @contextlib.contextmanager
    def _locked_partial(self, sha: str, *, create: bool) -> Iterator[int | None]:
        """An open, exclusively locked descriptor of the partial file of ``sha``.

        ``None`` when there is no partial file and ``create`` is false. Two senders of the
        same file (two wards attaching the same scan) may write at once: after taking the lock
        the path is checked to still be the locked file, since a writer that waited while
        another finished (renamed) or discarded it must not write into it.
        """
        self._dir("partial")
        path = self._partial(sha)
        flags = os.O_RDWR | (os.O_CREAT if create else 0)
        while True:
            try:
                fd = os.open(path, flags, 0o600)
            except FileNotFoundError:
                yield None
                return
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    same = os.stat(path).st_ino == os.fstat(fd).st_ino
                except FileNotFoundError:
                    same = False
                if same:
                    yield fd
                    return
            finally:
                os.close(fd)

    def _move_in(self, source: Path, sha: str) -> None:
        """Rename a complete, verified file to its address and make the rename durable."""
        target = self.path(sha)
        private_dir(target.parent)
        os.replace(source, target)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    @staticmethod
    def _missing(sha: str) -> NotFound:
        return NotFound(f"Không có tệp {sha[:12]}… trong kho tệp.", code="blob_not_found")


def _blocks(data: bytes | IO[bytes]) -> Iterator[bytes]:
    if isinstance(data, bytes | bytearray | memoryview):
        yield bytes(data)
        return
    while block := data.read(READ_SIZE):
        yield block


def _mismatch(expected: str, actual: str) -> ChangesetError:
    return ChangesetError(
        f"Tệp nhận được không khớp mã băm (cần {expected[:12]}…, nhận {actual[:12]}…); "
        "tệp đã bị hỏng trên đường truyền và sẽ được gửi lại.",
        code="blob_hash_mismatch",
    )
