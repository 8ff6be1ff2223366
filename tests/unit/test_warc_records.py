"""Web-archive records -> raw submissions, without Redis: what each record kind becomes, the
codings undone, the declared charset and capture time kept, and damage found and said."""

from __future__ import annotations

import base64
import gzip
import tracemalloc
import zlib
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsflow_cli.import_archives import Outcome, record_outcome
from newsflow_cli.warc_records import Corrupt, Damage, ReadRecord, read_archive
from newsflow_cli.warc_submission import BadRecord, Skipped, charset_of
from shared.events import RawSubmission
from tests.warc_archives import (
    CODINGS,
    OTHER_RECORDS,
    PAGES,
    ArchiveWriter,
    encoded_response,
    page_html,
    write_archive,
)

MAX_BYTES = 5_000_000

Item = ReadRecord[Outcome] | Corrupt | Damage


def read_all(path: Path, max_bytes: int = MAX_BYTES) -> list[Item]:
    return list(read_archive(path, record_outcome(max_bytes, "Archive")))


def submissions(items: list[Item]) -> list[RawSubmission]:
    return [
        i.outcome
        for i in items
        if isinstance(i, ReadRecord) and isinstance(i.outcome, RawSubmission)
    ]


def skipped(items: list[Item]) -> Counter[str]:
    return Counter(
        i.outcome.kind
        for i in items
        if isinstance(i, ReadRecord) and isinstance(i.outcome, Skipped)
    )


def problems(items: list[Item]) -> list[Corrupt | Damage]:
    return [i for i in items if isinstance(i, Corrupt | Damage)]


@pytest.mark.parametrize("gzipped", [True, False], ids=["warc.gz", "warc"])
def test_exactly_the_html_200_responses_make_submissions(tmp_path: Path, gzipped: bool) -> None:
    path = tmp_path / ("a.warc.gz" if gzipped else "a.warc")
    pages = write_archive(path, gzipped=gzipped)
    items = read_all(path)
    published = submissions(items)
    assert [s.url for s in published] == [p.url for p in pages]
    assert len(published) == 100
    assert skipped(items) == Counter(OTHER_RECORDS)
    assert problems(items) == []
    for submission in published:
        assert submission.via == "archive"
        assert submission.source == "Archive"
        assert submission.content is None
        assert submission.content_type == "text/html"
        assert submission.hint_captured_at == datetime(2024, 5, 1, 12, tzinfo=UTC)
        assert submission.hint_published_at is None


def test_each_coding_is_undone_and_the_declared_charset_kept(tmp_path: Path) -> None:
    path = tmp_path / "codings.warc.gz"
    pages = write_archive(path, pages=len(CODINGS) * 2)
    for page, submission in zip(pages, submissions(read_all(path)), strict=True):
        expected_headers, _ = encoded_response(b"", page.coding)
        html = page_html(page.page)
        body = base64.b64decode(submission.content_b64 or "")
        if page.coding == "cp1251":
            assert submission.charset == "windows-1251"
            assert body.decode("cp1251") == html.decode().encode(
                "cp1251", errors="xmlcharrefreplace"
            ).decode("cp1251")
        else:
            assert submission.charset == "utf-8", page.coding
            assert body == html, page.coding
        assert ("Content-Type", f"text/html; charset={submission.charset}") in expected_headers


def _one_response(
    tmp_path: Path, body: bytes, headers: list[tuple[str, str]], status: str = "200 OK"
) -> list[Item]:
    path = tmp_path / "one.warc"
    with path.open("wb") as file:
        ArchiveWriter(file, gzipped=False).response(
            "https://example.com/a.html", body, headers, status=status
        )
    return read_all(path, max_bytes=10_000)


def test_a_broken_content_coding_is_a_bad_record_and_reading_goes_on(tmp_path: Path) -> None:
    compressed = bytearray(gzip.compress(page_html(PAGES[0])))
    compressed[1000:1100] = b"\xff" * 100
    broken = bytes(compressed)
    items = _one_response(
        tmp_path, broken, [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]
    )
    [item] = items
    assert isinstance(item, ReadRecord) and isinstance(item.outcome, BadRecord)
    assert "gzip content is broken" in str(item.outcome)


def test_a_body_stored_decoded_under_a_coding_header_is_taken_as_it_is(tmp_path: Path) -> None:
    html = b"<html><body><p>Stored decoded by the crawler.</p></body></html>"
    items = _one_response(
        tmp_path, html, [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]
    )
    [submission] = submissions(items)
    assert base64.b64decode(submission.content_b64 or "") == html


def test_a_compression_bomb_is_skipped_as_too_large(tmp_path: Path) -> None:
    bomb = gzip.compress(b"<html>" + b" " * 50_000_000)
    items = _one_response(
        tmp_path, bomb, [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]
    )
    assert skipped(items) == {"too_large": 1}


