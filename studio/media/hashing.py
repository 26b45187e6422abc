"""SHA-256 of media files and their content-addressed copy in the data folder.

A clip's id is the SHA-256 of its bytes, so the same file imported twice, or pulled from the
server, lands in one place and is verified on arrival.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

from studio.core import hashing
from studio.core.atomic import fsync_dir
from studio.core.cancel import CancelToken, ProgressCallback
from studio.core.errors import MediaError
from studio.core.paths import data_dir, media_path

_CHUNK = hashing.CHUNK


def sha256_file(
    path: Path, *, progress: ProgressCallback | None = None, cancel: CancelToken | None = None
) -> str:
    """Lowercase hex SHA-256 of a file, read in 1 MiB chunks; MediaError naming it when it cannot be read."""
    path = Path(path)
    try:
        return hashing.sha256_file(path, progress=progress, cancel=cancel)
    except OSError as exc:
        raise MediaError(f"cannot read {path}: {exc.strerror or exc}") from exc


def import_into_store(
    path: Path, *, progress: ProgressCallback | None = None, cancel: CancelToken | None = None
) -> str:
    """Copy `path` into the content-addressed media folder and return its SHA-256.

    The copy goes to a temp file inside the media folder (same file system, so the rename is atomic),
    is hashed from the very bytes written, fsynced and only then renamed to media/ab/cd/<sha256>.
    Importing the same bytes again changes nothing; a damaged copy already there is replaced.
    """
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"cannot import {path}: no such file")
    staging = data_dir() / "media"
    staging.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".import.", suffix=".tmp", dir=staging)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        try:
            total = path.stat().st_size
            done = 0
            with open(path, "rb") as src, os.fdopen(fd, "wb") as dst:
                while chunk := src.read(_CHUNK):
                    digest.update(chunk)
                    dst.write(chunk)
                    done += len(chunk)
                    if cancel is not None:
                        cancel.raise_if_cancelled()
                    if progress is not None and total:
                        progress(done / total, f"copying {path.name}")
                dst.flush()
                os.fsync(dst.fileno())
        except OSError as exc:
            raise MediaError(f"cannot import {path}: {exc.strerror or exc}") from exc
        sha = digest.hexdigest()
        target = media_path(sha)
        if target.is_file() and sha256_file(target) == sha:
            return sha
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)
        fsync_dir(target.parent)
        return sha
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
