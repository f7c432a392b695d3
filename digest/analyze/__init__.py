"""Analysis of one article alone: summary, pull-quotes, keywords, declared topics.

Each strategy is a plain function; what the user pinned in front matter always wins.
"""

from __future__ import annotations

from collections.abc import Sequence

from digest.compiled import search_path

# The modules compiled by mypyc (digest/compiled.py), when compiled from these sources.
__path__ = search_path(__name__, __path__)

from digest.analyze.dedup import signature
from digest.analyze.keywords import keywords
from digest.analyze.quotes import pull_quotes
from digest.analyze.sentences import article_sentences
from digest.analyze.summarize import SUMMARIZERS, centrality, rank_sentences
from digest.analyze.topics import assign_topics, pinned_topic_slugs
from digest.config import Config
from digest.models import Analysis, Article, Block, Candidate

QUOTES_PER_ARTICLE = 3
MAX_ANALYZED_WORDS = 20_000
"""Analysis reads at most this many words of an article (a long read is ~10,000): it keeps a
5 MB scrape from stalling the build, and what a summary picks is near the top anyway."""


def analyzed_blocks(blocks: Sequence[Block], budget: int = MAX_ANALYZED_WORDS) -> tuple[Block, ...]:
    """The blocks the analysis reads: the article's first ``budget`` words."""
    kept: list[Block] = []
    for block in blocks:
        block_words = block.text.split()
        count = len(block_words)
        if count > budget:
            if budget > 0:
                kept.append(Block(block.kind, " ".join(block_words[:budget])))
            break
        kept.append(block)
        budget -= count
    return tuple(kept)


def analyze_article(article: Article, config: Config) -> Analysis:
    """Summary, quotes, keywords and declared topics of one article."""
    blocks = analyzed_blocks(article.blocks)
    sentences = article_sentences(blocks)
    # One centrality computation serves both the summary (textrank) and the topic-digest candidates.
    central = centrality(sentences)
    scores = rank_sentences(sentences, article.title, central=central)
    if article.pinned_summary:
        summary = article.pinned_summary
    else:
        summarize = SUMMARIZERS[config.summarizer]
        summary = tuple(
            summarize(sentences, article.title, config.summary_sentences, config.summary_words, central=central)
        )
    best = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))[: config.digest_sentences * 2]
    candidates = tuple(Candidate(sentences[i].text, i, round(scores[i], 6)) for i in best if scores[i] > 0)
    quotes = pull_quotes(blocks, QUOTES_PER_ARTICLE)
    if article.pinned_quote is not None:
        quotes = [article.pinned_quote, *(quote for quote in quotes if quote.text != article.pinned_quote.text)]
    if article.pinned_topics is not None:
        topics = pinned_topic_slugs(article.pinned_topics, config.topics)
    else:
        body = "\n".join(block.text for block in blocks if block.kind != "caption")
        topics = assign_topics(article.title, body, config.topics, config.topic_threshold)
    return Analysis(
        summary=summary,
        quotes=tuple(quotes),
        keywords=tuple(keywords(article.title, blocks, config.keywords_per_article)),
        topics=topics,
        candidates=candidates,
        signature=signature(" ".join(block.text for block in blocks if block.kind != "caption")),
    )
