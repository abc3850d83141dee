"""The report table of a search (``view=reports``): one row per matching report, with its matching passages,
occurrences, characters, density and occurrences per section, sortable by any of them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from search.counting import Filters, Matches, region_columns
from search.models import SECTIONS, Report, ReportRow, SearchRequest

if TYPE_CHECKING:
    from search.contract import Snapshot

DESCENDING_FIRST = {"occurrences", "per_10k_chars", "passages", "chars", "year"}
"""Sorts whose natural direction is largest first (as ``sort=year`` of hits is newest first); originality
goes least original first, the reports that copy most."""


@dataclass
class ReportTable:
    """Every matching report of a search, in the requested order (report indexes and their sums)."""

    snap: Snapshot
    order: np.ndarray  # report indexes, in table order
    passages: np.ndarray  # by report index: matching passages
    occurrences: np.ndarray  # by report index
    section_occurrences: np.ndarray  # (report index, section index)
    chars: np.ndarray  # by report index, within the section filter
    first_row: np.ndarray  # by report index: its first matching passage's row

    def __len__(self) -> int:
        return len(self.order)

    def row(self, i: int) -> ReportRow:
        """The table row of report index ``i``."""
        return self._row(i, self.snap.report_metadata(i))  # its metadata: none of its passages is read

    def _row(self, i: int, report: Report) -> ReportRow:
        occ = self.section_occurrences[i]
        return ReportRow(
            report_id=report.report_id,
            title=report.title,
            region=report.region,
            year=report.year,
            doc_type=report.doc_type,
            passages=int(self.passages[i]),
            occurrences=int(self.occurrences[i]),
            chars=int(self.chars[i]),
            sections={SECTIONS[s]: int(occ[s]) for s in range(len(SECTIONS)) if occ[s]},
            url=self.snap.passages[int(self.first_row[i])].url(),
            source=report.source,
            publish_date=report.publish_date,
            issuer=report.issuer,
            originality=round(float(self.snap.reuse.originality()[i]), 4),
        )

    def page(self, start: int, size: int) -> list[ReportRow]:
        return [self.row(i) for i in self.order[start : start + size].tolist()]

    def __iter__(self) -> Iterator[ReportRow]:
        return (self.row(i) for i in self.order.tolist())

    def with_reports(self) -> Iterator[tuple[ReportRow, Report]]:
        """Each row in table order with its report's metadata (read once for both: what an export cites)."""
        for i in self.order.tolist():
            report = self.snap.report_metadata(i)
            yield self._row(i, report), report


def report_table(snap: Snapshot, kept: Matches, request: SearchRequest, filters: Filters) -> ReportTable:
    """The table of the reports among ``kept`` (matches within ``filters``), sorted as ``request`` asks:
    ``sort`` one of occurrences (also for ``relevance``), per_10k_chars, passages, chars, year, region, title;
    ``order`` asc or desc (default: largest and newest first, names A→Z); ties in report order."""
    table = snap.row_table
    n_reports = len(table.report_year)
    n_sections = len(SECTIONS)
    report_of_row = table.report[kept.rows]
    passages = np.bincount(report_of_row, minlength=n_reports)
    occurrences = np.bincount(report_of_row, weights=kept.occurrences, minlength=n_reports).astype(np.int64)
    cells = report_of_row * n_sections + table.section[kept.rows]
    section_occ = np.bincount(cells, weights=kept.occurrences, minlength=n_reports * n_sections).astype(np.int64)
    chars = filters.section_chars()
    first_row = np.zeros(n_reports, dtype=np.int64)
    present, first = np.unique(report_of_row, return_index=True)  # rows ascend: the first is the earliest
    first_row[present] = kept.rows[first]

    sort = "occurrences" if request.sort == "relevance" else request.sort
    descending = sort in DESCENDING_FIRST
    if request.order:
        descending = request.order == "desc"
    if sort == "region":  # names compare as their rank among the generation's regions
        key = region_columns(snap).name_rank[table.report_region]
    elif sort == "title":
        key = table.report_title_rank
    elif sort == "per_10k_chars":
        key = np.round(occurrences * 10_000 / np.maximum(chars, 1), 2)  # the rounded value users see
    elif sort == "originality":
        key = np.round(np.asarray(snap.reuse.originality(), dtype=np.float64), 4)  # the rounded value users see
    else:
        key = {"occurrences": occurrences, "passages": passages, "chars": chars, "year": table.report_year}[sort]
    values = key[present]
    # lexsort sorts by its last key first: the value (negated to descend), then the report index.
    order = present[np.lexsort((present, -values if descending else values))]
    return ReportTable(
        snap=snap,
        order=order.astype(np.int64),
        passages=passages,
        occurrences=occurrences,
        section_occurrences=section_occ.reshape(n_reports, n_sections),
        chars=chars,
        first_row=first_row,
    )
