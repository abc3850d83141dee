"""The arrays a generation is counted in (see :mod:`search.counting`): every passage's folded text as one
array (:class:`CorpusText`), and per-row and per-report attributes (:class:`RowTable`); beside them, the
generation's passages and reports themselves (:mod:`search.store`).

The indexer writes them into the index, beside the engine's files, as part of each generation
(:func:`write_arrays`, before the engine's commit, in a folder the commit names: :func:`arrays_folder`), and
a server maps them read-only (:func:`load_arrays`): every worker reads the same pages of the page cache, and
nothing is built when an index is loaded. An index without them (written by an earlier version) is not
read: it must be rebuilt. They know nothing of engines or snapshots.
"""

from __future__ import annotations

import heapq
import json
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path

import numpy as np

from search._count import inserted, literal_runs, moved
from search.analysis import fold
from search.models import DOC_TYPES, ISSUER_LEVELS, SECTIONS, Passage, Region, Report
from search.reuse import REUSE_PREFIX  # reuse folders go with their generation's arrays
from search.store import (
    STORE_ARRAYS,
    STORE_VERSION,
    Store,
    Strings,
    encode_strings,
    ranges,
    region_json,
    regions_of,
    sorted_order_of,
    store_arrays,
    text_against_folded,
)
from search.subprocesses import threads_take_turns

ARRAYS_PREFIX = "arrays-"
"""Folders of counting arrays in an index folder are named ``arrays-NAME``, NAME given by the generation."""
_CORPUS_ARRAYS = (
    "units",
    "starts",
    "positions",
    "unit_start",
    "unit_frequency",
    "bigram_key",
    "bigram_start",
    "row_rank",
    "corpus_version",
)
_FREQUENT_ARRAYS = ("frequent_key", "frequent_start", "frequent_rows", "frequent_counts")
"""The rows of the frequent bigrams (:func:`frequent_rows`): written with every generation since session 11;
an index written before has none, and its frequent bigrams are counted from their positions, as any other."""
CORPUS_VERSION = 2
"""The layout of the corpus arrays: 2 sorts positions by unit, then the next unit, then offset, and adds the
bigram table and the row-rank table. An index whose arrays are of another layout must be rebuilt."""
_RANK_BITS = 32  # units per word of CorpusText.row_rank
SPLIT_FROM = 1 << 18
"""A literal whose anchor has this many entries or more is counted in two halves, the later one in a thread
of its own (:func:`_counting`): the compiled loop releases the lock, so the two halves run on two cores.
Not where threads take turns (a gevent worker: :func:`search.subprocesses.threads_take_turns`)."""


