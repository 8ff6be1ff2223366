"""The evaluation corpus as the parser benches read it: (url, raw bytes, true day) per page.

The corpus is the Media Cloud 2020 date set (gzip HTML + ground-truth.json mapping each URL
to `{"file": NAME.html, "date": "YYYY-MM-DD" | NaN}`); NaN marks a page with no date, where
the right answer is none.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
from dataclasses import dataclass
from pathlib import Path

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared/corpus/mediacloud-2020"


@dataclass(frozen=True)
class Page:
    url: str
    data: bytes
    day: str | None


def load_pages(corpus: Path) -> list[Page]:
    truth = json.loads((corpus / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for url, entry in truth.items():
        path = corpus / "html" / entry["file"]
        if not path.exists():
            path = path.with_name(path.name + ".gz")
        raw = path.read_bytes()
        data = gzip.decompress(raw) if path.suffix == ".gz" else raw
        day = entry["date"]
        pages.append(Page(url, data, None if isinstance(day, float) and math.isnan(day) else day))
    return pages


def corpus_argument(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "corpus",
        nargs="?",
        type=Path,
        default=DEFAULT_CORPUS,
        help=f"corpus folder (default: {DEFAULT_CORPUS})",
    )
    return parser
