"""SSRF guard: the fetcher only talks to the public internet unless told otherwise.

A URL is checked twice: its scheme before anything is sent, and every address its host
resolves to at the moment a connection is opened. The second check lives in the network
backend httpx connects through, so it covers every redirect hop and every new pooled
connection, and the socket goes to the very address that was checked (a name that resolves
to a public address when checked and to 127.0.0.1 when connecting cannot slip through).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_FETCHABLE_SCHEMES = frozenset({"http", "https"})


class BlockedAddress(Exception):
    """A connection the guard refused to open."""


@dataclass(frozen=True)
class AllowList:
    """Networks and host names opened despite being non-public (tests: their loopback)."""

    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = frozenset()

    def allows_host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def allows_address(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)


def parse_allow_list(spec: str) -> AllowList:
    """`"127.0.0.1/32, ::1, intranet.example"` -> networks and host names."""
    networks: list[IPNetwork] = []
    hosts: set[str] = set()
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            hosts.add(item.lower().rstrip("."))
    return AllowList(tuple(networks), frozenset(hosts))


def is_public_address(address: IPAddress) -> bool:
    """Globally routable unicast: not loopback, private, link-local, multicast, reserved..."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return is_public_address(address.ipv4_mapped)
    return address.is_global and not address.is_multicast


def refusal_of_scheme(url: str) -> str | None:
    """Why `url` must not be fetched because of its scheme, or None when it may."""
    scheme = urlsplit(url.strip()).scheme.lower()
    if scheme not in _FETCHABLE_SCHEMES:
        return f"scheme {scheme or '(none)'!r} is not fetched: {url[:200]}"
    return None


def refusal_of_addresses(host: str, addresses: Iterable[IPAddress], allow: AllowList) -> str | None:
    """Why connecting to `host` at these addresses is refused, or None when it may go on.
    Every address must pass: a name that resolves to one public and one private address is
    the classic way to reach an internal service."""
    if allow.allows_host(host):
        return None
    listed = list(addresses)
    if not listed:
        return f"{host} resolves to no address"
    for address in listed:
        if not is_public_address(address) and not allow.allows_address(address):
            return f"{host} resolves to non-public address {address}"
    return None


async def resolve(host: str, port: int) -> list[IPAddress]:
    literal = _ip_literal(host)
    if literal is not None:
        return [literal]
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    seen: dict[IPAddress, None] = {}
    for _family, _type, _proto, _name, sockaddr in infos:
        # The scope id of a link-local IPv6 address ("fe80::1%eth0") is not part of it.
        seen[ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])] = None
    return list(seen)


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to addresses the allow-list or the public internet hold."""

    def __init__(self, allow: AllowList, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.allow = allow
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await asyncio.wait_for(resolve(host, port), timeout)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        refusal = refusal_of_addresses(host, addresses, self.allow)
        if refusal is not None:
            raise BlockedAddress(refusal)
        last_error: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None  # addresses is non-empty once refusal is None
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddress(f"unix socket {path} is never fetched")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None
