#!/usr/bin/env python3
"""Quality of digest's analysis against human references and named baselines, in one run (issue 4).

1. Summaries: ROUGE-1/2/L F1 (``rouge-score``, ``use_stemmer=True``) at equal word budgets on the 50 BBC
   dev articles (reference: the extractive human summary in ``bbc-dev-summaries/<same path>``) and the
   100 CNN dev stories (reference: ``highlights/<id>.txt``, the lines joined). The budget of an article is
   its reference's word count. Methods, all in this run and all over the same sentences (digest's own
   splitter, ``digest.analyze.sentences.article_sentences`` = ``split_sentences`` per paragraph, over the
   blocks ``digest.ingest.article_for_analysis`` gives): Lead-k, sumy's TextRank and LexRank, digest's
   ``textrank`` and ``lead`` strategies (``analyze_article`` with ``summary_words=budget``).
   One budget rule for every method ("whole sentences, best first"): take the method's sentences best
   first; skip one that would take the summary over the budget (a shorter one further down may fit), stop
   once the budget is reached; the first pick is always kept, even alone over the budget; the chosen
   sentences are returned in document order. This is the rule of ``digest.analyze.summarize.select``, so
   on digest's own output it changes nothing; Lead-k's order is the document's.
2. Pull-quotes: ``digest.analyze.quotes.find_quotes`` (every quote found, not just the top 3) against
   ``quotes_gold.jsonl``: precision, recall, speaker accuracy, with the misses and false positives listed.
3. Topics: accuracy of the top assigned topic on the BBC dev set with the five topics of ``bench/topics.yaml``
   (confusion counts), and with no topics declared, the purity of the discovered topics.
4. Time: per-article ``analyze_article`` (``bench/topics.yaml`` config) over the 150 articles, median/p95.

sumy offline: sumy's own ``Tokenizer("english")`` needs nltk's punkt data, which cannot be downloaded here.
It is not used: each article becomes a ``sumy.models.dom.ObjectDocumentModel`` of ``Paragraph``s of
``Sentence``s from digest's splits, with a word tokenizer that needs no data (nltk's ``NLTKWordTokenizer``,
the one ``nltk.word_tokenize`` applies after punkt, filtered by sumy's own word pattern). Stemmer
(nltk Snowball) and stop words (shipped in sumy) need no download either.

The corpus is read from ``<repo>/../shared/corpus`` (never copied into the repository); without it the
benchmark says so and stops. It prints figures with the targets of issue 4 and asserts nothing.

Rerun:  .venv/bin/python bench/bench_analysis.py
   (needs the bench extras:  .venv/bin/pip install -r requirements-bench.txt)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import machine_lines, table

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
TOPICS_CONFIG = REPO / "bench" / "topics.yaml"
RERUN = ".venv/bin/python bench/bench_analysis.py"
TOPIC_NAMES = ("business", "entertainment", "politics", "sport", "tech")
METHODS = ("Lead-k", "sumy TextRank", "sumy LexRank", "digest lead", "digest textrank")
DIGEST_METHOD = "digest textrank"
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")
QUOTE_JACCARD = 0.6
SHORT_QUOTE_WORDS = 5
"""find_quotes skips quotations under five words (scare quotes) by design."""
# sumy's own word pattern (sumy.nlp.tokenizers.Tokenizer._WORD_PATTERN): tokens with a letter first.
SUMY_WORD = re.compile(r"^[^\W\d_](?:[^\W\d_]|['-])*$", re.UNICODE)
# The BBC summaries run sentences together ("spending.France's"): a space goes back after a full stop
# that follows a lower-case letter, digit or closing mark and precedes a capital (or a quote and one).
RUN_TOGETHER = re.compile(r"(?<=[a-z0-9%)\"”'’])([.!?])(?=[\"“‘']?[A-Z])")


def say(message: str) -> None:
    """Progress goes to stderr, so stdout is only the figures."""
    print(message, file=sys.stderr, flush=True)


# --- inputs ---------------------------------------------------------------------------------------------


@dataclass
class Doc:
    """One dev article with its reference summary and digest's sentences."""

    dataset: str
    """'bbc' or 'cnn'."""
    label: str
    """The BBC topic folder, or 'cnn'."""
    name: str
    """Its path under the data set's folder (BBC) or the story id (CNN)."""
    article: Any
    """digest.models.Article, from digest.ingest.article_for_analysis."""
    reference: str
    budget: int
    paragraphs: list[list[str]]
    """digest's sentences, grouped by the block they come from."""

    @property
    def sentences(self) -> list[str]:
        return [sentence for paragraph in self.paragraphs for sentence in paragraph]


