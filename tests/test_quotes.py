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
    pulled = [quote.text for quote in pull_quotes(seed_blocks(), 10)]
    assert not any(scare in text.lower() for text in pulled for scare in ("heroes", "target number one"))


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
        pytest.param(
            '"Inflation is likely to peak soon and then fall back," said Bank of England governor Mark Carney.',
            "Inflation is likely to peak soon and then fall back.",
            "Mark Carney",
            id="said Organisation of Place role Name",
        ),
        pytest.param(
            "Shop owner Casey Samson of Samson Family Leather in Lebanon told CNN that he read the law. "
            '"We have no issues serving a same sex couple at all," he said.',
            "We have no issues serving a same sex couple at all.",
            "Casey Samson",
            id="Name of Firm in Place told ... he said: not the place",
        ),
        pytest.param(
            "The source told CNN that al-Nusra leader Abu Mohammed al Jolani was not injured. A spokesman for the "
            'coalition that is hitting targets in Syria said its planes were not involved. "Within the last 24 '
            'hours, we have not conducted any airstrikes near the province," the spokesman said.',
            "Within the last 24 hours, we have not conducted any airstrikes near the province.",
            None,
            id="an unnamed spokesman in Place said ... the spokesman said: nobody named",
        ),
    ],
)
def test_quotation_and_speaker(paragraph: str, text: str, speaker: str | None) -> None:
    quotes = find_quotes(paragraphs(paragraph))
    assert quotes[0] == Quote(text, speaker)


@pytest.mark.parametrize(("attribution", "person"), [
    ("Starmer on Tuesday outside Downing Street", "Starmer"), ("Macron on Monday alongside Olaf Scholz", "Macron"),
    ("Zelensky on Sunday via Telegram", "Zelensky"), ("Biden on Thursday aboard Air Force One", "Biden"),
    ("Starmer speaking outside Downing Street", "Starmer"), ("Macron standing alongside Olaf Scholz", "Macron"),
    ("University of Oxford epidemiologist Jane Doe", "Jane Doe"), ("Council on Foreign Relations fellow Jane Doe", "Jane Doe"),
    ("Starmer visiting Kyiv", "Starmer"), ("Macron meeting Olaf Scholz", "Macron"),
])
def test_a_name_then_a_day_then_a_place_is_never_the_place(attribution: str, person: str) -> None:
    """'said X on Tuesday outside Y': Y is where, not who (unnamed, rather than the wrong person);
    'said University of Oxford epidemiologist Jane Doe': the person, not the university."""
    quotes = find_quotes(paragraphs(f'"We will not back down from this fight at all," said {attribution}.'))
    assert quotes[0].speaker in (None, person)


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


# --- speakers: attributions the article spells out in other ways -------------------------------------


def speakers(*texts: str) -> list[tuple[str, str | None]]:
    return [(quote.text, quote.speaker) for quote in find_quotes(paragraphs(*texts))]


def test_quote_after_an_attribution_continues_the_same_speaker() -> None:
    found = speakers(
        '"We will rebuild the bridge before the spring floods," said Anna Kowalski, the town\'s mayor. '
        '"The money for it is already in the bank."'
    )
    assert found == [
        ("We will rebuild the bridge before the spring floods.", "Anna Kowalski"),
        ("The money for it is already in the bank.", "Anna Kowalski"),
    ]


def test_continuation_stops_at_the_writers_own_sentence() -> None:
    found = speakers(
        '"The ferry will run again next week," said Tom Baker. The harbour has been shut since March. '
        '"Nobody has told the fishermen anything at all."'
    )
    assert found[1] == ("Nobody has told the fishermen anything at all.", None)


def test_quote_in_the_writers_sentence_is_not_continued() -> None:
    found = speakers(
        'The council called the plan "far too little and far too late". "We need the ferry back now," '
        "said Tom Baker."
    )
    assert found == [
        ("far too little and far too late", None),
        ("We need the ferry back now.", "Tom Baker"),
    ]


def test_name_with_an_appositive_before_the_verb() -> None:
    found = speakers('Tom Baker, chairman of the harbour trust, said: "The ferry will run again next week."')
    assert found == [("The ferry will run again next week.", "Tom Baker")]


@pytest.mark.parametrize(
    ("attribution", "speaker"),
    [
        ("said the head of the rescue team, Maria Lopez", "Maria Lopez"),
        ("said its chairman, Sir John Hale", "John Hale"),
        ("said chief executive Maria Lopez", "Maria Lopez"),
        ("said Leeds resident Maria Lopez", "Maria Lopez"),
        ("Maria Lopez, a volunteer with the rescue team, told reporters", "Maria Lopez"),
    ],
)
def test_description_then_name_after_the_quote(attribution: str, speaker: str) -> None:
    found = speakers(f'"Nobody expected the water to rise so quickly," {attribution}.')
    assert found == [("Nobody expected the water to rise so quickly.", speaker)]


@pytest.mark.parametrize("description", ["the Australian", "the 45-year-old", "the veteran"])
def test_description_is_the_person_last_named(description: str) -> None:
    found = speakers(
        "Coach Pete Miller watched the whole match from the stands.",
        f'"We defended well and we deserved the point today," {description} said.',
    )
    assert found == [("We defended well and we deserved the point today.", "Pete Miller")]


def test_description_of_a_body_is_nobody() -> None:
    found = speakers(
        "Coach Pete Miller watched the whole match from the stands.",
        '"The match will be replayed on a neutral ground," the league said.',
    )
    assert found[0][1] is None


