"""The one SHA-256 helper (studio.core.hashing), checked against coreutils' sha256sum."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from studio.core.cancel import CancelToken
from studio.core.errors import Cancelled
from studio.core.hashing import CHUNK, file_chunks, resume_sha256, sha256_file, sha256_of_chunks


def sha256sum(path: Path) -> str:
    done = subprocess.run(["sha256sum", str(path)], capture_output=True, text=True, check=True)
    return done.stdout.split()[0]


def test_a_file_across_chunk_boundaries_hashes_as_sha256sum_says(tmp_path: Path) -> None:
    path = tmp_path / "bytes.bin"
    path.write_bytes(os.urandom(3 * CHUNK + 5))
    seen: list[float] = []
    assert sha256_file(path, progress=lambda f, _text: seen.append(f)) == sha256sum(path)
    assert sha256_of_chunks(file_chunks(path)) == (sha256sum(path), 3 * CHUNK + 5)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) == 4


def test_an_empty_file_and_no_chunks_are_the_empty_hash(tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.write_bytes(b"")
    assert sha256_file(path) == sha256sum(path) == sha256_of_chunks([])[0]


def test_cancel_stops_between_chunks(tmp_path: Path) -> None:
    path = tmp_path / "bytes.bin"
    path.write_bytes(b"x" * (2 * CHUNK))
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        sha256_file(path, cancel=token)


def test_a_missing_file_raises_the_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        sha256_file(tmp_path / "nothing")


def test_a_resumed_hash_goes_on_to_the_whole_file_hash(tmp_path: Path) -> None:
    """What a resumed download does: hash the `.part` it has, then the bytes that arrive after it."""
    whole = os.urandom(2 * CHUNK + 77)
    partial = tmp_path / "blob.part"
    partial.write_bytes(whole[: CHUNK + 3])
    digest, size = resume_sha256(partial)
    assert size == CHUNK + 3
    digest.update(whole[size:])
    full = tmp_path / "blob"
    full.write_bytes(whole)
    assert digest.hexdigest() == sha256sum(full)
    empty, nothing = resume_sha256(tmp_path / "missing.part")
    assert nothing == 0 and empty.hexdigest() == sha256sum(Path(os.devnull))
