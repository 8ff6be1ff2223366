from __future__ import annotations

import pytest

from shared.urls import host_key, normalize_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Example.COM:80/a/b/", "http://example.com/a/b"),
        ("https://example.com:443", "https://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("https://example.com./x#comments", "https://example.com/x"),
        (
            "https://example.com/story?id=7&utm_source=rss&UTM_Medium=x&fbclid=1&gclid=2&page=2",
            "https://example.com/story?id=7&page=2",
        ),
        ("https://example.com/?_ga=1&mc_cid=2&igshid=3", "https://example.com/"),
        ("https://user:secret@example.com/x", "https://example.com/x"),
        ("https://bücher.example/über", "https://xn--bcher-kva.example/über"),
        ("http://[::1]:8080/x/", "http://[::1]:8080/x"),
    ],
)
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


def test_normalize_url_is_idempotent() -> None:
    once = normalize_url("HTTPS://News.Example.com:443/a/?b=1&utm_campaign=z#top")
    assert normalize_url(once) == once


def test_a_port_that_is_not_a_number_does_not_raise() -> None:
    assert normalize_url("http://example.com:abc/x").startswith("http://example.com:abc")


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("http://Example.com/a", "example.com"),
        ("https://example.com:443/a", "example.com"),
        ("http://127.0.0.2:8080/x", "127.0.0.2:8080"),
    ],
)
def test_host_key(url: str, key: str) -> None:
    assert host_key(url) == key
