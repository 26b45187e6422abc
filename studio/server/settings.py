"""Server settings: where data lives and the limits, from CLI arguments plus STUDIO_SERVER_* variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

GIB = 1024**3
MIB = 1024**2
DAY = 86400


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
    login_window: int = 300

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir).resolve())
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.data_dir / 'studio.db'}")
        if not self.blobs_url:
            object.__setattr__(self, "blobs_url", (self.data_dir / "blobs").as_uri())

    @classmethod
    def from_env(cls, data_dir: Path, database_url: str = "", blobs_url: str = "") -> Settings:
        return cls(
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
        )
