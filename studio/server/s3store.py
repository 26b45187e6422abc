"""Blobs in an S3-compatible bucket: [prefix/]blobs/ab/<sha256>, staging as a multipart upload at
[prefix/]uploads/<session>. The optional prefix (the URL's path) lets several servers share one bucket.

Parts go straight into the multipart upload; complete joins them, the joined object is re-read and hashed,
and only then copied under its hash. Several server processes may share one bucket.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from studio.core.hashing import sha256_of_chunks
from studio.server.blobstore import READ_CHUNK, BlobStore, check_ids


class S3BlobStore(BlobStore):
    def __init__(
        self,
        bucket: str,
        endpoint: str | None,
        key: str | None,
        secret: str | None,
        region: str,
        prefix: str = "",
    ) -> None:
        if prefix and not re.fullmatch(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*", prefix):
            raise ValueError(f"S3 key prefix {prefix!r} may hold only letters, digits, '_', '-' and '/'")
        self.bucket = bucket
        self.prefix = prefix + "/" if prefix else ""
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            region_name=region,
            config=Config(
                s3={"addressing_style": "path"},
                retries={"max_attempts": 5, "mode": "standard"},
                max_pool_connections=32,
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )
        self._ensure_bucket()

    @classmethod
    def from_url(cls, url: str) -> S3BlobStore:
        parsed = urlparse(url)
        if not parsed.netloc:
            raise ValueError(f"blob store URL {url!r} names no bucket")
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        return cls(
            parsed.netloc,
            query.get("endpoint"),
            query.get("key"),
            query.get("secret"),
            query.get("region", "us-east-1"),
            parsed.path.strip("/"),
        )

    def _ensure_bucket(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            with contextlib.suppress(ClientError):
                self.client.create_bucket(Bucket=self.bucket)
            self.client.head_bucket(Bucket=self.bucket)

    def _final(self, sha256: str) -> str:
        check_ids(sha256=sha256)
        return f"{self.prefix}blobs/{sha256[:2]}/{sha256}"

    def _staged(self, session_id: str) -> str:
        check_ids(session_id=session_id)
        return f"{self.prefix}uploads/{session_id}"

    def begin(self, session_id: str, size: int) -> str:
        answer = self.client.create_multipart_upload(Bucket=self.bucket, Key=self._staged(session_id))
        return str(answer["UploadId"])

    def put_part(
        self, session_id: str, store_ref: str, number: int, offset: int, data: bytes | bytearray
    ) -> str:
        answer = self.client.upload_part(
            Bucket=self.bucket,
            Key=self._staged(session_id),
            UploadId=store_ref,
            PartNumber=number,
            Body=bytes(data),
        )
        return str(answer["ETag"])

    def assemble(self, session_id: str, store_ref: str, parts: list[tuple[int, str]], size: int) -> None:
        if self._head(self._staged(session_id)) is not None:
            return
        self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self._staged(session_id),
            UploadId=store_ref,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etag} for n, etag in parts]},
        )

    def staged_digest(self, session_id: str) -> tuple[str, int] | None:
        key = self._staged(session_id)
        if self._head(key) is None:
            return None
        return sha256_of_chunks(self._read(key, None))

    def has_staged(self, session_id: str) -> bool:
        return self._head(self._staged(session_id)) is not None

    def publish(self, session_id: str, sha256: str) -> None:
        if not self.has_staged(session_id):
            if self.exists(sha256):
                return
            raise FileNotFoundError(f"upload {session_id} has nothing staged to publish")
        source = {"Bucket": self.bucket, "Key": self._staged(session_id)}
        self.client.copy(source, self.bucket, self._final(sha256))
        self.client.delete_object(Bucket=self.bucket, Key=self._staged(session_id))

    def discard(self, session_id: str, store_ref: str) -> None:
        if store_ref:
            with contextlib.suppress(ClientError):
                self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=self._staged(session_id), UploadId=store_ref
                )
        with contextlib.suppress(ClientError):
            self.client.delete_object(Bucket=self.bucket, Key=self._staged(session_id))

    def exists(self, sha256: str) -> bool:
        return self._head(self._final(sha256)) is not None

    def digest(self, sha256: str) -> tuple[str, int] | None:
        key = self._final(sha256)
        if self._head(key) is None:
            return None
        return sha256_of_chunks(self._read(key, None))

    def read_range(self, sha256: str, start: int, end: int) -> Iterator[bytes]:
        if end <= start:
            return iter(())
        return self._read(self._final(sha256), f"bytes={start}-{end - 1}")

    def delete(self, sha256: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._final(sha256))

    def close(self) -> None:
        self.client.close()

    def _head(self, key: str) -> dict[str, object] | None:
        try:
            return dict(self.client.head_object(Bucket=self.bucket, Key=key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def _read(self, key: str, byte_range: str | None) -> Iterator[bytes]:
        kwargs = {"Bucket": self.bucket, "Key": key}
        if byte_range:
            kwargs["Range"] = byte_range
        body = self.client.get_object(**kwargs)["Body"]
        try:
            yield from body.iter_chunks(READ_CHUNK)
        finally:
            body.close()
