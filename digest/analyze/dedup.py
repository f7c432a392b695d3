"""Near-duplicate articles (the same story from two sources, the same file twice): MinHash over
word shingles, with locality-sensitive banding so a site of thousands is not compared pair by pair.

A signature is computed per article (and cached with its analysis); grouping happens across
the site in collect.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from functools import lru_cache
from operator import eq
from typing import Any

from digest.analyze.text import ALNUM_RUNS, lower, runs_matched

SHINGLE_WORDS = 5
HASHES = 32
BANDS = 8  # 8 bands of 4 rows: pairs above ~0.6 similarity meet in a band 97% of the time
ROWS = HASHES // BANDS
DUPLICATE_SIMILARITY = 0.6
"""Estimated Jaccard similarity of the shingle sets above which two articles are one story."""
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_MIX = 0x9E3779B97F4A7C15
"""Odd: multiplying by it mixes one word's hash into the next ones' in a shingle's hash."""


def _constants(label: bytes) -> list[int]:
    """HASHES fixed 64-bit numbers, the same on every machine and run."""
    stream = hashlib.shake_128(label).digest(HASHES * 8)
    return [int.from_bytes(stream[start:start + 8], "little") for start in range(0, HASHES * 8, 8)]


_MULTIPLIERS = [value | 1 for value in _constants(b"digest minhash multipliers")]
_INCREMENTS = _constants(b"digest minhash increments")


@lru_cache(maxsize=1 << 16)
def _word_hash(word: str) -> int:
    """A word's 64-bit hash. Remembered: a site repeats its vocabulary, and this is ~6x a lookup."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


@lru_cache(maxsize=1)
def _hash_functions() -> tuple[Any, Any]:
    """The MinHash functions' multipliers and increments as arrays, made once."""
    from digest.analyze.arrays import np

    return np.array(_MULTIPLIERS, dtype=np.uint64), np.array(_INCREMENTS, dtype=np.uint64)


def alnum_runs(text: str) -> list[str]:
    """``_WORD.findall(text)``, by ``text.runs_matched``."""
    return runs_matched(text, ALNUM_RUNS, _WORD)


def signature(text: str) -> tuple[int, ...]:
    """MinHash signature of the text's word 5-grams; empty for texts too short to compare."""
    words = alnum_runs(lower(text))
    if len(words) < SHINGLE_WORDS * 4:
        return ()
    # Imported here: the cached build reads this module (collect's grouping) but makes no signature.
    from digest.analyze.arrays import np

    # Arithmetic on arrays of 64-bit hashes (wrapping around, as numpy's unsigned integers do), not
    # one hash call per shingle per function: half the time of hashing each shingle's text.
    word_hashes = np.fromiter(map(_word_hash, words), dtype=np.uint64, count=len(words))
    count = len(words) - SHINGLE_WORDS + 1
    mix = np.uint64(_MIX)
    shingles = word_hashes[:count] * mix
    for offset in range(1, SHINGLE_WORDS):
        shingles ^= word_hashes[offset:offset + count]
        if offset < SHINGLE_WORDS - 1:
            shingles *= mix
    # HASHES functions at once, each (a * x + b) mod 2^64 keeping the top 32 bits: a
    # multiply-shift hash, a standard stand-in for a random permutation in MinHash. A shingle met
    # twice changes no minimum: the set of shingles is not made (np.unique took longer than the
    # repeats it saves here), and the arithmetic is done in place, in one array.
    multipliers, increments = _hash_functions()
    values = shingles[:, None] * multipliers
    values += increments
    values >>= np.uint64(32)
    minimums: list[int] = values.min(axis=0).tolist()
    return tuple(minimums)


def similarity(first: Sequence[int], second: Sequence[int]) -> float:
    """Estimated Jaccard similarity: the share of equal MinHash values."""
    if not first or len(first) != len(second):
        return 0.0
    # map(eq) compares in C: half the time of a generator, and a band shared by hundreds of
    # articles (a wire story's stock opening) asks for tens of thousands of comparisons.
    equal: int = sum(map(eq, first, second))
    return equal / len(first)


ARRAY_PAIRS = 5_000
"""Pairs sharing a band above which they are compared as arrays, not pair by pair: a generated
10,000-article site shares bands in 194,000 pairs (one band value in 561 articles): the grouping
took 0.32-0.44 s pair by pair, every build after an edit, and takes ~0.15 s so (most of it making
the buckets)."""
ARRAY_ROWS = 256
"""Rows of a big bucket compared at once against all of it: bounds the comparison's memory."""


def _similar_pairs(buckets: Sequence[list[int]], signature_of: dict[tuple[int, ...], int]) -> Iterator[tuple[int, int]]:
    """The pairs of articles in the same bucket whose signatures are alike (``similarity``), found
    with arrays: the same pairs as comparing each, by the same float comparison."""
    from digest.analyze.arrays import np

    rows = {index: row for row, index in enumerate(signature_of.values())}
    matrix = np.array(list(signature_of), dtype=np.uint64)
    for members in buckets:
        block = matrix[[rows[index] for index in members]]
        for start in range(0, len(members), ARRAY_ROWS):
            part = block[start:start + ARRAY_ROWS]
            alike = (part[:, None, :] == block[None, :, :]).sum(axis=2) / HASHES >= DUPLICATE_SIMILARITY
            for first, second in zip(*np.nonzero(alike), strict=True):
                if start + first < second:  # each pair once, never an article with itself
                    yield members[start + first], members[second]


def duplicate_groups(signatures: Sequence[Sequence[int]]) -> list[list[int]]:
    """Groups (of indexes, ascending) of articles that are near-duplicates; singletons left out."""
    parent = list(range(len(signatures)))
    # Identical signatures (the same text twice) are one group at once, and only their first member
    # goes into the bands: a site that holds many copies is not compared copy by copy.
    first_with: dict[tuple[int, ...], int] = {}
    buckets: dict[tuple[int, tuple[int, ...]], list[int]] = defaultdict(list)
    for index, sig in enumerate(signatures):
        if len(sig) != HASHES:
            continue
        whole = tuple(sig)
        if whole in first_with:
            parent[index] = first_with[whole]
            continue
        first_with[whole] = index
        for band in range(BANDS):
            buckets[(band, whole[band * ROWS : (band + 1) * ROWS])].append(index)

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    def join(first: int, second: int) -> None:
        parent[max(root(first), root(second))] = min(root(first), root(second))

    shared = [members for members in buckets.values() if len(members) > 1]
    if sum(len(members) * (len(members) - 1) // 2 for members in shared) >= ARRAY_PAIRS:
        for first, second in _similar_pairs(shared, first_with):
            join(first, second)
    else:
        whole_of = {index: whole for whole, index in first_with.items()}
        for members in shared:
            for position, first in enumerate(members):
                for second in members[position + 1 :]:
                    if root(first) != root(second) and similarity(whole_of[first], whole_of[second]) >= (
                        DUPLICATE_SIMILARITY
                    ):
                        join(first, second)
    groups: dict[int, list[int]] = defaultdict(list)
    for index in range(len(signatures)):
        groups[root(index)].append(index)
    return [members for members in groups.values() if len(members) > 1]
