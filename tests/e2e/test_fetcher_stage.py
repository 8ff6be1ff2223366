"""The fetcher stage as a process: what reaches the dead-letter stream and why, retries after
Retry-After, and a slow host beside a fast one."""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import pytest
import redis

from shared.events import ArticleEvent
from shared.settings import Settings
from shared.streams import StreamNames
from tests.bombs import brotli_bomb, gzip_in_gzip_bomb
from tests.e2e.fetcher_support import FETCH_ENV, dead_letters, publish_urls
from tests.e2e.harness import running_stages, wait_until
from tests.integration.fetcher.local_server import Reply, article_html, local_server, page

pytestmark = pytest.mark.e2e


def fetched(client: redis.Redis, settings: Settings) -> list[ArticleEvent]:
    entries = client.xrange(StreamNames(settings.stream_prefix).fetched)
    return [ArticleEvent.model_validate(orjson.loads(f[b"data"])) for _, f in entries]


def reasons_by_url(client: redis.Redis, settings: Settings) -> dict[str, str]:
    out = {}
    for letter in dead_letters(client, settings):
        payload = letter["payload"]
        assert isinstance(payload, dict)
        out[str(orjson.loads(payload["data"])["url"])] = str(letter["reason"])
    return out


def test_internal_addresses_are_dead_lettered_as_ssrf_by_default(
    settings: Settings, client: redis.Redis, tmp_path: Path
) -> None:
    with local_server("127.0.0.1") as server:
        server.routes["/"] = page(article_html("Internal"))
        urls = [
            "http://169.254.169.254/latest/meta-data/",
            "file:///etc/passwd",
            f"http://localhost:{server.port}/",
        ]
        with running_stages(settings, tmp_path / "logs", stages=("fetcher",)):
            publish_urls(client, settings, urls)
            wait_until(lambda: len(dead_letters(client, settings)) == 3, 60, "3 dead letters")
        assert reasons_by_url(client, settings) == dict.fromkeys(urls, "ssrf")
        assert server.connections == 0


def test_pages_that_cannot_be_had_are_dead_lettered_with_their_reason(
    settings: Settings, client: redis.Redis, tmp_path: Path
) -> None:
    with local_server() as server:
        server.routes["/robots.txt"] = page(
            "User-agent: *\nDisallow: /members/\n", content_type="text/plain"
        )
        server.routes["/members/story"] = page(article_html("Members only"))
        server.routes["/gone"] = lambda _r: Reply(410, b"gone")
        server.routes["/paper.pdf"] = lambda _r: Reply(
            body=b"%PDF-1.7", headers={"Content-Type": "application/pdf"}
        )
        server.routes["/huge"] = lambda _r: Reply(
            body=b"<p>" + b"x" * 300_000, headers={"Content-Type": "text/html"}
        )
        answers = iter([Reply(429, headers={"Retry-After": "1"})])
        busy_page = page(article_html("Busy"))
        server.routes["/busy"] = lambda r: next(answers, None) or busy_page(r)
        server.routes["/old"] = lambda _r: Reply(301, headers={"Location": "/new"})
        server.routes["/new"] = page(article_html("New home"))
        expected = {
            server.url("/members/story"): "robots",
            server.url("/missing"): "http_404",
            server.url("/gone"): "http_410",
            server.url("/paper.pdf"): "unsupported_type",
            server.url("/huge"): "too_large",
        }
        env = {**FETCH_ENV, "NEWSFLOW_MAX_CONTENT_BYTES": "100000"}
        with running_stages(settings, tmp_path / "logs", stages=("fetcher",), **env):
            publish_urls(client, settings, [*expected, server.url("/busy"), server.url("/old")])
            wait_until(
                lambda: (
                    len(dead_letters(client, settings)) == 5 and len(fetched(client, settings)) == 2
                ),
                60,
                "5 dead letters and 2 pages fetched",
            )
        assert reasons_by_url(client, settings) == expected
        assert server.requests_to("/members/story") == []
        by_url = {e.raw.fetched_url: e for e in fetched(client, settings)}
        assert by_url[server.url("/old")].raw.final_url == server.url("/new")
        first, second = server.requests_to("/busy")
        assert second.at - first.at >= 0.95  # retried, and not before Retry-After


