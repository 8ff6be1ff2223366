"""IPTC topics against hand-labelled examples (tests/fixtures/enricher/topics_labelled.jsonl).

Two short news texts per top-level topic, labelled by hand. The lexicon must put a gold
topic first on at least 90% of them; one that does not is printed so a lexicon change
shows what it broke.
"""

from __future__ import annotations

import json
from pathlib import Path

from services.enricher.topics import IPTC_TOPICS, classify_topics

LABELLED = Path(__file__).resolve().parents[2] / "fixtures" / "enricher" / "topics_labelled.jsonl"


def _examples() -> list[dict[str, object]]:
    return [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]


def test_every_top_level_topic_has_labelled_examples() -> None:
    labelled = {code for row in _examples() for code in row["topics"]}  # type: ignore[attr-defined]
    assert labelled == set(IPTC_TOPICS)


def test_top_topic_accuracy_on_labelled_examples() -> None:
    examples = _examples()
    misses = []
    for row in examples:
        topics = classify_topics(str(row["text"]), str(row["title"]))
        if not topics or topics[0].code not in row["topics"]:  # type: ignore[operator]
            misses.append((row["title"], [(t.label, t.score) for t in topics]))
    accuracy = 1 - len(misses) / len(examples)
    assert accuracy >= 0.9, misses


def test_scores_are_shares_and_ordered() -> None:
    topics = classify_topics(
        "Troops and tanks crossed the border as the army launched an offensive. The "
        "president addressed parliament.",
        "War",
    )
    assert topics[0].code == "medtop:16000000"
    assert [t.score for t in topics] == sorted((t.score for t in topics), reverse=True)
    assert sum(t.score for t in topics) <= 1.0


def test_too_little_evidence_gives_no_topic() -> None:
    assert classify_topics("The thing happened.") == []


def test_short_stems_match_whole_words_only() -> None:
    assert classify_topics("A warning about warm rainbows was warranted.") == []
