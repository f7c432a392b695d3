"""Extractive summaries, read through article_sentences as the pipeline does."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.analyze.sentences import article_sentences
from digest.analyze.summarize import SUMMARIZERS, Summarizer, budget_share, lead, rank_sentences, textrank
from digest.analyze.text import words
from digest.config import SUMMARIZER_NAMES
from digest.models import Block
from tests.conftest import SEED, SHARED

CORPUS = SHARED / "corpus" / "bbc-dev"
STRATEGIES = [pytest.param(textrank, id="textrank"), pytest.param(lead, id="lead")]

TITLE = "Storm closes roads across the north"
ARTICLE = (
    Block("paragraph", "Storm closes roads across the north."),  # scraped bodies often repeat the title
    Block(
        "paragraph",
        "A violent storm closed hundreds of roads across northern England on Tuesday. Forecasters said "
        "winds reached ninety miles an hour on high ground.",
    ),
    Block("heading", "Schools shut as winds reach ninety miles an hour"),
    Block(
        "paragraph",
        "Council officials shut forty schools in Cumbria and warned parents to keep children at home. "
        "Engineers worked through the night to restore power to twelve thousand homes.",
    ),
    Block("caption", "Fallen trees blocked the main road into Keswick on Tuesday morning"),
    Block(
        "paragraph",
        "The Met Office issued an amber warning for wind covering most of northern England. Train operators "
        "cancelled services between Carlisle and Newcastle until further notice.",
    ),
    Block(
        "list_item",
        "Drivers were told to avoid all but essential journeys until the winds eased on Wednesday.",
    ),
)


def summary(
    strategy: Summarizer,
    blocks: tuple[Block, ...],
    max_sentences: int = 3,
    max_words: int | None = None,
    title: str = TITLE,
) -> list[str]:
    return strategy(article_sentences(blocks), title, max_sentences, max_words)


def seed() -> tuple[str, tuple[Block, ...]]:
    if not SEED.is_file():
        pytest.skip(f"seed article not found at {SEED}")
    parts = [part.strip() for part in SEED.read_text(encoding="utf-8").split("\n\n") if part.strip()]
    return parts[0], tuple(Block("paragraph", part) for part in parts[1:])


def test_strategies_are_registered_by_name() -> None:
    assert SUMMARIZERS["textrank"] is textrank
    assert SUMMARIZERS["lead"] is lead
    assert tuple(SUMMARIZERS) == SUMMARIZER_NAMES  # every name a config accepts is implemented


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_summary_is_in_document_order(strategy: Summarizer) -> None:
    title, blocks = seed()
    all_sentences = [sentence.text for sentence in article_sentences(blocks)]
    chosen = summary(strategy, blocks, 4, title=title)
    assert len(chosen) == 4
    positions = [all_sentences.index(text) for text in chosen]
    assert positions == sorted(positions)


def test_textrank_seed_summary_leads_with_the_news() -> None:
    title, blocks = seed()
    chosen = summary(textrank, blocks, 3, title=title)
    assert (
        chosen[0]
        == "Kyiv is under heavy bombardment as of Friday morning according to the latest reports from Ukraine."
    )


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_title_is_never_repeated(strategy: Summarizer) -> None:
    for max_sentences in range(1, 6):
        chosen = summary(strategy, ARTICLE, max_sentences)
        assert all(words(text) != words(TITLE) for text in chosen), chosen
    # Case and punctuation do not hide the repeat either.
    shouted = (Block("paragraph", "STORM CLOSES ROADS ACROSS THE NORTH!"), *ARTICLE[1:])
    assert all(words(text) != words(TITLE) for text in summary(strategy, shouted, 5))


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("max_sentences", [1, 2, 3, 5])
def test_respects_max_sentences(strategy: Summarizer, max_sentences: int) -> None:
    # The article has seven body sentences besides the title, plenty for every budget here.
    assert len(summary(strategy, ARTICLE, max_sentences)) == max_sentences


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_zero_sentences_gives_an_empty_summary(strategy: Summarizer) -> None:
    assert summary(strategy, ARTICLE, 0) == []


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("max_words", [15, 25, 40, 60, 200])
def test_respects_max_words(strategy: Summarizer, max_words: int) -> None:
    chosen = summary(strategy, ARTICLE, 3, max_words)
    assert chosen
    used = sum(len(text.split()) for text in chosen)
    assert used <= max_words
    if max_words == 60:  # the body has about ninety words: a budget of sixty should be mostly used
        assert used > 40, chosen


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_sentence_longer_than_the_budget_is_given_alone(strategy: Summarizer) -> None:
    chosen = summary(strategy, ARTICLE, 3, 5)
    assert len(chosen) == 1
    assert len(chosen[0].split()) > 5


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_near_identical_sentences_are_not_both_chosen(strategy: Summarizer) -> None:
    blocks = (
        Block("paragraph", "The plant in Derby will close in March, the company said on Monday."),
        Block("paragraph", "The company said on Monday that the Derby plant will close in March."),
        Block("paragraph", "The plant in Derby will close in March, the company said on Monday."),
        Block("paragraph", "Unions called the decision a betrayal of four hundred skilled workers."),
        Block("paragraph", "Ministers promised to help the workers find new jobs in the region."),
    )
    chosen = summary(strategy, blocks, 3, title="Derby plant to close")
    assert sum("Derby" in text for text in chosen) == 1, chosen
    assert len(chosen) == 3


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_repeated_sentence_without_content_words_is_given_once(strategy: Summarizer) -> None:
    blocks = (Block("paragraph", "It is what it is."), Block("paragraph", "It is what it is."))
    assert summary(strategy, blocks, 3, title="") == ["It is what it is."]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_captions_and_headings_never_appear(strategy: Summarizer) -> None:
    hidden = {block.text for block in ARTICLE if block.kind in ("caption", "heading")}
    for max_sentences in range(1, 9):
        chosen = summary(strategy, ARTICLE, max_sentences)
        assert not any(part in text for text in chosen for part in hidden)
        assert not any("Keswick" in text or "Schools shut" in text for text in chosen)


def test_article_sentences_reads_prose_blocks_only() -> None:
    sentences = article_sentences(ARTICLE)
    texts = [sentence.text for sentence in sentences]
    assert texts[0] == "Storm closes roads across the north."
    assert texts[-1].startswith("Drivers were told")
    assert not any("Keswick" in text or "Schools shut" in text for text in texts)
    assert [sentence.position for sentence in sentences] == list(range(len(sentences)))
    assert "storm" in sentences[0].terms


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize(
    "blocks",
    [
        (),
        (Block("heading", "Only a heading"), Block("caption", "Only a caption")),
        (Block("paragraph", ""), Block("paragraph", "   ")),
    ],
    ids=["no blocks", "no prose", "blank paragraphs"],
)
def test_empty_input_gives_empty_summary(strategy: Summarizer, blocks: tuple[Block, ...]) -> None:
    assert summary(strategy, blocks, 3) == []
    assert summary(strategy, blocks, 3, 50) == []


def _corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*/*.txt")) if CORPUS.is_dir() else []


@pytest.mark.skipif(not _corpus_files(), reason=f"BBC dev corpus not found at {CORPUS}")
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_corpus_summaries_are_never_empty(strategy: Summarizer) -> None:
    files = _corpus_files()
    for path in files:
        title, _, body = path.read_text(encoding="utf-8").partition("\n\n")
        blocks = tuple(Block("paragraph", part) for part in body.split("\n\n") if part.strip())
        sentences = article_sentences(blocks)
        chosen = strategy(sentences, title.strip(), 3, None)
        assert 1 <= len(chosen) <= 3, path
        all_texts = [sentence.text for sentence in sentences]
        positions = [all_texts.index(text) for text in chosen]
        assert positions == sorted(positions), path
        assert words(title) not in [words(text) for text in chosen], path
        budgeted = strategy(sentences, title.strip(), 3, 60)
        assert budgeted, path
        assert len(budgeted) == 1 or sum(len(text.split()) for text in budgeted) <= 60, path


# --- the budget's share of the article weighs the lead prior and the penalties ----------------------

# A lead that sets the scene, then the sentences the story is about, which say the same things.
SCENE = (
    Block("paragraph", "Rain fell on the valley for the third day in a row on Sunday."),
    Block("paragraph", "Farmers in the valley said the flooded fields had ruined the wheat harvest."),
    Block("paragraph", "The ruined wheat harvest will cost farmers in the valley millions, they said."),
    Block("paragraph", "But the flooded fields could be planted again in spring, farmers said."),
    Block("paragraph", "Officials promised the farmers help with the cost of the ruined harvest."),
)


def test_budget_share_is_the_part_of_the_article_covered() -> None:
    sentences = article_sentences(SCENE)
    total = sum(len(sentence.text.split()) for sentence in sentences)
    assert budget_share(sentences, 3, total // 2) == pytest.approx(total // 2 / total)
    assert budget_share(sentences, 2, None) == pytest.approx(2 / 5)
    assert budget_share(sentences, 3, 10 * total) == 1.0
    assert budget_share([], 3, 50) == 0.0


def test_short_budget_favours_the_lead_and_long_one_the_centre() -> None:
    sentences = article_sentences(SCENE)
    short = rank_sentences(sentences, "", share=0.05)
    long = rank_sentences(sentences, "", share=0.6)
    # The opening sentence, which is not central, weighs less against the best as the budget grows.
    assert long[0] / max(long) < short[0] / max(short)
    assert short[0] > short[4] and long[0] < long[4]


def test_standalone_penalty_softens_as_the_budget_grows() -> None:
    sentences = article_sentences(SCENE)
    # "But the flooded fields ..." leans on what comes before it.
    strict = rank_sentences(sentences, "", share=0.0)
    lenient = rank_sentences(sentences, "", share=0.7)
    assert strict[3] / max(strict) < lenient[3] / max(lenient)


def test_first_sentence_is_never_penalised_but_a_fragment_is() -> None:
    leaning = (Block("paragraph", "But the bridge will stay shut until the spring, the council said."), *SCENE)
    alone = (Block("paragraph", "The bridge will stay shut until the spring, the council said."), *SCENE)
    assert rank_sentences(article_sentences(leaning))[0] == pytest.approx(rank_sentences(article_sentences(alone))[0])
    fragment = (Block("paragraph", "• Updated"), *SCENE)
    scores = rank_sentences(article_sentences(fragment))
    assert scores[0] < scores[1]
    assert "• Updated" not in textrank(article_sentences(fragment), "", 2, None)
