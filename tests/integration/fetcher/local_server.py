"""A real HTTP server on a loopback address, for the fetcher's tests.

Routes are plain functions from the request to a `Reply`; the server records every request
and counts every TCP connection it accepts, so a test can show that no connection was made.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    # Written after `body`, piece by piece, for as long as the client reads: an endless or
    # huge stream that is never held in memory.
    stream: Callable[[], Iterable[bytes]] | None = None


@dataclass(frozen=True)
class SeenRequest:
    path: str
    headers: dict[str, str]
    at: float


Route = Callable[[SeenRequest], Reply]


def page(html: str, *, content_type: str = "text/html; charset=utf-8", **kw: Any) -> Route:
    reply = Reply(body=html.encode("utf-8"), headers={"Content-Type": content_type}, **kw)
    return lambda _request: reply


def article_html(title: str, paragraphs: int = 6) -> str:
    body = "".join(
        f"<p>{title}: paragraph {i} of a real-looking article about the city council's "
        f"budget vote, with enough words for the extractor to take it as body text.</p>"
        for i in range(paragraphs)
    )
    return (
        f"<!doctype html><html><head><title>{title}</title></head>"
        f"<body><article><h1>{title}</h1>{body}</article></body></html>"
    )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LocalServer

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.owner.lock:
            self.owner.connections += 1
        super().process_request(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        owner = self.server.owner
        seen = SeenRequest(
            self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic()
        )
        with owner.lock:
            owner.requests.append(seen)
        route = owner.routes.get(self.path.split("?", 1)[0])
        reply = route(seen) if route else Reply(404, b"not found")
        if reply.delay_s:
            time.sleep(reply.delay_s)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        # The client may stop reading (the size cap): that is the point of some tests.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(reply.body)
            for piece in reply.stream() if reply.stream else ():
                self.wfile.write(piece)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class LocalServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.routes: dict[str, Route] = {}
        self.requests: list[SeenRequest] = []
        self.connections = 0
        self.lock = threading.Lock()
        self._server = _Server((host, 0), _Handler)
        self._server.owner = self
        self.port = self._server.server_address[1]

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.origin}{path}"

    def requests_to(self, path: str) -> list[SeenRequest]:
        with self.lock:
            return [r for r in self.requests if r.path.split("?", 1)[0] == path]

    @contextmanager
    def running(self) -> Iterator[LocalServer]:
        thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


@contextmanager
def local_server(host: str = "127.0.0.1") -> Iterator[LocalServer]:
    with LocalServer(host).running() as server:
        yield server
