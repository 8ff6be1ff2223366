"""Sink stage: enriched -> the article store (PostgreSQL, or SQLite by default).
The work is in stage.py and save.py."""

from __future__ import annotations

from services.sink.stage import open_sink
from shared.pipeline import stage_named
from shared.settings import get_settings
from shared.stage_app import build_stage_app

settings = get_settings()
# Entries in hand at once: what one transaction stores at most (stage.py).
app = build_stage_app(stage_named("sink"), settings, open_sink, max_workers=settings.sink_batch)
