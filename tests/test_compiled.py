"""The analysis compiled by mypyc (digest/compiled.py): builds use it, it gives the very same site
as the Python it is compiled from, and an edited source runs as Python until compiled again.

The tests compile a copy of the package themselves (~35 s, once), with the command ``make`` runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digest.compiled import FOLDER, MANIFEST, _missing_tool
from tests.conftest import REPO, SHARED, make_project, put_in_inbox, tree_bytes

COMPILED_NOTE = "(analysis compiled)"


def _run(code: Path, args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` with the package in ``code`` (not this checkout's) and its ``build.py``."""
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=600, check=False,
                          env={**os.environ, "PYTHONPATH": str(code), "PYTHONDONTWRITEBYTECODE": "1", **(env or {})})


def _copy_code(target: Path) -> Path:
    target.mkdir(parents=True)
    shutil.copytree(REPO / "digest", target / "digest",
                    ignore=shutil.ignore_patterns("__pycache__", FOLDER.name, FOLDER.name + "-old"))
    shutil.copy(REPO / "build.py", target / "build.py")
    return target


@pytest.fixture(scope="module")
def compiled_code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    missing = _missing_tool()
    if missing:
        pytest.skip(f"cannot compile here: {missing}")
    code = _copy_code(tmp_path_factory.mktemp("compiled") / "code")
    done = _run(code, ["-m", "digest.compiled"], cwd=code)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "compiled the analysis into digest/_compiled/" in done.stdout
    return code


