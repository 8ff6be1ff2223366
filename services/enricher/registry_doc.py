"""README's table of enrichment fields, from the registry:
`python -m services.enricher.registry_doc` prints it."""

from __future__ import annotations

from collections.abc import Sequence

from services.enricher.analysis import Analysis, language_names
from services.enricher.registry import ANALYSES

# Fields every enrichment has, whichever analyses ran.
_ALWAYS = (
    ("`word_count`, `reading_time_s`", "at 230 words per minute"),
    (
        "`analyses`",
        "each analysis above, by name, in this order: whether it ran, with what, or why not "
        "(e.g. no NER model for the language)",
    ),
)


def _languages(analysis: Analysis) -> str:
    if analysis.languages is None:
        return "all"
    return language_names(analysis.languages)


def render_enrichment_table(analyses: Sequence[Analysis] = ANALYSES) -> str:
    rows = [
        "| analysis | fills | languages | needs | what |",
        "|---|---|---|---|---|",
    ]
    for analysis in analyses:
        fills = ", ".join(f"`{name}`" for name in analysis.fills)
        what = analysis.what.replace("|", "\\|")
        needs = ", ".join(sorted(analysis.needs))
        rows.append(f"| {analysis.name} | {fills} | {_languages(analysis)} | {needs} | {what} |")
    for fields, what in _ALWAYS:
        rows.append(f"| | {fields} | all | | {what} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(render_enrichment_table())  # noqa: T201