def word_count(text: str) -> int:
    """Words as digest's summarizer counts them: whitespace-separated tokens."""
    return len(text.split())


def bbc_reference(text: str) -> tuple[str, int]:
    """The summary with a space put back after each run-together full stop, and how many were put back."""
    text = " ".join(text.split())
    return RUN_TOGETHER.subn(r"\1 ", text)


def cnn_reference(text: str) -> str:
    """Highlights one per line, each often ending in ' .': joined into one text."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " ".join(line[:-2].rstrip() + "." if line.endswith(" .") else line for line in lines)


def load_docs(corpus: Path) -> tuple[list[Doc], int]:
    from digest.analyze import analyzed_blocks
    from digest.analyze.sentences import article_sentences
    from digest.ingest import article_for_analysis
    from digest.ingest.decode import decode_raw

    warnings: list[str] = []
    docs: list[Doc] = []
    spaces = 0

    def paragraphs_of(article: Any) -> list[list[str]]:
        # The blocks analyze_article reads, one block at a time: exactly digest's sentences, by paragraph.
        groups = [[s.text for s in article_sentences((block,))] for block in analyzed_blocks(article.blocks)]
        return [group for group in groups if group]

    for path in sorted((corpus / "bbc-dev").glob("*/*.txt")):
        relative = path.relative_to(corpus / "bbc-dev")
        summary = corpus / "bbc-dev-summaries" / relative
        reference, added = bbc_reference(decode_raw(summary.read_bytes(), summary, warnings))
        spaces += added
        article = article_for_analysis(path, warnings)
        docs.append(Doc("bbc", relative.parts[0], relative.as_posix(), article, reference, word_count(reference),
                        paragraphs_of(article)))
    for path in sorted((corpus / "cnn-dev" / "stories").glob("*.txt")):
        highlights = corpus / "cnn-dev" / "highlights" / path.name
        reference = cnn_reference(decode_raw(highlights.read_bytes(), highlights, warnings))
        article = article_for_analysis(path, warnings)
        docs.append(Doc("cnn", "cnn", path.stem, article, reference, word_count(reference), paragraphs_of(article)))
    return docs, spaces


# --- summaries ------------------------------------------------------------------------------------------


def within_budget(order: Sequence[int], lengths: Sequence[int], budget: int) -> list[int]:
    """The budget rule for every method: whole sentences best first, one that would go over the budget
    skipped, stop at the budget, the first pick always kept; indexes returned in document order."""
    chosen: list[int] = []
    used = 0
    for index in order:
        if used + lengths[index] > budget and chosen:
            continue
        chosen.append(index)
        used += lengths[index]
        if used >= budget:
            break
    return sorted(chosen)


class OfflineWordTokenizer:
    """sumy's Tokenizer.to_words without punkt: nltk's word tokenizer on one sentence, sumy's word filter."""

    def __init__(self) -> None:
        from nltk.tokenize import NLTKWordTokenizer

        self._tokenizer = NLTKWordTokenizer()

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(word for word in self._tokenizer.tokenize(sentence) if SUMY_WORD.match(word))


@dataclass
class SumyTools:
    tokenizer: OfflineWordTokenizer
    textrank: Any
    lexrank: Any


def sumy_tools() -> SumyTools:
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words

    stemmer, stop_words = Stemmer("english"), get_stop_words("english")
    textrank, lexrank = TextRankSummarizer(stemmer), LexRankSummarizer(stemmer)
    textrank.stop_words = stop_words
    lexrank.stop_words = stop_words
    return SumyTools(OfflineWordTokenizer(), textrank, lexrank)


def sumy_document(doc: Doc, tokenizer: OfflineWordTokenizer) -> Any:
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence

    return ObjectDocumentModel([Paragraph([Sentence(text, tokenizer) for text in group]) for group in doc.paragraphs])


def sumy_summary(summarizer: Any, document: Any, budget: int) -> list[str]:
    """sumy's ranking with the budget rule: sumy passes its sentences sorted by rating, best first, to a
    callable ``sentences_count``, and returns what it keeps in document order."""

    def pick(infos: Sequence[Any]) -> list[Any]:
        lengths = [word_count(str(info.sentence)) for info in infos]
        return [infos[i] for i in within_budget(range(len(infos)), lengths, budget)]

    return [str(sentence) for sentence in summarizer(document, pick)]


