"""Pull-quotes: direct quotations, their speaker resolved to the fullest name the article gives.

``find_quotes`` reads the article's prose as one text and finds every direct quotation: all of five
words or more, and shorter ones ("not afraid of anyone") when the sentence says who said them; a
short quotation nobody is said to have said is a scare quote or a term ("heroes", "centres of
excellence") and is left out. ``pull_quotes`` never offers one under five words.

The speaker of a quotation, first rule that applies:

1. An attribution right after it, in the same sentence: ``"...," Zelensky said`` / ``said Marc Toutai,
   an economist`` / ``said its chairman, Sir Anthony Greener`` / ``the Dutchman said`` / ``he said`` /
   ``according to X``.
2. An attribution before it in its sentence: ``X said: "..."`` / ``X, chairman of Y, said: "..."`` /
   ``X, who has said ... a "..."`` / ``The idea, says X, is a "..."`` / ``According to X, "..."``.
3. A quotation with no attribution of its own continues the one before it when nothing but that
   quote's attribution lies between them in the paragraph (``"...," he said. "..."``), or when that
   one was left open at the end of the previous paragraph (a quote running over paragraphs): the
   same speaker. One named later in such a run names the earlier parts too.

Names are resolved against the article. "He"/"she" and a description of a person ("the Dutchman", "the
45-year-old") are who last spoke or acted before the quote's sentence: in the last sentence where a
named person speaks (a speech verb next to the name, or a quote's speaker) or is the subject, the
first who speaks, else the first subject; nobody when that is someone unnamed ("one man said"). A
role ("the president", "the artists") is the one person the article calls by it ("President X",
"artists X"); "its chairman" or "his spokesman" is someone else, named only by an appositive ("its
chairman, Sir X"). "Zelensky" is the fullest name the article gives ("Volodymyr Zelensky"), "the QCA"
the name it abbreviates. A person is a name the article marks as one: a title or role around it
("manager Martin Jol", "Marc Toutai, an economist"), a speech verb ("Jol said"), or the surname of such
a name; other capitalised words ("Nottingham Forest", "GCSEs") are never the "he" of a quote, nor is a
name after a preposition before a speech verb ("a spokesman for the coalition in Syria said": someone
unnamed spoke).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from digest.analyze.text import (
    ABBREVIATIONS,
    OPENING_QUOTES,
    lower,
    marks_table,
    matches,
    quote_spans,
    split_sentences,
    word_set,
    words,
)
from digest.models import Block, Quote

MAX_QUOTE_CHARS = 600
MIN_PULL_QUOTE_WORDS = 5
"""A pull-quote has at least this many words: shorter quotations are partial quotes or scare quotes."""

# Verbs that attribute words to someone. Naming verbs ("called it", "described as") are left out:
# what they quote is a label, not a statement.
_SPEECH_VERBS = (
    r"said|says|say|told|tells|added|adds|asked|asks|stated|states|explained|explains|warned|warns|"
    r"insisted|insists|declared|declares|noted|notes|wrote|writes|tweeted|tweets|posted|argued|argues|"
    r"claimed|claims|replied|replies|continued|continues|remarked|remarks|announced|announces|urged|urges|"
    r"admitted|admits|vowed|vows|recalled|recalls|concluded|concludes|acknowledged|acknowledges|observed|"
    r"observes|commented|comments|suggested|suggests|conceded|concedes|predicted|predicts|confirmed|"
    r"confirms|promised|promises|pledged|pledges|joked|jokes|responded|responds|countered|counters|"
    r"cautioned|cautions|stressed|stresses|emphasised|emphasises|emphasized|emphasizes|complained|"
    r"complains|boasted|boasts"
)
# These take the listener as object ("told the BBC"), so "VERB Name" never names the speaker.
_OBJECT_VERBS = frozenset(["told", "tells", "urged", "urges", "promised", "promises", "pledged", "pledges"])
# Words allowed between a speaker and the verb: "has also told", "David Bell, also said".
_ADVERB = (
    r"(?:also|has|have|had|was|later|then|previously|earlier|recently|once|again|just|only|simply|"
    r"repeatedly|already|even|further|quickly|immediately|publicly|privately|subsequently|reportedly|"
    r"apparently|both|all)"
)
_CAPITAL = "A-ZÀ-ÖØ-Þ"
_TOKEN = (
    rf"(?:(?:Mr|Mrs|Ms|Dr|St|Prof|Gen|Sen|Rep|Gov|Lt|Col|Capt|Sgt|Jr|Sr)\.|[{_CAPITAL}]\."
    rf"|[{_CAPITAL}](?:[\w'’]*\w)?(?:-[{_CAPITAL}\d](?:[\w'’]*\w)?)*(?:['’](?!\w))?(?![\w'’-])"
    rf"|[{_CAPITAL}](?=[ ]+[{_CAPITAL}]))"
)
"""A capitalised word: "Jay-Z", "O'Neill", "Mr."; not "Oscar-winning" or "A-levels", which describe."""
_CONNECTOR = r"(?:de|van|von|der|den|bin|al|da|di|du|le|la|del|dos|das|&)"
_NAME = rf"{_TOKEN}(?:[ ]+(?:{_CONNECTOR}[ ]+)*{_TOKEN})*"
_NAME_RE = re.compile(_NAME)
# An organisation's name may join capitalised words with "and", "of", "for": "Bank of England".
_ORG_NAME = rf"{_TOKEN}(?:[ ]+(?:(?:{_CONNECTOR}|and|of|for|the|on)[ ]+)*{_TOKEN})*"
_ORG_NAME_RE = re.compile(_ORG_NAME)
_CAPITAL_START = re.compile(rf"[{_CAPITAL}]")
"""Where a name can begin (see ``matches``): every alternative of _TOKEN opens with a capital."""
_CAPITAL_ASCII_STARTS = marks_table(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ACRONYM = re.compile(rf"\((?P<acronym>[{_CAPITAL}][A-Za-z&]{{1,9}})\)")
_ACRONYM_NAME = re.compile(rf"(?P<name>{_ORG_NAME})[ ]*$")

# Words that say who someone is: titles before a name, roles in an appositive ("an economist").
_ROLES = word_set(
    """
    president vice-president president-elect minister premier chancellor secretary senator congressman
    congresswoman governor mayor general colonel major captain commander admiral lieutenant sergeant
    officer spokesman spokeswoman spokesperson chief director chairman chairwoman chair chairperson ceo
    cfo founder co-founder boss head executive manager coach trainer skipper striker midfielder defender
    goalkeeper keeper winger player champion veteran rookie driver rider runner boxer golfer cyclist
    batsman bowler jockey professor prof dr mr mrs ms miss sir dame lord lady baroness baron ayatollah
    sheikh king queen prince princess pope bishop archbishop cardinal rabbi imam judge justice lawyer
    attorney barrister solicitor sheriff commissioner ambassador envoy leader deputy treasurer mp mep
    msp am mla councillor cllr official inspector detective economist analyst strategist researcher
    scientist expert author writer novelist poet journalist reporter correspondent editor columnist
    presenter host actor actress singer rapper star artist musician guitarist drummer bassist producer
    comedian designer architect doctor surgeon nurse teacher headteacher headmaster student chef owner
    partner resident witness survivor activist campaigner protester worker employee candidate member
    lawmaker legislator politician diplomat negotiator regulator investor trader banker broker
    consultant adviser advisor aide capt cpt col lt sgt gen gov sen rep rev det insp supt
    mother father son daughter wife husband brother sister cousin uncle aunt friend neighbour neighbor
    """
)
"""(Plurals count too: "artists Langlands & Bell".)"""
# Capitalised words that start a run without being part of a name.
_NOT_NAMES = word_set(
    """
    the a an in on at but and it this that these those then there he she they we i according however
    meanwhile monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december if when while as after before for from
    with his her its their our my your yes no so also still even though although once someone somebody
    anyone anybody everyone everybody nobody no-one
    """
)
_ORG_WORDS = word_set(
    """
    authority association council committee department ministry office institute institution university
    college school bank board commission agency party union federation group corporation company corp
    inc ltd plc llc society service services trust foundation fund league court police army navy
    government parliament assembly senate congress organisation organization club bureau centre center
    museum academy network times post journal news television radio tv studios records airlines
    airways motors systems technologies holdings partners
    """
)
# Titles that are never a surname: a name ending in one is an office ("Foreign Secretary").
_OFFICES = word_set(
    """
    president minister secretary chancellor senator governor mayor chairman chairwoman spokesman
    spokeswoman spokesperson director commissioner ambassador leader manager coach captain chief
    officer inspector editor correspondent professor premier executive
    """
)
_RELATIVES = word_set(
    "mother father son daughter wife husband brother sister cousin uncle aunt friend neighbour neighbor"
)
_ROLE_MODIFIERS = word_set("shadow former deputy vice acting ex assistant junior interim outgoing incoming late")
_PRONOUNS = frozenset(["he", "she", "they"])
_SMALL_WORDS = word_set("a an the of in on and or to for with at by from as but nor vs")
_TITLE_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_PERSON_HEAD = re.compile(r"(?:man|woman|men|women|-year-old|-year-olds)$")
_DEMONYM = re.compile(r"(?:ian|can|ese|ard|i|ch)$")
"""Capitalised: "the Brazilian", "the Portuguese", "the Spaniard", "the Israeli"."""
_CONNECTORS = frozenset(["and", "of", "for", "the", "on"])

_PUNCT = r"[\s,:;—–-]*"
_AFTER_PRONOUN = re.compile(rf"^{_PUNCT}(?P<pronoun>(?i:he|she|they|i|we))\s+(?:{_ADVERB}\s+)*(?:{_SPEECH_VERBS})\b")
_AFTER_NAME = re.compile(
    rf"^{_PUNCT}(?P<name>{_ORG_NAME})(?:[ ]*\([{_CAPITAL}][A-Za-z&]{{1,9}}\))?\s+(?:{_ADVERB}\s+)*(?:{_SPEECH_VERBS})\b"
)
_AFTER_DESCRIPTION = re.compile(
    rf"^{_PUNCT}(?P<description>(?i:the|its|his|her|their)\s+(?:[\w'’-]+\s+){{0,5}}?[\w'’-]+)"
    rf"\s+(?:{_ADVERB}\s+)*(?:{_SPEECH_VERBS})\b"
)
_AFTER_APPOSITIVE = re.compile(
    rf"^{_PUNCT}(?P<name>{_NAME}),\s+[^,\"“”]{{1,150}}?,\s+(?:{_ADVERB}\s+)*(?:{_SPEECH_VERBS})\b"
)
_AFTER_VERB = re.compile(rf"^{_PUNCT}(?:{_ADVERB}\s+)?(?P<verb>{_SPEECH_VERBS})\s+(?P<object>[^\n]+)")
_ACCORDING = re.compile(rf"^{_PUNCT}according\s+to\s+(?P<object>[^\n]+)", re.IGNORECASE)
_OBJECT_PRONOUN = re.compile(r"^(?P<pronoun>he|she|they)\b")
_OBJECT_NAME = re.compile(rf"^(?P<name>{_ORG_NAME})")
_OBJECT_TITLED = re.compile(
    rf"^(?:(?P<place>{_ORG_NAME})[ ]+(?=[a-z]))?(?:[\w'’-]+[ ]+){{0,4}}?(?P<role>[a-z][\w'’-]*)[ ]+(?P<name>{_NAME})"
)
_NOT_DESCRIPTIONS = word_set("in on at for to from with by of and or after before during while as that when")
_PREPOSITIONS = word_set("in on at for to from with by of near across into inside outside throughout around")
"""Before a name, these make it no subject: "Samson Family Leather in Lebanon said" is the shop's
owner speaking, not Lebanon."""
_WHERE = word_set(
    "outside inside alongside beside besides via near aboard across behind below beneath beyond between among "
    "amid against toward towards upon around through throughout within without onto"
)
"""Right before a name, a word of where, or a verb in -ing, says where or what someone did, not who
they are ("said Starmer speaking outside Downing Street", "said Macron meeting Olaf Scholz"): no
title. Earlier words describe the title ("outside counsel", "standing committee chairman")."""
_OBJECT_DESCRIPTION = re.compile(r"^(?i:the|its|his|her|their)\s+")
_APPOSITIVE_NAME = re.compile(rf",\s+(?P<name>{_NAME})\s*(?:[,;.!?]|$)")

_BEFORE_ACCORDING = re.compile(rf"(?i:according\s+to)\s+(?P<name>{_NAME})\s*,?\s*$")
_VERB_RE = re.compile(rf"\b(?:{_SPEECH_VERBS})\b")
_SUBJECT_NAME = re.compile(
    rf"(?P<name>{_ORG_NAME})(?:[ ]*\([{_CAPITAL}][A-Za-z&]{{1,9}}\))?"
    rf"(?:\s+(?:{_ADVERB}\s+)*|,\s+(?:{_ADVERB}\s+)+)$"
)
_SUBJECT_WHO = re.compile(rf"(?P<name>{_NAME}),\s+who\s+(?:{_ADVERB}\s+)*$")
# "whose supreme leader, Ayatollah Ali Khamenei, tweeted": a name set off by commas just before the verb.
_SUBJECT_APPOSED = re.compile(rf",\s+(?P<name>{_NAME}),\s+(?:{_ADVERB}\s+)*$")
_SUBJECT_WHO_CLAUSE = re.compile(rf"(?P<name>{_NAME}),\s+who\b[^\"“”]{{1,200}}?,\s+(?:{_ADVERB}\s+)*$")
_SUBJECT_APPOSITIVE = re.compile(rf"(?P<name>{_NAME}),\s+[^,\"“”]{{1,150}}?,\s+(?:{_ADVERB}\s+)*$")
_SUBJECT_PRONOUN = re.compile(rf"(?<![\w'’])(?P<pronoun>(?i:he|she|they|i|we))\s+(?:{_ADVERB}\s+)*$")
_SUBJECT_DESCRIPTION = re.compile(
    rf"(?<![\w'’])(?P<description>(?i:the|its|his|her|their)\s+(?:[\w'’-]+\s+){{0,5}}?[\w'’-]+)\s+(?:{_ADVERB}\s+)*$"
)
_INVERTED = re.compile(rf"^\s+(?P<name>{_NAME})\s*,")

# Evidence that a name is a person's.
_APPOSITIVE_AFTER = re.compile(r"^,\s+(?:who\b|real\s+name\b|aged\b|née\b|\d{1,3}\s*,|(?P<described>[^,.;:\n]+))")
_VERB_AFTER = re.compile(rf"^\s*(?:\([{_CAPITAL}][A-Za-z&]{{1,9}}\))?,?\s+(?:{_ADVERB}\s+)*(?:{_SPEECH_VERBS})\b")
# A name followed by a verb is the subject of its clause: "Victoria Wood slated ...", "Corbett, soon to
# reunite with Barker, also criticised ...". Past tenses, auxiliaries and common irregular verbs.
_ACTS_AFTER = re.compile(
    rf"^(?:,\s+[^,\"“”.;:]{{1,150}},)?\s+(?:{_ADVERB}\s+|meanwhile,?\s+|now\s+|however,?\s+)*"
    r"(?:[a-z]{2,}ed|is|was|were|are|has|had|have|will|would|can|could|may|might|must|should|shall|did|does|"
    r"made|makes|took|takes|went|goes|got|gets|became|becomes|began|begins|won|wins|lost|loses|left|leaves|"
    r"came|comes|saw|sees|felt|feels|found|finds|gave|gives|kept|keeps|led|leads|met|meets|paid|pays|ran|"
    r"runs|spent|spends|stood|stands|thought|thinks|knew|knows|brought|brings|held|holds|heard|hears|sold|"
    r"sells|built|builds|sent|sends|spoke|speaks|broke|breaks|fell|falls|rose|rises|believes|hopes|wants|"
    rf"needs|agrees|remains|becomes|(?P<speech>{_SPEECH_VERBS}))\b"
)
# Someone unnamed speaking: "One man near the memorial said", "A cousin of X, who asked not to be named, told".
_UNNAMED_SPEAKER = re.compile(
    rf"(?<![\w'’])(?i:a|an|one|another)\s+(?:[^.!?;:,\"“”\n]{{0,60}}?,\s+who\s+[^.!?;:,\"“”\n]{{1,60}},"
    rf"|[^.!?;:,\"“”\n]{{0,60}}?(?<![\w'’-])[a-z][\w'’-]*)\s+(?:{_ADVERB}\s+)*(?:{_SPEECH_VERBS})\b"
)
_UNNAMED_START = re.compile(r"[aAoO](?<![\w'’].)(?i:n|ne|nother)?\s")
"""Where _UNNAMED_SPEAKER can begin: "a", "an", "one" or "another" starting a word. A plain class first
(no (?i:), which would lose the re module's quick scan): "a" and "o" match no other character ignoring case."""
_WORD_AFTER = re.compile(r"^[ ]+(?P<word>[a-z][\w'’-]*)")
_SPEECH_VERB_SET = frozenset(_SPEECH_VERBS.split("|"))
_CLAUSE_MARKS = ".,;:\n\"“”"
_SENTENCE_END = re.compile(r"[.!?…]+[\"”’»)\]]*\s+|\n")
_SENTENCE_END_START = re.compile(r"[.!?…\n]")
_SENTENCE_END_ASCII_STARTS = marks_table(b".!?\n")
_HAS_WORD = re.compile(r"\w")
_FIRST_NAME_BEFORE = re.compile(rf"[{_CAPITAL}][\w'’-]*[ ]$")
_SURNAME_AFTER = re.compile(rf"[ ][{_CAPITAL}]")


_POSSESSIVE = ("'s", "’s", "s'", "s’")


def _is_title(token: str) -> bool:
    return lower(token).strip(".") in _ROLES


def _name_tokens(tokens: Sequence[str]) -> tuple[list[str], bool]:
    """What follows the last title or possessive ("Ukraine's President Volodymyr Zelensky" -> the
    name), and whether a title was cut. The last word always stays: "Martin Luther King"."""
    cut, titled = 0, False
    for index, token in enumerate(tokens[:-1]):
        if token.endswith(_POSSESSIVE):
            cut, titled = index + 1, False
        elif _is_title(token):
            cut, titled = index + 1, True
    kept = [token for token in tokens[cut:] if lower(token) not in _NOT_NAMES]
    if kept and kept[-1].endswith(_POSSESSIVE):
        kept[-1] = kept[-1][:-2] if kept[-1].endswith(("'s", "’s")) else kept[-1][:-1]
    return [token.rstrip(".,") if len(token) > 2 else token for token in kept if token], titled


def _is_org(tokens: Sequence[str]) -> bool:
    return any(lower(token) in _ORG_WORDS for token in tokens)


def _clean(text: str) -> str:
    text = " ".join(text.split()).strip()
    if text.endswith(","):
        text = text[:-1] + "."
    return text


def is_title(text: str) -> bool:
    """A name in title case, such as a work's title ("A Raisin in the Sun", "Fear The Walking Dead"):
    two to twelve words, every one but the small words capitalised. It is quoted, but nobody said it."""
    found = words(text)
    if not 2 <= len(found) <= 12 or text.rstrip().endswith(("!", "?")):
        return False
    starts = [match.group(0)[:1] for match in _TITLE_WORD.finditer(text)]
    return len(starts) == len(found) and all(
        start.isupper() or word in _SMALL_WORDS for start, word in zip(starts, found, strict=True)
    ) and any(start.isupper() for start in starts[1:])


def is_scare_quote(text: str) -> bool:
    """One to four words: 'heroes', 'target number one'. Such quotes are never pull-quotes."""
    return len(words(text)) < MIN_PULL_QUOTE_WORDS


@dataclass(frozen=True, slots=True)
class _Span:
    """A quotation in the article's prose, joined into one text."""

    start: int
    end: int
    inner_start: int
    inner_end: int
    closed: bool
    paragraph: int


@dataclass(slots=True)
class _Article:
    """The article's prose, with quotations blanked out, and the people it names."""

    narrative: str
    """The prose with the quoted words replaced by spaces (marks and final punctuation kept): what the
    writer says, where names and attributions are looked for."""
    sentence_starts: list[int]
    names: list[str] = field(default_factory=list)
    """Every name given, titles and possessives removed, in order of first mention."""
    fullest: dict[str, str] = field(default_factory=dict)
    """A person's surname (or only name) -> the fullest form of the name the article gives."""
    people: set[str] = field(default_factory=set)
    """Every name the article marks as a person's, as given."""
    mentions: list[tuple[int, str]] = field(default_factory=list)
    """Where a person is mentioned, in order, and who (the fullest name)."""
    prominent: list[tuple[int, str, int]] = field(default_factory=list)
    """Where someone speaks (rank 2: next to a speech verb, a quote's speaker, or an unnamed speaker,
    name "": "one man said") or acts (rank 1: a sentence's subject, "Robbie Keane, skipper for the
    night, echoed ..."). "He" and "the Dutchman" are such a person far more often than one only
    mentioned ("talking to director X")."""
    acronyms: dict[str, str] = field(default_factory=dict)
    roles: dict[str, list[tuple[int, str]]] = field(default_factory=dict)

    def sentence_start(self, position: int) -> int:
        index = bisect_right(self.sentence_starts, position) - 1
        return self.sentence_starts[index] if index >= 0 else 0

    def person_before(self, position: int) -> str | None:
        """Who "he" or "the Dutchman" most likely is at ``position``: of the last sentence before it where
        someone speaks or acts, the first who speaks, else the first who acts ("Lord Heseltine said that
        he and Lord Callaghan became friends": Heseltine); nobody when that is someone unnamed ("one man
        said he ...") or when nobody named has spoken or acted yet."""
        index = bisect_left(self.prominent, (position, "", 0)) - 1
        if index >= 0:
            start = self.sentence_start(self.prominent[index][0])
            best = index
            while index > 0 and self.prominent[index - 1][0] >= start:
                index -= 1
                if self.prominent[index][2] >= self.prominent[best][2]:
                    best = index
            return self.prominent[best][1] or None
        return None

    def add_speaker(self, position: int, name: str) -> None:
        insort(self.prominent, (position, name, 2))

    def person(self, tokens: Sequence[str]) -> str | None:
        """The person these name tokens refer to, if the article marks them as a person."""
        if not tokens or _is_org(tokens):
            return None
        name = " ".join(tokens)
        if len(tokens) > 1 and name in self.people:
            return name
        fullest = self.fullest.get(tokens[-1])
        if fullest is not None and (len(tokens) == 1 or fullest == name or fullest.endswith(" " + name)):
            return fullest
        return None

    def role_holders(self, role: str) -> list[tuple[int, str]]:
        """Where the article calls someone by ``role`` ("President X", "artists X"), and who."""
        if role not in self.roles:
            found: list[tuple[int, str]] = []
            for start, name in _role_mentions(self.narrative, role):
                modifier = _word_just_before(self.narrative[max(0, start - 20) : start])
                if lower(modifier) in _ROLE_MODIFIERS:
                    continue  # the shadow foreign secretary is not the foreign secretary
                tokens, _ = _name_tokens(name.split())
                if tokens:
                    found.append((start, self.person(tokens) or " ".join(tokens)))
            self.roles[role] = found
        return self.roles[role]


@lru_cache(maxsize=1024)
def _role_re(role: str) -> re.Pattern[str]:
    """A role as written before a name ("President ", "artists "): small, so quick to compile."""
    return re.compile(rf"(?<![\w'’-])(?i:{re.escape(role)})[ ]+")


def _role_mentions(narrative: str, role: str) -> Iterator[tuple[int, str]]:
    """Where ``role`` comes before a name, and the name: the matches of ``ROLE[ ]+(?P<name>_NAME)``,
    without compiling all of _NAME again for each role. A name never opens with a space, so the
    spaces are all taken, and where no name follows, the search goes on from the next character."""
    role_re = _role_re(role)
    position = 0
    while found := role_re.search(narrative, position):
        name = _NAME_RE.match(narrative, found.end())
        if name is None:
            position = found.start() + 1
            continue
        yield found.start(), name.group(0)
        position = name.end()


def _blanked(text: str, ranges: Sequence[tuple[int, int]]) -> str:
    """``text`` with the characters of each ``(start, end)`` range made spaces (ranges may overlap),
    by slices rather than character by character (~5% of finding an article's quotes)."""
    pieces: list[str] = []
    position = 0
    for start, end in sorted(ranges):
        start = max(start, position)
        if end > start:
            pieces += (text[position:start], " " * (end - start))
            position = end
    pieces.append(text[position:])
    return "".join(pieces)


def _article(text: str, spans: Sequence[_Span], nicknames: Sequence[tuple[int, int]]) -> _Article:
    quoted: list[tuple[int, int]] = []
    for span in spans:
        inner = text[span.inner_start : span.inner_end].rstrip()
        kept = len(inner) - len(inner.rstrip(".!?…,;:"))  # the quote's final punctuation stays
        quoted.append((span.inner_start, span.inner_start + len(inner) - kept))
    # Antonio "LA" Reid: the nickname is not part of the name.
    narrative = _blanked(text, [*quoted, *nicknames])
    starts = [0]
    for match in matches(_SENTENCE_END, _SENTENCE_END_START, narrative, _SENTENCE_END_ASCII_STARTS):
        dot = match.start()
        if narrative[dot] == "." and lower(_word_before(narrative, dot)) in ABBREVIATIONS:
            continue  # "Mr. Smith"
        starts.append(match.end())
    article = _Article(narrative, starts)
    mentions: list[tuple[int, list[str], bool, int]] = []  # position, name tokens, a person?, prominence
    seen: set[str] = set()
    for start, end in _name_runs(narrative):
        run = narrative[start:end]
        tokens, titled = _name_tokens(run.split())
        if not tokens:
            continue
        name = " ".join(tokens)
        if name not in seen:
            seen.add(name)
            article.names.append(name)
        if (lower(_word_just_before(narrative[max(0, start - 20) : start])) in _PREPOSITIONS
                and _VERB_AFTER.match(narrative[end : end + 200])):
            # "A spokesman for the coalition in Syria said": someone speaks, unnamed here, not Syria.
            # Ranked as one who acts: a name opening the sentence ("Casey Samson of X in Lebanon
            # said") is still the one who spoke.
            article.prominent.append((start, "", 1))
        if _is_org(tokens) or lower(tokens[-1]) in _OFFICES:
            continue  # "the Foreign Secretary" is a title, not a name
        marked, prominent = _person_evidence(narrative, start, end, article.sentence_start(start), titled)
        possessive = run.endswith(_POSSESSIVE)  # "Ms Jowell's deputy said": not her
        mentions.append((start, tokens, marked, 0 if possessive else prominent))
    # The fullest form of each marked person, keyed by surname; then every mention of one of them.
    for _, tokens, marked, _ in mentions:
        if marked:
            article.people.add(" ".join(tokens))
            current = article.fullest.get(tokens[-1])
            if current is None or len(tokens) > len(current.split()):
                article.fullest[tokens[-1]] = " ".join(tokens)
    for surname, name in article.fullest.items():
        if " " not in name:  # "Corbett said", and "Ronnie Corbett" given elsewhere without a title
            fuller = [other for other in article.names if other.endswith(" " + surname) and not _is_org(other.split())]
            if fuller:
                article.fullest[surname] = max(fuller, key=lambda other: len(other.split()))
    for position, tokens, _, prominent in mentions:
        person = article.person(tokens)
        if person is not None:
            article.mentions.append((position, person))
            if prominent:
                article.prominent.append((position, person, prominent))
    for match in matches(_UNNAMED_SPEAKER, _UNNAMED_START, narrative):  # "One man near the memorial said ..."
        article.prominent.append((match.start(), "", 2))
    article.prominent.sort()
    for match in _ACRONYM.finditer(narrative):  # "Qualifications and Curriculum Authority (QCA)"
        named = _ACRONYM_NAME.search(narrative, max(0, match.start() - 120), match.start())
        expansion = _expansion(named.group("name").split(), match.group("acronym")) if named else None
        if expansion:
            article.acronyms.setdefault(match.group("acronym"), expansion)
    return article


def _name_runs(narrative: str) -> list[tuple[int, int]]:
    """Where names are: runs of capitalised words. Words joined by "and", "of", "for" are one name for
    an organisation ("Center for European Policy Analysis", "Qualifications and Curriculum Authority"),
    else separate names ("Tony Blair and Ruth Kelly", "Andrew Glikson of the Australian National
    University")."""
    runs: list[tuple[int, int]] = []
    for match in matches(_ORG_NAME_RE, _CAPITAL_START, narrative, _CAPITAL_ASCII_STARTS):
        base = match.start()
        segments: list[list[int]] = []  # [start, end, is an organisation]
        gaps: list[list[str]] = []  # the connectors before each segment
        gap: list[str] = []
        # The match's words are joined by plain spaces only (_ORG_NAME), so splitting at each one
        # finds them, and where they are: one more space, one more character.
        end = base - 1
        for word in match.group(0).split(" "):
            start = end + 1
            end = start + len(word)
            if not word:  # between two spaces
                continue
            if word in _CONNECTORS:
                gap.append(word)
            elif gap or not segments:
                segments.append([start, end, int(lower(word) in _ORG_WORDS)])
                gaps.append(gap)
                gap = []
            else:
                segments[-1][1] = end
                segments[-1][2] |= int(lower(word) in _ORG_WORDS)
        index = 0
        while index < len(segments):
            start, _, organisation = segments[index]
            last = index
            if organisation:
                # "Bank of England", "Department for Education and Skills"; "X and Y Authority".
                while last + 1 < len(segments) and gaps[last + 1] and gaps[last + 1][0] != "and":
                    last += 1
                while last + 1 < len(segments) and gaps[last + 1] == ["and"] and segments[last + 1][2]:
                    last += 1
            elif index + 1 < len(segments) and gaps[index + 1] == ["and"] and segments[index + 1][2]:
                last = index + 1
            runs.append((start, segments[last][1]))
            index = last + 1
    return runs


def _is_role(word: str) -> bool:
    lowered = lower(word).strip(".,")
    return lowered in _ROLES or (lowered.endswith("s") and lowered[:-1] in _ROLES)


def _person_evidence(narrative: str, start: int, end: int, sentence_start: int, titled: bool) -> tuple[bool, int]:
    """Whether the text marks a name as a person's (a title, a role word before it or in an appositive,
    a speech verb next to it), and how prominent (2: speaking, 1: the subject of its sentence, 0)."""
    before = narrative[max(0, start - 80) : start]
    after = narrative[end : end + 200]
    modifier = _WORD_AFTER.match(after)
    if modifier and _is_role(modifier.group("word")):
        return False, 0  # "Tottenham manager Martin Jol", "chief Palestinian negotiator": describes someone
    word = lower(_word_just_before(before))
    if (word in _SPEECH_VERB_SET and word not in _OBJECT_VERBS) or lower(before).rstrip().endswith(" according to"):
        return True, 2  # "said Marc Toutai", "Jol said"; not "told Cadena Cope", the listener
    if _VERB_AFTER.match(after) and word not in _PREPOSITIONS:
        return True, 2
    opening = narrative[max(sentence_start, start - 60) : start].split()
    acts = _ACTS_AFTER.match(after)
    if word in _NOT_DESCRIPTIONS:
        acts = None  # "... his family to ISIS in Syria posted": after a preposition, no subject
    if acts and acts.group("speech"):
        return True, 2  # "Clarkson, who fronts Top Gear, later said"
    subject = int(
        bool(acts) or (sentence_start >= start - 60 and all(word[:1].isupper() or _is_role(word) for word in opening))
    )
    if titled or (word and _is_role(word)):
        return True, subject  # "Mr Stone", "manager Martin Jol", "artists Langlands & Bell"
    appositive = _APPOSITIVE_AFTER.match(after)
    if appositive:
        described = appositive.group("described")
        if described is None or any(_is_role(token) for token in described.split()[:5]):
            return True, max(subject, 1)  # "Marc Toutai, an economist", "Professor Woodhead, who"
    if _described_before(before):
        return True, subject  # "The chief inspector of schools, David Bell"
    return False, subject


def _word_just_before(before: str) -> str:
    """The word that ends right before a name, only spaces between ("manager" in "manager Martin Jol")."""
    if not before[-1:].isspace():
        return ""
    stripped = before.rstrip()
    start = len(stripped)
    while start > 0 and (stripped[start - 1].isalnum() or stripped[start - 1] in "_'’-"):
        start -= 1
    return stripped[start:]


def _described_before(before: str) -> bool:
    """True when a description with a role ends, with a comma, right before a name: "The chief inspector
    of schools, David Bell"."""
    stripped = before.rstrip()
    if not stripped.endswith(","):
        return False
    clause = stripped[:-1]
    cut = max(clause.rfind(mark) for mark in _CLAUSE_MARKS)
    return any(_is_role(token) for token in clause[cut + 1 :][-70:].split()[-8:])


def _word_before(text: str, end: int) -> str:
    start = end
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "."):
        start -= 1
    return text[start:end]


