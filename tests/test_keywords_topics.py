"""Keywords of one article, declared topics it matches, and topics discovered from what articles say."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.analyze import topics as topics_module
from digest.analyze.keywords import keywords
from digest.analyze.text import content_terms
from digest.analyze.topics import (
    TopicText,
    assign_topics,
    discover_topics,
    discovered_name,
    pinned_topic_slugs,
    word_family,
)
from digest.collect import with_discovered_topics
from digest.config import Config, TopicConfig
from digest.models import Analysis, AnalyzedArticle, Article, Block, Candidate

SEED = Path(__file__).resolve().parent.parent / "content" / "inbox" / "000_de7211a80492f84d.txt"
THRESHOLD = 0.3  # as in the project's config.yaml

TOPICS = (
    TopicConfig(
        "world",
        "World",
        "Conflicts, diplomacy and governments around the world.",
        ("war", "military", "troops", "invasion", "president", "government", "border", "attack", "ceasefire"),
    ),
    TopicConfig(
        "business",
        "Business",
        "Companies, markets, jobs and the economy.",
        ("economy", "market", "company", "shares", "profit", "bank", "growth", "inflation", "jobs", "trade"),
    ),
    TopicConfig(
        "sport",
        "Sport",
        "Matches, players, teams and tournaments.",
        ("match", "team", "player", "coach", "season", "cup", "championship", "league", "win", "game"),
    ),
)

FOOTBALL = (
    "The coach praised his team after the cup match. The players scored twice in the second half and the "
    "win lifts the team to third in the league with ten games of the season left."
)
EARNINGS = (
    "The company reported a record profit as shares rose on the stock market. The bank expects growth in "
    "the economy to slow and inflation to ease, which could hurt jobs and trade."
)
CAKE = "Mix the flour, sugar and eggs in a bowl. Bake the sponge for forty minutes and leave it to cool."


def seed() -> tuple[str, list[Block]]:
    if not SEED.is_file():
        pytest.skip(f"seed article not found at {SEED}")
    parts = [part.strip() for part in SEED.read_text(encoding="utf-8").split("\n\n") if part.strip()]
    return parts[0], [Block("paragraph", part) for part in parts[1:]]


# --- keywords ---------------------------------------------------------------------------------------


def test_seed_keywords_name_the_places() -> None:
    title, blocks = seed()
    found = keywords(title, blocks, 8)
    assert len(found) == 8
    assert "Kyiv" in found
    assert "Ukraine" in found


def test_keywords_respect_the_limit() -> None:
    title, blocks = seed()
    assert keywords(title, blocks, 0) == []
    assert keywords(title, blocks, 3) == keywords(title, blocks, 8)[:3]


def test_acronyms_keep_their_capitals() -> None:
    blocks = [
        Block("paragraph", "NATO leaders met in Brussels. The NATO summit discussed the war."),
        Block("paragraph", "The UK and the US pledged more aid, and NATO agreed to send troops."),
        Block("paragraph", "Diplomats said the UK would host the next NATO meeting."),
    ]
    found = keywords("Leaders meet in Brussels", blocks, 6)
    assert "NATO" in found
    assert "UK" in found
    assert not {"nato", "uk"} & set(found)


def test_possessives_and_contractions() -> None:
    blocks = [
        Block("paragraph", "Let's be clear. Let's wait. NATO's chief met NATO's allies. Let's see the NATO plan.")
    ]
    found = keywords("Allies wait", blocks, 8)
    assert "NATO" in found
    assert not {"let", "let's", "NATO's"} & set(found)


def test_title_case_and_sentence_openings_do_not_capitalise_words() -> None:
    blocks = [
        Block("paragraph", "Markets fell sharply. Traders said markets would stay volatile as markets reopened."),
        Block("paragraph", "Analysts expect markets to stay weak and shares to stay low."),
    ]
    found = keywords("Markets Stay Weak", blocks, 4)
    assert "markets" in found
    assert "stay" in found
    assert "Markets" not in found and "Stay" not in found


def test_shouting_title_is_not_an_acronym() -> None:
    blocks = [Block("paragraph", "The flood reached the town overnight. The flood destroyed homes.")]
    found = keywords("FLOOD DESTROYS HOMES", blocks, 3)
    assert "flood" in found
    assert "FLOOD" not in found


def test_captions_do_not_make_keywords() -> None:
    blocks = [
        Block("paragraph", "The river burst its banks and the river flooded the valley."),
        Block("caption", "Giraffe giraffe giraffe giraffe at the zoo"),
    ]
    assert "giraffe" not in [word.lower() for word in keywords("River floods valley", blocks, 8)]


# --- declared topics -----------------------------------------------------------------------------


def test_seed_is_world_news() -> None:
    title, blocks = seed()
    body = "\n".join(block.text for block in blocks)
    assert assign_topics(title, body, TOPICS, THRESHOLD) == ("world",)


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("Late goal wins the cup tie", FOOTBALL, ("sport",)),
        ("Record profit for the bank", EARNINGS, ("business",)),
        ("A simple sponge cake", CAKE, ()),
        ("", "", ()),
    ],
    ids=["sport", "business", "unrelated", "empty"],
)
def test_assign_topics(title: str, text: str, expected: tuple[str, ...]) -> None:
    assert assign_topics(title, text, TOPICS, THRESHOLD) == expected


@pytest.mark.parametrize(
    ("words", "family"),
    [
        (["politics", "political", "politician", "politicians"], "polit"),
        (["economy", "economic", "economics", "economist"], "econom"),
        (["job", "jobs"], "job"),
        (["match", "matches"], "match"),
        (["company", "companies"], "compan"),
    ],
)
def test_word_families(words: list[str], family: str) -> None:
    assert {word_family(term) for word in words for term in content_terms(word)} == {family}


def test_word_families_keep_different_words_apart() -> None:
    assert word_family("party") != word_family("part")
    assert word_family("police") != word_family("policy")
    assert word_family("star") != word_family("start")


def test_a_keyword_family_matches() -> None:
    text = "Economists cut their forecasts as economic growth slowed and companies froze hiring."
    assert assign_topics("Forecasts cut again", text, TOPICS, THRESHOLD) == ("business",)


def test_one_keyword_decides_when_no_other_topic_is_named() -> None:
    assert assign_topics("Quiet week", "The league meets on Friday to agree the calendar.", TOPICS, THRESHOLD) == (
        "sport",
    )


def test_evidence_spread_over_topics_decides_nothing() -> None:
    # One keyword of each topic: no topic holds half the evidence.
    text = "The troops, the bank and the team were all mentioned once."
    assert assign_topics("A mixed bag", text, TOPICS, 0.5) == ()
    # With a lower threshold the three tie and all are assigned, in slug order.
    assert assign_topics("A mixed bag", text, TOPICS, 0.3) == ("business", "sport", "world")


def test_threshold_zero_takes_the_best_topic() -> None:
    text = "The team won the cup match, and shares in the club rose."
    assert assign_topics("", text, TOPICS, 0.0)[0] == "sport"


def test_no_declared_topics_means_none_assigned() -> None:
    assert assign_topics("Late goal wins the cup tie", FOOTBALL, (), THRESHOLD) == ()


def test_pinned_topics_match_declared_ones_by_name_or_slug() -> None:
    assert pinned_topic_slugs(["SPORT", "business", "Space Flight", "sport"], TOPICS) == (
        "sport",
        "business",
        "space-flight",
    )


# --- discovered topics ---------------------------------------------------------------------------


def by_keywords(*keyword_lists: list[str]) -> list[TopicText]:
    """Articles known only by their keywords (no title, no text)."""
    return [TopicText("", "", tuple(keywords)) for keywords in keyword_lists]


def test_discover_groups_articles_that_share_keywords() -> None:
    keyword_lists = [
        ["Kyiv", "Ukraine", "missile", "Russian", "capital"],
        ["Arsenal", "Wenger", "club", "contract", "signed"],
        ["Ukraine", "Kyiv", "Zelensky", "troops", "border"],
        ["Wenger", "Arsenal", "Reyes", "Madrid", "transfer"],
        ["Ethiopia", "crop", "tonnes", "food", "drought"],
    ]
    topics = discover_topics(by_keywords(*keyword_lists), set())
    assert [topic.members for topic in topics] == [(0, 2), (1, 3), (4,)]
    # Named from the keywords the members share, never "Topic 1".
    assert topics[0].name == "Kyiv, Ukraine"
    assert topics[1].name == "Arsenal, Wenger"
    assert topics[0].slug == "kyiv-ukraine"
    assert not any(topic.name.lower().startswith("topic") for topic in topics)


def test_discover_never_reuses_a_taken_slug() -> None:
    keyword_lists = [["Kyiv", "Ukraine", "missile"], ["Ukraine", "Kyiv", "troops"], ["Arsenal", "Wenger", "club"]]
    taken = {"kyiv-ukraine", "kyiv-ukraine-2", "arsenal-wenger"}
    topics = discover_topics(by_keywords(*keyword_lists), taken)
    slugs = [topic.slug for topic in topics]
    assert slugs == ["kyiv-ukraine-3", "arsenal-wenger-2"]
    assert not set(slugs) & taken
    assert "kyiv-ukraine" in taken and len(taken) == 3, "the caller's set is not changed"


def test_discovered_slugs_are_unique_among_themselves() -> None:
    # Two groups with no keyword in common but the same two top keywords would share a name.
    first = ["Alpha", "Beta", "gamma", "delta", "epsilon", "zeta"]
    second = ["Alpha", "Beta", "x1", "x2", "x3", "x4"]
    topics = discover_topics(by_keywords(first, second, first, second), set())
    assert [topic.name for topic in topics] == ["Alpha, Beta", "Alpha, Beta"]
    assert [topic.slug for topic in topics] == ["alpha-beta", "alpha-beta-2"]


def test_articles_without_keywords_share_one_group() -> None:
    topics = discover_topics(by_keywords([], ["Kyiv", "Ukraine"], [], ["Kyiv", "Ukraine", "war"]), set())
    assert [(topic.name, topic.members) for topic in topics] == [("Other", (0, 2)), ("Kyiv, Ukraine", (1, 3))]
    assert discover_topics([], set()) == []


def test_articles_alike_to_no_other_are_pooled_into_one_topic() -> None:
    topics = discover_topics(by_keywords(["Kyiv", "Ukraine"], ["harbour", "ferry"], ["budget", "council"]), {"other"})
    assert [(topic.name, topic.slug, topic.members) for topic in topics] == [("Other", "other-2", (0, 1, 2))]
    alone = discover_topics(by_keywords(["Kyiv", "Ukraine"]), set())
    assert [(topic.name, topic.members) for topic in alone] == [("Kyiv, Ukraine", (0,))]


# Short made-up reports on three subjects, for the grouping by text.
FERRY = [
    ("Ferry strike halts island crossings", "Ferry crews walked out over pay, and island ferry crossings stopped."),
    ("Island ferry strike enters second week", "The ferry strike left island residents without crossings."),
    ("Ferry crews reject pay offer", "Striking ferry crews rejected the pay offer; island crossings stay shut."),
]
CHESS = [
    ("Chess champion wins opening game", "The chess champion won the opening game of the title match."),
    ("Challenger draws second chess game", "The chess challenger held the champion to a draw in game two."),
    ("Chess title match level after six games", "The chess title match is level after six games."),
]
BAKING = [("Village bakery named best in county", "A village bakery was named the best for its sourdough loaf.")]


def texts(*articles: tuple[str, str]) -> list[TopicText]:
    """Articles with the keywords the analysis finds in them (a group is named from those)."""
    return [TopicText(title, text, tuple(keywords(title, (Block("paragraph", text),))))
            for title, text in articles]


def test_discover_groups_articles_about_the_same_thing() -> None:
    articles = texts(FERRY[0], CHESS[0], FERRY[1], CHESS[1], FERRY[2], CHESS[2], BAKING[0])
    topics = discover_topics(articles, set())
    assert [topic.members for topic in topics] == [(0, 2, 4), (1, 3, 5), (6,)]


def test_discover_is_deterministic() -> None:
    articles = texts(*FERRY, *CHESS, *BAKING)
    assert discover_topics(articles, set()) == discover_topics(list(articles), set())


def test_articles_past_the_clustering_cap_join_the_groups_they_resemble(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(topics_module, "MAX_CLUSTERED", 4)
    # The first four (newest) are clustered; the older ones join the group they are most alike to.
    articles = texts(FERRY[0], CHESS[0], FERRY[1], CHESS[1], FERRY[2], CHESS[2], BAKING[0])
    topics = discover_topics(articles, set())
    assert [topic.members for topic in topics] == [(0, 2, 4), (1, 3, 5), (6,)]


def test_with_discovered_topics_does_not_depend_on_the_order_given() -> None:
    def item(number: int, title: str, text: str) -> AnalyzedArticle:
        article = Article(
            path=Path(f"a{number}.md"), slug=f"a{number}", title=title, date=datetime(2024, 1, number + 1, tzinfo=UTC),
            author=None, source=None, body_html="", blocks=(Block("paragraph", text),), word_count=len(text.split()),
        )
        analysis = Analysis(summary=(), quotes=(), keywords=tuple(keywords(title, article.blocks)), topics=(),
                            candidates=(Candidate(text, 0, 1.0),))
        return AnalyzedArticle(article, analysis)

    items = [item(number, *pair) for number, pair in enumerate([*FERRY, *CHESS])]
    config = Config(root=Path("."))
    forward, names = with_discovered_topics(items, config)
    backward, _ = with_discovered_topics(list(reversed(items)), config)
    assert {one.article.slug: one.analysis.topics for one in forward} == {
        one.article.slug: one.analysis.topics for one in backward
    }
    assert len(names) == 2


def test_a_group_sharing_no_keyword_is_not_named_after_one_article() -> None:
    assert discovered_name([["storm", "bridge"], ["council", "lanes"], ["hospital", "nurses"]]) == "More stories"
    assert discovered_name([["Kyiv", "storm"], ["Kyiv", "missile"]]) == "Kyiv"
    assert discovered_name([["Kyiv", "Ukraine"]]) == "Kyiv, Ukraine"


def test_groups_sharing_no_keyword_go_to_other_rather_than_to_several_topics_of_one_name() -> None:
    # Alike in their words, two by two, but no keyword in common within a pair: each pair was a
    # topic called "More stories", and a site showed "More stories" again and again.
    harbour = "harbour ferry storm coast tide pier waves"
    budget = "budget council tax schools roads spending vote"
    articles = [TopicText("", harbour, ("Alpha",)), TopicText("", budget, ("Gamma",)),
                TopicText("", harbour + " night", ("Beta",)), TopicText("", budget + " year", ("Delta",))]
    topics = discover_topics(articles, set())
    assert [(topic.name, topic.members) for topic in topics] == [("Other", (0, 1, 2, 3))]
    # With a named group beside them, that one keeps its name.
    kyiv = "kyiv missile ukraine capital troops border"
    named = discover_topics([*articles, TopicText("", kyiv, ("Kyiv",)), TopicText("", kyiv + " war", ("Kyiv",))], set())
    assert [(topic.name, topic.members) for topic in named] == [("Other", (0, 1, 2, 3)), ("Kyiv", (4, 5))]


def test_a_lone_article_beside_unnamed_groups_goes_to_other_with_them() -> None:
    # The unnamed groups join the loners before a lone article may keep a topic of its own: it was
    # a topic of one article beside an "Other" of four.
    harbour = "harbour ferry storm coast tide pier waves"
    budget = "budget council tax schools roads spending vote"
    articles = [TopicText("", harbour, ("Alpha",)), TopicText("", budget, ("Gamma",)),
                TopicText("", harbour + " night", ("Beta",)), TopicText("", budget + " year", ("Delta",)),
                TopicText("", "sourdough loaf oven flour bakery crust", ("Bakery", "Bread"))]
    assert [(topic.name, topic.members) for topic in discover_topics(articles, set())] == [("Other", (0, 1, 2, 3, 4))]
