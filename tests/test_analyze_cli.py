"""`python build.py analyze`: the stable JSON-lines interface for scripts and benchmarks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import SEED, SHARED, run_cli, tree_bytes

KEYS = ["path", "title", "summary", "quotes", "keywords", "topics"]


def lines_of(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_json_lines_in_the_order_given_with_paths_as_given(project: Path) -> None:
    inbox = project / "content" / "inbox"
    second = inbox / "second.md"
    second.write_text(
        "---\ntitle: Council approves the new budget\ndate: 2024-03-01\n---\n\n"
        "The city council approved the new budget on Monday after a long debate. "
        "The budget raises spending on schools and parks. "
        '"This budget puts families first and keeps taxes flat," said Maria Lopez, the council leader.\n',
        encoding="utf-8",
    )
    before = tree_bytes(project)
    given = ["./content/inbox//second.md", str(project / "content" / "inbox" / SEED.name)]
    result = run_cli(project, "analyze", *given, "--json")
    assert result.code == 0, result.err
    records = lines_of(result.out)
    assert [r["path"] for r in records] == given  # exactly as typed, not normalised
    for record in records:
        assert list(record) == KEYS
    seed = records[1]
    assert seed["title"] == (
        "Russia-Ukraine War: Kyiv Under Heavy Bombing, Russian Tanks 20 Miles Away form Capital, Zelensky Vows to Stay"
    )
    assert isinstance(seed["summary"], list) and len(seed["summary"]) == 3
    quotes = seed["quotes"]
    assert isinstance(quotes, list)
    assert quotes[0]["speaker"] == "Volodymyr Zelensky"
    assert quotes[0]["text"].startswith("They're killing people")
    assert records[0]["quotes"][0]["speaker"] == "Maria Lopez"
    assert tree_bytes(project) == before  # analyze writes nothing


def test_summary_budget_in_sentences_or_words(project: Path) -> None:
    one = lines_of(run_cli(project, "analyze", f"content/inbox/{SEED.name}", "--json", "--summary-sentences", "1").out)
    assert len(one[0]["summary"]) == 1  # type: ignore[arg-type]
    words = lines_of(run_cli(project, "analyze", f"content/inbox/{SEED.name}", "--json", "--summary-words", "40").out)
    summary = words[0]["summary"]
    assert isinstance(summary, list)
    assert len(summary) >= 1 and sum(len(s.split()) for s in summary) <= 40
    both = run_cli(project, "analyze", f"content/inbox/{SEED.name}", "--summary-words", "40", "--summary-sentences", "2")
    assert both.code == 2 and "not allowed with" in both.err


def test_summary_sentences_come_from_the_article_in_document_order(project: Path) -> None:
    record = lines_of(run_cli(project, "analyze", f"content/inbox/{SEED.name}", "--json", "--summary-sentences", "4").out)[0]
    text = " ".join(SEED.read_text(encoding="utf-8").split())
    positions = [text.index(sentence) for sentence in record["summary"]]  # type: ignore[union-attr]
    assert positions == sorted(positions)


def test_declared_topics_from_a_config_file(project: Path) -> None:
    config = project / "bench-topics.yaml"
    config.write_text(
        "topics:\n  - name: War in Europe\n    keywords: [war, missile, troops, invasion]\n"
        "  - name: Gardening\n    keywords: [garden, roses, soil, compost]\n",
        encoding="utf-8",
    )
    record = lines_of(run_cli(project, "analyze", f"content/inbox/{SEED.name}", "--json", "--config", str(config)).out)[0]
    assert record["topics"] == ["war-in-europe"]


def test_a_missing_config_named_on_the_command_line_is_an_error(project: Path) -> None:
    result = run_cli(project, "analyze", f"content/inbox/{SEED.name}", "--config", "confg.yaml")
    assert result.code == 1
    assert "error: confg.yaml: config file not found" in result.err
    assert run_cli(project, "build", "--config", "confg.yaml").code == 1


def test_a_mistyped_command_is_named(project: Path) -> None:
    result = run_cli(project, "analyse", f"content/inbox/{SEED.name}")
    assert result.code == 2
    assert "unknown command 'analyse' (did you mean 'analyze'?)" in result.err


def test_a_bad_file_is_reported_and_the_rest_still_analysed(project: Path) -> None:
    (project / "empty.txt").write_text("", encoding="utf-8")
    result = run_cli(project, "analyze", "empty.txt", f"content/inbox/{SEED.name}", "--json")
    assert result.code == 1
    assert "error: empty.txt: empty article" in result.err
    assert "Traceback" not in result.err
    assert [r["path"] for r in lines_of(result.out)] == [f"content/inbox/{SEED.name}"]


def test_many_corpus_files_in_one_call(tmp_path: Path) -> None:
    stories = SHARED / "corpus" / "cnn-dev" / "stories"
    if not stories.is_dir():
        import pytest

        pytest.skip(f"dev corpus not found at {stories}")
    files = sorted(stories.glob("*.txt"))
    work = tmp_path / "work"
    work.mkdir()
    result = run_cli(work, "analyze", "--json", *map(str, files))
    assert result.code == 0, result.err[-2000:]
    records = lines_of(result.out)
    assert [r["path"] for r in records] == list(map(str, files))
    assert all(r["summary"] for r in records)
    shutil.rmtree(work)
