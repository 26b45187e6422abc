"""Resumable blob transfers in both directions, verified by SHA-256.

Upload: negotiate (the server answers `present` or an upload session with the parts it already holds),
send each missing 32 MiB part with its own hash, two at a time to another computer (one part on the wire
while the other is answered), then `complete`, which verifies the whole blob. A killed
upload resumes by negotiating again: the session still lists every part the server verified, so those are
never sent twice.

Download: bytes go to `<dest>.part`; an interrupted download resumes with Range + If-Range (the blob's
strong ETag), the hash is checked over the whole file and only then is it renamed into place. Bytes that
do not hash to the blob's id are thrown away and fetched again.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from queue import Empty, SimpleQueue
from typing import Any

import requests
import urllib3

from studio.core.atomic import fsync_dir
from studio.core.cancel import CancelToken, ProgressCallback
from studio.core.hashing import resume_sha256
from studio.protocol import api, problems
from studio.protocol.checksum import part_checksum
from studio.protocol.ids import is_sha256
from studio.sync.client import ApiClient, ApiError, OfflineError, SyncError, is_this_computer

CHUNK = 1 << 20
MAX_STALLED_ATTEMPTS = 6
MAX_REFETCHES = 3
MAX_PART_ATTEMPTS = 3
# Two parts in flight hide a network round trip per part (one part on the wire while the other is
# answered). To this computer there is no round trip to hide and the two only share its processors:
# one part at a time uploads faster there (docs/decisions.md, "Upload parts of 32 MiB").
PARTS_IN_FLIGHT = 2
_STREAM_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError)
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


@dataclass(frozen=True)
class BlobSource:
    """A local file to upload under its SHA-256."""

    sha256: str
    size: int
    path: Path


@dataclass
class TransferStats:
    """What a transfer did, for progress reports, tests and the bench."""

    parts_sent: int = 0
    bytes_sent: int = 0
    blobs_present: int = 0
    blobs_uploaded: int = 0
    bytes_received: int = 0
    resumes: int = 0
    refetches: int = 0


def _noop(_fraction: float, _message: str) -> None:
    return None


class _Progress:
    """Turns byte counts into a 0..1 fraction for a ProgressCallback."""

    def __init__(self, total: int, callback: ProgressCallback | None, label: str) -> None:
        self.total = max(total, 1)
        self.done = 0
        self.callback = callback or _noop
        self.label = label

    def add(self, count: int) -> None:
        self.done += count
        self.callback(min(1.0, self.done / self.total), self.label)


# --- upload ---------------------------------------------------------------------------------------------


def negotiate(client: ApiClient, space: str, blobs: Sequence[BlobSource]) -> list[dict[str, Any]]:
    """Ask the server which blobs it needs, in batches the protocol allows."""
    answers: list[dict[str, Any]] = []
    for start in range(0, len(blobs), api.MAX_BLOBS_PER_NEGOTIATION):
        batch = blobs[start : start + api.MAX_BLOBS_PER_NEGOTIATION]
        body = {"space": space, "blobs": [{"sha256": b.sha256, "size": b.size} for b in batch]}
        doc = client.post_json(api.NEGOTIATE, body, idempotent=True)
        answers.extend(doc["blobs"])
    return answers


def upload_blobs(
    client: ApiClient,
    space: str,
    blobs: Sequence[BlobSource],
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    stats: TransferStats | None = None,
) -> TransferStats:
    """Make every blob readable on the server for `space`, sending only the parts it lacks."""
    stats = stats or TransferStats()
    cancel = cancel or client.cancel
    unique = list({b.sha256: b for b in blobs}.values())
    for blob in unique:
        if not is_sha256(blob.sha256):
            raise SyncError(f"{blob.path}: {blob.sha256!r} is not a SHA-256")
    if not unique:
        return stats
    answers = {a["sha256"]: a for a in negotiate(client, space, unique)}
    meter = _Progress(sum(b.size for b in unique), progress, "uploading media")
    buffers: SimpleQueue[bytearray] = SimpleQueue()  # part buffers, reused from blob to blob
    for blob in unique:
        answer = answers.get(blob.sha256)
        if answer is None:
            raise SyncError(f"the server did not answer for blob {blob.sha256[:12]}")
        status = answer["status"]
        if status == "present":
            stats.blobs_present += 1
            meter.add(blob.size)
            continue
        if status == "rejected":
            limit = answer.get("limit")
            raise SyncError(
                f"{blob.path.name} is too large for the server" + (f" (limit {limit} bytes)" if limit else "")
            )
        _upload_session(client, blob, answer, meter, cancel, stats, buffers)
        stats.blobs_uploaded += 1
    return stats


def _upload_session(
    client: ApiClient,
    blob: BlobSource,
    answer: dict[str, Any],
    meter: _Progress,
    cancel: CancelToken,
    stats: TransferStats,
    buffers: SimpleQueue[bytearray],
) -> None:
    session = answer["session_id"]
    part_size = int(answer.get("part_size") or api.PART_SIZE)
    count = api.part_count(blob.size, part_size)
    have = set(answer.get("parts_received") or [])
    if answer.get("parts_received") is None:
        have = set(_session_parts(client, session))
    meter.add(sum(api.part_length(blob.size, n, part_size) for n in have if 1 <= n <= count))
    for _round in range(3):
        missing = [n for n in range(1, count + 1) if n not in have]
        for number in _send_parts(client, blob, session, missing, part_size, cancel, buffers):
            have.add(number)
            length = api.part_length(blob.size, number, part_size)
            stats.parts_sent += 1
            stats.bytes_sent += length
            meter.add(length)
        try:
            client.request("POST", api.UPLOAD_COMPLETE.format(session_id=session), idempotent=True)
            return
        except ApiError as exc:
            if exc.type == problems.UPLOAD_INCOMPLETE:
                have = set(_session_parts(client, session))
                continue
            if exc.type == problems.HASH_MISMATCH:
                raise SyncError(
                    f"{blob.path} changed while it was being uploaded "
                    f"(it no longer hashes to {blob.sha256[:12]})"
                ) from exc
            raise
    raise SyncError(f"the server keeps reporting missing parts for {blob.path.name}")


def _send_parts(
    client: ApiClient,
    blob: BlobSource,
    session: str,
    numbers: list[int],
    part_size: int,
    cancel: CancelToken,
    buffers: SimpleQueue[bytearray],
) -> Iterator[int]:
    """Send the parts with PARTS_IN_FLIGHT on the wire (one to this computer); yield each number once the
    server verified it.

    The first failure stops new sends and is raised after the part still in flight has finished.
    """
    most = 1 if is_this_computer(client.base_url) else PARTS_IN_FLIGHT
    with ThreadPoolExecutor(most, thread_name_prefix="upload-part") as pool:
        in_flight: dict[Future[None], int] = {}
        for number in numbers:
            cancel.raise_if_cancelled()
            if len(in_flight) >= most:
                yield from _finished(in_flight)
            sending = pool.submit(_send_part, client, blob, session, number, part_size, buffers)
            in_flight[sending] = number
        while in_flight:
            yield from _finished(in_flight)


def _finished(in_flight: dict[Future[None], int]) -> Iterator[int]:
    done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
    for future in done:
        number = in_flight.pop(future)
        future.result()
        yield number


def _session_parts(client: ApiClient, session: str) -> list[int]:
    doc = client.get_json(api.UPLOAD.format(session_id=session))
    return [int(n) for n in doc.get("parts_received", [])]


def _send_part(
    client: ApiClient,
    blob: BlobSource,
    session: str,
    number: int,
    part_size: int,
    buffers: SimpleQueue[bytearray],
) -> None:
    """Read part `number` into a buffer of the upload's (reused from part to part and blob to blob: a
    fresh part-sized object each time costs its page faults again) and send it until the server
    verifies it."""
    try:
        buffer = buffers.get_nowait()
    except Empty:
        buffer = bytearray(part_size)
    if len(buffer) < part_size:  # a session opened with larger parts than the one before
        buffer = bytearray(part_size)
    try:
        data = memoryview(buffer)[: api.part_length(blob.size, number, part_size)]
        checksum = _read_part(blob, (number - 1) * part_size, data)
        _put_part(client, blob, session, number, data, checksum)
    finally:
        buffers.put(buffer)


def _read_part(blob: BlobSource, offset: int, into: memoryview) -> str:
    """Fill `into` from the file at `offset`; the part's checksum, taken a megabyte at a time as it is
    read (while those bytes are still in the processor's cache)."""
    got = 0
    digest = part_checksum()
    try:
        with open(blob.path, "rb", buffering=0) as fh:
            fh.seek(offset)
            while got < len(into):
                n = fh.readinto(into[got : got + CHUNK])
                if not n:
                    break
                digest.update(into[got : got + n])
                got += n
    except OSError as exc:
        raise SyncError(f"cannot read {blob.path}: {exc.strerror or exc}") from exc
    if got != len(into):
        raise SyncError(f"{blob.path} is shorter than when it was announced ({blob.size} bytes)")
    return str(digest.hexdigest())


def _put_part(
    client: ApiClient, blob: BlobSource, session: str, number: int, data: memoryview, checksum: str
) -> None:
    for attempt in range(1, MAX_PART_ATTEMPTS + 1):
        try:
            response = client.request(
                "PUT",
                api.UPLOAD_PART.format(session_id=session, number=number),
                data=data,
                headers={api.PART_CHECKSUM_HEADER: checksum, "Content-Type": "application/octet-stream"},
            )
            break
        except ApiError as exc:
            if exc.type == problems.PART_CONFLICT:
                raise SyncError(
                    f"the server holds a different part {number} of {blob.path.name}: "
                    "the file changed since the upload started"
                ) from exc
            if exc.type != problems.HASH_MISMATCH or attempt == MAX_PART_ATTEMPTS:
                raise
            # The server checked other bytes than we sent: damaged on the way, so send them again.
    echoed = response.json().get("checksum")
    if echoed != checksum:
        raise SyncError(
            f"the server stored part {number} of {blob.path.name} with checksum {echoed!r}, not {checksum}"
        )


# --- download -------------------------------------------------------------------------------------------


def part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def _disk_error(exc: OSError, dest: Path) -> SyncError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return SyncError(f"the disk is full: cannot download into {dest.parent} ({exc.strerror})")
    return SyncError(f"cannot write {dest}: {exc.strerror or exc}")


class BlobCorrupt(SyncError):
    """Every download of a blob hashed to something else: the server's copy may be damaged."""


def download_blob(
    client: ApiClient,
    sha256: str,
    dest: Path,
    *,
    size: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    stats: TransferStats | None = None,
) -> Path:
    """Fetch blob `sha256` into `dest` (atomically, verified); resume a `.part` left by an earlier try."""
    if not is_sha256(sha256):
        raise SyncError(f"{sha256!r} is not a SHA-256")
    stats = stats or TransferStats()
    cancel = cancel or client.cancel
    dest = Path(dest)
    if dest.is_file():
        return dest
    partial = part_path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _disk_error(exc, dest) from exc
    stalled = 0
    path = api.BLOB.format(sha256=sha256)
    while True:
        cancel.raise_if_cancelled()
        digest, offset = resume_sha256(partial)
        if size is not None and offset > size:
            partial.unlink()
            digest, offset = hashlib.sha256(), 0
        headers = {"Accept-Encoding": "identity"}
        if offset:
            headers.update({"Range": f"bytes={offset}-", "If-Range": f'"{sha256}"'})
            stats.resumes += 1
        if size is not None and offset == size:
            done = True
        else:
            response = client.request("GET", path, headers=headers, stream=True, ok=(200, 206, 416))
            try:
                done, written, digest = _receive(response, partial, offset, digest, dest, progress, cancel)
            finally:
                response.close()
            stats.bytes_received += written
            if written:
                stalled = 0
        if done and digest.hexdigest() == sha256:
            try:
                os.replace(partial, dest)
            except OSError as exc:
                raise _disk_error(exc, dest) from exc
            fsync_dir(dest.parent)
            return dest
        if done:
            # Complete but wrong: corrupted on the way or on disk. Start over from nothing.
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
            stats.refetches += 1
            if stats.refetches > MAX_REFETCHES:
                raise BlobCorrupt(f"blob {sha256[:12]} arrived corrupted {stats.refetches} times; giving up")
            continue
        stalled += 1
        if stalled >= MAX_STALLED_ATTEMPTS:
            raise OfflineError(
                f"the download of blob {sha256[:12]} keeps failing; "
                f"{partial} is kept and the next sync resumes it"
            )
        if cancel.wait(client.retry.delay(stalled)):
            cancel.raise_if_cancelled()


def _receive(
    response: requests.Response,
    partial: Path,
    offset: int,
    digest: Any,
    dest: Path,
    progress: ProgressCallback | None,
    cancel: CancelToken,
) -> tuple[bool, int, Any]:
    """Write one response into `partial`; returns (whole blob present, bytes written, running hash)."""
    if response.status_code == 416:
        # Nothing left to fetch after `offset`: what is there is either the whole blob or wrong.
        return True, 0, digest
    total: int | None = None
    if response.status_code == 206:
        match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
        if match is None or int(match.group(1)) != offset:
            raise SyncError(
                f"the server answered range {response.headers.get('Content-Range')!r} "
                f"for a request from byte {offset}"
            )
        total = None if match.group(3) == "*" else int(match.group(3))
        mode = "ab"
    else:
        # A full answer (If-Range did not match, or no range asked): start the file over.
        digest, offset = hashlib.sha256(), 0
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        mode = "wb"
    meter = _Progress(total or 0, progress, "downloading media")
    meter.done = offset
    written = 0
    try:
        with open(partial, mode) as fh:
            try:
                for chunk in response.iter_content(CHUNK):
                    cancel.raise_if_cancelled()
                    fh.write(chunk)
                    digest.update(chunk)
                    written += len(chunk)
                    meter.add(len(chunk))
            except _STREAM_ERRORS:
                # The connection dropped or stalled mid-body: keep what arrived, resume from there.
                fh.flush()
                os.fsync(fh.fileno())
                return False, written, digest
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
        raise _disk_error(exc, dest) from exc
    return (total is None or offset + written >= total), written, digest
