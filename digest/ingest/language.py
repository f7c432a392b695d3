"""A best guess at an article's language, from its script and its commonest words.

No model to download: scripts tell most languages apart, and for Latin-script text the share of
each language's most frequent function words decides. Returns None when unsure.
"""

from __future__ import annotations

import re
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
_LANGUAGES_OF: dict[str, tuple[str, ...]] = {}
for _language, _words in _FUNCTION_WORDS.items():
    for _word in _words.split():
        _LANGUAGES_OF[_word] = (*_LANGUAGES_OF.get(_word, ()), _language)
_TOKEN = re.compile(r"[^\W\d_]+")
_UKRAINIAN_LETTERS = set("іїєґІЇЄҐ")


# Unicode blocks of the scripts told apart, counted with one regex each (fast: no per-character Python).
_SCRIPTS = {
    "kana": re.compile(r"[\u3040-\u30ff]"),
    "zh": re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]"),
    "ko": re.compile(r"[\uac00-\ud7af\u1100-\u11ff]"),
    "cyrillic": re.compile(r"[\u0400-\u04ff]"),
    "ar": re.compile(r"[\u0600-\u06ff\u0750-\u077f]"),
    "he": re.compile(r"[\u0590-\u05ff]"),
    "el": re.compile(r"[\u0370-\u03ff]"),
    "hi": re.compile(r"[\u0900-\u097f]"),
    "th": re.compile(r"[\u0e00-\u0e7f]"),
    "latin": re.compile(r"[A-Za-z\u00c0-\u024f]"),
}


def detect_language(text: str) -> str | None:
    """An ISO 639-1 code ('en', 'uk', 'zh' ...) or None."""
    sample = text[:2000]
    if not sample.isascii():  # ASCII text is Latin script: skip the script count
        counts = {script: len(pattern.findall(sample)) for script, pattern in _SCRIPTS.items()}
        script = max(counts, key=lambda name: counts[name])
        if not counts[script]:
            return None
        if counts["kana"] and script in ("kana", "zh"):
            return "ja"
        if script == "cyrillic":
            return "uk" if any(ch in _UKRAINIAN_LETTERS for ch in sample) else "ru"
        if script != "latin":
            return script
    tokens = _TOKEN.findall(sample.lower())
    if len(tokens) < 12:  # too few words to tell
        return None
    scores: Counter[str] = Counter()
    for token in tokens:  # one pass: each word adds to the languages it is a function word of
        scores.update(_LANGUAGES_OF.get(token, ()))
    if not scores:
        return None
    best = max(sorted(scores), key=lambda language: (scores[language], language == "en"))
    return best if scores[best] * 8 >= len(tokens) else None
