"""numpy, for the analysis's arithmetic on arrays, with its linear algebra on one thread.

Imported by the functions that use it, never at the top of a module: a build whose analyses are
all cached never loads it (~0.11 s). Its matrices here are tiny (one article's sentences), and the
build already runs one process per core (see ``digest.blas``).
"""

from __future__ import annotations

from digest.blas import one_blas_thread

one_blas_thread()  # before numpy loads: it reads the thread count then

import numpy as np  # noqa: E402 (after the thread counts it reads)

__all__ = ["np"]