def test_possessive_description_is_nobody_named() -> None:
    found = speakers(
        "Pete Miller watched the whole match from the stands.",
        '"The coach will speak to the players tomorrow morning," his spokesman said.',
    )
    assert found[0][1] is None


def test_pronoun_is_the_person_named_last_not_the_last_speaker() -> None:
    found = speakers(
        '"The season is far from over for this club," said Anna Smith.',
        "Her captain, Joe Brown, scored twice in the second half.",
        '"We will keep fighting for every single point," he said.',
    )
    assert [speaker for _, speaker in found] == ["Anna Smith", "Joe Brown"]


def test_pronoun_prefers_who_speaks_in_the_sentence_before() -> None:
    found = speakers(
        "Lord Baxter said that he and Lady Moore had become close friends over the years.",
        '"She was the kindest person I have ever worked with," he said.',
    )
    assert found == [("She was the kindest person I have ever worked with.", "Baxter")]


def test_pronoun_after_someone_unnamed_speaking_has_no_speaker() -> None:
    found = speakers(
        "Mayor Tom Green visited the flooded streets on Monday.",
        "One resident said the water rose within minutes.",
        '"We lost everything we had in the house," she said.',
    )
    assert found == [("We lost everything we had in the house.", None)]


def test_possessive_name_is_not_the_speaker() -> None:
    found = speakers(
        "Ms Grant's deputy, Paul Ward, said the rules would change.",
        '"We have listened to the families and we will act," he said.',
    )
    assert found[0][1] == "Paul Ward"


def test_quote_running_over_paragraphs() -> None:
    # A quote left open at the end of a paragraph goes on when the next one opens with a quote mark.
    found = speakers(
        'Lena Fischer said: "The first thing we did was to close the school.',
        '"Then we called every parent in the village, one by one."',
        '"The bus will be late," the driver said.',
    )
    assert found[:2] == [
        ("The first thing we did was to close the school.", "Lena Fischer"),
        ("Then we called every parent in the village, one by one.", "Lena Fischer"),
    ]


def test_open_quote_not_followed_by_a_quote_paragraph_is_no_quotation() -> None:
    found = speakers('Lena Fischer said: "The first thing we did was to close the school.', "The bus came late.")
    assert found == []


def test_nickname_is_part_of_the_name_not_a_quotation() -> None:
    found = speakers('Marvin "Doc" Hale, the club\'s owner, said: "We will build a new stand next summer."')
    assert found == [("We will build a new stand next summer.", "Marvin Hale")]


def test_acronym_speaker_is_the_name_it_stands_for() -> None:
    found = speakers(
        "The Coastal Rescue Association (CRA) has warned of more storms.",
        'The CRA said the "risk of flooding along the coast is rising".',
    )
    assert found == [("risk of flooding along the coast is rising", "Coastal Rescue Association")]


def test_title_of_a_work_is_not_a_quotation() -> None:
    assert speakers('Her new film "The Long Road Home" opens on Friday, she said.') == []
    assert speakers('"The Long Road Home" opens on Friday.') == []


# --- short partial quotes ------------------------------------------------------------------------------


def test_short_attributed_partial_quote_is_found_but_never_a_pull_quote() -> None:
    blocks = paragraphs('Ruth Adams, the finance minister, said the plan was "a costly mistake".')
    assert find_quotes(blocks) == [Quote("a costly mistake", "Ruth Adams")]
    assert pull_quotes(blocks, 3) == []


@pytest.mark.parametrize(
    "paragraph",
    [
        'The museum calls it "a hidden gem" of the city.',
        'He looks after several "centres of excellence" in the north.',
        'Someone said it was "a costly mistake".',  # attributed, but to nobody the article names
    ],
)
def test_short_quote_nobody_named_said_is_no_quotation(paragraph: str) -> None:
    assert find_quotes(paragraphs(paragraph)) == []


def test_partial_quote_attributed_in_its_sentence() -> None:
    found = speakers(
        "Coach Pete Miller spoke after the game.",
        'He added that his young side were "not afraid of anyone".',
        'The league, says Miller, wants "fewer games".',
    )
    assert found == [("not afraid of anyone", "Pete Miller"), ("fewer games", "Pete Miller")]


def test_who_clause_names_the_speaker() -> None:
    found = speakers('The plan was opposed by Professor Jane Holt, who has said it would cause "chaos".')
    assert found == [("chaos", "Jane Holt")]


@pytest.mark.parametrize(("attribution", "person"), [
    ("Goldman Sachs managing director Jane Doe", "Jane Doe"), ("Texas acting governor John Doe", "John Doe"),
    ("Senate Judiciary Committee ranking member Dick Durbin", "Dick Durbin"),
    ("Bank of England outgoing governor Mark Carney", "Mark Carney"),
    ("Ministry of Defence under secretary John Doe", "John Doe"), ("Google outside counsel Jane Doe", "Jane Doe"),
    ("UK minister without portfolio Jane Doe", "Jane Doe"), ("Senate standing committee chairman John Doe", "John Doe"),
    ("Microsoft speaking coach Jane Doe", "Jane Doe"), ("Thai king Maha Vajiralongkorn", "Maha Vajiralongkorn"),
])
def test_a_title_of_several_words_after_an_organisation_names_the_person(attribution: str, person: str) -> None:
    quotes = find_quotes(paragraphs(f'"We will not back down from this fight at all," said {attribution}.'))
    assert quotes[0].speaker == person