@cache
def _counting() -> ThreadPoolExecutor:
    """The thread of :data:`SPLIT_FROM`, made at its first use, never at import: gunicorn's master imports this
    package before a gevent worker patches threading, and a pool made then would wait on an unpatched queue,
    holding the worker's one thread (its every request) for good."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="fazhi-counting")


FREQUENT_SHARE = 600
"""A bigram is *frequent* when it stands at least once per this many units of the corpus (法治, 行政, 建设 in
these reports: the commonest 40 or so): its rows and its starts in each are stored beside the positions
(:func:`frequent_rows`), so that counting it in every passage reads them instead of working out the row of
each of its millions of starts. At 10,000 reports those are 38 bigrams holding 14 % of all positions, stored in
16.5 MB (4 % of the index); at 100,000, 158 MB."""
FREQUENT_FLOOR = 16
"""... and at least this many times (a tiny index's commonest bigrams are still stored, so every index uses
the stored rows the same way)."""

_SEPARATOR = "\x00"  # between passages in the corpus array: no literal holds it (control characters are refused)


class CorpusText:
    """Every passage's folded text in one array of UTF-16 code units, passages separated by NUL, with the
    first unit of each passage, and every unit's offset sorted by that unit, then the unit after it, then
    offset: the entries of one unit are one run (``unit_start``), and within it those of each *bigram* (the
    unit and the next) are one run (``bigram_key``, ``bigram_start``), ascending. A literal of two units or
    more is found from the offsets of its rarest bigram (``法治`` is its own bigram: nothing to check; for
    ``法治政府建设`` the rarest of its five bigrams, then the other units checked), and an offset's row is read
    from ``row_rank`` (one word per 32 units: the rows started before it and a bit per row start in it)
    rather than by a binary search over the row starts. UTF-16 keeps the array at two bytes a character; a
    character outside the BMP is a surrogate pair, which matches only the same pair, so substring search on
    units is substring search on characters.

    On disk per character: 2 bytes of text, 4 of positions (as before), 0.25 of row ranks; the bigram table
    is 12 bytes per distinct bigram (a few hundred thousand: a few MB). At 10,000 reports: 42 million units,
    84 MB of text, 168 MB of positions, 10.5 MB of row ranks."""

    units: np.ndarray  # uint16: every passage's folded text, NUL between passages
    starts: np.ndarray  # int64, row -> offset of its first unit
    positions: np.ndarray  # int32 (int64 past 2**31 units): offsets, sorted by unit, next unit, then offset
    unit_start: np.ndarray  # int64, unit -> its first entry in positions (65,537 entries)
    unit_frequency: np.ndarray  # int64, unit -> occurrences
    bigram_key: np.ndarray  # uint32, ascending: each distinct (unit << 16 | next unit); the last unit's next is 0
    bigram_start: np.ndarray  # int64, bigram number -> its first entry in positions (one more entry: the end)
    row_rank: np.ndarray  # uint64 per 32 units: rows started before the word << 32 | a bit per row start in it
    frequent_key: np.ndarray  # uint32, ascending: the frequent bigrams (a subset of bigram_key)
    frequent_start: np.ndarray  # int64, frequent bigram number -> its first entry in frequent_rows (and the end)
    frequent_rows: np.ndarray  # int32: each frequent bigram's rows, ascending
    frequent_counts: np.ndarray  # uint16 (uint32 if a row holds more): its starts in each of those rows
    corpus_version: np.ndarray  # [CORPUS_VERSION]
    rows: int

    def __init__(self, folded: list[str]) -> None:
        joined = _SEPARATOR.join(folded)
        self.units = np.frombuffer(joined.encode("utf-16-le"), dtype=np.uint16)
        if len(self.units) == len(joined):  # the usual case: no character outside the BMP
            lengths = np.fromiter(map(len, folded), dtype=np.int64, count=len(folded))
        else:
            lengths = np.fromiter((len(t.encode("utf-16-le")) // 2 for t in folded), dtype=np.int64, count=len(folded))
        self.starts = np.zeros(len(folded), dtype=np.int64)
        if len(folded) > 1:
            self.starts[1:] = np.cumsum(lengths + 1)[:-1]
        for name, array in corpus_arrays(self.units, self.starts).items():
            setattr(self, name, array)
        self.rows = len(folded)
        self._bytes = memoryview(self.units).cast("B") if len(self.units) else memoryview(b"")

    @classmethod
    def of_arrays(cls, arrays: dict[str, np.ndarray]) -> CorpusText:
        """The corpus from its arrays as :func:`write_arrays` saved them (memory-mapped by :func:`load_arrays`)."""
        corpus = cls.__new__(cls)
        for name in _CORPUS_ARRAYS:
            setattr(corpus, name, arrays[name])
        for name, array in {**_NO_FREQUENT, **{n: arrays[n] for n in _FREQUENT_ARRAYS if n in arrays}}.items():
            setattr(corpus, name, array)
        corpus.rows = len(corpus.starts)
        corpus._bytes = memoryview(corpus.units).cast("B") if len(corpus.units) else memoryview(b"")
        return corpus

    def text(self, row: int) -> str:
        """The folded text of one passage, decoded from the units array (nothing else is read)."""
        start = int(self.starts[row])
        end = int(self.starts[row + 1]) - 1 if row + 1 < self.rows else len(self.units)
        return str(self._bytes[2 * start : 2 * end], "utf-16-le")

    def _bigram_runs(self, lit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each bigram of ``lit`` (at offsets 0..len-2): its first entry in positions and its entries."""
        keys = (lit[:-1].astype(np.uint32) << 16) | lit[1:]
        at = np.searchsorted(self.bigram_key, keys)
        found = at < len(self.bigram_key)
        found[found] = self.bigram_key[at[found]] == keys[found]
        first = np.where(found, self.bigram_start[np.minimum(at, len(self.bigram_key) - 1)], 0)
        size = np.where(found, self.bigram_start[np.minimum(at + 1, len(self.bigram_key))] - first, 0)
        return first, size

    def _anchor(self, literal: str) -> tuple[np.ndarray, np.ndarray, int] | None:
        """Where the starts of ``literal`` are looked for: its units, the entries of positions to check (those
        of its rarest bigram, or of its one unit) and the bigram's offset in it (the other units are checked);
        None when nothing can hold it."""
        lit = np.frombuffer(literal.encode("utf-16-le"), dtype=np.uint16)
        if len(lit) == 0 or len(self.units) == 0:
            return None
        if len(lit) == 1:
            unit = int(lit[0])
            return lit, self.positions[self.unit_start[unit] : self.unit_start[unit + 1]], 0
        first, size = self._bigram_runs(lit)
        anchor = int(np.argmin(size))
        entries = self.positions[first[anchor] : first[anchor] + size[anchor]]
        return lit, entries, anchor

    def rows_of(self, offsets: np.ndarray) -> np.ndarray:
        """The row of each offset (int64), read from ``row_rank`` (:func:`rows_at`)."""
        return rows_at(self.row_rank, offsets)

    def frequent(self, literal: str) -> tuple[np.ndarray, np.ndarray] | None:
        """:meth:`row_counts` of a frequent bigram as stored (:func:`frequent_rows`); None for any other
        literal."""
        lit = literal.encode("utf-16-le")
        if len(lit) != 4 or not len(self.frequent_key):
            return None
        key = int.from_bytes(lit[0:2], "little") << 16 | int.from_bytes(lit[2:4], "little")
        at = int(np.searchsorted(self.frequent_key, key))
        if at == len(self.frequent_key) or int(self.frequent_key[at]) != key:
            return None
        a, b = int(self.frequent_start[at]), int(self.frequent_start[at + 1])
        return self.frequent_rows[a:b].astype(np.int64), self.frequent_counts[a:b].astype(np.int64)

    def row_counts(self, literal: str) -> tuple[np.ndarray, np.ndarray]:
        """The rows holding a start of ``literal`` (ascending) and the starts in each (overlapping ones
        included: see :func:`search.counting.self_overlaps`): the runs of equal rows among the checked starts
        (``search/_count.c``), in two halves at once from :data:`SPLIT_FROM` entries; a frequent bigram's are read
        as stored (:meth:`frequent`)."""
        stored = self.frequent(literal)
        if stored is not None:
            return stored
        found = self._anchor(literal)
        if found is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        lit, entries, anchor = found
        rows, per_row = np.empty(len(entries), dtype=np.int64), np.empty(len(entries), dtype=np.int64)
        if len(entries) < SPLIT_FROM or threads_take_turns():
            n = literal_runs(self.units, entries, self.row_rank, lit, anchor, rows, per_row)
        else:  # the later half of the entries on the other core: the reads of the text and ranks wait on memory
            half = len(entries) // 2
            rows_b, per_row_b = np.empty((2, len(entries) - half), dtype=np.int64)
            args = (self.units, entries[half:], self.row_rank, lit, anchor, rows_b, per_row_b)
            later = _counting().submit(literal_runs, *args)
            n = literal_runs(self.units, entries[:half], self.row_rank, lit, anchor, rows, per_row)
            m, b = later.result(), 0
            if n and m and rows[n - 1] == rows_b[0]:  # a row whose starts the two halves share
                per_row[n - 1] += per_row_b[0]
                b = 1
            rows[n : n + m - b], per_row[n : n + m - b] = rows_b[b:m], per_row_b[b:m]
            n += m - b
        rows, per_row = rows[:n], per_row[:n]
        if len(lit) == 1 and n:  # one unit: entries in bigram order, rows not ascending
            total = np.bincount(rows, weights=per_row, minlength=self.rows).astype(np.int64)
            rows = np.flatnonzero(total)
            return rows, total[rows]
        return rows, per_row

    def counts(self, literal: str) -> np.ndarray:
        """Starts of ``literal`` per row (overlapping ones included: see :func:`search.counting.self_overlaps`)."""
        held, per_row = self.row_counts(literal)
        out = np.zeros(self.rows, dtype=np.int64)
        out[held] = per_row
        return out


