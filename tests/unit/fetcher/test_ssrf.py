from __future__ import annotations

import ipaddress

import pytest

from services.fetcher.ssrf import (
    AllowList,
    is_public_address,
    parse_allow_list,
    refusal_of_addresses,
    refusal_of_scheme,
)

ip = ipaddress.ip_address


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0",
        "100.64.0.1", "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "fe80::1", "fc00::1",
        "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
    ],
)  # fmt: skip
def test_non_public_addresses(address: str) -> None:
    assert not is_public_address(ip(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses(address: str) -> None:
    assert is_public_address(ip(address))


def test_parse_allow_list() -> None:
    allow = parse_allow_list(" 127.0.0.1/32, 10.0.0.0/8 ,Intranet.Example., ::1, ")
    assert allow.allows_address(ip("127.0.0.1"))
    assert allow.allows_address(ip("10.9.9.9"))
    assert allow.allows_address(ip("::1"))
    assert not allow.allows_address(ip("127.0.0.2"))
    assert allow.allows_host("intranet.example")
    assert parse_allow_list("") == AllowList()


def test_every_address_of_a_name_must_pass() -> None:
    refusal = refusal_of_addresses(
        "news.example", [ip("93.184.216.34"), ip("127.0.0.1")], AllowList()
    )
    assert refusal is not None and "127.0.0.1" in refusal
    assert refusal_of_addresses("news.example", [ip("93.184.216.34")], AllowList()) is None
    assert refusal_of_addresses("news.example", [], AllowList()) is not None


def test_the_allow_list_opens_addresses_and_names() -> None:
    allow = parse_allow_list("127.0.0.1/32,intranet.example")
    assert refusal_of_addresses("localhost", [ip("127.0.0.1")], allow) is None
    assert refusal_of_addresses("intranet.example", [ip("10.0.0.5")], allow) is None
    assert refusal_of_addresses("other.example", [ip("10.0.0.5")], allow) is not None


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://x/", "ftp://x/", "javascript:alert(1)", "/relative"]
)
def test_only_http_schemes_are_fetched(url: str) -> None:
    assert refusal_of_scheme(url) is not None


@pytest.mark.parametrize("url", ["http://example.com/", "HTTPS://example.com/"])
def test_http_schemes_pass(url: str) -> None:
    assert refusal_of_scheme(url) is None
