"""config.yaml and the strict YAML reader: safe, typed, every problem reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.config import load_config, parse_config
from digest.errors import BuildErrors, DigestError
from digest.yamlsafe import load_yaml
from tests.conftest import REPO


def test_the_shipped_config_is_valid() -> None:
    config = load_config(REPO / "config.yaml")
    assert config.title == "The Digest"
    assert [topic.slug for topic in config.topics][:2] == ["world", "politics"]
    assert config.base_path == "/"


def test_missing_config_means_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path / "config.yaml")
    assert config.theme == "default"
    assert config.topics == ()


def test_base_path_comes_from_base_url(tmp_path: Path) -> None:
    config = parse_config("site:\n  base_url: https://user.github.io/repo\n", tmp_path / "config.yaml")
    assert config.base_path == "/repo/"


@pytest.mark.parametrize("inbox", ["../../elsewhere", ".", "content", "content/articles", "site/raw", "themes"])
def test_an_inbox_that_is_not_a_folder_of_its_own_is_refused(tmp_path: Path, inbox: str) -> None:
    with pytest.raises(BuildErrors) as caught:
        parse_config(f"inbox: '{inbox}'\n", tmp_path / "config.yaml")
    assert "'inbox': must be a folder of its own inside the project" in str(caught.value)


@pytest.mark.parametrize("language", ["Arabic!", "e", "en_GB", "en GB", "<b>"])
def test_a_language_that_is_no_language_tag_is_refused_with_its_line(tmp_path: Path, language: str) -> None:
    # It became every page's lang and the search index's file names (pagefind.arabic!_...).
    with pytest.raises(DigestError) as caught:
        parse_config(f"site:\n  title: News\n  language: '{language}'\n", tmp_path / "config.yaml")
    assert "config.yaml:3: 'site.language': must be a language tag such as en, en-GB or ar" in str(caught.value)


@pytest.mark.parametrize("language", ["en", "ar", "en-GB", "pt-BR", "zh-Hant", "uk", "zh-Hans-CN", "es-419",
                                      "x-klingon", "i-default"])
def test_language_tags_are_taken(tmp_path: Path, language: str) -> None:
    assert parse_config(f"site:\n  language: {language}\n", tmp_path / "config.yaml").language == language


def test_duplicate_topic_slugs_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BuildErrors) as caught:
        parse_config("topics:\n  - name: Sport\n  - name: sport\n", tmp_path / "config.yaml")
    assert "config.yaml:3: 'topics.1.name': topic slug 'sport' is used twice" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &x [1]\nb: *x\n", "anchors are not allowed"),
        ("a: *x\n", "aliases are not allowed"),
        ("a: 1\nb: 2\na: 3\n", "duplicate key 'a' (first on line 1)"),
        ("a: !!python/name:os.system\n", "unsupported YAML tag !!python/name:os.system"),
        ("a: !!binary aGVsbG8=\n", "unsupported YAML tag !!binary"),
        ("a: !!set {x}\n", "unsupported YAML tag !!set"),
        ("a: 'never closed\nb: 2\n", "while scanning a quoted scalar"),
        ("a: b\x01c\n", "character #x0001 is not allowed"),
        ("a: " + "[" * 40 + "]" * 40 + "\n", "nested more than 20 levels deep"),
        ("a: [1\n", "invalid YAML"),
    ],
)
def test_strict_yaml_refuses_what_hurts(text: str, message: str) -> None:
    with pytest.raises(DigestError) as caught:
        load_yaml(text)
    assert message in str(caught.value)


def test_billion_laughs_is_refused_quickly() -> None:
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
    with pytest.raises(DigestError):
        load_yaml(bomb)


def test_yaml_values_stay_what_the_user_typed() -> None:
    document = load_yaml("title: NO\ndate: 2024-02-30\nslug: 0777\nflag: true\ncount: 3\nratio: 0.5\nx: 1e-1\n")
    assert document.data == {
        "title": "NO", "date": "2024-02-30", "slug": "0777", "flag": True, "count": 3, "ratio": 0.5, "x": 0.1,
    }


def test_key_lines_follow_the_file() -> None:
    document = load_yaml("site:\n  title: A\ntopics:\n  - name: B\n    keywords: [c]\n", line_offset=1)
    assert document.lines[("site", "title")] == 3
    assert document.lines[("topics", 0, "keywords")] == 6