@dataclass
class RowTable:
    """Per-row and per-report attributes of one snapshot as numpy arrays, built once per generation."""

    report: np.ndarray  # row -> report index
    year: np.ndarray  # row -> year (0: unknown)
    section: np.ndarray  # row -> index in SECTIONS
    chars: np.ndarray  # row -> characters of the passage as published
    report_year: np.ndarray  # report index -> year (0: unknown)
    report_doc_type: np.ndarray  # report index -> index in DOC_TYPES
    report_section_chars: np.ndarray  # (report index, section index) -> characters
    report_has_section: np.ndarray  # (report index, section index) -> any passage there
    report_region: np.ndarray  # report index -> index in distinct_regions(reports): sorts as region.names()
    report_title_rank: np.ndarray  # report index -> rank of its title among the titles (equal titles share one)
    report_issuer_level: np.ndarray  # report index -> index in ISSUER_LEVELS
    report_publish_rank: np.ndarray  # report index -> rank of its publish date among the dates, from 1 (0: none)

    @classmethod
    def of(cls, reports: list[Report], passages: Sequence[Passage], report_rows: list[int]) -> RowTable:
        """The table of a generation: its reports in index order, its passages (rows) and each row's report."""
        report = np.asarray(report_rows, dtype=np.int64)
        section_index = {s: i for i, s in enumerate(SECTIONS)}
        section = np.fromiter((section_index[p.section] for p in passages), dtype=np.int64)
        chars = np.fromiter((len(p.text) for p in passages), dtype=np.int64)
        report_year = np.fromiter((r.year or 0 for r in reports), dtype=np.int64, count=len(reports))
        doc_index = {d: i for i, d in enumerate(DOC_TYPES)}
        report_doc_type = np.fromiter((doc_index[r.doc_type] for r in reports), dtype=np.int64, count=len(reports))
        cells = report * len(SECTIONS) + section
        size = len(reports) * len(SECTIONS)
        section_chars = np.bincount(cells, weights=chars, minlength=size).astype(np.int64)
        has = np.bincount(cells, minlength=size) > 0
        region_number = {region_identity(r): n for n, r in enumerate(distinct_regions(reports))}
        titles = sorted({r.title for r in reports})
        title_rank = {t: n for n, t in enumerate(titles)}
        issuer_index = {level: i for i, level in enumerate(ISSUER_LEVELS)}
        dates = sorted({r.publish_date for r in reports if r.publish_date})
        date_rank = {d: n for n, d in enumerate(dates, start=1)}  # ISO dates: their order is their strings' order
        return cls(
            report=report,
            year=report_year[report] if len(report) else np.zeros(0, dtype=np.int64),
            section=section,
            chars=chars,
            report_year=report_year,
            report_doc_type=report_doc_type,
            report_section_chars=section_chars.reshape(len(reports), len(SECTIONS)),
            report_has_section=has.reshape(len(reports), len(SECTIONS)),
            report_region=np.fromiter(
                (region_number[region_identity(r.region)] for r in reports), dtype=np.int64, count=len(reports)
            ),
            report_title_rank=np.fromiter((title_rank[r.title] for r in reports), dtype=np.int64, count=len(reports)),
            report_issuer_level=np.fromiter(
                (issuer_index[r.issuer_level] for r in reports), dtype=np.int64, count=len(reports)
            ),
            report_publish_rank=np.fromiter(
                (date_rank.get(r.publish_date or "", 0) for r in reports), dtype=np.int64, count=len(reports)
            ),
        )


def region_identity(region: Region) -> tuple:
    """What tells two reports' regions apart in a generation's region table: the names and the codes (regions
    compare by names alone, but a region's code belongs to the report's year)."""
    return (region.province, region.prefecture, region.county, region.code, region.division_id)


def distinct_regions(reports: Sequence[Report]) -> list[Region]:
    """The distinct regions of a generation's reports, in the order of their names (then codes): the table
    ``RowTable.report_region`` numbers, so that sorting by that number sorts by ``region.names()``."""
    return distinct_of([r.region for r in reports])


def distinct_of(regions: Sequence[Region]) -> list[Region]:
    """The distinct regions of a list of regions, ordered as :func:`distinct_regions` orders them."""
    by_identity = {region_identity(r): r for r in regions}
    return [by_identity[k] for k in sorted(by_identity, key=lambda k: (_names_key(k), tuple(x or "" for x in k[3:])))]


def _names_key(identity: tuple) -> list[str]:
    return [n for n in identity[:3] if n]


class MappedFolded(Sequence[str]):
    """Each passage's folded text, decoded from the corpus array when asked for: verification reads the
    few candidates it checks, and a worker holds no second copy of the text (``snap.folded``)."""

    def __init__(self, corpus: CorpusText) -> None:
        self._corpus = corpus

    def __len__(self) -> int:
        return self._corpus.rows

    def __getitem__(self, row):  # type: ignore[override]
        if not isinstance(row, (int, np.integer)):
            raise TypeError("folded texts are read one row at a time")
        row = int(row)
        if row < 0:
            row += self._corpus.rows
        if not 0 <= row < self._corpus.rows:
            raise IndexError(row)
        return self._corpus.text(row)

    def __iter__(self) -> Iterator[str]:
        return (self._corpus.text(r) for r in range(self._corpus.rows))


@dataclass
class GenerationArrays:
    """A generation's counting arrays and store, as one index folder holds them."""

    corpus: CorpusText
    table: RowTable
    store: Store
    raw: dict[str, np.ndarray]  # every array of the folder by name, as mapped
    folder: Path | None = None  # where they were read from (the generation's other files are named alike)


def arrays_folder(index_dir: Path, name: object) -> Path:
    """The folder of the counting arrays named ``name`` (a generation's number or token) in ``index_dir``."""
    return Path(index_dir) / f"{ARRAYS_PREFIX}{name}"


def generation_rows(folder: Path) -> int:
    """How many passages the generation whose arrays are in ``folder`` holds (one array's header is read)."""
    return len(np.load(Path(folder) / "starts.npy", mmap_mode="r"))


def fold_passages(reports: Iterable[Report]) -> dict[str, str]:
    """Each passage's folded text (:func:`search.analysis.fold`) by id: what :func:`write_arrays` counts in, and
    what the engines' own documents are made from."""
    return {p.passage_id: fold(p.text) for r in reports for p in r.passages}


def generation_order(reports: Sequence[Report]) -> list[Report]:
    """A generation's reports in row order, as every engine reads them back: by source, passages by number."""
    return sorted(reports, key=lambda r: r.source)


def write_arrays(
    folder: Path,
    reports: Sequence[Report],
    folded: dict[str, str],
    *,
    previous: GenerationArrays | None = None,
    keep: Sequence[int] = (),
) -> None:
    r"""Write the counting arrays and the store of a generation (``reports`` in row order, ``folded`` text by
    passage id) into ``folder``, whole or not at all: written beside it, flushed to disk, then renamed into
    place. The engine's writer calls this before its commit, which then names the folder: a reader never
    opens a generation whose arrays are not complete.

    An update gives the ``previous`` generation's arrays and the indexes of the reports it ``keep``\ s: the
    generation is then those and ``reports``, in source order, the kept ones copied from the previous arrays
    (see :func:`merged_arrays`), and ``meta.json`` names the previous folder (``before``), whose rows the
    kept ones were (``row_before``)."""
    arrays = generation_arrays(generation_order(reports), folded)
    meta = None
    if previous is not None:
        arrays = merged_arrays(previous, np.asarray(keep, dtype=np.int64), arrays)
        if previous.folder is not None:  # what ``row_before`` numbers (read by search.reuse_build)
            meta = {"before": previous.folder.name, "rows_before": previous.corpus.rows}
    save_arrays(folder, arrays, meta)