def _expansion(tokens: Sequence[str], acronym: str) -> str | None:
    """The shortest tail of ``tokens`` whose capitals spell ``acronym``: "... Curriculum Authority" (QCA)."""
    for start in range(len(tokens) - 1, -1, -1):
        tail = tokens[start:]
        if not tail[0][:1].isupper():
            continue
        initials = "".join(token[0] for token in tail if token[:1].isupper())
        if initials.upper() == acronym.upper():
            return " ".join(tail)
        if len(initials) > len(acronym):
            break
    return None


def _description_phrase(description: Sequence[str]) -> list[str]:
    """The words that say who, up to the head: "chairman of the committee" -> ["chairman"]."""
    kept: list[str] = []
    for word in description:
        if lower(word) in ("of", "at", "for", "in", "from", "with", "to", "who", "on"):
            break
        kept.append(word.rstrip(".,!?;:"))
        if word.endswith((",", ".", ";", ":", "!", "?")):
            break
    return [word for word in kept if word]


def _names_a_person(head: str) -> bool:
    """'chairman', 'Dutchman', '45-year-old', 'Brazilian': words for a person, not for a body."""
    lowered = lower(head)
    if lowered in _RELATIVES:
        return False  # "the father" is someone's father, seldom the person just named
    return (lowered in _ROLES or bool(_PERSON_HEAD.search(lowered))
            or (head[:1].isupper() and bool(_DEMONYM.search(lowered))))


