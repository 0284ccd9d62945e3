"""Files attached to records, stored by content: the SHA-256 of the bytes is the address.

Layout of a store's folder::

    ab/cdef…                a complete file, named by its hash (first two hex digits as a folder)
    partial/abcdef…         a file being received in chunks, resumed at its current size
    partial/SENDER/abcdef…  the same, kept apart per sender (the hub receives from every node)
    tmp/                    files being written by :meth:`BlobStore.put` before their rename

A file appears under its hash only once complete and verified (written to a temporary file,
fsynced, checked, renamed), so a crash leaves either nothing or the whole file (docs/protocol.md,
"Files (blobs)"). Storing the same bytes twice is a no-op. A file received from another machine
is kept apart per sender until complete: no sender can append to, cut short or discard what
another is sending (docs/security.md, "Files").
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, BinaryIO

from .errors import ChangesetError, NotFound, PayloadTooLarge, ValidationError
from .files import private_dir

SHA256_RE = re.compile(r"[0-9a-f]{64}")
SENDER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
READ_SIZE = 1024 * 1024

Check = Callable[[Path], object]
"""Judges a complete file before it is stored (``sync.check_file``); raises to refuse it."""


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
        self,
        data: bytes | IO[bytes],
        *,
        max_size: int | None = None,
        expect: str | None = None,
        check: Check | None = None,
    ) -> str:
        """Store ``data`` (bytes, or a binary file read in blocks); return its SHA-256.

        Idempotent: storing bytes already held changes nothing. Raises
        :class:`PayloadTooLarge` past ``max_size`` bytes, :class:`ChangesetError` when the
        hash is not ``expect``, and whatever ``check`` raises on the complete file; in every
        case nothing is stored.
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
            if check is not None:
                check(tmp)
            self._move_in(tmp, sha)
            return sha
        finally:
            tmp.unlink(missing_ok=True)

    # -- files received in chunks ------------------------------------------------------------

    def partial_size(self, sha: str, sender: str = "") -> int:
        """How many bytes of ``sha`` have been received so far (from ``sender``; 0 if none)."""
        try:
            return self._partial(sha, sender).stat().st_size
        except FileNotFoundError:
            return 0

    def append_partial(self, sha: str, offset: int, chunk: bytes, sender: str = "") -> int:
        """Append ``chunk`` to the partial file of ``sha`` if it starts at its current end.

        Returns the partial's size afterwards. A chunk at any other ``offset`` (a resent or
        out-of-order chunk) is not written, and the size returned tells the sender where to
        resume. Without a ``sender`` (a ward fetching from its hub), a file already complete is
        not received again: its size is returned and nothing written. With one, the bytes are
        received whatever is stored: a sender proves it holds a file only by sending it all.
        """
        if not sender and self.has(sha):
            return self.size(sha)
        with self._locked_partial(sha, sender, create=True) as fd:
            if fd is None or (not sender and self.has(sha)):
                # Completed by another sender meanwhile: drop the stray partial we locked.
                if fd is not None:
                    self._partial(sha, sender).unlink(missing_ok=True)
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

    def finish_partial(self, sha: str, sender: str = "", check: Check | None = None) -> int:
        """Verify the whole partial file against ``sha``, judge it with ``check``, move it in;
        return its size.

        On a hash mismatch the partial is deleted (it can never become the right file) and
        :class:`ChangesetError` (code ``blob_hash_mismatch``) is raised; what ``check`` raises
        also deletes it. When the file is stored already (the same bytes, by their hash), the
        partial is dropped. :class:`NotFound` when nothing of ``sha`` was received.
        """
        with self._locked_partial(sha, sender, create=False) as fd:
            partial = self._partial(sha, sender)
            if fd is None:
                if self.has(sha):
                    return self.size(sha)
                raise NotFound(
                    f"Chưa nhận được phần nào của tệp {sha[:12]}….", code="blob_not_found"
                )
            if self.has(sha):
                # Another sender finished it while this one waited for the lock: what is
                # locked may be a stray partial that sender dropped (empty, unlinked).
                partial.unlink(missing_ok=True)
                return self.size(sha)
            digest = hashlib.sha256()
            os.lseek(fd, 0, os.SEEK_SET)
            while block := os.read(fd, READ_SIZE):
                digest.update(block)
            actual = digest.hexdigest()
            if actual != sha:
                partial.unlink(missing_ok=True)
                raise _mismatch(sha, actual)
            size = os.fstat(fd).st_size
            if check is not None:
                try:
                    check(partial)
                except BaseException:
                    partial.unlink(missing_ok=True)
                    raise
            if self.has(sha):
                partial.unlink(missing_ok=True)
            else:
                self._move_in(partial, sha)
            return size

    def discard_partial(self, sha: str, sender: str = "") -> None:
        """Forget what was received of ``sha`` so far (from ``sender``)."""
        self._partial(sha, sender).unlink(missing_ok=True)

    def partial_bytes(self, sender: str) -> int:
        """The bytes held in ``sender``'s partial files: what its quota counts."""
        folder = self.folder / "partial" / _check_sender(sender)
        total = 0
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(folder):
                with contextlib.suppress(FileNotFoundError):
                    total += entry.stat().st_size
        return total

    def expire_partials(self, max_age: float, now: float | None = None) -> int:
        """Delete partial and temporary files untouched for ``max_age`` seconds (an upload
        abandoned, a sender gone); return how many were deleted."""
        cutoff = (time.time() if now is None else now) - max_age
        removed = 0
        for top in (self.folder / "partial", self.folder / "tmp"):
            with contextlib.suppress(FileNotFoundError):
                for path in list(top.rglob("*")):
                    with contextlib.suppress(FileNotFoundError):
                        if path.is_file() and path.stat().st_mtime < cutoff:
                            path.unlink()
                            removed += 1
                for sub in top.iterdir():
                    if sub.is_dir():
                        with contextlib.suppress(OSError):
                            sub.rmdir()  # only when empty
        return removed

    # -- helpers -----------------------------------------------------------------------------

    def _partial(self, sha: str, sender: str = "") -> Path:
        folder = self.folder / "partial"
        return (folder / _check_sender(sender) if sender else folder) / check_sha256(sha)

    def _dir(self, name: str) -> Path:
        return private_dir(self.folder / name)

    @contextlib.contextmanager
    def _locked_partial(self, sha: str, sender: str, *, create: bool) -> Iterator[int | None]:
        """An open, exclusively locked descriptor of the partial file of ``sha``.

        ``None`` when there is no partial file and ``create`` is false. Two senders of the
        same file (two wards attaching the same scan) may write at once: after taking the lock
        the path is checked to still be the locked file, since a writer that waited while
        another finished (renamed) or discarded it must not write into it.
        """
        path = self._partial(sha, sender)
        path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_RDWR | (os.O_CREAT if create else 0)
        while True:
            try:
                fd = os.open(path, flags, 0o600)
            except FileNotFoundError:
                if create:  # a sweep of stale partials removed the empty folder meanwhile
                    path.parent.mkdir(parents=True, exist_ok=True)
                    continue
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


def _check_sender(sender: str) -> str:
    # A sender names a folder: a node id, never a path, and never a hash (the folder's files).
    if not SENDER_RE.fullmatch(sender) or SHA256_RE.fullmatch(sender):
        raise ValueError(f"not a sender name: {sender!r}")
    return sender


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
