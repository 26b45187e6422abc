"""What every request handler needs, created by create_app and kept on app.state (no module globals)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from studio.server.blobstore import BlobStore
from studio.server.clock import Clock, SystemClock
from studio.server.db import Database
from studio.server.running_hash import HeldBudget, RunningHash
from studio.server.settings import Settings


@dataclass
class Context:
    settings: Settings
    db: Database
    store: BlobStore
    epoch: str
    clock: Clock = field(default_factory=SystemClock)
    running: dict[str, RunningHash] = field(default_factory=dict)
    held: HeldBudget = field(default_factory=HeldBudget)
    completing: dict[str, asyncio.Lock] = field(default_factory=dict)
    # Two threads for the lanes of the parts being received, and one for the whole-upload SHA-256, so a
    # part's checksum and writes never queue behind another part's hashing.
    receivers: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(2, "studio-part"))
    hasher: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, "studio-sha256"))

    def forget_upload(self, session_id: str) -> RunningHash | None:
        """Stop tracking an upload in this process (complete, dropped or expired); returns its state."""
        running = self.running.pop(session_id, None)
        if running is not None:
            running.release()
        return running


async def get_context(request: Request) -> Context:
    """Async so that FastAPI calls it in place rather than on a worker thread."""
    return request.app.state.ctx  # type: ignore[no-any-return]


Ctx = Annotated[Context, Depends(get_context)]
