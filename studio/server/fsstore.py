"""Blobs on the local filesystem: <root>/ab/cd/<sha256>, staging in <root>/.uploads/<session>.

Parts are written at their offset into one sparse staging file, so completing needs no copy: fsync the file
once, verify the whole hash, rename it into place (atomic on one filesystem). A part's bytes are written
while they arrive, before its hash is checked, so that writing overlaps receiving: a part counts only once
its database record exists, which is written after verification, and a rejected part is simply sent again
over the same region (one request at a time per part). A part is not fsynced on its
own: a process crash keeps it (page cache); a power loss may lose it, which the whole-hash verification at
completion catches (after a restart nothing is trusted without re-reading the file). Writeback of each part
is started as soon as it is written (Linux), so the fsync at completion waits for the disk only briefly.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

from studio.core.atomic import fsync_dir
from studio.core.hashing import sha256_of_chunks
from studio.server.blobstore import READ_CHUNK, BlobStore, PartWriter, check_ids


class FileBlobStore(BlobStore):
    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.staging = self.root / ".uploads"
        self.staging.mkdir(parents=True, exist_ok=True)

    @classmethod
    def from_url(cls, url: str) -> FileBlobStore:
        return cls(Path(unquote(urlparse(url).path)))

    def _final(self, sha256: str) -> Path:
        check_ids(sha256=sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def _staged(self, session_id: str) -> Path:
        check_ids(session_id=session_id)
        return self.staging / session_id

    def begin(self, session_id: str, size: int) -> str:
        fd = os.open(self._staged(session_id), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            os.ftruncate(fd, size)
        finally:
            os.close(fd)
        return ""

    def put_part(
        self, session_id: str, store_ref: str, number: int, offset: int, data: bytes | bytearray
    ) -> str:
        fd = os.open(self._staged(session_id), os.O_RDWR)
        try:
            _pwrite_all(fd, memoryview(data), offset)
            _start_writeback(fd, offset, len(data))
        finally:
            os.close(fd)
        return ""

    def part_writer(self, session_id: str, store_ref: str, offset: int) -> PartWriter | None:
        return _RegionWriter(os.open(self._staged(session_id), os.O_RDWR), offset)

    def assemble(self, session_id: str, store_ref: str, parts: list[tuple[int, str]], size: int) -> None:
        path = self._staged(session_id)
        if not path.exists():
            return
        if path.stat().st_size != size:
            raise ValueError(f"staged upload {session_id} has {path.stat().st_size} bytes, not {size}")
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def staged_digest(self, session_id: str) -> tuple[str, int] | None:
        path = self._staged(session_id)
        if not path.exists():
            return None
        return sha256_of_chunks(_read_file(path, 0, path.stat().st_size))

    def has_staged(self, session_id: str) -> bool:
        return self._staged(session_id).is_file()

    def publish(self, session_id: str, sha256: str) -> None:
        final = self._final(sha256)
        staged = self._staged(session_id)
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(staged, final)
        except FileNotFoundError:
            if not final.is_file():
                raise
            return
        fsync_dir(final.parent)
        fsync_dir(self.staging)

    def discard(self, session_id: str, store_ref: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._staged(session_id))

    def exists(self, sha256: str) -> bool:
        return self._final(sha256).is_file()

    def digest(self, sha256: str) -> tuple[str, int] | None:
        path = self._final(sha256)
        if not path.is_file():
            return None
        return sha256_of_chunks(_read_file(path, 0, path.stat().st_size))

    def read_range(self, sha256: str, start: int, end: int) -> Iterator[bytes]:
        return _read_file(self._final(sha256), start, end)

    def delete(self, sha256: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._final(sha256))

    def close(self) -> None:
        """Files need no closing; here for the interface."""


class _RegionWriter:
    """Positional writes into one part's region of the staging file, each queued for writeback."""

    def __init__(self, fd: int, offset: int) -> None:
        self.fd = fd
        self.offset = offset

    def write_chunks(self, chunks: list[bytes], position: int) -> None:
        """Several consecutive chunks in one vectored write (no copy to join them)."""
        total = sum(len(chunk) for chunk in chunks)
        written = os.pwritev(self.fd, chunks[:1024], self.offset + position)
        if written < total:
            rest = memoryview(b"".join(chunks))[written:]
            _pwrite_all(self.fd, rest, self.offset + position + written)
        _start_writeback(self.fd, self.offset + position, total)

    def close(self) -> None:
        os.close(self.fd)


def _pwrite_all(fd: int, view: memoryview, offset: int) -> None:
    written = 0
    while written < len(view):
        written += os.pwrite(fd, view[written:], offset + written)


def _writeback_starter() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    """Linux's sync_file_range, which queues dirty pages for writing without waiting; None elsewhere."""
    try:
        func = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    func.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    func.restype = ctypes.c_int
    return func


_SYNC_FILE_RANGE_WRITE = 2
_sync_file_range = _writeback_starter()


def _start_writeback(fd: int, offset: int, length: int) -> None:
    """Only a head start: durability still comes from the fsync at completion, so a failure is ignored."""
    if _sync_file_range is not None:
        _sync_file_range(fd, offset, length, _SYNC_FILE_RANGE_WRITE)


def _read_file(path: Path, start: int, end: int) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        fh.seek(start)
        remaining = end - start
        while remaining > 0:
            chunk = fh.read(min(READ_CHUNK, remaining))
            if not chunk:
                raise OSError(f"blob file {path.name} ended {remaining} bytes early")
            remaining -= len(chunk)
            yield chunk
