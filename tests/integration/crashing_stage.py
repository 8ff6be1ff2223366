"""A stage in the fetcher's slot whose work kills its own process on an entry that says
so: what a worker killed in the middle of an entry (SIGKILL, out of memory) looks like.
`faststream run tests.integration.crashing_stage:app`, as the real stages are run."""

from __future__ import annotations

import os
import signal

from services.fetcher.intake import event_from_content
from shared.events import ArticleEvent
from shared.pipeline import stage_named
from shared.settings import get_settings
from shared.stage_app import build_stage_app, plain_work
from shared.streams import Fields, decode_raw_entry

KILLER = "kill the worker"


async def handle(fields: Fields) -> ArticleEvent:
    submission = decode_raw_entry(fields)
    if submission.content == KILLER:
        os.kill(os.getpid(), signal.SIGKILL)
    return event_from_content(submission, max_bytes=1 << 20)


app = build_stage_app(stage_named("fetcher"), get_settings(), plain_work(handle))
