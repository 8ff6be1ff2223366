"""Web archives for the tests, written with warcio's own writer: real news pages (from the
team's Media Cloud 2020 corpus, in tests/fixtures/warc/) captured in 2024, in the codings
crawlers store (gzip, brotli, chunked, a legacy charset), beside the records that are not
pages (warcinfo, request, metadata, revisit, a PDF, a 404)."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import brotli  # type: ignore[import-untyped]
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.conftest import FIXTURES

WARC_FIXTURES = FIXTURES / "warc"
CAPTURED_AT = "2024-05-01T12:00:00Z"


@dataclass(frozen=True)
class CorpusPage:
    file: str
    url: str
    published: date
    title_start: str


PAGES = (
    CorpusPage(
        "1493757507.html.gz",
        "http://www.asiapacificstar.com/news/263700449/australian-megablaze-brought-under-control",
        date(2020, 1, 13),
        "Australian 'megablaze'",
    ),
    CorpusPage(
        "1716561772.html.gz",
        "https://www.ukrinform.ru/rubric-kyiv/3103218-policia-napravila-delo-minera-stolicnogo-metro-v-sud.html",
        date(2020, 9, 20),
        "Полиция направила дело",
    ),
    CorpusPage(
        "1694328145.html.gz",
        "https://news.chosun.com/site/data/html_dir/2020/08/27/2020082704301.html",
        date(2020, 8, 27),
        "[부산 Live]",
    ),
    CorpusPage(
        "1754856212.html.gz",
        "http://www.detaykibris.com/yikilan-binalarkurtarma-calismalari-izmirden-goruntuler-2196g.htm",
        date(2020, 10, 30),
        "Yıkılan binalar",
    ),
)


def page_html(page: CorpusPage) -> bytes:
    return gzip.decompress((WARC_FIXTURES / page.file).read_bytes())


@dataclass(frozen=True)
class ArchivedPage:
    url: str
    page: CorpusPage
    coding: str


# How the i-th response is stored: the codings a crawler meets, in turn.
CODINGS = ("identity", "gzip", "chunked", "br", "chunked+gzip", "cp1251")


def chunked(body: bytes, size: int = 1000) -> bytes:
    parts = [
        b"%x\r\n" % len(body[i : i + size]) + body[i : i + size] + b"\r\n"
        for i in range(0, len(body), size)
    ]
    return b"".join(parts) + b"0\r\n\r\n"


def encoded_response(html: bytes, coding: str) -> tuple[list[tuple[str, str]], bytes]:
    """HTTP headers and body bytes as a crawler stores a response in that coding."""
    headers = [("Content-Type", "text/html; charset=utf-8")]
    if coding == "gzip":
        return [*headers, ("Content-Encoding", "gzip")], gzip.compress(html)
    if coding == "br":
        return [*headers, ("Content-Encoding", "br")], brotli.compress(html)
    if coding == "chunked":
        return [*headers, ("Transfer-Encoding", "chunked")], chunked(html)
    if coding == "chunked+gzip":
        return [
            *headers,
            ("Content-Encoding", "gzip"),
            ("Transfer-Encoding", "chunked"),
        ], chunked(gzip.compress(html))
    if coding == "cp1251":
        # The charset said by the HTTP header only; the page's own <meta> still says utf-8.
        text = html.decode("utf-8").encode("cp1251", errors="xmlcharrefreplace")
        return [("Content-Type", "text/html; charset=windows-1251")], text
    return headers, html


class ArchiveWriter:
    def __init__(self, file: io.BufferedIOBase, *, gzipped: bool) -> None:
        self.writer = WARCWriter(file, gzip=gzipped)

    def response(
        self,
        url: str,
        body: bytes,
        headers: list[tuple[str, str]],
        status: str = "200 OK",
        captured_at: str = CAPTURED_AT,
    ) -> None:
        http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
        record = self.writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=http,
            warc_headers_dict={"WARC-Date": captured_at},
        )
        self.writer.write_record(record)

    def request(self, url: str) -> None:
        http = StatusAndHeaders("GET / HTTP/1.1", [("Host", "example.com")], is_http_request=True)
        record = self.writer.create_warc_record(
            url, "request", payload=io.BytesIO(b""), http_headers=http
        )
        self.writer.write_record(record)

    def metadata(self, url: str) -> None:
        record = self.writer.create_warc_record(
            url,
            "metadata",
            payload=io.BytesIO(b"outlink: https://example.com/other\r\n"),
            warc_content_type="application/warc-fields",
        )
        self.writer.write_record(record)

    def revisit(self, url: str) -> None:
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        record = self.writer.create_revisit_record(
            url,
            digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            refers_to_uri=url,
            refers_to_date=CAPTURED_AT,
            http_headers=http,
        )
        self.writer.write_record(record)

    def warcinfo(self) -> None:
        self.writer.write_record(
            self.writer.create_warcinfo_record("test.warc.gz", {"software": "tests"})
        )


def archived_pages(count: int) -> Iterator[ArchivedPage]:
    for i in range(count):
        page = PAGES[i % len(PAGES)]
        url = page.url if i < len(PAGES) else f"{page.url}?copy={i}"
        yield ArchivedPage(url, page, CODINGS[i % len(CODINGS)])


# What `write_archive` puts beside the pages, by the kind the import counts them as.
OTHER_RECORDS = {
    "warcinfo": 1,
    "request": 3,
    "metadata": 2,
    "revisit": 2,
    "not_html": 1,
    "http_404": 1,
}


def write_archive(path: Path, *, pages: int = 100, gzipped: bool = True) -> list[ArchivedPage]:
    """An archive of `pages` HTML 200 responses, with the records of `OTHER_RECORDS` mixed
    in; the pages in the order they are written."""
    written = list(archived_pages(pages))
    with path.open("wb") as file:
        archive = ArchiveWriter(file, gzipped=gzipped)
        archive.warcinfo()
        for i, item in enumerate(written):
            if i < OTHER_RECORDS["request"]:
                archive.request(item.url)
            headers, body = encoded_response(page_html(item.page), item.coding)
            archive.response(item.url, body, headers)
            if i == 10:
                archive.metadata(item.url)
                archive.revisit(item.url)
            if i == 20:
                archive.response(
                    "https://example.com/report.pdf",
                    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
                    [("Content-Type", "application/pdf")],
                )
                archive.response(
                    "https://example.com/missing.html",
                    b"<html><body><h1>Not Found</h1></body></html>",
                    [("Content-Type", "text/html")],
                    status="404 Not Found",
                )
            if i == 30:
                archive.metadata(item.url)
                archive.revisit(item.url)
    return written
