"""Alert matching cost: what 1,000 alerts add to each enriched article.

    python -m bench.alert_matching [--alerts 1000] [--rounds 20] [--seed 7]

The articles are 71 real ones parsed and enriched once by the stages' own functions
(`tests/fixtures/alerts/enriched.jsonl.gz`: English news of ECB+, the seed, the bench
pages and four pages in other languages). The alerts are made from what those articles
hold (their title words, entities, countries, topics, places, sources and tones), mixed as
saved searches are: words, phrases, OR, -words, a facet or two, tone ranges; so some match
and most do not, as in use. They are compiled once, as the stage does on a reload.

Timed per article, as the stage does it: `ArticleFacts(event)` (the event read once) and
every alert's `CompiledQuery.matches`. Decoding the stream entry into an ArticleEvent is
the stage's cost whatever the number of alerts (printed apart); Redis is not timed (one
GET and, per matching article, one EVAL in the ack's transaction). Per-article figures are
CPU time of this process, so they hold on a busy machine; the load average is printed.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections import Counter

from services.alerts.matching import compile_alerts, matching_alerts
from shared.alerts.definition import AlertDefinition
from shared.events import ArticleEvent
from shared.store.article_query import QueryError, token_list
from tests.integration.alerts.support import enriched_events

TARGET_MS = 5.0


def vocabulary(events: list[ArticleEvent]) -> dict[str, list[str]]:
    words: Counter[str] = Counter()
    phrases: set[str] = set()
    found: dict[str, set[str]] = {k: set() for k in ("entities", "countries", "topics", "places")}
    sources, languages = set(), set()
    for event in events:
        article, enrichment = event.article, event.enrichment
        assert article is not None and enrichment is not None
        words.update(w for w in token_list(article.title or "") if len(w) > 3)
        for entity in enrichment.entities:
            found["entities"].add(entity.text)
            if " " in entity.text:
                phrases.add(entity.text)
        found["countries"].update(c.alpha2 for c in enrichment.countries)
        found["topics"].update(t.label for t in enrichment.topics)
        found["places"].update(p.name for p in enrichment.places)
        sources.add(event.source.name or "")
        languages.add(enrichment.language.code if enrichment.language else "en")
    # Words of the titles and some no article holds, as real alerts are mostly misses.
    misses = [f"{w}x" for w, _ in words.most_common(200)]
    return {
        "words": [w for w, _ in words.most_common(400)] + misses,
        "phrases": sorted(phrases),
        "sources": sorted(sources - {""}),
        "languages": sorted(languages),
        **{k: sorted(v) for k, v in found.items()},
    }


def random_alert(n: int, pick: random.Random, v: dict[str, list[str]]) -> AlertDefinition:
    def words(k: int) -> str:
        return " ".join(pick.sample(v["words"], k))

    kind = pick.random()
    query: dict[str, object]
    if kind < 0.30:
        query = {"q": words(pick.randint(1, 3))}
    elif kind < 0.45:
        query = {"q": f'"{pick.choice(v["phrases"])}" OR {words(1)}'}
    elif kind < 0.55:
        query = {"q": f"{words(2)} -{words(1)}"}
    elif kind < 0.65:
        query = {
            "entities": pick.sample(v["entities"], 2),
            "countries": [pick.choice(v["countries"])],
        }
    elif kind < 0.75:
        query = {"countries": pick.sample(v["countries"], 2), "tone_max": pick.uniform(-8, 0)}
    elif kind < 0.83:
        query = {"topics": [pick.choice(v["topics"])], "languages": [pick.choice(v["languages"])],
                 "q": words(1)}  # fmt: skip
    elif kind < 0.90:
        query = {"places": [pick.choice(v["places"])], "tone_min": pick.uniform(-5, 5)}
    else:
        query = {"sources": [pick.choice(v["sources"])], "q": f"{words(1)} OR {words(1)}"}
    return AlertDefinition.checked(name=f"alert-{n:04d}", query=query)


def make_alerts(count: int, seed: int, events: list[ArticleEvent]) -> list[AlertDefinition]:
    pick = random.Random(seed)
    v = vocabulary(events)
    alerts: list[AlertDefinition] = []
    while len(alerts) < count:
        try:
            alerts.append(random_alert(len(alerts), pick, v))
        except QueryError:
            continue  # a draw the read side refuses (e.g. only -words): draw again
    return alerts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20, help="passes over the articles")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    events = enriched_events()
    raw = [event.to_json() for event in events]
    definitions = make_alerts(args.alerts, args.seed, events)
    started = time.process_time()
    compiled = compile_alerts(definitions)
    compile_ms = (time.process_time() - started) * 1000

    per_article: list[float] = []
    matched = 0
    for _ in range(args.rounds):
        for event in events:
            started = time.process_time()
            found = matching_alerts(compiled, event)
            per_article.append((time.process_time() - started) * 1000)
            matched += len(found)
    started = time.process_time()
    for _ in range(args.rounds):
        for document in raw:
            ArticleEvent.from_json(document)
    decode_ms = (time.process_time() - started) * 1000 / (args.rounds * len(raw))

    per_article.sort()
    mean = statistics.fmean(per_article)
    p95 = per_article[int(len(per_article) * 0.95)]
    load = os.getloadavg()[0]
    print(f"{len(compiled)} alerts compiled in {compile_ms:.0f} ms CPU")
    print(
        f"{len(events)} articles x {args.rounds} rounds: matching per article "
        f"mean {mean:.2f} ms, p50 {per_article[len(per_article) // 2]:.2f} ms, "
        f"p95 {p95:.2f} ms, max {per_article[-1]:.2f} ms CPU "
        f"(target <= {TARGET_MS} ms: {'met' if p95 <= TARGET_MS else 'MISSED'})"
    )
    print(
        f"matches per article: {matched / len(per_article):.1f} of {len(compiled)} alerts; "
        f"decoding an entry (any number of alerts): {decode_ms:.2f} ms; load average {load:.1f}"
    )


if __name__ == "__main__":
    main()
