"""Every line a stage logs is JSON and names the article and trace it is about."""

from __future__ import annotations

import logging

import orjson
import pytest
from redis.asyncio import Redis

from services.fetcher.intake import event_from_content
from shared.errors import Rejected
from shared.events import ArticleEvent, RawSubmission
from shared.logs import configure_logging
from shared.pipeline import stage_named
from shared.settings import Settings
from shared.stage import StageRunner
from shared.streams import Fields, StreamNames, decode_event_entry, encode_json
from shared.submission_ids import article_id_of

pytestmark = pytest.mark.integration


async def test_log_lines_are_json_with_article_and_trace_ids(
    settings: Settings, redis: Redis, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("DEBUG", json=True)
    names = StreamNames(settings.stream_prefix)

    async def parse(fields: Fields) -> ArticleEvent:
        event = decode_event_entry(fields)
        if "reject me" in (event.raw.content or ""):
            raise Rejected("no_text", "nothing to parse")
        return event

    runner = StageRunner(stage_named("parser"), parse, settings)
    await runner.start()
    try:
        good = event_from_content(RawSubmission(content="fine", trace_id="t-good"), max_bytes=99)
        bad = event_from_content(RawSubmission(content="reject me", trace_id="t-bad"), max_bytes=99)
        for event in (good, bad):
            entry_id = await redis.xadd(names.fetched, encode_json(event.to_json()))
            await runner.process(entry_id, {b"data": event.to_json()}, delivery_count=1)
        logging.getLogger("faststream").info("a library line")
    finally:
        await runner.stop()
    lines = [orjson.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    by_event = {line["event"]: line for line in lines}
    assert by_event["processed"]["article_id"] == good.id
    assert by_event["processed"]["trace_id"] == "t-good"
    assert by_event["dead_lettered"]["article_id"] == bad.id
    assert by_event["dead_lettered"]["trace_id"] == "t-bad"
    assert by_event["dead_lettered"]["reason"] == "no_text"
    assert by_event["a library line"]["logger"] == "faststream"


async def test_the_fetcher_s_failure_lines_name_the_article_it_will_be(
    settings: Settings, redis: Redis, capsys: pytest.CaptureFixture[str]
) -> None:
    """A raw entry carries no id: its lines name the one the fetcher gives it (and the api
    answers, and its dead letter holds), so an operator can grep for it."""
    configure_logging("INFO", json=True)
    names = StreamNames(settings.stream_prefix)
    failures = 0

    async def fetch(fields: Fields) -> ArticleEvent:
        nonlocal failures
        failures += 1
        if failures == 1:
            raise ConnectionError("the host hung up")
        raise Rejected("http_error", "HTTP 404")

    runner = StageRunner(stage_named("fetcher"), fetch, settings)
    await runner.start()
    submission = RawSubmission(url="https://news.example.com/a.html", trace_id="t-raw")
    try:
        fields: Fields = {b"url": submission.url.encode(), b"trace_id": b"t-raw"}
        entry_id = await redis.xadd(names.raw, fields)
        for count in (1, 2):
            await runner.process(entry_id, fields, delivery_count=count)
    finally:
        await runner.stop()
    lines = [orjson.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    by_event = {line["event"]: line for line in lines}
    for event in ("will_retry", "dead_lettered"):
        assert by_event[event]["article_id"] == article_id_of(submission), by_event[event]
        assert by_event[event]["trace_id"] == "t-raw"