def test_a_slow_host_does_not_hold_up_a_fast_one(
    settings: Settings, client: redis.Redis, tmp_path: Path
) -> None:
    with local_server("127.0.0.2") as slow, local_server("127.0.0.1") as fast:
        slow.routes["/slow"] = page(article_html("Slow"), delay_s=3.0)
        fast.routes["/fast"] = page(article_html("Fast"))
        env = {
            **FETCH_ENV,
            "NEWSFLOW_FETCH_ALLOW_NETWORKS": "127.0.0.1/32,127.0.0.2/32",
            "NEWSFLOW_FETCH_HOST_CONCURRENCY": "2",
            "NEWSFLOW_FETCH_HOST_INTERVAL_S": "0.05",
        }
        with running_stages(settings, tmp_path / "logs", stages=("fetcher",), **env):
            publish_urls(client, settings, [slow.url(f"/slow?n={i}") for i in range(6)])
            publish_urls(client, settings, [fast.url(f"/fast?n={i}") for i in range(6)])
            started = time.monotonic()
            wait_until(
                lambda: (
                    sum("/fast" in (e.source.url or "") for e in fetched(client, settings)) == 6
                ),
                60,
                "the fast host's pages",
            )
            fast_done = time.monotonic() - started
            slow_done_by_then = sum(
                "/slow" in (e.source.url or "") for e in fetched(client, settings)
            )
            wait_until(lambda: len(fetched(client, settings)) == 12, 60, "the slow pages")
    assert fast_done < 2.9, fast_done
    assert slow_done_by_then == 0


def peak_rss_bytes(pid: int) -> int:
    """The most resident memory the process has had (VmHWM), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM for {pid}")


def test_compression_bombs_are_refused_within_a_memory_budget(
    settings: Settings, client: redis.Redis, tmp_path: Path
) -> None:
    """Two 1 GiB bombs (gzip-in-gzip and brotli, a few KB on the wire) against the default
    10 MiB cap: both dead-lettered as too_large, a page after them fetched, and the fetcher
    process never over 300 MB resident (it reached 2.19 GB when httpx decoded the chunks)."""
    bombs = {"/gzip-bomb": ("gzip, gzip", gzip_in_gzip_bomb()), "/br-bomb": ("br", brotli_bomb())}
    with local_server() as server:
        for route, (encoding, body) in bombs.items():
            server.routes[route] = lambda _r, body=body, encoding=encoding: Reply(
                body=body, headers={"Content-Type": "text/html", "Content-Encoding": encoding}
            )
        server.routes["/after"] = page(article_html("After the bombs"))
        env = {**FETCH_ENV, "NEWSFLOW_FETCH_ALLOW_NETWORKS": f"127.0.0.1:{server.port}"}
        with running_stages(settings, tmp_path / "logs", stages=("fetcher",), **env) as procs:
            publish_urls(client, settings, [server.url(route) for route in bombs])
            publish_urls(client, settings, [server.url("/after")])
            wait_until(
                lambda: len(dead_letters(client, settings)) == 2 and len(fetched(client, settings)),
                60,
                "2 dead letters and the page after them",
            )
            peak = peak_rss_bytes(procs.procs["fetcher"].pid)
        reasons = reasons_by_url(client, settings)
    assert reasons == {server.url(route): "too_large" for route in bombs}
    assert [e.raw.fetched_url for e in fetched(client, settings)] == [server.url("/after")]
    print(f"fetcher peak RSS while refusing the bombs: {peak / 2**20:.0f} MiB")
    assert peak < 300 * 2**20, f"the fetcher peaked at {peak / 2**20:.0f} MiB"


def test_failures_that_would_recur_are_dead_lettered_at_the_first_delivery(
    settings: Settings, client: redis.Redis, tmp_path: Path
) -> None:
    with local_server() as server:
        server.routes["/big-header"] = lambda _r: Reply(
            body=b"<p>hi</p>", headers={"Content-Type": "text/html", "X-Big": "a" * 1_000_000}
        )
        expected = {
            server.url("/big-header"): "bad_response",
            "http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/": "invalid_url",
            "http://does-not-exist.invalid/": "dns_not_found",
        }
        with running_stages(settings, tmp_path / "logs", stages=("fetcher",), **FETCH_ENV):
            publish_urls(client, settings, expected)
            wait_until(lambda: len(dead_letters(client, settings)) == 3, 60, "3 dead letters")
        assert reasons_by_url(client, settings) == expected
        assert {letter["delivery_count"] for letter in dead_letters(client, settings)} == {1}
