"""What the per-entry time budget costs: the parser's and the enricher's stage work run
directly (as before) and through the budget's child process (shared/isolated_work.py).

    python bench/work_budget.py [CORPUS] [--rounds N] [--pages N]
        [--stage parser|enricher|both]

Both paths do the whole handler's work on the entry's JSON: decode the event, parse (or
enrich), and serialise the output (the runner's `to_json`). Through the budget, the
entry's bytes go to the child and the output's bytes come back, and the stage decodes
them into an event and serialises it again (what the runner forwards). Each entry goes
both ways in turn, in alternating order, so background load hits both alike; both are
reported in entries per second of wall time (a stage process works on one entry at a
time, so wall time is its throughput).

Measured on 2 busy cores (load 2-5), the 200 corpus pages x 2 rounds: parser 22.8/s
direct, 22.5/s through the budget (ratio 0.987); enricher 24.1/s and 25.6/s (1.064).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from parser_corpus import corpus_argument, load_pages

from services.enricher.stage_work import enrich_work
from services.enricher.stage_work import make_worker as enricher_worker
from services.parser.stage_work import make_worker as parser_worker
from services.parser.stage_work import parse_work
from shared.errors import Rejected
from shared.events import ArticleEvent, Raw, Source
from shared.isolated_work import IsolatedWorker, Work
from shared.settings import get_settings


def raw_entries(pages: list[tuple[str, bytes]]) -> list[bytes]:
    return [
        ArticleEvent(
            id=f"bench-{i}",
            trace_id="bench",
            source=Source(url=url),
            raw=Raw(content_type="text/html", content_b64=base64.b64encode(data).decode()),
        ).to_json()
        for i, (url, data) in enumerate(pages)
    ]


async def compare(name: str, entries: list[bytes], direct: Work, worker: IsolatedWorker,
                  rounds: int) -> None:  # fmt: skip
    async def through_budget(entry: bytes) -> None:
        ArticleEvent.from_json(await worker.run(entry)).to_json()

    async def directly(entry: bytes) -> None:
        direct(entry)  # decode, work, to_json: the old handler and the runner

    await worker.start()
    for entry in entries:  # warm-up: caches, models, first calls
        with contextlib.suppress(Rejected):
            await directly(entry), await through_budget(entry)
    spent = {directly: 0.0, through_budget: 0.0}
    for round_ in range(rounds):
        for i, entry in enumerate(entries):
            # Entry by entry, in alternating order, so a burst of load hits both alike.
            order = (directly, through_budget) if (i + round_) % 2 else (through_budget, directly)
            for path in order:
                started = time.perf_counter()
                with contextlib.suppress(Rejected):
                    await path(entry)
                spent[path] += time.perf_counter() - started
    await worker.stop()
    n = len(entries) * rounds
    rate_direct, rate_budget = n / spent[directly], n / spent[through_budget]
    print(
        f"{name}: {len(entries)} entries x {rounds} rounds: direct {rate_direct:7.1f}/s, "
        f"through the budget {rate_budget:7.1f}/s, ratio {rate_budget / rate_direct:.3f}"
    )


async def main() -> None:
    parser = corpus_argument(__doc__ or "")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pages", type=int, default=0, help="first N pages only (0: all)")
    parser.add_argument("--stage", choices=("parser", "enricher", "both"), default="both")
    args = parser.parse_args()
    settings = get_settings()
    pages = [(page.url, page.data) for page in load_pages(args.corpus)]
    pages = pages[: args.pages or len(pages)]
    entries = raw_entries(pages)
    print(f"corpus: {args.corpus} ({len(entries)} pages); load {os.getloadavg()}")
    parse = parse_work(max_bytes=settings.max_content_bytes, keep_raw=False)
    if args.stage in ("parser", "both"):
        await compare("parser", entries, parse, parser_worker(settings), args.rounds)
    if args.stage in ("enricher", "both"):
        parsed = []
        for entry in entries:
            with contextlib.suppress(Rejected):
                parsed.append(parse(entry))
        enrich = enrich_work(ner_model=settings.ner_model)
        await compare("enricher", parsed, enrich, enricher_worker(settings), args.rounds)
    print(f"load at the end {os.getloadavg()}")


if __name__ == "__main__":
    asyncio.run(main())
