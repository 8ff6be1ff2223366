"""B-cubed precision, recall and F1 of a clustering against gold labels (Bagga and
Baldwin, 1998): for each item, the share of its cluster that has its label (precision)
and the share of its label's items that are in its cluster (recall), averaged over the
items. Used to evaluate story assignment (bench/story_assignment.py and its tests)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BCubed:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 0.0 if total == 0 else 2 * self.precision * self.recall / total


def bcubed(predicted: Mapping[str, str], gold: Mapping[str, str]) -> BCubed:
    """`predicted` and `gold` map the same items to their cluster and label."""
    if set(predicted) != set(gold):
        raise ValueError("predicted and gold must cover the same items")
    if not gold:
        return BCubed(1.0, 1.0)
    clusters = Counter(predicted.values())
    labels = Counter(gold.values())
    both = Counter((predicted[item], gold[item]) for item in gold)
    precision = recall = 0.0
    for item in gold:
        shared = both[(predicted[item], gold[item])]
        precision += shared / clusters[predicted[item]]
        recall += shared / labels[gold[item]]
    return BCubed(precision / len(gold), recall / len(gold))
