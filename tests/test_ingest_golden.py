"""Golden ingest: each raw file in tests/golden/ingest/ becomes exactly its .expected.md, and every
article of the development corpus ingests cleanly with its own title."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from digest.frontmatter import split_document
from tests.conftest import REPO, SHARED, make_project, run_cli

GOLDEN = REPO / "tests" / "golden" / "ingest"
INPUTS = sorted(p for p in GOLDEN.iterdir() if not p.name.endswith(".expected.md"))
MTIME = 1700000000  # 2023-11-14T22:13:20Z: the date a file without one gets (date_source: file-mtime)


@pytest.mark.parametrize("raw", INPUTS, ids=[p.name for p in INPUTS])
def test_raw_file_ingests_to_its_golden_markdown(raw: Path, tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", with_seed=False)
    target = project / "content" / "inbox" / raw.name
    shutil.copy(raw, target)
    os.utime(target, (MTIME, MTIME))
    result = run_cli(project, "ingest", f"content/inbox/{raw.name}")
    assert result.code == 0, result.err
    written = re.search(r"-> (content/articles/\S+\.md)", result.out)
    assert written is not None, result.out
    expected = GOLDEN / f"{raw.stem}.expected.md"
    assert (project / written.group(1)).read_text(encoding="utf-8") == expected.read_text(encoding="utf-8")


def test_golden_files_show_each_rule() -> None:
    rules = (GOLDEN / "rules.expected.md").read_text(encoding="utf-8")
    assert "title: Council approves new cycle lanes\n" in rules  # [PHOTOS] dropped
    assert "author: Priya Nair\n" in rules  # byline
    assert "date: '2024-05-14T09:30:00+02:00'\ndate_source: text\n" in rules  # dateline, zone kept
    for debris in ("Share this", "Advertisement", "twitter.com", "Read more", "Subscribe"):
        assert debris not in rules
    assert "on Tuesday, after a debate that lasted late into the night." in rules  # re-flowed
    assert "\n## What changes\n" in rules
    assert "- safer junctions near schools\n- a bridge crossing on the river\n" in rules
    assert "::: caption\nRiders on the new bridge lane\n\nCity council photo\n:::" in rules
    cnn = (GOLDEN / "cnn-style.expected.md").read_text(encoding="utf-8")
    assert "title_source: lead\n" in cnn and "(CNN)" not in cnn
    html = (GOLDEN / "html-page.expected.md").read_text(encoding="utf-8")
    for field in ("author: Jane Doe", "source: https://news.example.org/storm-bridge", "site_name: Example News",
                  "date: '2024-03-05T08:30:00+01:00'", "date_source: html"):
        assert field in html
    for dropped in ("alert(1)", "Advertisement", "Great article", "Home", "© Example"):
        assert dropped not in html.split("---\n", 2)[2]


def corpus_files() -> list[Path]:
    corpus = SHARED / "corpus"
    return sorted((corpus / "bbc-dev").glob("*/*.txt")) + sorted((corpus / "cnn-dev" / "stories").glob("*.txt"))


@pytest.mark.skipif(not corpus_files(), reason=f"development corpus not found under {SHARED / 'corpus'}")
def test_every_dev_article_ingests_with_its_own_title(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", with_seed=False)
    files = corpus_files()
    result = run_cli(project, "ingest", *map(str, files))
    assert result.code == 0, result.err[-3000:]
    assert f"ingest: {len(files)} written, 0 unchanged, 0 skipped, 0 failed" in result.out
    written = dict(re.findall(r"^written\s+(\S+) -> (\S+)$", result.out, re.M))
    assert len(written) == len(files)
    for source in files:
        path = project / written[str(source)]
        meta = split_document(path.read_text(encoding="utf-8"), path).meta
        if "bbc-dev" in source.parts:
            first_line = source.read_bytes().decode("utf-8", "replace").split("\n", 1)[0].strip()
            assert meta["title"] == " ".join(first_line.split()), source
        else:
            assert meta["title_source"] == "lead", source
