"""The fetcher's HTTP behaviour against real HTTP servers on loopback addresses."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import threading
import time
from collections.abc import Callable

import brotli
import pytest
from prometheus_client import REGISTRY

from services.fetcher.download import Download
from services.fetcher.politeness import HostPaused
from shared.errors import Rejected
from tests.integration.fetcher.conftest import ClientFactory
from tests.integration.fetcher.local_server import (
    Reply,
    SeenRequest,
    article_html,
    local_server,
    page,
)


async def test_redirects_are_followed_and_the_final_url_recorded(
    make_client: ClientFactory,
) -> None:
    with local_server() as server:
        server.routes["/old"] = lambda _r: Reply(301, headers={"Location": "/moved"})
        server.routes["/moved"] = lambda _r: Reply(302, headers={"Location": server.url("/story")})
        server.routes["/story"] = page(article_html("Story"))
        client = await make_client()
        result = await client.get(server.url("/old"))
    assert isinstance(result, Download)
    assert result.requested_url == server.url("/old")
    assert result.final_url == server.url("/story")
    assert b"Story" in result.body
    host = f"127.0.0.1:{server.port}"
    for status in ("301", "302", "200"):
        labels = {"host": host, "status": status}
        assert REGISTRY.get_sample_value("newsflow_fetch_responses_total", labels) == 1


async def test_a_redirect_loop_stops_after_ten_redirects(make_client: ClientFactory) -> None:
    with local_server() as server:
        server.routes["/loop"] = lambda _r: Reply(302, headers={"Location": "/loop"})
        client = await make_client()
        with pytest.raises(Rejected) as caught:
            await client.get(server.url("/loop"))
        assert caught.value.reason == "too_many_redirects"
        assert len(server.requests_to("/loop")) == 11


@pytest.mark.parametrize("status", [404, 410])
async def test_gone_pages_are_rejected_with_their_status(
    make_client: ClientFactory, status: int
) -> None:
    with local_server() as server:
        server.routes["/gone"] = lambda _r: Reply(status, b"gone")
        client = await make_client()
        with pytest.raises(Rejected) as caught:
            await client.get(server.url("/gone"))
    assert caught.value.reason == f"http_{status}"


async def test_429_retry_after_is_honoured_before_the_next_request(
    make_client: ClientFactory,
) -> None:
    with local_server() as server:
        answers = iter([Reply(429, headers={"Retry-After": "1"})])
        story = page(article_html("Busy"))
        server.routes["/busy"] = lambda r: next(answers, None) or story(r)
        client = await make_client()
        with pytest.raises(HostPaused):
            await client.get(server.url("/busy"))
        result = await client.get(server.url("/busy"))  # at once: must wait for Retry-After
        first, second = server.requests_to("/busy")
    assert isinstance(result, Download)
    assert second.at - first.at >= 0.95


async def test_a_host_paused_longer_than_the_wait_limit_is_handed_back(
    make_client: ClientFactory,
) -> None:
    with local_server() as server:
        server.routes["/busy"] = lambda _r: Reply(503, headers={"Retry-After": "120"})
        client = await make_client(max_wait_s=30)
        with pytest.raises(HostPaused):
            await client.get(server.url("/busy"))
        started = time.monotonic()
        with pytest.raises(HostPaused):
            await client.get(server.url("/busy"))
        # No waiting is the point, so a bound: waiting would take the pause's 120 s (or the
        # 30 s wait limit); 10 s leaves a loaded machine all the slack it needs.
        assert time.monotonic() - started < 10
        assert len(server.requests_to("/busy")) == 1  # and no request


async def test_server_errors_back_off_the_host(
    make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    with local_server() as server:
        server.routes["/flaky"] = lambda _r: Reply(500, b"oops")
        client = await make_client()
        # The pauses as given, not as left when read: what is left shrinks as the clock runs.
        given: list[float] = []
        pause_host = client.politeness.failed

        def pause_and_record(host: str) -> float:
            given.append(pause_host(host))
            return given[-1]

        monkeypatch.setattr(client.politeness, "failed", pause_and_record)
        with pytest.raises(HostPaused):
            await client.get(server.url("/flaky"))
        with pytest.raises(HostPaused):
            await client.get(server.url("/flaky"))
        times = [r.at for r in server.requests_to("/flaky")]
    assert given == [1.0, 2.0]  # doubled
    assert times[1] - times[0] >= 0.95  # the second request waited out the first pause


async def test_a_slow_host_does_not_hold_up_a_fast_one(make_client: ClientFactory) -> None:
    # The slow host answers nothing until the fast host's pages are all in: if its requests
    # held up the fast host's, the fast ones would never finish (an order, not a time).
    answer_slow = threading.Event()
    slow_page = page(article_html("Slow"))

    def held(request: SeenRequest) -> Reply:
        answer_slow.wait(timeout=60)
        return slow_page(request)

    with local_server("127.0.0.2") as slow, local_server("127.0.0.1") as fast:
        slow.routes["/slow"] = held
        fast.routes["/fast"] = page(article_html("Fast"))
        client = await make_client(interval_s=0.05, concurrency=2)
        slow_gets = [asyncio.create_task(client.get(slow.url(f"/slow?n={i}"))) for i in range(4)]
        try:
            fast_gets = (client.get(fast.url(f"/fast?n={i}")) for i in range(5))
            fast_pages = await asyncio.wait_for(asyncio.gather(*fast_gets), timeout=30)
            assert not any(get.done() for get in slow_gets)
            # Two at a time to the slow host: the others wait for a free slot.
            await until(lambda: len(slow.requests_to("/slow")) >= 2)
            assert len(slow.requests_to("/slow")) == 2
        finally:
            answer_slow.set()
        slow_pages = await asyncio.gather(*slow_gets)
        assert len(slow.requests_to("/slow")) == 4
    assert all(isinstance(result, Download) for result in [*fast_pages, *slow_pages])


async def until(condition: Callable[[], bool], within_s: float = 30.0) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, f"not so within {within_s} s"
        await asyncio.sleep(0.01)


async def test_requests_to_one_host_keep_the_minimum_interval(
    make_client: ClientFactory,
) -> None:
    with local_server() as server:
        server.routes["/p"] = page(article_html("P"))
        client = await make_client(interval_s=0.3, concurrency=4)
        await asyncio.gather(*(client.get(server.url(f"/p?n={i}")) for i in range(3)))
        arrivals = sorted(r.at for r in server.requests_to("/p"))
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert all(gap >= 0.28 for gap in gaps), gaps


async def test_a_body_over_the_cap_is_rejected_while_streaming(
    make_client: ClientFactory,
) -> None:
    with local_server() as server:
        # No Content-Length: the size is only known by reading.
        server.routes["/huge"] = lambda _r: Reply(
            body=b"<p>" + b"x" * 300_000, headers={"Content-Type": "text/html"}
        )
        server.routes["/declared"] = lambda _r: Reply(
            body=b"x" * 300_000,
            headers={"Content-Type": "text/html", "Content-Length": "300000"},
        )
        client = await make_client(max_bytes=100_000)
        with pytest.raises(Rejected) as streamed:
            await client.get(server.url("/huge"))
        with pytest.raises(Rejected) as declared:
            await client.get(server.url("/declared"))
    assert streamed.value.reason == "too_large"
    assert declared.value.reason == "too_large"
    assert "declares" in declared.value.message


async def test_a_gzip_bomb_is_cut_off_at_the_cap(make_client: ClientFactory) -> None:
    with local_server() as server:
        bomb = gzip.compress(b"<p>" + b"a" * 5_000_000)
        server.routes["/bomb"] = lambda _r: Reply(
            body=bomb, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"}
        )
        client = await make_client(max_bytes=1_000_000)
        with pytest.raises(Rejected) as caught:
            await client.get(server.url("/bomb"))
    assert len(bomb) < 100_000
    assert caught.value.reason == "too_large"


async def test_a_pdf_is_rejected_with_its_type(make_client: ClientFactory) -> None:
    with local_server() as server:
        server.routes["/paper.pdf"] = lambda _r: Reply(
            body=b"%PDF-1.7\n...", headers={"Content-Type": "application/pdf"}
        )
        client = await make_client()
        with pytest.raises(Rejected) as caught:
            await client.get(server.url("/paper.pdf"))
    assert caught.value.reason == "unsupported_type"
    assert "application/pdf" in caught.value.message


async def test_robots_txt_disallow_is_obeyed_and_fetched_once(
    make_client: ClientFactory,
) -> None:
    with local_server() as server:
        server.routes["/robots.txt"] = lambda _r: Reply(
            body=b"User-agent: *\nDisallow: /private/\n",
            headers={"Content-Type": "text/plain"},
        )
        server.routes["/private/story"] = page(article_html("Private"))
        server.routes["/public/story"] = page(article_html("Public"))
        client = await make_client()
        with pytest.raises(Rejected) as caught:
            await client.get(server.url("/private/story"))
        await client.get(server.url("/public/story"))
        await client.get(server.url("/public/story?again=1"))
        assert caught.value.reason == "robots"
        assert server.requests_to("/private/story") == []
        assert len(server.requests_to("/robots.txt")) == 1


async def test_a_day_long_crawl_delay_hands_the_next_entry_back_instead_of_stalling(
    make_client: ClientFactory,
) -> None:
    with local_server() as server:
        server.routes["/robots.txt"] = lambda _r: Reply(
            body=b"User-agent: *\nCrawl-delay: 86400\n", headers={"Content-Type": "text/plain"}
        )
        server.routes["/a"] = page(article_html("A"))
        server.routes["/b"] = page(article_html("B"))
        client = await make_client(timeout_s=5.0, max_wait_s=30)
        assert isinstance(await client.get(server.url("/a")), Download)
        # Waiting out the delay would take a day; the timeout only stops a failing run.
        async with asyncio.timeout(60):
            with pytest.raises(HostPaused):
                await client.get(server.url("/b"))
        assert server.requests_to("/b") == []


async def test_robots_txt_rules_for_our_user_agent_win(make_client: ClientFactory) -> None:
    with local_server() as server:
        server.routes["/robots.txt"] = lambda _r: Reply(
            body=b"User-agent: *\nAllow: /\n\nUser-agent: newsflow-test\nDisallow: /\n",
            headers={"Content-Type": "text/plain"},
        )
        server.routes["/story"] = page(article_html("Story"))
        client = await make_client()
        with pytest.raises(Rejected) as caught:
            await client.get(server.url("/story"))
    assert caught.value.reason == "robots"


async def test_a_robots_txt_that_errors_means_retry_later(make_client: ClientFactory) -> None:
    with local_server() as server:
        server.routes["/robots.txt"] = lambda _r: Reply(503, b"down")
        server.routes["/story"] = page(article_html("Story"))
        client = await make_client()
        with pytest.raises(Exception) as caught:
            await client.get(server.url("/story"))
        assert not isinstance(caught.value, Rejected)
        assert server.requests_to("/story") == []


@pytest.mark.parametrize(
    ("encoding", "compress"), [("gzip", gzip.compress), ("br", brotli.compress)]
)
async def test_compressed_pages_are_decompressed(
    make_client: ClientFactory, encoding: str, compress: object
) -> None:
    html = article_html("Compressed").encode()
    with local_server() as server:
        server.routes["/z"] = lambda _r: Reply(
            body=compress(html),  # type: ignore[operator]
            headers={"Content-Type": "text/html", "Content-Encoding": encoding},
        )
        client = await make_client()
        result = await client.get(server.url("/z"))
        accept_encoding = server.requests_to("/z")[0].headers["accept-encoding"]
    assert isinstance(result, Download)
    assert result.body == html
    assert encoding in accept_encoding


async def test_a_charset_declared_only_in_a_meta_tag_is_passed_on(
    make_client: ClientFactory,
) -> None:
    text = "Городская дума приняла бюджет на следующий год"
    html = (
        '<html><head><meta charset="windows-1251"><title>Бюджет</title></head>'
        f"<body><p>{text}</p></body></html>"
    ).encode("windows-1251")
    with local_server() as server:
        server.routes["/ru"] = lambda _r: Reply(body=html, headers={"Content-Type": "text/html"})
        client = await make_client()
        result = await client.get(server.url("/ru"))
    assert isinstance(result, Download)
    assert result.charset == "cp1251"
    assert text in result.body.decode(result.charset)
