from __future__ import annotations

import ipaddress

import pytest

from shared.ssrf import (
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
    assert allow.allows_address(ip("127.0.0.1"), 80)
    assert allow.allows_address(ip("10.9.9.9"), 80)
    assert allow.allows_address(ip("::1"), 80)
    assert not allow.allows_address(ip("127.0.0.2"), 80)
    assert allow.allows_host("intranet.example", 80)
    assert parse_allow_list("") == AllowList()


def test_every_address_of_a_name_must_pass() -> None:
    refusal = refusal_of_addresses(
        "news.example", [ip("93.184.216.34"), ip("127.0.0.1")], AllowList(), 80
    )
    assert refusal is not None and "127.0.0.1" in refusal
    assert refusal_of_addresses("news.example", [ip("93.184.216.34")], AllowList(), 80) is None
    assert refusal_of_addresses("news.example", [], AllowList(), 80) is not None


def test_the_allow_list_opens_addresses_and_names() -> None:
    allow = parse_allow_list("127.0.0.1/32,intranet.example")
    assert refusal_of_addresses("localhost", [ip("127.0.0.1")], allow, 80) is None
    assert refusal_of_addresses("intranet.example", [ip("10.0.0.5")], allow, 80) is None
    assert refusal_of_addresses("other.example", [ip("10.0.0.5")], allow, 80) is not None


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://x/", "ftp://x/", "javascript:alert(1)", "/relative"]
)
def test_only_http_schemes_are_fetched(url: str) -> None:
    assert refusal_of_scheme(url) is not None


@pytest.mark.parametrize("url", ["http://example.com/", "HTTPS://example.com/"])
def test_http_schemes_pass(url: str) -> None:
    assert refusal_of_scheme(url) is None


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::a00:1",  # NAT64 of internal IPv4
        "64:ff9b:1::a9fe:a9fe",  # local-use NAT64
        "2002:a9fe:a9fe::1", "2002:7f00:1::1", "2002:a00:1::",  # 6to4 of internal IPv4
        "::127.0.0.1", "::8.8.8.8", "::a9fe:a9fe",  # IPv4-compatible (deprecated)
        "::ffff:0:a9fe:a9fe", "::ffff:0:808:808",  # IPv4-translated (SIIT)
        "fec0::1", "feff::1",  # site-local (deprecated)
        "2001::1", "2001:0:a9fe:a9fe::",  # Teredo
        "2001:db8::1", "100::1", "::", "ff0e::1",
    ],
)  # fmt: skip
def test_ipv6_forms_that_reach_internal_or_non_global_addresses(address: str) -> None:
    assert not is_public_address(ip(address))


@pytest.mark.parametrize(
    "address", ["64:ff9b::808:808", "2002:808:808::1", "2a00:1450:4001:80b::200e"]
)
def test_ipv6_forms_of_public_ipv4_addresses_pass(address: str) -> None:
    assert is_public_address(ip(address))


def test_an_allow_list_entry_may_name_a_port() -> None:
    allow = parse_allow_list("127.0.0.1:18081, [::1]:8080, Host.Example:8443, 10.0.0.0/8")
    assert allow.allows_address(ip("127.0.0.1"), 18081)
    assert not allow.allows_address(ip("127.0.0.1"), 6379)
    assert allow.allows_address(ip("::1"), 8080)
    assert not allow.allows_address(ip("::1"), 80)
    assert allow.allows_host("host.example", 8443)
    assert not allow.allows_host("host.example", 80)
    # An entry without a port opens every port, as it always has.
    assert allow.allows_address(ip("10.1.2.3"), 6379)


def test_a_port_entry_refuses_other_ports_of_the_same_address() -> None:
    allow = parse_allow_list("127.0.0.1:18081,intranet.example:8080")
    assert refusal_of_addresses("127.0.0.1", [ip("127.0.0.1")], allow, 18081) is None
    assert refusal_of_addresses("127.0.0.1", [ip("127.0.0.1")], allow, 6379) is not None
    assert refusal_of_addresses("intranet.example", [ip("10.0.0.5")], allow, 8080) is None
    assert refusal_of_addresses("intranet.example", [ip("10.0.0.5")], allow, 6379) is not None


@pytest.mark.parametrize("spec", ["127.0.0.1:99999", "[::1]:x", "host.example:", "[::1"])
def test_a_malformed_allow_list_entry_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="NEWSFLOW_FETCH_ALLOW_NETWORKS"):
        parse_allow_list(spec)
