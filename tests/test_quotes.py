"""Pull-quotes: which quotations are found, who said them, and which come first."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from digest.analyze.quotes import MAX_QUOTE_CHARS, find_quotes, pull_quotes, shorten
from digest.analyze.text import quote_spans
from digest.models import Block, Quote

SEED = Path(__file__).resolve().parent.parent / "content" / "inbox" / "000_de7211a80492f84d.txt"


def paragraphs(*texts: str) -> list[Block]:
    return [Block("paragraph", text) for text in texts]


def seed_blocks() -> list[Block]:
    if not SEED.is_file():
        pytest.skip(f"seed article not found at {SEED}")
    parts = [part.strip() for part in SEED.read_text(encoding="utf-8").split("\n\n") if part.strip()]
    return paragraphs(*parts[1:])  # the first part is the title


# --- the seed article -------------------------------------------------------------------------


def test_seed_best_quote_is_zelensky_with_his_full_name() -> None:
    best = pull_quotes(seed_blocks(), 3)[0]
    assert best.text.startswith("They're killing people and turning peaceful cities into military targets.")
    assert best.text.endswith("Everyone is afraid.")
    # The article says "Zelensky said" after naming "President Volodymyr Zelensky" once.
    assert best.speaker == "Volodymyr Zelensky"


def test_seed_scare_quotes_are_never_quotes() -> None:
    texts = [quote.text for quote in find_quotes(seed_blocks())]
    assert texts, "the seed has one real quotation"
    for scare in ("heroes", "target number one"):
        assert not any(scare in text.lower() for text in texts), scare


# --- marks --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paragraph", "text", "speaker"),
    [
        pytest.param(
            "“We will not surrender to anyone, not now and not ever,” said Marc Toutai, an economist at the bank.",
            "We will not surrender to anyone, not now and not ever.",
            "Marc Toutai",
            id="curly, said X, an economist",
        ),
        pytest.param(
            "«We will not give in to anyone at all», said Marc Toutai.",
            "We will not give in to anyone at all",
            "Marc Toutai",
            id="guillemets",
        ),
        pytest.param(
            "« Nous ne céderons jamais devant personne ici », a déclaré le ministre.",
            "Nous ne céderons jamais devant personne ici",
            None,
            id="guillemets with spaces",
        ),
        pytest.param(
            "„Wir schaffen das ganz sicher bis morgen“, sagte sie. „Das ist nun wirklich gar nicht so einfach“, sagte er.",
            "Wir schaffen das ganz sicher bis morgen",
            None,
            id="German low-high marks",
        ),
        pytest.param(
            'Mr Johnson met them. "We will win this war against all odds," the prime minister said. '
            "Prime Minister Boris Johnson left.",
            "We will win this war against all odds.",
            "Boris Johnson",
            id="the prime minister said",
        ),
        pytest.param(
            '"We will keep fighting for every single street," said Ukraine\'s President Volodymyr Zelensky.',
            "We will keep fighting for every single street.",
            "Volodymyr Zelensky",
            id="said Country's President Name",
        ),
    ],
)
def test_quotation_and_speaker(paragraph: str, text: str, speaker: str | None) -> None:
    quotes = find_quotes(paragraphs(paragraph))
    assert quotes[0] == Quote(text, speaker)


def test_german_quotes_are_each_found() -> None:
    quotes = find_quotes(
        paragraphs("„Wir schaffen das ganz sicher bis morgen“, sagte sie. „Das ist nun wirklich gar nicht so einfach“.")
    )
    assert [quote.text for quote in quotes] == [
        "Wir schaffen das ganz sicher bis morgen",
        "Das ist nun wirklich gar nicht so einfach",
    ]


def test_according_to_after_the_quote() -> None:
    quotes = find_quotes(paragraphs('"Prices will keep rising for at least a year," according to Marc Toutai.'))
    assert quotes == [Quote("Prices will keep rising for at least a year.", "Marc Toutai")]


def test_according_to_before_the_quote() -> None:
    quotes = find_quotes(paragraphs('According to Marc Toutai, "prices will keep rising for at least a year."'))
    assert quotes == [Quote("prices will keep rising for at least a year.", "Marc Toutai")]


def test_short_name_resolves_to_the_fullest_name_in_the_article() -> None:
    blocks = paragraphs(
        "Economist Marc Toutai spoke on Monday.",
        '"Prices will keep rising for at least a year," Toutai said.',
    )
    assert find_quotes(blocks)[0].speaker == "Marc Toutai"


def test_unattributed_quote_has_no_speaker() -> None:
    quotes = find_quotes(paragraphs('The sign read: "This shop will stay closed until further notice."'))
    assert quotes == [Quote("This shop will stay closed until further notice.", None)]


def test_pronoun_after_a_named_quote_keeps_the_speaker() -> None:
    blocks = paragraphs(
        '"We have done everything we could for the town," said Anna Smith.',
        'He said: "Nobody else was willing to help the families who lost everything."',
        '"It will take years before the town is rebuilt again," she added.',
    )
    assert [quote.speaker for quote in find_quotes(blocks)] == ["Anna Smith"] * 3


def test_quote_running_on_over_joined_paragraphs_keeps_one_speaker() -> None:
    # BBC style: a quote spanning paragraphs opens again without closing; once joined into one
    # paragraph both parts are found and both belong to the speaker named once.
    paragraph = (
        "Thomas Castaignede said: \"You can't say any of those results have eased the pressure on Laporte. "
        '"Had England\'s kickers not been so bad, the position would be very different now." Laporte left.'
    )
    quotes = find_quotes(paragraphs(paragraph))
    assert quotes == [
        Quote("You can't say any of those results have eased the pressure on Laporte.", "Thomas Castaignede"),
        Quote("Had England's kickers not been so bad, the position would be very different now.", "Thomas Castaignede"),
    ]


def test_nested_quotation_is_part_of_the_outer_one() -> None:
    quotes = find_quotes(paragraphs("“He told me «go home and stay there» and then he left us,” said Anna Smith."))
    assert quotes == [Quote("He told me «go home and stay there» and then he left us.", "Anna Smith")]


# --- things that are not quotations ---------------------------------------------------------------


def test_inch_mark_and_apostrophes_are_not_quotes() -> None:
    blocks = paragraphs(
        "She was 5'11\" tall and loved rock ’n’ roll and the band’s ’70s records more than anything.",
        'He stood 6\'2" in his socks. "They are here and they will stay for good," she said.',
    )
    assert find_quotes(blocks) == [Quote("They are here and they will stay for good.", None)]


@pytest.mark.parametrize(
    "paragraph",
    [
        'He called it "a special operation" and nothing more.',
        "The so-called «heroes» came home.",
        'She said she was "target number one."',
    ],
)
def test_scare_quotes_are_not_quotes(paragraph: str) -> None:
    assert find_quotes(paragraphs(paragraph)) == []


def test_headings_and_captions_give_no_quotes() -> None:
    blocks = [
        Block("heading", '"We will fight on the beaches and in the hills," he said'),
        Block("caption", '"We will never surrender to anyone at all," said the caption'),
    ]
    assert find_quotes(blocks) == []


def test_endless_quotation_marks_are_fast_and_never_run_to_the_end() -> None:
    real = '"We will fight on the beaches and in the hills," said Winston Churchill.'
    cases = [
        '"' * 80000,
        "“" * 80000,
        "«" * 40000 + "»" * 40000,
        '"' + "It goes on and on. " * 5000,  # opened, never closed
        'She said "' + "word " * 20000 + '" and left.',  # closed, but far too long for a pull-quote
        real + " " + '"' * 80000,
        '"a b c d e f g" ' * 5000,
    ]
    started = time.perf_counter()
    found = [pull_quotes(paragraphs(paragraph), 3) for paragraph in cases]
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0
    for quotes in found:
        assert all(len(quote.text) <= MAX_QUOTE_CHARS for quote in quotes)
    assert found[:5] == [[], [], [], [], []]
    assert found[5] == [Quote("We will fight on the beaches and in the hills.", "Winston Churchill")]


def test_many_attributed_quotes_in_one_paragraph_are_fast() -> None:
    # Resolving each speaker used to rescan the whole article, or every name in it, per quotation.
    paragraph = '"We will win this war against all odds," the minister said. Minister Anna Smith agreed. ' * 2000
    started = time.perf_counter()
    quotes = pull_quotes(paragraphs(paragraph), 3)
    assert time.perf_counter() - started < 2.0
    assert quotes[0] == Quote("We will win this war against all odds.", "Anna Smith")


# --- ranking --------------------------------------------------------------------------------------


def test_named_quote_of_eight_to_forty_words_ranks_first() -> None:
    long_named = " ".join(["We will rebuild every road and every bridge in this country"] * 6) + "."
    blocks = paragraphs(
        f'"{long_named}" said Anna Smith.',
        '"Nobody knows what will happen to the families who lost their homes this winter."',
        '"Far too little, far too late," said Marc Toutai.',
        '"The council has promised that every family will have a roof over their heads by March," '
        "said Marc Toutai, an economist.",
    )
    ranked = pull_quotes(blocks, 4)
    assert ranked[0].speaker == "Marc Toutai"
    assert ranked[0].text.startswith("The council has promised")
    assert len(ranked) == 4
    assert pull_quotes(blocks, 2) == ranked[:2]


def test_shorten_cuts_a_long_quote_at_a_sentence_end() -> None:
    text = "This is the first sentence of the quote. " * 3 + "And this last one pushes it far past the limit of words."
    short = shorten(Quote(text, "Anna Smith"), max_words=20)
    assert short.speaker == "Anna Smith"
    assert short.text == "This is the first sentence of the quote. This is the first sentence of the quote."


# --- quotation spans --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ('She said "yes" and "no" today.', ["yes", "no"]),
        ("„Ja“ und „nein“.", ["Ja", "nein"]),
        ("“One” and «two» and 「三」.", ["One", "two", "三"]),
        ('He said "this never closes. It goes on.', []),
        ('A 55" screen and a 5\'11" player.', []),
        ('He said "this never closes. Then "stop" was heard.', ["stop"]),
    ],
)
def test_quote_spans_pair_marks_by_direction(text: str, quoted: list[str]) -> None:
    found = [text[slice(*span.inner)] for span in quote_spans(text) if span.closed]
    assert found == quoted
