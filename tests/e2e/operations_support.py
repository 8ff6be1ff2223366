"""What the operations tests (tests/e2e/test_operations.py, test_readiness_follows_redis.py)
do to a running pipeline: scrape a stage's /metrics, serve a loopback article page, publish
submissions, run the `newsflow` CLI as a user does."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import redis
from prometheus_client.parser import text_string_to_metric_families

from shared.events import RawSubmission
from shared.settings import Settings
from shared.streams import StreamNames
from tests.e2e.harness import http_get

# The fetcher may reach the loopback page server, with no pause between requests.
FETCH_ENV = {"NEWSFLOW_FETCH_ALLOW_NETWORKS": "127.0.0.1/32", "NEWSFLOW_FETCH_HOST_INTERVAL_S": "0"}
PARAGRAPH = (
    "<p>The city council voted on Tuesday to raise school spending by four percent, after a "
    "long debate about class sizes and the cost of repairs to older buildings.</p>"
)
PAGE = (
    "<!doctype html><html><head><title>Council passes the school budget</title></head><body>"
    f"<article><h1>Council passes the school budget</h1>{PARAGRAPH * 6}</article></body></html>"
).encode()


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(port: int) -> Samples:
    status, body = http_get(f"http://127.0.0.1:{port}/metrics")
    assert status == 200, f"/metrics on {port} answered {status}"
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def forwarded(samples: Samples, stage: str) -> float:
    return value(samples, "newsflow_messages_total", stage=stage, outcome="forwarded")


@contextlib.contextmanager
def page_server() -> Iterator[str]:
    """A loopback site with one article page; returns its URL. robots.txt is a 404."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == "/council-budget"
            body = PAGE if found else b"not found"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8" if found else "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/council-budget"
    finally:
        server.shutdown()
        server.server_close()


def text_article(n: int) -> RawSubmission:
    return RawSubmission(
        content=f"Harbour report {n}. The port authority counted {n * 7 + 3} ships in the harbour "
        f"on Monday and said berth {n} would reopen after repairs next week.",
        content_type="text/plain",
        source="ops-test",
    )


def publish(client: redis.Redis, settings: Settings, submissions: list[RawSubmission]) -> None:
    raw = StreamNames(settings.stream_prefix).raw
    with client.pipeline(transaction=False) as pipe:
        for submission in submissions:
            pipe.xadd(raw, {"data": submission.to_json()})
        pipe.execute()


def newsflow(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The `newsflow` CLI as a user runs it, with its output piped."""
    result = subprocess.run(
        [sys.executable, "-m", "newsflow_cli", *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"newsflow {' '.join(args)}: {result.stderr}"
    return result


def sink_settled(client: redis.Redis, names: StreamNames) -> bool:
    # The enriched stream has the alerts stage's group too.
    groups = client.xinfo_groups(names.input_of("sink"))
    group = next(g for g in groups if g["name"] in ("sink", b"sink"))
    return int(group["lag"] or 0) == 0 and int(group["pending"]) == 0
