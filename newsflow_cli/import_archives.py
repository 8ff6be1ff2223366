"""`newsflow import`: publish the web pages of WARC files (`.warc`, `.warc.gz`).

Each 200 HTML response record goes onto the raw stream as the bytes the crawler received,
with its original URL, the charset its response declared and its capture time as a hint
(`warc_submission.py`); every other record is counted by kind and skipped. Damage in an
archive is reported with its offset and reading goes on where it can (`warc_records.py`).
Publishing twice is harmless: an article's id comes from its URL, and the store keeps one
row per id.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.text import Text
from warcio.recordloader import ArcWarcRecord

from newsflow_cli.console import err, print_failure, write_json_line
from newsflow_cli.running import check_redis_url, load_settings, run_async
from newsflow_cli.warc_records import Corrupt, Damage, read_archive
from newsflow_cli.warc_submission import BadRecord, Skipped, submission_of
from shared.client import NewsflowClient
from shared.events import RawSubmission
from shared.streams import StreamNames

# Submissions sent to Redis in one round trip (and one backpressure check).
BATCH = 50


@dataclass(frozen=True)
class ArchiveProblem:
    """A record that could not be published (`resumed_at` only for damage: where reading
    of the file went on, None when it stopped)."""

    file: str
    offset: int
    message: str
    stopped: bool = False
    resumed_at: int | None = None


@dataclass
class ImportSummary:
    published: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    problems: list[ArchiveProblem] = field(default_factory=list)
    files: int = 0

    def as_json(self) -> dict[str, object]:
        return {
            "files": self.files,
            "published": self.published,
            "skipped": dict(sorted(self.skipped.items())),
            "errors": [problem.__dict__ for problem in self.problems],
        }

    def describe(self) -> str:
        skipped = ", ".join(f"{kind} {n}" for kind, n in sorted(self.skipped.items()))
        return (
            f"published {self.published} from {self.files} archive(s); "
            f"skipped {sum(self.skipped.values())}{f' ({skipped})' if skipped else ''}; "
            f"errors {len(self.problems)}"
        )


Outcome = RawSubmission | Skipped | BadRecord


def record_outcome(max_bytes: int, source: str | None) -> Callable[[ArcWarcRecord], Outcome]:
    def decide(record: ArcWarcRecord) -> Outcome:
        try:
            return submission_of(record, max_bytes=max_bytes, source=source)
        except BadRecord as bad:
            return bad

    return decide


async def import_archive(
    path: Path,
    client: NewsflowClient,
    summary: ImportSummary,
    *,
    max_bytes: int,
    source: str | None = None,
    on_position: Callable[[int], None] | None = None,
    say: Callable[[str], None] = print_failure,
) -> None:
    """Publish one archive's pages, adding what happened to `summary`; each problem is
    also said at once, through `say`."""
    name = str(path)
    batch: list[RawSubmission] = []

    async def flush() -> None:
        if batch:
            await client.publish_many(batch)
            summary.published += len(batch)
            batch.clear()

    summary.files += 1
    try:
        for item in read_archive(path, record_outcome(max_bytes, source)):
            if isinstance(item, Damage):
                summary.problems.append(
                    ArchiveProblem(
                        name,
                        item.offset,
                        item.describe(),
                        stopped=item.resumed_at is None,
                        resumed_at=item.resumed_at,
                    )
                )
                say(f"{name}: {item.describe()}")
                continue
            if isinstance(item, Corrupt):
                message = f"record at offset {item.offset} not published: {item.message}"
                summary.problems.append(ArchiveProblem(name, item.offset, message))
                say(f"{name}: {message}")
                continue
            if on_position is not None:
                on_position(item.offset)
            outcome = item.outcome
            if isinstance(outcome, Skipped):
                summary.skipped[outcome.kind] += 1
            elif isinstance(outcome, BadRecord):
                message = f"record at offset {item.offset} not published: {outcome}"
                summary.problems.append(ArchiveProblem(name, item.offset, message))
                say(f"{name}: {message}")
            else:
                batch.append(outcome)
                if len(batch) >= BATCH:
                    await flush()
    except OSError as exc:  # the file itself: missing, unreadable, a folder
        message = f"cannot read it: {exc.strerror or exc}"
        summary.problems.append(ArchiveProblem(name, 0, message, stopped=True))
        say(f"{name}: {message}")
    await flush()


def import_archives(paths: list[str], *, source: str | None, as_json: bool) -> int:
    """Publish every archive's pages; the exit code: 1 when any record could not be read or
    published (what could be read was still published), else 0."""
    settings = load_settings()
    check_redis_url(settings)
    files = [Path(p) for p in paths]
    total = sum(p.stat().st_size for p in files if p.is_file())

    async def work() -> ImportSummary:
        summary = ImportSummary()
        async with NewsflowClient.from_settings(settings) as client:
            with Progress(
                TextColumn("importing"),
                BarColumn(),
                DownloadColumn(),
                TimeRemainingColumn(),
                # Bound to the real stderr: the archive reader catches what warcio writes
                # to `sys.stderr` meanwhile, and the bar's refreshes must not land there.
                console=Console(file=sys.stderr),
                disable=not err.is_terminal,
            ) as progress:
                task = progress.add_task("import", total=total)
                done = 0
                for path in files:

                    def advance(offset: int, before: int = done) -> None:
                        progress.update(task, completed=before + offset)

                    await import_archive(
                        path,
                        client,
                        summary,
                        max_bytes=settings.max_content_bytes,
                        source=source,
                        on_position=advance,
                        say=lambda message: progress.console.print(
                            Text(message, style="red"), soft_wrap=True
                        ),
                    )
                    done += path.stat().st_size if path.is_file() else 0
                    progress.update(task, completed=done)
        return summary

    summary = run_async(work)
    if as_json:
        write_json_line(summary.as_json())
    raw_stream = StreamNames(settings.stream_prefix).raw
    err.print(f"{summary.describe()}, to {raw_stream}", soft_wrap=True, highlight=False)
    return 1 if summary.problems else 0
