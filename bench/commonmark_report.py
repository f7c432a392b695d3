#!/usr/bin/env python3
"""CommonMark conformance of digest's Markdown renderer, as configured (issue 9).

The spec's examples are the JSON that markdown-it-py's source package ships
(``tests/test_cmark_spec/commonmark.json``): the sdist of the pinned version is fetched once with
``pip download --no-binary :all: --no-deps markdown-it-py==<version>`` into ``.cache/commonmark/``
and read from the tarball. Each example is rendered with ``digest.markdown.render_markdown`` (the
commonmark preset, raw HTML off, tables, strikethrough and the ``::: caption`` container) and
compared with the spec's HTML.

Each failure gets its cause, found by turning digest's choices back one at a time and seeing which
one alone makes the example pass: "raw HTML off" (the safety choice: scraped text must not carry
markup), "tables", "strikethrough", "caption container"; "markdown-it-py" when markdown-it-py's own
commonmark preset fails it too; "unexplained" otherwise.

Rerun:  .venv/bin/python bench/commonmark_report.py [--json] [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
from collections import Counter, defaultdict
from importlib.metadata import version
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from mdit_py_plugins.container import container_plugin

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from digest.markdown import CAPTION, render_markdown  # noqa: E402

SPEC_MEMBER = "tests/test_cmark_spec/commonmark.json"


def spec_examples(cache: Path) -> tuple[str, list[dict[str, Any]]]:
    """The pinned markdown-it-py's version and the spec examples its sdist ships."""
    pinned = version("markdown-it-py")
    sdist = cache / f"markdown_it_py-{pinned}.tar.gz"
    if not sdist.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
             "--no-binary", ":all:", "--no-deps", f"markdown-it-py=={pinned}", "-d", str(cache)],
            check=True,
        )
    with tarfile.open(sdist) as archive:
        member = archive.extractfile(f"markdown_it_py-{pinned}/{SPEC_MEMBER}")
        if member is None:
            raise SystemExit(f"{sdist} holds no {SPEC_MEMBER}")
        return pinned, json.loads(member.read().decode("utf-8"))


def _variant(html: bool = False, table: bool = True, strikethrough: bool = True, caption: bool = True) -> MarkdownIt:
    """digest's parser with one of its choices turned back."""
    parser = MarkdownIt("commonmark", {"html": html, "typographer": False})
    parser.enable([name for name, on in (("table", table), ("strikethrough", strikethrough)) if on])
    if caption:
        container_plugin(parser, CAPTION)
    return parser


CAUSES = {
    "raw HTML off": _variant(html=True),
    "tables": _variant(table=False),
    "strikethrough": _variant(strikethrough=False),
    "caption container": _variant(caption=False),
}
STOCK = MarkdownIt("commonmark")


def cause_of(example: dict[str, Any]) -> str:
    if STOCK.render(example["markdown"]) != example["html"]:
        return "markdown-it-py"
    for cause, parser in CAUSES.items():
        if parser.render(example["markdown"]) == example["html"]:
            return cause
    return "unexplained"


def report(examples: list[dict[str, Any]]) -> dict[str, Any]:
    sections: dict[str, dict[str, Any]] = defaultdict(lambda: {"passed": 0, "total": 0, "failed": []})
    causes: Counter[str] = Counter()
    for example in examples:
        html, _ = render_markdown(example["markdown"])
        section = sections[example["section"]]
        section["total"] += 1
        if html == example["html"]:
            section["passed"] += 1
        else:
            cause = cause_of(example)
            causes[cause] += 1
            # "escaped": what the spec passes through as markup shows as text (&lt;tag&gt;) instead.
            section["failed"].append({"example": example["example"], "cause": cause, "escaped": "&lt;" in html})
    return {
        "passed": sum(section["passed"] for section in sections.values()),
        "total": len(examples),
        "causes": dict(causes),
        "sections": dict(sections),
    }


def _ranges(numbers: list[int]) -> str:
    """[148, 149, 150, 201] -> '148-150, 201'."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ", ".join(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.add_argument("--cache", type=Path, default=REPO / ".cache" / "commonmark",
                        help="where the markdown-it-py sdist is kept (default: .cache/commonmark)")
    args = parser.parse_args()
    pinned, examples = spec_examples(args.cache)
    result = {"markdown_it_py": pinned, **report(examples)}
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"CommonMark spec examples from markdown-it-py {pinned}'s sdist, rendered by digest.markdown")
    print(f"passed {result['passed']} of {result['total']} "
          f"({100 * result['passed'] / result['total']:.1f} %)\n")
    width = max(len(name) for name in result["sections"])
    print(f"{'section':<{width}}  passed  failed (example: cause)")
    for name, section in result["sections"].items():
        by_cause: dict[str, list[int]] = defaultdict(list)
        for item in section["failed"]:
            by_cause[item["cause"]].append(item["example"])
        failed = "; ".join(f"{_ranges(numbers)}: {cause}" for cause, numbers in by_cause.items())
        print(f"{name:<{width}}  {section['passed']:>3}/{section['total']:<3} {failed}")
    print("\nfailures by cause: " + ", ".join(f"{cause} {count}" for cause, count in result["causes"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
