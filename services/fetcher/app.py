"""Fetcher stage: raw -> fetched. Passes content on; downloads a `url`; polls feeds.
The work and the clients it needs are in stage.py."""

from __future__ import annotations

from services.fetcher.stage import open_fetcher
from shared.pipeline import stage_named
from shared.settings import get_settings
from shared.stage_app import build_stage_app

settings = get_settings()
# Several entries at once, so one slow host does not stop the others: each waits only at
# its own host's politeness gate.
app = build_stage_app(
    stage_named("fetcher"), settings, open_fetcher, max_workers=settings.fetch_max_in_flight
)
