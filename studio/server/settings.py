"""Server settings: where data lives and the limits, from CLI arguments plus STUDIO_SERVER_* variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GIB = 1024**3
MIB = 1024**2
DAY = 86400


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        result = float(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a number") from None
    if not 0 < result < 1e6:
        raise ValueError(f"{name}={value!r} must be a positive number of seconds")
    return result


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not an integer") from None


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str = ""
    blobs_url: str = ""
    max_blob_size: int = 4 * GIB
    max_body: int = 16 * MIB
    token_ttl: int = 90 * DAY
    gc_grace: int = DAY
    gc_interval: int = 3600
    upload_ttl: int = 7 * DAY
    login_failures: int = 10
    login_window: int = 3600
    # Connections (see docs/server.md, "Running it on a network")
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    keep_alive: float = 5.0
    max_connections: int = 1000
    trusted_proxies: tuple[str, ...] = ()
    tls_cert: str = ""
    tls_key: str = ""
    # Request shapes
    max_json_elements: int = 200_000
    page_bytes: int = 4 * MIB
    push_tx_ops: int = 2000  # ops one push transaction applies at most (studio.server.changes)
    # Per-account quotas
    quota_bytes: int = 20 * GIB
    quota_uploads: int = 64
    quota_records: int = 100_000
    quota_spaces: int = 100
    signups_per_address: int = 5

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir).resolve())
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.data_dir / 'studio.db'}")
        if not self.blobs_url:
            object.__setattr__(self, "blobs_url", (self.data_dir / "blobs").as_uri())
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ValueError("TLS needs both a certificate and its key")
        for name in ("header_timeout", "body_timeout", "keep_alive"):
            if not 0 < getattr(self, name) < 1e6:
                raise ValueError(f"{name} must be a positive number of seconds")
        if self.push_tx_ops < 1:
            raise ValueError("push_tx_ops must be at least 1")
        if self.max_connections < 1:
            raise ValueError("max_connections must be at least 1")

    @classmethod
    def from_env(cls, data_dir: Path, database_url: str = "", blobs_url: str = "", **given: Any) -> Settings:
        """Settings from STUDIO_SERVER_* variables; `given` (from command-line flags) wins over them."""
        values: dict[str, Any] = dict(
            data_dir=data_dir,
            database_url=database_url,
            blobs_url=blobs_url,
            max_blob_size=_env_int("STUDIO_SERVER_MAX_BLOB_SIZE", 4 * GIB),
            max_body=_env_int("STUDIO_SERVER_MAX_BODY", 16 * MIB),
            token_ttl=_env_int("STUDIO_SERVER_TOKEN_TTL", 90 * DAY),
            gc_grace=_env_int("STUDIO_SERVER_GC_GRACE", DAY),
            gc_interval=_env_int("STUDIO_SERVER_GC_INTERVAL", 3600),
            upload_ttl=_env_int("STUDIO_SERVER_UPLOAD_TTL", 7 * DAY),
            login_failures=_env_int("STUDIO_SERVER_LOGIN_FAILURES", 10),
            header_timeout=_env_float("STUDIO_SERVER_HEADER_TIMEOUT", 10.0),
            body_timeout=_env_float("STUDIO_SERVER_BODY_TIMEOUT", 30.0),
            keep_alive=_env_float("STUDIO_SERVER_KEEP_ALIVE", 5.0),
            max_connections=_env_int("STUDIO_SERVER_MAX_CONNECTIONS", 1000),
            trusted_proxies=tuple(
                p.strip() for p in os.environ.get("STUDIO_SERVER_TRUSTED_PROXIES", "").split(",") if p.strip()
            ),
            max_json_elements=_env_int("STUDIO_SERVER_MAX_JSON_ELEMENTS", 200_000),
            page_bytes=_env_int("STUDIO_SERVER_PAGE_BYTES", 4 * MIB),
            push_tx_ops=_env_int("STUDIO_SERVER_PUSH_TX_OPS", 2000),
            quota_bytes=_env_int("STUDIO_SERVER_QUOTA_BYTES", 20 * GIB),
            quota_uploads=_env_int("STUDIO_SERVER_QUOTA_UPLOADS", 64),
            quota_records=_env_int("STUDIO_SERVER_QUOTA_RECORDS", 100_000),
            quota_spaces=_env_int("STUDIO_SERVER_QUOTA_SPACES", 100),
            signups_per_address=_env_int("STUDIO_SERVER_SIGNUPS_PER_ADDRESS", 5),
        )
        values.update({k: v for k, v in given.items() if v is not None})
        return cls(**values)