def generation_arrays(reports: Sequence[Report], folded: dict[str, str]) -> dict[str, np.ndarray]:
    """Every array of a generation (``reports`` in row order, ``folded`` text by passage id), by name."""
    passages = [p for r in reports for p in r.passages]
    report_rows = [i for i, r in enumerate(reports) for _ in r.passages]
    corpus = CorpusText([folded[p.passage_id] for p in passages])
    table = RowTable.of(list(reports), passages, report_rows)
    out = {
        **{n: getattr(corpus, n) for n in (*_CORPUS_ARRAYS, *_FREQUENT_ARRAYS)},
        **{f.name: getattr(table, f.name) for f in fields(table)},
        **store_arrays(reports, distinct_regions(reports)),
    }
    out.update(text_against_folded(out["text_units"], out["text_offsets"], corpus.units, corpus.starts))
    return out


def corpus_arrays(
    units: np.ndarray, starts: np.ndarray, sorted_by_bigram: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """Every array of :class:`CorpusText` but the text and the row starts, worked out from them; the positions
    sorted by bigram with their keys and starts when given (:func:`merged_positions`)."""
    unit_frequency = unit_counts(units)
    unit_start = np.zeros(65537, dtype=np.int64)
    np.cumsum(unit_frequency, out=unit_start[1:])
    if sorted_by_bigram is None:
        positions = unit_positions(units, unit_start)
        bigram_key, bigram_start = sort_by_bigram(units, positions, unit_start)
    else:
        positions, bigram_key, bigram_start = sorted_by_bigram
    rank = row_rank(starts, len(units))
    return {
        "positions": positions,
        "unit_start": unit_start,
        "unit_frequency": unit_frequency,
        "bigram_key": bigram_key,
        "bigram_start": bigram_start,
        "row_rank": rank,
        **frequent_rows(positions, bigram_key, bigram_start, rank, len(units)),
        "corpus_version": np.array([CORPUS_VERSION], dtype=np.int64),
    }


def unit_counts(units: np.ndarray, chunk: int = 1 << 22) -> np.ndarray:
    """How many times each UTF-16 unit stands in ``units`` (int64, 65,536 counts), a chunk at a time: numpy's
    ``bincount`` makes an int64 copy of its input first (3.2 GB for the 400 million units of 100,000 reports).

    >>> unit_counts(np.array([0, 3, 3], dtype=np.uint16), chunk=2)[:4].tolist()
    [1, 0, 0, 2]
    """
    counts = np.zeros(65536, dtype=np.int64)
    for lo in range(0, len(units), chunk):
        counts += np.bincount(units[lo : lo + chunk], minlength=65536)
    return counts


def rows_at(rank: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The row of each offset (int64), read from a :func:`row_rank` table: the rows started before the
    offset's word plus those started in it up to the offset, minus one. No binary search: a few passes of
    numpy over the offsets, each reading one word of a table an eighth of the text's size.

    >>> rows_at(row_rank(np.array([0, 3, 40]), 70), np.array([0, 2, 3, 39, 40, 69])).tolist()
    [0, 0, 1, 1, 2, 2]
    """
    packed = rank[offsets >> 5]
    shift = offsets & 31
    shift ^= 63  # 63 - (offset & 31): shifted up by that, the word keeps its bits 0..offset & 31 alone
    low = packed << shift.astype(np.uint64)
    packed >>= 32
    packed += np.bitwise_count(low)
    packed -= 1
    return packed.view(np.int64)


def row_runs(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each run of equal values in ``rows`` (the rows of ascending starts) as the row and its length.

    >>> [a.tolist() for a in row_runs(np.array([3, 3, 5, 7, 7, 7]))]
    [[3, 5, 7], [2, 1, 3]]
    """
    first = np.flatnonzero(np.concatenate(([True], rows[1:] != rows[:-1])))
    return rows[first], np.diff(first, append=len(rows))


_NO_FREQUENT = {
    "frequent_key": np.zeros(0, dtype=np.uint32),
    "frequent_start": np.zeros(1, dtype=np.int64),
    "frequent_rows": np.zeros(0, dtype=np.int32),
    "frequent_counts": np.zeros(0, dtype=np.uint16),
}


def frequent_rows(
    positions: np.ndarray,
    bigram_key: np.ndarray,
    bigram_start: np.ndarray,
    rank: np.ndarray,
    n_units: int,
    floor: int | None = None,
) -> dict[str, np.ndarray]:
    """The frequent bigrams (:data:`FREQUENT_SHARE`, at least ``floor`` entries, :data:`FREQUENT_FLOOR` by
    default; none holding the separator) with the rows holding each and its starts in each row: what
    :meth:`CorpusText.row_counts` would work out from their positions, stored once per generation.

    >>> units = np.frombuffer("法治法治|治法".replace("|", chr(0)).encode("utf-16-le"), dtype=np.uint16)
    >>> a = corpus_arrays(units, np.array([0, 5]))
    >>> f = frequent_rows(a["positions"], a["bigram_key"], a["bigram_start"], a["row_rank"], len(units), floor=2)
    >>> [chr(k >> 16) + chr(k & 0xFFFF) for k in f["frequent_key"].tolist()], f["frequent_start"].tolist()
    (['治法', '法治'], [0, 2, 3])
    >>> f["frequent_rows"].tolist(), f["frequent_counts"].tolist()
    ([0, 1, 0], [1, 1, 2])
    """
    sizes = np.diff(bigram_start)
    unit, following = bigram_key >> 16, bigram_key & 0xFFFF
    least = max(FREQUENT_FLOOR if floor is None else floor, n_units // FREQUENT_SHARE)
    chosen = (sizes >= least) & (unit != 0) & (following != 0)
    keys = bigram_key[chosen]
    rows, counts, size = [], [], [0]
    for k in np.flatnonzero(chosen).tolist():
        held, per_row = row_runs(rows_at(rank, positions[bigram_start[k] : bigram_start[k + 1]].astype(np.int64)))
        rows.append(held.astype(np.int32))
        counts.append(per_row)
        size.append(len(held))
    if not rows:
        return dict(_NO_FREQUENT)
    per_row = np.concatenate(counts)
    return {
        "frequent_key": keys.astype(np.uint32),
        "frequent_start": np.cumsum(size, dtype=np.int64),
        "frequent_rows": np.concatenate(rows),
        "frequent_counts": per_row.astype(np.uint16 if int(per_row.max()) < 1 << 16 else np.uint32),
    }


def row_rank(starts: np.ndarray, n_units: int) -> np.ndarray:
    """One word per 32 units of a corpus of ``n_units`` whose rows start at ``starts`` (ascending): the rows
    started before the word in the high 32 bits, a bit per row starting in it in the low 32 (bit j: unit
    32 * word + j). Offset p's row is then ``(w >> 32) + popcount(w & (2 << (p & 31)) - 1) - 1`` with
    ``w = row_rank[p >> 5]`` (:meth:`CorpusText.rows_of`).

    >>> [hex(int(w)) for w in row_rank(np.array([0, 3, 40]), 70)]
    ['0x9', '0x200000100', '0x300000000']
    """
    words = n_units // _RANK_BITS + 1
    word = starts >> 5
    bits = np.bincount(word, weights=np.ldexp(1.0, starts & 31), minlength=words)  # distinct powers of 2: exact
    before = np.zeros(words, dtype=np.uint64)
    np.cumsum(np.bincount(word, minlength=words)[:-1], out=before[1:])
    return (before << np.uint64(32)) | bits.astype(np.uint64)


def next_units(units: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The unit after each offset (uint16; 0 after the corpus's last unit): the second half of its bigram.

    >>> next_units(np.array([5, 6, 7], dtype=np.uint16), np.array([0, 2])).tolist()
    [6, 0]
    """
    offsets = np.asarray(offsets, dtype=np.int64)
    following = units[np.minimum(offsets + 1, len(units) - 1)] if len(units) else np.zeros(0, dtype=np.uint16)
    following[offsets + 1 >= len(units)] = 0
    return following


def key_runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of sorted ``keys`` and how many times each stands (int64).

    >>> [x.tolist() for x in key_runs(np.array([3, 3, 5]))]
    [[3, 5], [2, 1]]
    """
    first = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1]))) if len(keys) else np.zeros(0, np.int64)
    return keys[first], np.diff(np.append(first, len(keys))).astype(np.int64)


def sort_by_bigram(
    units: np.ndarray, positions: np.ndarray, unit_start: np.ndarray, block: int = 1 << 21
) -> tuple[np.ndarray, np.ndarray]:
    """Sort ``positions`` (sorted by unit, then offset) in place by unit, then the next unit (0 after the
    last unit), then offset; return the distinct bigrams (``unit << 16 | next``, ascending) and the first
    entry of each (one more: the end). Blocks of whole units' runs, about ``block`` entries, are sorted
    at a time, each by two stable radix sorts on 16-bit values."""
    keys, sizes = [], []
    present = np.flatnonzero(np.diff(unit_start))
    a = 0
    while a < len(present):
        lo = int(unit_start[present[a]])
        b = a + 1  # whole units up to about `block` entries (a bigger unit alone)
        while b < len(present) and int(unit_start[present[b] + 1]) - lo <= block:
            b += 1
        hi = int(unit_start[present[b - 1] + 1])
        pos = positions[lo:hi]
        nxt = next_units(units, pos)
        unit = np.repeat(present[a:b].astype(np.uint16), np.diff(unit_start[present[a:b]], append=hi))
        order = np.argsort(nxt, kind="stable")
        order = order[np.argsort(unit[order], kind="stable")]
        positions[lo:hi] = pos[order]
        distinct, size = key_runs((unit[order].astype(np.uint32) << 16) | nxt[order])
        keys.append(distinct)
        sizes.append(size)
        a = b
    bigram_key = np.concatenate(keys) if keys else np.zeros(0, dtype=np.uint32)
    bigram_start = np.zeros(len(bigram_key) + 1, dtype=np.int64)
    if sizes:
        np.cumsum(np.concatenate(sizes), out=bigram_start[1:])
    return bigram_key, bigram_start


def unit_positions(units: np.ndarray, unit_start: np.ndarray, chunk: int = 1 << 21) -> np.ndarray:
    """Every unit's offset, sorted by unit then offset (``CorpusText.positions``), in int32 while the corpus
    is under 2**31 units: a chunk at a time sorted (numpy's stable sort of 16-bit values is a radix sort) and
    each unit's run of it copied where that unit's entries go next, so no int64 array is bigger than a chunk."""
    index_type = np.int32 if len(units) < 2**31 else np.int64
    positions = np.empty(len(units), dtype=index_type)
    fill = unit_start[:-1].copy()  # unit -> its next free entry
    for a in range(0, len(units), chunk):
        part = units[a : a + chunk]
        order = np.argsort(part, kind="stable")
        order += a
        counts = np.bincount(part, minlength=65536)
        present = np.flatnonzero(counts)
        first = np.cumsum(counts) - counts  # unit -> its first entry in this chunk's order
        dest = np.repeat(fill[present] - first[present], counts[present])
        dest += np.arange(len(part))
        positions[dest] = order
        fill += counts
    return positions


def _first_not_less(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, x: np.ndarray) -> np.ndarray:
    """For each query, the first index in ``[lo, hi)`` whose value is not less than ``x`` (``values`` ascending
    in each range): a binary search of every query at once.

    >>> values, lo, hi = np.array([1, 5, 9, 2, 4]), np.array([0, 0, 3, 3]), np.array([3, 3, 5, 5])
    >>> _first_not_less(values, lo, hi, np.array([5, 10, 3, 1])).tolist()
    [1, 3, 4, 3]
    """
    lo, hi = lo.astype(np.int64), hi.astype(np.int64)
    while True:
        active = lo < hi
        if not active.any():
            return lo
        mid = (lo + hi) >> 1
        right = active & (values[np.minimum(mid, len(values) - 1)] < x)
        lo = np.where(right, mid + 1, lo)
        hi = np.where(active & ~right, mid, hi)


_BLOCK_BITS = 12  # offsets per block of _moved's table: 2**12


def _moved(positions: np.ndarray, lo: np.ndarray, hi: np.ndarray, shift: np.ndarray, size: int, out: np.ndarray) -> int:
    """Positions (offsets under ``size``) inside the intervals ``[lo, hi)`` (ascending, disjoint) moved by their
    interval's shift, written into ``out`` in order; returns how many. A table per block of 4,096 offsets (small
    enough to stay in the processor's cache) says whether the block lies in one interval (its shift), in none,
    or across an edge: only offsets in the few blocks across an edge are searched among the intervals
    (``search/_count.c``: one pass)."""
    if not len(lo):
        return 0
    first = np.arange((size >> _BLOCK_BITS) + 1, dtype=np.int64) << _BLOCK_BITS
    which = np.searchsorted(lo, first, "right") - 1
    inside = (which >= 0) & (first + (1 << _BLOCK_BITS) <= hi[np.maximum(which, 0)])
    after = np.searchsorted(lo, first, "left")  # the first interval starting at or after the block
    clear = ((which < 0) | (hi[np.maximum(which, 0)] <= first)) & (
        (after >= len(lo)) | (lo[np.minimum(after, len(lo) - 1)] >= first + (1 << _BLOCK_BITS))
    )
    state = np.where(inside, 1, np.where(clear, 0, 2)).astype(np.int8)  # 1: in one interval, 0: in none, 2: across
    block_shift = np.where(inside, shift[np.maximum(which, 0)], 0).astype(np.int64)
    as_int64 = [np.ascontiguousarray(x, dtype=np.int64) for x in (lo, hi, shift)]
    nothing = np.zeros(0, dtype=np.uint8)  # (which positions were kept: not recorded)
    return moved(np.ascontiguousarray(positions), state, block_shift, *as_int64, _BLOCK_BITS, out, nothing)


def merged_positions(parts: _Parts, units: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The positions sorted by bigram (with the bigrams' keys and starts) of the corpus ``units`` put together
    from two generations' rows (``parts``; rows starting at ``starts``), without sorting it again: each kept
    passage's text is the same, so its units keep their bigrams (the last one's is the separator in both) and
    move by their run's shift, in the same order. The separators' bigrams (unit 0 first) come first and are
    made afresh (each depends on the passage after it); the previous generation's other positions are moved
    into the final array once, and the new part's (few, already in order) are put in among them by binary
    search, in place. The same arrays as :func:`unit_positions` and :func:`sort_by_bigram` give."""
    n = len(units)
    intervals: tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]] = ([], [])
    row = 0
    for p, lo, hi in parts.runs:
        a, b = parts.rows(p, lo, hi)
        if a == b:
            continue
        own = parts.parts[p]["starts"]
        end = int(own[b]) - 1 if b < len(own) else len(parts.parts[p]["units"])
        intervals[p].append((int(own[a]), end, int(starts[row]) - int(own[a])))
        row += b - a
    index_type = np.int32 if n < 2**31 else np.int64
    spans = [np.asarray(intervals[p], dtype=np.int64).reshape(-1, 3) for p in (0, 1)]
    old, new = parts.parts
    z_old, z_new = (int(np.searchsorted(part["bigram_key"], 1 << 16)) for part in parts.parts)

    # The new part's positions (every new report is kept), moved: in order of bigram, then offset.
    new_base = new["positions"][int(new["bigram_start"][z_new]) :]
    add_at = np.empty(len(new_base), dtype=index_type)
    written = _moved(new_base, spans[1][:, 0], spans[1][:, 1], spans[1][:, 2], len(new["units"]), add_at)
    assert written == len(add_at), (written, len(add_at))
    new_sizes = np.diff(new["bigram_start"][z_new:])
    add_keys = np.repeat(new["bigram_key"][z_new:], new_sizes)

    # The separators, by the unit after each, then offset.
    separators = starts[1:] - 1  # (one before each row but the first)
    following = next_units(units, separators)
    by_next = np.argsort(following, kind="stable")  # (uint16: a radix sort)
    sep_keys, sep_sizes = key_runs(following[by_next])

    # The previous generation's other positions: those of reports gone or changed (outside every interval of
    # the previous part) are dropped; their bigrams are read off the previous text.
    old_units = old["units"]
    keys = old["bigram_key"][z_old:]
    segment = old["bigram_start"][z_old:] - old["bigram_start"][z_old]
    edges = np.concatenate([[0], spans[0][:, :2].reshape(-1), [len(old_units)]]).reshape(-1, 2)
    gap = ranges(edges[:, 1] - edges[:, 0]) + np.repeat(edges[:, 0], edges[:, 1] - edges[:, 0])
    gap = gap[old_units[gap] != 0]
    gap_keys = (old_units[gap].astype(np.uint32) << 16) | next_units(old_units, gap)
    lost = np.bincount(np.searchsorted(keys, gap_keys), minlength=len(keys)).astype(np.int64)
    kept_sizes = np.diff(segment) - lost
    old_base = old["positions"][int(old["bigram_start"][z_old]) :]
    total_kept = len(old_base) - len(gap)
    positions = np.empty(len(separators) + len(add_at) + total_kept, dtype=index_type)
    positions[: len(separators)] = separators[by_next]
    tail = positions[len(separators) + len(add_at) :]
    written = _moved(old_base, spans[0][:, 0], spans[0][:, 1], spans[0][:, 2], len(old_units), tail)
    assert written == total_kept, (written, total_kept)

    # The new part's positions put in among them, where their bigram's run holds the next larger offset.
    base_start = np.concatenate([[0], np.cumsum(kept_sizes)])
    j = np.searchsorted(keys, add_keys)
    held = np.zeros(len(add_keys), dtype=bool)  # the bigram is the previous part's too
    if len(keys):
        held = (j < len(keys)) & (keys[np.minimum(j, len(keys) - 1)] == add_keys)
    lo = base_start[j]
    hi = np.where(held, base_start[np.minimum(j + 1, len(base_start) - 1)], lo)
    at = _first_not_less(tail, lo, hi, add_at)
    inserted(tail, at.astype(np.int64), add_at, positions[len(separators) :])

    # The bigrams: the separators', then the previous part's that kept entries and the new part's.
    all_keys = np.concatenate([keys, new["bigram_key"][z_new:]])
    bigrams, where = np.unique(all_keys, return_inverse=True)
    sizes = np.bincount(where.reshape(-1), weights=np.concatenate([kept_sizes, new_sizes]))
    present = sizes > 0
    all_sizes = np.concatenate([sep_sizes, sizes[present].astype(np.int64)])
    bigram_start = np.zeros(len(all_sizes) + 1, dtype=np.int64)
    np.cumsum(all_sizes, out=bigram_start[1:])
    return positions, np.concatenate([sep_keys.astype(np.uint32), bigrams[present].astype(np.uint32)]), bigram_start


def _runs(old_sources: list[str], keep: np.ndarray, new_sources: list[str]) -> list[tuple[int, int, int]]:
    """The final generation's reports as runs ``(part, lo, hi)`` of consecutive reports of one part (0: the
    previous generation, at its indexes; 1: the new reports), in source order."""
    merged = heapq.merge(((old_sources[i], 0, int(i)) for i in keep), ((s, 1, j) for j, s in enumerate(new_sources)))
    runs: list[list[int]] = []
    for _, part, i in merged:
        if runs and runs[-1][0] == part and runs[-1][2] == i:
            runs[-1][2] = i + 1
        else:
            runs.append([part, i, i + 1])
    return [(p, lo, hi) for p, lo, hi in runs]


class _Parts:
    """Slices of two generations' arrays put together run by run (see :func:`merged_arrays`)."""

    def __init__(self, parts: tuple[dict[str, np.ndarray], dict[str, np.ndarray]], runs) -> None:
        self.parts, self.runs = parts, runs

    def rows(self, part: int, lo: int, hi: int) -> tuple[int, int]:
        first = self.parts[part]["report_first_row"]
        return int(first[lo]), int(first[hi])

    def per_report(self, name: str) -> np.ndarray:
        return np.concatenate([self.parts[p][name][lo:hi] for p, lo, hi in self.runs])

    def per_row(self, name: str) -> np.ndarray:
        return np.concatenate([self.parts[p][name][slice(*self.rows(p, lo, hi))] for p, lo, hi in self.runs])

    def strings(self, units: str, offsets: str, by_row: bool) -> tuple[np.ndarray, np.ndarray]:
        """Variable-length values (units and offsets), one per row or per report."""
        pieces, lengths = [], []
        for p, lo, hi in self.runs:
            a, b = self.rows(p, lo, hi) if by_row else (lo, hi)
            off = self.parts[p][offsets]
            pieces.append(self.parts[p][units][int(off[a]) : int(off[b])])
            lengths.append(np.diff(off[a : b + 1]))
        out = np.zeros(sum(len(x) for x in lengths) + 1, dtype=np.int64)
        np.cumsum(np.concatenate(lengths), out=out[1:])
        return np.concatenate(pieces), out

    def corpus_units(self) -> tuple[np.ndarray, np.ndarray]:
        """The folded text of the rows, NUL between passages, and each row's first unit."""
        pieces, lengths = [], []
        for p, lo, hi in self.runs:
            a, b = self.rows(p, lo, hi)
            if a == b:
                continue
            units, starts = self.parts[p]["units"], self.parts[p]["starts"]
            end = int(starts[b]) - 1 if b < len(starts) else len(units)
            pieces.append(units[int(starts[a]) : end])
            ends = np.append(starts[a + 1 : b] - 1, end)
            lengths.append(ends - starts[a:b])
        if not pieces:
            return np.zeros(0, dtype=np.uint16), np.zeros(0, dtype=np.int64)
        separator = np.zeros(1, dtype=np.uint16)
        joined = [x for piece in pieces for x in (separator, piece)][1:]
        length = np.concatenate(lengths)
        starts = np.zeros(len(length), dtype=np.int64)
        np.cumsum(length[:-1] + 1, out=starts[1:])
        return np.concatenate(joined), starts


def merged_arrays(previous: GenerationArrays, keep: np.ndarray, new: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The arrays of a generation made of the previous generation's reports at indexes ``keep`` (ascending)
    and the reports whose arrays are ``new`` (:func:`generation_arrays`), in source order: the kept reports'
    slices are copied from the previous arrays (no Python object per kept passage or report), and what
    depends on the whole generation (positions, orders, keys, region numbers, title ranks) is worked out again
    on arrays."""
    old = previous.raw
    old_sources = Strings(old["report_source_bytes"], old["report_source_offsets"])
    new_sources = Strings(new["report_source_bytes"], new["report_source_offsets"])
    runs = _runs([old_sources[i] for i in range(len(old_sources))], keep, list(new_sources))
    parts = _Parts((old, new), runs)
    out: dict[str, np.ndarray] = {"store_version": np.array([STORE_VERSION], dtype=np.int64)}

    # The corpus.
    units, starts = parts.corpus_units()
    out.update(units=units, starts=starts, **corpus_arrays(units, starts, merged_positions(parts, units, starts)))

    # Each row's row in the previous generation (-1: a row of a new report): text reuse carries those over.
    spans = [(p, *parts.rows(p, lo, hi)) for p, lo, hi in runs]
    out["row_before"] = np.concatenate(
        [np.arange(a, b) if p == 0 else np.full(b - a, -1) for p, a, b in spans] or [np.zeros(0)]
    ).astype(np.int64)

    # Per report, then per row.
    for name in ("report_year", "report_doc_type", "report_section_chars", "report_has_section", "report_issuer_level"):
        out[name] = parts.per_report(name)
    for name in ("report_meta", "report_id", "report_source", "report_title", "report_publish_date"):
        out[f"{name}_bytes"], out[f"{name}_offsets"] = parts.strings(f"{name}_bytes", f"{name}_offsets", False)
    sizes = np.concatenate([np.diff(parts.parts[p]["report_first_row"][lo : hi + 1]) for p, lo, hi in runs])
    first_row = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=first_row[1:])
    out["report_first_row"] = first_row
    out["report"] = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    out["year"] = out["report_year"][out["report"]]
    for name in ("section", "chars", "passage_number"):
        out[name] = parts.per_row(name)
    out["text_units"], out["text_offsets"] = parts.strings("text_units", "text_offsets", True)
    out["text_diff_at"], out["text_diff_offsets"] = parts.strings("text_diff_at", "text_diff_offsets", True)
    out["text_diff_unit"], _ = parts.strings("text_diff_unit", "text_diff_offsets", True)
    out["passage_id_bytes"], out["passage_id_offsets"] = parts.strings("passage_id_bytes", "passage_id_offsets", True)
    out["passage_id_order"] = sorted_order_of(out["passage_id_bytes"], out["passage_id_offsets"])
    out["report_id_order"] = sorted_order_of(out["report_id_bytes"], out["report_id_offsets"])

    # Headings: the distinct ones of the kept rows and the new, numbered afresh.
    number: dict[str, int] = {}
    remaps = []
    for part in (old, new):
        table = Strings(part["heading_bytes"], part["heading_offsets"])
        remaps.append(np.fromiter((number.setdefault(h, len(number)) for h in table), np.int32, len(table)))
    out["passage_heading"] = np.concatenate(
        [remaps[p][parts.parts[p]["passage_heading"][slice(*parts.rows(p, lo, hi))]] for p, lo, hi in runs]
    )
    used = np.unique(out["passage_heading"])
    renumber = np.full(len(number), -1, dtype=np.int32)
    renumber[used] = np.arange(len(used), dtype=np.int32)
    out["passage_heading"] = renumber[out["passage_heading"]]
    headings = list(number)
    out["heading_bytes"], out["heading_offsets"] = encode_strings([headings[int(i)] for i in used])

    # Passage keys: each part's keys by row, put together and sorted again.
    keys_by_row = []
    for part in (old, new):
        by_row = np.empty(len(part["passage_key_row"]), dtype=np.uint64)
        by_row[part["passage_key_row"]] = part["passage_key_sorted"]
        keys_by_row.append(by_row)
    keys = np.concatenate([keys_by_row[p][slice(*parts.rows(p, lo, hi))] for p, lo, hi in runs])
    order = np.argsort(keys, kind="stable")
    out["passage_key_sorted"], out["passage_key_row"] = keys[order], order.astype(np.int64)

    # Regions: the distinct ones of the generation's reports, numbered in the order of their names.
    region_lists = [regions_of(old["regions_json"]), regions_of(new["regions_json"])]
    numbers = [parts.parts[p]["report_region"][lo:hi] for p, lo, hi in runs]
    used_regions = {}
    for (p, _, _), n in zip(runs, numbers, strict=True):
        for k in np.unique(n).tolist():
            region = region_lists[p][k]
            used_regions.setdefault(region_identity(region), region)
    regions = distinct_of(list(used_regions.values()))
    at = {region_identity(r): i for i, r in enumerate(regions)}
    maps = [np.array([at.get(region_identity(r), -1) for r in rl], dtype=np.int64) for rl in region_lists]
    out["report_region"] = np.concatenate([maps[p][n] for (p, _, _), n in zip(runs, numbers, strict=True)])
    out["regions_json"] = region_json(regions)

    # Ranks over the generation's titles and publish dates (as RowTable.of ranks them).
    titles = list(Strings(out["report_title_bytes"], out["report_title_offsets"]))
    rank = {t: i for i, t in enumerate(sorted(set(titles)))}
    out["report_title_rank"] = np.fromiter((rank[t] for t in titles), np.int64, len(titles))
    dates = list(Strings(out["report_publish_date_bytes"], out["report_publish_date_offsets"]))
    rank = {d: n for n, d in enumerate(sorted(set(dates) - {""}), start=1)}
    out["report_publish_rank"] = np.fromiter((rank.get(d, 0) for d in dates), np.int64, len(dates))
    missing = new.keys() - out.keys()
    assert not missing, f"arrays an update does not yet know how to put together: {sorted(missing)}"
    return out


def save_arrays(folder: Path, arrays: dict[str, np.ndarray], meta: dict | None = None) -> None:
    """Save named arrays (and ``meta`` as ``meta.json``) into ``folder`` atomically (see :func:`write_arrays`)."""
    partial = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}.tmp")
    partial.mkdir(parents=True)
    try:
        for name, array in arrays.items():
            with open(partial / f"{name}.npy", "wb") as f:
                np.save(f, np.ascontiguousarray(array), allow_pickle=False)
                f.flush()
                os.fsync(f.fileno())
        if meta is not None:
            with open(partial / "meta.json", "w") as f:
                json.dump(meta, f)
                f.flush()
                os.fsync(f.fileno())
        shutil.rmtree(folder, ignore_errors=True)  # a killed writer's folder of the same name, never committed
        partial.rename(folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def _load(path: Path) -> np.ndarray:
    try:
        # A plain array over the mapping: indexing a np.memmap one element at a time (binary searches over
        # ids) costs a memmap object per access, several times an ndarray's.
        return np.asarray(np.load(path, mmap_mode="r", allow_pickle=False))
    except ValueError:  # an empty array: nothing to map
        return np.load(path, allow_pickle=False)


def load_arrays(folder: Path) -> GenerationArrays | None:
    """The arrays and store in ``folder``, memory-mapped read-only; None when the folder is not there (a
    generation replaced meanwhile, or an index written by an earlier version) or holds another version's."""
    try:
        arrays = {p.stem: _load(p) for p in folder.glob("*.npy")}
    except FileNotFoundError:
        return None
    wanted = {*_CORPUS_ARRAYS, *(f.name for f in fields(RowTable)), *STORE_ARRAYS}
    if not wanted <= arrays.keys() or int(arrays["store_version"][0]) != STORE_VERSION:
        return None
    if int(arrays["corpus_version"][0]) != CORPUS_VERSION:  # positions sorted, or tables laid out, otherwise
        return None
    table = RowTable(**{f.name: arrays[f.name] for f in fields(RowTable)})
    return GenerationArrays(
        CorpusText.of_arrays(arrays), table, Store(arrays, table.report, table.section), arrays, folder
    )


def stored_reports(arrays: GenerationArrays) -> dict[str, Report]:
    """Every report of a generation with its passages, read from its store (a Python object for each: the
    indexer's view of a whole index, never a server's)."""
    store = arrays.store
    return {store.report_ids[i]: store.report(i) for i in range(store.report_count)}


def report_records(arrays: GenerationArrays) -> dict[str, tuple[str, int]]:
    """Each report's metadata record (:meth:`Report.metadata_json`) and passage count, by report id, in index
    order: what an update needs of the reports it may keep."""
    store = arrays.store
    sizes = np.diff(store.report_first_row).tolist()
    return {store.report_ids[i]: (store.report_meta[i], sizes[i]) for i in range(store.report_count)}


def reports_by_id(arrays: GenerationArrays, report_ids: Iterable[str]) -> dict[str, Report]:
    """The reports of these ids that the generation holds, with their passages."""
    store, out = arrays.store, {}
    for rid in report_ids:
        index = store.report_index(rid)
        if index is not None:
            out[rid] = store.report(index)
    return out


class StoredReports:
    """What every engine offers the indexer from its latest generation's store (a Python object per report:
    never a server's view). An engine mixes it in and answers :meth:`_arrays` (None: an empty index)."""

    def _arrays(self) -> GenerationArrays | None:
        raise NotImplementedError

    def reports(self) -> dict[str, Report]:
        """Every report of the index with its passages."""
        arrays = self._arrays()
        return {} if arrays is None else stored_reports(arrays)

    def report_records(self) -> dict[str, tuple[str, int]]:
        """Each report's metadata record and passage count (see :func:`report_records`)."""
        arrays = self._arrays()
        return {} if arrays is None else report_records(arrays)

    def reports_by_id(self, report_ids: Iterable[str]) -> dict[str, Report]:
        """The reports of these ids, with their passages."""
        arrays = self._arrays()
        return {} if arrays is None else reports_by_id(arrays, report_ids)


def kept_indexes(arrays: GenerationArrays, gone: set[str]) -> np.ndarray:
    """The indexes of a generation's reports but those whose ids are in ``gone``, ascending."""
    ids = arrays.store.report_ids
    return np.fromiter((i for i in range(len(ids)) if ids[i] not in gone), dtype=np.int64)


def remove_arrays(index_dir: Path, keep: object) -> None:
    """Remove every folder of counting arrays (and of reuse arrays) in ``index_dir`` but generation ``keep``'s,
    and what killed writers left half-written. Called by a writer after its commit, holding the index's write lock."""
    for entry in Path(index_dir).iterdir():
        name = entry.name
        for prefix in (ARRAYS_PREFIX, REUSE_PREFIX):
            stale = name.startswith(prefix) and name != f"{prefix}{keep}"
            if stale or (name.startswith(f".{prefix}") and name.endswith(".tmp")):
                shutil.rmtree(entry, ignore_errors=True)
