"""What every request handler needs, created by create_app and kept on app.state (no module globals)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from studio.server.blobstore import BlobStore
from studio.server.db import Database
from studio.server.settings import Settings


@dataclass
class Context:
    settings: Settings
    db: Database
    store: BlobStore
    epoch: str


def get_context(request: Request) -> Context:
    return request.app.state.ctx  # type: ignore[no-any-return]


Ctx = Annotated[Context, Depends(get_context)]
