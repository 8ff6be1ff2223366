"""Body-text quality of extractor settings, on the corpus pages that state their own body.

    .venv/bin/python bench/parser_text.py [CORPUS]

There is no hand-made gold text for the corpus, but some pages publish their article body
in JSON-LD (`articleBody`). trafilatura never reads it, so it is an independent reference,
and no rule of the parser was tuned on it. Scores are bag-of-words precision, recall and F1
of each variant's text against that body, averaged over the pages.
"""

from __future__ import annotations

import html
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import trafilatura
from trafilatura.utils import load_html

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from parser_corpus import Page, corpus_argument, load_pages

from services.parser.decode import decode_document
from services.parser.html import ExtractorSettings, extract_html
from shared.errors import Rejected

MIN_BODY_CHARS = 300
Variant = Callable[[Page, str], str]


def article_bodies(data: Any) -> Iterator[str]:
    if isinstance(data, dict):
        body = data.get("articleBody")
        if isinstance(body, str) and len(body) >= MIN_BODY_CHARS:
            yield body
        for value in data.values():
            yield from article_bodies(value)
    elif isinstance(data, list):
        for item in data:
            yield from article_bodies(item)


def reference_body(text: str) -> str | None:
    tree = load_html(text)
    if tree is None:
        return None
    bodies: list[str] = []
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        try:
            bodies.extend(article_bodies(json.loads(script.text or "")))
        except ValueError:
            continue
    return re.sub(r"<[^>]+>", " ", html.unescape(max(bodies, key=len))) if bodies else None


def words(text: str) -> Counter[str]:
    return Counter(re.findall(r"\w+", text.lower()))


def parser_text(settings: ExtractorSettings) -> Variant:
    def run(page: Page, text: str) -> str:
        try:
            return extract_html(text, page.url, settings).text
        except Rejected:
            return ""

    return run


VARIANTS: dict[str, Variant] = {
    "trafilatura defaults": lambda p, t: trafilatura.extract(t, url=p.url) or "",
    "trafilatura fast (no fallback)": lambda p, t: (
        trafilatura.extract(t, url=p.url, fast=True) or ""
    ),
    "trafilatura favor_precision": lambda p, t: (
        trafilatura.extract(t, url=p.url, favor_precision=True) or ""
    ),
    "trafilatura favor_recall": lambda p, t: (
        trafilatura.extract(t, url=p.url, favor_recall=True) or ""
    ),
    "parser, favor_precision, no tables": parser_text(
        ExtractorSettings(favor_precision=True, include_tables=False)
    ),
    "parser, no fallback": parser_text(ExtractorSettings(fallback_below_chars=0)),
    "parser, fallback always": parser_text(ExtractorSettings(fallback_below_chars=10**9)),
    "parser, fallback below 1000 chars": parser_text(ExtractorSettings(fallback_below_chars=1000)),
    "parser, favor_recall": parser_text(ExtractorSettings(favor_recall=True)),
    "parser, defaults (kept)": parser_text(ExtractorSettings()),
}


def main() -> None:
    args = corpus_argument(__doc__ or "").parse_args()
    references = []
    for page in load_pages(args.corpus):
        text, _ = decode_document(page.data)
        body = reference_body(text)
        if body:
            references.append((page, text, words(body)))
    print(f"{len(references)} pages state their body in JSON-LD")
    for name, variant in VARIANTS.items():
        started = time.perf_counter()
        precision = recall = 0.0
        for page, text, reference in references:
            got = words(variant(page, text))
            shared = sum((got & reference).values())
            precision += shared / max(1, sum(got.values()))
            recall += shared / max(1, sum(reference.values()))
        precision, recall = precision / len(references), recall / len(references)
        f1 = 2 * precision * recall / max(1e-9, precision + recall)
        print(
            f"{name:38s} P={precision:.3f} R={recall:.3f} F1={f1:.3f}"
            f"  [{time.perf_counter() - started:.1f}s]"
        )


if __name__ == "__main__":
    main()
