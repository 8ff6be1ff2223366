"""The api served for real by uvicorn on a free loopback port, inside the test's event loop:
the tests speak HTTP to it (streamed answers and SSE included), over the real stores."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import uvicorn

from services.api.app import build_api_app
from shared.settings import Settings
from tests.servers import free_port


@asynccontextmanager
async def served_api(settings: Settings) -> AsyncIterator[str]:
    """The api over `settings`, listening until the block ends; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        build_api_app(settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started or task.done():
                break
            await asyncio.sleep(0.05)
        if not server.started:
            await task  # raises what stopped it
            raise RuntimeError("the api did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=15)


@contextmanager
def served_api_in_thread(settings: Settings) -> Iterator[str]:
    """The same, in a thread of its own with its own event loop: for synchronous tests
    (hypothesis runs its examples synchronously)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            build_api_app(settings), host="127.0.0.1", port=port, log_level="warning",
            access_log=False, lifespan="on",
        )
    )  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the api did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