def _is_description(description: str) -> bool:
    """True when "the ..." describes rather than names: "the Dutchman", "the company", not "The QCA"."""
    phrase = _description_phrase(description.split()[1:])
    return bool(phrase) and (phrase[-1].islower() or _names_a_person(phrase[-1]))


@dataclass(frozen=True, slots=True)
class _Attribution:
    kind: str
    """'name', 'pronoun' or 'description'."""
    value: str
    end: int = -1
    """Where the attribution after a quote ends (its sentence's end); -1 when it comes before."""


def _object_attribution(phrase: str) -> _Attribution | None:
    """Who follows an inverted verb: "said Marc Toutai, ...", "said its chairman, Sir X", "said he"."""
    phrase = phrase.strip()
    pronoun = _OBJECT_PRONOUN.match(phrase)
    if pronoun:
        return _Attribution("pronoun", pronoun.group("pronoun"))
    if _OBJECT_DESCRIPTION.match(phrase):
        named = _APPOSITIVE_NAME.search(phrase)
        if named:
            return _Attribution("name", named.group("name"))
        return _Attribution("description", phrase)
    titled = _OBJECT_TITLED.match(phrase)
    if titled:  # "said chief executive Sam Yagan", "said Bank of England governor Mark Carney"
        place = titled.group("place")
        between = phrase[titled.end("place") if place else 0 : titled.start("name")].split()
        # Words that describe a person ("resident", "epidemiologist"), not where or how they spoke:
        # "said Starmer on Tuesday outside Downing Street", "said Macron standing alongside Scholz".
        role = titled.group("role")
        describes = (all(word.islower() and word not in _NOT_DESCRIPTIONS for word in between)
                     and role not in _WHERE and not (role.endswith("ing") and not _is_role(role)))
        if describes and (place or _is_role(role)):
            return _Attribution("name", titled.group("name"))
    name = _OBJECT_NAME.match(phrase)
    if name:
        return _Attribution("name", name.group("name"))
    return None


