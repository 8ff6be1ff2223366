"""SSRF guard: the fetcher and the webhook delivery worker only talk to the public
internet unless told otherwise (each has its own allow-list setting).

A URL is checked twice: its scheme before anything is sent, and every address its host
resolves to at the moment a connection is opened. The second check lives in the network
backend httpx connects through, so it covers every redirect hop and every new pooled
connection, and the socket goes to the very address that was checked (a name that resolves
to a public address when checked and to 127.0.0.1 when connecting cannot slip through).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_FETCHABLE_SCHEMES = frozenset({"http", "https"})


class BlockedAddress(Exception):
    """A connection the guard refused to open."""


class HostNotFound(Exception):
    """DNS says the name does not exist (NXDOMAIN) or has no address: asking again soon
    gets the same answer. A resolver that cannot answer now (EAI_AGAIN) is not this."""


# getaddrinfo's "no such name" and "no address for this name" (the latter not on every OS).
_NAME_NOT_FOUND = frozenset(
    code for code in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", None)) if code is not None
)


@dataclass(frozen=True)
class AllowedNetwork:
    network: IPNetwork
    port: int | None = None  # None: every port


@dataclass(frozen=True)
class AllowList:
    """Networks and host names opened despite being non-public (tests: their loopback),
    each on one port or, without a port, on all of them."""

    networks: tuple[AllowedNetwork, ...] = ()
    hosts: frozenset[tuple[str, int | None]] = frozenset()

    def allows_host(self, host: str, port: int) -> bool:
        name = host.lower().rstrip(".")
        return (name, None) in self.hosts or (name, port) in self.hosts

    def allows_address(self, address: IPAddress, port: int) -> bool:
        return any(
            address in entry.network and entry.port in (None, port) for entry in self.networks
        )


def parse_allow_list(spec: str, setting: str = "NEWSFLOW_FETCH_ALLOW_NETWORKS") -> AllowList:
    """`"127.0.0.1/32, [::1]:8080, intranet.example:8443"` -> networks and host names, each
    with the port it names or none (every port)."""
    networks: list[AllowedNetwork] = []
    hosts: set[tuple[str, int | None]] = set()
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        target, port = _split_port(item, setting)
        try:
            networks.append(AllowedNetwork(ipaddress.ip_network(target, strict=False), port))
        except ValueError:
            if not _HOST_NAME.fullmatch(target):
                raise ValueError(
                    f"{setting}: {item!r} is not a network, address or "
                    "host name, optionally with :port"
                ) from None
            hosts.add((target.lower().rstrip("."), port))
    return AllowList(tuple(networks), frozenset(hosts))


_HOST_NAME = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_.])?")
_PORTED = re.compile(
    r"\[(?P<bracketed>[^\]]+)\](:(?P<port6>[^:]*))?|(?P<plain>[^:\[\]]+):(?P<port>[^:]*)"
)


def _split_port(item: str, setting: str) -> tuple[str, int | None]:
    """`[::1]:8080` -> ("::1", 8080); `10.0.0.0/8:80` -> ("10.0.0.0/8", 80); a bare IPv6
    address or network (`::1`, `fd00::/8`) has no port: a port needs the brackets."""
    match = _PORTED.fullmatch(item)
    if match is None:
        if "[" in item or "]" in item:
            raise ValueError(f"{setting}: malformed entry {item!r}")
        return item, None
    target = match["bracketed"] or match["plain"]
    port_text = match["port6"] if match["bracketed"] else match["port"]
    if port_text is None:
        return target, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"{setting}: bad port in {item!r}")
    return target, int(port_text)


# Ranges whose last 32 bits are an IPv4 address the packet ends up at: judged by that address.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# Not reachable on the public internet, though Python 3.11's `is_global` calls them global.
_NEVER_PUBLIC_V6 = tuple(
    ipaddress.IPv6Network(net)
    for net in (
        "::/96",  # IPv4-compatible (deprecated): ::127.0.0.1 is loopback on some stacks
        "::ffff:0:0:0/96",  # IPv4-translated (SIIT)
        "64:ff9b:1::/48",  # local-use NAT64
        "fec0::/10",  # site-local (deprecated, still routed inside some networks)
        "2001::/32",  # Teredo: tunnels to an IPv4 address of the tunnel's choosing
        "5f00::/16",  # SRv6 segment identifiers
        "3fff::/20",  # documentation
    )
)


def is_public_address(address: IPAddress) -> bool:
    """Globally routable unicast: not loopback, private, link-local, multicast, reserved...
    An IPv6 address that carries an IPv4 one (mapped, NAT64, 6to4) is judged by that IPv4
    address: `64:ff9b::a9fe:a9fe` reaches 169.254.169.254 through a NAT64 gateway."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public_address(embedded)
        if any(address in network for network in _NEVER_PUBLIC_V6):
            return False
    return address.is_global and not address.is_multicast


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal_of_scheme(url: str) -> str | None:
    """Why `url` must not be fetched because of its scheme, or None when it may."""
    scheme = urlsplit(url.strip()).scheme.lower()
    if scheme not in _FETCHABLE_SCHEMES:
        return f"scheme {scheme or '(none)'!r} is not fetched: {url[:200]}"
    return None


def refusal_of_addresses(
    host: str, addresses: Iterable[IPAddress], allow: AllowList, port: int
) -> str | None:
    """Why connecting to `host`:`port` at these addresses is refused, or None when it may go
    on. Every address must pass: a name that resolves to one public and one private address
    is the classic way to reach an internal service."""
    if allow.allows_host(host, port):
        return None
    listed = list(addresses)
    if not listed:
        return f"{host} resolves to no address"
    for address in listed:
        if not is_public_address(address) and not allow.allows_address(address, port):
            return f"{host}:{port} resolves to non-public address {address}"
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


async def refusal_of_url(url: str, allow: AllowList) -> str | None:
    """Why `url` must not be called, checked now (scheme, then every address its host
    resolves to), or None when it may. For a one-off check (a webhook at `alerts add`);
    connections are checked again as they open, by `GuardedNetworkBackend`."""
    refusal = refusal_of_scheme(url)
    if refusal is not None:
        return refusal
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        return f"bad port in {url[:200]}"
    if not host:
        return f"no host in {url[:200]}"
    if allow.allows_host(host, port):
        return None
    try:
        addresses = await resolve(host, port)
    # ValueError: a name IDNA cannot encode (an empty label, one over 63 characters) is
    # refused by getaddrinfo before any lookup.
    except (OSError, ValueError) as exc:
        return f"{host} does not resolve: {getattr(exc, 'strerror', None) or exc}"
    return refusal_of_addresses(host, addresses, allow, port)


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
        except socket.gaierror as exc:
            if exc.errno in _NAME_NOT_FOUND:
                raise HostNotFound(f"{host} does not resolve: {exc.strerror}") from exc
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        refusal = refusal_of_addresses(host, addresses, self.allow, port)
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


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, with its connection pool opening connections through the
    SSRF guard. httpx has no public hook for the network backend, so the pool it builds is
    replaced by an identical one that has the guard."""

    def __init__(
        self,
        allow: AllowList,
        *,
        inner_backend: httpcore.AsyncNetworkBackend | None = None,
        limits: httpx.Limits,
    ) -> None:
        super().__init__(http2=True, limits=limits, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=True,
            network_backend=GuardedNetworkBackend(allow, inner_backend),
        )
