"""`python build.py ingest`: raw text -> front-matter Markdown the user owns, never overwritten."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from digest.ingest import convert, is_unedited, render_file
from digest.ingest.plaintext import parse_plain_text
from tests.conftest import REPO, SEED, SHARED, make_project, put_in_inbox, run_cli, tree_bytes

GOLDEN = REPO / "tests" / "golden" / "seed.md"
SEED_SLUG = "russia-ukraine-war-kyiv-under-heavy-bombing-russian-tanks-20"


def ingested(project: Path) -> Path:
    return project / "content" / "articles" / f"{SEED_SLUG}.md"


def test_seed_ingests_to_the_golden_markdown(project: Path) -> None:
    result = run_cli(project, "ingest", "content/inbox")
    assert result.code == 0, result.err
    assert "ingest: 1 written, 0 unchanged, 0 skipped, 0 failed" in result.out
    assert ingested(project).read_text(encoding="utf-8") == GOLDEN.read_text(encoding="utf-8")


def test_ingested_seed_follows_the_rules(project: Path) -> None:
    assert run_cli(project, "ingest", "content/inbox").code == 0
    text = ingested(project).read_text(encoding="utf-8")
    title = re.search(r"^title: (.*)$", text, re.M)
    assert title is not None
    assert "[VIDEOS]" not in title.group(1)  # bracketed all-caps tags are page furniture
    assert "Updated" not in text  # "• Updated" is debris
    assert "date_source: file-mtime" in text  # no date in the text: say where it came from
    assert "\n## Kyiv Under Attack\n" in text
    assert "\n## Fighting Till the Last Breath\n" in text
    assert "::: caption\nExplosions rock Kiev\n\nExplosions rocked Kiev on Friday morning Twitter\n:::" in text
    assert "## Explosions" not in text
    assert "## Officials" not in text  # a one-line paragraph with a full stop stays a paragraph


def test_reingesting_the_same_file_changes_nothing(project: Path) -> None:
    assert run_cli(project, "ingest", "content/inbox").code == 0
    before = ingested(project).stat().st_mtime_ns
    again = run_cli(project, "ingest", str(SEED))  # the same bytes from another path
    assert again.code == 0
    assert "0 written, 1 unchanged" in again.out
    assert ingested(project).stat().st_mtime_ns == before
    assert len(list((project / "content" / "articles").glob("*.md"))) == 1


def test_an_edited_file_is_never_overwritten_without_force(project: Path) -> None:
    assert run_cli(project, "ingest", "content/inbox").code == 0
    target = ingested(project)
    edited = target.read_text(encoding="utf-8").replace("Kyiv is under heavy", "Kyiv is under very heavy")
    target.write_text(edited, encoding="utf-8")
    assert not is_unedited(edited)
    raw = project / "content" / "inbox" / SEED.name
    raw.write_text(raw.read_text(encoding="utf-8") + "\n\nA late paragraph added by the source.\n", encoding="utf-8")

    kept = run_cli(project, "ingest", "content/inbox")
    assert kept.code == 0
    assert "skipped" in kept.out and "edited by you; --force replaces it" in kept.out
    assert target.read_text(encoding="utf-8") == edited

    dry = run_cli(project, "ingest", "--force", "--dry-run", "content/inbox")
    assert dry.code == 0 and "(dry run, not written; it would replace the file there)" in dry.out
    assert target.read_text(encoding="utf-8") == edited
    forced = run_cli(project, "ingest", "--force", "content/inbox")
    assert forced.code == 0
    assert "(replaced)" in forced.out
    replaced = target.read_text(encoding="utf-8")
    assert "A late paragraph added by the source." in replaced
    assert is_unedited(replaced)


def test_an_unedited_file_follows_its_changed_source(project: Path) -> None:
    assert run_cli(project, "ingest", "content/inbox").code == 0
    raw = project / "content" / "inbox" / SEED.name
    raw.write_text(raw.read_text(encoding="utf-8") + "\n\nAnother paragraph arrived later.\n", encoding="utf-8")
    result = run_cli(project, "ingest", "content/inbox")
    assert result.code == 0
    assert "Another paragraph arrived later." in ingested(project).read_text(encoding="utf-8")


def test_dry_run_writes_nothing(project: Path) -> None:
    before = tree_bytes(project / "content")
    result = run_cli(project, "ingest", "--dry-run", "content/inbox")
    assert result.code == 0
    assert "dry run, not written" in result.out
    assert tree_bytes(project / "content") == before


def test_two_sources_with_one_title_get_distinct_files(project: Path) -> None:
    inbox = project / "content" / "inbox"
    (inbox / "a.txt").write_text("Same Title\n\nThe first story has its own words.\n", encoding="utf-8")
    (inbox / "b.txt").write_text("Same Title\n\nThe second story says something else.\n", encoding="utf-8")
    result = run_cli(project, "ingest", str(inbox / "a.txt"), str(inbox / "b.txt"))
    assert result.code == 0, result.err
    names = sorted(p.name for p in (project / "content" / "articles").glob("same-title*.md"))
    assert names == ["same-title-2.md", "same-title.md"]


def test_files_of_one_name_from_two_folders_outside_the_project_stay_two_articles(project: Path, tmp_path: Path) -> None:
    # Scraped pages are often all story.txt or index.html: the second one replaced the first one's
    # article, which was then gone from content/.
    first, second = tmp_path / "monday" / "story.txt", tmp_path / "tuesday" / "story.txt"
    for path, text in ((first, "Bridge Reopens\n\nThe old bridge reopened to traffic on Monday.\n"),
                       (second, "Storm Closes Schools\n\nA storm closed every school in the county.\n")):
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
    assert run_cli(project, "ingest", str(first)).code == 0
    result = run_cli(project, "ingest", str(second))
    assert result.code == 0, result.err
    assert "replaced" not in result.out
    articles = project / "content" / "articles"
    assert "The old bridge reopened" in (articles / "bridge-reopens.md").read_text(encoding="utf-8")
    assert "A storm closed every school" in (articles / "storm-closes-schools.md").read_text(encoding="utf-8")
    # Each still follows its own raw file, and the full path is not written into content/.
    first.write_text("Bridge Reopens\n\nThe old bridge reopened to traffic on Monday morning.\n", encoding="utf-8")
    assert run_cli(project, "ingest", str(first)).code == 0
    assert sorted(path.name for path in articles.glob("*.md")) == ["bridge-reopens.md", "storm-closes-schools.md"]
    assert "Monday morning" in (articles / "bridge-reopens.md").read_text(encoding="utf-8")
    assert all(str(tmp_path) not in path.read_text(encoding="utf-8") for path in articles.glob("*.md"))


def test_an_article_ingested_from_outside_by_its_name_alone_still_follows_its_file(
        project: Path, tmp_path: Path) -> None:
    # Written as ingest wrote it before files outside the project were known by their path too.
    raw = tmp_path / "a" / "story.txt"
    raw.parent.mkdir()
    raw.write_text("Storm Hits Coast\n\nA big storm hit the coast on Monday. Many homes lost power.\n", encoding="utf-8")
    item = convert(raw.read_bytes(), raw, raw.name, [])
    articles = project / "content" / "articles"
    legacy = articles / "storm-hits-coast.md"
    legacy.write_text(render_file(item), encoding="utf-8")
    written = legacy.read_text(encoding="utf-8")
    assert "ingested_from" not in written
    # Another story.txt with another headline is another story: it does not replace that one.
    other = tmp_path / "b" / "story.txt"
    other.parent.mkdir()
    other.write_text("Council Sets Budget\n\nThe council set its budget on Tuesday night.\n", encoding="utf-8")
    assert run_cli(project, "ingest", str(other)).code == 0
    assert sorted(path.name for path in articles.glob("*.md")) == ["council-sets-budget.md", "storm-hits-coast.md"]
    assert legacy.read_text(encoding="utf-8") == written
    # The same story, changed: the same file is rewritten (no -2 copy of it).
    raw.write_text("Storm Hits Coast\n\nA big storm hit the coast on Monday. Many homes lost power again.\n",
                   encoding="utf-8")
    assert run_cli(project, "ingest", str(raw)).code == 0
    assert sorted(path.name for path in articles.glob("*.md")) == ["council-sets-budget.md", "storm-hits-coast.md"]
    assert "lost power again" in legacy.read_text(encoding="utf-8")


def test_a_dry_run_names_the_files_the_real_run_writes(project: Path) -> None:
    inbox = project / "content" / "inbox"
    for name in ("a.txt", "b.txt", "c.txt"):
        (inbox / name).write_text(f"Same Title\n\nThe story from {name} has its own words.\n", encoding="utf-8")
    paths = [str(inbox / name) for name in ("a.txt", "b.txt", "c.txt")]
    dry = run_cli(project, "ingest", "--dry-run", *paths)
    assert dry.code == 0, dry.err
    real = run_cli(project, "ingest", *paths)
    assert real.code == 0, real.err
    targets = re.findall(r"-> (\S+\.md)", real.out)
    assert sorted(targets) == ["content/articles/same-title-2.md", "content/articles/same-title-3.md",
                               "content/articles/same-title.md"]
    assert re.findall(r"-> (\S+\.md) \(dry run", dry.out) == targets


def test_bad_raw_files_fail_clearly_and_write_nothing(project: Path) -> None:
    inbox = project / "content" / "inbox"
    (inbox / "empty.txt").write_text("   \n\n", encoding="utf-8")
    (inbox / "binary.txt").write_bytes(bytes(range(256)) * 8)
    result = run_cli(project, "ingest", str(inbox / "empty.txt"), str(inbox / "binary.txt"))
    assert result.code == 1
    assert "Traceback" not in result.err
    assert re.search(r"^error: content/inbox/empty\.txt: empty article", result.err, re.M), result.err
    assert re.search(r"^error: content/inbox/binary\.txt: ", result.err, re.M), result.err
    assert list((project / "content" / "articles").glob("*.md")) == []


def test_a_failing_inbox_file_stops_the_build(project: Path) -> None:
    assert run_cli(project).code == 0
    before = tree_bytes(project / "site")
    (project / "content" / "inbox" / "empty.txt").write_text("\n", encoding="utf-8")
    result = run_cli(project)
    assert result.code == 1
    assert "empty article" in result.err
    assert tree_bytes(project / "site") == before


def test_an_article_whose_front_matter_is_broken_is_not_ingested_again_beside_it(project: Path) -> None:
    """A YAML mistake in an ingested article (an unclosed bracket, a lost closing '---') stops the
    build; the inbox's raw file is still known to be that article's, not ingested again as -2
    (which, once the mistake was fixed, published the story twice). Changed meanwhile, the raw
    file is left for the user: the article is being edited."""
    assert run_cli(project).code == 0
    articles = project / "content" / "articles"
    (article,) = articles.glob("*.md")
    good = article.read_text(encoding="utf-8")
    before = tree_bytes(project / "site")
    # The last two still build (as an article whose fields are body text): ingest matters here.
    for broken, stops in ((good.replace("title: '", "title: ['", 1), True), (good.replace("\n---\n", "\n\n", 2), True),
                          ("\n" + good, False), (good.replace("---\n", "", 1), False),
                          ("TODO: check the quote\n" + good, False),
                          (good.replace("topics: []", "topics:\n- kyiv\n# mine\n\n- war\n- [unclosed"), True)):
        before = tree_bytes(project / "site")
        article.write_text(broken, encoding="utf-8")
        result = run_cli(project)
        assert "1 unchanged" in result.out and sorted(articles.iterdir()) == [article], result.out
        if stops:
            assert result.code == 1 and article.name in result.err, result.err
            assert tree_bytes(project / "site") == before
    broken = good.replace("title: '", "title: ['", 1)
    article.write_text(broken, encoding="utf-8")
    raw = project / "content" / "inbox" / SEED.name
    raw.write_text(raw.read_text(encoding="utf-8") + "\nOne more paragraph from the source.\n", encoding="utf-8")
    for force in ((), ("--force",)):  # what the user is writing there is theirs, forced or not
        result = run_cli(project, "ingest", *force, "content/inbox")
        assert f"{article.name} is being edited (its front matter does not parse)" in result.out + result.err
        assert sorted(articles.iterdir()) == [article] and article.read_text(encoding="utf-8") == broken
    article.write_text(good, encoding="utf-8")
    assert run_cli(project).code == 0
    assert sorted(articles.iterdir()) == [article]


def test_an_article_quoting_front_matter_in_its_text_is_no_ingested_article(project: Path) -> None:
    """Fields shown in an article's text (a code block about ingest) are not front matter: the raw
    file they name is ingested as usual."""
    assert run_cli(project, "ingest", "content/inbox").code == 0
    (article,) = (project / "content" / "articles").glob("*.md")
    source = re.search(r"^source: (.*)$", article.read_text(encoding="utf-8"), re.MULTILINE).group(1)  # type: ignore[union-attr]
    article.unlink()
    howto = project / "content" / "articles" / "how-ingest-works.md"
    fields = f"title: x\nsource: {source}\nsource_sha256: 0000\n"
    for text in (f"# How ingest works\n\nIt writes fields like these.\n\n```\n{fields}```\n",
                 f"# What ingest writes\n\n```yaml\n---\n{fields}---\n```\n",
                 f"- first idea\n- second idea\n\n{fields}\nProse.\n"):
        howto.write_text(text, encoding="utf-8")
        result = run_cli(project, "ingest", "content/inbox")
        assert result.code == 0 and "1 written" in result.out + result.err, result.out
        assert len(list((project / "content" / "articles").glob("*.md"))) == 2
        for written in (project / "content" / "articles").glob("*.md"):
            if written != howto:
                written.unlink()


def test_a_broken_copy_of_an_article_never_takes_its_source(project: Path) -> None:
    """A copy the user is writing (its front matter broken) keeps the original's source lines: the
    raw file still updates the original, and --force leaves the copy alone."""
    assert run_cli(project).code == 0
    articles = project / "content" / "articles"
    (article,) = articles.glob("*.md")
    copy = articles / "aaa-my-notes.md"  # sorted before the original
    mine = article.read_text(encoding="utf-8").replace("title: '", "title: My notes: on '", 1) + "\nMy own text.\n"
    copy.write_text(mine, encoding="utf-8")
    raw = project / "content" / "inbox" / SEED.name
    raw.write_text(raw.read_text(encoding="utf-8") + "\nOne more paragraph from the source.\n", encoding="utf-8")
    result = run_cli(project, "ingest", "--force", "content/inbox")
    assert result.code == 0 and f"-> {article.relative_to(project)} (replaced)" in result.out, result.out
    assert copy.read_text(encoding="utf-8") == mine
    assert "One more paragraph from the source." in article.read_text(encoding="utf-8")


def test_latin1_text_is_decoded_with_a_warning(project: Path) -> None:
    raw = project / "content" / "inbox" / "latin.txt"
    raw.write_bytes("Café society\n\nThe café opened on the square and served crêpes all day.\n".encode("cp1252"))
    result = run_cli(project, "ingest", str(raw))
    assert result.code == 0
    assert "decoded as cp1252" in result.err
    written = (project / "content" / "articles" / "cafe-society.md").read_text(encoding="utf-8")
    assert "title: Café society" in written and "crêpes" in written


def test_plain_text_rules() -> None:
    parsed = parse_plain_text(
        "Markets rally [PHOTOS]\n\nBy Jane Doe\n\nUpdated 25 Feb 2022\n\nAdvertisement\n\n"
        "Share this article\n\nhttps://twitter.com/share?x=1\n\nStocks rose on Friday as\ninvestors returned.\n\n"
        "- first point\n- second point\n\n*Not* [a link](x) {{ 7*7 }}\n"
    )
    assert parsed.title == "Markets rally"
    assert parsed.author == "Jane Doe"
    assert parsed.date is not None
    assert parsed.date.isoformat() == "2022-02-25T00:00:00+00:00"
    body = parsed.body
    assert "Advertisement" not in body and "Share this" not in body and "twitter.com" not in body
    assert "Stocks rose on Friday as investors returned." in body  # re-flowed
    assert "- first point\n- second point" in body
    assert r"\*Not\* \[a link\](x) {{ 7\*7 }}" in body  # scraped text reads literally


def test_cnn_style_story_gets_a_title_from_its_lead() -> None:
    parsed = parse_plain_text("(CNN) The mayor said on Tuesday that the bridge will reopen next week. It closed in May.")
    assert parsed.title_source == "lead"
    assert parsed.title.startswith("The mayor said on Tuesday")
    assert "(CNN)" not in parsed.title


def test_short_lines_of_page_furniture_are_dropped_and_the_story_kept() -> None:
    parsed = parse_plain_text(
        "Fire destroys historic mill\n\nUpdated 3 hours ago\n\nThe mill burned down on Monday night.\n\n"
        "Read more: Storm warnings issued across the region\n\nPhoto: Getty Images\n\nImage caption\n\n"
        "Related Topics\n\nRead more about the mill's long history: it was built in 1820 by the Crossley "
        "family, who ran it for a century before the council bought it and opened it to visitors.\n\n"
        "© 2023 Example News. All rights reserved.\nJane Doe is a staff reporter for Example News.\n")
    assert parsed.body == (
        "The mill burned down on Monday night.\n\nRead more about the mill's long history: it was built in "
        "1820 by the Crossley family, who ran it for a century before the council bought it and opened it "
        "to visitors.\n\nJane Doe is a staff reporter for Example News.\n")  # a long "Read more…" is prose


@pytest.mark.parametrize("shouted", ["BY LAND AND SEA", "BY DESIGN", "BY MAY, THE PARTY HAD LOST HALF ITS MEMBERS"])
def test_shouted_text_starting_with_by_is_no_byline(shouted: str) -> None:
    parsed = parse_plain_text(f"A headline\n\n{shouted}\n\nThe story.\n")
    assert parsed.author is None and parsed.body.startswith(shouted)


def test_a_byline_with_a_dash_and_its_date() -> None:
    parsed = parse_plain_text("A headline\n\nBy Jane Doe - March 12, 2023\n\nThe story.\n")
    assert parsed.author == "Jane Doe" and parsed.date is not None and parsed.date.day == 12
    assert parsed.body == "The story.\n"


def test_a_headline_printed_twice_and_a_shouted_byline_with_its_date() -> None:
    parsed = parse_plain_text("Fire destroys historic mill\n\nBY JOHN ROE | March 12, 2023 | 4 min read\n\n"
                              "Fire destroys historic mill\n\nBY THE NUMBERS\n\nThe mill burned down on Monday.\n")
    assert (parsed.title, parsed.author) == ("Fire destroys historic mill", "John Roe")
    assert parsed.date is not None and parsed.date.isoformat() == "2023-03-12T00:00:00+00:00"
    assert parsed.body == "BY THE NUMBERS\n\nThe mill burned down on Monday.\n"  # a heading, not a byline


@pytest.mark.parametrize(("dateline", "published"), [
    ("Sunday 12 March 2023 10:30 GMT", "2023-03-12T10:30:00+00:00"),
    ("Updated 25 Feb 2022 14:05", "2022-02-25T14:05:00+00:00"),
    ("Published: Feb 25, 2022, 2.05 pm +01:00", "2022-02-25T14:05:00+01:00"),
    ("March 12, 2023 at 9:15 a.m.", "2023-03-12T09:15:00+00:00"),
    ("12 March 2023 10:30 EST", "2023-03-12T00:00:00+00:00"),  # a zone's name: which offset is unsure
    ("12 March 2023 25:30", "2023-03-12T00:00:00+00:00"),  # no time of day
])
def test_a_datelines_time_is_kept(dateline: str, published: str) -> None:
    parsed = parse_plain_text(f"Storm hits the coast\n\n{dateline}\n\nThe storm reached the coast at dawn.\n")
    assert parsed.date is not None and parsed.date.isoformat() == published
    assert parsed.body == "The storm reached the coast at dawn.\n"


def test_a_title_cut_from_the_lead_ends_in_no_comma() -> None:
    parsed = parse_plain_text("(CNN) The mayor said on Tuesday that the bridge, which closed in May for six years, "
                              "will reopen next week.")
    assert parsed.title == "The mayor said on Tuesday that the bridge, which closed in May for six…"


def test_furniture_above_the_headline_is_dropped_and_the_headline_kept() -> None:
    for furniture in ("Photo: Getty Images", "Updated 2 hours ago", "© Example News 2023", "Read more →"):
        parsed = parse_plain_text(f"{furniture}\n\nMinister resigns over scandal\n\nThe minister went.\n")
        assert (parsed.title, parsed.body) == ("Minister resigns over scandal", "The minister went.\n"), furniture


@pytest.mark.parametrize("line", [
    "Read more…", "Read more »", "Photo: NASA/Getty Images", "Photo: Étienne Laurent/EPA", "Picture: PA Media",
    "Photo : AFP / Ludovic Marin", "Photos: Getty Images", "Video: Reuters", "Copyright © Example News Ltd 2023",
    "All rights reserved.",
    "© 2024 BBC. The BBC is not responsible for the content of external sites.", "(c) 2023 www.example.com",
    "© Le Figaro – tous droits réservés", "Updated 22h ago", "Updated 2 hours, 5 minutes ago", "Updated three hours ago",
])
def test_furniture_between_paragraphs_is_dropped(line: str) -> None:
    parsed = parse_plain_text(f"A headline\n\nThe first paragraph of the story.\n\n{line}\n\nThe end.\n")
    assert parsed.body == "The first paragraph of the story.\n\nThe end.\n"


def test_a_long_line_that_looks_like_a_notice_is_refused_at_once() -> None:
    """A line of capitals after "Copyright 2023" could be read as a notice in exponentially many
    ways; it is read one way (run in a child, so a regression fails by its timeout, not a hang)."""
    import subprocess
    import sys

    code = ("from digest.ingest.plaintext import is_debris; print(is_debris('Copyright 2023 ' + 'A' * 200 + ' x'), "
            "is_debris('Copyright 2023 ' + ' '.join(['2023'] * 15) + ' x'))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("line", [
    "Read more books this summer, the mayor told children at the launch.", "Copyright and the law",
    "Copyright es un tema.", "(c) the right to appeal against an eviction.", "until she had all rights reserved.",
    "Updated figures released two days ago", "Photos: the curator picked 200 images from 40,000 submitted.",
    "Photo: Minister Resigns After Scandal", "Copyright 2023 was a bumper year for lawsuits",
    "In 2023 the band sang All rights reserved", "(c) 2023 changes to the act",
    "posted on the forum by an anonymous user two days ago", "read more carefully the instructions",
])
def test_prose_that_starts_like_furniture_is_kept(line: str) -> None:
    parsed = parse_plain_text(f"A headline\n\nThe first paragraph of the story.\n\n{line}\n\nThe end.\n")
    assert line in parsed.body.replace("\\", "")


@pytest.mark.parametrize("headline", [
    "Video: Moment a plane lands on a motorway in Texas", "Photos: The best images of the year",
    "Copyright Office Rejects AI Art Made In 2023", "Copyright and the 2024 Election", "Video: Trump Speaks To Reuters",
    "Photos: Inside the BBC", "Video: 9/11 anniversary ceremony", "Picture: Queen Visits Wales", "Image: Inside the BBC",
    "Copyright battle over Mickey Mouse heads to court", "Updated rules take effect after vote two weeks ago",
    "Ukraine war (Live Updates)", "Harry Kane (Bayern Munich) scores twice",
])
def test_a_headline_that_starts_like_furniture_stays_the_title(headline: str) -> None:
    assert parse_plain_text(f"{headline}\n\nBy Jane Doe\n\nThe lead.\n\nNobody was hurt.\n").title == headline
    assert parse_plain_text(f"{headline}\n").title == headline  # a one-line story


def test_another_outlets_name_opening_a_story_is_no_part_of_its_title() -> None:
    parsed = parse_plain_text("(The Hollywood Reporter)It's official: the series has a title. Filming starts soon.")
    assert parsed.title == "It's official: the series has a title"
    assert parsed.body.startswith("It's official: the series has a title.")
    kept = parse_plain_text("A headline\n\nThe Democratic Republic of Congo (DR Congo) has delayed its election.\n")
    assert kept.body == "The Democratic Republic of Congo (DR Congo) has delayed its election.\n"
    business = parse_plain_text("NEW YORK (CNN Business) -- Stocks fell on Monday as investors worried. More.")
    assert business.title == "Stocks fell on Monday as investors worried" and business.body.startswith("Stocks")


def test_html_quotations_furniture_headline_and_linked_data_date(tmp_path: Path) -> None:
    from digest.ingest.html import parse_html

    page = (
        '<html lang="en"><head><title>Scientists find water ice on Moon\'s surface</title>'
        '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [{"@type": "WebPage"}, '
        '{"@type": "NewsArticle", "datePublished": "2023-08-01T10:00:00+02:00"}]}</script></head><body><article>'
        "<h1>Scientists find water ice on Moon’s surface</h1>"
        "<p>Workers walked out on Monday across the whole city, closing the port and the stations.</p>"
        "<blockquote><p>This strike will cost businesses millions every single day it continues.</p>"
        "<p>Every <em>single</em> day.</p></blockquote><p>Advertisement</p>"
        "<p>The union said talks would resume on Friday, but the employers had nothing left to offer.</p>"
        "<p>Read more: How the strike affects you</p><p>Follow us on Twitter @worldnewstoday</p>"
        "<p>Photo: NASA/Getty Images</p></article></body></html>")
    parsed = parse_html(page, tmp_path / "page.html")
    assert parsed.date is not None and parsed.date.isoformat() == "2023-08-01T10:00:00+02:00"
    assert parsed.body == (
        "Workers walked out on Monday across the whole city, closing the port and the stations.\n\n"
        "> This strike will cost businesses millions every single day it continues.\n\n> Every *single* day.\n\n"
        "The union said talks would resume on Friday, but the employers had nothing left to offer.\n")


def test_file_written_keeps_the_users_line_endings_out(project: Path) -> None:
    raw = project / "content" / "inbox" / "crlf.txt"
    raw.write_bytes(b"Windows title\r\n\r\nA paragraph written on Windows.\r\n")
    assert run_cli(project, "ingest", str(raw)).code == 0
    data = (project / "content" / "articles" / "windows-title.md").read_bytes()
    assert b"\r" not in data
    assert os.path.getsize(project / "content" / "articles" / "windows-title.md") == len(data)


def test_markdown_keeps_the_users_front_matter(project: Path) -> None:
    inbox = project / "content" / "inbox"
    (inbox / "match.md").write_text(
        "---\ntitle: Match report\nsource: https://news.example/match\ntopics: [Sport]\n"
        "summary: [The home side won.]\nauthor: Sam Reed\ndate: 2024-04-01\n---\n\nThe home side won 2-1.\n",
        encoding="utf-8",
    )
    result = run_cli(project, "ingest", str(inbox / "match.md"))
    assert result.code == 0, result.err
    text = (project / "content" / "articles" / "match-report.md").read_text(encoding="utf-8")
    assert "source: https://news.example/match" in text
    assert "topics:\n- Sport" in text or "topics: [Sport]" in text
    assert "summary: [The home side won.]" in text or "summary:\n- The home side won." in text
    assert "author: Sam Reed" in text
    assert "date_source: front-matter" in text
    assert "ingested_from: content/inbox/match.md" in text  # so a changed match.md updates this file
    assert is_unedited(text)


def test_markdown_without_front_matter_takes_its_first_heading(project: Path) -> None:
    raw = project / "content" / "inbox" / "notes.md"
    raw.write_text("# Harbour notes\n\nThe ferry was late again.\n", encoding="utf-8")
    assert run_cli(project, "ingest", str(raw)).code == 0
    text = (project / "content" / "articles" / "harbour-notes.md").read_text(encoding="utf-8")
    assert "title: Harbour notes" in text
    assert "# Harbour notes" not in text.split("---", 2)[2]


def test_an_article_copied_back_into_the_inbox_builds(project: Path) -> None:
    assert run_cli(project, "ingest", "content/inbox").code == 0
    copy = project / "content" / "inbox" / "copy.md"
    text = ingested(project).read_text(encoding="utf-8").replace("Kyiv is under heavy", "Kyiv is under very heavy")
    copy.write_text(text, encoding="utf-8")
    result = run_cli(project)
    assert result.code == 0, result.err
    assert len(list((project / "content" / "articles").glob("*.md"))) == 2


def test_a_source_whose_headline_changed_keeps_its_file(project: Path) -> None:
    raw = project / "content" / "inbox" / "O'Brien: notes.txt"
    raw.write_text("Story title\n\nThe first version of the story.\n", encoding="utf-8")
    assert run_cli(project, "ingest", str(raw)).code == 0
    raw.write_text("A completely new headline\n\nThe second version of the story.\n", encoding="utf-8")
    result = run_cli(project, "ingest", str(raw))
    assert result.code == 0, result.err
    files = sorted(p.name for p in (project / "content" / "articles").glob("*.md"))
    assert files == ["story-title.md"]  # the URL stays; the content follows the source
    text = (project / "content" / "articles" / "story-title.md").read_text(encoding="utf-8")
    assert "title: A completely new headline" in text and "second version" in text


def test_ingest_never_writes_what_the_build_would_refuse(project: Path) -> None:
    raw = project / "content" / "inbox" / "bad-date.md"
    raw.write_text("---\ntitle: Fine\nauthor: [not, text]\n---\n\nBody.\n", encoding="utf-8")
    result = run_cli(project, "ingest", str(raw))
    assert result.code == 1
    assert "error: content/inbox/bad-date.md: author must be text" in result.err
    assert list((project / "content" / "articles").glob("*.md")) == []


def test_a_bad_date_in_raw_markdown_names_its_line(project: Path) -> None:
    raw = project / "content" / "inbox" / "dated.md"
    raw.write_text("---\ntitle: Dated\nauthor: A\ndate: 2024-02-30\n---\n\nBody.\n", encoding="utf-8")
    result = run_cli(project, "ingest", str(raw))
    assert result.code == 1
    assert "error: content/inbox/dated.md:4: date '2024-02-30' is not a valid date" in result.err


def test_a_pool_of_workers_gives_the_same_files_as_one(tmp_path: Path) -> None:
    stories = sorted((SHARED / "corpus" / "cnn-dev" / "stories").glob("*.txt"))
    if len(stories) < 64:
        import pytest

        pytest.skip("needs the CNN dev stories to make a batch large enough for the pool")
    trees = []
    for workers in ("1", "2"):
        project = make_project(tmp_path / f"w{workers}", with_seed=False)
        put_in_inbox(project, stories)
        result = run_cli(project, "ingest", "--workers", workers, "content/inbox")
        assert result.code == 0, result.err[-2000:]
        assert f"ingest: {len(stories)} written" in result.out
        trees.append(tree_bytes(project / "content" / "articles"))
    assert trees[0] == trees[1]


def test_the_closing_table_says_why(project: Path) -> None:
    inbox = project / "content" / "inbox"
    (inbox / "empty.txt").write_text("\n", encoding="utf-8")
    result = run_cli(project, "ingest", "content/inbox")
    assert result.code == 1
    table = result.out[result.out.index("ingest: "):]
    assert table.startswith("ingest: 1 written, 0 unchanged, 0 skipped, 1 failed")
    assert "  failed   content/inbox/empty.txt: empty article" in table
