"""Content addressing: SHA-256 streaming and the verified, idempotent copy into the media folder."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from studio.core.errors import MediaError
from studio.core.paths import data_dir, media_path
from studio.media.hashing import import_into_store, sha256_file


def test_sha256_matches_hashlib(tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    data = bytes(range(256)) * 9000  # spans several read chunks
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()


def test_import_is_content_addressed_and_idempotent(clip: Path) -> None:
    expected = hashlib.sha256(clip.read_bytes()).hexdigest()
    sha = import_into_store(clip)
    assert sha == expected
    stored = media_path(sha)
    assert stored == data_dir() / "media" / sha[:2] / sha[2:4] / sha
    assert stored.read_bytes() == clip.read_bytes()
    before = stored.stat().st_mtime_ns
    assert import_into_store(clip) == sha
    assert stored.stat().st_mtime_ns == before
    media = data_dir() / "media"
    assert [p for p in media.rglob("*") if p.is_file()] == [stored]


def test_import_replaces_a_damaged_copy(clip: Path) -> None:
    sha = import_into_store(clip)
    media_path(sha).write_bytes(b"bit rot")
    assert import_into_store(clip) == sha
    assert media_path(sha).read_bytes() == clip.read_bytes()


def test_import_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match=r"gone\.mp4"):
        import_into_store(tmp_path / "gone.mp4")