def _module_file(code: Path, env: dict[str, str] | None = None) -> str:
    done = _run(code, ["-c", "import digest.analyze.quotes as q; print(q.__file__)"], cwd=code, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _build(code: Path, project: Path, env: dict[str, str] | None = None, args: list[str] | None = None) -> str:
    done = _run(code, [str(code / "build.py"), "build", "--workers", "2", *(args or [])], cwd=project, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_a_site_analysed_compiled_is_byte_identical_to_one_analysed_as_python(compiled_code: Path,
                                                                              tmp_path: Path) -> None:
    stories = sorted((SHARED / "corpus" / "cnn-dev" / "stories").glob("*.txt"))
    if len(stories) < 60:
        pytest.skip(f"needs the CNN dev stories under {SHARED / 'corpus'}: quotes, names and topics to analyse")
    assert _module_file(compiled_code).endswith(".so")
    sites, outputs = [], []
    for switch in ("1", "0"):
        project = make_project(tmp_path / f"compiled-{switch}", with_seed=False)
        put_in_inbox(project, stories)
        outputs.append(_build(compiled_code, project, env={"DIGEST_COMPILED": switch}))
        sites.append(tree_bytes(project / "site"))
    assert COMPILED_NOTE in outputs[0], outputs[0]
    assert COMPILED_NOTE not in outputs[1], outputs[1]
    differ = sorted(path for path in sites[0].keys() | sites[1].keys() if sites[0].get(path) != sites[1].get(path))
    assert differ == [], differ[:10]
    assert len(sites[0]) > 2 * len(stories)


def _keywords(code: Path, project: Path) -> list[str]:
    article = next((project / "content" / "articles").glob("*.md"))
    done = _run(code, [str(code / "build.py"), "analyze", "--json", str(article)], cwd=project)
    assert done.returncode == 0, done.stderr
    found: list[str] = json.loads(done.stdout.splitlines()[0])["keywords"]
    assert found
    return found


def test_an_edited_source_runs_as_python_until_compiled_again(compiled_code: Path, tmp_path: Path) -> None:
    code = tmp_path / "code"
    shutil.copytree(compiled_code, code)
    project = make_project(tmp_path / "project")
    assert COMPILED_NOTE in _build(code, project)
    before = _keywords(code, project)
    assert any(word != word.upper() for word in before), before
    source = code / "digest" / "analyze" / "keywords.py"
    original = source.read_text(encoding="utf-8")
    # A change the compiled library does not have: every keyword in capitals.
    shown = "    return [max(surface[key].items(), key=itemgetter(1))[0] for key in best]"
    assert shown in original
    source.write_text(original.replace(shown, shown.replace("[0] for", "[0].upper() for")), encoding="utf-8")
    assert _module_file(code).endswith("quotes.py")
    assert _keywords(code, project) == [word.upper() for word in before]
    out = _build(code, project, args=["--no-cache"])
    assert COMPILED_NOTE not in out and "1 analysed" in out, out
    # The source as compiled again: the library is used again.
    source.write_text(original, encoding="utf-8")
    assert _module_file(code).endswith(".so")
    assert _keywords(code, project) == before
    assert COMPILED_NOTE in _build(code, project, args=["--no-cache"])
    # Compiled for another Python: not used.
    manifest = code / "digest" / FOLDER.name / MANIFEST
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(sys.implementation.cache_tag or "", "cpython-399"),
                        encoding="utf-8")
    assert _module_file(code).endswith("quotes.py")


def test_a_source_saved_during_the_compile_runs_as_python(compiled_code: Path, tmp_path: Path) -> None:
    """The compile takes a copy of the sources first and compiles and digests that: a module saved
    while it runs (~35 s) is not taken for compiled, though the compile ends after the save."""
    code = tmp_path / "code"
    shutil.copytree(compiled_code, code)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {**os.environ, "PYTHONPATH": str(code), "PYTHONDONTWRITEBYTECODE": "1", "TMPDIR": str(scratch)}
    compiling = subprocess.Popen([sys.executable, "-m", "digest.compiled"], cwd=code, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not list(scratch.glob("digest-compile-*/src/digest/analyze/keywords.py")):
            assert compiling.poll() is None and time.monotonic() < deadline, "the compile took no copy"
            time.sleep(0.05)
        source = code / "digest" / "analyze" / "keywords.py"
        source.write_text(source.read_text(encoding="utf-8") + "\n# saved during the compile\n", encoding="utf-8")
        out, err = compiling.communicate(timeout=600)
    finally:
        compiling.kill()
    assert compiling.returncode == 0, err[-3000:]
    assert "compiled the analysis" in out
    assert _module_file(code).endswith("quotes.py")  # the saved source does not match what was compiled
    source.write_text(source.read_text(encoding="utf-8").replace("\n# saved during the compile\n", ""),
                      encoding="utf-8")
    assert _module_file(code).endswith(".so")


def test_the_shared_library_is_the_compiled_folders_own(compiled_code: Path, tmp_path: Path) -> None:
    """A module named like the compiled modules' shared library, earlier on the import path, is not
    what they load; and the compiled folder adds nothing importable to the path."""
    decoy = tmp_path / "decoy"
    decoy.mkdir()
    (decoy / "digest_analysis__mypyc.py").write_text("raise ImportError('the decoy was imported')\n", encoding="utf-8")
    done = _run(compiled_code, ["-c", "import importlib.util, digest.analyze.quotes as q; "
                                "print(q.__file__, importlib.util.find_spec('analyze'))"],
                cwd=compiled_code, env={"PYTHONPATH": f"{decoy}{os.pathsep}{compiled_code}"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(compiled_code / "digest" / FOLDER.name / "analyze" / Path(
        _module_file(compiled_code)).name), "None"]


def test_a_compile_that_cannot_run_says_why_and_keeps_the_last(compiled_code: Path, tmp_path: Path) -> None:
    code = tmp_path / "code"
    shutil.copytree(compiled_code, code)
    done = _run(code, ["-m", "digest.compiled"], cwd=code, env={"CC": str(tmp_path / "no-such-compiler")})
    assert done.returncode == 1
    assert "the analysis was not compiled (no C compiler" in done.stderr, done.stderr
    assert "run it as Python" in done.stderr
    assert _module_file(code).endswith(".so")
    assert _module_file(code, env={"DIGEST_COMPILED": "0"}).endswith("quotes.py")


AGREEMENT_SCRIPT = """
import importlib, random, sys
from pathlib import Path
from digest.analyze import analyze_article
dedup, keywords, quotes, text, topics = (importlib.import_module(f"digest.analyze.{name}")
                                         for name in ("dedup", "keywords", "quotes", "text", "topics"))
from digest.compiled import in_use
from digest.config import load_config
from digest.models import Article, Block
from tests.test_analysis_speed_identity import PIECES, random_text

print("compiled" if in_use() else "python")
config = load_config(Path(sys.argv[1]), required=True)
kinds = ("paragraph", "paragraph", "blockquote", "list_item", "heading", "caption")
found = []
for seed in range(int(sys.argv[2])):
    rng = random.Random(seed)
    blocks = tuple(Block(rng.choice(kinds), random_text(rng, rng.randint(1, 90))) for _ in range(rng.randint(1, 12)))
    title = random_text(rng, rng.randint(1, 12))
    article = Article(path=Path("a.md"), slug="a", title=title, date=None, author=None, source=None, body_html="",
                      blocks=blocks, word_count=0)
    body = " ".join(block.text for block in blocks)
    print(seed, repr(analyze_article(article, config)))
    print(seed, repr(quotes.find_quotes(blocks)), repr(text.words(body)), repr(text.split_sentences(body)))
    print(seed, repr(text.content_terms(body)), repr(dedup.signature(body)), repr(keywords.keywords(title, blocks, 12)))
    found.append(topics.TopicText(title, body, tuple(keywords.keywords(title, blocks, 8))))
print(repr(topics.discover_topics(found, set())))
"""


def test_compiled_and_python_analyse_hostile_text_alike(compiled_code: Path) -> None:
    """The analysis of seeded random text full of what breaks text code (quotation marks of every
    kind, capitals, "ΣΟΦΟΣ", "İ", "ſ", the Kelvin sign, CJK full stops): the same, to the last
    character and float, compiled or as Python. (mypyc lower-cases "ΣΟΦΟΣ" to "σοφοσ" where
    Python gives "σοφος": the analysis lower-cases non-ASCII text through Python's own method.)"""
    shutil.copytree(REPO / "tests", compiled_code / "tests", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    outputs = []
    for switch in ("1", "0"):
        done = _run(compiled_code, ["-c", AGREEMENT_SCRIPT, str(REPO / "config.yaml"), "400"], cwd=compiled_code,
                    env={"DIGEST_COMPILED": switch})
        assert done.returncode == 0, done.stderr[-3000:]
        outputs.append(done.stdout.splitlines())
    assert outputs[0][0] == "compiled" and outputs[1][0] == "python"
    differ = [(ours, theirs) for ours, theirs in zip(outputs[0][1:], outputs[1][1:], strict=True) if ours != theirs]
    assert differ == [], differ[:3]
