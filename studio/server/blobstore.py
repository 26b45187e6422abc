"""Where blob bytes live. Uploads are staged per session and published under the blob's hash only after
the whole content has been verified; the database row written afterwards is what makes a blob visible.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from typing import Protocol
from urllib.parse import urlparse

from studio.protocol.ids import is_hex32, is_sha256

READ_CHUNK = 1024 * 1024


class PartWriter(Protocol):
    def write_chunks(self, chunks: list[bytes], position: int) -> None:
        """Store consecutive `chunks` starting `position` bytes into the part."""

    def close(self) -> None: ...


class BlobStore(abc.ABC):
    """Staging, publishing and reading of blobs. Every id passed in has been validated by pattern."""

    @abc.abstractmethod
    def begin(self, session_id: str, size: int) -> str:
        """Prepare staging for a session; returns a store reference kept with the session."""

    @abc.abstractmethod
    def put_part(
        self, session_id: str, store_ref: str, number: int, offset: int, data: bytes | bytearray
    ) -> str:
        """Store one verified part; returns the store's tag for it."""

    def part_writer(self, session_id: str, store_ref: str, offset: int) -> PartWriter | None:
        """A writer that stores a part's bytes while they arrive, before they are verified, or None when
        the store takes only whole verified parts (put_part). The caller guarantees that no other request
        writes the same part meanwhile and records the part only once its hash is verified."""
        return None

    @abc.abstractmethod
    def assemble(self, session_id: str, store_ref: str, parts: list[tuple[int, str]], size: int) -> None:
        """Join the staged parts into one durable staged object (idempotent)."""

    @abc.abstractmethod
    def staged_digest(self, session_id: str) -> tuple[str, int] | None:
        """SHA-256 and size of the assembled staged object, None when there is none."""

    @abc.abstractmethod
    def has_staged(self, session_id: str) -> bool:
        """Whether an assembled staged object exists for the session."""

    @abc.abstractmethod
    def publish(self, session_id: str, sha256: str) -> None:
        """Atomically move the staged object under its hash (replacing an equal one). When the staged
        object is already gone but the blob exists (an earlier publish), there is nothing to do."""

    @abc.abstractmethod
    def discard(self, session_id: str, store_ref: str) -> None:
        """Drop whatever is staged for the session (idempotent)."""

    @abc.abstractmethod
    def exists(self, sha256: str) -> bool: ...

    @abc.abstractmethod
    def digest(self, sha256: str) -> tuple[str, int] | None:
        """Re-hash a published object: SHA-256 and size, None when absent."""

    @abc.abstractmethod
    def read_range(self, sha256: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes [start, end) of a published blob, in chunks."""

    @abc.abstractmethod
    def delete(self, sha256: str) -> None: ...

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections."""


def check_ids(session_id: str | None = None, sha256: str | None = None) -> None:
    """Last line of defence: no path or key is ever built from an unchecked id."""
    if session_id is not None and not is_hex32(session_id):
        raise ValueError(f"invalid upload session id {session_id!r}")
    if sha256 is not None and not is_sha256(sha256):
        raise ValueError(f"invalid blob hash {sha256!r}")


def open_store(url: str) -> BlobStore:
    """file:///path (the embedded default) or s3://bucket?endpoint=...&key=...&secret=...&region=..."""
    scheme = urlparse(url).scheme
    if scheme == "file":
        from studio.server.fsstore import FileBlobStore

        return FileBlobStore.from_url(url)
    if scheme == "s3":
        from studio.server.s3store import S3BlobStore

        return S3BlobStore.from_url(url)
    raise ValueError(f"blob store URL {url!r} is neither file:// nor s3://")