def summaries(doc: Doc, tools: SumyTools, config: Any) -> dict[str, list[str]]:
    from digest.analyze import analyze_article

    sentences = doc.sentences
    lengths = [word_count(text) for text in sentences]
    out = {"Lead-k": [sentences[i] for i in within_budget(range(len(sentences)), lengths, doc.budget)]}
    document = sumy_document(doc, tools.tokenizer)
    out["sumy TextRank"] = sumy_summary(tools.textrank, document, doc.budget)
    out["sumy LexRank"] = sumy_summary(tools.lexrank, document, doc.budget)
    for strategy in ("lead", "textrank"):
        chosen = list(analyze_article(doc.article, replace(config, summarizer=strategy, summary_words=doc.budget))
                      .summary)
        # The same rule on digest's output, in its (document) order: a no-op, since select applies it.
        kept = within_budget(range(len(chosen)), [word_count(text) for text in chosen], doc.budget)
        out[f"digest {strategy}"] = [chosen[i] for i in kept]
    return out


@dataclass
class SummaryResult:
    scores: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    """method -> rouge type -> F1 per article."""
    words: dict[str, list[int]] = field(default_factory=dict)
    over: dict[str, int] = field(default_factory=dict)
    """Summaries over the budget (a first pick longer than the budget on its own)."""
    first: dict[str, int] = field(default_factory=dict)
    """Summaries that contain the article's first sentence."""
    budgets: list[int] = field(default_factory=list)
    chosen: dict[str, list[list[str]]] = field(default_factory=dict)


def bench_summaries(docs: Sequence[Doc], config: Any) -> dict[str, SummaryResult]:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    tools = sumy_tools()
    results: dict[str, SummaryResult] = {}
    for doc in docs:
        result = results.setdefault(doc.dataset, SummaryResult())
        result.budgets.append(doc.budget)
        first = doc.sentences[0] if doc.sentences else None
        for method, chosen in summaries(doc, tools, config).items():
            scores = scorer.score(doc.reference, " ".join(chosen))
            per_type = result.scores.setdefault(method, {kind: [] for kind in ROUGE_TYPES})
            for kind in ROUGE_TYPES:
                per_type[kind].append(scores[kind].fmeasure)
            used = sum(word_count(text) for text in chosen)
            result.words.setdefault(method, []).append(used)
            result.over[method] = result.over.get(method, 0) + (used > doc.budget)
            result.first[method] = result.first.get(method, 0) + (first is not None and first in chosen)
            result.chosen.setdefault(method, []).append(chosen)
    return results


# --- quotes ---------------------------------------------------------------------------------------------


def quote_tokens(text: str) -> list[str]:
    """Lower-case words, curly apostrophes straightened; punctuation and quotation marks dropped."""
    return re.findall(r"[a-z0-9]+(?:'[a-z0-9]+)*", text.lower().replace("’", "'").replace("‘", "'"))


def contains(longer: Sequence[str], shorter: Sequence[str]) -> bool:
    size = len(shorter)
    return size > 0 and any(list(longer[i : i + size]) == list(shorter) for i in range(len(longer) - size + 1))


def quote_similarity(gold: str, found: str) -> float | None:
    """The matching rule, on lower-case words (punctuation and quotation marks dropped): a gold and a found
    quote match when their word sets have a Jaccard index of at least QUOTE_JACCARD (0.6), or when one's
    words are a contiguous run of the other's and at least half as many (a quote cut short or run on by a
    few words). Returns the Jaccard index of a matching pair (pairs are taken most similar first), else None.
    """
    g, f = quote_tokens(gold), quote_tokens(found)
    if not g or not f:
        return None
    jaccard = len(set(g) & set(f)) / len(set(g) | set(f))
    shorter, longer = sorted((g, f), key=len)
    if jaccard >= QUOTE_JACCARD or (contains(longer, shorter) and 2 * len(shorter) >= len(longer)):
        return jaccard
    return None


_HONORIFICS = frozenset(["mr", "mrs", "ms", "dr", "sir", "professor", "prof", "lord", "lady", "dame"])


def speaker_key(name: str | None) -> str:
    """A speaker for comparison: lower case, nicknames in quotes and honorifics dropped."""
    if not name:
        return ""
    name = re.sub(r"[\"“”][^\"“”]*[\"“”]", " ", name)
    tokens = re.findall(r"[a-z0-9&]+(?:['-][a-z0-9]+)*", name.lower().replace("’", "'"))
    return " ".join(token for token in tokens if token not in _HONORIFICS)


