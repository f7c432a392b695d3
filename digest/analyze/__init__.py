"""Analysis of one article alone: summary, pull-quotes, keywords, declared topics.

Each strategy is a plain function; what the user pinned in front matter always wins.
"""

from __future__ import annotations

from digest.analyze.keywords import keywords
from digest.analyze.quotes import pull_quotes
from digest.analyze.sentences import article_sentences
from digest.analyze.summarize import SUMMARIZERS, rank_sentences
from digest.analyze.topics import assign_topics, pinned_topic_slugs
from digest.config import Config
from digest.models import Analysis, Article, Candidate

QUOTES_PER_ARTICLE = 3


def analyze_article(article: Article, config: Config) -> Analysis:
    """Summary, quotes, keywords and declared topics of one article."""
    sentences = article_sentences(article.blocks)
    if article.pinned_summary:
        summary = article.pinned_summary
    else:
        summarize = SUMMARIZERS[config.summarizer]
        summary = tuple(summarize(sentences, article.title, config.summary_sentences, config.summary_words))
    scores = rank_sentences(sentences, article.title)
    best = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))[: config.digest_sentences * 2]
    candidates = tuple(Candidate(sentences[i].text, i, round(scores[i], 6)) for i in best if scores[i] > 0)
    quotes = pull_quotes(article.blocks, QUOTES_PER_ARTICLE)
    if article.pinned_quote is not None:
        quotes = [article.pinned_quote, *(quote for quote in quotes if quote.text != article.pinned_quote.text)]
    if article.pinned_topics is not None:
        topics = pinned_topic_slugs(article.pinned_topics, config.topics)
    else:
        body = "\n".join(block.text for block in article.blocks if block.kind != "caption")
        topics = assign_topics(article.title, body, config.topics, config.topic_threshold)
    return Analysis(
        summary=summary,
        quotes=tuple(quotes),
        keywords=tuple(keywords(article.title, article.blocks, config.keywords_per_article)),
        topics=topics,
        candidates=candidates,
    )
