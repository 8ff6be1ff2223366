"""The stack of docker-compose.yml under a real Docker engine, as a user runs it.

One stack per module under a project name of its own, built and started with
`docker compose up --build -d --wait`, taken down with `down -v` whatever happens. Under
CI=true a missing engine fails the run; elsewhere these tests skip and say how to get one.
The tests run in order against the same stack: publish, search, demo, scale, restart,
down and up.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import httpx
import psycopg
import pytest
import redis

from tests.compose.stack import (
    BASE_IMAGE,
    PROJECT_IMAGE,
    REPO,
    REPORT,
    Stack,
    added_layers,
    engine_problem,
    image_created,
)
from tests.conftest import SEED

pytestmark = pytest.mark.compose

STAGE_SERVICES = ("fetcher", "parser", "enricher", "sink")
LONG_RUNNING = (*STAGE_SERVICES, "api", "redis", "postgres")
MAX_ADDED_IMAGE_BYTES = 450 * 1000 * 1000
# The `newsflow` console script, run on this checkout's code whatever venv runs the tests.
NEWSFLOW_COMMAND = (
    "import sys; from importlib.metadata import entry_points; "
    "(script,) = entry_points(group='console_scripts', name='newsflow'); "
    "sys.argv[0] = 'newsflow'; sys.exit(script.load()())"
)
METRICS = (
    "import urllib.request as u; "
    "print(u.urlopen('http://127.0.0.1:9100/metrics', timeout=5).read().decode())"
)


def port_or_free(preferred: int) -> int:
    """The documented host port when it is free (redis-cli -p 6380), else any free one."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", preferred))
        except OSError:
            probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    problem = engine_problem()
    if problem is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {problem}")
        pytest.skip(problem)
    stack = Stack(
        f"newsflow-test-{uuid.uuid4().hex[:8]}",
        port_or_free(6380),
        port_or_free(5433),
        port_or_free(8000),
    )
    version = subprocess.run(
        ["docker", "compose", "version", "--short"], capture_output=True, text=True, check=False
    )
    REPORT.append(
        f"project {stack.project}: compose {version.stdout.strip()}, redis on "
        f"{stack.redis_port}, postgres on {stack.postgres_port}"
    )
    try:
        stack.compose(
            "up", "--build", "-d", "--wait", "--wait-timeout", "300", timed="up --build -d --wait"
        )
        yield stack
    finally:
        stack.compose(
            "--profile", "demo", "down", "-v", "--remove-orphans", check=False, timed="down -v"
        )
        for name, took in stack.timings.items():
            REPORT.append(f"{name}: {took:.1f} s")


def wait_for(what: str, check: Callable[[], bool], timeout: float, stack: Stack) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what} within {timeout} s\n{stack.logs()}")


def stored_count(stack: Stack, source: str) -> int:
    with psycopg.connect(stack.database_url, connect_timeout=5) as conn:
        found = conn.execute(
            "SELECT count(*) FROM articles WHERE source = %s", (source,)
        ).fetchone()
    return int(found[0]) if found else 0


def stored_ids(stack: Stack) -> set[str]:
    with psycopg.connect(stack.database_url, connect_timeout=5) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM articles").fetchall()}


def article_text(tag: str, number: int) -> str:
    """A short article no other one resembles (the enricher marks near-duplicates)."""
    words = [uuid.uuid4().hex[:8] for _ in range(40)]
    sentences = [" ".join(words[i : i + 10]).capitalize() + "." for i in range(0, 40, 10)]
    return f"Report {number} on {tag} {words[0]}\n\n" + "\n\n".join(sentences)


def publish(stack: Stack, content: str, source: str) -> str:
    # As a user types it: redis-cli -p 6380 -a newsflow XADD newsflow:raw '*' content "..." ...
    return stack.redis_cli(
        "XADD", "newsflow:raw", "*", "content", content, "source", source
    ).strip()


def forwarded_by_each(stack: Stack, service: str, replicas: int) -> list[float]:
    """newsflow_messages_total{outcome="forwarded"} of each replica of `service`."""
    counts = []
    for index in range(1, replicas + 1):
        out = stack.compose(
            "exec", "-T", "--index", str(index), service, "python", "-c", METRICS
        ).stdout
        pattern = (
            rf'newsflow_messages_total\{{(?=[^}}]*stage="{service}")'
            rf'(?=[^}}]*outcome="forwarded")[^}}]*\}} (\S+)'
        )
        counts.append(sum(float(m) for m in re.findall(pattern, out)))
    return counts


# --- up --------------------------------------------------------------------------------