def gold_category(entry: dict[str, str]) -> str:
    """How the gold quote's speaker is written: named, pronoun, description, continuation."""
    written = entry["speaker_as_written"].strip()
    lower = written.lower()
    if lower.startswith("(continuation"):
        return "continuation (named in an earlier paragraph)"
    if re.match(r"^(?:he|she|they)\b", lower):
        return "pronoun ('he')"
    if re.match(r"^(?:the|its|his|her)\s", written):
        return f"description ('{written.split(',')[0][:30]}')"
    return "named"


@dataclass
class QuoteResult:
    gold: int = 0
    found: int = 0
    matched: list[tuple[dict[str, str], Any, float]] = field(default_factory=list)
    misses: list[dict[str, str]] = field(default_factory=list)
    false_positives: list[tuple[str, Any]] = field(default_factory=list)
    per_file: list[tuple[str, int, int, int]] = field(default_factory=list)


def bench_quotes(corpus: Path) -> QuoteResult:
    from digest.analyze import analyzed_blocks
    from digest.analyze.quotes import find_quotes
    from digest.ingest import article_for_analysis

    gold: dict[str, list[dict[str, str]]] = {}
    for line in (corpus / "quotes_gold.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            gold.setdefault(entry["file"], []).append(entry)
    result = QuoteResult()
    warnings: list[str] = []
    for name, entries in gold.items():
        article = article_for_analysis(corpus / "bbc-dev" / name, warnings)
        found = find_quotes(analyzed_blocks(article.blocks))
        result.gold += len(entries)
        result.found += len(found)
        similarities = ((quote_similarity(e["quote"], q.text), gi, fi) for gi, e in enumerate(entries)
                        for fi, q in enumerate(found))
        pairs = sorted(((s, gi, fi) for s, gi, fi in similarities if s is not None),
                       key=lambda item: (-item[0], item[1], item[2]))
        used_gold: set[int] = set()
        used_found: set[int] = set()
        for similarity, gi, fi in pairs:  # one to one, most similar pairs first
            if gi in used_gold or fi in used_found:
                continue
            used_gold.add(gi)
            used_found.add(fi)
            result.matched.append((entries[gi], found[fi], similarity))
        result.misses += [entry for gi, entry in enumerate(entries) if gi not in used_gold]
        result.false_positives += [(name, quote) for fi, quote in enumerate(found) if fi not in used_found]
        result.per_file.append((name, len(entries), len(found), len(used_gold)))
    return result


# --- topics ---------------------------------------------------------------------------------------------


@dataclass
class TopicResult:
    truth: list[str]
    predicted: list[str]
    """The top assigned topic, or '(none)'."""
    assigned_counts: list[int]
    names: list[str]
    scores: list[dict[str, float]]
    """Each declared topic's match score (0-1), as assign_topics computes it before the threshold."""
    threshold: float
    discovered: list[tuple[str, list[str]]]
    """Each discovered topic's name and its articles' true topics."""


def bench_topics(docs: Sequence[Doc], config: Any) -> TopicResult:
    from digest.analyze import analyze_article, analyzed_blocks
    from digest.analyze.text import content_terms
    from digest.analyze.topics import TopicMatcher
    from digest.collect import with_discovered_topics
    from digest.models import AnalyzedArticle

    bbc = [doc for doc in docs if doc.dataset == "bbc"]
    analyses = [analyze_article(doc.article, config) for doc in bbc]
    matchers = [TopicMatcher.from_config(topic) for topic in config.topics]
    scores = []
    for doc in bbc:  # the words assign_topics reads: the title twice, then the body without captions
        body = "\n".join(block.text for block in analyzed_blocks(doc.article.blocks) if block.kind != "caption")
        terms = content_terms(doc.article.title) * 2 + content_terms(body)
        counts = Counter(terms)
        scores.append({matcher.slug: matcher.score(counts, len(terms)) for matcher in matchers})
    predicted = [analysis.topics[0] if analysis.topics else "(none)" for analysis in analyses]
    bare = replace(config, topics=())
    items = [AnalyzedArticle(doc.article, analyze_article(doc.article, bare)) for doc in bbc]
    grouped, names = with_discovered_topics(items, bare)
    members: dict[str, list[str]] = {}
    for doc, item in zip(bbc, grouped, strict=True):
        slug = item.analysis.topics[0] if item.analysis.topics else "(none)"
        members.setdefault(slug, []).append(doc.label)
    by_size = sorted(members.items(), key=lambda item: -len(item[1]))
    discovered = [(names.get(slug, slug), labels) for slug, labels in by_size]
    return TopicResult([doc.label for doc in bbc], predicted, [len(a.topics) for a in analyses],
                       [doc.name for doc in bbc], scores, config.topic_threshold, discovered)


# --- time -----------------------------------------------------------------------------------------------


def p95(values: Sequence[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def bench_time(docs: Sequence[Doc], config: Any, repeats: int) -> list[float]:
    """Per article, the median over the repeats of one analyze_article call, in ms."""
    from digest.analyze import analyze_article

    samples: list[list[float]] = [[] for _ in docs]
    for _ in range(repeats):
        for index, doc in enumerate(docs):
            start = time.perf_counter_ns()
            analyze_article(doc.article, config)
            samples[index].append((time.perf_counter_ns() - start) / 1e6)
    return [statistics.median(runs) for runs in samples]


# --- reporting ------------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def excerpt(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def punkt_state() -> str:
    import nltk

    for resource in ("tokenizers/punkt_tab/english/", "tokenizers/punkt"):
        try:
            nltk.data.find(resource)
            return "present (not used)"
        except LookupError:
            continue
    return "absent (not needed: sumy gets digest's sentences)"


def summary_report(results: dict[str, SummaryResult], docs: Sequence[Doc], spaces: int) -> list[str]:
    labels = {"bbc": "bbc-dev (50, reference: extractive human summary)",
              "cnn": "cnn-dev (100, reference: human highlights joined)"}
    lines = [
        "1. Summaries: ROUGE F1 x 100 (rouge-score rouge1/rouge2/rougeL, use_stemmer=True), mean over articles;",
        "   every method at the reference's word count, one budget rule: whole sentences best first, one that",
        "   would go over the budget skipped, stop at the budget, first pick always kept; document order.",
        f"   (bbc-dev references: a space put back after {spaces} run-together full stops before counting/scoring)",
    ]
    checks: list[str] = []
    for dataset, result in results.items():
        rows = []
        mean_budget = statistics.mean(result.budgets)
        n = len(result.budgets)
        for method in METHODS:
            scores = result.scores[method]
            rows.append([method, *(f"{100 * statistics.mean(scores[k]):.2f}" for k in ROUGE_TYPES),
                         f"{statistics.mean(result.words[method]):.1f}", str(result.over[method]),
                         f"{result.first[method]}/{n}"])
        lines += ["", f"{labels[dataset]}; mean budget {mean_budget:.1f} words:",
                  *table(["method", "ROUGE-1", "ROUGE-2", "ROUGE-L", "words used", "over budget",
                          "has 1st sentence"], rows)]
        ours = result.scores[DIGEST_METHOD]
        for baseline in ("Lead-k", "sumy TextRank", "sumy LexRank"):
            theirs = result.scores[baseline]
            wins = sum(a > b + 1e-9 for a, b in zip(ours["rouge2"], theirs["rouge2"], strict=True))
            losses = sum(b > a + 1e-9 for a, b in zip(ours["rouge2"], theirs["rouge2"], strict=True))
            lines.append(f"  {DIGEST_METHOD} vs {baseline}, per article on ROUGE-2: {wins} better, "
                         f"{losses} worse, {n - wins - losses} equal")
            if baseline == "Lead-k" and dataset == "bbc":
                continue  # the target asks to beat Lead-k on CNN only
            for kind, label in (("rouge1", "ROUGE-1"), ("rouge2", "ROUGE-2")):
                a, b = 100 * statistics.mean(ours[kind]), 100 * statistics.mean(theirs[kind])
                checks.append(f"  {dataset}-dev {label}: {DIGEST_METHOD} {a:.2f} > {baseline} {b:.2f}"
                              f"  {verdict(a > b)}")
    lines += ["", "targets (issue 4): ROUGE-1 and ROUGE-2 above Lead-k on CNN and above every sumy method on both:",
              *checks]
    lines += ["", *summary_diagnosis(results, docs)]
    return lines


def normalised(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def summary_diagnosis(results: dict[str, SummaryResult], docs: Sequence[Doc]) -> list[str]:
    """Where digest textrank loses: what the extractive BBC references take, the worst articles against Lead-k."""
    from digest.analyze.summarize import repeats_title, standalone_factor

    lines = ["diagnosis:"]
    bbc = [doc for doc in docs if doc.dataset == "bbc"]
    if "bbc" in results and bbc:
        # The BBC references are extractive: the article sentences they contain are the ones a human took.
        taken = {"reference": [[normalised(s) in normalised(doc.reference) for s in doc.sentences] for doc in bbc]}
        for method in ("Lead-k", "sumy TextRank", DIGEST_METHOD):
            taken[method] = [[s in chosen for s in doc.sentences]
                             for doc, chosen in zip(bbc, results["bbc"].chosen[method], strict=True)]
        rows = []
        for method, flags in taken.items():
            picked = [(doc, i) for doc, row in zip(bbc, flags, strict=True) for i, flag in enumerate(row) if flag]
            rows.append([method, str(len(picked)),
                         f"{statistics.mean(i / len(doc.sentences) for doc, i in picked):.2f}",
                         f"{statistics.mean(word_count(doc.sentences[i]) for doc, i in picked):.1f}",
                         f"{sum(standalone_factor(doc.sentences[i]) < 1 for doc, i in picked) / len(picked):.0%}",
                         f"{sum(i == 0 for _, i in picked)}/{len(bbc)}"])
        share = statistics.mean(sum(row) / len(row) for row in taken["reference"])
        lines += [f"  bbc-dev sentences taken (the reference takes {share:.0%} of each article's sentences; "
                  "'penalised': digest's standalone_factor < 1):",
                  *("    " + line for line in table(["by", "sentences", "mean rel. position", "mean words",
                                                      "penalised", "1st sentence"], rows))]
    for dataset, result in results.items():
        subset = [doc for doc in docs if doc.dataset == dataset]
        title_first = sum(bool(doc.sentences) and repeats_title(doc.sentences[0], doc.article.title) for doc in subset)
        lines.append(f"  {dataset}-dev: first sentence repeats the title (digest scores it 0): {title_first}/"
                     f"{len(subset)}; worst articles for {DIGEST_METHOD} against Lead-k (ROUGE-2):")
        ours, lead = result.scores[DIGEST_METHOD]["rouge2"], result.scores["Lead-k"]["rouge2"]
        worst = sorted(range(len(subset)), key=lambda i: ours[i] - lead[i])[:3]
        for i in worst:
            if ours[i] >= lead[i]:
                break
            doc = subset[i]
            picked = [doc.sentences.index(s) if s in doc.sentences else -1 for s in result.chosen[DIGEST_METHOD][i]]
            lead_picked = [doc.sentences.index(s) for s in result.chosen["Lead-k"][i]]
            lines.append(f"    {excerpt(doc.name, 24)}: {100 * ours[i]:.1f} vs {100 * lead[i]:.1f}; sentences "
                         f"{picked} vs {lead_picked} of {len(doc.sentences)} (budget {doc.budget} words)")
    return lines


def quote_report(result: QuoteResult) -> list[str]:
    correct = [(g, q) for g, q, _ in result.matched if speaker_key(q.speaker) == speaker_key(g["speaker_canonical"])]
    wrong = [(g, q) for g, q, _ in result.matched if speaker_key(q.speaker) != speaker_key(g["speaker_canonical"])]
    matched = len(result.matched)
    precision = matched / result.found if result.found else 0.0
    recall = matched / result.gold if result.gold else 0.0
    accuracy = len(correct) / matched if matched else 0.0
    long_gold = result.gold - sum(len(quote_tokens(e["quote"])) < SHORT_QUOTE_WORDS for e in
                                  [*(g for g, _, _ in result.matched), *result.misses])
    long_matched = sum(len(quote_tokens(g["quote"])) >= SHORT_QUOTE_WORDS for g, _, _ in result.matched)
    lines = [
        "2. Pull-quotes: digest.analyze.quotes.find_quotes (all quotes found) vs quotes_gold.jsonl",
        f"   matching (lower-case words, punctuation dropped): word-set Jaccard >= {QUOTE_JACCARD}, or one's words a",
        "   contiguous run of the other's and at least half as many; one to one, most similar pairs first.",
        "   speaker: correct when equal to speaker_canonical, ignoring case, honorifics and quoted nicknames.",
        *table(["file", "gold", "found", "matched"], [[n, str(g), str(f), str(m)] for n, g, f, m in result.per_file]),
        "",
        f"precision         {precision:.3f}  ({matched}/{result.found})   target >= 0.95  {verdict(precision >= 0.95)}",
        f"recall            {recall:.3f}  ({matched}/{result.gold})   target >= 0.90  {verdict(recall >= 0.90)}",
        f"speaker accuracy  {accuracy:.3f}  ({len(correct)}/{matched} matched)   target >= 0.90  "
        f"{verdict(accuracy >= 0.90)}",
        f"  recall without the gold quotes under {SHORT_QUOTE_WORDS} words (find_quotes skips those by design): "
        f"{long_matched / long_gold if long_gold else 0:.3f} ({long_matched}/{long_gold})",
        f"  speaker right over all {result.gold} gold quotes (a miss counts as wrong): "
        f"{len(correct) / result.gold if result.gold else 0:.3f}",
        "",
        f"misses ({len(result.misses)}): gold quotes with no found quote",
    ]
    for entry in result.misses:
        size = len(quote_tokens(entry["quote"]))
        reason = f"{size} words, under {SHORT_QUOTE_WORDS}" if size < SHORT_QUOTE_WORDS else f"{size} words"
        lines.append(f"  {entry['file']} [{entry['type']}, {reason}; {gold_category(entry)}] "
                     f"\"{excerpt(entry['quote'], 60)}\" — {entry['speaker_canonical']}")
    lines.append(f"false positives ({len(result.false_positives)}): found quotes matching no gold quote")
    for name, quote in result.false_positives:
        lines.append(f"  {name} \"{excerpt(quote.text, 60)}\" — {quote.speaker}")
    lines.append(f"wrong speakers ({len(wrong)} of {matched} matched): gold canonical vs found")
    for entry, quote in wrong:
        lines.append(f"  {entry['file']} [{gold_category(entry)}] \"{excerpt(entry['quote'], 45)}\" — "
                     f"{entry['speaker_canonical']!r} vs {quote.speaker!r}")
    partial = [(g, q, s) for g, q, s in result.matched if s < 1.0]
    if partial:
        lines.append(f"matched with different extent ({len(partial)}): gold words vs found words")
        for entry, quote, similarity in partial:
            lines.append(f"  {entry['file']} {len(quote_tokens(entry['quote']))} vs {len(quote_tokens(quote.text))}"
                         f" (Jaccard {similarity:.2f}) found \"{excerpt(quote.text, 60)}\"")
    by_category = Counter(gold_category(g) for g, _ in wrong) + Counter(gold_category(g) for g in result.misses)
    totals = Counter(gold_category(g) for g, _, _ in result.matched) + Counter(gold_category(g)
                                                                                for g in result.misses)
    lines.append("errors (miss or wrong speaker) by how quotes_gold.jsonl writes the speaker: "
                 + ", ".join(f"{category} {by_category[category]}/{totals[category]}"
                             for category in sorted(totals, key=lambda c: -totals[c])))
    return lines


def topic_report(result: TopicResult) -> list[str]:
    n = len(result.truth)
    correct = sum(t == p for t, p in zip(result.truth, result.predicted, strict=True))
    accuracy = correct / n if n else 0.0
    columns = [*TOPIC_NAMES, "(none)"]
    confusion = Counter(zip(result.truth, result.predicted, strict=True))
    extra = sorted({p for p in result.predicted if p not in columns})
    rows = [[truth, *(str(confusion[(truth, p)]) for p in [*columns, *extra])] for truth in TOPIC_NAMES]
    purity_hits = sum(Counter(labels).most_common(1)[0][1] for _, labels in result.discovered)
    purity = purity_hits / n if n else 0.0
    discovered = result.discovered
    best = [max(scores, key=lambda slug: (scores[slug], slug)) if any(scores.values()) else "(none)"
            for scores in result.scores]
    argmax = sum(t == b for t, b in zip(result.truth, best, strict=True))
    lines = [
        "3. Topics on bbc-dev (50), config bench/topics.yaml (5 declared topics, 10 general keywords each)",
        f"top assigned topic == folder: {accuracy:.0%} ({correct}/{n})   target >= 95%  {verdict(accuracy >= 0.95)}",
        f"articles given more than one topic: {sum(count > 1 for count in result.assigned_counts)}/{n}; "
        f"none: {sum(count == 0 for count in result.assigned_counts)}/{n}",
        "confusion (rows: folder, columns: top assigned topic):",
        *table(["folder", *columns, *extra], rows),
        f"the best-scoring topic, ignoring topic_threshold ({result.threshold}): {argmax}/{n} right",
        "wrong or none, with each declared topic's score (digest.analyze.topics.TopicMatcher.score):",
        *(f"  {name:22} -> {predicted:9} " + " ".join(f"{slug[:5]} {value:.2f}" for slug, value in scores.items())
          for name, truth, predicted, scores in zip(result.names, result.truth, result.predicted, result.scores,
                                                    strict=True) if truth != predicted),
        "",
        f"no topics declared: {len(discovered)} discovered topic(s), the catch-all 'Other' included "
        f"(collect.with_discovered_topics), purity "
        f"{purity:.2f} ({purity_hits}/{n})   target >= 0.85  {verdict(purity >= 0.85)}",
    ]
    for name, labels in discovered:
        mix = ", ".join(f"{label} {count}" for label, count in Counter(labels).most_common())
        lines.append(f"  {excerpt(name, 40):40}  {len(labels):2} articles: {mix}")
    return lines


def time_report(docs: Sequence[Doc], times: Sequence[float], repeats: int) -> list[str]:
    rows = []
    for label, subset in (("bbc-dev", "bbc"), ("cnn-dev", "cnn"), ("all", None)):
        values = [t for doc, t in zip(docs, times, strict=True) if subset is None or doc.dataset == subset]
        rows.append([label, str(len(values)), f"{statistics.median(values):.2f}", f"{p95(values):.2f}",
                     f"{max(values):.2f}"])
    median = statistics.median(times)
    return [
        f"4. analyze_article per article, config bench/topics.yaml (textrank, 3 sentences, 5 topics); each "
        f"article's median of {repeats} run(s), ms:",
        *table(["articles", "n", "median", "p95", "max"], rows),
        f"median {median:.2f} ms   target <= 20 ms  {verdict(median <= 20)}",
    ]


# --- main -----------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Quality of digest's analysis against human references.")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help=f"the development corpus (default: {CORPUS})")
    parser.add_argument("--repeats", type=int, default=3, help="timing runs per article (default: 3)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    corpus = args.corpus.resolve()
    if not (corpus / "bbc-dev").is_dir() or not (corpus / "quotes_gold.jsonl").is_file():
        say(f"the development corpus is not at {corpus} (see its README); nothing to measure")
        return 2
    sys.path.insert(0, str(REPO))
    try:
        import rouge_score  # noqa: F401
        import sumy  # noqa: F401
    except ImportError as error:
        say(f"missing bench dependency ({error.name}); run: .venv/bin/pip install -r requirements-bench.txt")
        return 2
    from digest.config import load_config

    started = time.perf_counter()
    started_at = datetime.now().astimezone()
    load = " ".join(f"{value:.2f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    config = load_config(TOPICS_CONFIG, required=True)

    say("reading the dev articles")
    docs, spaces = load_docs(corpus)
    say("summaries: 5 methods x 150 articles")
    summary = bench_summaries(docs, config)
    say("quotes")
    quotes = bench_quotes(corpus)
    say("topics")
    topics = bench_topics(docs, config)
    say(f"timing analyze_article, {args.repeats} run(s)")
    times = bench_time(docs, config, args.repeats)

    corpus_flag = "" if corpus == CORPUS.resolve() else f" --corpus {corpus}"
    repeats_flag = "" if args.repeats == 3 else f" --repeats {args.repeats}"
    out = [
        "digest analysis quality (bench/bench_analysis.py, issue 4)",
        *machine_lines(started_at, load, ("rouge-score", "sumy", "nltk", "numpy"), f"nltk punkt data: {punkt_state()}"),
        f"input:   {sum(d.dataset == 'bbc' for d in docs)} BBC + {sum(d.dataset == 'cnn' for d in docs)} CNN dev "
        f"articles from {corpus}, read with digest.ingest.article_for_analysis",
        "sumy:    ObjectDocumentModel of digest's sentence splits; words by nltk NLTKWordTokenizer (no punkt),"
        " Snowball stemmer, sumy's English stop words",
        "",
        *summary_report(summary, docs, spaces),
        "",
        *quote_report(quotes),
        "",
        *topic_report(topics),
        "",
        *time_report(docs, times, args.repeats),
        "",
        f"whole benchmark: {time.perf_counter() - started:.0f} s",
        f"rerun:   {RERUN}{repeats_flag}{corpus_flag}",
        "         (bench extras once: .venv/bin/pip install -r requirements-bench.txt)",
    ]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