def _after(article: _Article, span: _Span, limit: int) -> _Attribution | None:
    """An attribution right after the quote, up to the end of its sentence."""
    index = bisect_right(article.sentence_starts, span.end)
    end = article.sentence_starts[index] if index < len(article.sentence_starts) else len(article.narrative)
    end = min(end, limit, span.end + 200)
    clause = article.narrative[span.end : end]
    found: _Attribution | None = None
    if match := _AFTER_PRONOUN.match(clause):
        found = _Attribution("pronoun", match.group("pronoun"))
    elif (match := _AFTER_DESCRIPTION.match(clause)) and _is_description(match.group("description")):
        found = _Attribution("description", match.group("description"))
    elif (match := _AFTER_NAME.match(clause)) or (match := _AFTER_APPOSITIVE.match(clause)):
        found = _Attribution("name", match.group("name"))
    elif ((match := _AFTER_VERB.match(clause)) and match.group("verb") not in _OBJECT_VERBS) or (
        match := _ACCORDING.match(clause)
    ):
        found = _object_attribution(match.group("object"))
    return _Attribution(found.kind, found.value, end) if found else None


def _before(article: _Article, window: str) -> _Attribution | None:
    """An attribution earlier in the quote's sentence: the subject of its last speech verb."""
    if match := _BEFORE_ACCORDING.search(window):
        return _Attribution("name", match.group("name"))
    verbs = list(_VERB_RE.finditer(window))
    if not verbs:
        return None
    verb = verbs[-1]
    before, after = window[: verb.start()], window[verb.end() :]
    if match := _SUBJECT_PRONOUN.search(before):
        return _Attribution("pronoun", match.group("pronoun"))
    if (match := _SUBJECT_DESCRIPTION.search(before)) and _is_description(match.group("description")):
        return _Attribution("description", match.group("description"))
    if match := _SUBJECT_NAME.search(before):
        return _Attribution("name", match.group("name"))
    if match := _SUBJECT_WHO.search(before):
        return _Attribution("name", match.group("name"))
    if (
        (match := _SUBJECT_APPOSED.search(before))
        or (match := _SUBJECT_WHO_CLAUSE.search(before))
        or (match := _SUBJECT_APPOSITIVE.search(before))
    ):
        return _Attribution("name", match.group("name"))
    if before.rstrip().endswith(",") and verb.group(0) not in _OBJECT_VERBS and (match := _INVERTED.match(after)):
        return _Attribution("name", match.group("name"))  # "The idea, says BT, is ..."
    return None


