"""Where the PostgreSQL store's reads run.

A stage reads little, between its writes: its reads share the store's one connection. The
api answers requests at once, and on one connection (psycopg runs one command at a time on
it) every request would queue behind the slowest query: its reads take connections of a
pool, each under a statement timeout, so a query too broad for the store is cut off and
answered, not left holding a connection for minutes.

An export streams for as long as its client takes to download it, so it holds no pooled
connection: it reads through a connection of its own. With a pool those are at most as many
as the pool's, each under the same timeout: one each, however many ran, let a few dozen
slow downloads take every connection PostgreSQL has, the sink's too.

Either way a read that fails for the database's sake (unreachable, restarting, the timeout,
no pooled connection free in time) is `Unavailable`: the api answers it with a 503.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from shared.errors import Unavailable
from shared.secret_text import masked
from shared.store.store_errors import QueryTooSlow

Connection = AsyncConnection[TupleRow]
# How long a read waits for a pooled connection before it is answered as unavailable.
POOL_WAIT_S = 5.0


class ReadConnections:
    def __init__(
        self,
        url: str,
        shared: Callable[[], Awaitable[Connection]],
        *,
        pool_size: int = 0,
        timeout_s: float | None = None,
        wait_s: float = POOL_WAIT_S,
    ) -> None:
        """`pool_size` 0: reads share the connection `shared` gives; else a pool of that
        many, each read cut off past `timeout_s`."""
        self.url = url
        self.shared = shared
        self.pool_size = pool_size
        self.timeout_s = timeout_s
        self.wait_s = wait_s
        self._pool: AsyncConnectionPool[Connection] | None = None
        self._streams = asyncio.Semaphore(pool_size) if pool_size > 0 else None

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        with self._failures():
            if self.pool_size <= 0:
                yield await self.shared()
                return
            async with (await self._opened_pool()).connection(timeout=self.wait_s) as conn:
                yield conn

    @asynccontextmanager
    async def streaming(self) -> AsyncIterator[Connection]:
        """A connection of its own, in a transaction (a server-side cursor needs one), for a
        read streamed as slowly as its client takes it; with a pool, one of at most
        `pool_size` at once, under the pool's timeout."""
        with self._failures():
            if self._streams is not None:
                try:
                    await asyncio.wait_for(self._streams.acquire(), timeout=self.wait_s)
                except TimeoutError:
                    raise Unavailable(
                        f"{self.pool_size} exports are running (NEWSFLOW_API_DB_CONNECTIONS): "
                        "try again when one is done"
                    ) from None
            try:
                async with await AsyncConnection.connect(self.url) as conn:
                    await self._configure(conn)
                    yield conn
            finally:
                if self._streams is not None:
                    self._streams.release()

    @contextmanager
    def _failures(self) -> Iterator[None]:
        try:
            yield
        except psycopg.errors.QueryCanceled as exc:
            raise QueryTooSlow(
                f"the query ran longer than {self.timeout_s:g} s (NEWSFLOW_API_QUERY_TIMEOUT_S): "
                "narrow it (a date range, a source, rarer words)"
            ) from exc
        except PoolTimeout as exc:
            raise Unavailable(f"no connection to PostgreSQL within {self.wait_s:g} s") from exc
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            raise Unavailable(masked(f"PostgreSQL: {type(exc).__name__}: {exc}")[:500]) from exc

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def _opened_pool(self) -> AsyncConnectionPool[Connection]:
        if self._pool is None:
            pool: AsyncConnectionPool[Connection] = AsyncConnectionPool(
                self.url,
                min_size=1,
                max_size=self.pool_size,
                kwargs={"autocommit": True},
                configure=self._configure,
                check=AsyncConnectionPool.check_connection,  # a restarted server's
                timeout=self.wait_s,
                open=False,
            )
            await pool.open(wait=False)
            self._pool = pool
        return self._pool

    async def _configure(self, conn: Connection) -> None:
        if self.timeout_s is not None:
            await conn.execute(f"SET statement_timeout = {int(self.timeout_s * 1000)}")
