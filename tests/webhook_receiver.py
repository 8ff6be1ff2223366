"""A webhook receiver on 127.0.0.1 for the delivery tests: it checks every POST's HMAC with
the alert's secret, dedups on Idempotency-Key the way a careful receiver does, and can be
told to fail (500 for a while, a fixed status) or to be slow."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

from services.webhooks.signing import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature_matches,
)


@dataclass
class WebhookReceiver:
    secrets: dict[str, str]  # alert name -> secret
    failing_until: float = 0.0  # time.monotonic(): answer 500 until then
    status: int | None = None  # answer this instead of 200 (404, 500...)
    retry_after: str | None = None  # sent with a failure
    delay_s: float = 0.0  # before answering
    # First accepted body per idempotency key (what a deduping receiver processes once).
    processed: dict[str, dict[str, Any]] = field(default_factory=dict)
    duplicates: Counter[str] = field(default_factory=Counter)
    posts: int = 0
    refused: int = 0  # answered with a failure
    bad_signatures: int = 0
    headers_seen: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def fail_for(self, seconds: float) -> None:
        self.failing_until = time.monotonic() + seconds

    def article_ids(self, alert: str) -> list[str]:
        """Every article this alert's receiver processed, singles and digests' matches."""
        with self.lock:
            bodies = list(self.processed.values())
        found: list[str] = []
        for body in bodies:
            for match in body.get("matches", [body]):
                if match["alert"] == alert:
                    found.append(match["article_id"])
        return found

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.on_post(self, body)

            def log_message(self, *_args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def on_post(self, request: BaseHTTPRequestHandler, body: bytes) -> None:
        if self.delay_s:
            time.sleep(self.delay_s)
        document = orjson.loads(body)
        key = request.headers.get(IDEMPOTENCY_HEADER, "")
        with self.lock:
            self.posts += 1
            self.headers_seen.append(dict(request.headers.items()))
            secret = self.secrets.get(document.get("alert", ""), "")
            if not signature_matches(secret, body, request.headers.get(SIGNATURE_HEADER)):
                self.bad_signatures += 1
                return self._answer(request, 401)
            if not request.headers.get(TIMESTAMP_HEADER, "").isdigit():
                return self._answer(request, 400)
            failing = time.monotonic() < self.failing_until
            status = 500 if failing else self.status
            if status is not None and not 200 <= status < 300:
                self.refused += 1
                return self._answer(request, status, self.retry_after)
            if key in self.processed:
                self.duplicates[key] += 1
            else:
                self.processed[key] = document
        self._answer(request, 200)

    @staticmethod
    def _answer(
        request: BaseHTTPRequestHandler, status: int, retry_after: str | None = None
    ) -> None:
        try:
            request.send_response(status)
            if retry_after is not None:
                request.send_header("Retry-After", retry_after)
            request.send_header("Content-Length", "2")
            request.end_headers()
            request.wfile.write(b"{}")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the worker was killed mid-POST: nobody to answer
