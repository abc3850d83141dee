"""Compiled loops (numba) for what numpy can only do in many passes over millions of entries.

Finding a literal of three characters or more in the counting arrays (:class:`search.arrays.CorpusText`)
means checking each start of its rarest bigram against the literal's other characters, then finding the row
of every start that holds and counting the starts per row. In numpy each of those steps is a pass over
every candidate (about 30 passes for ``法治政府建设``: 70 ms for its 1.2 million candidates at 100,000
reports); here it is one loop, each candidate read once. The loops are compiled when first called and the
machine code is cached beside this module (numba's ``cache=True``), so a server's workers load it rather
than compile it. numba releases the GIL inside them (``nogil``): a search's page and its counts still run
side by side.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _verified_row_counts(units, entries, anchor, lit, starts):  # pragma: no cover - compiled
    n = len(units)
    length = len(lit)
    rows = np.empty(len(entries), dtype=np.int64)
    counts = np.empty(len(entries), dtype=np.int64)
    found = 0
    row = 0
    n_rows = len(starts)
    for i in range(len(entries)):
        p = np.int64(entries[i]) - anchor
        if p < 0 or p + length > n:
            continue
        ok = True
        for k in range(length):
            if units[p + k] != lit[k]:
                ok = False
                break
        if not ok:
            continue
        # The row of p: rows ascend with p, so from the last row found, by galloping then halving.
        if row + 1 < n_rows and starts[row + 1] <= p:
            step = 1
            low = row + 1  # starts[low] <= p
            while low + step < n_rows and starts[low + step] <= p:
                low += step
                step *= 2
            high = min(low + step, n_rows)  # starts[high] > p, or the end
            while high - low > 1:
                mid = (low + high) // 2
                if starts[mid] <= p:
                    low = mid
                else:
                    high = mid
            row = low
        if found and rows[found - 1] == row:
            counts[found - 1] += 1
        else:
            rows[found] = row
            counts[found] = 1
            found += 1
    return rows[:found], counts[:found]


def verified_row_counts(
    units: np.ndarray, entries: np.ndarray, anchor: int, literal: np.ndarray, starts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The rows holding ``literal`` (UTF-16 units) and its starts in each, both int64 and rows ascending, from
    ``entries``: the ascending offsets of the literal's bigram at ``anchor`` (its units ``anchor`` and
    ``anchor + 1``) in ``units``, whose rows start at ``starts``. Each offset minus ``anchor`` is a start
    where every unit of the literal is there. Overlapping starts each count (as :meth:`CorpusText.row_counts`).

    >>> units = np.frombuffer("法治政府|政府法治政府".replace("|", chr(0)).encode("utf-16-le"), dtype=np.uint16)
    >>> lit = np.frombuffer("治政府".encode("utf-16-le"), dtype=np.uint16)
    >>> rows, counts = verified_row_counts(units, np.array([2, 5, 9]), 1, lit, np.array([0, 5]))
    >>> rows.tolist(), counts.tolist()
    ([0, 1], [1, 1])
    """
    if not len(entries):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return _verified_row_counts(units, entries, np.int64(anchor), literal, starts)
