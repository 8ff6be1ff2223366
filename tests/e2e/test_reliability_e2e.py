"""Poison, dead-letter replay and a worker that died between forwarding and acknowledging,
with the stages as separate processes."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson
import pytest
import redis

from services.enricher.enrich import enrich_event
from shared.settings import Settings
from shared.store.backends import opened_store
from shared.streams import StreamNames, decode_event_entry, encode_json
from tests.conftest import SEED
from tests.e2e.harness import group_done, running_stages, stage_env, wait_until

pytestmark = pytest.mark.e2e


def stored(settings: Settings) -> tuple[int, list[str]]:
    async def read() -> tuple[int, list[str]]:
        async with opened_store(settings) as store:
            hits = await store.search_text("article", limit=100)
            return await store.count(), [h.title or "" for h in hits]

    return asyncio.run(read())


class _NotFound(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html><body>gone</body></html>")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def missing_page_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/no-such-article"
    server.shutdown()


def good(n: int) -> dict[str, str]:
    text = (
        f"Good article {n} on the harbour works\n\n"
        f"The harbour works entered week {n} on Monday, the port authority said, with the "
        "new quay wall now half finished and dredging due to begin in the spring."
    )
    return {"content": text, "source": "test"}


def test_poison_lands_on_the_dlq_with_reasons_while_good_articles_are_stored(
    settings: Settings, client: redis.Redis, tmp_path: Path, missing_page_url: str
) -> None:
    names = StreamNames(settings.stream_prefix)
    binary = bytes(range(256)) * 64
    poison: list[tuple[str, dict[str, str | bytes]]] = [
        ("invalid JSON", {"data": "{'not': json"}),
        ("neither url nor content", {"source": "nobody"}),
        ("20 MB of text", {"content": "word " * (4 * 1024 * 1024), "source": "huge"}),
        ("binary bytes as HTML", {"content": binary, "content_type": "text/html"}),
        (
            "binary as decoded text",
            {"data": json.dumps({"content": gzip.compress(binary).decode("latin-1"),
                                 "content_type": "text/html"})},
        ),
        ("HTML with no text", {"content": "<html><body><div></div></body></html>",
                               "content_type": "text/html"}),
        ("JSON with wrong types", {"data": json.dumps({"content": 42, "url": ["x"]})}),
        ("404 URL", {"url": missing_page_url}),
    ]  # fmt: skip
    allow = {"NEWSFLOW_FETCH_ALLOW_NETWORKS": "127.0.0.1/32"}
    with running_stages(settings, tmp_path / "logs", **allow):
        for n, (_name, fields) in enumerate(poison):
            client.xadd(names.raw, good(n))
            client.xadd(names.raw, fields)  # type: ignore[arg-type]
        client.xadd(names.raw, good(len(poison)))
        wait_until(lambda: client.xlen(names.dlq) >= len(poison), 60, "every poison entry")
        wait_until(lambda: stored(settings)[0] == len(poison) + 1, 60, "every good article")
    letters = [orjson.loads(f[b"data"]) for _id, f in client.xrange(names.dlq)]
    assert len(letters) == len(poison)
    for letter in letters:
        assert letter["reason"] and letter["message"] and letter["stage"]
        assert letter["payload"], letter
    reasons = {letter["reason"] for letter in letters}
    assert {"invalid_json", "invalid_submission", "too_large", "invalid_encoding"} <= reasons
    assert any(r.startswith("http_404") for r in reasons), reasons
    count, titles = stored(settings)
    assert count == len(poison) + 1
    assert all(t.startswith("Good article") for t in titles)


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, **stage_env(settings)}
    return subprocess.run(
        [sys.executable, "-m", "newsflow_cli", *args], env=env, capture_output=True, timeout=60,
        check=True,
    )  # fmt: skip


def test_replaying_a_fixed_up_dead_letter_stores_it_once(
    settings: Settings, client: redis.Redis, tmp_path: Path
) -> None:
    names = StreamNames(settings.stream_prefix)
    # The operator set the size cap too low: the seed (2 KB) is refused.
    with running_stages(settings, tmp_path / "logs1", NEWSFLOW_MAX_CONTENT_BYTES="1024"):
        client.xadd(names.raw, {"content": SEED.read_text(), "source": "UNN"})
        wait_until(lambda: client.xlen(names.dlq) == 1, 60, "the dead letter")
    listed = run_cli(settings, "dlq", "list", "--json").stdout.splitlines()
    letter = orjson.loads(listed[0])
    assert letter["reason"] == "too_large" and letter["stage"] == "fetcher"
    shown = orjson.loads(run_cli(settings, "dlq", "show", letter["entry_id"]).stdout)
    assert shown["payload"]["source"] == "UNN"

    # Fixed: the cap is back to its default; the letter is replayed twice.
    with running_stages(settings, tmp_path / "logs2"):
        run_cli(settings, "dlq", "replay", "--reason", "too_large", "--keep")
        wait_until(lambda: stored(settings)[0] == 1, 60, "the replayed article")
        run_cli(settings, "dlq", "replay", "--all")
        wait_until(lambda: client.xlen(names.enriched) == 2, 60, "the second replay")
        wait_until(
            lambda: group_done(client, names.enriched, "sink"),
            60,
            "the sink to take the second replay",
        )
    assert stored(settings)[0] == 1
    assert client.xlen(names.dlq) == 0
    ids = {decode_event_entry(f).id for _i, f in client.xrange(names.enriched)}
    assert len(ids) == 1  # replayed entries keep their article id


def test_a_worker_killed_between_forwarding_and_acking_stores_the_article_once(
    settings: Settings, client: redis.Redis, tmp_path: Path
) -> None:
    names = StreamNames(settings.stream_prefix)
    with running_stages(settings, tmp_path / "logs", stages=("fetcher", "parser", "sink")):
        client.xadd(names.raw, {"content": SEED.read_text(), "source": "UNN"})
        wait_until(lambda: client.xlen(names.parsed) == 1, 60, "the parsed article")
        # An enricher worker takes the entry, does its work, puts the result on the next
        # stream... and dies before its XACK (the window MULTI/EXEC closes in the real one).
        client.xgroup_create(names.parsed, "enricher", id="0")
        reply = client.xreadgroup("enricher", "doomed-worker", {names.parsed: ">"}, count=1)
        [(_stream, [(_entry_id, fields)])] = reply  # type: ignore[misc]
        client.xadd(names.enriched, encode_json(enrich_event(decode_event_entry(fields)).to_json()))
        wait_until(lambda: stored(settings)[0] == 1, 60, "the orphaned output to be stored")

    # A live enricher claims the entry the dead one held and processes it again.
    with running_stages(settings, tmp_path / "logs2"):
        wait_until(
            lambda: (
                client.xpending(names.parsed, "enricher")["pending"] == 0
                and client.xlen(names.enriched) == 2
            ),
            60,
            "the orphaned entry to be reclaimed and forwarded",
        )
        wait_until(
            lambda: group_done(client, names.enriched, "sink"),
            60,
            "the sink to take the second copy",
        )
        assert stored(settings)[0] == 1
