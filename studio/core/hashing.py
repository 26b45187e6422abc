"""SHA-256, the identity of media and blobs: one implementation for files and byte streams, used by the
media folder, exports and the server's blob stores, so every place that names bytes by their hash agrees."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from studio.core.cancel import CancelToken, ProgressCallback

CHUNK = 1 << 20


def sha256_of_chunks(chunks: Iterable[bytes], *, cancel: CancelToken | None = None) -> tuple[str, int]:
    """(lowercase hex SHA-256, byte count) of the bytes `chunks` yields, in order."""
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
        if cancel is not None:
            cancel.raise_if_cancelled()
    return digest.hexdigest(), size


def resume_sha256(path: Path) -> tuple[Any, int]:
    """A running SHA-256 over the bytes `path` holds now (none if it is missing) and their count, to go on
    with the bytes that follow: a resumed download continues its `.part` file this way."""
    digest = hashlib.sha256()
    size = 0
    with contextlib.suppress(FileNotFoundError):
        for chunk in file_chunks(Path(path)):
            digest.update(chunk)
            size += len(chunk)
    return digest, size


def file_chunks(path: Path, *, progress: ProgressCallback | None = None) -> Iterator[bytes]:
    """The bytes of a file in 1 MiB chunks, reporting "hashing NAME" as a fraction of its size."""
    total = path.stat().st_size
    done = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            yield chunk
            done += len(chunk)
            if progress is not None and total:
                progress(done / total, f"hashing {path.name}")


def sha256_file(
    path: Path, *, progress: ProgressCallback | None = None, cancel: CancelToken | None = None
) -> str:
    """Lowercase hex SHA-256 of a file; OSError as raised (callers word it for their layer)."""
    sha, _size = sha256_of_chunks(file_chunks(Path(path), progress=progress), cancel=cancel)
    return sha
