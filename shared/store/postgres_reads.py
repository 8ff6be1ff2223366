"""Where the PostgreSQL store's reads run.

A stage reads little, between its writes: its reads share the store's one connection. The
api answers requests at once, and on one connection (psycopg runs one command at a time on
it) every request would queue behind the slowest query: its reads take connections of a
pool, each under a statement timeout, so a query too broad for the store is cut off and
answered, not left holding a connection for minutes.

Either way a read that fails for the database's sake (unreachable, restarting, the timeout,
no pooled connection free in time) is `Unavailable`: the api answers it with a 503.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

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

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        try:
            if self.pool_size <= 0:
                yield await self.shared()
                return
            async with (await self._opened_pool()).connection(timeout=self.wait_s) as conn:
                yield conn
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
