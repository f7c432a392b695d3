#!/usr/bin/env python3
"""Build the same generated news site with digest, Hugo, Pelican and MkDocs, side by side (issue 8).

A deterministic corpus of N news-like articles (600-900 words; headings, a list, quotations with named
speakers; 12 topics; dates over two years) is written four ways: digest front-matter Markdown, a Hugo
site with minimal layouts (article, home, topic and topics pages), a Pelican site (default theme) and a
MkDocs site (default theme, no nav, search plugin on, as MkDocs ships). Each tool's command runs as a
whole process in a fresh output folder; runs alternate between the tools (A B C D A B C D ...). For
each run: wall time, the peak RSS of the largest process of its tree (``os.wait4``'s ``ru_maxrss``) and
the peak of the tree's summed RSS (sampled every 50 ms from /proc). digest is run three ways: cold
with no cache (fresh site/ and .cache/), cold with the analysis cached (fresh site/), and a rebuild
with nothing changed (which digest's up-to-date check, ``.cache/state.json``, answers without building:
the inputs were written well over two seconds before the cached build, so it trusts them); then, over
that site, a rebuild after one article gained a paragraph (what an editor waits for after each save:
the second of two such edits is timed; the article is put back afterwards, untimed; Hugo has no such
rebuild: each of its builds is whole). It prints
a table, the issue's targets as PASS/FAIL, the sites' hashes (the same input must give the same bytes,
with 1 or 2 workers), and draws bench/build-times.png.

digest is run from a ``git archive`` of HEAD (build.py, digest/, themes/), so edits others make to
the work tree during a run are not measured; ``--worktree`` runs the work tree as it is.

Rerun:  make bench
   or:  .venv/bin/python bench/bench_peers.py [--sizes 1000,5000,10000] [--peer-sizes 1000,5000]
                                              [--repeats 3,2,2] [--quick]
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

# bench/ is not a package: the sibling scripts are imported by path for their shared helpers.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import REPO, core_sharing, machine_lines, say, table
from bench_serve import hugo_binary

PEERS_VENV = REPO / ".venv" / "peers"
CHART = REPO / "bench" / "build-times.png"
RERUN = ".venv/bin/python bench/bench_peers.py"
SEED = 8  # the number: any fixed seed gives the same corpus on every machine
RUN_TIMEOUT = 3600.0
SAMPLE_SECONDS = 0.05
SCAN_SECONDS = 0.2
STAGE_LINE = re.compile(r"^([a-z]+)\s+([\d.]+) ms")
"""A stage's line in build.py's output ("read  3.4 ms  1 article(s)"); any name, so new stages show up."""
KIB = 1024

# --- the corpus ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    name: str
    description: str
    keywords: tuple[str, ...]
    """Declared in digest's config, and the words the topic's articles are written with."""
    roles: tuple[str, ...]
    orgs: tuple[str, ...]

    @property
    def slug(self) -> str:
        return self.name.lower()


TOPICS = (
    Topic("World", "Conflicts, diplomacy and governments around the world.",
          ("war", "troops", "border", "ceasefire", "refugees", "diplomats", "embassy", "sanctions", "invasion",
           "military"), ("foreign minister", "ambassador", "UN envoy"),
          ("the United Nations", "the Red Cross", "the foreign ministry")),
    Topic("Politics", "Elections, parliaments, parties and policy.",
          ("election", "parliament", "minister", "party", "vote", "policy", "campaign", "senate", "opposition",
           "coalition"), ("party leader", "senator", "campaign director"),
          ("the Liberal Party", "the electoral commission", "the senate committee")),
    Topic("Business", "Companies, markets, jobs and the economy.",
          ("economy", "market", "company", "shares", "profit", "bank", "investors", "inflation", "trade",
           "revenue"), ("chief executive", "chief economist", "finance director"),
          ("Northwind Bank", "Halden Group", "the central bank")),
    Topic("Technology", "Computers, the internet, gadgets and the companies that make them.",
          ("software", "internet", "computer", "phone", "digital", "online", "data", "users", "chip", "startup"),
          ("chief technology officer", "security researcher", "product manager"),
          ("Quantix", "the data protection office", "Brightwave Labs")),
    Topic("Science", "Research, discoveries and the people who make them.",
          ("research", "scientists", "study", "laboratory", "physics", "telescope", "experiment", "species",
           "genome", "discovery"), ("lead author", "professor", "research fellow"),
          ("the national academy", "the Kessler Institute", "the space agency")),
    Topic("Health", "Hospitals, medicine, public health and care.",
          ("hospital", "patients", "doctors", "vaccine", "disease", "nurses", "treatment", "virus", "clinic",
           "medicine"), ("health secretary", "chief medical officer", "consultant"),
          ("the health service", "the medical council", "St Mary's Hospital")),
    Topic("Climate", "Weather, energy and the environment.",
          ("climate", "emissions", "carbon", "renewable", "solar", "flooding", "drought", "warming", "wind",
           "pollution"), ("climate scientist", "energy minister", "campaigner"),
          ("the environment agency", "Greenfield Energy", "the weather service")),
    Topic("Sport", "Matches, players, teams and tournaments.",
          ("match", "team", "player", "coach", "season", "cup", "championship", "league", "goal", "stadium"),
          ("head coach", "captain", "club chairman"), ("Riverside United", "the football association",
                                                       "the Olympic committee")),
    Topic("Culture", "Film, music, books, television and the arts.",
          ("film", "music", "album", "book", "television", "actor", "festival", "museum", "gallery", "theatre"),
          ("director", "curator", "festival organiser"), ("the National Gallery", "the film institute",
                                                          "the arts council")),
    Topic("Education", "Schools, universities, teachers and students.",
          ("school", "teachers", "pupils", "university", "students", "exams", "curriculum", "classroom",
           "tuition", "college"), ("head teacher", "education secretary", "vice-chancellor"),
          ("the teachers' union", "the exams board", "Eastbrook University")),
    Topic("Transport", "Trains, roads, flights and how people get around.",
          ("railway", "trains", "airport", "flights", "passengers", "roads", "buses", "motorway", "airline",
           "cars"), ("transport secretary", "rail operator", "airport manager"),
          ("the rail regulator", "Skyline Airways", "the roads authority")),
    Topic("Food", "Farming, cooking, restaurants and what we eat.",
          ("restaurant", "farmers", "harvest", "chefs", "recipe", "crops", "grocery", "menu", "kitchen", "wine"),
          ("head chef", "farmers' leader", "food critic"), ("the farmers' union", "the food standards agency",
                                                           "Harvest Table")),
)

FIRST_NAMES = (
    "Jane", "Amara", "Tomas", "Priya", "Oliver", "Mei", "Kwame", "Sofia", "Daniel", "Ingrid", "Rahul", "Elena",
    "Marcus", "Yuki", "Fatima", "Lucas", "Hannah", "Mateo", "Aisha", "Pieter", "Chloe", "Dmitri", "Grace",
    "Samuel", "Leila", "Jonas", "Nadia", "Ethan", "Zara", "Felix",
)
SURNAMES = (
    "Smith", "Okafor", "Novak", "Sharma", "Bennett", "Chen", "Mensah", "Rossi", "Fischer", "Larsen", "Gupta",
    "Petrova", "Hughes", "Tanaka", "Haddad", "Moreau", "Kowalski", "Alvarez", "Osei", "de Vries", "Dubois",
    "Ivanov", "Murphy", "Adeyemi", "Karimi", "Berg", "Romero", "Walsh", "Nakamura", "Lindqvist",
)
PLACES = (
    "Lisbon", "Leeds", "Nairobi", "Osaka", "Toronto", "Krakow", "Valencia", "Glasgow", "Accra", "Perth",
    "Lyon", "Rotterdam", "Bristol", "Porto", "Dublin", "Seville", "Gdansk", "Mumbai", "Quebec", "Bergen",
)
REPORTERS = tuple(f"{first} {last}" for first, last in zip(FIRST_NAMES[::3], SURNAMES[1::3], strict=True))
NOUNS = ("plan", "report", "proposal", "review", "deal", "scheme", "inquiry", "budget", "programme", "strategy")
ADJECTIVES = ("new", "major", "controversial", "long-awaited", "ambitious", "modest", "surprise", "revised")
VERBS = ("announced", "unveiled", "approved", "rejected", "delayed", "expanded", "backed", "outlined")
HEADLINE_VERBS = ("stalls", "advances", "faces questions", "wins support", "is delayed", "sparks debate")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
ORDINALS = ("second", "third", "fourth", "fifth")
STATEMENTS = (
    "{O} {V} a {A} {G} on {D} that would change how {K} and {K2} are handled across {P}.",
    "The {G}, which covers more than {N} {K} projects, is expected to take effect in {M}.",
    "Officials in {P} said the {K} figures for {M} were the highest for {N2} years.",
    "Critics argue that the {G} does little for {K}, while supporters point to gains in {K2}.",
    "According to figures published by {O}, spending on {K} rose by {PCT} percent last year.",
    "The decision follows months of debate over {K} in {P} and the surrounding region.",
    "Local leaders in {P} have asked for more time to study the effect on {K} before they decide.",
    "Analysts expect the pressure on {K} to continue until at least {M}, and possibly longer.",
    "About {N} people attended a meeting in {P} on {D} evening to discuss the {K} {G}.",
    "It is the {ORD} time this year that {O} has changed its approach to {K}.",
    "Earlier this year, a review of {K} in {P} found that {PCT} percent of cases had been delayed.",
    "The {G} will be looked at again in {M}, when new figures on {K} and {K2} are due.",
    "Some groups that work on {K2} welcomed the move, saying it was long overdue.",
    "Others said the timing, just weeks before {M}, could hardly have been worse.",
    "{O} has not said how much the {G} will cost, or who will pay for it.",
    "Previous attempts to reform {K} in {P} collapsed amid disagreement over money.",
    "In {P}, where {K} has been a concern for a decade, the reaction was mixed.",
    "The number of complaints about {K} has doubled since {M}, according to {O}.",
    "A similar {G} in {P2} was dropped after two years when the {K} results disappointed.",
    "Neither side expects a quick agreement on {K}, and talks are set to resume on {D}.",
)
QUOTES = (
    "We have worked on this {K} {G} for {N2} years and we are not going to give up now",
    "This is a {A} moment for {K} in {P}, and people should not underestimate it",
    "Nobody should pretend that the problems with {K} will be solved overnight",
    "People in {P} deserve better {K}, and they deserve it now rather than in five years",
    "I think the {G} is a step in the right direction, but it is only a first step",
    "We will keep talking to everyone involved in {K} until we find a solution that lasts",
    "The figures speak for themselves: {K} is changing faster than anyone expected",
    "Our job is to make sure that {K} works for everyone, not only for a lucky few",
    "I have never seen anything like it in all my years working on {K}",
    "If we get this wrong, it is the people of {P} who will pay the price",
)
HEADINGS = ("What the {G} means for {P}", "Reaction in {P}", "What happens next", "A long debate over {K}",
            "The numbers behind the {G}", "Background", "Questions about {K}", "The view from {P2}")
BULLETS = ("{N} new {K} posts in {P}", "a review of the rules on {K2} by {M}", "funding of {MONEY} for {K}",
           "a {A} helpline for questions about {K}", "quarterly reports on {K} to {O}",
           "a pilot {G} in {P2} starting in {M}")


@dataclass(frozen=True)
class Article:
    number: int
    slug: str
    title: str
    date: datetime
    author: str
    topics: tuple[Topic, ...]
    """The topic the article is written about, then (for about a third) a second one it touches."""
    body: str
    """Markdown: paragraphs, ## headings, one bulleted list, quotations with their speakers."""

    @property
    def source(self) -> str:
        return f"https://news.example.org/{self.date:%Y/%m}/{self.slug}"


