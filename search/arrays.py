"""The arrays a generation is counted in (see :mod:`search.counting`): every passage's folded text as one
array (:class:`CorpusText`), and per-row and per-report attributes (:class:`RowTable`). Built once per
generation from its reports and passages; they know nothing of engines or snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from search.models import DOC_TYPES, SECTIONS, Passage, Report

_SEPARATOR = "\x00"  # between passages in the corpus array: no literal holds it (control characters are refused)


class CorpusText:
    """Every passage's folded text in one array of UTF-16 code units, passages separated by NUL, with the
    first unit of each passage, and every unit's positions (sorted by unit, then position) to start a
    search from. UTF-16 keeps the array at two bytes a character; a character outside the BMP is a surrogate
    pair, which matches only the same pair, so substring search on units is substring search on characters.
    At 10,000 reports: 42 million units, 84 MB for the text and 168 MB for the positions."""

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
        return cls(
            report=report,
            year=report_year[report] if len(report) else np.zeros(0, dtype=np.int64),
            section=section,
            chars=chars,
            report_year=report_year,
            report_doc_type=report_doc_type,
            report_section_chars=section_chars.reshape(len(reports), len(SECTIONS)),
            report_has_section=has.reshape(len(reports), len(SECTIONS)),
        )
