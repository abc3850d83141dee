"""The arrays a generation is counted in (see :mod:`search.counting`): every passage's folded text as one
array (:class:`CorpusText`), and per-row and per-report attributes (:class:`RowTable`).

The indexer writes them into the index, beside the engine's files, as part of each generation
(:func:`write_arrays`, before the engine's commit, in a folder the commit names: :func:`arrays_folder`), and
a server maps them read-only (:func:`load_arrays`): every worker reads the same pages of the page cache, and
nothing is built when an index is loaded. An index without them (written by an earlier version) has them
built in memory from its passages, as before. They know nothing of engines or snapshots.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from search.models import DOC_TYPES, SECTIONS, Passage, Region, Report
from search.reuse import REUSE_PREFIX  # reuse folders go with their generation's arrays

ARRAYS_PREFIX = "arrays-"
"""Folders of counting arrays in an index folder are named ``arrays-NAME``, NAME given by the generation."""
_CORPUS_ARRAYS = ("units", "starts", "positions", "unit_start", "unit_frequency")

_SEPARATOR = "\x00"  # between passages in the corpus array: no literal holds it (control characters are refused)


class CorpusText:
    """Every passage's folded text in one array of UTF-16 code units, passages separated by NUL, with the
    first unit of each passage, and every unit's positions (sorted by unit, then position) to start a
    search from. UTF-16 keeps the array at two bytes a character; a character outside the BMP is a surrogate
    pair, which matches only the same pair, so substring search on units is substring search on characters.
    At 10,000 reports: 42 million units, 84 MB for the text and 168 MB for the positions."""

    units: np.ndarray  # uint16: every passage's folded text, NUL between passages
    starts: np.ndarray  # int64, row -> offset of its first unit
    positions: np.ndarray  # int32 (int64 past 2**31 units): offsets, sorted by unit then offset
    unit_start: np.ndarray  # int64, unit -> its first entry in positions (65,537 entries)
    unit_frequency: np.ndarray  # int64, unit -> occurrences
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
        self.unit_frequency = np.bincount(self.units, minlength=65536)
        self.unit_start = np.zeros(65537, dtype=np.int64)
        np.cumsum(self.unit_frequency, out=self.unit_start[1:])
        index_type = np.int32 if len(self.units) < 2**31 else np.int64
        self.positions = np.argsort(self.units, kind="stable").astype(index_type)
        self.rows = len(folded)
        self._bytes = memoryview(self.units).cast("B") if len(self.units) else memoryview(b"")

    @classmethod
    def of_arrays(cls, arrays: dict[str, np.ndarray]) -> CorpusText:
        """The corpus from its arrays as :func:`write_arrays` saved them (memory-mapped by :func:`load_arrays`)."""
        corpus = cls.__new__(cls)
        for name in _CORPUS_ARRAYS:
            setattr(corpus, name, arrays[name])
        corpus.rows = len(corpus.starts)
        corpus._bytes = memoryview(corpus.units).cast("B") if len(corpus.units) else memoryview(b"")
        return corpus

    def text(self, row: int) -> str:
        """The folded text of one passage, decoded from the units array (nothing else is read)."""
        start = int(self.starts[row])
        end = int(self.starts[row + 1]) - 1 if row + 1 < self.rows else len(self.units)
        return str(self._bytes[2 * start : 2 * end], "utf-16-le")

    def starts_of(self, literal: str) -> np.ndarray:
        """Offsets (in units) of every start of ``literal``, overlapping ones included, ascending."""
        lit = np.frombuffer(literal.encode("utf-16-le"), dtype=np.uint16)
        units, n = self.units, len(self.units)
        anchor = int(np.argmin(self.unit_frequency[lit]))
        unit = int(lit[anchor])
        pos = self.positions[self.unit_start[unit] : self.unit_start[unit + 1]].astype(np.int64) - anchor
        pos = pos[(pos >= 0) & (pos + len(lit) <= n)]
        for k in range(len(lit)):
            if k != anchor and len(pos):
                pos = pos[units[pos + k] == lit[k]]
        return pos

    def counts(self, literal: str) -> np.ndarray:
        """Starts of ``literal`` per row (overlapping ones included: see :func:`search.counting.self_overlaps`)."""
        pos = self.starts_of(literal)
        rows = np.searchsorted(self.starts, pos, side="right") - 1
        return np.bincount(rows, minlength=self.rows)


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
        )


def region_identity(region: Region) -> tuple:
    """What tells two reports' regions apart in a generation's region table: the names and the codes (regions
    compare by names alone, but a region's code belongs to the report's year)."""
    return (region.province, region.prefecture, region.county, region.code, region.division_id)


def distinct_regions(reports: Sequence[Report]) -> list[Region]:
    """The distinct regions of a generation's reports, in the order of their names (then codes): the table
    ``RowTable.report_region`` numbers, so that sorting by that number sorts by ``region.names()``."""
    by_identity = {region_identity(r.region): r.region for r in reports}
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
    """A generation's counting arrays, as one index folder holds them."""

    corpus: CorpusText
    table: RowTable
    folder: Path | None = None  # where they were read from (the generation's other files are named alike)

    def fits(self, passages: Sequence[Passage], report_rows: Sequence[int]) -> bool:
        """Whether these arrays are those of the given rows (same passages of the same reports, same lengths):
        a check that a generation's arrays and its documents agree before any count is read from them."""
        if self.corpus.rows != len(passages) or len(self.table.report) != len(report_rows):
            return False
        chars = np.fromiter((len(p.text) for p in passages), dtype=np.int64, count=len(passages))
        return bool(
            np.array_equal(self.table.report, np.asarray(report_rows, dtype=np.int64))
            and np.array_equal(self.table.chars, chars)
        )