def make_article(number: int) -> Article:
    """Article ``number`` (from 1) of the corpus: the same text whatever N is, so sizes share a prefix."""
    rng = random.Random(SEED * 1_000_003 + number)
    topic = TOPICS[(number * 7 + rng.randrange(3)) % len(TOPICS)]
    second = rng.choice([t for t in TOPICS if t is not topic]) if rng.random() < 0.35 else None
    place, place2 = rng.sample(PLACES, 2)

    def fill(template: str) -> str:
        # Mostly the main topic's words; a second topic's now and then, as real articles drift.
        words = (second or topic).keywords if second is not None and rng.random() < 0.2 else topic.keywords
        first_word, second_word = rng.sample(words, 2)
        return template.format(
            O=rng.choice(topic.orgs), V=rng.choice(VERBS), A=rng.choice(ADJECTIVES), G=rng.choice(NOUNS),
            D=rng.choice(DAYS), M=rng.choice(MONTHS), K=first_word, K2=second_word, P=place, P2=place2,
            N=rng.randint(12, 4_000), N2=rng.randint(2, 30), PCT=rng.randint(2, 60), ORD=rng.choice(ORDINALS),
            MONEY=f"${rng.randint(2, 900)} million")

    def sentences(count: int) -> str:
        said = (fill(template) for template in rng.sample(STATEMENTS, count))
        return " ".join(sentence[0].upper() + sentence[1:] for sentence in said)  # "the X said" opens some

    speakers = [(f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}", rng.choice(topic.roles),
                 rng.choice(topic.orgs), rng.choice(("he", "she"))) for _ in range(rng.randint(2, 3))]
    introduced: set[int] = set()

    def quotation() -> str:
        index = rng.randrange(len(speakers))
        name, role, org, pronoun = speakers[index]
        said = fill(rng.choice(QUOTES))
        if index not in introduced:  # the first time, full name and role, as a newspaper does
            introduced.add(index)
            return f"\"{said},\" said {name}, the {role} at {org}."
        surname = name.split(" ", 1)[1]
        return rng.choice((f"\"{said},\" said {name}.", f"{surname} said: \"{said}.\"",
                           f"\"{said},\" {surname} added. \"{fill(rng.choice(QUOTES))}.\"",
                           f"{surname} was blunt. \"{said},\" {pronoun} said."))

    # Blocks of at most ~100 words, added while they fit under a target of 700-900 words: 600-900 in all.
    target = rng.randint(700, 900)
    blocks = [sentences(2), f"{sentences(1)} {quotation()}"]
    listed = False
    headings: set[str] = set()
    while True:
        roll = rng.random()
        if roll < 0.2 and len(headings) < len(HEADINGS):
            heading = rng.choice([h for h in HEADINGS if h not in headings])
            headings.add(heading)
            block = "## " + fill(heading)
        elif roll < 0.3 and not listed:
            listed = True
            items = rng.sample(BULLETS, rng.randint(3, 5))
            block = f"The {rng.choice(NOUNS)} includes:\n\n" + "\n".join(f"- {fill(item)}" for item in items)
        elif roll < 0.6:
            block = f"{sentences(rng.randint(1, 2))} {quotation()}"
        else:
            block = sentences(rng.randint(2, 4))
        if sum(len(b.split()) for b in blocks) + len(block.split()) > target:
            break
        if block.startswith("## ") and blocks[-1].startswith("## "):
            continue  # never two headings in a row
        blocks.append(block)
    if blocks[-1].startswith("## "):
        blocks.pop()
    headline = fill(f"{{P}} {{K}} {{G}} {rng.choice(HEADLINE_VERBS)} as {{O}} {{V}} {{K2}} {{G}}")
    title = headline[0].upper() + headline[1:]
    date = datetime(2023, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(730 * 24 * 60))
    slug = f"{number:05d}-" + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60].rstrip("-")
    return Article(number, slug, title, date, rng.choice(REPORTERS), (topic,) if second is None else (topic, second),
                   "\n\n".join(blocks) + "\n")


