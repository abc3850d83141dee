"""The concordance (KWIC) of a search: one line per occurrence of the query's terms, with its context.

Lines are the occurrences :mod:`search.counting` counts (non-overlapping per literal, summed over the
positive literals), so ``total`` equals a search's ``occurrences``. Context is cut within the passage.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from itertools import islice

import numpy as np

from search.contract import Snapshot
from search.core import SearchError, filtered_matches, resolve_regions, resolve_years, validate
from search.counting import Matches, match_order, report_count
from search.models import Region, SearchRequest
from search.query import ParsedQuery, parse_query
from search.snippets import occurrence_spans

KWIC_SORTS: tuple[str, ...] = ("position", "left", "right", "year", "region")
"""Report and passage order; left context (nearest character first); right context; year (newest first);
region (A→Z). ``order`` reverses any of them."""
MAX_WIDTH = 200
DEFAULT_WIDTH = 20
MAX_CONTEXT_SORT = 200_000
"""Sorting by context reads every line: above this many occurrences, add a filter first."""


@dataclass(frozen=True)
class ConcordanceRequest:
    filters: SearchRequest = field(default_factory=SearchRequest)  # query, filters, page, per_page
    sort: str = "position"
    order: str = ""  # asc | desc: "" is the sort's own direction
    width: int = DEFAULT_WIDTH


@dataclass
class ConcordanceLine:
    report_id: str
    passage_id: str
    number: int
    left: str
    match: str
    right: str
    title: str
    region: Region
    year: int | None
    section: str
    url: str
    start: int  # offset of the match in the passage's text

    def to_dict(self) -> dict:
        return {
            "report_id": self.report_id,
            "passage_id": self.passage_id,
            "number": self.number,
            "left": self.left,
            "match": self.match,
            "right": self.right,
            "title": self.title,
            "region": self.region.to_dict(),
            "year": self.year,
            "section": self.section,
            "url": self.url,
            "start": self.start,
        }


@dataclass
class ConcordanceResponse:
    request: ConcordanceRequest
    total: int  # occurrences (处): lines in all
    passages_total: int  # 段
    reports_total: int  # 份
    lines: list[ConcordanceLine]
    elapsed_ms: float = 0.0
    notes: list[str] = field(default_factory=list)  # how the query and region names were read

    def to_dict(self) -> dict:
        req = self.request
        return {
            "query": req.filters.query,
            "total": self.total,
            "passages_total": self.passages_total,
            "reports_total": self.reports_total,
            "page": req.filters.page,
            "per_page": req.filters.per_page,
            "sort": req.sort,
            "order": req.order,
            "width": req.width,
            "filters": req.filters.filters_dict(),
            "lines": [line.to_dict() for line in self.lines],
            "elapsed_ms": round(self.elapsed_ms, 2),
            "notes": list(self.notes),
        }


def passage_lines(snap: Snapshot, row: int, parsed: ParsedQuery, width: int) -> list[ConcordanceLine]:
    """The lines of one passage, one per occurrence, in text order (a longer literal first where two start
    together); a proximity pair gives the occurrences that have a partner."""
    passage = snap.passages[row]
    report = snap.report_metadata_of(row)  # its metadata: no other passage of the report is read
    text = passage.text
    spans = occurrence_spans(text, parsed)
    url = passage.url()
    return [
        ConcordanceLine(
            report_id=report.report_id,
            passage_id=passage.passage_id,
            number=passage.number,
            left=text[max(0, s - width) : s],
            match=text[s:e],
            right=text[e : e + width],
            title=report.title,
            region=report.region,
            year=report.year,
            section=passage.section,
            url=url,
            start=s,
        )
        for s, e in spans
    ]


def _context_key(sort: str):
    if sort == "left":
        return lambda line: line.left[::-1]  # nearest character first
    return lambda line: line.right


def iter_lines(snap: Snapshot, kept: Matches, request: ConcordanceRequest, start: int = 0) -> Iterator[ConcordanceLine]:
    """Every line from the ``start``-th on, in the requested order; reads passages as it goes (bounded
    memory) except when sorting by context, which must see every line first."""
    parsed = parse_query(request.filters.query)
    order = request.order
    if request.sort in ("left", "right"):
        lines = [line for r in kept.rows.tolist() for line in passage_lines(snap, r, parsed, request.width)]
        lines.sort(key=_context_key(request.sort), reverse=order == "desc")
        yield from lines[start:]
        return
    positions = match_order(snap, kept, request.sort, order)
    occ = kept.occurrences[positions]
    ends = np.cumsum(occ)
    first = int(np.searchsorted(ends, start, side="right"))  # the group holding line number `start`
    skip = start - (int(ends[first - 1]) if first else 0)
    rows = kept.rows[positions]
    for k in range(first, len(rows)):
        lines = passage_lines(snap, int(rows[k]), parsed, request.width)
        if order == "desc" and request.sort == "position":
            lines.reverse()
        yield from lines[skip:]
        skip = 0


def concordance(snap: Snapshot, request: ConcordanceRequest) -> ConcordanceResponse:
    """One page of the concordance, with its totals in all three units."""
    t0 = time.perf_counter()
    resolved, notes = resolve_regions(snap, request.filters)
    request = replace(request, filters=resolved)
    filters = resolve_years(snap, request.filters)
    parsed = parse_query(filters.query)
    kept = filtered_matches(snap, parsed, filters)
    check_context_sort(kept, request)
    start = (filters.page - 1) * filters.per_page
    lines = list(islice(iter_lines(snap, kept, request, start), filters.per_page))
    return ConcordanceResponse(
        request=request,
        total=int(kept.occurrences.sum()),
        passages_total=len(kept.rows),
        reports_total=report_count(snap, kept.rows),
        lines=lines,
        elapsed_ms=(time.perf_counter() - t0) * 1000,
        notes=[*notes, *parsed.notes],
    )


def check_context_sort(kept: Matches, request: ConcordanceRequest) -> None:
    """Sorting by context holds every line in memory: refuse it past :data:`MAX_CONTEXT_SORT` lines."""
    total = int(kept.occurrences.sum())
    if request.sort in ("left", "right") and total > MAX_CONTEXT_SORT:
        raise SearchError(
            "sort",
            f"sorting by context reads every line: {total} occurrences is more than {MAX_CONTEXT_SORT}; add a filter",
        )


def validate_concordance(request: ConcordanceRequest, **limits: int) -> None:
    """Raise :class:`SearchError` naming the parameter when the request cannot be answered."""
    validate(request.filters, **limits)
    if request.sort not in KWIC_SORTS:
        raise SearchError("sort", f"sort must be one of {', '.join(KWIC_SORTS)}, not {request.sort!r}")
    if request.order and request.order not in ("asc", "desc"):
        raise SearchError("order", f"order must be asc or desc, not {request.order!r}")
    if not 1 <= request.width <= MAX_WIDTH:
        raise SearchError("width", f"width must be between 1 and {MAX_WIDTH} characters")
    if not request.filters.query.strip():
        raise SearchError("q", "a concordance needs a query")
