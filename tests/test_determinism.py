"""Two builds of the same input are byte-identical, whatever the hash seed and number of workers.

Synthetic articles from a small vocabulary make many exact ties (in related articles, topics,
keywords), where an order that depends on set iteration, and so on PYTHONHASHSEED, would show.
tests/test_cache.py does the same on real stories.
"""

from __future__ import annotations

import random
from pathlib import Path

from tests.conftest import make_project, run_cli, tree_bytes
from tests.test_kill import write_articles


def test_hash_seed_and_workers_change_no_byte(tmp_path: Path) -> None:
    sites = []
    for workers, seed in (("1", "1"), ("2", "2"), ("2", "3")):
        project = make_project(tmp_path / f"w{workers}-s{seed}", with_seed=False)
        write_articles(project, random.Random(7))
        result = run_cli(project, "build", "--no-cache", "--workers", workers, env={"PYTHONHASHSEED": seed})
        assert result.code == 0, result.err
        sites.append(tree_bytes(project / "site"))
    differ = sorted(path for path in sites[0].keys() | sites[1].keys() | sites[2].keys()
                    if not sites[0].get(path) == sites[1].get(path) == sites[2].get(path))
    assert differ == [], differ[:10]