@pytest.mark.parametrize(
    ("headers", "status", "kind"),
    [
        ([("Content-Type", "image/png")], "200 OK", "not_html"),
        ([("Content-Type", "text/html")], "301 Moved", "http_301"),
        ([("Content-Type", "text/html")], "500 Oops", "http_500"),
        ([], "200 OK", "not_html"),
    ],
)
def test_what_is_not_a_page_is_skipped_by_kind(
    tmp_path: Path, headers: list[tuple[str, str]], status: str, kind: str
) -> None:
    items = _one_response(tmp_path, b"\x89PNG\r\n\x1a\n...", headers, status=status)
    assert skipped(items) == {kind: 1}


def test_an_html_page_without_content_type_is_sniffed(tmp_path: Path) -> None:
    items = _one_response(tmp_path, b"<!DOCTYPE html><html><p>x</p></html>", [])
    assert len(submissions(items)) == 1


def test_the_charset_parameter_is_read_from_content_type() -> None:
    assert charset_of('text/html; charset="Windows-1251"') == "Windows-1251"
    assert charset_of("text/html;charset=euc-kr; foo=bar") == "euc-kr"
    assert charset_of("text/html") is None
    assert charset_of(None) is None


@pytest.mark.parametrize("gzipped", [True, False], ids=["warc.gz", "warc"])
def test_a_truncated_archive_gives_what_precedes_the_cut_and_says_where_it_stopped(
    tmp_path: Path, gzipped: bool
) -> None:
    whole = tmp_path / ("whole.warc.gz" if gzipped else "whole.warc")
    write_archive(whole, gzipped=gzipped)
    records = [i for i in read_all(whole) if isinstance(i, ReadRecord)]
    offsets = [i.offset for i in records]
    data = whole.read_bytes()
    cut_record = 60  # cut in the middle of the 60th record
    cut_at = (offsets[cut_record] + offsets[cut_record + 1]) // 2
    truncated = tmp_path / ("cut.warc.gz" if gzipped else "cut.warc")
    truncated.write_bytes(data[:cut_at])

    items = read_all(truncated)
    [damage] = problems(items)
    assert isinstance(damage, Damage)
    assert damage.offset == offsets[cut_record]
    assert damage.resumed_at is None
    assert "cut short" in damage.message
    assert "stopped there" in damage.describe() and str(damage.offset) in damage.describe()
    read = [i for i in items if isinstance(i, ReadRecord)]
    assert [i.offset for i in read] == offsets[:cut_record]
    published = [s.url for s in submissions(items)]
    assert published == [s.url for s in submissions(list(records[:cut_record]))]
    assert len(published) == 50


def test_a_corrupt_gzip_member_is_said_and_the_members_after_it_are_read(tmp_path: Path) -> None:
    whole = tmp_path / "whole.warc.gz"
    pages = write_archive(whole)
    records = [i for i in read_all(whole) if isinstance(i, ReadRecord)]
    offsets = [i.offset for i in records]
    bad = next(n for n, i in enumerate(records) if isinstance(i.outcome, RawSubmission) and n > 40)
    data = bytearray(whole.read_bytes())
    middle = (offsets[bad] + offsets[bad + 1]) // 2
    data[middle : middle + 100] = bytes(b ^ 0x55 for b in data[middle : middle + 100])
    corrupt = tmp_path / "corrupt.warc.gz"
    corrupt.write_bytes(bytes(data))

    items = read_all(corrupt)
    [damage] = problems(items)
    assert isinstance(damage, Damage)
    assert damage.offset == offsets[bad]
    assert damage.resumed_at == offsets[bad + 1]
    assert "resumed at offset" in damage.describe()
    lost = records[bad].outcome
    assert isinstance(lost, RawSubmission)
    assert [s.url for s in submissions(items)] == [p.url for p in pages if p.url != lost.url]


def test_corrupt_bytes_in_a_plain_archive_fail_the_records_digest(tmp_path: Path) -> None:
    whole = tmp_path / "whole.warc"
    write_archive(whole, gzipped=False)
    records = [i for i in read_all(whole) if isinstance(i, ReadRecord)]
    bad = 50
    data = bytearray(whole.read_bytes())
    middle = (records[bad].offset + records[bad + 1].offset) // 2
    data[middle : middle + 10] = b"XXXXXXXXXX"
    corrupt = tmp_path / "corrupt.warc"
    corrupt.write_bytes(bytes(data))

    items = read_all(corrupt)
    [damage] = problems(items)
    assert isinstance(damage, Corrupt)
    assert damage.offset == records[bad].offset
    assert "block digest failed" in damage.message
    assert len([i for i in items if isinstance(i, ReadRecord)]) == len(records) - 1


