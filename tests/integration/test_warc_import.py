"""`newsflow import` as a user runs it, against a real Redis: exactly the archive's HTML 200
responses land on the raw stream, and a damaged archive is imported up to (and past, where
it can be) its damage, said with the offset, with exit code 1 and no traceback."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import redis

from shared.settings import Settings
from shared.streams import StreamNames, decode_raw_entry
from tests.warc_archives import OTHER_RECORDS, write_archive


def run_import(settings: Settings, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {
        **os.environ,
        "REDIS_URL": settings.redis_url.get_secret_value(),
        "NEWSFLOW_STREAM_PREFIX": settings.stream_prefix,
    }
    return subprocess.run(
        [sys.executable, "-m", "newsflow_cli", "import", *args],
        env=env,
        capture_output=True,
        timeout=120,
    )


def summary_of(run: subprocess.CompletedProcess[bytes]) -> dict[str, Any]:
    document: dict[str, Any] = orjson.loads(run.stdout)
    return document


def raw_entries(settings: Settings) -> list[dict[bytes, bytes]]:
    client = redis.Redis.from_url(settings.redis_url.get_secret_value())
    try:
        return [fields for _id, fields in client.xrange(StreamNames(settings.stream_prefix).raw)]
    finally:
        client.close()


def test_importing_publishes_exactly_the_100_html_responses(
    settings: Settings, redis: Any, tmp_path: Path
) -> None:
    archive = tmp_path / "crawl.warc.gz"
    pages = write_archive(archive)
    run = run_import(settings, str(archive), "--source", "Crawl", "--json")
    assert run.returncode == 0, run.stderr.decode()
    assert summary_of(run) == {
        "files": 1,
        "published": 100,
        "skipped": dict(sorted(OTHER_RECORDS.items())),
        "errors": [],
    }
    assert b"published 100 from 1 archive(s)" in run.stderr
    entries = [decode_raw_entry(fields) for fields in raw_entries(settings)]
    assert [e.url for e in entries] == [p.url for p in pages]
    for entry in entries:
        assert entry.source == "Crawl" and entry.via == "archive"
        assert entry.content_b64 and base64.b64decode(entry.content_b64).strip()
        assert entry.hint_captured_at is not None


def test_a_truncated_archive_publishes_what_precedes_the_cut_and_exits_1(
    settings: Settings, redis: Any, tmp_path: Path
) -> None:
    whole = tmp_path / "whole.warc.gz"
    write_archive(whole)
    data = whole.read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[: len(data) * 6 // 10])
    run = run_import(settings, str(cut), "--json")
    assert run.returncode == 1
    stderr = run.stderr.decode()
    assert "Traceback" not in stderr
    summary = summary_of(run)
    [error] = summary["errors"]
    assert error["stopped"] is True and error["resumed_at"] is None
    assert f"damaged record at offset {error['offset']}" in stderr
    assert "stopped there" in stderr
    assert 40 < summary["published"] < 100
    assert len(raw_entries(settings)) == summary["published"]


def test_a_corrupt_gzip_member_loses_only_its_record(
    settings: Settings, redis: Any, tmp_path: Path
) -> None:
    whole = tmp_path / "whole.warc.gz"
    write_archive(whole)
    data = bytearray(whole.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 100] = bytes(b ^ 0x55 for b in data[middle : middle + 100])
    corrupt = tmp_path / "corrupt.warc.gz"
    corrupt.write_bytes(bytes(data))
    run = run_import(settings, str(corrupt), "--json")
    assert run.returncode == 1
    assert b"Traceback" not in run.stderr
    summary = summary_of(run)
    [error] = summary["errors"]
    assert error["stopped"] is False and error["resumed_at"] > error["offset"]
    assert b"resumed at offset" in run.stderr
    assert summary["published"] == 99
    assert len(raw_entries(settings)) == 99


def test_a_missing_file_is_said_and_the_others_are_imported(
    settings: Settings, redis: Any, tmp_path: Path
) -> None:
    archive = tmp_path / "crawl.warc"
    write_archive(archive, pages=5, gzipped=False)
    run = run_import(settings, str(tmp_path / "nowhere.warc.gz"), str(archive), "--json")
    assert run.returncode == 1
    assert b"Traceback" not in run.stderr
    assert b"nowhere.warc.gz: cannot read it" in run.stderr
    summary = summary_of(run)
    assert summary["published"] == 5 and summary["files"] == 2
