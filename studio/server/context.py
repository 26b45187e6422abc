"""What every request handler needs, created by create_app and kept on app.state (no module globals)."""

from __future__ import annotations

import asyncio
import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request

from studio.server.blobstore import BlobStore
from studio.server.db import Database
from studio.server.settings import Settings


@dataclass
class RunningHash:
    """SHA-256 over the parts of one upload that this process stored in order, so that completing an
    upload sent in order needs no second read of the whole blob; one lock per part being received, so that
    two requests for the same part never write its bytes at the same time; and the hash of each part this
    process recorded, checked again under the lock."""

    next_part: int = 1
    digest: Any = field(default_factory=hashlib.sha256)
    size: int = 0
    receiving: dict[int, asyncio.Lock] = field(default_factory=dict)
    recorded: dict[int, str] = field(default_factory=dict)


@dataclass
class Context:
    settings: Settings
    db: Database
    store: BlobStore
    epoch: str
    running: dict[str, RunningHash] = field(default_factory=dict)
    hasher: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(2, "studio-hash"))


def get_context(request: Request) -> Context:
    return request.app.state.ctx  # type: ignore[no-any-return]


Ctx = Annotated[Context, Depends(get_context)]
