"""README documents what the code has: every setting, every stream, every command."""

from __future__ import annotations

import re

from newsflow_cli.main import app
from services.enricher.registry_doc import render_enrichment_table
from shared.settings_doc import render_settings_table
from tests.conftest import REPO

README = (REPO / "README.md").read_text()


def test_the_settings_table_is_the_one_the_code_renders() -> None:
    assert render_settings_table() in README, (
        "README's settings table is stale: paste `python -m shared.settings_doc` into it"
    )


def test_every_stream_is_documented() -> None:
    for suffix in ("raw", "fetched", "parsed", "enriched", "dlq"):
        assert f"`<prefix>:{suffix}`" in README


def test_every_cli_command_is_mentioned() -> None:
    names = [c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands]
    names += [g.name or "" for g in app.registered_groups]
    for name in names:
        assert re.search(rf"newsflow {name}\b", README), f"`newsflow {name}` is not in README"


def test_the_enrichment_table_is_the_registry() -> None:
    assert render_enrichment_table() in README, (
        "README's enrichment table is stale: paste `python -m services.enricher.registry_doc`"
    )
