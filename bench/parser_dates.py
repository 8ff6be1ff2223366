"""Publication-date accuracy of the parser (exact day) over a corpus with ground truth,
beside htmldate alone (extensive mode) on the same pages.

    .venv/bin/python bench/parser_dates.py [CORPUS]

A page counts as right when the day of `published_at` equals the true day, or when the
page has no true date and the parser gives none. Rejected pages count as "no date".
"""

from __future__ import annotations

import base64
import sys
import time
from pathlib import Path

from htmldate import find_date

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from parser_corpus import Page, corpus_argument, load_pages

from services.parser.decode import decode_document
from services.parser.parse import parse_event
from shared.errors import Rejected
from shared.events import ArticleEvent, Raw, Source


def parser_day(page: Page) -> str | None:
    event = ArticleEvent(
        id="bench",
        trace_id="bench",
        source=Source(url=page.url),
        raw=Raw(content_type="text/html", content_b64=base64.b64encode(page.data).decode()),
    )
    try:
        article = parse_event(event, max_bytes=10 * 1024 * 1024).article
    except Rejected:
        return None
    return article.published_at.strftime("%Y-%m-%d") if article and article.published_at else None


def htmldate_day(page: Page) -> str | None:
    text, _ = decode_document(page.data)
    day = find_date(text, url=page.url, extensive_search=True, original_date=True)
    return day if isinstance(day, str) else None


def main() -> None:
    args = corpus_argument(__doc__ or "").parse_args()
    pages = load_pages(args.corpus)
    print(
        f"corpus: {args.corpus} ({len(pages)} pages, {sum(p.day is None for p in pages)} undated)"
    )
    misses: list[str] = []
    for name, method in (("htmldate extensive", htmldate_day), ("newsflow parser", parser_day)):
        started = time.perf_counter()
        right = dated_right = 0
        for page in pages:
            got = method(page)
            if got == page.day:
                right += 1
                dated_right += page.day is not None
            elif method is parser_day:
                misses.append(f"  want {page.day}  got {got}  {page.url[:90]}")
        dated = sum(p.day is not None for p in pages)
        print(
            f"{name:20s} exact day: {right / len(pages):.3f} ({right}/{len(pages)})"
            f"  dated pages only: {dated_right / dated:.3f} ({dated_right}/{dated})"
            f"  [{time.perf_counter() - started:.1f}s]"
        )
    print("parser misses:")
    print("\n".join(misses))


if __name__ == "__main__":
    main()
