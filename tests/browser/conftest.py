"""The page in a real Chromium (Debian's /usr/bin/chromium, driven by Playwright) against the
real api (`python -m newsflow_cli serve` on a free port) over a SQLite store filled with
articles made by the real parser and enricher.

Without Chromium or Playwright these tests skip and say why, except under CI=true, where
they fail: `.ci/run` installs Chromium with apt when it is missing. A failing test leaves a
screenshot of the page in test-artifacts/ (NEWSFLOW_TEST_ARTIFACTS elsewhere). The pictures
README shows are written there too, and into docs/ only with NEWSFLOW_UPDATE_SCREENSHOTS=1:
a test run leaves the checkout as it found it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.events import ArticleEvent
from shared.settings import Settings
from shared.store.backends import opened_store
from tests.browser.articles import ROOT, stored_articles
from tests.servers import free_port, stop_process

CHROMIUM = Path(os.environ.get("NEWSFLOW_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(os.environ.get("NEWSFLOW_TEST_ARTIFACTS", ROOT / "test-artifacts"))
UPDATE_SCREENSHOTS = os.environ.get("NEWSFLOW_UPDATE_SCREENSHOTS") == "1"

pytestmark = pytest.mark.browser

# The api's token in these tests: the page's writes (save as alert, remove) need it.
API_TOKEN = "browser-tests-token"


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed (pip install -e '.[test]')"
    if not CHROMIUM.is_file():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does it)"
    return None


@pytest.fixture(autouse=True, scope="session")
def _chromium_here() -> None:
    missing = _missing()
    if missing is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests must run under CI=true: {missing}")
    pytest.skip(f"browser tests: {missing}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"report_{report.when}", report)


@dataclass(frozen=True)
class Api:
    url: str
    settings: Settings
    articles: list[ArticleEvent]

    def get(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", params=params, timeout=10)


@pytest.fixture(scope="session")
def articles() -> list[ArticleEvent]:
    return stored_articles()


@pytest.fixture(scope="module")
def api(
    articles: list[ArticleEvent], redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    workdir = tmp_path_factory.mktemp("api")
    settings = Settings.model_validate(
        {
            "REDIS_URL": redis_url,
            "DATABASE_URL": None,
            "sqlite_path": workdir / "newsflow.db",
            "stream_prefix": f"test-{uuid.uuid4().hex[:12]}",
            "api_port": free_port(),
            "api_host": "127.0.0.1",
            "api_token": API_TOKEN,
        }
    )
    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, _store(settings, articles)).result()
    log = (workdir / "api.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsflow_cli", "serve"],
        cwd=ROOT,
        env=process_env(settings),
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{settings.api_port}"
    try:
        wait_ready(url, proc, workdir / "api.log")
        yield Api(url, settings, articles)
    finally:
        stop_process(proc, within_s=10)
        log.close()


def process_env(settings: Settings) -> dict[str, str]:
    """The environment of a newsflow process over the api fixture's store and streams."""
    return {
        **os.environ,
        "REDIS_URL": settings.redis_url.get_secret_value(),
        "DATABASE_URL": "",
        "NEWSFLOW_SQLITE_PATH": str(settings.sqlite_path),
        "NEWSFLOW_STREAM_PREFIX": settings.stream_prefix,
        "NEWSFLOW_API_HOST": "127.0.0.1",
        "NEWSFLOW_API_PORT": str(settings.api_port),
        "NEWSFLOW_API_TOKEN": API_TOKEN,
        # The page's tests save alerts with webhooks on the loopback (nothing is called).
        "NEWSFLOW_WEBHOOK_ALLOW_NETWORKS": "127.0.0.1/32",
        "PYTHONPATH": str(ROOT),
    }


async def _store(settings: Settings, articles: list[ArticleEvent]) -> None:
    async with opened_store(settings) as store:
        for event in articles:
            await store.upsert(event.stamped("sink"))


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Until `url`/health/ready answers 200 (the api, or a stage's endpoint)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{proc.args} exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/health/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"{url} did not get ready in 30 s: {log.read_text()[-2000:]}")


# Package scope, not session: sync Playwright runs an event loop in this thread while it is
# open, and every asyncio test collected after this package would find it running.
def readme_screenshot(page: Any, name: str) -> Path:
    """A picture README shows (docs/<name>): into test-artifacts/, and into docs/ when
    NEWSFLOW_UPDATE_SCREENSHOTS=1, so that only a run meant to refresh them changes the
    checkout."""
    folder = ROOT / "docs" if UPDATE_SCREENSHOTS else ARTIFACTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    page.screenshot(path=str(path))
    return path


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page at 1280 x 900; its console errors fail the test; a screenshot if it fails."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / f"{request.node.name}.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the failing page: {shot}")
    context.close()
    assert not errors, f"the page threw: {errors}"
