"""Addresses the fetcher must refuse by default, and proof that no connection is opened."""

from __future__ import annotations

import pytest

from shared.errors import Rejected
from tests.integration.fetcher.conftest import ClientFactory, CountingBackend
from tests.integration.fetcher.local_server import Reply, article_html, local_server, page


async def refused_without_connecting(make_client: ClientFactory, url: str) -> None:
    """A client allowing no extra networks refuses `url` as SSRF before any connection."""
    backend = CountingBackend()
    client = await make_client(allow="", backend=backend)
    with pytest.raises(Rejected) as caught:
        await client.get(url)
    assert caught.value.reason == "ssrf"
    assert backend.connects == []


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/latest/meta-data/",
        "http://10.0.0.1/",
        "http://0.0.0.0:8080/",
        "http://[::1]/",
        "http://224.0.0.1/",
    ],
)
async def test_non_public_addresses_are_refused_without_connecting(
    make_client: ClientFactory, url: str
) -> None:
    await refused_without_connecting(make_client, url)


async def test_a_file_url_is_refused(make_client: ClientFactory) -> None:
    await refused_without_connecting(make_client, "file:///etc/passwd")


async def test_a_host_name_resolving_to_loopback_is_refused_by_default(
    make_client: ClientFactory,
) -> None:
    with local_server("127.0.0.1") as server:
        server.routes["/"] = page(article_html("Internal"))
        backend = CountingBackend()
        client = await make_client(allow="", backend=backend)
        with pytest.raises(Rejected) as caught:
            await client.get(f"http://localhost:{server.port}/")
        assert caught.value.reason == "ssrf"
        assert "127.0.0.1" in caught.value.message
        assert backend.connects == []
        assert server.connections == 0


async def test_the_allow_list_opens_a_host_name_or_a_network(
    make_client: ClientFactory,
) -> None:
    with local_server("127.0.0.1") as server:
        server.routes["/"] = page(article_html("Internal"))
        by_name = await make_client(allow="localhost")
        by_network = await make_client(allow="127.0.0.1/32")
        await by_name.get(f"http://localhost:{server.port}/")
        await by_network.get(f"http://localhost:{server.port}/")
        assert len(server.requests_to("/")) == 2


@pytest.mark.parametrize(
    "target",
    ["http://169.254.169.254/latest/meta-data/", "file:///etc/passwd", "OTHER_LOOPBACK"],
)
async def test_every_redirect_hop_is_checked(make_client: ClientFactory, target: str) -> None:
    with local_server("127.0.0.1") as allowed, local_server("127.0.0.2") as internal:
        internal.routes["/secret"] = page("secret")
        location = internal.url("/secret") if target == "OTHER_LOOPBACK" else target
        allowed.routes["/go"] = lambda _r: Reply(302, headers={"Location": location})
        backend = CountingBackend()
        client = await make_client(allow="127.0.0.1/32", backend=backend)
        with pytest.raises(Rejected) as caught:
            await client.get(allowed.url("/go"))
        assert caught.value.reason == "ssrf"
        assert internal.connections == 0
        assert all(host == "127.0.0.1" for host, _port in backend.connects)


async def test_an_allowed_port_does_not_open_other_ports_of_its_address(
    make_client: ClientFactory,
) -> None:
    """Allowing a test server at 127.0.0.1:P must not let a redirect reach another service
    on 127.0.0.1 (Redis on 6379, say): here a second server on the same address."""
    with local_server("127.0.0.1") as allowed, local_server("127.0.0.1") as internal:
        internal.routes["/secret"] = page("secret")
        allowed.routes["/page"] = page(article_html("Allowed"))
        allowed.routes["/go"] = lambda _r: Reply(302, headers={"Location": internal.url("/secret")})
        backend = CountingBackend()
        client = await make_client(allow=f"127.0.0.1:{allowed.port}", backend=backend)
        download = await client.get(allowed.url("/page"))
        assert download.status_code == 200  # type: ignore[union-attr]
        with pytest.raises(Rejected) as caught:
            await client.get(allowed.url("/go"))
        assert caught.value.reason == "ssrf"
        assert f"127.0.0.1:{internal.port}" in caught.value.message
        assert internal.connections == 0
        assert all(port == allowed.port for _host, port in backend.connects)


@pytest.mark.parametrize(
    "url",
    [
        "http://[64:ff9b::7f00:1]/",
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
        "http://[2002:a9fe:a9fe::1]/",
        "http://[::127.0.0.1]/",
        "http://[::ffff:0:a9fe:a9fe]/",
        "http://[fec0::1]/",
    ],
)
async def test_ipv6_forms_of_internal_addresses_are_refused(
    make_client: ClientFactory, url: str
) -> None:
    await refused_without_connecting(make_client, url)