def _resolve(article: _Article, attribution: _Attribution, sentence_start: int) -> str | None:
    """The speaker an attribution names, as the article names them most fully."""
    if attribution.kind == "pronoun":
        pronoun = lower(attribution.value)
        return article.person_before(sentence_start) if pronoun in _PRONOUNS else None
    if attribution.kind == "description":
        return _resolve_description(article, attribution.value, sentence_start)
    return _resolve_name(article, attribution.value)


def _resolve_description(article: _Article, description: str, sentence_start: int) -> str | None:
    """'the prime minister' -> the one person the article calls Prime Minister; 'the Dutchman' ->
    the person named last before the quote's sentence; 'its chairman', 'the company' -> nobody."""
    determiner, *rest = description.split()
    phrase = _description_phrase(rest)
    if not phrase:
        return None
    head = phrase[-1]
    holders = article.role_holders(" ".join(phrase))
    if not holders and len(phrase) > 1 and head.islower():
        holders = article.role_holders(head)
    if holders:
        distinct = {name for _, name in holders}
        if len(distinct) == 1:
            return next(iter(distinct))
        earlier = [name for position, name in holders if position < sentence_start]
        return earlier[-1] if earlier else None
    # "his spokesman" is somebody else, unnamed; "the Dutchman" is someone the article has named.
    if lower(determiner) == "the" and _names_a_person(head):
        return article.person_before(sentence_start)
    return None


