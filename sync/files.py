"""Files and folders only their owner may read: a data folder holds citizens' ID numbers and
phones, password hashes and private keys (docs/security.md, "Files on disk").

Folders are 0700 and files 0600, and they are *created* so: a file is opened with mode 0600
from the start, never written first and narrowed afterwards, when another user could already
have opened it. SQLite makes its ``-wal`` and ``-shm`` files with its database's mode, so a
database created 0600 keeps them so too. :func:`tighten` narrows what an older release left
wider, at start.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_umask() -> int:
    """Make every file this process creates from now on its owner's alone; return the old
    umask. For command-line entry points (the umask is the whole process's)."""
    return os.umask(0o077)


def private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents with mode 0700 (``mkdir -p`` would give the
    parents the default mode); return it."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            pass
    return path


def write_private(path: Path, data: bytes, *, exclusive: bool = False) -> None:
    """Write ``data`` to ``path``, created with mode 0600, and flush it to disk.

    ``exclusive`` refuses (``FileExistsError``) to overwrite an existing file; otherwise an
    existing file is narrowed to 0600 before anything is written to it.
    """
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        os.fchmod(fd, FILE_MODE)
        out.write(data)
        out.flush()
        os.fsync(fd)


def append_private(path: Path) -> IO[str]:
    """``path`` open for appending UTF-8 text, created with mode 0600 if missing."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    return os.fdopen(fd, "a", encoding="utf-8")


def precreate(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (a SQLite database before its
    first connection, so that SQLite's own files take that mode).

    An existing file is never opened: closing any descriptor of a database drops every POSIX
    lock this process holds on it, under SQLite's feet (its documentation's "How To Corrupt").
    """
    if os.path.lexists(path):
        return
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        pass  # created meanwhile by another connection: it is SQLite's now
    except OSError:
        pass  # a missing folder or a read-only store: the caller's open reports it


def tighten(folder: Path) -> int:
    """Narrow ``folder`` and everything under it to 0700 (folders) and 0600 (files); symbolic
    links are left alone. Return how many modes changed."""
    changed = 0
    for root, dirs, files in os.walk(folder):
        for name, wanted in [("", DIR_MODE)] + [(f, FILE_MODE) for f in files]:
            path = os.path.join(root, name) if name else root
            try:
                info = os.lstat(path)
            except FileNotFoundError:
                continue
            if stat.S_ISLNK(info.st_mode):
                continue
            if stat.S_IMODE(info.st_mode) & ~wanted:
                os.chmod(path, stat.S_IMODE(info.st_mode) & wanted)
                changed += 1
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]
    return changed