def test_up_builds_one_image_and_every_service_is_healthy(stack: Stack) -> None:
    containers = {c["Service"]: c for c in stack.containers()}
    for service in LONG_RUNNING:
        assert containers[service]["State"] == "running", containers[service]
        assert containers[service]["Health"] == "healthy", containers[service]
    for service in STAGE_SERVICES:
        assert containers[service]["Image"] == PROJECT_IMAGE, containers[service]
    # One build: no per-service images (compose names them <project>-<service>).
    images = subprocess.run(
        ["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.split()
    assert not [image for image in images if image.startswith(f"{stack.project}-")], images
    assert image_created(PROJECT_IMAGE) is not None


def test_image_adds_at_most_450_mb_to_its_base(stack: Stack) -> None:
    layers = added_layers(PROJECT_IMAGE, BASE_IMAGE)
    total = sum(size for size, _ in layers)
    REPORT.append(f"{PROJECT_IMAGE} adds {total / 1e6:.0f} MB to {BASE_IMAGE}:")
    for size, created_by in layers:
        if size:
            REPORT.append(f"  {size / 1e6:7.1f} MB  {' '.join(created_by.split())[:90]}")
    assert total <= MAX_ADDED_IMAGE_BYTES, total


# --- an article through the stack ------------------------------------------------------


def test_seed_published_with_redis_cli_is_enriched_and_stored_in_postgres(stack: Stack) -> None:
    started = time.monotonic()
    entry = publish(stack, SEED.read_text(encoding="utf-8"), "UNN")
    assert re.fullmatch(r"\d+-\d+", entry), entry
    client = redis.Redis.from_url(stack.redis_url)
    found: list[dict[str, object]] = []

    def enriched() -> bool:
        for _, fields in client.xrange("newsflow:enriched"):
            event = json.loads(fields[b"data"])
            if event["source"].get("name") == "UNN":
                found.append(event)
                return True
        return False

    wait_for("the seed on newsflow:enriched", enriched, 120, stack)
    event = found[0]
    assert event["enrichment"], event
    assert "Pyongyang" in json.dumps(event["article"], ensure_ascii=False)
    wait_for("the seed in PostgreSQL", lambda: str(event["id"]) in stored_ids(stack), 60, stack)
    REPORT.append(
        f"seed published with redis-cli, stored in PostgreSQL after "
        f"{time.monotonic() - started:.1f} s"
    )


def test_newsflow_search_on_the_stacks_postgres_prints_no_markup(stack: Stack) -> None:
    result = subprocess.run(
        [sys.executable, "-c", NEWSFLOW_COMMAND, "search", "Pyongyang"],
        env={
            **os.environ,
            "DATABASE_URL": stack.database_url,
            "COLUMNS": "200",
            "PYTHONPATH": str(REPO),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Pyongyang" in result.stdout, result.stdout
    assert "<b>" not in result.stdout and "</b>" not in result.stdout, result.stdout


def test_the_api_finds_the_seed_on_the_stacks_postgres(stack: Stack) -> None:
    base = f"http://127.0.0.1:{stack.api_port}"
    page = httpx.get(
        f"{base}/api/articles", params={"q": "Pyongyang", "country": "KP"}, timeout=30
    ).json()
    assert page["total"] >= 1, page
    assert any("Pyongyang" in (item["title"] or "") for item in page["items"]), page
    counts = httpx.get(f"{base}/api/counts", params={"interval": "month"}, timeout=30).json()
    assert sum(bucket["count"] for bucket in counts["buckets"]) == len(stored_ids(stack))
    # No token in the stack's environment: publishing over HTTP is off.
    refused = httpx.post(f"{base}/api/articles", json={"url": "https://example.com/"}, timeout=30)
    assert refused.status_code == 403


# --- profiles, scaling, restarts -------------------------------------------------------


def test_demo_profile_publishes_the_seeds_and_exits(stack: Stack) -> None:
    before = int(stack.redis_cli("XLEN", "newsflow:raw"))
    stack.compose("--profile", "demo", "up", "-d", "demo", timeout=300)

    def exited() -> bool:
        return all(c["State"] == "exited" for c in stack.containers("demo"))

    wait_for("the demo to exit", exited, 120, stack)
    (demo,) = stack.containers("demo")
    assert demo["ExitCode"] == 0, stack.compose("logs", "demo").stdout
    seeds = len(list(SEED.parent.glob("*.txt")))
    assert int(stack.redis_cli("XLEN", "newsflow:raw")) == before + seeds


def test_scaled_enricher_replicas_both_take_work(stack: Stack) -> None:
    stack.compose("up", "-d", "--wait", "--scale", "enricher=2", timed="scale enricher=2")
    assert len([c for c in stack.containers("enricher") if c["State"] == "running"]) == 2
    source = f"scale-{uuid.uuid4().hex[:8]}"
    articles = 12
    for number in range(articles):
        publish(stack, article_text(source, number), source)
        # Gaps so that a replica busy with one entry leaves the next to the other.
        time.sleep(0.4)
    wait_for(
        f"{articles} articles stored", lambda: stored_count(stack, source) == articles, 180, stack
    )
    consumers = stack.redis_cli("XINFO", "CONSUMERS", "newsflow:parsed", "enricher")
    forwarded = forwarded_by_each(stack, "enricher", 2)
    REPORT.append(f"--scale enricher=2: forwarded per replica {forwarded}")
    assert all(count > 0 for count in forwarded), (forwarded, consumers)
    stack.compose("up", "-d", "--wait", "--scale", "enricher=1")


def test_restarting_a_stage_while_articles_flow_loses_nothing(stack: Stack) -> None:
    source = f"restart-{uuid.uuid4().hex[:8]}"
    articles = 30

    def publish_all() -> None:
        for number in range(articles):
            publish(stack, article_text(source, number), source)
            time.sleep(0.1)

    publisher = threading.Thread(target=publish_all)
    publisher.start()
    time.sleep(1.0)
    stack.compose("restart", "enricher", timed="restart enricher")
    publisher.join()
    wait_for(
        f"all {articles} articles stored",
        lambda: stored_count(stack, source) == articles,
        240,
        stack,
    )


def test_down_then_up_keeps_the_data(stack: Stack) -> None:
    before = stored_ids(stack)
    enriched = int(stack.redis_cli("XLEN", "newsflow:enriched"))
    assert before
    stack.compose("down", timed="down (volumes kept)")
    stack.compose("up", "-d", "--wait", "--wait-timeout", "300", timed="up --wait again")
    assert stored_ids(stack) >= before
    # Redis keeps an append-only file on its volume: the streams survive too.
    assert int(stack.redis_cli("XLEN", "newsflow:enriched")) >= enriched
