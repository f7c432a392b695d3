"""The sentence splitter: golden cases from tests/fixtures/sentences.txt, plus properties that hold
for any paragraph (nothing lost, nothing empty, no quadratic blow-up) and a run over the BBC corpus."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from digest.analyze.text import split_sentences
from tests.conftest import SHARED

FIXTURE = Path(__file__).parent / "fixtures" / "sentences.txt"
CORPUS = SHARED / "corpus" / "bbc-dev"


@dataclass(frozen=True)
class Case:
    name: str
    paragraph: str
    expected: list[str]


def load_cases(path: Path) -> list[Case]:
    """Parse the fixture: '=== name', input lines, '---', expected sentences one a line."""
    cases: list[Case] = []
    name: str | None = None
    section: list[str] = []
    paragraph: list[str] | None = None

    def finish() -> None:
        if name is None:
            return
        assert paragraph is not None, f"case {name!r} has no '---' line"
        cases.append(Case(name, "\n".join(paragraph), list(section)))

    for line_number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.rstrip()
        if line.startswith("==="):
            finish()
            name, section, paragraph = line[3:].strip(), [], None
        elif name is None:
            assert not line or line.startswith("#"), f"line {line_number}: text before the first case"
        elif line == "---":
            assert paragraph is None, f"line {line_number}: second '---' in case {name!r}"
            paragraph, section = section, []
        elif line:
            section.append(line)
    finish()
    return cases


CASES = load_cases(FIXTURE)


def test_fixture_is_well_formed() -> None:
    assert len(CASES) >= 25
    names = [case.name for case in CASES]
    assert len(names) == len(set(names)), "case names must be unique: they are the test ids"
    for case in CASES:
        assert case.paragraph and case.expected, case.name


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_golden_case(case: Case) -> None:
    assert split_sentences(case.paragraph) == case.expected


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "\t"])
def test_blank_text_has_no_sentences(text: str) -> None:
    assert split_sentences(text) == []


def test_text_without_a_full_stop_is_one_sentence() -> None:
    assert split_sentences("  Breaking news from Kyiv  ") == ["Breaking news from Kyiv"]


def test_unclosed_quote_does_not_make_one_sentence() -> None:
    # The opening mark never closes: the sentences after it must still be told apart.
    paragraph = '"This quotation never closes. Rain fell all day. Roads were shut. Schools stayed open.'
    sentences = split_sentences(paragraph)
    assert len(sentences) == 4
    assert sentences[-1] == "Schools stayed open."


def _normalised(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("paragraph", "count"),
    [
        ('"Hello there," she said. ' + "It rained again. " * 20000, 20001),
        ('"Hi there. Bye," she said. ' * 10000, 10000),
    ],
    ids=["many sentences", "many quotations"],
)
def test_long_paragraph_is_split_in_linear_time(paragraph: str, count: int) -> None:
    # Checking every full stop against the whole paragraph, or against every quotation in it,
    # used to make this take seconds.
    started = time.perf_counter()
    sentences = split_sentences(paragraph)
    elapsed = time.perf_counter() - started
    assert len(sentences) == count
    assert elapsed < 1.0


def test_many_quotation_marks_are_fast_and_keep_the_text() -> None:
    paragraph = '"' * 80000 + " The end. " + "“" * 20000 + " Really the end."
    started = time.perf_counter()
    sentences = split_sentences(paragraph)
    assert time.perf_counter() - started < 1.0
    assert " ".join(sentences) == _normalised(paragraph)


def _corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*/*.txt")) if CORPUS.is_dir() else []


@pytest.mark.skipif(not _corpus_files(), reason=f"BBC dev corpus not found at {CORPUS}")
def test_corpus_paragraphs_split_without_loss() -> None:
    files = _corpus_files()
    for path in files:
        title, _, body = path.read_text(encoding="utf-8").partition("\n\n")
        assert title.strip(), path
        for paragraph in (part for part in body.split("\n\n") if part.strip()):
            sentences = split_sentences(paragraph)
            assert sentences, path
            # Every character is kept, in order, and no sentence is empty or padded.
            assert " ".join(sentences) == _normalised(paragraph), path
            assert all(sentence == sentence.strip() and sentence for sentence in sentences), path
            # A sentence of more than 120 words means quotes or abbreviations swallowed a paragraph.
            assert max(len(sentence.split()) for sentence in sentences) <= 120, path
