"""Enricher stage: parsed -> enriched. The work is in stage.py, enrich.py and the
analyses of registry.py."""

from __future__ import annotations

from services.enricher.stage import open_enricher
from shared.pipeline import stage_named
from shared.settings import get_settings
from shared.stage_app import build_stage_app

app = build_stage_app(stage_named("enricher"), get_settings(), open_enricher)