def _resolve_name(article: _Article, raw: str) -> str | None:
    """'Zelensky' -> 'Volodymyr Zelensky'; 'The QCA' -> 'Qualifications and Curriculum Authority'."""
    raw_tokens = raw.split()
    while raw_tokens and lower(raw_tokens[0]) in _NOT_NAMES:  # "The QCA", "And the Regent Street ..."
        raw_tokens = raw_tokens[1:]
    joined = [index for index, token in enumerate(raw_tokens) if token in _CONNECTORS]
    if joined:
        if _is_org(raw_tokens):  # "Qualifications and Curriculum Authority", "Bank of England"
            return " ".join(raw_tokens)
        if "and" in raw_tokens:
            return None  # two people: "Tony Blair and Ruth Kelly said"
        raw_tokens = raw_tokens[joined[-1] + 1 :]  # "Mayor of London Sadiq Khan" -> after "of"
    tokens, _ = _name_tokens(raw_tokens)
    if not tokens or lower(tokens[0]) in _NOT_NAMES:
        return None
    if len(tokens) == 1 and tokens[0] in article.acronyms:
        return article.acronyms[tokens[0]]
    if _is_org(tokens):
        return " ".join(tokens)
    person = article.person(tokens)
    if person is not None:
        return person
    surname = tokens[-1]
    fuller = [name for name in article.names if name.split()[-1] == surname and len(name.split()) > len(tokens)]
    if fuller:
        # The fullest form, and among equals the first the article gives.
        return max(fuller, key=lambda name: len(name.split()))
    return " ".join(tokens)


