"""Plain text scraped from a news page -> a title, metadata and Markdown body.

Rules, in order (documented in the README, "Ingest rules"):
1. The first non-empty line is the title; an all-capitals tag in square brackets at its start or
   end (``[VIDEOS]``, ``[PHOTOS]``, ``[WATCH]``) is page furniture and is dropped.
2. Whole lines of page debris are dropped: "• Updated", "Advertisement", "Share this article",
   "Read more", share/subscribe/cookie lines, bare URLs; and short lines of furniture that start
   like a sentence: "Read more: …", an agency's credit ("Photo: Getty Images"), "Image caption",
   "Related Topics", a copyright notice ("© 2023 …"), "Updated 3 hours ago" (``_SHORT_DEBRIS``).
3. "By Jane Doe" and "Jane Doe, Reuters" lines become ``author``; datelines ("Updated 25 Feb 2022",
   "Published: 2022-02-25", or a short line holding only a date) become ``date``; dates inside the
   prose are left alone.
4. A wire dateline opening the story ("(CNN)", "LONDON (Reuters) -") is dropped from the text.
5. Blocks are separated by blank lines. A one-line block of at most 10 words, starting with a
   capital and without closing punctuation, is a ``##`` heading. A block of two short lines, each
   starting with a capital and neither ending in punctuation, is an image caption (title +
   caption/credit). Lines starting
   with "- ", "* " or "• " are list items. Anything else is a paragraph, its lines re-flowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from digest.frontmatter import MAX_TITLE_CHARS

_TAG = re.compile(r"^\s*\[[A-Z0-9][A-Z0-9 &'-]{1,24}\]\s*|\s*\[[A-Z0-9][A-Z0-9 &'-]{1,24}\]\s*$")
_DEBRIS = re.compile(
    r"^(?:[•·*\-–]\s*)?(?:updated|advertisement|advert|sponsored|share|share this(?: article| story| page)?"
    r"|share on \w+|read more|read next|related|subscribe\b.*|sign up\b.*|click here\b.*|follow us\b.*"
    r"|accept(?: all)? cookies\b.*|we use cookies\b.*|cookie (?:policy|settings)\b.*|comments?|skip to \w+.*"
    r"|image (?:source|copyright)\b.*|getty images|media caption.*|watch(?: now| video)?|listen|print|email"
    r"|https?://\S+)\s*$",
    re.IGNORECASE,
)
# Furniture that starts like a sentence, each form narrow enough to leave prose and headlines alone:
# "Read more: How the strike affects you" (a colon, dash or arrow after it, not "Read more books
# this summer"); a credit, an agency alone or "Name/Agency" ("Photo: Getty Images", "Photos: Dan
# Kitwood/Getty Images"; not "Photo: Minister Resigns", nor "Picture: Life at NASA"); a
# notice that opens with © ("© 2024 BBC. The BBC is not responsible …") or with "Copyright" and a
# year or © ("Copyright 2023 Example News", not "Copyright 2023 was a bumper year" nor "Copyright
# Office Rejects AI Art Made In 2023"); "Updated 3 hours ago" (a count of time, not "Updated
# figures released two days ago"). Only as a short line of its own.
_CAPITAL_LETTER = "A-ZÀ-ÖØ-Þ"
_AGENCIES = (r"(?:Getty(?: Images)?|AFP|AP|Reuters|PA(?: Media| Wire)?|EPA(?:-EFE)?|EFE|Shutterstock|Alamy|"
             r"Rex(?: Features)?|Bloomberg|Xinhua|Anadolu(?: Agency)?|NurPhoto|Corbis|iStock|SOPA Images|"
             r"ZUMA(?: Press)?|NASA|BBC|Associated Press|Handout)")
_CAPITALISED = rf"[{_CAPITAL_LETTER}][\w'’.-]*+"
_NAMES = rf"{_CAPITALISED}(?:\s+{_CAPITALISED}){{0,2}}"
# Atomic (``(?>…)``) and possessive: a word is read one way only, or a line of capitals that is no
# notice took exponential time to refuse ("Copyright 2023 AAAA…A x").
_NOTICE_WORD = (rf"(?>©|\(c\)|(?i:all rights reserved)|(?:19|20)\d{{2}}|[{_CAPITAL_LETTER}0-9][\w&'’.-]*+"
                r"|(?:[\w-]+\.)+[a-z]{2,}\b|&|and|of|the|[-–|.,])")  # ... a domain: theguardian.com
_SHORT_DEBRIS = re.compile(
    r"^(?:[•·*\-–]\s*)?(?:"
    r"(?i:read (?:more|next|also))(?:\s*(?:[:\-–—|»›>→…]|\.\.\.).*)?"
    r"|(?i:related(?: topics| stories| articles| links)?|more on this story|image caption|top stories)\s*:?"
    r"|(?i:photo(?:graph)?s?|pictures?|images?|video|credit)\s*:\s*"
    rf"(?:{_NAMES}\s*/\s*{_NAMES}|(?i:via\s+)?{_AGENCIES})\.?"
    r"|(?:©|(?i:copyright)\s*(?:©|\(c\))).*"
    rf"|(?:(?i:copyright)|\(c\))\s*(?:19|20)\d{{2}}(?:\s*{_NOTICE_WORD})*"
    r"|(?i:all rights reserved|tous droits réservés|alle rechte vorbehalten|todos los derechos reservados)\.?"
    r"|(?i:(?:last )?(?:updated|published|posted)(?: on)?:?\s+(?:(?:\d+\s*|an?\s+|a few\s+|few\s+|several\s+"
    r"|(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve)\s+)"
    r"(?:seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|months?)\b,?\s*)+ago)"
    r")\s*$"
)
SHORT_DEBRIS_WORDS = 16
_SHORT_DEBRIS_CHARS = 300


def is_debris(line: str) -> bool:
    """A line that is page furniture, not the story: "• Updated", "Advertisement", "Read more: …"."""
    if _DEBRIS.match(line):
        return True
    return (len(line) <= _SHORT_DEBRIS_CHARS and len(line.split()) <= SHORT_DEBRIS_WORDS
            and bool(_SHORT_DEBRIS.match(line)))


_NAME_WORDS = r"[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,3}"
_BYLINE = re.compile(
    rf"^(?:(?P<shouted>BY|WRITTEN BY)|[Bb]y|[Ww]ritten [Bb]y)\s+(?P<name>{_NAME_WORDS}(?:\s+and\s+{_NAME_WORDS})?)"
    r"(?P<rest>,.*|\s+[|\-–—].*)?$"
)
# "Jane Doe, Reuters": a name, then a news agency or paper.
_AGENCY_BYLINE = re.compile(
    rf"^(?P<name>{_NAME_WORDS}),\s*(?:Reuters|AP|AFP|Associated Press|Bloomberg|BBC News|CNN|"
    r"The Guardian|The New York Times|The Washington Post|Press Association|PA Media|dpa|EFE)\.?$"
)
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_DATE_LINE = re.compile(
    r"^(?:[•·]\s*)?(?:updated|published|posted|last updated|first published)\s*:?\s*(?:on\s+)?(?P<date>.+)$",
    re.IGNORECASE,
)
_ISO_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(Z|[+-]\d{2}:?\d{2})?)?\b")
_DMY = re.compile(r"\b(\d{1,2})\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\b")
_MDY = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})\b")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d{1,3}[.)])\s+\S")
_CLOSING = (".", "!", "?", ":", ";", ",", "\"", "”", "’", "'", ")", "…", "。", "！", "？")


@dataclass(slots=True)
class ParsedText:
    """What a plain-text article yields before it is written as Markdown."""

    title: str
    title_source: str
    """'text' when the first line was the title, 'lead' when made from the first sentence."""
    body: str
    """Markdown."""
    author: str | None = None
    date: datetime | None = None


def clean_title(line: str) -> str:
    previous = None
    while previous != line:
        previous, line = line, _TAG.sub("", line)
    return " ".join(line.split())


def find_date(text: str) -> datetime | None:
    """A plausible publication date: ISO, '25 Feb 2022' or 'Feb 25, 2022'; UTC when no zone is given."""
    found = _find_any_date(text)
    return found if found is not None and 1900 <= found.year <= 2200 else None


def _find_any_date(text: str) -> datetime | None:
    iso = _ISO_DATE.search(text)
    if iso:
        stamp = iso.group(1) + ("T" + iso.group(2) if iso.group(2) else "")
        zone = iso.group(3)
        if zone:
            stamp += "+00:00" if zone == "Z" else zone if ":" in zone else zone[:3] + ":" + zone[3:]
        try:
            parsed = datetime.fromisoformat(stamp)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    for pattern, order in ((_DMY, (0, 1, 2)), (_MDY, (1, 0, 2))):
        match = pattern.search(text)
        if match:
            parts = match.groups()
            day, month_name, year = parts[order[0]], parts[order[1]], parts[order[2]]
            month = _MONTHS.get(month_name[:3].lower())
            if month:
                try:
                    return _with_time(datetime(int(year), month, int(day), tzinfo=UTC), text[match.end():])
                except ValueError:
                    return None
    return None


# A time right after a written date: "12 March 2023 10:30 GMT", "Feb 25, 2022, 2.05 pm +01:00".
_TIME_AFTER = re.compile(
    r"\s*,?\s*(?:at\s+)?(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?!\d)(?:\s*(?P<half>[AaPp])\.?[Mm]\.?)?"
    r"(?:\s*(?:(?P<utc>GMT|UTC|Z)\b|(?P<offset>[+-]\d{2}:?\d{2})\b|(?P<zone>[A-Z]{2,5})\b))?"
)


def _with_time(day: datetime, after: str) -> datetime:
    """``day`` at the time written right after its date, in UTC unless an offset is given (as an
    ISO time without a zone is); the day alone when there is none, it is no time of day, or its
    zone is a name ("EST", "CET") that could mean more than one offset."""
    time = _TIME_AFTER.match(after)
    if time is None or time.group("zone"):
        return day
    hour, minute = int(time.group("hour")), int(time.group("minute"))
    half = (time.group("half") or "").lower()
    if half and not 1 <= hour <= 12:
        return day
    hour = hour % 12 + (12 if half == "p" else 0) if half else hour
    if hour > 23 or minute > 59:
        return day
    zone: tzinfo = UTC
    if offset := time.group("offset"):
        digits = offset.replace(":", "")
        shift = timedelta(hours=int(digits[1:3]), minutes=int(digits[3:5]))
        if shift >= timedelta(hours=24):
            return day
        zone = timezone(-shift if digits[0] == "-" else shift)
    return day.replace(hour=hour, minute=minute, tzinfo=zone)


# "~~" is strikethrough (enabled for tables and strikethrough in digest.markdown): a run of tildes is escaped.
_ESCAPE_INLINE = re.compile(r"([\\`*_\[\]<>|]|&(?=#?\w+;)|~(?=~)|(?<=~)~)")
# A line starting like a block: its marker escaped. An ordered list's is the '.' or ')' after the
# number: a backslash before a digit is no escape in Markdown, it would show.
_LINE_START = re.compile(r"^(\s*)(?:([#>+=-]|:{3})|(\d{1,9})([.)]))")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def escape_markdown(text: str) -> str:
    """Make scraped text read literally as Markdown: no accidental emphasis, links, headings or
    entities (``&amp;`` in the text stays ``&amp;`` on the page)."""
    text = _ESCAPE_INLINE.sub(r"\\\1", text)
    return _LINE_START.sub(
        lambda m: m.group(1) + (f"\\{m.group(2)}" if m.group(2) else f"{m.group(3)}\\{m.group(4)}"), text)


def unescape_markdown(text: str) -> str:
    """The plain text of escaped Markdown text (for a title taken from the body)."""
    return _ESCAPED.sub(r"\1", text)


def _is_heading(lines: list[str]) -> bool:
    if len(lines) != 1:
        return False
    line = lines[0]
    if len(line) > 200:
        return False
    count = len(line.split())
    return 1 <= count <= 10 and line[:1].isupper() and not line.endswith(_CLOSING) and not _LIST_ITEM.match(line)


def _is_caption(lines: list[str]) -> bool:
    # Two short lines, each starting with a capital and neither ending a sentence: an image's
    # title and its caption/credit. A sentence broken by a scraper continues in lower case.
    return (
        len(lines) == 2
        and all(len(line.split()) <= 16 and line[:1].isupper() and not line.endswith(_CLOSING) for line in lines)
    )


def shorten_title(title: str) -> str:
    """Cut an over-long title at a word (or, with no spaces, a character) to fit MAX_TITLE_CHARS."""
    if len(title) <= MAX_TITLE_CHARS:
        return title
    cut = title[: MAX_TITLE_CHARS - 1]
    if " " in cut[MAX_TITLE_CHARS // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + "…"


# A wire dateline opening the story: "(CNN)", "LONDON, England (CNN) --", "PARIS (Reuters) -"; or
# another outlet's name glued to the story's first word, as scraped ("(The Hollywood Reporter)It's
# official"), never a parenthesis a headline or sentence holds ("Harry Kane (Bayern Munich) scores").
_WIRE_DATELINE = re.compile(
    r"^(?:(?:[A-Z][A-Za-z .,'-]{0,40}\s)?\((?:CNN(?: [A-Z][\w]+)?|Reuters|AP|AFP|dpa)\)\s*(?:--|—|–|-)?\s*"
    r"|\([A-Z][\w&.'’-]*(?: [A-Z][\w&.'’-]*){1,4}\)(?=[A-Z]))"
)


def _lead_title(paragraph: str) -> str:
    from digest.analyze.text import split_sentences

    # The first sentence is near the start: do not split a whole 5 MB paragraph to find it.
    first = split_sentences(paragraph[:2000])[0] if paragraph.strip() else paragraph
    first = _WIRE_DATELINE.sub("", first).strip()
    words = first.rstrip(".").split()
    return " ".join(words[:14]).rstrip(",;:") + "…" if len(words) > 14 else " ".join(words)


_MARKS = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})


def same_words(line: str, title: str) -> bool:
    """The title again, but for case, spacing and curly or straight marks."""
    return " ".join(line.split()).translate(_MARKS).casefold() == " ".join(title.split()).translate(_MARKS).casefold()


def parse_plain_text(text: str) -> ParsedText:
    """Title, metadata and Markdown body of a plain-text article (see the module's rules)."""
    lines = [line.strip() for line in text.split("\n")]
    author: str | None = None
    date: datetime | None = None
    kept: list[str] = []
    for line in lines:
        if not line:
            kept.append("")
            continue
        # Only a dateline counts ("Updated 25 Feb 2022", or a short line that is just a date):
        # dates inside the story's prose are about events, not publication.
        date_line = _DATE_LINE.match(line)
        candidate = date_line.group("date") if date_line else line if len(line.split()) <= 6 else None
        if date is None and candidate and (found := find_date(candidate)):
            date = found
            continue
        if is_debris(line):
            continue
        byline = (_BYLINE.match(line) or _AGENCY_BYLINE.match(line)) if len(line.split()) <= 12 else None
        rest = byline.groupdict().get("rest") if byline else None
        dated = find_date(rest) if rest else None
        # "BY JOHN ROE | March 12, 2023" is a byline; "BY LAND AND SEA", "BY MAY, THE PARTY HAD
        # LOST" are shouted text: in capitals, only a byline that carries its date counts.
        if byline and byline.groupdict().get("shouted") and dated is None:
            byline = None
        if byline and author is None:
            name = byline.group("name")
            author = name.title() if name.isupper() else name  # "BY JOHN ROE": shouted, not an acronym
            # "By Jane Doe | March 12, 2023 | 4 min read": the dateline shares the byline's line.
            date = date or dated
            continue
        kept.append(line)
    blocks: list[list[str]] = [[]]
    for line in kept:
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    blocks = [block for block in blocks if block]
    if not blocks:
        return ParsedText("", "text", "", author, date)

    first = blocks[0]
    title_line = clean_title(first[0][:2000])  # a title is short; a 1 MB line is not one
    if len(first) == 1 and len(title_line.split()) <= 30 and not _WIRE_DATELINE.match(title_line):
        title, title_source = title_line, "text"
        # A one-line article is its own title and text, so it still gets a page.
        blocks = blocks[1:] or [[title_line]]
    elif len(first) > 1 and len(title_line.split()) <= 30 and not title_line.endswith((".", "!", "?")):
        title, title_source = title_line, "text"
        blocks[0] = first[1:]
    else:
        title, title_source = _lead_title(" ".join(first)), "lead"

    title = shorten_title(title)
    # A page that prints its headline twice (above and below the byline): once is the title.
    if title_source == "text" and len(blocks) > 1 and len(blocks[0]) == 1 and same_words(blocks[0][0], title):
        blocks = blocks[1:]
    # The wire dateline is where the story was filed, not part of its first sentence.
    if blocks and _WIRE_DATELINE.match(blocks[0][0]):
        blocks[0] = [_WIRE_DATELINE.sub("", blocks[0][0], count=1), *blocks[0][1:]]
    out: list[str] = []
    for block in blocks:
        if _is_heading(block) and out:
            out.append("## " + escape_markdown(block[0]).lstrip("\\"))
        elif _is_caption(block):
            out.append("::: caption\n" + "\n\n".join(escape_markdown(line) for line in block) + "\n:::")
        elif all(_LIST_ITEM.match(line) for line in block):
            items = [re.sub(r"^\s*(?:[-*•]|\d{1,3}[.)])\s+", "", line) for line in block]
            out.append("\n".join("- " + escape_markdown(item) for item in items))
        else:
            out.append(escape_markdown(" ".join(block)))
    return ParsedText(title, title_source, "\n\n".join(out) + "\n", author, date)
