"""The analysis compiled to C by mypyc (https://mypyc.readthedocs.io), from the same typed source.

The analysis is most of a first build's time and is plain Python loops over words and sentences;
compiled, it takes ~15% less time an article and gives the same results (``tests/test_compiled.py``
builds a site both ways and compares the bytes). ``make`` compiles it where a C compiler is
(``python -m digest.compiled``, into ``digest/_compiled/``); without one, or with
``DIGEST_COMPILED=0``, the same modules run as Python.

A process uses the compiled modules only when they were compiled from exactly the sources beside
them, for this Python: an edited source runs as Python until it is compiled again (``make``), never
as a stale library.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from digest.sourcedigest import PACKAGE, source_digest

MODULES = ("analyze/dedup.py", "analyze/keywords.py", "analyze/quotes.py", "analyze/sentences.py",
           "analyze/summarize.py", "analyze/text.py", "analyze/topics.py")
"""The compiled modules, paths in the package: the analysis of one article, without the package's
``__init__`` (which chooses between compiled and Python)."""
FOLDER = PACKAGE / "_compiled"
MANIFEST = "manifest.json"
GROUP = "digest_analysis"
"""The name of the shared library the compiled modules live in (``<GROUP>__mypyc``), found on
``sys.path``; each module is a small library of its own name that loads it."""
SWITCH = "DIGEST_COMPILED"
"""The environment variable that turns the compiled modules off: ``0``."""


def _identity() -> dict[str, str]:
    """What compiled modules must have been compiled from and for, to be used."""
    return {"sources": source_digest(MODULES), "suffix": str(sysconfig.get_config_var("EXT_SUFFIX")),
            "python": sys.implementation.cache_tag or ""}


def current() -> bool:
    """Whether this process can use the compiled modules: compiled from these sources for this
    Python, and not turned off."""
    if os.environ.get(SWITCH, "1") == "0":
        return False
    try:
        manifest = json.loads((FOLDER / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(manifest == _identity())


def search_path(package: str, path: list[str]) -> list[str]:
    """A subpackage's ``__path__`` with its compiled modules' folder first, when ``current()``: its
    modules are then imported from there, the rest (and every module when not) from ``path``."""
    if not current():
        return path
    if str(FOLDER) not in sys.path:
        sys.path.append(str(FOLDER))  # for the shared library, a top-level module
    return [str(FOLDER.joinpath(*package.split(".")[1:])), *path]


def in_use() -> bool:
    """Whether the analysis runs compiled in this process."""
    from digest.analyze import quotes

    return not str(quotes.__file__).endswith(".py")


def compile_modules(folder: Path = FOLDER) -> None:
    """Compile ``MODULES`` into ``folder``, replacing what it held only once all compiled: a failed
    compile leaves the last one. Raises what mypyc or the C compiler raise (needs mypy, setuptools
    and a C compiler: ``requirements-compile.txt``)."""
    missing = _missing_tool()
    if missing:
        raise RuntimeError(missing)
    from mypyc.build import mypycify
    from setuptools import setup  # type: ignore[import-untyped]

    with tempfile.TemporaryDirectory(prefix="digest-compile-") as scratch:
        work = Path(scratch)
        # mypyc names each module after its path from the folder it runs in: the package's parent.
        with contextlib.chdir(PACKAGE.parent):
            extensions: list[Any] = mypycify([f"{PACKAGE.name}/{name}" for name in MODULES], opt_level="3",
                                             group_name=GROUP, target_dir=str(work / "c"))
            setup(name="digest-compiled", ext_modules=extensions, packages=[], py_modules=[], script_name="setup.py",
                  script_args=["--quiet", "build_ext", "--build-lib", str(work / "lib"),
                               "--build-temp", str(work / "temp")])
        built = work / "lib"
        package = built / PACKAGE.name
        # The layout ``search_path`` expects: the shared library at the top, each module's own
        # library in its subpackage's folder (``analyze/quotes....so``).
        for library in package.rglob("*" + str(sysconfig.get_config_var("EXT_SUFFIX"))):
            target = built / library.relative_to(package)
            target.parent.mkdir(parents=True, exist_ok=True)
            library.rename(target)
        shutil.rmtree(package)
        (built / MANIFEST).write_text(json.dumps(_identity(), indent=1) + "\n", encoding="utf-8")
        old = folder.with_name(folder.name + "-old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        shutil.move(str(built), folder)
        shutil.rmtree(old, ignore_errors=True)


def _missing_tool() -> str | None:
    """What the compile needs and this machine lacks, said before mypyc's ~20 s of type checking."""
    compiler = (os.environ.get("CC") or str(sysconfig.get_config_var("CC") or "cc")).split()[0]
    if shutil.which(compiler) is None:
        return f"no C compiler: {compiler} is not installed"
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").is_file():
        return "Python's headers (Python.h) are not installed"
    for module in ("mypyc", "setuptools"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install -r requirements-compile.txt)"
    return None


def main() -> int:
    """``python -m digest.compiled``: compile the analysis; on failure say so and that digest runs
    as Python (exit status 1)."""
    try:
        compile_modules()
    except (Exception, SystemExit) as error:
        # mypyc and setuptools print what stopped them, then exit.
        reason = "stopped by the errors above" if isinstance(error, SystemExit) else str(error)
        print(f"digest: the analysis was not compiled ({reason}); builds run it as Python, the same "
              "results a little slower. Install a C compiler and Python's headers (Debian: gcc, "
              "python3-dev) and run make again.", file=sys.stderr)
        return 1
    print(f"digest: compiled the analysis into {FOLDER.relative_to(PACKAGE.parent)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
