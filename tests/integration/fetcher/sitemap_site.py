"""A news site with robots.txt -> a sitemap index -> three sitemaps (one Google News, one
gzipped) listing 60 articles over 12 days, plus an RSS feed of the latest ten, served by
`LocalServer`. Entries can be added to the news sitemap mid-test."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from tests.integration.fetcher.local_server import LocalServer, Reply, page

ARTICLES = 60
SPAN = timedelta(days=12)
NEWS_SITEMAP = "/sitemaps/news.xml"
GZIP_SITEMAP = "/sitemaps/archive-1.xml.gz"
PLAIN_SITEMAP = "/sitemaps/archive-2.xml"
SITEMAP_INDEX = "/sitemap_index.xml"


@dataclass(frozen=True)
class SiteArticle:
    n: int
    path: str
    published_at: datetime
    title: str


def undated_article_html(title: str) -> str:
    """An article page that says nothing of its date: the sitemap's date is all there is."""
    body = "".join(
        f"<p>{title}: paragraph {i} about the harbour authority's plan for the old docks, "
        "long enough for the extractor to keep it as the text of the article.</p>"
        for i in range(6)
    )
    return f"<!doctype html><html><head><title>{title}</title></head><body><article>" \
        f"<h1>{title}</h1>{body}</article></body></html>"  # fmt: skip


class SitemapSite:
    def __init__(self, server: LocalServer, now: datetime | None = None) -> None:
        self.server = server
        # On the hour, so dates are the same however long the test takes.
        self.now = (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
        step = SPAN / ARTICLES
        self.articles: list[SiteArticle] = []
        # Newest first: 1-20 in the news sitemap, 21-40 gzipped, 41-60 plain.
        for n in range(1, ARTICLES + 1):
            self._add(n, self.now - step * (n - 1) - timedelta(minutes=30))
        server.routes["/"] = page(
            '<html><head><title>Harbour News</title><link rel="alternate" '
            'type="application/rss+xml" title="Harbour News" href="/feed.xml"></head>'
            "<body><h1>Harbour News</h1></body></html>"
        )
        server.routes["/robots.txt"] = lambda _r: Reply(
            body=f"User-agent: *\nAllow: /\nSitemap: {server.url(SITEMAP_INDEX)}\n".encode(),
            headers={"Content-Type": "text/plain"},
        )
        server.routes[SITEMAP_INDEX] = lambda _r: self._xml(self._index())
        server.routes[NEWS_SITEMAP] = lambda _r: self._xml(self._news())
        server.routes[GZIP_SITEMAP] = lambda _r: Reply(
            body=gzip.compress(self._urlset(self.articles[-40:-20]).encode()),
            headers={"Content-Type": "application/x-gzip"},
        )
        server.routes[PLAIN_SITEMAP] = lambda _r: self._xml(self._urlset(self.articles[-20:]))
        server.routes["/feed.xml"] = lambda _r: Reply(
            body=self._feed().encode(), headers={"Content-Type": "application/rss+xml"}
        )

    @property
    def home(self) -> str:
        return self.server.url("/")

    def url_of(self, article: SiteArticle) -> str:
        return self.server.url(article.path)

    def urls(self) -> list[str]:
        return [self.url_of(a) for a in self.articles]

    def add_news_entry(self) -> SiteArticle:
        """A new article at the top of the news sitemap."""
        return self._add(len(self.articles) + 1, self.now, first=True)

    def _add(self, n: int, published_at: datetime, first: bool = False) -> SiteArticle:
        article = SiteArticle(n, f"/articles/{n}", published_at, f"Harbour story {n}")
        self.server.routes[article.path] = page(undated_article_html(article.title))
        if first:
            self.articles.insert(0, article)
        else:
            self.articles.append(article)
        return article

    def _news_articles(self) -> list[SiteArticle]:
        return self.articles[: len(self.articles) - 40]

    @staticmethod
    def _xml(text: str) -> Reply:
        return Reply(body=text.encode(), headers={"Content-Type": "application/xml"})

    def _index(self) -> str:
        children = [
            (NEWS_SITEMAP, self._news_articles()),
            (GZIP_SITEMAP, self.articles[-40:-20]),
            (PLAIN_SITEMAP, self.articles[-20:]),
        ]
        listed = "".join(
            f"<sitemap><loc>{self.server.url(path)}</loc>"
            f"<lastmod>{max(a.published_at for a in arts).isoformat()}</lastmod></sitemap>"
            for path, arts in children
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{listed}'
            "</sitemapindex>"
        )

    def _news(self) -> str:
        entries = "".join(
            f"<url><loc>{self.url_of(a)}</loc><news:news><news:publication>"
            "<news:name>Harbour News</news:name><news:language>en</news:language>"
            f"</news:publication><news:publication_date>{a.published_at.isoformat()}"
            f"</news:publication_date><news:title>{a.title}</news:title></news:news>"
            f"<image:image><image:loc>{self.server.url('/img.jpg')}</image:loc>"
            "<image:title>not the title</image:title></image:image></url>"
            for a in self._news_articles()
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9" '
            'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">'
            f"{entries}</urlset>"
        )

    def _urlset(self, articles: list[SiteArticle]) -> str:
        entries = "".join(
            f"<url><loc>{self.url_of(a)}</loc><lastmod>{a.published_at.isoformat()}</lastmod></url>"
            for a in articles
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
        )

    def _feed(self) -> str:
        items = "".join(
            f"<item><title>{a.title}</title><link>{self.url_of(a)}</link>"
            f"<pubDate>{format_datetime(a.published_at)}</pubDate></item>"
            for a in self.articles[:10]
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Harbour News</title><link>{self.server.origin}/</link>"
            f"<description>test</description>{items}</channel></rss>"
        )