def corpus(count: int) -> list[Article]:
    return [make_article(number) for number in range(1, count + 1)]


# --- the four projects --------------------------------------------------------------------------------


def front_matter(meta: Mapping[str, object]) -> str:
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1_000_000) + "---\n\n"


def write_digest(root: Path, articles: Sequence[Article], source: Path) -> None:
    """content/articles/<slug>.md with the front matter ingest writes; a config declaring the 12 topics."""
    (root / "content" / "articles").mkdir(parents=True)
    shutil.copytree(source / "themes", root / "themes")
    config = {
        "site": {"title": "Bench News", "description": "Generated articles for bench/bench_peers.py.",
                 "base_url": "https://example.org/"},
        "topics": [{"name": t.name, "slug": t.slug, "description": t.description, "keywords": list(t.keywords)}
                   for t in TOPICS],
    }
    (root / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    for article in articles:
        meta = {"title": article.title, "date": article.date.isoformat(), "author": article.author,
                "source": article.source}
        (root / "content" / "articles" / f"{article.slug}.md").write_text(front_matter(meta) + article.body,
                                                                       encoding="utf-8")


HUGO_CONFIG = """baseURL = "https://example.org/"
title = "Bench News"
languageCode = "en"
relativeURLs = true
# digest writes no section list. It writes Atom feeds of the newest 20 (site and topics), a sitemap and
# robots.txt: so does this site (RSS, Hugo's kind of feed).
disableKinds = ["section"]
enableRobotsTXT = true
[services.rss]
limit = 20
[taxonomies]
topic = "topics"
"""
HUGO_RELATED_CONFIG = """# The hugo-related site: the four related articles digest lists on each article page, by
# Hugo's own related content (shared topics, then date: the generated articles have no keywords).
[related]
includeNewer = true
threshold = 0
toLower = false
[[related.indices]]
name = "topics"
weight = 100
[[related.indices]]
name = "date"
weight = 10
"""
HUGO_RELATED_LIST = """{{ with .Site.RegularPages.Related . | first 4 }}<section><h2>Related articles</h2><ul>
{{ range . }}<li><time>{{ .Date.Format "2 Jan 2006" }}</time> <a href="{{ .RelPermalink }}">{{ .Title }}</a></li>
{{ end }}</ul></section>{{ end }}"""
# Hugo renders nothing without layouts: these make the pages digest makes (article, home with the
# latest 20, a page per topic listing all its articles with a summary, the topics page, 404).
HUGO_LAYOUTS = {
    "baseof.html": """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ if not .IsHome }}{{ .Title }} · {{ end }}{{ .Site.Title }}</title>
<link rel="stylesheet" href="{{ "style.css" | relURL }}"></head>
<body><header><a href="{{ "/" | relURL }}">{{ .Site.Title }}</a>
<nav><a href="{{ "/" | relURL }}">Home</a> <a href="{{ "/topics/" | relURL }}">Topics</a></nav></header>
<main>{{ block "main" . }}{{ end }}</main>
<footer><p>{{ .Site.Title }}</p></footer></body></html>
""",
    "single.html": """{{ define "main" }}<article><h1>{{ .Title }}</h1>
<p><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time>
· {{ .Params.author }}</p>
<p>{{ range .GetTerms "topics" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</p>
{{ .Content }}
<p><a href="{{ .Params.source }}">Original</a></p>{{/* related */}}</article>{{ end }}
""",
    "home.html": """{{ define "main" }}<h2>Topics</h2><ul>
{{ range .Site.Taxonomies.topics.ByCount -}}
<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>
{{ end }}</ul><h2>Latest articles</h2>
{{ range first 20 .Site.RegularPages.ByDate.Reverse }}{{ partial "card.html" . }}{{ end }}{{ end }}
""",
    "term.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ range .Pages.ByDate.Reverse }}{{ partial "card.html" . }}{{ end }}{{ end }}
""",
    "taxonomy.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ul>
{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>
{{ end }}</ul>{{ end }}
""",
    "404.html": """{{ define "main" }}<h1>Page not found</h1><p><a href="{{ "/" | absURL }}">Home</a></p>{{ end }}
""",
    "_partials/card.html": """<article><h3><a href="{{ .RelPermalink }}">{{ .Title }}</a></h3>
<p><time>{{ .Date.Format "2 January 2006" }}</time></p><p>{{ .Summary }}</p></article>
""",
}


def write_hugo(root: Path, articles: Sequence[Article], related: bool = False) -> None:
    """The Hugo site; with ``related``, article pages list related articles as digest's do."""
    (root / "content" / "posts").mkdir(parents=True)
    (root / "layouts" / "_partials").mkdir(parents=True)
    (root / "static").mkdir()
    (root / "hugo.toml").write_text(HUGO_CONFIG + (HUGO_RELATED_CONFIG if related else ""), encoding="utf-8")
    for name, text in HUGO_LAYOUTS.items():
        text = text.replace("{{/* related */}}", HUGO_RELATED_LIST if related else "")
        (root / "layouts" / name).write_text(text, encoding="utf-8")
    (root / "static" / "style.css").write_text("body { max-width: 40rem; margin: auto; }\n", encoding="utf-8")
    for article in articles:
        meta = {"title": article.title, "date": article.date.isoformat(), "author": article.author,
                "source": article.source, "topics": [topic.name for topic in article.topics]}
        (root / "content" / "posts" / f"{article.slug}.md").write_text(front_matter(meta) + article.body,
                                                                     encoding="utf-8")


# Pelican's default theme and settings; its Atom feeds as digest's: the whole site's and each category's,
# the newest 20 (no per-author or per-language feeds: digest writes none).
PELICAN_CONFIG = """AUTHOR = "Bench"
SITENAME = "Bench News"
SITEURL = ""
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
RELATIVE_URLS = True
FEED_MAX_ITEMS = 20
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
"""


def write_pelican(root: Path, articles: Sequence[Article]) -> None:
    """content/<slug>.md with Pelican's metadata lines: the main topic as category, all topics as tags."""
    (root / "content").mkdir(parents=True)
    (root / "pelicanconf.py").write_text(PELICAN_CONFIG, encoding="utf-8")
    for article in articles:
        meta = (f"Title: {article.title}\nDate: {article.date:%Y-%m-%d %H:%M}\nAuthor: {article.author}\n"
                f"Category: {article.topics[0].name}\nTags: {', '.join(t.name for t in article.topics)}\n"
                f"Slug: {article.slug}\n\n")
        (root / "content" / f"{article.slug}.md").write_text(meta + article.body, encoding="utf-8")


MKDOCS_CONFIG = """site_name: Bench News
site_url: https://example.org/
"""


def write_mkdocs(root: Path, articles: Sequence[Article]) -> None:
    """docs/<slug>.md with a meta block and the title as H1; a home page with the latest 20."""
    (root / "docs").mkdir(parents=True)
    (root / "mkdocs.yml").write_text(MKDOCS_CONFIG, encoding="utf-8")
    latest = sorted(articles, key=lambda a: a.date, reverse=True)[:20]
    (root / "docs" / "index.md").write_text(
        "# Bench News\n\n" + "".join(f"- [{a.title}]({a.slug}.md)\n" for a in latest), encoding="utf-8")
    for article in articles:
        meta = {"date": article.date.isoformat(), "author": article.author,
                "topics": [topic.name for topic in article.topics]}
        (root / "docs" / f"{article.slug}.md").write_text(
            front_matter(meta) + f"# {article.title}\n\n" + article.body, encoding="utf-8")


# --- measuring ----------------------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    cpu: float
    """User + system CPU seconds of the process and the children it waited for (its pool): unlike the
    wall time, barely changed by other load on the cores."""
    largest_kib: int
    """ru_maxrss of the reaped child: its own peak or its largest waited-for descendant's (Linux: KiB)."""
    tree_kib: int
    """Peak of the summed RSS of the processes in the run's process group, sampled every 50 ms (members
    found every 0.2 s)."""
    output: str


def group_members(group: int) -> set[int]:
    """The processes in process group ``group`` (the run and its pool workers): a scan of all of /proc."""
    members = {group}
    for entry in os.scandir("/proc"):
        # Only processes started after the run's first one (pids grow; a wrap-around would miss some).
        if entry.name.isdigit() and int(entry.name) > group:
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue  # it ended while being read
            # Fields after the command name (which may hold spaces and parentheses): state ppid pgrp ...
            if int(stat.rsplit(")", 1)[1].split()[2]) == group:
                members.add(int(entry.name))
    return members


def rss_kib(pids: set[int], page_kib: int) -> int:
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page_kib
        except (OSError, IndexError, ValueError):
            continue  # it ended
    return total


def run_measured(command: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Run ``command`` as its own process group; wall time, peak RSS, output. Exits on failure.

    The files the runs before wrote are flushed to disk first (``os.sync``, untimed), as
    hyperfine's ``--prepare sync`` does: otherwise a run after one that wrote thousands of
    pages pays for their writeback (~5% of a 1,000-article build, measured)."""
    page_kib = os.sysconf("SC_PAGE_SIZE") // KIB
    peak = 0
    done = threading.Event()
    os.sync()
    with tempfile.TemporaryFile() as sink:
        start = time.perf_counter()
        process = subprocess.Popen(list(command), cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # its own group: what the sampler sums

        def sample() -> None:
            # Reading a few statm files is cheap; scanning /proc for the group's members costs more, so
            # that is done every SCAN_SECONDS only.
            nonlocal peak
            members, scanned = {process.pid}, 0.0
            while not done.wait(SAMPLE_SECONDS):
                if time.monotonic() - scanned >= SCAN_SECONDS:
                    members, scanned = group_members(process.pid), time.monotonic()
                peak = max(peak, rss_kib(members, page_kib))

        def kill() -> None:
            say(f"timeout after {RUN_TIMEOUT:.0f} s: {' '.join(command)}")
            os.killpg(process.pid, signal.SIGKILL)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        timer = threading.Timer(RUN_TIMEOUT, kill)
        timer.start()
        # wait4, not Popen.wait: it gives the child's resource usage (ru_maxrss).
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        timer.cancel()
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        sink.seek(0)
        output = sink.read().decode("utf-8", "replace")
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}) in {cwd}:\n{output[-3000:]}")
    return Run(seconds, usage.ru_utime + usage.ru_stime, int(usage.ru_maxrss), max(peak, int(usage.ru_maxrss)),
               output)


Tree = dict[str, str]
"""Each file's path in a folder, with the hash of its bytes."""


def tree_of(folder: Path) -> Tree:
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def tree_hash(tree: Tree) -> str:
    """One hash of every path and its bytes: equal hashes, byte-identical trees."""
    return hashlib.sha256("".join(f"{path}\0{digest}\n" for path, digest in tree.items()).encode()).hexdigest()[:16]


def tree_differences(first: Tree, other: Tree) -> set[str]:
    return {path for path in first.keys() | other.keys() if first.get(path) != other.get(path)}


def html_pages(folder: Path) -> int:
    return sum(1 for _ in folder.rglob("*.html"))


@dataclass
class Series:
    """One tool (or digest variant) at one N."""

    tool: str
    count: int
    runs: list[Run] = field(default_factory=list)
    pages: int = 0
    hashes: set[str] = field(default_factory=set)
    differing: set[str] = field(default_factory=set)
    """digest: files in which a run's site/ differs from the first digest run's at this N."""

    @property
    def median(self) -> float:
        return statistics.median(run.seconds for run in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(run.cpu for run in self.runs)

    def stage_medians(self) -> dict[str, float]:
        """digest's own per-stage timings (ms), from the lines build.py prints, in their order."""
        per_stage: dict[str, list[float]] = {}
        for run in self.runs:
            for line in run.output.splitlines():
                if match := STAGE_LINE.match(line):
                    per_stage.setdefault(match.group(1), []).append(float(match.group(2)))
        return {name: statistics.median(values) for name, values in per_stage.items()}


DIGEST_NO_CACHE = "digest, no cache"
DIGEST_CACHED = "digest, cached analysis"
DIGEST_NO_CHANGE = "digest, no-change rebuild"
DIGEST_EDIT = "digest, one article edited"
DIGEST_KINDS = (DIGEST_NO_CACHE, DIGEST_CACHED, DIGEST_NO_CHANGE)
"""The builds of the same input, whose sites must be identical; the edit's is another site."""
EDITED_PARAGRAPHS = ("\n\nAn added paragraph: the harbour authority said on Friday that the repairs to the "
                     "north quay would go on until the spring.\n",
                     "\n\nA second one: the ferry company said its crossings would run to the old timetable.\n")
PEERS = ("hugo", "hugo-related", "pelican", "mkdocs")


@dataclass
class Tools:
    python: Path
    """The interpreter digest runs with (this one)."""
    digest_source: Path
    """Where build.py, digest/ and themes/ are: a git archive of HEAD, or the work tree."""
    hugo: Path | None
    pelican: Path | None
    mkdocs: Path | None


class Trash:
    """Output folders of earlier runs, moved aside rather than deleted until the benchmark ends.

    On this machine's ext4 (mounted without a journal), the kernel will not reuse an inode freed in
    the last 30 s to 5 min, and each new file or folder scans past all such inodes of its block
    group: right after 10,000 files are deleted, creating one costs 0.5-1.5 ms instead of ~0.1 ms
    (measured with perf: ``find_inode_bit``/``recently_deleted``). Deleting the previous run's
    output just before a timed run made every tool's time depend on what ran before it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.count = 0

    def set_aside(self, path: Path) -> None:
        if not path.exists() and not path.is_symlink():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        self.count += 1
        path.rename(self.root / str(self.count))

    def empty(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


TRASH = Trash(Path(tempfile.gettempdir()) / "digest-peers-trash")
"""Replaced in ``main`` by a folder beside the projects (a rename cannot cross file systems)."""


def bench_size(tools: Tools, articles: Sequence[Article], folder: Path, repeats: int,
               peers: Sequence[str]) -> dict[str, Series]:
    """All runs at one N, alternating: digest (no cache), hugo, digest (cached), pelican, digest (no change),
    mkdocs; ``repeats`` rounds."""
    count = len(articles)
    digest_root, hugo_root, related_root, pelican_root, mkdocs_root = (
        folder / name for name in ("digest", "hugo", "hugo-related", "pelican", "mkdocs"))
    say(f"N={count}: writing the projects in {folder}")
    write_digest(digest_root, articles, tools.digest_source)
    available = {name: path for name, path in (("hugo", tools.hugo), ("hugo-related", tools.hugo),
                                               ("pelican", tools.pelican), ("mkdocs", tools.mkdocs))
                 if name in peers}
    if available.get("hugo"):
        write_hugo(hugo_root, articles)
    if available.get("hugo-related"):
        write_hugo(related_root, articles, related=True)
    if available.get("pelican"):
        write_pelican(pelican_root, articles)
    if available.get("mkdocs"):
        write_mkdocs(mkdocs_root, articles)

    series = {name: Series(name, count) for name in (*DIGEST_KINDS, DIGEST_EDIT,
                                                     *(p for p in PEERS if available.get(p)))}
    build = [str(tools.python), str(tools.digest_source / "build.py"), "build", "--config",
             str(digest_root / "config.yaml")]

    first: list[Tree] = []  # the first digest run's site/, which every other run must equal

    def digest(name: str, fresh_site: bool, fresh_cache: bool) -> None:
        if fresh_site:
            TRASH.set_aside(digest_root / "site")
        if fresh_cache:
            TRASH.set_aside(digest_root / ".cache")
        run = run_measured(build, digest_root)
        series[name].runs.append(run)
        if name != DIGEST_EDIT:  # the edit's input is another: so is its site
            tree = tree_of(digest_root / "site")  # after the clock stopped
            if first:
                series[name].differing.update(tree_differences(first[0], tree))
            else:
                first.append(tree)
            series[name].hashes.add(tree_hash(tree))
        series[name].pages = html_pages(digest_root / "site")
        say(f"  {name:<26} {run.seconds:8.2f} s  {run.tree_kib / KIB:7.0f} MiB")

    def peer(name: str, root: Path, output: str, command: list[str]) -> None:
        binary = available.get(name)
        if binary is None:
            return
        TRASH.set_aside(root / output)
        TRASH.set_aside(root / "cache")
        run = run_measured([str(binary), *command], root)
        series[name].runs.append(run)
        series[name].pages = html_pages(root / output)
        say(f"  {name:<26} {run.seconds:8.2f} s  {run.tree_kib / KIB:7.0f} MiB")

    for repeat in range(repeats):
        say(f"N={count}: round {repeat + 1}/{repeats}")
        digest(DIGEST_NO_CACHE, fresh_site=True, fresh_cache=True)
        peer("hugo", hugo_root, "public", ["--quiet", "--noBuildLock", "--cacheDir", str(hugo_root / "cache")])
        peer("hugo-related", related_root, "public",
             ["--quiet", "--noBuildLock", "--cacheDir", str(related_root / "cache")])
        digest(DIGEST_CACHED, fresh_site=True, fresh_cache=False)
        peer("pelican", pelican_root, "output", ["content", "--output", "output", "--settings", "pelicanconf.py",
                                                 "--quiet"])
        digest(DIGEST_NO_CHANGE, fresh_site=False, fresh_cache=False)  # right after the cached build
        # An editor's saves: one article (the middle one) gains a paragraph, and the site is rebuilt
        # over the last one; twice, the second timed: it also removes the site the first swapped out,
        # as each build after an edit does. The article is put back afterwards (untimed).
        edited = digest_root / "content" / "articles" / f"{articles[len(articles) // 2].slug}.md"
        original = edited.read_bytes()
        edited.write_bytes(original + EDITED_PARAGRAPHS[0].encode("utf-8"))
        run_measured(build, digest_root)  # untimed
        edited.write_bytes(original + "".join(EDITED_PARAGRAPHS).encode("utf-8"))
        digest(DIGEST_EDIT, fresh_site=False, fresh_cache=False)
        edited.write_bytes(original)
        peer("mkdocs", mkdocs_root, "site", ["build", "--quiet", "--site-dir", "site"])
    return series


def identity_check(tools: Tools, articles: Sequence[Article], folder: Path) -> tuple[str, str, set[str]]:
    """digest's site with --workers 1 and --workers 2 (no cache, different hash seeds): their hashes and the
    files that differ."""
    root = folder / "digest"
    trees = []
    for workers, seed in (("1", "1"), ("2", "2")):
        TRASH.set_aside(root / "site")
        say(f"N={len(articles)}: digest --workers {workers} --no-cache (identity check, untimed)")
        run_measured([str(tools.python), str(tools.digest_source / "build.py"), "build", "--config",
                      str(root / "config.yaml"), "--no-cache", "--workers", workers], root,
                     env={**os.environ, "PYTHONHASHSEED": seed})
        trees.append(tree_of(root / "site"))
    return tree_hash(trees[0]), tree_hash(trees[1]), tree_differences(trees[0], trees[1])


# --- reporting ----------------------------------------------------------------------------------------


def spread(runs: Sequence[Run]) -> str:
    values = [run.seconds for run in runs]
    median = statistics.median(values)
    return f"{median:.2f}" if len(values) < 2 else f"{median:.2f} ({min(values):.2f}-{max(values):.2f})"


def report_table(results: dict[int, dict[str, Series]]) -> list[str]:
    rows = []
    for count, by_tool in results.items():
        hugo = by_tool.get("hugo")
        for series in by_tool.values():
            rows.append([
                series.tool, f"{count:,}", str(len(series.runs)), spread(series.runs),
                f"{series.median * 1000 / count:.2f}",
                f"{series.median / hugo.median:.2f}x" if hugo else "-",
                f"{series.cpu:.2f}",
                f"{max(run.largest_kib for run in series.runs) / KIB:.0f}",
                f"{max(run.tree_kib for run in series.runs) / KIB:.0f}",
                f"{series.pages:,}",
            ])
    return table(["tool", "N", "runs", "median s (min-max)", "ms/article", "x hugo", "cpu s", "peak MiB",
                  "tree MiB", "html pages"], rows)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def examples(paths: set[str], shown: int = 3) -> str:
    if not paths:
        return ""
    return f"; {len(paths)} file(s) differ, e.g. " + ", ".join(sorted(paths)[:shown])


def per_round(ours: Series, theirs: Series) -> str:
    """The ratio of each round's run to the other tool's run of the same round: the runs alternate,
    so a round's pair met the same phase of the machine, which drifts by 10-30% within minutes."""
    pairs = [f"{mine.seconds / other.seconds:.2f}" for mine, other in zip(ours.runs, theirs.runs, strict=False)]
    return f"; per round: {', '.join(pairs)}" if len(pairs) > 1 else ""


def targets(results: dict[int, dict[str, Series]], identity: tuple[int, str, str, set[str]] | None) -> list[str]:
    """The issue's targets, each as PASS/FAIL with the figures it was judged on."""
    lines = []
    sizes = sorted(results)
    peer_sizes = [n for n in sizes if "hugo" in results[n] or "pelican" in results[n]]
    for count in peer_sizes:
        by_tool = results[count]
        cached = by_tool[DIGEST_CACHED].median
        if "hugo" in by_tool:
            hugo = by_tool["hugo"].median
            lines.append(f"{verdict(cached <= hugo)}  cached cold <= 1.0x hugo at N={count:,}: "
                         f"{cached:.2f} s vs {hugo:.2f} s = {cached / hugo:.2f}x "
                         f"(CPU time: {by_tool[DIGEST_CACHED].cpu:.2f} s vs {by_tool['hugo'].cpu:.2f} s"
                         f"{per_round(by_tool[DIGEST_CACHED], by_tool['hugo'])})")
        if "hugo-related" in by_tool:  # not one of the targets: the same pages with related articles
            related = by_tool["hugo-related"].median
            lines.append(f"info  cached cold vs hugo-related (related articles on each page, as digest) at "
                         f"N={count:,}: {cached:.2f} s vs {related:.2f} s = {cached / related:.2f}x")
    for count in peer_sizes:
        by_tool = results[count]
        cold = by_tool[DIGEST_NO_CACHE].median
        if "pelican" in by_tool:
            pelican = by_tool["pelican"].median
            lines.append(f"{verdict(cold <= pelican)}  no-cache cold <= pelican at N={count:,}: "
                         f"{cold:.2f} s vs {pelican:.2f} s = {cold / pelican:.2f}x "
                         f"(CPU time: {by_tool[DIGEST_NO_CACHE].cpu:.2f} s vs {by_tool['pelican'].cpu:.2f} s"
                         f"{per_round(by_tool[DIGEST_NO_CACHE], by_tool['pelican'])})")
    for count in peer_sizes:
        by_tool = results[count]
        if "hugo" in by_tool:  # not one of the targets: Hugo's only build is a whole one
            edit, hugo = by_tool[DIGEST_EDIT].median, by_tool["hugo"].median
            lines.append(f"info  one article edited (a rebuild over the last site) vs hugo (every build whole) at "
                         f"N={count:,}: {edit:.2f} s vs {hugo:.2f} s = {edit / hugo:.2f}x")
    big = 5000 if 5000 in results else sizes[-1]
    rebuild = results[big][DIGEST_NO_CHANGE].median
    lines.append(f"{verdict(rebuild < 1.0)}  no-change rebuild at N={big:,} < 1 s: {rebuild:.2f} s"
                 + ("" if big == 5000 else " (the issue's N is 5,000; not run)"))
    if len(sizes) > 1:
        small, large = (1000, 10000) if {1000, 10000} <= set(results) else (sizes[0], sizes[-1])
        limit = 1.05 * large / small  # 10.5x for 10x the articles
        for name in (DIGEST_NO_CACHE, DIGEST_CACHED):
            ratio = results[large][name].median / results[small][name].median
            cpu_ratio = results[large][name].cpu / results[small][name].cpu
            lines.append(f"{verdict(ratio <= limit)}  {name}: N={large:,} <= {limit:.1f}x N={small:,}: "
                         f"{results[large][name].median:.2f} s / {results[small][name].median:.2f} s = {ratio:.2f}x "
                         f"(CPU time: {cpu_ratio:.2f}x)")
    memory_size = 5000 if 5000 in peer_sizes else (peer_sizes[-1] if peer_sizes else None)
    if memory_size is not None and "hugo" in results[memory_size]:
        by_tool = results[memory_size]
        digest_peak = max(run.tree_kib for name in DIGEST_KINDS for run in by_tool[name].runs) / KIB
        hugo_peak = max(run.tree_kib for run in by_tool["hugo"].runs) / KIB
        lines.append(f"{verdict(digest_peak < hugo_peak)}  digest peak memory < hugo's at N={memory_size:,} "
                     f"(tree MiB, the largest of digest's three kinds of build): {digest_peak:.0f} vs "
                     f"{hugo_peak:.0f} MiB")
    for count in sizes:
        kinds = [results[count][name] for name in DIGEST_KINDS]
        hashes = set().union(*(series.hashes for series in kinds))
        differing = set().union(*(series.differing for series in kinds))
        runs = sum(len(series.runs) for series in kinds)
        lines.append(f"{verdict(len(hashes) == 1)}  same site/ across digest's {runs} timed runs at N={count:,}: "
                     + ", ".join(sorted(hashes)) + examples(differing))
    if identity is not None:
        count, one, two, differing = identity
        lines.append(f"{verdict(one == two)}  same site/ with --workers 1 and --workers 2 (--no-cache, "
                     f"PYTHONHASHSEED 1 and 2) at N={count:,}: {one} / {two}" + examples(differing))
    return lines


def stage_report(results: dict[int, dict[str, Series]]) -> list[str]:
    rows = []
    every = [by_tool[name].stage_medians() for by_tool in results.values() for name in (*DIGEST_KINDS, DIGEST_EDIT)]
    stages = list(dict.fromkeys(stage for medians in every for stage in medians))  # in build.py's order
    for count, by_tool in results.items():
        for name in (*DIGEST_KINDS, DIGEST_EDIT):
            medians = by_tool[name].stage_medians()
            total = sum(medians.values())
            rows.append([name, f"{count:,}", *(f"{medians.get(stage, 0.0):.0f}" for stage in stages),
                         f"{total:.0f}", f"{by_tool[name].median * 1000 - total:.0f}"])
    return ["digest's own stage timings (the lines build.py prints), median ms; 'rest' = wall time - stages "
            "(interpreter start, imports, exit):",
            *table(["build", "N", *stages, "stages", "rest"], rows)]


def draw_chart(results: dict[int, dict[str, Series]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no screen: draw to a file
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    styles = {DIGEST_NO_CACHE: ("#c0392b", "o", "-"), DIGEST_CACHED: ("#e67e22", "o", "-"),
              DIGEST_NO_CHANGE: ("#f1c40f", "o", ":"), DIGEST_EDIT: ("#16a085", "o", "-."),
              "hugo": ("#2c3e50", "s", "--"),
              "hugo-related": ("#8e44ad", "s", ":"),
              "pelican": ("#27ae60", "^", "--"), "mkdocs": ("#2980b9", "D", "--")}
    figure, axes = plt.subplots(figsize=(9.6, 5.2), dpi=120)
    ends: list[tuple[int, float, str]] = []
    for name, (colour, marker, line) in styles.items():
        points = [(count, by_tool[name]) for count, by_tool in sorted(results.items()) if name in by_tool]
        if not points:
            continue
        xs = [count for count, _ in points]
        ys = [series.median for _, series in points]
        low = [series.median - min(r.seconds for r in series.runs) for _, series in points]
        high = [max(r.seconds for r in series.runs) - series.median for _, series in points]
        axes.errorbar(xs, ys, yerr=[low, high], color=colour, marker=marker, linestyle=line, capsize=3,
                      label=name)
        ends.append((xs[-1], ys[-1], colour))
    # Each line's last time at its right end, nudged apart (in log space) where lines end close together.
    placed: list[tuple[int, float]] = []
    for x, y, colour in sorted(ends, key=lambda end: end[1]):
        level = math.log10(y)
        for other_x, other_level in placed:
            if other_x == x and level - other_level < 0.06:
                level = other_level + 0.06
        placed.append((x, level))
        axes.annotate(f"{y:.1f} s", (x, y), xytext=(x * 1.08, 10**level), fontsize=8, color=colour,
                      va="center")
    axes.set_xscale("log")
    axes.set_yscale("log")
    plain = FuncFormatter(lambda value, _position: f"{value:g}")
    axes.yaxis.set_major_formatter(plain)
    axes.yaxis.set_minor_locator(LogLocator(base=10, subs=(2.0, 5.0)))  # 2 and 5 between powers of 10
    axes.yaxis.set_minor_formatter(plain)
    axes.xaxis.set_minor_formatter(NullFormatter())
    sizes = sorted(results)
    axes.set_xticks(sizes, [f"{n:,}" for n in sizes])
    axes.set_xlim(sizes[0] / 1.5, sizes[-1] * 1.8)
    axes.set_xlabel("articles (N), log scale")
    axes.set_ylabel("build time, seconds (median; bars: min-max), log scale")
    axes.set_title(title, fontsize=9)
    axes.grid(True, which="both", alpha=0.3)
    # Beside the plot, not on it: no point or label hides behind it.
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)


# --- main ---------------------------------------------------------------------------------------------


def parse_counts(text: str) -> list[int]:
    try:
        values = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("expected positive numbers")
    return values


def version_of(name: str, binary: Path) -> str:
    """``pelican 4.12.0``, from ``binary --version`` (whose wording differs between the tools)."""
    done = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=False)
    found = re.search(r"\d+\.\d+[\w.]*", done.stdout + done.stderr)
    return f"{name} {found.group() if found else '?'}"


def export_head(target: Path) -> str:
    """build.py, digest/ and themes/ as committed at HEAD, into ``target``: what this run measures."""
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "HEAD", "build.py", "digest", "themes"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()


def compile_digest(source: Path) -> None:
    """Compile digest's modules to bytecode once, as pip does for an installed package (the peers
    are installed so) and as a user's first run does. Without it, where PYTHONDONTWRITEBYTECODE is
    set (this machine's environment sets it), every run compiled all of digest from source again:
    ~0.13 s a build (imports 0.36-0.41 s against 0.24-0.25 s from bytecode)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(source / "digest")], check=True)


def compile_analysis(source: Path) -> str:
    """The analysis compiled by mypyc, as ``make`` leaves it (digest/compiled.py): the work tree's
    compiled modules when they were compiled from the same sources, else compiled now (~35 s). What
    the header says of it."""
    if source != REPO and (REPO / "digest" / "_compiled").is_dir():
        shutil.copytree(REPO / "digest" / "_compiled", source / "digest" / "_compiled", dirs_exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(source)}
    check = [sys.executable, "-c", "from digest.compiled import current; print(current())"]
    if subprocess.run(check, cwd=source, env=env, capture_output=True, text=True).stdout.strip() != "True":
        subprocess.run([sys.executable, "-m", "digest.compiled"], cwd=source, env=env, capture_output=True)
    if subprocess.run(check, cwd=source, env=env, capture_output=True, text=True).stdout.strip() == "True":
        return "analysis compiled (mypyc)"
    return "analysis as Python (could not compile it: see python -m digest.compiled)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="digest vs Hugo, Pelican and MkDocs on the same generated "
                                     "articles: build times, memory, the issue's targets and a chart.")
    parser.add_argument("--sizes", type=parse_counts, default=[1000, 5000, 10000],
                        help="numbers of articles, comma-separated (default: 1000,5000,10000)")
    parser.add_argument("--peer-sizes", type=parse_counts, default=[1000, 5000],
                        help="the sizes at which Hugo, Pelican and MkDocs run too (default: 1000,5000); "
                        "digest alone at the others")
    parser.add_argument("--repeats", type=parse_counts, default=[3, 2, 2],
                        help="rounds per size, one number for all or one per size (default: 3,2,2)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: --sizes 100,300 --peer-sizes 100,300 --repeats 1, no chart")
    parser.add_argument("--tools", default="hugo,hugo-related,pelican,mkdocs",
                        help="the peers to run, comma-separated (default: hugo,hugo-related,pelican,mkdocs; "
                        "hugo-related is the Hugo site with Hugo's related articles on each article page)")
    parser.add_argument("--mkdocs-max", type=int, default=1000, metavar="N",
                        help="run MkDocs only up to this N (default: 1000): with no nav, every page lists "
                        "every page, so its output grows as N squared (315 MB at 1,000)")
    parser.add_argument("--identity-size", type=int, default=None,
                        help="N of the --workers 1 / --workers 2 check (default: the smallest size; 0: skip)")
    parser.add_argument("--chart", type=Path, default=CHART, help=f"the PNG to draw (default: {CHART})")
    parser.add_argument("--no-chart", action="store_true", help="draw no chart")
    parser.add_argument("--worktree", action="store_true",
                        help="run digest from the work tree as it is, not from a git archive of HEAD")
    parser.add_argument("--keep", type=Path, help="write the projects here and keep them (default: a temp dir)")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.peer_sizes, args.repeats, args.no_chart = [100, 300], [100, 300], [1], True
    sizes = sorted(set(args.sizes))
    if len(args.repeats) not in (1, len(sizes)):
        parser.error(f"--repeats: one number, or one per size ({len(sizes)})")
    repeats = dict(zip(sizes, args.repeats * len(sizes) if len(args.repeats) == 1 else args.repeats,
                       strict=True))
    if args.keep is not None and args.keep.exists() and any(args.keep.iterdir()):
        parser.error(f"--keep: {args.keep} is not empty")
    wanted = {name.strip() for name in args.tools.split(",") if name.strip()}
    if wanted - set(PEERS):
        parser.error(f"--tools: unknown {', '.join(sorted(wanted - set(PEERS)))} (known: {', '.join(PEERS)})")

    started = time.perf_counter()
    started_at = datetime.now().astimezone()
    load_start = " ".join(f"{value:.2f}" for value in os.getloadavg())
    sharing_start = core_sharing()
    hugo, hugo_note = hugo_binary(None) if wanted & {"hugo", "hugo-related"} else (None, "not asked for")
    hugo_version = re.search(r"v(\d+\.\d+\.\d+)", hugo_note) if hugo else None
    peer_bin = {name: PEERS_VENV / "bin" / name for name in ("pelican", "mkdocs") if name in wanted}
    missing = [f"{name} ({path})" for name, path in peer_bin.items() if not path.is_file()]
    if hugo is None and wanted & {"hugo", "hugo-related"}:
        missing.append(f"hugo ({hugo_note})")
    if missing:
        raise SystemExit("not installed: " + ", ".join(missing) + "; run make bench, or: python3 -m venv "
                         ".venv/peers && .venv/peers/bin/pip install -r requirements-bench-peers.txt")

    with tempfile.TemporaryDirectory(prefix="digest-peers-") as temp:
        work = args.keep.resolve() if args.keep else Path(temp)
        if args.worktree:
            source, commit = REPO, "work tree"
        else:
            source = work / "digest-head"
            commit = f"HEAD {export_head(source)} (git archive)"
        compile_digest(source)
        commit += "; " + compile_analysis(source)
        tools = Tools(Path(sys.executable), source, hugo, peer_bin.get("pelican"), peer_bin.get("mkdocs"))
        versions = [
            *([f"hugo {hugo_version.group(1) if hugo_version else '?'}"] if hugo else []),
            *(version_of(name, path) for name, path in peer_bin.items()),
        ]
        say(f"peers: {', '.join(versions)}")
        articles = corpus(sizes[-1])  # one corpus; each size takes its first N
        words = [len(article.body.split()) for article in articles]
        results: dict[int, dict[str, Series]] = {}
        identity: tuple[int, str, str, set[str]] | None = None
        identity_size = sizes[0] if args.identity_size is None else args.identity_size
        global TRASH
        TRASH = Trash(work / ".trash")
        for count in sizes:
            folder = work / f"n{count}"
            peers = [] if count not in args.peer_sizes else [
                name for name in PEERS if name != "mkdocs" or count <= args.mkdocs_max]
            results[count] = bench_size(tools, articles[:count], folder, repeats[count], peers)
            if count == identity_size:
                identity = (count, *identity_check(tools, articles[:count], folder))
            if not args.keep:
                TRASH.set_aside(folder)
        sharing_end = core_sharing()  # before the deletion below, which keeps the kernel busy for a while
        say("deleting the output folders of all runs (untimed)")
        TRASH.empty()
    load_end = " ".join(f"{value:.2f}" for value in os.getloadavg())

    model_line = machine_lines(started_at, load_start)[1]  # "machine: 2 usable core(s) (nproc), <CPU>; Linux ..."
    cores_cpu = model_line.removeprefix("machine: ").split(";")[0].replace(" (nproc)", "")
    out = [
        "digest against Hugo, Pelican and MkDocs (bench/bench_peers.py, issue 8)",
        *machine_lines(started_at, load_start)[:4],
        f"cores:   two busy Python processes at once took {sharing_start[1]:.2f}x the time of one alone at the "
        f"start ({sharing_start[0]:.2f} s alone), {sharing_end[1]:.2f}x at the end ({sharing_end[0]:.2f} s alone; "
        "1.00x: two independent cores; above it the cores share or slow down together, and digest, which "
        "builds on both, gains less from the second than one-process Pelican loses)",
        f"digest:  {commit}; run as: python build.py build --config <project>/config.yaml (default --workers: "
        "one per core)",
        f"peers:   {', '.join(versions)} (Pelican and MkDocs from .venv/peers)",
        f"input:   generated corpus (seed {SEED}): {sizes[-1]:,} articles, {min(words)}-{max(words)} words "
        f"(median {statistics.median(words):.0f}), 12 topics, dates 2023-2024; each N takes the first N",
        "runs:    whole processes, fresh output folder; alternating per round: digest no cache, hugo, "
        "hugo-related, digest cached, pelican, digest no-change, digest after an edit to one article (over "
        "that site; the second of two edits), mkdocs",
        "sites:   each writes article pages, a home page, topic pages and the topics page, feeds of the newest 20 "
        "(Hugo: RSS, also per topic; Pelican: Atom, per category); Hugo a sitemap and robots.txt too; "
        "hugo-related = hugo + 4 related articles per article page (Hugo's .Related, by topics and date); "
        "only digest writes a search index, archive pages, summaries and pull-quotes",
        *([f"mkdocs:  run up to N={args.mkdocs_max:,} only (--mkdocs-max): with no nav every page lists every "
           "page, so its output and time grow as N squared"] if any(
            n > args.mkdocs_max for n in args.peer_sizes) and "mkdocs" in wanted else []),
        "",
        "median (min-max) wall seconds; ms/article = median / N; cpu s = median user+system CPU seconds (all "
        "processes); peak MiB = the largest process (ru_maxrss); tree MiB = the process tree's summed RSS "
        "(sampled):",
        *report_table(results),
        "",
        *stage_report(results),
        "",
        "targets (issue 8):",
        *targets(results, identity),
        "",
        f"load average: {load_start} at start, {load_end} at end; "
        f"whole benchmark {time.perf_counter() - started:.0f} s",
    ]
    if not args.no_chart:
        draw_chart(results, args.chart, f"Build time against N (whole process, fresh output) on {cores_cpu}\n"
                   f"digest {commit.split(' (')[0]}, {', '.join(versions)}; {started_at:%Y-%m-%d}, "
                   f"load {load_start.split()[0]}-{load_end.split()[0]}")
        chart = args.chart.resolve()
        out.append(f"chart:   {chart.relative_to(REPO) if chart.is_relative_to(REPO) else chart}")
    sizes_flag = ",".join(str(n) for n in sizes)
    peer_flag = ",".join(str(n) for n in args.peer_sizes)
    repeat_flag = ",".join(str(repeats[n]) for n in sizes)
    out.append("rerun:   make bench    or    "
               + (f"{RERUN} --quick" if args.quick else
                  f"{RERUN} --sizes {sizes_flag} --peer-sizes {peer_flag} --repeats {repeat_flag}"))
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
