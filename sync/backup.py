"""Backups of a data folder that can be trusted, and their restore (docs/backup.md).

A backup is a folder: the store copied with SQLite's online backup (a consistent snapshot
while the app keeps writing), the keys, settings and attachment files copied as they are, and
``manifest.json`` listing every file with its size and SHA-256. :func:`verify` checks a
backup as a restore would need it: the manifest's files all there and unchanged, the store's
integrity, every attachment file's content matching its name (its hash), the keys readable.

What is left out: SQLite's ``-wal``/``-shm`` files (the snapshot has their content), locks,
unfinished uploads and downloads (``blobs/partial``, ``blobs/tmp``), and earlier backups kept
in the folder. Everything is written 0600 in folders 0700 (docs/security.md, "Files on
disk").

A restore copies a verified backup into an empty data folder. A ward restored this way, or
from any older copy, gets back at its first sync what it had sent since (docs/sync.md,
"Restores"); a restored hub gets again from the wards what they had sent it since.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .blobs import SHA256_RE
from .errors import SyncError
from .files import private_dir, write_private
from .keys import KeyPair
from .store import snapshot

MANIFEST = "manifest.json"
SKIP_DIRS = frozenset({"backups", "partial", "tmp", "__pycache__"})
SKIP_SUFFIXES = (".lock", "-wal", "-shm", "-journal")
_BLOCK = 1024 * 1024


class BackupError(SyncError):
    """Raised when a backup cannot be made, verified or restored (the reason in words)."""

    status = 400
    code = "backup_error"


def backup(data_dir: Path, out: Path, *, store: str, app: str, version: str) -> dict[str, Any]:
    """Copy ``data_dir`` into the new folder ``out`` and verify the copy; return its manifest.

    ``store`` is the name of the SQLite file in ``data_dir``. Raises :class:`BackupError` when
    ``out`` exists or the copy does not verify (the partial copy is then removed).
    """
    if not (data_dir / store).exists():
        raise BackupError(f"Không có kho dữ liệu {data_dir / store}: thư mục dữ liệu sai?")
    if out.exists():
        raise BackupError(f"Thư mục {out} đã có: hãy chọn một thư mục sao lưu mới.")
    private_dir(out.parent)
    out.mkdir(mode=0o700)
    try:
        _copy_store(data_dir / store, out / store)
        files: dict[str, dict[str, Any]] = {store: _describe(out / store)}
        for path in _files(data_dir):
            rel = path.relative_to(data_dir).as_posix()
            if rel == store or rel == MANIFEST:
                continue
            target = out / rel
            private_dir(target.parent)
            _copy_file(path, target)
            files[rel] = _describe(target)
        manifest = {
            "app": app,
            "version": version,
            "store": store,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "migration": _last_migration(out / store),
            "files": files,
        }
        write_private(out / MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False).encode())
        problems = verify(out)
        if problems:
            raise BackupError("Bản sao lưu không kiểm tra được: " + "; ".join(problems[:5]))
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    return manifest


def verify(folder: Path) -> list[str]:
    """What is wrong with the backup in ``folder``, in words; empty when it can be restored."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files: dict[str, dict[str, Any]] = manifest["files"]
        store = str(manifest["store"])
    except (OSError, ValueError, KeyError, TypeError):
        return [f"không đọc được {MANIFEST}: đây không phải một bản sao lưu wardsync"]
    problems = []
    for rel, stated in files.items():
        path = folder / rel
        if not path.is_file():
            problems.append(f"thiếu tệp {rel}")
        elif _describe(path) != stated:
            problems.append(f"tệp {rel} đã bị thay đổi hoặc hỏng")
        elif rel.startswith("blobs/") and SHA256_RE.match(path.name):
            if stated["sha256"] != path.name:
                problems.append(f"tệp đính kèm {rel} không khớp tên (mã băm) của nó")
    for path in _files(folder):
        rel = path.relative_to(folder).as_posix()
        if rel != MANIFEST and rel not in files:
            problems.append(f"tệp {rel} không có trong danh sách")
    if (folder / store).is_file():
        problems += _check_store(folder / store)
    if (folder / "keys" / "sign.key").exists():
        try:
            KeyPair.load(folder / "keys")
        except Exception:  # noqa: BLE001 (any failure: the keys cannot be used)
            problems.append("khóa của nút không đọc được")
    return problems


def manifest_of(folder: Path) -> dict[str, Any]:
    """The manifest of a backup (read, not verified)."""
    data: dict[str, Any] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return data


def restore(folder: Path, data_dir: Path) -> dict[str, Any]:
    """Copy the verified backup in ``folder`` into ``data_dir``, which must not exist or be
    empty; return the backup's manifest. Raises :class:`BackupError` otherwise."""
    problems = verify(folder)
    if problems:
        raise BackupError("Không khôi phục từ bản sao lưu hỏng: " + "; ".join(problems[:5]))
    if data_dir.exists() and any(data_dir.iterdir()):
        raise BackupError(
            f"Thư mục dữ liệu {data_dir} không trống. Hãy dừng dịch vụ và đổi tên thư mục đó "
            "(để giữ lại), rồi khôi phục vào thư mục trống."
        )
    manifest = manifest_of(folder)
    private_dir(data_dir)
    staging = data_dir.parent / f".{data_dir.name}.restoring"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(mode=0o700)
    try:
        for rel in manifest["files"]:
            target = staging / rel
            private_dir(target.parent)
            _copy_file(folder / rel, target)
        for child in staging.iterdir():
            os.replace(child, data_dir / child.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


# -- helpers -----------------------------------------------------------------------------------


def _files(folder: Path) -> list[Path]:
    """The files a backup carries, in a stable order."""
    out = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(names):
            if not name.endswith(SKIP_SUFFIXES):
                out.append(Path(root) / name)
    return out


def _copy_store(source: Path, target: Path) -> None:
    """A consistent snapshot of a live SQLite store (its WAL included), created 0600."""
    src = sqlite3.connect(source, timeout=30)
    try:
        snapshot(src, target)
    finally:
        src.close()


def _copy_file(source: Path, target: Path) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(source, "rb") as src, os.fdopen(fd, "wb") as dst:
        shutil.copyfileobj(src, dst, _BLOCK)
        dst.flush()
        os.fsync(dst.fileno())


def _describe(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_BLOCK), b""):
            digest.update(block)
    return {"size": path.stat().st_size, "sha256": digest.hexdigest()}


def _check_store(path: Path) -> list[str]:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return [f"kho dữ liệu không mở được: {exc}"]
    return [] if result == "ok" else [f"kho dữ liệu hỏng: {result}"]


def _last_migration(path: Path) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT max(name) FROM _migrations").fetchone()
    except sqlite3.OperationalError:
        return ""
    finally:
        conn.close()
    return str(row[0] or "")


def summary(manifest: dict[str, Any]) -> str:
    """One line about a backup, for the command lines."""
    files = manifest.get("files", {})
    size = sum(int(f.get("size", 0)) for f in files.values())
    blobs = sum(1 for rel in files if rel.startswith("blobs/"))
    return (
        f"{manifest.get('app')} {manifest.get('version')}, lúc {manifest.get('created_at')}, "
        f"{len(files)} tệp ({blobs} tệp đính kèm), {size / 1_048_576:.1f} MiB, "
        f"kho dữ liệu ở bước nâng cấp {manifest.get('migration') or '(chưa có)'}"
    )
