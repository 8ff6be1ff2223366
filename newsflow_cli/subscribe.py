"""`newsflow subscribe`: follow enriched events, one JSON object per line."""

from __future__ import annotations

import asyncio

from newsflow_cli.console import write_json_line
from newsflow_cli.running import check_redis_url, load_settings, run_async
from shared.client import NewsflowClient


def follow_enriched(
    *, from_start: bool, group: str | None, count: int | None, timeout: float | None
) -> None:
    """Print enriched events until `count` of them, `timeout` seconds, or Ctrl-C."""
    settings = load_settings()
    check_redis_url(settings)

    async def follow() -> None:
        seen = 0
        async with NewsflowClient.from_settings(settings) as client:
            async for event in client.follow(from_start=from_start, group=group):
                write_json_line(event.model_dump(mode="json", exclude_none=True))
                seen += 1
                if count is not None and seen >= count:
                    return

    async def work() -> None:
        try:
            await asyncio.wait_for(follow(), timeout or None)
        except TimeoutError:
            return

    run_async(work)
