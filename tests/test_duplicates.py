"""The same story twice (two sources, or one file copied) is listed and digested once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from digest.analyze.dedup import duplicate_groups, signature, similarity
from tests.conftest import SEED, run_cli

STORY = SEED.read_text(encoding="utf-8").split("\n", 1)[1]


def reworded(text: str, every: int) -> str:
    words = text.split()
    return " ".join("CHANGED" if i % every == 0 else word for i, word in enumerate(words))


def test_signatures_find_the_same_story_and_only_it() -> None:
    other = ("The city council approved its budget for next year on Monday after a long debate about "
             "schools, parks and roads, and the mayor said the vote showed the town could agree. ") * 5
    first, second, third = signature(STORY), signature(reworded(STORY, 40)), signature(other)
    assert similarity(first, second) >= 0.6
    assert similarity(first, third) < 0.2
    assert duplicate_groups([first, third, second, ()]) == [[0, 2]]
    assert signature("too short to compare") == ()


def test_many_copies_of_a_text_are_one_group_with_its_rewordings() -> None:
    other = signature(" ".join(f"word{number} follows word{number * 7 % 101}" for number in range(200)))
    first, reworded_once = signature(STORY), signature(reworded(STORY, 40))
    signatures = [first, other, first, reworded_once, first, (), first]
    assert duplicate_groups(signatures) == [[0, 2, 3, 4, 6]]


def test_a_story_from_two_sources_is_shown_once_with_both(project: Path) -> None:
    articles = project / "content" / "articles"
    (articles / "wire-copy.md").write_text(
        "---\ntitle: Kyiv bombarded as Russian tanks close in\ndate: '2022-02-26T10:00:00+00:00'\n"
        "source: https://wire.example.com/kyiv\n---\n\n" + reworded(STORY, 50) + "\n", encoding="utf-8")
    result = run_cli(project)
    assert result.code == 0, result.err
    site = project / "site"
    home = (site / "index.html").read_text(encoding="utf-8")
    latest = home[home.index("Latest articles"):]
    assert len(re.findall(r'<article class="card">', latest)) == 1  # listed once
    topic = next((site / "topics").glob("*/index.html")).read_text(encoding="utf-8")
    assert len(re.findall(r'<article class="card">', topic)) == 1
    seed_page = next(p for p in (site / "articles").glob("russia-*/index.html"))
    assert "Also reported by: <a href=\"../../articles/wire-copy/\">wire.example.com</a>" in seed_page.read_text(
        encoding="utf-8")
    copy_page = (site / "articles" / "wire-copy" / "index.html").read_text(encoding="utf-8")
    assert "The same story as <a href=\"../../articles/russia-" in copy_page  # its own page still works


def test_a_band_shared_by_hundreds_of_articles_groups_only_the_alike_ones(monkeypatch: Any) -> None:
    """Hundreds of articles sharing a band (a wire service's stock opening) are compared as arrays,
    not pair by pair: the same groups either way, at the same threshold (20 of 32 values alike is
    0.625, a duplicate; 19 is 0.59, not)."""
    import random

    from digest.analyze import dedup

    rng = random.Random(8)

    def fresh(count: int) -> list[int]:
        return [rng.randrange(1 << 32) for _ in range(count)]

    opening = fresh(dedup.ROWS)
    stock = [tuple(opening + fresh(dedup.HASHES - dedup.ROWS)) for _ in range(300)]

    def alike(base: tuple[int, ...], same: int) -> tuple[int, ...]:
        """``base`` with ``same`` of its values kept: the opening's band, and others at random."""
        kept = set(range(dedup.ROWS)) | set(rng.sample(range(dedup.ROWS, dedup.HASHES), same - dedup.ROWS))
        return tuple(value if index in kept else rng.randrange(1 << 32) for index, value in enumerate(base))

    # The copies keep the opening's band, so that they meet their originals in the big bucket.
    signatures: list[tuple[int, ...]] = [*stock]
    for number, same in ((5, 20), (17, 19), (42, 24), (250, 32)):
        signatures.append(alike(stock[number], same))
    assert sum(dedup.similarity(copy, stock[n]) >= 0.6 for copy, n in zip(signatures[300:], (5, 17, 42, 250),
                                                                          strict=True)) == 3
    assert dedup.ARRAY_PAIRS <= 300 * 299 // 2  # the array comparison is taken
    by_arrays = duplicate_groups(signatures)
    monkeypatch.setattr(dedup, "ARRAY_PAIRS", 10**12)
    assert duplicate_groups(signatures) == by_arrays
    assert by_arrays == [[5, 300], [42, 302], [250, 303]]
