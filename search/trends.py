"""Trends over report years: for each query, per year (and per province, region level or section when split),
the reports indexed, the reports mentioning it, its occurrences and the characters they were counted in."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from search.contract import Snapshot
from search.core import SearchError, resolve_regions, resolve_years, validate
from search.counting import Filters, query_matches
from search.models import REGION_LEVELS, SECTIONS, SearchRequest
from search.query import parse_query

NORMS: tuple[str, ...] = ("share_of_reports", "per_10k_chars", "count")
"""What a point plots: the share of that year's reports that mention the query, occurrences per 10,000
characters, or the occurrences themselves."""
SPLITS: tuple[str, ...] = ("", "province", "prefecture", "county", "region", "section")
"""One series per value of: nothing, a region level, the level below the chosen region (``region``), or section."""
MAX_QUERIES = 8
FIRST_REPORTS = 5


@dataclass(frozen=True)
class TrendsRequest:
    queries: tuple[str, ...]
    filters: SearchRequest = field(default_factory=SearchRequest)  # regions, years, sections, doc_types
    norm: str = "share_of_reports"
    split: str = ""


@dataclass
class TrendPoint:
    year: int
    reports: int  # reports of that year (under the filters and the split value)
    reports_matching: int  # of those, reports with at least one matching passage
    occurrences: int
    chars: int  # characters of those reports (within the section filter)
    value: float  # what the norm plots

    def to_dict(self) -> dict:
        return {
            "year": self.year,
            "reports": self.reports,
            "reports_matching": self.reports_matching,
            "occurrences": self.occurrences,
            "chars": self.chars,
            "value": self.value,
        }


@dataclass
class TrendSeries:
    query: str
    split_value: str | None  # None: no split, or reports that do not reach the split's level
    points: list[TrendPoint]

    def to_dict(self) -> dict:
        return {"query": self.query, "split_value": self.split_value, "points": [p.to_dict() for p in self.points]}


@dataclass
class FirstUse:
    """The first year a query appears in, and the reports of that year that use it."""

    query: str
    year: int | None
    reports: list[dict]

    def to_dict(self) -> dict:
        return {"query": self.query, "year": self.year, "reports": self.reports}


@dataclass
class TrendsResponse:
    request: TrendsRequest
    split_level: str  # the split actually drawn ("region" resolved to a level)
    years: list[int]
    series: list[TrendSeries]
    first: list[FirstUse]
    elapsed_ms: float = 0.0
    notes: list[str] = field(default_factory=list)  # how region short names were read (山西 → 山西省)

    def to_dict(self) -> dict:
        return {
            "queries": list(self.request.queries),
            "norm": self.request.norm,
            "split": self.request.split,
            "split_level": self.split_level,
            "filters": self.request.filters.filters_dict(),
            "years": self.years,
            "series": [s.to_dict() for s in self.series],
            "first": [f.to_dict() for f in self.first],
            "elapsed_ms": round(self.elapsed_ms, 2),
            "notes": list(self.notes),
        }


def point_value(norm: str, reports: int, reports_matching: int, occurrences: int, chars: int) -> float:
    """The plotted value of one point.

    >>> point_value("share_of_reports", 4, 1, 9, 1000), point_value("per_10k_chars", 4, 1, 9, 1000)
    (0.25, 90.0)
    """
    if norm == "share_of_reports":
        return round(reports_matching / reports, 4) if reports else 0.0
    if norm == "per_10k_chars":
        return round(occurrences * 10_000 / chars, 2) if chars else 0.0
    return float(occurrences)


def split_level(snap: Snapshot, request: TrendsRequest) -> str:
    """The split to draw: ``region`` is the level below the (first) chosen region, or province."""
    if request.split != "region":
        return request.split
    if not request.filters.regions:
        return "province"
    chosen = request.filters.regions[0]
    # The first report (in index order) whose region has that name decides the level: look among the distinct
    # regions, then take the region of the earliest report.
    regions = snap.region_list
    levels = {}
    for k, region in enumerate(regions):
        for n, name in enumerate((region.province, region.prefecture, region.county)):
            if name == chosen:
                levels[k] = n
                break
    if not levels:
        return "province"
    number = snap.row_table.report_region
    first = int(np.flatnonzero(np.isin(number, list(levels)))[0])
    n = levels[int(number[first])]
    return REGION_LEVELS[min(n + 1, len(REGION_LEVELS) - 1)]


def trends(snap: Snapshot, request: TrendsRequest) -> TrendsResponse:
    """Count every query per report year under the filters (see the module docstring)."""
    t0 = time.perf_counter()
    resolved, notes = resolve_regions(snap, request.filters)
    request = replace(request, filters=resolved)
    filters_request = resolve_years(snap, request.filters)
    filters = Filters(snap, filters_request)
    table = snap.row_table
    level = split_level(snap, request)
    report_ok = filters.reports() & (table.report_year > 0)  # a report of unknown year is on no year's axis
    years = sorted(set(table.report_year[report_ok].tolist()))
    year_index = np.zeros(max(years, default=0) + 1, dtype=np.int64)
    year_index[years] = np.arange(len(years))

    # Groups: one per split value (a single group without a split), and each report's group.
    if level == "section":
        wanted = [s for s in SECTIONS if not filters_request.sections or s in filters_request.sections]
        group_values: list[str | None] = list(wanted)
    elif level:  # each distinct region's name at the level, read for every report by its region number
        names = [getattr(r, level) for r in snap.region_list]
        present = np.unique(table.report_region[report_ok])
        group_values = sorted({names[k] for k in present.tolist()}, key=lambda v: v or "")
        code = {v: i for i, v in enumerate(group_values)}
        region_group = np.asarray([code.get(n, 0) for n in names], dtype=np.int64)
        report_group = region_group[table.report_region]
    else:
        group_values = [None]
        report_group = np.zeros(len(table.report_year), dtype=np.int64)
    n_years, n_groups = len(years), len(group_values)
    size = n_years * n_groups

    ok_reports = np.flatnonzero(report_ok)
    if level == "section":
        section_ids = [SECTIONS.index(s) for s in group_values]  # type: ignore[arg-type]
        has = table.report_has_section[ok_reports][:, section_ids]
        chars_cells = table.report_section_chars[ok_reports][:, section_ids]
        base = year_index[table.report_year[ok_reports]][:, None] * n_groups + np.arange(n_groups)[None, :]
        indexed = np.bincount(base[has], minlength=size)
        chars = np.bincount(base.ravel(), weights=chars_cells.ravel(), minlength=size).astype(np.int64)
    else:
        cells = year_index[table.report_year[ok_reports]] * n_groups + report_group[ok_reports]
        indexed = np.bincount(cells, minlength=size)
        chars = np.bincount(cells, weights=filters.section_chars()[ok_reports], minlength=size).astype(np.int64)

    series: list[TrendSeries] = []
    first: list[FirstUse] = []
    for query in request.queries:
        matches = query_matches(snap, parse_query(query))
        keep = filters.rows(matches.rows) & (table.year[matches.rows] > 0)
        rows, occ = matches.rows[keep], matches.occurrences[keep]
        report_of_row = table.report[rows]
        if level == "section":
            group_of_row = np.searchsorted(section_ids, table.section[rows])
        else:
            group_of_row = report_group[report_of_row]
        row_cells = year_index[table.year[rows]] * n_groups + group_of_row
        occurrences = np.bincount(row_cells, weights=occ, minlength=size).astype(np.int64)
        # A report counts once per cell it matches in (once per year; per section when split by section).
        if level == "section":  # the (report, section) pairs held, from a count over reports × sections
            pairs = report_of_row * n_groups + group_of_row
            held = np.flatnonzero(np.bincount(pairs, minlength=len(table.report_year) * n_groups))
            report_cells = year_index[table.report_year[held // n_groups]] * n_groups + held % n_groups
        else:  # a report's rows share its year and group, and are together (rows ascend): its first row's cell
            report_cells = row_cells[np.flatnonzero(np.diff(report_of_row, prepend=-1))]
        matching = np.bincount(report_cells, minlength=size)
        query_series = []
        for g, value in enumerate(group_values):
            points = []
            for y, year in enumerate(years):
                c = y * n_groups + g
                r, m, o, ch = int(indexed[c]), int(matching[c]), int(occurrences[c]), int(chars[c])
                points.append(TrendPoint(year, r, m, o, ch, point_value(request.norm, r, m, o, ch)))
            query_series.append(TrendSeries(query, value, points))
        if level:  # the busiest series first: a chart of thirty provinces reads from the top
            query_series.sort(key=lambda s: -sum(p.occurrences for p in s.points))
        series += query_series
        first.append(first_use(snap, query, rows))
    return TrendsResponse(
        request=request,
        split_level=level,
        years=years,
        series=series,
        first=first,
        elapsed_ms=(time.perf_counter() - t0) * 1000,
        notes=notes,
    )


def first_use(snap: Snapshot, query: str, rows: np.ndarray) -> FirstUse:
    """The earliest report year among the matching rows, and its first reports (by publish date, then title)."""
    table = snap.row_table
    if not len(rows):
        return FirstUse(query, None, [])
    years = table.year[rows]
    year = int(years.min())
    that_year = rows[years == year]  # ascending: a report's first row comes first
    report_ids, first = np.unique(table.report[that_year], return_index=True)
    # By publish date (none: last), then title, then index order; only the reports shown are read.
    dates = table.report_publish_rank[report_ids]
    dates = np.where(dates > 0, dates, np.iinfo(np.int64).max)
    shown = np.lexsort((report_ids, table.report_title_rank[report_ids], dates))[:FIRST_REPORTS]
    listed = []
    for k in shown.tolist():
        r = snap.report_list[int(report_ids[k])]
        listed.append(
            {
                "report_id": r.report_id,
                "title": r.title,
                "region": r.region.to_dict(),
                "year": r.year,
                "publish_date": r.publish_date,
                "url": snap.passages[int(that_year[first[k]])].url(),
            }
        )
    return FirstUse(query, year, listed)


def validate_trends(request: TrendsRequest, max_query_length: int = 500) -> None:
    """Raise :class:`SearchError` naming the parameter when the trends request cannot be answered."""
    if not request.queries:
        raise SearchError("q", "trends need at least one query (q=…, repeatable)")
    if len(request.queries) > MAX_QUERIES:
        raise SearchError("q", f"at most {MAX_QUERIES} queries on one chart, not {len(request.queries)}")
    for q in request.queries:
        validate(replace(request.filters, query=q), max_query_length=max_query_length)
    if request.norm not in NORMS:
        raise SearchError("norm", f"norm must be one of {', '.join(NORMS)}, not {request.norm!r}")
    if request.split not in SPLITS:
        raise SearchError("split", f"split must be one of {', '.join(s for s in SPLITS if s)}, not {request.split!r}")
