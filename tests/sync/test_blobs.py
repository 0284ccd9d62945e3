"""The content-addressed blob store and the frames of the blob protocol."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync import (
    BlobStore,
    ChangesetError,
    NotFound,
    PayloadTooLarge,
    ValidationError,
    pack_frame,
    unpack_frame,
)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_put_stores_by_hash_and_a_second_put_changes_nothing(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    data = os.urandom(3 * 1024 * 1024 + 17)  # several read blocks
    sha = store.put(data)
    assert sha == _sha(data)
    assert store.path(sha) == tmp_path / "blobs" / sha[:2] / sha[2:]
    assert store.has(sha) and store.size(sha) == len(data)
    with store.open(sha) as f:
        assert f.read() == data
    assert store.read(sha, 10, 5) == data[10:15]
    mtime = store.path(sha).stat().st_mtime_ns
    assert store.put(io.BytesIO(data)) == sha  # a stream, the same bytes
    assert _files(tmp_path / "blobs") == [store.path(sha)]  # no temp file left behind
    assert store.path(sha).stat().st_mtime_ns >= mtime


def test_an_unknown_hash_is_not_found_and_a_malformed_one_never_names_a_path(
    tmp_path: Path,
) -> None:
    store = BlobStore(tmp_path / "blobs")
    unknown = _sha(b"never stored")
    assert not store.has(unknown) and store.partial_size(unknown) == 0
    with pytest.raises(NotFound):
        store.size(unknown)
    with pytest.raises(NotFound):
        store.open(unknown)
    for bad in ("../../etc/passwd", "AB" * 32, "a" * 63, "g" * 64, "", "a" * 64 + "\n"):
        with pytest.raises(ValidationError):
            store.path(bad)
        with pytest.raises(ValidationError):
            store.append_partial(bad, 0, b"x")


def test_put_over_the_limit_or_with_the_wrong_hash_stores_nothing(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    with pytest.raises(PayloadTooLarge):
        store.put(io.BytesIO(b"x" * 2000), max_size=1999)
    with pytest.raises(ChangesetError) as caught:
        store.put(b"hello", expect=_sha(b"hullo"))
    assert caught.value.code == "blob_hash_mismatch"
    assert _files(tmp_path / "blobs") == []
    assert store.put(b"x" * 1999, max_size=1999) == _sha(b"x" * 1999)


def test_a_partial_upload_resumes_at_its_size_and_is_moved_in_when_verified(
    tmp_path: Path,
) -> None:
    store = BlobStore(tmp_path / "blobs")
    data = os.urandom(1000)
    sha = _sha(data)
    assert store.append_partial(sha, 0, data[:300]) == 300
    # The sender was cut off; a new store object (another process) resumes from the size.
    again = BlobStore(tmp_path / "blobs")
    assert again.partial_size(sha) == 300 and not again.has(sha)
    assert again.append_partial(sha, 300, data[300:700]) == 700
    assert again.append_partial(sha, 700, data[700:]) == 1000
    assert again.finish_partial(sha) == 1000
    assert again.has(sha) and again.partial_size(sha) == 0
    assert again.path(sha).read_bytes() == data
    # Chunks of a file already complete change nothing and report its size.
    assert again.append_partial(sha, 0, b"junk") == 1000
    assert again.path(sha).read_bytes() == data


def test_a_chunk_at_the_wrong_offset_is_refused_with_the_size_to_resume_from(
    tmp_path: Path,
) -> None:
    store = BlobStore(tmp_path / "blobs")
    data = os.urandom(100)
    sha = _sha(data)
    assert store.append_partial(sha, 0, data[:40]) == 40
    assert store.append_partial(sha, 0, data[:40]) == 40  # a resent chunk: not written twice
    assert store.append_partial(sha, 60, data[60:]) == 40  # a gap: not written
    assert store.append_partial(sha, 40, data[40:]) == 100
    assert store.finish_partial(sha) == 100
    assert store.path(sha).read_bytes() == data


def test_a_corrupted_upload_is_refused_deleted_and_not_stored(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    data = bytearray(os.urandom(500))
    sha = _sha(bytes(data))
    data[250] ^= 0x01
    store.append_partial(sha, 0, bytes(data))
    with pytest.raises(ChangesetError) as caught:
        store.finish_partial(sha)
    assert caught.value.code == "blob_hash_mismatch"
    assert not store.has(sha) and store.partial_size(sha) == 0
    assert _files(tmp_path / "blobs") == []
    # The sender starts over from zero and the right bytes get in.
    data[250] ^= 0x01
    assert store.append_partial(sha, 0, bytes(data)) == 500
    store.finish_partial(sha)
    assert store.has(sha)


def test_two_senders_of_the_same_file_build_it_once(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    data = os.urandom(64 * 1024)
    sha = _sha(data)
    chunk = 1024

    def send() -> None:
        mine = BlobStore(tmp_path / "blobs")
        offset = mine.partial_size(sha)
        while not mine.has(sha):
            offset = mine.append_partial(sha, offset, data[offset : offset + chunk])
            if offset == len(data):
                mine.finish_partial(sha)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert store.path(sha).read_bytes() == data
    assert store.partial_size(sha) == 0


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=5000), chunk=st.integers(min_value=1, max_value=1500))
def test_any_file_in_any_chunk_size_arrives_identical(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, chunk: int
) -> None:
    store = BlobStore(tmp_path_factory.mktemp("blobs"))
    sha = _sha(data)
    offset = store.append_partial(sha, 0, data[:chunk])  # an empty file is one empty chunk
    while offset < len(data):
        offset = store.append_partial(sha, offset, data[offset : offset + chunk])
    assert store.finish_partial(sha) == len(data)
    assert store.path(sha).read_bytes() == data == store.read(sha, 0, len(data) + 1)


def test_a_frame_round_trips_and_a_malformed_one_is_refused() -> None:
    sha = _sha(b"abc")
    meta = {"kind": "blob_chunk", "sha256": sha, "offset": 3, "total": 10}
    frame = unpack_frame(pack_frame(meta, b"defg"))
    assert frame.meta == meta and frame.data == b"defg" and frame.kind == "blob_chunk"
    bad = [
        b"",
        b"\x00\x00\x10\x00{}",
        pack_frame({"kind": "push"}),
        pack_frame({**meta, "sha256": "../" + sha[3:]}),
        pack_frame({**meta, "offset": -1}),
        pack_frame({**meta, "offset": True}),
        pack_frame(meta, b"more than the seven bytes left"),
        pack_frame({"kind": "blob_status", "blobs": [sha] * 201}),
        pack_frame({"kind": "blob_ack", "sha256": sha, "size": 1}),
    ]
    for payload in bad:
        with pytest.raises(ChangesetError) as caught:
            unpack_frame(payload)
        assert caught.value.code == "bad_blob_frame", payload
