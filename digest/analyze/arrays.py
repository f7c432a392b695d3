"""numpy, for the analysis's arithmetic on arrays, with its linear algebra on one thread.

Imported by the functions that use it, never at the top of a module: a build whose analyses are
all cached never loads it (~0.11 s). Its matrices here are tiny (one article's sentences), and the
build already runs one process per core: OpenBLAS's own threads, one per core in each process, only
fought over the cores (analysis at 16 ms an article against 10). Its thread count is read when it
loads, so it is set first.
"""

from __future__ import annotations

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import numpy as np  # noqa: E402 (after the thread counts it reads)

__all__ = ["np"]
