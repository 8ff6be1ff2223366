"""Parser throughput (documents per second on one core) beside bare `trafilatura.extract`
on the same pages.

    .venv/bin/python bench/parser_speed.py [CORPUS] [--rounds N]

Both run in this one process (one core). Each gets a warm-up pass first (htmldate's and
dateparser's regex caches fill on first use), then the rounds alternate between the two so
background load hits both alike; the best round of each is reported. The parser does the
whole stage's work: base64 decoding of the event, charset, limits, trafilatura with
metadata, htmldate in extensive mode, and our own metadata and post-processing.
"""

from __future__ import annotations

import base64
import contextlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from parser_corpus import corpus_argument, load_pages

from services.parser.parse import parse_event
from shared.errors import Rejected
from shared.events import ArticleEvent, Raw, Source

MAX_BYTES = 10 * 1024 * 1024


def seconds_for(run: Callable[[], None]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main() -> None:
    parser = corpus_argument(__doc__ or "")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    pages = load_pages(args.corpus)
    events = [
        ArticleEvent(
            id="bench",
            trace_id="bench",
            source=Source(url=page.url),
            raw=Raw(content_type="text/html", content_b64=base64.b64encode(page.data).decode()),
        )
        for page in pages
    ]

    def bare() -> None:
        for page in pages:
            trafilatura.extract(page.data, url=page.url)

    def ours() -> None:
        for event in events:
            with contextlib.suppress(Rejected):
                parse_event(event, max_bytes=MAX_BYTES)

    bare(), ours()  # warm-up
    bare_best = ours_best = float("inf")
    for _ in range(args.rounds):
        bare_best = min(bare_best, seconds_for(bare))
        ours_best = min(ours_best, seconds_for(ours))
    bare_rate, ours_rate = len(pages) / bare_best, len(pages) / ours_best
    load = os.getloadavg()
    print(f"corpus: {args.corpus} ({len(pages)} pages), best of {args.rounds} rounds, one core")
    print(
        f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
        f" ({os.cpu_count()} cores)"
    )
    print(f"bare trafilatura.extract: {bare_rate:7.1f} docs/s")
    print(f"newsflow parser:          {ours_rate:7.1f} docs/s")
    print(f"ratio parser / bare:      {ours_rate / bare_rate:7.2f}  (target >= 0.70)")


if __name__ == "__main__":
    main()