def _is_nickname(text: str, start: int, end: int) -> bool:
    """Antonio "LA" Reid: a quoted capitalised word or two between a first name and a surname."""
    inner = text[start + 1 : end - 1].split()
    return (
        0 < len(inner) <= 2
        and all(token[:1].isupper() for token in inner)
        and _FIRST_NAME_BEFORE.search(text[max(0, start - 30) : start]) is not None
        and _SURNAME_AFTER.match(text[end : end + 2]) is not None
    )


def _spans(prose: Sequence[str]) -> tuple[list[_Span], list[tuple[int, int]]]:
    """Outermost quotations in the joined prose, and nicknames (which are no quotations)."""
    spans: list[_Span] = []
    nicknames: list[tuple[int, int]] = []
    base = 0
    for number, paragraph in enumerate(prose):
        # A quote left open at the end of a paragraph runs on when the next opens with a quote mark.
        runs_on = number + 1 < len(prose) and prose[number + 1].lstrip()[:1] in OPENING_QUOTES
        covered = 0
        for span in quote_spans(paragraph, open_tail=runs_on):
            if span.start < covered:
                continue  # a quotation inside a longer one: part of that one's text
            if span.closed and _is_nickname(paragraph, span.start, span.end):
                nicknames.append((base + span.start, base + span.end + 1))
                continue
            covered = span.end
            inner_start, inner_end = span.inner
            spans.append(
                _Span(base + span.start, base + span.end, base + inner_start, base + inner_end, span.closed, number)
            )
        base += len(paragraph) + 1
    return spans, nicknames