def test_garbage_is_said_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "garbage.warc"
    path.write_bytes(b"this is not a web archive\r\n" * 100)
    [damage] = read_all(path)
    assert isinstance(damage, Damage) and damage.offset == 0 and damage.resumed_at is None


def test_an_empty_file_has_no_records(tmp_path: Path) -> None:
    path = tmp_path / "empty.warc"
    path.write_bytes(b"")
    assert read_all(path) == []


def test_pages_fixture_is_what_the_corpus_says() -> None:
    assert all(page_html(p).lstrip().lower().startswith(b"<!doctype html") for p in PAGES)


def test_a_file_gzipped_whole_is_refused_with_the_fix(tmp_path: Path) -> None:
    plain = tmp_path / "plain.warc"
    write_archive(plain, pages=5, gzipped=False)
    whole = tmp_path / "whole.warc.gz"
    whole.write_bytes(gzip.compress(plain.read_bytes()))
    items = read_all(whole)
    [damage] = problems(items)
    assert isinstance(damage, Damage) and damage.resumed_at is None
    assert "warcio recompress" in damage.message
    assert submissions(items) == []


@pytest.mark.parametrize("gzipped", [True, False], ids=["warc.gz", "warc"])
def test_random_damage_never_raises_and_loses_no_intact_page(tmp_path: Path, gzipped: bool) -> None:
    import random

    whole = tmp_path / "whole"
    pages = write_archive(whole, pages=20, gzipped=gzipped)
    data = whole.read_bytes()
    records = [i for i in read_all(whole) if isinstance(i, ReadRecord)]
    ends = [r.offset for r in records[1:]] + [len(data)]
    rng = random.Random(15)
    for attempt in range(25):
        damaged = bytearray(data)
        start = rng.randrange(len(damaged))
        if attempt % 3 == 0:
            damaged = damaged[:start]
        else:
            for i in range(start, min(len(damaged), start + rng.randrange(1, 300))):
                damaged[i] = rng.randrange(256)
        path = tmp_path / f"damaged-{attempt}"
        path.write_bytes(bytes(damaged))
        items = read_all(path)  # never raises
        published = [s.url for s in submissions(items)]
        assert set(published) <= {p.url for p in pages}
        assert len(published) == len(set(published))
        intact = [
            r.outcome.url
            for r, end in zip(records, ends, strict=True)
            if end <= start and isinstance(r.outcome, RawSubmission)
        ]
        assert published[: len(intact)] == intact, attempt


def test_a_header_line_longer_than_any_real_one_is_damage_and_reading_goes_on(
    tmp_path: Path,
) -> None:
    """warcio holds a header line whole however long (gigabytes from a few MB of gzip):
    past a megabyte it is damage, and the next record is read."""
    before, after = tmp_path / "before.warc.gz", tmp_path / "after.warc.gz"
    first = write_archive(before, pages=1)
    last = write_archive(after, pages=1)
    hostile = gzip.compress(b"WARC/1.0\r\nX-Long: " + b"a" * 3_000_000 + b"\r\n\r\n")
    path = tmp_path / "long-line.warc.gz"
    path.write_bytes(before.read_bytes() + hostile + after.read_bytes())

    items = read_all(path)
    [damage] = problems(items)
    assert isinstance(damage, Damage)
    assert damage.offset == len(before.read_bytes())
    assert "line of over" in damage.message
    assert damage.resumed_at == len(before.read_bytes()) + len(hostile)
    assert [s.url for s in submissions(items)] == [first[0].url, last[0].url]


def test_a_chunk_declared_over_the_cap_is_never_held_in_memory(tmp_path: Path) -> None:
    """One chunk of 64 MB (64 KB of gzip in the archive) with a 1 MB cap: too large, and
    decided from the chunk's declared size, not after reading it whole."""
    size = 64 << 20
    http = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"%x\r\n" % size
    )
    tail = b"\r\n0\r\n\r\n"
    head = (
        b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://example.com/big\r\n"
        b"WARC-Date: 2026-01-01T00:00:00Z\r\n"
        b"WARC-Record-ID: <urn:uuid:12345678-1234-1234-1234-123456789012>\r\n"
        b"Content-Type: application/http; msgtype=response\r\n"
        b"Content-Length: %d\r\n\r\n" % (len(http) + size + len(tail))
    )
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)
    member = [packer.compress(head + http)]
    zeros = bytes(1 << 20)
    member += [packer.compress(zeros) for _ in range(64)]
    member += [packer.compress(tail + b"\r\n\r\n"), packer.flush()]
    path = tmp_path / "big-chunk.warc.gz"
    path.write_bytes(b"".join(member))

    tracemalloc.start()
    try:
        items = read_all(path, max_bytes=1_000_000)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert skipped(items) == Counter({"too_large": 1})
    assert peak < 16 << 20, f"held {peak >> 20} MB"
