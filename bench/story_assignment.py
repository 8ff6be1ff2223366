"""Story assignment: its cost with 100,000 open stories in the Redis index, the index's
size, and the ECB+ development stories through `newsflow up` with one and two enrichers.

    REDIS_URL=redis://localhost:6379/0 python bench/story_assignment.py cost --stories 100000
    REDIS_URL=redis://localhost:6379/0 python bench/story_assignment.py pipeline --seeds 0 1 2 3 4
    python bench/story_assignment.py memory --seeds 0 1 2 3 4

memory: the algorithm alone, over the in-memory index, the articles enriched once and then
assigned in the shuffled order of each seed: the fast loop for trying a change.

cost: synthesizes the open stories through the index's own commit script (their features
drawn from the development set's vocabulary by its frequencies, so that the real articles
meet full postings), then times the assignment (features, index reads, scoring, commit)
of the 462 real articles, already enriched, one after the other against it.

pipeline: the four stages as processes (as `newsflow up` runs them, a second enricher
beside the first for two replicas), the articles published as plain text in the shuffled
order of each seed (`tests.story_corpus.SEED` unless --seeds), and B-cubed of the story ids
on the enriched stream; with several seeds, their mean.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import redis
from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from newsflow_cli.supervisor import StageProcesses, stage_command
from services.enricher.bcubed import BCubed, bcubed
from services.enricher.enrich import enrich_events
from services.enricher.stories import StoryAssigner
from services.enricher.story_features import ArticleFeatures, article_features
from services.enricher.story_index import Commit, MemoryStoryIndex
from services.enricher.story_index_redis import RedisStoryIndex
from services.enricher.story_scoring import PROFILE_SIZE, QUERY_SIZE, StoryProfile
from shared.events import ArticleEvent, RawSubmission
from shared.settings import Settings
from shared.streams import StreamNames, decode_event_entry, encode_json
from tests.story_corpus import SEED, load_corpus

QUIET_S = 2 * 86_400.0
THRESHOLD = Settings().story_threshold


def _features(events: list[ArticleEvent]) -> list[ArticleFeatures]:
    out = []
    for event in events:
        features = article_features(event)
        assert features is not None
        out.append(features)
    return out


async def _synthesize(index: RedisStoryIndex, articles: list[ArticleFeatures], n: int) -> None:
    vocabulary = Counter(f for a in articles for f in a.weights)
    features, weights = zip(*vocabulary.items(), strict=True)
    rng = random.Random(1)
    now = time.time()
    batch: list[asyncio.Future[object]] = []
    for i in range(n):
        drawn = list(dict.fromkeys(rng.choices(features, weights, k=PROFILE_SIZE)))
        centroid = {f: round(rng.random(), 4) for f in drawn}
        story = StoryProfile(f"syn{i}", 1, now, now, centroid)
        query = drawn[:QUERY_SIZE]
        change = Commit(f"syn-article-{i}", story, query, query, now, QUIET_S)
        batch.append(asyncio.ensure_future(index.commit(change, None)))
        if len(batch) == 32:
            await asyncio.gather(*batch)
            batch = []
    await asyncio.gather(*batch)


# What assignment calls on Redis: its scripts, and MGET for a replay's or duplicate's story.
# (The commands a script runs are counted inside its own.)
_CALLED = ("evalsha", "eval", "mget")


async def _script_stats(client: Redis) -> tuple[int, int]:
    """Calls and microseconds Redis has spent on the commands assignment uses."""
    stats = await client.info("commandstats")
    found = [stats.get(f"cmdstat_{name}", {}) for name in _CALLED]
    return sum(s.get("calls", 0) for s in found), sum(s.get("usec", 0) for s in found)


async def cost(stories: int) -> None:
    corpus = load_corpus()
    enriched = []
    for start in range(0, len(corpus.events), 32):
        enriched += enrich_events(corpus.events[start : start + 32])
    articles = _features(enriched)
    url = Settings().redis_url.get_secret_value()
    client = Redis.from_url(url)
    prefix = f"bench-stories-{uuid.uuid4().hex[:8]}"
    index = RedisStoryIndex(client, prefix)
    memory_before = (await client.info("memory"))["used_memory"]
    started = time.perf_counter()
    await _synthesize(index, articles, stories)
    synthesized = time.perf_counter() - started
    memory_after = (await client.info("memory"))["used_memory"]
    keys = [k async for k in client.scan_iter(f"{prefix}:stories:*", count=10_000)]
    assigner = StoryAssigner(index, threshold=THRESHOLD, quiet_s=QUIET_S)
    pings = []
    for _ in range(200):
        t = time.perf_counter()
        await client.ping()
        pings.append(time.perf_counter() - t)
    times, feature_times = [], []
    server_before = await _script_stats(client)
    cpu_started = time.process_time()
    for event in enriched:
        t = time.perf_counter()
        features = article_features(event)
        feature_times.append(time.perf_counter() - t)
        assert features is not None
        t = time.perf_counter()
        await assigner.assign(features)
        times.append(time.perf_counter() - t)
    cpu = (time.process_time() - cpu_started) / len(enriched)
    server_after = await _script_stats(client)
    calls, usec = ((server_after[i] - server_before[i]) / len(enriched) for i in range(2))
    async with client.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.ttl(key)
        ttls = await pipe.execute()
    ttl_less = [k for k, ttl in zip(keys, ttls, strict=True) if ttl < 0]
    try:
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()}")
        print(
            f"synthesized {stories} open stories in {synthesized:.0f}s; index keys {len(keys)}, "
            f"{(memory_after - memory_before) / 2**20:.0f} MB; keys without expiry: "
            f"{sorted(k.decode() for k in ttl_less)}"
        )
        print(f"redis PING round trip: median {1000 * statistics.median(pings):.2f} ms")
        print(f"features per article: median {1000 * statistics.median(feature_times):.2f} ms")
        print(
            f"assignment per article ({len(times)} articles): "
            f"mean {1000 * statistics.mean(times):.2f} ms, "
            f"median {1000 * statistics.median(times):.2f} ms, "
            f"p95 {1000 * sorted(times)[int(0.95 * len(times))]:.2f} ms; this process's "
            f"CPU {1000 * cpu:.2f} ms per article (Redis's own time not included)"
        )
        print(
            f"Redis per article: {calls:.2f} calls, {usec / 1000:.2f} ms of its time "
            f"(commandstats of {', '.join(_CALLED)}: any other client's calls count too)"
        )
    finally:
        while keys := [k async for k in client.scan_iter(f"{prefix}:*", count=10_000)]:
            await client.delete(*keys)
        await client.aclose()


def pipeline(replicas: int, quiet_s: float | None, seed: int) -> BCubed:
    corpus = load_corpus(seed)
    prefix = f"bench-stories-{uuid.uuid4().hex[:8]}"
    names = StreamNames(prefix)
    gold: dict[str, str] = {}
    submissions = []
    for event in corpus.events:
        assert event.article is not None
        # An opaque URL per article: the id the fetcher makes from it names no label.
        url = f"https://ecbplus.example/{hashlib.sha256(event.id.encode()).hexdigest()[:16]}"
        submissions.append(
            RawSubmission(
                url=url,
                # As plain text: the HTML extractor finds too little text in 15 of the
                # shortest pages (`no_text`); the title is the first paragraph and the hint.
                content=f"{event.article.title}\n\n{event.article.text}",
                content_type="text/plain",
                hint_title=event.article.title,
            )
        )
        gold[url] = corpus.gold[event.id]
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "NEWSFLOW_STREAM_PREFIX": prefix,
            "NEWSFLOW_SQLITE_PATH": str(Path(tmp) / "stories.db"),
            "NEWSFLOW_TABLE_NAME": "stories_bench",
        }
        if quiet_s is not None:
            env["NEWSFLOW_STORY_QUIET_S"] = str(quiet_s)
        client = redis.Redis.from_url(Settings().redis_url.get_secret_value())
        procs = StageProcesses(env=env, log_dir=Path(tmp) / "logs")
        procs.start()
        extra = [
            subprocess.Popen(stage_command("enricher"), env=procs.env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(replicas - 1)
        ]  # fmt: skip
        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline and not all(
                client.exists(names.input_of(s)) for s in ("fetcher", "sink")
            ):
                time.sleep(0.2)
            time.sleep(5)  # the enrichers load their model
            started = time.perf_counter()
            pipe = client.pipeline(transaction=False)
            for submission in submissions:
                pipe.xadd(names.raw, encode_json(submission.to_json()))
            pipe.execute()
            while client.xlen(names.enriched) + client.xlen(names.dlq) < len(submissions):
                if procs.exited():
                    raise RuntimeError(f"a stage exited: {procs.exited()}")
                time.sleep(0.5)
            elapsed = time.perf_counter() - started
            stories: dict[str, str] = {}
            for _, fields in client.xrange(names.enriched) or []:
                assert fields is not None
                event = decode_event_entry(fields)
                assert event.enrichment is not None and event.enrichment.story is not None
                assert event.source.url is not None
                stories[event.source.url] = event.enrichment.story.id
        finally:
            for proc in extra:
                proc.terminate()
                proc.wait(30)
            procs.stop()
            keys = list(client.scan_iter(f"{prefix}:*", count=10_000))
            if keys:
                client.delete(*keys)
            client.close()
    lost = len(gold) - len(stories)
    gold = {url: gold[url] for url in stories}
    score = bcubed(stories, gold)
    quiet = f"quiet period {quiet_s:g}s" if quiet_s else "default quiet period"
    print(
        f"newsflow up, {replicas} enricher(s), {quiet}, seed {seed}: {len(stories)} articles in "
        f"{elapsed:.0f}s ({lost} dead-lettered), {len(set(stories.values()))} stories, B-cubed P "
        f"{score.precision:.3f} R {score.recall:.3f} F1 {score.f1:.3f}"
    )
    return score


def _print_mean(scores: list[BCubed]) -> None:
    f1 = [s.f1 for s in scores]
    print(
        f"mean over {len(scores)} seeds: P {statistics.mean(s.precision for s in scores):.3f} "
        f"R {statistics.mean(s.recall for s in scores):.3f} F1 {statistics.mean(f1):.3f} "
        f"({min(f1):.3f}-{max(f1):.3f})"
    )


async def _assign_in_memory(events: dict[str, ArticleEvent], order: list[str]) -> dict[str, str]:
    assigner = StoryAssigner(MemoryStoryIndex(), threshold=THRESHOLD, quiet_s=QUIET_S)
    stories = {}
    for article_id in order:
        features = article_features(events[article_id])
        assert features is not None
        stories[article_id] = (await assigner.assign(features)).id
    return stories


def memory(seeds: list[int]) -> None:
    corpus = load_corpus()
    enriched: dict[str, ArticleEvent] = {}
    for start in range(0, len(corpus.events), 32):
        enriched.update((e.id, e) for e in enrich_events(corpus.events[start : start + 32]))
    scores = []
    for seed in seeds:
        order = [event.id for event in load_corpus(seed).events]
        score = bcubed(asyncio.run(_assign_in_memory(enriched, order)), corpus.gold)
        scores.append(score)
        print(f"seed {seed}: P {score.precision:.3f} R {score.recall:.3f} F1 {score.f1:.3f}")
    _print_mean(scores)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cost_args = sub.add_parser("cost")
    cost_args.add_argument("--stories", type=int, default=100_000)
    pipeline_args = sub.add_parser("pipeline")
    pipeline_args.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    pipeline_args.add_argument(
        "--quiet-s",
        type=float,
        default=None,
        help="NEWSFLOW_STORY_QUIET_S for the run (the parser dates 89 of the articles from "
        "their text, 2005-2013, the others get their arrival: a quiet period longer than "
        "that span leaves time out of the evaluation)",
    )
    pipeline_args.add_argument("--seeds", type=int, nargs="+", default=[SEED])
    memory_args = sub.add_parser("memory")
    memory_args.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = parser.parse_args()
    if args.command == "memory":
        memory(args.seeds)
    elif args.command == "cost":
        asyncio.run(cost(args.stories))
    else:
        for replicas in args.replicas:
            scores = [pipeline(replicas, args.quiet_s, seed) for seed in args.seeds]
            if len(scores) > 1:
                _print_mean(scores)


if __name__ == "__main__":
    main()
