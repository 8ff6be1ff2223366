"""Responses built to hurt the fetcher: compression bombs, malformed answers, and requests
that will fail the same way however often they are retried (dead-lettered at once)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

import pytest

from services.fetcher.download import Download
from shared.errors import Rejected
from tests.bombs import brotli_bomb, gzip_bytes, gzip_in_gzip_bomb, gzip_layers
from tests.integration.fetcher.conftest import ClientFactory
from tests.integration.fetcher.local_server import Reply, article_html, local_server, page

BOMBS: list[tuple[str, Callable[[int], bytes]]] = [
    ("gzip, gzip", gzip_in_gzip_bomb),
    ("br", brotli_bomb),
]


@pytest.mark.parametrize(("encoding", "bomb"), BOMBS, ids=["gzip-in-gzip", "brotli"])
async def test_a_compression_bomb_is_refused_while_it_decodes(
    make_client: ClientFactory, encoding: str, bomb: Callable[[int], bytes]
) -> None:
    """256 MiB once decoded, a few KB on the wire: refused at the 1 MB cap with the decoding
    never holding more than a few MB (httpx alone decodes a whole chunk first)."""
    with local_server() as server:
        server.routes["/bomb"] = lambda _r: Reply(
            body=bomb(256), headers={"Content-Type": "text/html", "Content-Encoding": encoding}
        )
        client = await make_client(max_bytes=1_000_000)
        tracemalloc.start()
        try:
            with pytest.raises(Rejected) as caught:
                await client.get(server.url("/bomb"))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert caught.value.reason == "too_large"
    assert peak < 20_000_000, f"fetching the bomb peaked at {peak} bytes"


async def test_a_page_in_stacked_codings_is_decoded(make_client: ClientFactory) -> None:
    html = article_html("Twice packed")
    with local_server() as server:
        server.routes["/page"] = lambda _r: Reply(
            body=gzip_bytes(gzip_bytes(html.encode())),
            headers={"Content-Type": "text/html", "Content-Encoding": "gzip, gzip"},
        )
        client = await make_client()
        result = await client.get(server.url("/page"))
    assert isinstance(result, Download)
    assert result.body == html.encode()


async def test_a_bomb_as_robots_txt_is_read_only_up_to_its_limit(
    make_client: ClientFactory,
) -> None:
    with local_server() as server:
        server.routes["/robots.txt"] = lambda _r: Reply(
            body=gzip_in_gzip_bomb(256),
            headers={"Content-Type": "text/plain", "Content-Encoding": "gzip, gzip"},
        )
        server.routes["/page"] = page(article_html("Behind a bomb"))
        client = await make_client()
        tracemalloc.start()
        try:
            result = await client.get(server.url("/page"))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert isinstance(result, Download)
    assert peak < 20_000_000, f"reading the robots.txt bomb peaked at {peak} bytes"


async def test_content_that_is_not_in_its_coding_is_a_bad_response(
    make_client: ClientFactory,
) -> None:
    with local_server() as server:
        server.routes["/page"] = lambda _r: Reply(
            body=b"<html>plain, not gzip</html>" * 10,
            headers={"Content-Type": "text/html", "Content-Encoding": "gzip"},
        )
        client = await make_client()
        with pytest.raises(Rejected) as caught:
            await client.get(server.url("/page"))
    assert caught.value.reason == "bad_response"


async def test_gzip_stacked_a_thousand_times_is_a_bad_response(
    make_client: ClientFactory,
) -> None:
    # Not retried (a RecursionError was, up to the delivery limit): it is the same each time.
    with local_server() as server:
        server.routes["/page"] = lambda _r: Reply(
            body=gzip_layers(article_html("Deep").encode(), 1200),
            headers={"Content-Type": "text/html", "Content-Encoding": ", ".join(["gzip"] * 1200)},
        )
        client = await make_client(obey_robots=False)
        with pytest.raises(Rejected) as caught:
            await client.get(server.url("/page"))
    assert caught.value.reason == "bad_response"
    assert "stacked content codings" in caught.value.message


async def test_a_one_megabyte_response_header_is_a_bad_response(
    make_client: ClientFactory,
) -> None:
    with local_server() as server:
        server.routes["/page"] = lambda _r: Reply(
            body=b"<p>hi</p>", headers={"Content-Type": "text/html", "X-Big": "a" * 1_000_000}
        )
        client = await make_client(obey_robots=False)
        with pytest.raises(Rejected) as caught:
            await client.get(server.url("/page"))
    assert caught.value.reason == "bad_response"


async def test_a_one_megabyte_header_on_robots_txt_is_a_bad_response(
    make_client: ClientFactory,
) -> None:
    with local_server() as server:
        server.routes["/robots.txt"] = lambda _r: Reply(headers={"X-Big": "a" * 1_000_000})
        server.routes["/page"] = page(article_html("Page"))
        client = await make_client()
        with pytest.raises(Rejected) as caught:
            await client.get(server.url("/page"))
    assert caught.value.reason == "bad_response"
    assert server.requests_to("/page") == []


@pytest.mark.parametrize("obey_robots", [True, False])
async def test_a_host_in_full_width_digits_is_an_invalid_url(
    make_client: ClientFactory, obey_robots: bool
) -> None:
    client = await make_client(obey_robots=obey_robots)
    with pytest.raises(Rejected) as caught:
        await client.get("http://１２７.０.０.１/")
    assert caught.value.reason == "invalid_url"


@pytest.mark.parametrize("obey_robots", [True, False])
async def test_a_name_that_does_not_exist_is_dns_not_found(
    make_client: ClientFactory, obey_robots: bool
) -> None:
    client = await make_client(allow="", obey_robots=obey_robots)
    with pytest.raises(Rejected) as caught:
        await client.get("http://does-not-exist.invalid/")
    assert caught.value.reason == "dns_not_found"
