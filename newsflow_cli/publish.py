"""`newsflow publish`: put files, folders, URLs or stdin on the raw stream."""

from __future__ import annotations

from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from newsflow_cli.console import err, print_failure
from newsflow_cli.inputs import expand_paths, to_input
from newsflow_cli.running import check_redis_url, load_settings, run_async
from shared.client import NewsflowClient
from shared.errors import Rejected
from shared.validation_text import validation_message


def publish_inputs(inputs: list[str], source: str | None) -> int:
    """Publish each input; returns how many could not be read (and were skipped)."""
    settings = load_settings()
    check_redis_url(settings)
    args = list(expand_paths(inputs))

    async def work() -> int:
        failed = 0
        async with NewsflowClient.from_settings(settings) as client:
            with Progress(
                TextColumn("publishing"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=err,
                disable=len(args) < 10 or not err.is_terminal,
            ) as progress:
                task = progress.add_task("publish", total=len(args))
                for arg in args:
                    try:
                        item = to_input(arg, source=source, max_bytes=settings.max_content_bytes)
                        await client.publish(item.submission)
                    except ValidationError as exc:
                        print_failure(f"skipped {arg}: {validation_message(exc)}")
                        failed += 1
                    except (OSError, ValueError, Rejected) as exc:
                        print_failure(f"skipped {arg}: {exc}")
                        failed += 1
                    progress.advance(task)
        err.print(f"published {len(args) - failed} of {len(args)} to {client.names.raw}")
        return failed

    return run_async(work)
