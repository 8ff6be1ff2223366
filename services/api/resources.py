"""What the api holds open while it runs: the store, a Redis connection, a publishing
client. Opened in the app's lifespan, reached by the routes through `resources_of`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI, Request
from redis.asyncio import Redis

from shared.client import NewsflowClient
from shared.settings import Settings
from shared.store.article_store import ArticleStore
from shared.store.backends import open_store
from shared.streams import StreamNames

_CHECK_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class ApiResources:
    settings: Settings
    store: ArticleStore
    redis: Redis
    publisher: NewsflowClient

    @property
    def names(self) -> StreamNames:
        return self.publisher.names

    async def readiness(self) -> dict[str, bool]:
        """Each dependency answers within a few seconds: the store, Redis."""

        async def answers(check: Awaitable[object]) -> bool:
            try:
                return bool(await asyncio.wait_for(check, timeout=_CHECK_TIMEOUT_S))
            except Exception:
                return False

        store, redis = await asyncio.gather(answers(self.store.ping()), answers(self.redis.ping()))
        return {"store": store, "redis": redis}


@asynccontextmanager
async def opened_resources(settings: Settings) -> AsyncIterator[ApiResources]:
    store = open_store(settings, serving=True)
    await store.open()
    publisher = NewsflowClient.from_settings(settings)
    try:
        yield ApiResources(settings, store, publisher.redis, publisher)
    finally:
        try:
            await publisher.redis.aclose()
        finally:
            await store.close()


def lifespan_of(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The app's lifespan: the resources opened before the first request, closed after
    the last."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with opened_resources(settings) as resources:
            app.state.resources = resources
            yield

    return lifespan


def resources_of(request: Request) -> ApiResources:
    resources: ApiResources = request.app.state.resources
    return resources