def find_quotes(blocks: Sequence[Block]) -> list[Quote]:
    """Every direct quotation, with its speaker where the article says who it is.

    All quotations of five words or more; shorter ones only when their sentence attributes them to
    someone the article names (partial quotes such as ``he added that they were "not afraid"``).
    """
    prose = [block.text for block in blocks if block.kind in ("paragraph", "blockquote", "list_item")]
    text = "\n".join(prose)
    all_spans, nicknames = _spans(prose)
    spans = [span for span in all_spans if _HAS_WORD.search(text, span.inner_start, span.inner_end)]
    article = _article(text, spans, nicknames)
    # Per quotation: its own speaker, and how it links to the one before (None, "blank", "attribution").
    own: list[str | None] = []
    links: list[str | None] = []
    previous: _Span | None = None
    previous_end = -1  # where the previous quote's attribution after it ends
    previous_stands = False  # whether it can be carried on: not a few words inside a sentence of the writer's
    for index, span in enumerate(spans):
        limit = spans[index + 1].start if index + 1 < len(spans) else len(text)
        paragraph_end = text.find("\n", span.end)
        limit = min(limit, paragraph_end) if paragraph_end >= 0 else limit
        sentence_start = article.sentence_start(span.start)
        same_paragraph = previous is not None and previous.paragraph == span.paragraph
        window_start = max(sentence_start, previous.end if previous is not None and same_paragraph else 0)
        window_start = max(window_start, span.start - 200)
        attribution = _after(article, span, limit) or _before(article, article.narrative[window_start : span.start])
        speaker = _resolve(article, attribution, sentence_start) if attribution else None
        if speaker is not None:
            article.add_speaker(span.start, speaker)
        own.append(speaker)
        link: str | None = None
        if previous is not None and previous_stands:
            between = article.narrative[previous.end : span.start]
            rest = article.narrative[max(previous.end, previous_end) : span.start]
            if (same_paragraph and not _HAS_WORD.search(between)) or (
                not previous.closed and previous.paragraph == span.paragraph - 1 and not between.strip()
            ):
                link = "blank"
            elif same_paragraph and previous_end > previous.end and not _HAS_WORD.search(rest):
                link = "attribution"
        links.append(link)
        previous = span
        previous_end = attribution.end if attribution else -1
        previous_stands = attribution is not None or not span.closed or sentence_start == span.start
    speakers = list(own)
    for index in range(1, len(spans)):  # a continuation keeps the speaker of the quote it continues
        if speakers[index] is None and links[index]:
            speakers[index] = speakers[index - 1]
    for index in range(len(spans) - 2, -1, -1):  # a run's later part names the earlier ones
        if speakers[index] is None and links[index + 1] == "blank":
            speakers[index] = speakers[index + 1]
    quotes: list[Quote] = []
    for span, speaker, named in zip(spans, speakers, own, strict=True):
        inner = text[span.inner_start : span.inner_end]
        if len(inner) > MAX_QUOTE_CHARS or (is_scare_quote(inner) and named is None) or is_title(inner):
            continue
        quotes.append(Quote(_clean(inner), speaker))
    return quotes


def pull_quote_score(quote: Quote) -> float:
    """Prefer complete, self-contained quotes of 8 to 40 words with a named speaker."""
    count = len(words(quote.text))
    score = 1.0
    if count < 8:
        score *= 0.4
    elif count > 40:
        score *= max(0.3, 40 / count)
    if quote.speaker:
        score *= 1.5
    if quote.text[:1].isupper():
        score *= 1.2
    if quote.text.endswith((".", "!", "?")):
        score *= 1.1
    return score


def shorten(quote: Quote, max_words: int = 40) -> Quote:
    """Cut a long quote at a sentence end so a pull-quote stays readable."""
    if len(words(quote.text)) <= max_words:
        return quote
    kept: list[str] = []
    for sentence in split_sentences(quote.text):
        if kept and len(words(" ".join([*kept, sentence]))) > max_words:
            break
        kept.append(sentence)
    return Quote(" ".join(kept), quote.speaker)


def pull_quotes(blocks: Sequence[Block], limit: int = 3) -> list[Quote]:
    """The best quotes of an article, best first; never a partial or scare quote under five words."""
    quotes = [quote for quote in find_quotes(blocks) if not is_scare_quote(quote.text)]
    ranked = sorted(range(len(quotes)), key=lambda i: (-pull_quote_score(quotes[i]), i))
    return [quotes[i] for i in ranked[:limit]]
