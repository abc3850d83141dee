"""The report list, filtered as a search is (year and ranges, region at any level, document type)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from search.contract import Snapshot
from search.core import effective_request
from search.counting import Filters
from search.models import Report, SearchRequest


class ReportSelection(Sequence[Report]):
    """Some of a generation's reports, in index order, chosen on the columns: a report is read only when it is
    asked for (a page of the list reads that page), and its characters come from the columns."""

    def __init__(self, snap: Snapshot, indexes: np.ndarray) -> None:
        self.snap = snap
        self.indexes = indexes  # report indexes, ascending

    def __len__(self) -> int:
        return len(self.indexes)

    def __getitem__(self, k):  # type: ignore[override]
        if isinstance(k, slice):
            return ReportSelection(self.snap, self.indexes[k])
        return self.snap.report_list[int(self.indexes[k])]

    def __iter__(self) -> Iterator[Report]:
        reports = self.snap.report_list
        return (reports[i] for i in self.indexes.tolist())

    def listed(self) -> Iterator[tuple[Report, dict]]:
        """Each report of the selection, in its order, with its listing (:meth:`Report.summary_dict`), read from
        its metadata record alone: a list of every report reads no passage."""
        store = self.snap.store
        sizes = np.diff(store.report_first_row)
        for i in self.indexes.tolist():
            report = store.report_metadata(i)
            yield report, report.summary_dict(passages=int(sizes[i]))

    @property
    def chars(self) -> np.ndarray:
        """Characters of each report (every passage's text as published), in selection order."""
        return self.snap.row_table.report_section_chars[self.indexes].sum(axis=1)


def filter_reports(snap: Snapshot, request: SearchRequest) -> ReportSelection:
    """The reports passing the request's report-level filters, in index order (the query is not used).
    Region values are resolved as a search resolves them (山西 → 山西省; :class:`SearchError` otherwise)."""
    effective = effective_request(snap, request)
    filters = Filters(snap, SearchRequest(regions=effective.regions, years=effective.years,
                                          doc_types=effective.doc_types))  # fmt: skip
    return ReportSelection(snap, np.flatnonzero(filters.reports()))


def report_chars(reports: Sequence[Report]) -> Sequence[int]:
    """Characters of each report: from the columns for a :class:`ReportSelection`, else from its passages."""
    if isinstance(reports, ReportSelection):
        return reports.chars.tolist()
    return [sum(len(p.text) for p in r.passages) for r in reports]
