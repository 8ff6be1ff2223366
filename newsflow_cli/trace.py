"""`newsflow trace`: where an article is, from the streams, the store and the DLQ."""

from __future__ import annotations

from newsflow_cli.console import out, write_json_line
from newsflow_cli.running import EXIT_FAILED, fail, load_settings, redis_connection, run_async
from newsflow_cli.stored_articles import stored_articles
from shared.article_trace import ArticleTrace, trace_article
from shared.streams import StreamNames


def find_trace(article_id: str) -> ArticleTrace:
    settings = load_settings()

    async def work() -> ArticleTrace:
        async with stored_articles(settings) as store, redis_connection(settings) as client:
            # No store yet (SQLite file missing) means nothing is stored.
            stored = await store.get(article_id) if store is not None else None
            return await trace_article(
                client, StreamNames(settings.stream_prefix), article_id, stored
            )

    return run_async(work)


def show_trace(article_id: str, *, as_json: bool) -> None:
    found = find_trace(article_id)
    if as_json:
        write_json_line(found.as_dict())
        return
    if not (found.stored or found.sightings or found.dead_letters):
        raise fail(
            f"no trace of article {article_id} (stored, in retained streams or the DLQ)",
            EXIT_FAILED,
        )
    out.print(f"[bold]{article_id}[/bold]  stored: {'yes' if found.stored else 'no'}")
    for stage_name, at in found.timestamps().items():
        out.print(f"  {stage_name:9s} {at or '-'}")
    for seen in found.sightings:
        where = (
            f"pending in {seen.pending_in}"
            if seen.pending_in
            else f"waiting for {seen.waiting_for}"
            if seen.waiting_for
            else "done"
        )
        out.print(f"  on {seen.stream} as {seen.entry_id} ({where})")
    for letter in found.dead_letters:
        out.print(
            f"  [red]dead letter {letter.entry_id}: {letter.letter.stage} "
            f"{letter.letter.reason}: {letter.letter.message[:80]}[/red]"
        )
