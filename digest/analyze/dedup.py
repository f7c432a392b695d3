"""Near-duplicate articles (the same story from two sources, the same file twice): MinHash over
word shingles, with locality-sensitive banding so a site of thousands is not compared pair by pair.

A signature is computed per article (and cached with its analysis); grouping happens across
the site in collect.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence

SHINGLE_WORDS = 5
HASHES = 32
BANDS = 8  # 8 bands of 4 rows: pairs above ~0.6 similarity meet in a band 97% of the time
ROWS = HASHES // BANDS
DUPLICATE_SIMILARITY = 0.6
"""Estimated Jaccard similarity of the shingle sets above which two articles are one story."""
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_ROW_BYTES = HASHES * 4
"""The hash values of one shingle, as bytes."""
_BYTES = [bytes([value]) for value in range(256)]


def signature(text: str) -> tuple[int, ...]:
    """MinHash signature of the text's word 5-grams; empty for texts too short to compare."""
    words = _WORD.findall(text.lower())
    if len(words) < SHINGLE_WORDS * 4:
        return ()
    # Words hold no spaces: the text is encoded once and split, not each shingle on its own.
    encoded = " ".join(words).encode().split(b" ")
    # A shingle met twice changes no minimum: each distinct one is hashed once. (The shorter tails
    # end the zip: only whole shingles.)
    shingles = set(map(b" ".join, zip(*(encoded[offset:] for offset in range(SHINGLE_WORDS)), strict=False)))
    # All hash functions at once: SHAKE-128 gives each shingle HASHES independent 32-bit values
    # (little-endian), one row of _ROW_BYTES per shingle.
    shake = hashlib.shake_128
    rows = b"".join([shake(shingle).digest(_ROW_BYTES) for shingle in shingles])
    return tuple(_column_minimum(rows, column) for column in range(HASHES))


def _column_minimum(rows: bytes, column: int) -> int:
    """The least of one hash function's values over all rows.

    Read from the bytes, not as ints: the least value has the least most significant byte, which a
    search in C finds (nearly always 0 or 1 among hundreds of shingles), so only the few values with
    that byte are ever decoded.
    """
    offset = column * 4
    top = rows[offset + 3 :: _ROW_BYTES]  # each row's most significant byte of this value
    mark = next(byte for byte in _BYTES if byte in top)
    least = 1 << 32  # above every 32-bit value
    index = top.find(mark)
    while index >= 0:
        start = index * _ROW_BYTES + offset
        least = min(least, int.from_bytes(rows[start : start + 4], "little"))
        index = top.find(mark, index + 1)
    return least


def similarity(first: Sequence[int], second: Sequence[int]) -> float:
    """Estimated Jaccard similarity: the share of equal MinHash values."""
    if not first or len(first) != len(second):
        return 0.0
    return sum(x == y for x, y in zip(first, second, strict=True)) / len(first)


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

    for members in buckets.values():
        for position, first in enumerate(members):
            for second in members[position + 1 :]:
                if root(first) != root(second) and similarity(signatures[first], signatures[second]) >= (
                    DUPLICATE_SIMILARITY
                ):
                    parent[max(root(first), root(second))] = min(root(first), root(second))
    groups: dict[int, list[int]] = defaultdict(list)
    for index in range(len(signatures)):
        groups[root(index)].append(index)
    return [members for members in groups.values() if len(members) > 1]
