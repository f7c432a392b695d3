"""A huge scraped article is analysed from its first 20,000 words, so it cannot stall a build."""

from __future__ import annotations

from pathlib import Path

from digest.analyze import MAX_ANALYZED_WORDS, analyze_article, analyzed_blocks
from digest.analyze.sentences import article_sentences
from digest.analyze.summarize import MAX_RANKED_SENTENCES, centrality
from digest.config import Config
from digest.markdown import render_markdown
from digest.models import Article, Block


def test_analysis_reads_only_the_first_words() -> None:
    blocks = (Block("paragraph", "word " * 15_000), Block("paragraph", "more " * 15_000), Block("paragraph", "end"))
    kept = analyzed_blocks(blocks)
    assert sum(len(block.text.split()) for block in kept) == MAX_ANALYZED_WORDS
    assert [block.text.split()[0] for block in kept] == ["word", "more"]


def test_centrality_ranks_only_the_first_sentences() -> None:
    blocks = tuple(Block("paragraph", f"Sentence number {i} talks about topic {i % 7} today.") for i in range(500))
    scores = centrality(article_sentences(blocks))
    assert len(scores) == 500
    assert all(score == 0.0 for score in scores[MAX_RANKED_SENTENCES:])
    assert abs(sum(scores) - 1.0) < 1e-6


def test_a_five_megabyte_paragraph_still_gets_a_short_summary() -> None:
    text = "The council met again today and discussed the budget for the coming year. " * 70_000
    html, blocks = render_markdown(text)
    article = Article(Path("big.md"), "big", "Big", None, None, None, html, blocks, len(text.split()))
    analysis = analyze_article(article, Config(root=Path(".")))
    assert 1 <= len(analysis.summary) <= 3
    assert sum(len(sentence) for sentence in analysis.summary) < 1000
