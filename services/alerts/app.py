"""Alerts stage: enriched -> each alert's stream and the webhook delivery queue.
The work is in matching.py (which alerts an article matches) and records.py (each match
recorded once)."""

from __future__ import annotations

from services.alerts.stage import open_alerts
from shared.pipeline import stage_named
from shared.settings import get_settings
from shared.stage_app import build_stage_app

app = build_stage_app(stage_named("alerts"), get_settings(), open_alerts)
