"""`newsflow dlq`: list, show, replay and purge dead letters."""

from __future__ import annotations

import re
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import orjson
import typer
from redis.asyncio import Redis
from rich.table import Table

from newsflow_cli.console import err, out
from newsflow_cli.running import load_settings, redis_connection, run_async
from shared.dead_letters import (
    DeadLetterEntry,
    LetterFilter,
    get_letter,
    list_letters,
    purge,
    reasons_summary,
    replay,
)
from shared.streams import StreamNames

dlq_app = typer.Typer(help="Dead letters: list, show, replay into their stage, purge.")
T = TypeVar("T")
# A stream entry's id, as `dlq list` shows them: anything else Redis refuses with its own words.
_ENTRY_ID = re.compile(r"\d{1,20}(-\d{1,20})?")

StageOption = Annotated[str | None, typer.Option(help="Only letters from this stage.")]
ReasonOption = Annotated[str | None, typer.Option(help="Only letters with this reason.")]
IdsArgument = Annotated[list[str] | None, typer.Argument(help="Dead-letter entry ids.")]


def _run(work: Callable[[Redis, StreamNames], Awaitable[T]]) -> T:
    settings = load_settings()

    async def go() -> T:
        async with redis_connection(settings) as redis:
            return await work(redis, StreamNames(settings.stream_prefix))

    return run_async(go)


async def _select(
    redis: Redis, names: StreamNames, ids: list[str] | None, where: LetterFilter, everything: bool
) -> list[DeadLetterEntry]:
    if ids:
        found = [await get_letter(redis, names, i) for i in ids]
        missing = [i for i, f in zip(ids, found, strict=True) if f is None]
        if missing:
            err.print(f"[red]no dead letter with id[/red] {', '.join(missing)}")
            raise typer.Exit(1)
        return [f for f in found if f is not None]
    if where.stage is None and where.reason is None and not everything:
        err.print("name entry ids, or select with --stage/--reason, or pass --all")
        raise typer.Exit(2)
    return await list_letters(redis, names, where)


@dlq_app.command("list")
def list_command(
    stage: StageOption = None,
    reason: ReasonOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines output.")] = False,
) -> None:
    """Dead letters, oldest first, with a count per stage and reason."""
    entries = _run(lambda r, n: list_letters(r, n, LetterFilter(stage, reason)))
    if as_json:
        for e in entries:
            line = {"entry_id": e.entry_id, **e.letter.model_dump(mode="json", exclude={"payload"})}
            sys.stdout.buffer.write(orjson.dumps(line) + b"\n")
        return
    table = Table(title=f"{len(entries)} dead letters")
    for column in ("entry id", "stage", "reason", "tries", "article", "message"):
        table.add_column(column, overflow="fold")
    for e in entries:
        table.add_row(
            e.entry_id, e.letter.stage, e.letter.reason, str(e.letter.delivery_count),
            e.letter.article_id or "-", e.letter.message[:120],
        )  # fmt: skip
    out.print(table)
    for stage_name, reason_name, n in reasons_summary(entries):
        out.print(f"{n:6d}  {stage_name:8s}  {reason_name}")


@dlq_app.command()
def show(entry_id: Annotated[str, typer.Argument(help="Dead-letter entry id.")]) -> None:
    """One dead letter, whole, with its original payload."""
    if not _ENTRY_ID.fullmatch(entry_id):
        err.print(f"[red]not a dead letter's id[/red] {entry_id} (ids look like 1764826800000-0)")
        raise typer.Exit(1)
    entry = _run(lambda r, n: get_letter(r, n, entry_id))
    if entry is None:
        err.print(f"[red]no dead letter with id[/red] {entry_id}")
        raise typer.Exit(1)
    document = {"entry_id": entry.entry_id, **entry.letter.model_dump(mode="json")}
    sys.stdout.buffer.write(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")


@dlq_app.command("replay")
def replay_command(
    ids: IdsArgument = None,
    stage: StageOption = None,
    reason: ReasonOption = None,
    everything: Annotated[bool, typer.Option("--all", help="Every dead letter.")] = False,
    keep: Annotated[bool, typer.Option(help="Leave the letters on the DLQ too.")] = False,
) -> None:
    """Put letters back, byte for byte, on the stream of the stage they failed in. Letters
    whose payload was cut to NEWSFLOW_DLQ_MAX_PAYLOAD_BYTES are not replayed."""

    async def work(redis: Redis, names: StreamNames) -> tuple[int, list[DeadLetterEntry]]:
        chosen = await _select(redis, names, ids, LetterFilter(stage, reason), everything)
        cut = [e for e in chosen if e.letter.payload_truncated]
        whole = [e for e in chosen if not e.letter.payload_truncated]
        return len(await replay(redis, names, whole, keep=keep)), cut

    replayed, cut = _run(work)
    err.print(f"replayed {replayed} dead letter(s)")
    if cut:
        err.print(
            f"[red]not replayed, payload cut to the size cap:[/red] "
            f"{', '.join(e.entry_id for e in cut)}"
        )
        raise typer.Exit(1)


@dlq_app.command("purge")
def purge_command(
    ids: IdsArgument = None,
    stage: StageOption = None,
    reason: ReasonOption = None,
    everything: Annotated[bool, typer.Option("--all", help="Every dead letter.")] = False,
) -> None:
    """Delete letters for good."""

    async def work(redis: Redis, names: StreamNames) -> int:
        chosen = await _select(redis, names, ids, LetterFilter(stage, reason), everything)
        return await purge(redis, names, chosen)

    err.print(f"purged {_run(work)} dead letter(s)")