def arrays_folder(index_dir: Path, name: object) -> Path:
    """The folder of the counting arrays named ``name`` (a generation's number or token) in ``index_dir``."""
    return Path(index_dir) / f"{ARRAYS_PREFIX}{name}"


def generation_order(reports: Sequence[Report]) -> list[Report]:
    """A generation's reports in row order, as every engine reads them back: by source, passages by number."""
    return sorted(reports, key=lambda r: r.source)


def write_arrays(folder: Path, reports: Sequence[Report], folded: dict[str, str]) -> None:
    """Write the counting arrays of a generation (``reports`` in row order, ``folded`` text by passage id)
    into ``folder``, whole or not at all: written beside it, flushed to disk, then renamed into place. The
    engine's writer calls this before its commit, which then names the folder: a reader never opens a
    generation whose arrays are not complete."""
    passages = [p for r in reports for p in r.passages]
    report_rows = [i for i, r in enumerate(reports) for _ in r.passages]
    corpus = CorpusText([folded[p.passage_id] for p in passages])
    table = RowTable.of(list(reports), passages, report_rows)
    arrays = {
        **{n: getattr(corpus, n) for n in _CORPUS_ARRAYS},
        **{f.name: getattr(table, f.name) for f in fields(table)},
    }
    partial = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}.tmp")
    partial.mkdir(parents=True)
    try:
        for name, array in arrays.items():
            with open(partial / f"{name}.npy", "wb") as f:
                np.save(f, np.ascontiguousarray(array), allow_pickle=False)
                f.flush()
                os.fsync(f.fileno())
        shutil.rmtree(folder, ignore_errors=True)  # a killed writer's folder of the same name, never committed
        partial.rename(folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def _load(path: Path) -> np.ndarray:
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError:  # an empty array: nothing to map
        return np.load(path, allow_pickle=False)


def load_arrays(folder: Path) -> GenerationArrays | None:
    """The arrays in ``folder``, memory-mapped read-only; None when the folder is not there (an index written
    by an earlier version, or a generation replaced meanwhile)."""
    try:
        arrays = {p.stem: _load(p) for p in folder.glob("*.npy")}
    except FileNotFoundError:
        return None
    wanted = {*_CORPUS_ARRAYS, *(f.name for f in fields(RowTable))}
    if not wanted <= arrays.keys():
        return None
    table = RowTable(**{f.name: arrays[f.name] for f in fields(RowTable)})
    return GenerationArrays(CorpusText.of_arrays(arrays), table, folder)


def remove_arrays(index_dir: Path, keep: object) -> None:
    """Remove every folder of counting arrays (and of reuse arrays) in ``index_dir`` but generation ``keep``'s,
    and what killed writers left half-written. Called by a writer after its commit, holding the index's write lock."""
    for entry in Path(index_dir).iterdir():
        name = entry.name
        for prefix in (ARRAYS_PREFIX, REUSE_PREFIX):
            stale = name.startswith(prefix) and name != f"{prefix}{keep}"
            if stale or (name.startswith(f".{prefix}") and name.endswith(".tmp")):
                shutil.rmtree(entry, ignore_errors=True)
