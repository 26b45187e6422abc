"""The application factory: create_app(settings) builds a complete server with no module-level state."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from studio import __version__
from studio.protocol import api
from studio.server import ca, errors, garbage, throttle
from studio.server.blobstore import open_store
from studio.server.clock import Clock, SystemClock
from studio.server.context import Context, Ctx
from studio.server.db import Database
from studio.server.middleware import AccessLog, RequestGuard, SecurityHeaders
from studio.server.models import HealthOut
from studio.server.routes import accounts, blobs, calls, certificates, payouts, records, repair, spaces
from studio.server.settings import Settings

log = logging.getLogger("studio.server")


def create_app(settings: Settings, clock: Clock | None = None) -> FastAPI:
    """Open (and migrate) the database and the blob store, and wire the routes. Every handler reads the
    time from `clock` (wall time shifted by STUDIO_SERVER_TIME_SHIFT unless one is given)."""
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(settings.data_dir, 0o700)
    db = Database(settings.database_url)
    db.migrate()
    for path in db.files():
        os.chmod(path, 0o600)
    store = open_store(settings.blobs_url)
    ctx = Context(
        settings=settings, db=db, store=store, epoch=db.epoch(), clock=clock or SystemClock.from_env()
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_collect_garbage(ctx))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            ctx.receivers.shutdown(wait=False)
            ctx.hasher.shutdown(wait=False)
            store.close()
            db.dispose()

    app = FastAPI(
        title="Remix Studio server",
        version=__version__,
        description="Accounts, spaces, content-addressed media and the change feed (see docs/server.md).",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=api.OPENAPI,
    )
    app.state.ctx = ctx
    app.state.ca = ca.load_or_create(settings.data_dir)
    errors.install(app)
    app.router.routes.append(blobs.part_fast_lane())  # first: matched before the included routers
    for module in (accounts, spaces, records, blobs, repair, certificates, payouts, calls):
        app.include_router(module.router)

    @app.get(api.HEALTH, response_model=HealthOut, tags=["server"])
    def health(c: Ctx) -> HealthOut:
        return HealthOut(status="ok", epoch=c.epoch, version=__version__)

    app.add_middleware(RequestGuard, settings=settings)
    app.add_middleware(SecurityHeaders, tls=bool(settings.tls_cert))
    app.add_middleware(AccessLog)
    return app


async def _collect_garbage(ctx: Context) -> None:
    while True:
        await asyncio.sleep(ctx.settings.gc_interval)
        try:
            await run_in_threadpool(garbage.collect, ctx)
            await run_in_threadpool(throttle.forget_old, ctx)
        except Exception:
            log.exception("garbage collection failed; retrying at the next interval")
