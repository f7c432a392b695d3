"""A best guess at an article's language, from its script and its commonest words.

No model to download: scripts tell most languages apart, and for Latin-script text the share of
each language's most frequent function words decides. Returns None when unsure.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

_FUNCTION_WORDS = {
    "en": "the and of to in is that for it was on with as said by at from he his be have are",
    "fr": "le la les de des et un une est que pour dans qui sur par pas au avec du il elle",
    "de": "der die das und ist nicht ein eine zu den von mit sich des auf für dem im sie es",
    "es": "el la los las de y que en un una por con para es del se lo al su como más",
    "it": "il la di che e un una per non con del della sono è le gli da nel alla si",
    "pt": "o a os as de e que em um uma para com não do da dos das por se foi ao",
    "nl": "de het een en van is dat op te in voor met niet zijn er aan ook als bij",
}
_WORD_SETS = {language: frozenset(words.split()) for language, words in _FUNCTION_WORDS.items()}
_UKRAINIAN_LETTERS = set("іїєґІЇЄҐ")


def _script(ch: str) -> str | None:
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return None
    for script in ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "CYRILLIC", "ARABIC", "HEBREW", "GREEK",
                   "DEVANAGARI", "THAI", "LATIN"):
        if name.startswith(script) or f" {script} " in f" {name} ":
            return script
    return None


def detect_language(text: str) -> str | None:
    """An ISO 639-1 code ('en', 'uk', 'zh' ...) or None."""
    sample = text[:5000]
    scripts = Counter(script for ch in sample if ch.isalpha() and (script := _script(ch)))
    if not scripts:
        return None
    script, _ = scripts.most_common(1)[0]
    if script in ("HIRAGANA", "KATAKANA") or (script == "CJK" and scripts["HIRAGANA"] + scripts["KATAKANA"]):
        return "ja"
    by_script = {"CJK": "zh", "HANGUL": "ko", "ARABIC": "ar", "HEBREW": "he", "GREEK": "el",
                 "DEVANAGARI": "hi", "THAI": "th"}
    if script in by_script:
        return by_script[script]
    if script == "CYRILLIC":
        return "uk" if any(ch in _UKRAINIAN_LETTERS for ch in sample) else "ru"
    tokens = re.findall(r"[^\W\d_]+", sample.lower())
    if len(tokens) < 5:
        return None
    scores = {language: sum(token in words for token in tokens) for language, words in _WORD_SETS.items()}
    best = max(scores, key=lambda language: (scores[language], language == "en"))
    return best if scores[best] * 8 >= len(tokens) else None
