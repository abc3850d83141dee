"""The report list, filtered as a search is (year and ranges, region at any level, document type)."""

from __future__ import annotations

from search.contract import Snapshot
from search.core import effective_request
from search.models import Report, SearchRequest


def filter_reports(snap: Snapshot, request: SearchRequest) -> list[Report]:
    """The reports passing the request's report-level filters, in index order (the query is not used).
    Region values are resolved as a search resolves them (山西 → 山西省; :class:`SearchError` otherwise)."""
    effective = effective_request(snap, request)
    regions, years, doc_types = set(effective.regions), set(effective.years), set(effective.doc_types)
    return [
        r
        for r in snap.report_list
        if (not regions or not regions.isdisjoint(r.region.names()))
        and (not years or r.year in years)
        and (not doc_types or r.doc_type in doc_types)
    ]
