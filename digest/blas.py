"""numpy's linear algebra (``digest.analyze.arrays``) on one thread: set before numpy loads.

A module of its own, so the command line can call it first without loading anything else.
"""

from __future__ import annotations

import os

_BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread() -> None:
    """Hold numpy's linear algebra (``digest.analyze.arrays``) to one thread, before it loads (it
    reads these once). The build already runs one worker per core; OpenBLAS's own threads, one per
    core in each, only fought over the cores (analysis at 16 ms an article against 10). Called
    first thing by the command line, before any thread starts (changing the environment beside
    running threads is not safe), and again by ``arrays``, which then changes nothing."""
    for variable in _BLAS_THREADS:
        if os.environ.get(variable) != "1":
            os.environ[variable] = "1"
