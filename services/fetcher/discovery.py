"""Finding a site's feeds and sitemaps from its home page, through the polite client.

Feeds: the home page's `<link rel="alternate">` feed links, else its links that look like
feeds (trafilatura's `determine_feed`, Apache-2.0, given the page we fetched), else the usual
paths; each candidate is kept only if it reads as a feed with items. Sitemaps: robots.txt's
`Sitemap:` lines and `/sitemap.xml`, walked through their indexes so `sources show` can say
what each holds. Whatever fails is kept with its reason in `refused`, and the rest goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from trafilatura.feeds import FeedParameters, determine_feed

from services.fetcher.download import FEED_TYPES, PAGE_TYPES
from services.fetcher.feed_items import parse_feed_off_loop
from services.fetcher.polite_client import NotModified, PoliteClient
from services.fetcher.source_documents import read_sitemaps, refusal_text
from shared.sources import DiscoveredDocument
from shared.urls import host_key, normalize_url

USUAL_FEED_PATHS = ("/feed", "/rss", "/rss.xml", "/feed.xml", "/atom.xml", "/index.xml")
USUAL_SITEMAP_PATH = "/sitemap.xml"
# A home page with a hundred feed links (one per tag) would cost a hundred polite requests.
MAX_FEED_CANDIDATES = 10


@dataclass
class Discovery:
    feeds: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)  # roots: polled, indexes walked
    discovered: list[DiscoveredDocument] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def feed_links_in_page(html: str, page_url: str) -> list[str]:
    """Feed URLs the page links to: `<link rel="alternate">` first, else feed-like `<a>`s."""
    parts = urlsplit(page_url)
    base = f"{parts.scheme}://{parts.netloc}"
    params = FeedParameters(base, parts.hostname or "", page_url)
    links = [urljoin(page_url, link) for link in determine_feed(html, params)]
    return list(dict.fromkeys(link for link in links if link.startswith(("http://", "https://"))))


def origin_of(url: str) -> str:
    return f"{urlsplit(url).scheme}://{host_key(url)}"


async def discover(
    client: PoliteClient, site_url: str, *, sitemap_max_bytes: int, max_documents: int
) -> Discovery:
    found = Discovery()
    await _discover_feeds(client, site_url, found)
    await _discover_sitemaps(client, site_url, found, sitemap_max_bytes, max_documents)
    return found


async def _discover_feeds(client: PoliteClient, site_url: str, found: Discovery) -> None:
    candidates: list[tuple[str, str]] = []
    try:
        home = await client.get(site_url, accepted_types=PAGE_TYPES)
        if not isinstance(home, NotModified):
            text = home.body.decode(home.charset or "utf-8", "replace")
            candidates = [(url, "home page link") for url in feed_links_in_page(text, site_url)]
    except Exception as exc:
        found.refused.append(f"{site_url}: {refusal_text(exc)}")
    if not candidates:
        origin = origin_of(site_url)
        candidates = [(origin + path, "usual path") for path in USUAL_FEED_PATHS]
    for url, how in candidates[:MAX_FEED_CANDIDATES]:
        try:
            result = await client.get(url, accepted_types=FEED_TYPES)
            if isinstance(result, NotModified):
                continue
            items = (await parse_feed_off_loop(result.body, result.final_url)).items
        except Exception as exc:
            found.refused.append(f"{url}: {refusal_text(exc)}")
            continue
        if not items:
            found.refused.append(f"{url}: not_a_feed: no items with links")
            continue
        found.feeds.append(url)
        document = DiscoveredDocument(url=url, kind="feed", found_by=how, entries=len(items))
        found.discovered.append(document)


async def _discover_sitemaps(
    client: PoliteClient, site_url: str, found: Discovery, max_bytes: int, max_documents: int
) -> None:
    listed: list[str] = []
    try:
        rules = await client.robots.rules_for(site_url)
        if rules.parsed is not None:
            listed = [urljoin(site_url, url) for url in rules.parsed.sitemaps]
    except Exception as exc:
        found.refused.append(f"robots.txt: {refusal_text(exc)}")
    usual = origin_of(site_url) + USUAL_SITEMAP_PATH
    roots = list(dict.fromkeys([*listed, usual]))
    if normalize_url(usual) in {normalize_url(url) for url in listed}:
        roots = list(dict.fromkeys(listed))
    read = await read_sitemaps(client, roots, max_bytes=max_bytes, max_documents=max_documents)
    for outcome in read.outcomes:
        if outcome.error:
            found.refused.append(f"{outcome.url}: {outcome.error}")
            continue
        how = "robots.txt" if outcome.url in listed else "sitemap index"
        if outcome.url in roots and outcome.url not in listed:
            how = "usual path"
        if outcome.url in roots:
            found.sitemaps.append(outcome.url)
        found.discovered.append(
            DiscoveredDocument(
                url=outcome.url,
                kind=outcome.kind or "sitemap",
                found_by=how,
                entries=outcome.entries,
            )
        )
