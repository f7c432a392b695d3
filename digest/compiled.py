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

from digest.sourcedigest import PACKAGE, files_digest, source_digest

MODULES = ("analyze/dedup.py", "analyze/keywords.py", "analyze/quotes.py", "analyze/sentences.py",
           "analyze/summarize.py", "analyze/text.py", "analyze/topics.py")
"""The compiled modules, paths in the package: the analysis of one article, without the package's
``__init__`` (which chooses between compiled and Python)."""
FOLDER = PACKAGE / "_compiled"
MANIFEST = "manifest.json"
GROUP = "digest_analysis"
"""The name of the shared library the compiled modules live in (``<GROUP>__mypyc``, loaded from
``FOLDER`` by ``search_path``); each module is a small library of its own name that imports it."""
SUFFIX = str(sysconfig.get_config_var("EXT_SUFFIX"))
"""The file name ending of this Python's extension modules."""
SWITCH = "DIGEST_COMPILED"
"""The environment variable that turns the compiled modules off: ``0``."""


def _identity(sources: str) -> dict[str, str]:
    """What compiled modules must have been compiled from (``sources``, the digest of ``MODULES``)
    and for, to be used."""
    return {"sources": sources, "suffix": SUFFIX,
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
    return bool(manifest == _identity(source_digest(MODULES)))


_chosen: list[bool] = []
"""What ``search_path`` chose in this process: [True] for the compiled modules."""


def search_path(package: str, path: list[str]) -> list[str]:
    """A subpackage's ``__path__`` with its compiled modules' folder first, when ``current()``: its
    modules are then imported from there, the rest (and every module when not) from ``path``."""
    use = current() and _load_library()
    _chosen[:] = [use]
    return [str(FOLDER.joinpath(*package.split(".")[1:])), *path] if use else path


def _load_library() -> bool:
    """Load the shared library the compiled modules live in from this folder, by its path, under
    the name they import it by: never another file of that name found elsewhere on sys.path."""
    name = f"{GROUP}__mypyc"
    if name in sys.modules:
        return True
    spec = importlib.util.spec_from_file_location(name, FOLDER / (name + SUFFIX))
    if spec is None or spec.loader is None:
        return False
    try:
        library = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(library)
    except (ImportError, OSError):
        return False  # the Python modules then
    sys.modules[name] = library
    return True


def in_use() -> bool:
    """Whether the analysis runs compiled in this process (what it chose when first imported)."""
    import digest.analyze  # noqa: F401 (makes the choice, once)

    return _chosen == [True]


def compile_modules() -> None:
    """Compile ``MODULES`` into ``FOLDER``. What is compiled is a copy of the package taken first,
    and the manifest digests that copy: a source saved meanwhile is not taken for compiled. The new
    folder is made beside ``FOLDER`` and renamed over it once complete (a failed or killed compile
    leaves the last one, or none: never half of one). Raises what mypyc or the C compiler raise
    (needs mypy, setuptools and a C compiler: ``requirements-compile.txt``)."""
    missing = _missing_tool()
    if missing:
        raise MissingTool(missing)
    from mypyc.build import mypycify
    from setuptools import setup  # type: ignore[import-untyped]

    with tempfile.TemporaryDirectory(prefix="digest-compile-") as scratch:
        work = Path(scratch)
        source = work / "src"
        shutil.copytree(PACKAGE, source / PACKAGE.name,
                        ignore=shutil.ignore_patterns("__pycache__", f"{FOLDER.name}*"))
        if (PACKAGE.parent / "pyproject.toml").is_file():  # mypy's settings
            shutil.copy(PACKAGE.parent / "pyproject.toml", source)
        sources = files_digest(source / PACKAGE.name, MODULES)
        # mypyc names each module after its path from the folder it runs in.
        with contextlib.chdir(source):
            extensions: list[Any] = mypycify([f"{PACKAGE.name}/{name}" for name in MODULES], opt_level="3",
                                             group_name=GROUP, target_dir=str(work / "c"))
            setup(name="digest-compiled", ext_modules=extensions, packages=[], py_modules=[], script_name="setup.py",
                  script_args=["--quiet", "build_ext", "--build-lib", str(work / "lib"),
                               "--build-temp", str(work / "temp")])
        built = Path(tempfile.mkdtemp(prefix=f"{FOLDER.name}-new-", dir=FOLDER.parent))
        try:
            # The layout ``search_path`` expects: the shared library at the top, each module's own
            # library in its subpackage's folder (``analyze/quotes....so``).
            package = work / "lib" / PACKAGE.name
            for library in sorted((work / "lib").rglob("*" + SUFFIX)):
                inside = library.relative_to(package) if library.is_relative_to(package) else library.name
                target = built / inside
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(library, target)
            (built / MANIFEST).write_text(json.dumps(_identity(sources), indent=1) + "\n", encoding="utf-8")
            old = FOLDER.with_name(FOLDER.name + "-old")
            shutil.rmtree(old, ignore_errors=True)
            if FOLDER.exists():
                FOLDER.rename(old)
            built.rename(FOLDER)  # the same file system: one step
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(built, ignore_errors=True)  # gone already, unless something failed


class MissingTool(Exception):
    """What the compile needs and this machine lacks."""


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
    except MissingTool as missing:
        print(f"digest: the analysis was not compiled ({missing}); builds run it as Python, the same "
              "results a little slower. To compile it, install a C compiler and Python's headers "
              "(Debian: gcc, python3-dev) and run make again.", file=sys.stderr)
        return 1
    except (Exception, SystemExit) as error:  # mypyc and setuptools print what stopped them, then exit
        stopped = isinstance(error, SystemExit)
        reason = "mypyc or the C compiler stopped with the errors above" if stopped else str(error)
        print(f"digest: the analysis was not compiled ({reason}); builds run it as Python, the same "
              "results a little slower. The analysis must pass `make typecheck` to compile.", file=sys.stderr)
        return 1
    print(f"digest: compiled the analysis into {FOLDER.relative_to(PACKAGE.parent)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
