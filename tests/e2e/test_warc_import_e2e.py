"""A web archive through the whole pipeline: `newsflow import` of 100 HTML responses (in
every coding a crawler stores, beside request, metadata, revisit, PDF and 404 records), the
four stages as processes, PostgreSQL: each page stored once under its original URL, dated
by the page itself and not by its 2024 capture."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
import redis
from pydantic import SecretStr

from shared.events import ArticleEvent, article_id_for_url
from shared.settings import Settings
from shared.store.backends import opened_store
from shared.urls import normalize_url
from tests.e2e.harness import running_stages, stage_env, stored_count, wait_until
from tests.warc_archives import ArchivedPage, write_archive

pytestmark = pytest.mark.e2e

CAPTURE_DAY = date(2024, 5, 1)


@pytest.fixture
def postgres_settings(settings: Settings, database_url: str) -> Iterator[Settings]:
    yield settings.model_copy(update={"database_url": SecretStr(database_url)})
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {settings.table_name}")


def stored_events(settings: Settings, pages: list[ArchivedPage]) -> list[ArticleEvent | None]:
    async def read() -> list[ArticleEvent | None]:
        async with opened_store(settings) as store:
            return [await store.get(article_id_for_url(normalize_url(page.url))) for page in pages]

    return asyncio.run(read())


def test_an_archive_is_stored_page_by_page_under_its_urls_with_the_pages_dates(
    postgres_settings: Settings, client: redis.Redis, tmp_path: Path
) -> None:
    settings = postgres_settings
    archive = tmp_path / "crawl.warc.gz"
    pages = write_archive(archive)
    env = {**os.environ, **stage_env(settings)}
    with running_stages(settings, tmp_path / "logs"):
        run = subprocess.run(
            [sys.executable, "-m", "newsflow_cli", "import", str(archive), "--source", "Crawl"],
            env=env,
            capture_output=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr.decode()
        assert b"published 100 from 1 archive(s)" in run.stderr
        wait_until(lambda: stored_count(settings) >= 100, 600, "the 100 pages to be stored")

    assert stored_count(settings) == 100
    for page, event in zip(pages, stored_events(settings, pages), strict=True):
        assert event is not None, page.url
        assert event.source.url == normalize_url(page.url)
        assert event.source.name == "Crawl" and event.source.via == "archive"
        hints = (event.source.model_extra or {})["hints"]
        assert str(hints["captured_at"]).startswith("2024-05-01T12:00:00")
        assert event.article is not None
        assert (event.article.title or "").startswith(page.page.title_start), page.coding
        published = event.article.published_at
        assert published is not None, page.url
        assert published.date() == page.page.published, (page.url, page.coding)
        assert published.date() != CAPTURE_DAY
