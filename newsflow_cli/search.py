"""`newsflow search`: full-text search over the stored articles."""

from __future__ import annotations

from rich.table import Table

from newsflow_cli.console import out, write_json_line
from newsflow_cli.running import EXIT_FAILED, fail, load_settings, run_async
from newsflow_cli.stored_articles import stored_articles
from shared.store.article_query import ArticleQuery, QueryError

# Bounds of `--limit`: both stores take a 64-bit LIMIT, but no screen or pipe wants more.
MIN_LIMIT = 1
MAX_LIMIT = 10_000


def find_articles(query: str, limit: int) -> list[dict[str, object]]:
    """The best matches, best first, as the JSON documents `--json` prints."""
    settings = load_settings()
    try:
        # The read side's own check: a query the api answers with a 400 is refused here in
        # the same words, not searched for and found nowhere.
        ArticleQuery.checked(q=query)
    except QueryError as exc:
        raise fail(exc.message) from None

    async def work() -> list[dict[str, object]]:
        async with stored_articles(settings) as store:
            if store is None:
                raise fail(
                    f"no store at {settings.sqlite_path} (set NEWSFLOW_SQLITE_PATH or DATABASE_URL)"
                )
            return [
                {
                    "id": a.id,
                    "title": a.title,
                    "url": a.url,
                    "source": a.source,
                    "language": a.language,
                    "published_at": a.published_at.isoformat() if a.published_at else None,
                    "snippet": a.snippet,
                }
                for a in await store.search_text(query, limit)
            ]

    return run_async(work)


def show_search(query: str, limit: int, *, as_json: bool) -> None:
    results = find_articles(query, limit)
    if as_json:
        for result in results:
            write_json_line(result)
        return
    if not results:
        raise fail(f"no stored article matches {query!r}", EXIT_FAILED)
    table = Table(show_lines=True)
    for column in ("published", "source", "title / snippet"):
        table.add_column(column)
    for r in results:
        published = str(r["published_at"] or "")[:10]
        table.add_row(
            published, str(r["source"] or ""), f"[bold]{r['title']}[/bold]\n{r['snippet']}"
        )
    out.print(table)
