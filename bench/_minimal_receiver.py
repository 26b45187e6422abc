"""The least an upload endpoint on this server stack can do: receive each part through uvicorn (httptools,
uvloop, the same allocator tuning and the same direct body delivery as `studio serve`), feed its bytes to
a running SHA-256 on one thread and write them at their offset on another, and answer. No routing,
accounts, database or part checksum.
With `?hash=none` in the URL it skips the SHA-256, which shows what the hashing alone costs.

bench/server.py measures it beside the studio server to show how much of the gap to the static endpoint is
the stack and the hashing, and how much is the studio's own work.

Run: python bench/_minimal_receiver.py PORT FOLDER
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.server.direct_body import DIRECT_BODY, DirectBodyProtocol
from studio.server.serve import tune_allocator

BATCH = 1 << 20
POOL = ThreadPoolExecutor(2)
DIGESTS: dict[str, Any] = {}


def _update(digest: Any, chunks: list[bytes]) -> None:
    for chunk in chunks:
        digest.update(chunk)


def make_app(folder: Path) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] != "PUT":
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        blob, _, offset = scope["path"].strip("/").partition("/")
        digest = DIGESTS.setdefault(blob, hashlib.sha256())
        hashing = scope.get("query_string", b"") != b"hash=none"
        fd = os.open(folder / blob, os.O_WRONLY | os.O_CREAT, 0o600)
        chunks: list[bytes] = []  # kept as they arrived, as studio serve keeps a part's bytes
        loop = asyncio.get_running_loop()
        state = {"received": 0, "fed": 0, "fed_chunks": 0}
        pending: list[asyncio.Future[Any]] = []

        def take(body: bytes, more: bool = True) -> None:
            if body:
                chunks.append(body)
                state["received"] += len(body)
            received, fed = state["received"], state["fed"]
            ready = all(future.done() for future in pending)
            if received > fed and ready and (received - fed >= BATCH or not more):
                piece = chunks[state["fed_chunks"] :]
                pending[:] = [loop.run_in_executor(POOL, os.pwritev, fd, piece, int(offset or 0) + fed)]
                if hashing:
                    pending.append(loop.run_in_executor(POOL, _update, digest, piece))
                state["fed"], state["fed_chunks"] = received, len(chunks)

        direct = scope.get("extensions", {}).get(DIRECT_BODY)
        if direct is not None:
            await direct.read_into(take)
        else:
            while True:
                message = await receive()
                take(message.get("body", b""), message.get("more_body", False))
                if not message.get("more_body", False):
                    break
        while state["fed"] < state["received"] or not all(future.done() for future in pending):
            await asyncio.gather(*pending)
            take(b"", more=False)
        os.close(fd)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})

    return app


def main() -> None:
    tune_allocator()
    port, folder = int(sys.argv[1]), Path(sys.argv[2])
    folder.mkdir(parents=True, exist_ok=True)
    uvicorn.run(
        make_app(folder),
        host="127.0.0.1",
        port=port,
        http=DirectBodyProtocol,
        loop="uvloop",
        log_level="warning",
    )


if __name__ == "__main__":
    main()
