"""`newsflow alerts`: add, list, show, remove, test and watch saved searches.

The alerts live in the store; adding or removing one bumps the version the matching stage
watches (shared/alerts/catalog.py). A webhook secret is printed once, at `add`, when it was
generated; `list` and `show` give its fingerprint only.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import typer
from redis.asyncio import Redis
from rich.table import Table

from newsflow_cli.arguments import utf8_text
from newsflow_cli.console import out, write_json_line
from newsflow_cli.running import fail, load_settings, redis_connection, run_async
from newsflow_cli.stored_articles import stored_articles
from shared.alerts.catalog import add_alert, get_alert, remove_alert
from shared.alerts.definition import NAME_PATTERN, AlertDefinition, AlertError, new_secret
from shared.alerts.figures import read_figures
from shared.alerts.webhook_guard import webhook_allow_list
from shared.alerts.wire import AlertKeys, AlertMatch
from shared.article_match import ArticleFacts, CompiledQuery
from shared.settings import Settings
from shared.store.article_query import QueryError
from shared.store.article_store import ArticleStore
from shared.store.backends import opened_store
from shared.store.story_query import StoryQuery
from shared.streams import StreamNames, decode_event_entry

alerts_app = typer.Typer(help="Saved searches delivered as articles are enriched.")

NameArgument = Annotated[str, typer.Argument(help="The alert's name.", callback=utf8_text)]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]

_RATE = re.compile(r"^\s*(\d+)\s*(?:/\s*(?:m|min|minute))?\s*$")


def parse_rate(text: str) -> int:
    """`--rate 10/min` (or `10`): webhook POSTs per minute."""
    found = _RATE.match(text)
    if not found:
        raise AlertError(f"rate must be N/min, e.g. 10/min: {text!r}")
    return int(found.group(1))


@asynccontextmanager
async def _alerts_of(settings: Settings, *, create: bool) -> AsyncIterator[ArticleStore]:
    """The store holding the alerts; readers never create an SQLite file that is missing."""
    if create:
        async with opened_store(settings) as store:
            yield store
        return
    async with stored_articles(settings) as found:
        if found is None:
            raise fail(f"no store at {settings.sqlite_path}: no alerts (set DATABASE_URL?)")
        yield found


def _checked(work: Any) -> Any:
    try:
        return run_async(work)
    except QueryError as exc:  # AlertError too: the user's mistake, said as the API says it
        raise fail(exc.message) from None


@alerts_app.command("add")
def add(
    name: NameArgument,
    q: Annotated[str | None, typer.Option("--q", help="Web-search syntax, as in /api.")] = None,
    source: Annotated[list[str] | None, typer.Option(help="Source name; repeatable.")] = None,
    language: Annotated[list[str] | None, typer.Option(help="Language code; repeatable.")] = None,
    country: Annotated[list[str] | None, typer.Option(help="ISO alpha-2; repeatable.")] = None,
    entity: Annotated[list[str] | None, typer.Option(help="Entity text; repeatable.")] = None,
    topic: Annotated[list[str] | None, typer.Option(help="IPTC code or label; repeatable.")] = None,
    place: Annotated[list[str] | None, typer.Option(help="Place name; repeatable.")] = None,
    tone_min: Annotated[float | None, typer.Option(help="GDELT-style tone at least.")] = None,
    tone_max: Annotated[float | None, typer.Option(help="GDELT-style tone at most.")] = None,
    webhook: Annotated[str | None, typer.Option(help="URL each match is POSTed to.")] = None,
    secret: Annotated[
        str | None, typer.Option(help="HMAC secret (>= 16 chars); generated if omitted.")
    ] = None,
    rate: Annotated[str, typer.Option(help="Webhook POSTs per minute, e.g. 10/min.")] = "60/min",
    once_per_story: Annotated[
        bool,
        typer.Option(
            "--once-per-story",
            help="One match per story: the first of its articles the search matches.",
        ),
    ] = False,
) -> None:
    """Save a search: every article enriched from now on that it matches is delivered."""
    settings = load_settings()
    generated = webhook is not None and secret is None
    fields: dict[str, Any] = {
        "name": name,
        "query": {
            "q": q, "sources": source or [], "languages": language or [],
            "countries": country or [], "entities": entity or [], "topics": topic or [],
            "places": place or [], "tone_min": tone_min, "tone_max": tone_max,
        },
        "webhook": (
            None if webhook is None else {"url": webhook, "secret": secret or new_secret()}
        ),
    }  # fmt: skip

    async def work() -> AlertDefinition:
        alert = AlertDefinition.checked(
            **fields, rate_per_minute=parse_rate(rate), once_per_story=once_per_story
        )
        async with _alerts_of(settings, create=True) as store, redis_connection(settings) as r:
            await add_alert(
                store, r, AlertKeys(settings.stream_prefix), alert,
                webhook_allow=webhook_allow_list(settings.webhook_allow_networks),
            )  # fmt: skip
        return alert

    alert = _checked(work)
    per = " (once per story)" if alert.once_per_story else ""
    out.print(f"added alert {alert.name}: {alert.query.described()}{per}", highlight=False)
    out.print(f"stream: {AlertKeys(settings.stream_prefix).stream(alert.name)}", highlight=False)
    if alert.webhook is not None:
        out.print(f"webhook: {alert.webhook.origin} ({alert.webhook.fingerprint})", highlight=False)
        if generated:
            # The one time it is shown: the receiver needs it to check signatures.
            out.print(
                f"webhook secret (shown once, keep it): {alert.webhook.secret.get_secret_value()}",
                highlight=False,
                soft_wrap=True,
            )


@alerts_app.command("list")
def list_alerts(as_json: JsonOption = False) -> None:
    """Every alert with its query, webhook and figures."""
    settings = load_settings()
    keys = AlertKeys(settings.stream_prefix)

    async def work() -> list[dict[str, Any]]:
        async with stored_articles(settings) as store, redis_connection(settings) as r:
            if store is None:  # no store yet: no alerts yet
                return []
            return [await _view(r, keys, alert) for alert in await store.list_alerts()]

    views = _checked(work)
    if as_json:
        for view in views:
            write_json_line(view)
        return
    table = Table(padding=(0, 1))
    columns = ("alert", "query", "per", "webhook", "rate", "matched", "delivered", "failed")
    for column in columns:
        table.add_column(column, overflow="fold")
    for v in views:
        hook = v["webhook"]["origin"] if v["webhook"] else "-"
        f = v["figures"]
        table.add_row(
            v["name"], v["described"], "story" if v["once_per_story"] else "article", hook,
            f"{v['rate_per_minute']}/min", str(f["matched"]), str(f["delivered"]),
            str(f["failed"]),
        )  # fmt: skip
    out.print(table if views else "no alerts")


@alerts_app.command("show")
def show(name: NameArgument, as_json: JsonOption = False) -> None:
    """One alert: its query, webhook (secret as a fingerprint), stream and figures."""
    settings = load_settings()
    keys = AlertKeys(settings.stream_prefix)

    async def work() -> dict[str, Any]:
        async with _alerts_of(settings, create=False) as store, redis_connection(settings) as r:
            return await _view(r, keys, await get_alert(store, name))

    view = _checked(work)
    if as_json:
        write_json_line(view)
        return
    shown = ("name", "described", "once_per_story", "stream", "stream_length", "rate_per_minute")
    for key in (*shown, "created_at"):
        out.print(f"{key}: {view[key]}", highlight=False)
    hook = view["webhook"]
    out.print(
        f"webhook: {hook['origin']} ({hook['secret_fingerprint']})" if hook else "webhook: -",
        highlight=False,
    )
    figures = view["figures"]
    out.print(
        f"matched: {figures['matched']}  delivered: {figures['delivered']}  "
        f"failed: {figures['failed']}",
        highlight=False,
    )


async def _view(redis: Redis, keys: AlertKeys, alert: AlertDefinition) -> dict[str, Any]:
    figures = await read_figures(redis, keys, alert.name)
    stream = keys.stream(alert.name)
    return {
        **alert.public_view(),
        "described": alert.query.described(),
        "stream": stream,
        "stream_length": int(await redis.xlen(stream)),
        "figures": {k: v for k, v in figures.as_dict().items() if k != "alert"},
    }


@alerts_app.command("remove")
def remove(name: NameArgument) -> None:
    """Delete an alert (its stream stays for its readers)."""
    settings = load_settings()

    async def work() -> None:
        async with _alerts_of(settings, create=False) as store, redis_connection(settings) as r:
            await remove_alert(store, r, AlertKeys(settings.stream_prefix), name)

    _checked(work)
    out.print(f"removed alert {name}", highlight=False)


@alerts_app.command("test")
def test(
    name: NameArgument,
    limit: Annotated[int, typer.Option(help="Stored matches to list.", min=1, max=200)] = 20,
    recent: Annotated[
        int, typer.Option(help="Also check the last N enriched entries (0: do not).", min=0)
    ] = 1000,
    as_json: JsonOption = False,
) -> None:
    """What the alert would match: its query run on the store, and the recent enriched
    entries checked by the matcher the stage runs."""
    settings = load_settings()

    async def work() -> dict[str, Any]:
        async with _alerts_of(settings, create=False) as store, redis_connection(settings) as r:
            alert = await get_alert(store, name)
            query = alert.query.article_query().model_copy(update={"limit": limit})
            page = await store.search(query)
            stories = (
                (await store.stories(StoryQuery(filters=query, limit=1))).total
                if alert.once_per_story
                else None
            )
            enriched = await _recent_matches(r, settings, alert, recent)
        return {
            "alert": name,
            "once_per_story": alert.once_per_story,
            "stored_total": page.total,
            "stored_stories": stories,
            "stored": [
                {"id": i.id, "title": i.title, "url": i.url, "source": i.source,
                 "published_at": i.published_at.isoformat() if i.published_at else None}
                for i in page.items
            ],
            "recent_checked": enriched[0],
            "recent_matched": enriched[1],
            "recent_stories": enriched[2],
        }  # fmt: skip

    result = _checked(work)
    if as_json:
        write_json_line(result)
        return
    stories = f", in {result['stored_stories']} stories" if result["once_per_story"] else ""
    out.print(f"{name}: {result['stored_total']} stored articles match{stories}", highlight=False)
    for item in result["stored"]:
        day = (item["published_at"] or "")[:10]
        out.print(f"  {item['id']}  {day:10}  {item['title'] or ''}", highlight=False)
    recent_stories = (
        f", in {result['recent_stories']} stories (one match each)"
        if result["once_per_story"]
        else ""
    )
    out.print(
        f"of the last {result['recent_checked']} enriched entries, "
        f"{len(result['recent_matched'])} match{recent_stories}",
        highlight=False,
    )


async def _recent_matches(
    redis: Redis, settings: Settings, alert: AlertDefinition, count: int
) -> tuple[int, list[str], int]:
    """Entries checked, the ids of those that match, and the stories those are in (an
    article without a story a story of its own)."""
    if count == 0:
        return 0, [], 0
    compiled = CompiledQuery.of(alert.query.article_query())
    entries: Any = await redis.xrevrange(StreamNames(settings.stream_prefix).enriched, count=count)
    matched = []
    stories = set()
    for _entry_id, fields in entries:
        try:
            event = decode_event_entry(fields)
        except Exception:
            continue  # not an event: the stages dead-letter it, a test skips it
        if compiled.matches(ArticleFacts(event)):
            matched.append(event.id)
            link = event.enrichment.story if event.enrichment else None
            stories.add(link.id if link else event.id)
    return len(entries), matched, len(stories)


@alerts_app.command("watch")
def watch(
    name: NameArgument,
    from_start: Annotated[
        bool, typer.Option("--from-start", help="The stream's history first.")
    ] = False,
    count: Annotated[int | None, typer.Option(help="Stop after this many.", min=1)] = None,
    timeout: Annotated[
        float | None, typer.Option(help="Stop after this many seconds.", min=0)
    ] = None,
) -> None:
    """Follow the alert's stream: one JSON line per match (Ctrl-C stops)."""
    settings = load_settings()
    if not re.match(NAME_PATTERN, name):
        raise fail(f"no alert can be named {name!r}")
    stream = AlertKeys(settings.stream_prefix).stream(name)

    async def follow(redis: Redis) -> None:
        seen = 0
        last = "0-0" if from_start else "$"
        while True:
            found: Any = await redis.xread({stream: last}, count=100, block=1000)
            for _stream, entries in found or []:
                for entry_id, fields in entries:
                    last = entry_id
                    write_json_line(AlertMatch.from_entry(fields).model_dump(mode="json"))
                    seen += 1
                    if count is not None and seen >= count:
                        return

    async def work() -> None:
        async with redis_connection(settings) as redis:
            if not await redis.exists(stream):
                # No match yet, or no such alert: only the store can tell which (a removed
                # alert's stream stays, and is followed like any).
                async with _alerts_of(settings, create=False) as store:
                    await get_alert(store, name)  # NoSuchAlert: said, not waited on
            try:
                await asyncio.wait_for(follow(redis), timeout or None)
            except TimeoutError:
                return

    try:
        _checked(work)
    except KeyboardInterrupt:
        return
