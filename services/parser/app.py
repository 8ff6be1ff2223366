"""Parser stage: fetched -> parsed. The work is in stage.py and parse.py."""

from __future__ import annotations

from services.parser.stage import open_parser
from shared.pipeline import stage_named
from shared.settings import get_settings
from shared.stage_app import build_stage_app

app = build_stage_app(stage_named("parser"), get_settings(), open_parser)
