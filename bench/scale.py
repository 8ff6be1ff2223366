"""`newsflow up` with its defaults beside the single-process rate of the same stage
functions, on real English news pages with NER; and its latency at a steady rate.

    REDIS_URL=redis://localhost:6379/0 python bench/scale.py throughput [-n 300]
    REDIS_URL=redis://localhost:6379/0 python bench/scale.py latency [--rate 10] [-n 300]
    REDIS_URL=redis://localhost:6379/0 python bench/scale.py soak [-n 10000] [--rate 20]

throughput, in one run: (a) the stage functions one after the other in this process
(intake, parse, enrich with NER, upsert into SQLite: `bench/pipeline_throughput.py`'s
`bare`), (b) `newsflow up --no-api` with its default replicas (from the cores and each stage's
cost), N articles published at once, the clock stopped when the last is stored; it prints
(a), (b), cores x (a) and (b) / (cores x (a)), then the RSS of each replica (its work
process, where the enricher's model lives, included) after the N articles.

latency: `newsflow up` defaults again, N articles published at `--rate` per second; p50,
p95 and p99 of each article's `stored_at - received_at` (its events' own timestamps).

soak: `newsflow up` defaults again, N articles published at `--rate` per second (below
what the machine finishes, so the streams stay short); every `--every` articles stored it
prints the rate since the last mark and the RSS of each replica: flat RSS and a flat rate
over the run are what "bounded" means here.

All print the load average before and after: figures taken while other work shares the
cores are not the quiet machine's. The store is SQLite in a temp dir (what `newsflow up` uses
by default); the streams are under a prefix of their own, deleted after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pipeline_throughput import (
    _count,
    _ts,
    bare,
    forget_prefix,
    load_pages,
    percentile,
    submissions,
)
from newsflow_cli.replicas import replicas_to_run
from shared.events import RawSubmission
from shared.settings import Settings
from shared.streams import STAGES, StreamNames, encode_json

CONSUMER_PREFIX = "bench"


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (5 min {five:.1f})"


class NewsflowUp:
    """`newsflow up --no-api` with its defaults, on the bench's own prefix and SQLite file."""

    def __init__(self, workdir: Path, scale: list[str]) -> None:
        self.prefix = f"bench-{uuid.uuid4().hex[:8]}"
        self.settings = Settings.model_validate(
            {
                "DATABASE_URL": None,
                "stream_prefix": self.prefix,
                "sqlite_path": workdir / "up.db",
                "table_name": "bench",
            }
        )
        self.names = StreamNames(self.prefix)
        self.log = workdir / "up.log"
        self.scale = scale
        self.env = {
            **os.environ,
            "DATABASE_URL": "",
            "NEWSFLOW_STREAM_PREFIX": self.prefix,
            "NEWSFLOW_SQLITE_PATH": str(self.settings.sqlite_path),
            "NEWSFLOW_TABLE_NAME": "bench",
            "NEWSFLOW_EMBEDDED_REDIS": "never",
            "NEWSFLOW_CONSUMER_PREFIX": CONSUMER_PREFIX,
            "NEWSFLOW_HTTP_PORT": "0",  # no fixed ports: other work may run beside
            "NEWSFLOW_LOG_LEVEL": "INFO",
        }
        self.client = redis.Redis.from_url(self.settings.redis_url.get_secret_value())
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> NewsflowUp:
        scale = [arg for value in self.scale for arg in ("--scale", value)]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "newsflow_cli", "up", "--no-api", *scale],
                env=self.env,
                stdout=out,
                stderr=out,
            )
        processes = sum(replicas_to_run(list(STAGES), {}).values()) if not self.scale else None
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            started = self.log.read_text(errors="replace").count("app started successfully")
            if processes is not None and started >= processes:
                break
            if processes is None and started >= len(STAGES):
                time.sleep(5)  # replicas of a --scale: give them a moment more
                break
            if self.proc.poll() is not None:
                raise RuntimeError(f"newsflow up exited: {self.log.read_text()[-3000:]}")
            time.sleep(0.5)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        forget_prefix(self.client, self.prefix)
        self.client.close()

    def publish(self, subs: list[RawSubmission], rate: float | None) -> float:
        """Publishes, then waits until all are stored; returns the seconds from the first
        publish to the last stored."""
        start = time.perf_counter()
        if rate is None:
            pipe = self.client.pipeline(transaction=False)
            for sub in subs:
                pipe.xadd(self.names.raw, encode_json(sub.to_json()))
            pipe.execute()
        else:
            for n, sub in enumerate(subs):
                time.sleep(max(start + n / rate - time.perf_counter(), 0))
                self.client.xadd(self.names.raw, encode_json(sub.to_json()))
        stored = 0
        while stored < len(subs):
            time.sleep(0.2)
            stored = asyncio.run(_count(self.settings))
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError("newsflow up exited")
        return time.perf_counter() - start

    def replica_rss_mb(self) -> dict[str, float]:
        """Consumer name -> resident MB of the stage process and its children."""
        assert self.proc is not None
        out: dict[str, float] = {}
        for pid in _children(self.proc.pid):
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            name = next(
                (
                    v.split(b"=", 1)[1].decode()
                    for v in environ
                    if v.startswith(b"NEWSFLOW_CONSUMER_NAME=")
                ),
                str(pid),
            )
            out[name.removeprefix(f"{CONSUMER_PREFIX}-")] = (
                sum(_rss_kb(p) for p in {pid, *_descendants(pid)}) / 1024
            )
        return dict(sorted(out.items()))


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def _descendants(pid: int) -> set[int]:
    children = _children(pid)
    return children.union(*(_descendants(c) for c in children)) if children else set()


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def throughput(n: int, scale: list[str]) -> None:
    pages = load_pages()
    cores = os.cpu_count() or 1
    print(f"machine: {platform.machine()}, {cores} cores, Python {platform.python_version()}")
    print(f"before: {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        asyncio.run(bare(submissions(pages, len(pages), "warm"), workdir / "warm.db"))
        single = asyncio.run(bare(submissions(pages, n, "bare"), workdir / "bare.db"))
        print(f"after (a): {load()}")
        with NewsflowUp(workdir, scale) as up:
            # Warm, as (a) was: each replica's first articles pay for lazy imports and caches.
            up.publish(submissions(pages, 4 * len(pages), f"warm-{uuid.uuid4().hex[:6]}"), None)
            elapsed = up.publish(submissions(pages, n, uuid.uuid4().hex[:6]), rate=None)
            rss = up.replica_rss_mb()
        print(f"after (b): {load()}")
    replicas = scale or [f"{k}={v}" for k, v in replicas_to_run(list(STAGES), {}).items()]
    rate = n / elapsed
    print(f"input: {n} articles, copies of {len(pages)} real English news pages, at once")
    rows = [
        ("(a) stage functions, one process", single),
        (f"(b) newsflow up ({', '.join(replicas)})", rate),
        (f"{cores} x (a)", cores * single),
    ]
    for label, value in rows:
        print(f"{label:60s} {value:7.1f} articles/s")
    print(f"{f'(b) / ({cores} x (a))':60s} {rate / (cores * single):7.2f}  (target >= 0.85)")
    print(f"RSS per replica after {n} articles (MB, work process included):")
    for name, mb in rss.items():
        print(f"    {name:14s} {mb:7.0f}")


def latency(n: int, rate: float, scale: list[str]) -> None:
    pages = load_pages()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; before: {load()}")
    with tempfile.TemporaryDirectory() as tmp, NewsflowUp(Path(tmp), scale) as up:
        # Warm: the first article of each replica pays for lazy imports and caches.
        up.publish(submissions(pages, 12, f"warm-{uuid.uuid4().hex[:6]}"), rate=rate)
        run = uuid.uuid4().hex[:6]
        up.publish(submissions(pages, n, run), rate=rate)
        measured = latencies_of(up.settings, run)
    print(f"after: {load()}")
    print(f"input: {n} articles at {rate:g}/s, newsflow up defaults")
    print(
        "latency publish -> stored: "
        f"p50 {percentile(measured, 0.50) * 1000:.0f} ms  "
        f"p95 {percentile(measured, 0.95) * 1000:.0f} ms  "
        f"p99 {percentile(measured, 0.99) * 1000:.0f} ms  (targets p50 <= 150, p99 <= 500)"
    )


def soak(n: int, rate: float, every: int, scale: list[str]) -> None:
    pages = load_pages()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; before: {load()}")
    marks: list[tuple[int, float, float, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp, NewsflowUp(Path(tmp), scale) as up:
        up.publish(submissions(pages, 4 * len(pages), f"warm-{uuid.uuid4().hex[:6]}"), None)
        already = asyncio.run(_count(up.settings))
        subs = submissions(pages, n, uuid.uuid4().hex[:6])
        start = last_at = time.perf_counter()
        published = last_stored = 0
        while last_stored < n:
            due = min(n, int((time.perf_counter() - start) * rate) + 1)
            if published < due:
                pipe = up.client.pipeline(transaction=False)
                for sub in subs[published:due]:
                    pipe.xadd(up.names.raw, encode_json(sub.to_json()))
                pipe.execute()
                published = due
            time.sleep(0.25)
            stored = asyncio.run(_count(up.settings)) - already
            if stored >= (len(marks) + 1) * every or stored >= n:
                now = time.perf_counter()
                rss = up.replica_rss_mb()
                marks.append((stored, now - start, (stored - last_stored) / (now - last_at), rss))
                last_stored, last_at = stored, now
            if up.proc is not None and up.proc.poll() is not None:
                raise RuntimeError("newsflow up exited")
    print(f"after: {load()}")
    print(f"input: {n} articles published at {rate:g}/s, newsflow up defaults")
    names = sorted(marks[0][3])
    print(f"{'stored':>7s} {'at s':>7s} {'/s':>6s}  " + " ".join(f"{x:>11s}" for x in names))
    for stored, at, per_s, rss in marks:
        cells = " ".join(f"{rss.get(x, 0):11.0f}" for x in names)
        print(f"{stored:7d} {at:7.0f} {per_s:6.1f}  {cells}")
    first, last = marks[min(1, len(marks) - 1)][3], marks[-1][3]
    growth = ", ".join(f"{x} {last.get(x, 0) - first.get(x, 0):+.0f}" for x in names)
    print(f"RSS (MB) from the second mark to the last: {growth}")


def latencies_of(settings: Settings, run: str) -> list[float]:
    """stored_at - received_at of the run's articles (not the warm-up's), from the store."""
    db = sqlite3.connect(settings.sqlite_path)
    out = []
    for (event_json,) in db.execute("SELECT event FROM bench"):
        event = json.loads(event_json)
        if f"bench={run}-" in (event["source"].get("url") or ""):
            stamps = event["timestamps"]
            out.append(_ts(stamps["stored_at"]) - _ts(stamps["received_at"]))
    db.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["throughput", "latency", "soak"])
    parser.add_argument("-n", type=int, default=300, help="articles")
    parser.add_argument("--rate", type=float, help="latency (10), soak (20): articles/s")
    parser.add_argument("--every", type=int, default=1000, help="soak: articles between marks")
    parser.add_argument(
        "--scale", action="append", default=[], metavar="STAGE=N",
        help="as `newsflow up --scale` (default: its defaults)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.what == "throughput":
        throughput(args.n, args.scale)
    elif args.what == "latency":
        latency(args.n, args.rate or 10.0, args.scale)
    else:
        soak(args.n, args.rate or 20.0, args.every, args.scale)


if __name__ == "__main__":
    main()
