"""Who published, who didn't: governments (rows, the official divisions of each year) × report years (columns).

A cell holds the government's own 法治政府建设年度报告 for the year: published on time (on or before 1 April
of the following year, the deadline of the 2019 法治政府建设与责任落实督察工作规定), late, with no known
publish date, not found, or the division did not exist that year. Only a government's own report fills its
cell: its departments' reports, townships' reports and look-alike documents do not (the departments' and
townships' are listed apart), and a county's report fills the county's row, not its prefecture's.

Rows follow a government across renames and recodings (长治县 to 2017, 上党区 from 2018: one row), by the
persistent id of :mod:`search.divisions`. :func:`coverage_matrix` is pure (reports and years in, the matrix out);
:func:`coverage` reads a snapshot and validates a request, as the page, the API and the CLI ask it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from search.contract import Snapshot
from search.core import SearchError, parse_years
from search.counting import region_columns
from search.divisions import Division, division_by_id, division_by_path, division_years, divisions
from search.models import DOC_TYPES, ISSUER_LEVELS, REGION_LEVELS, REPORT_DOC_TYPE, Report
from search.regions import IndexPlace, region_note, resolve_region

COVERAGE_STATUSES: tuple[str, ...] = ("on_time", "late", "undated", "missing", "no_division")
"""A cell's status: published by the deadline, after it, with no known publish date, not found, or the division
did not exist that year."""
FOUND_STATUSES: tuple[str, ...] = ("on_time", "late", "undated")
COVERAGE_LEVELS: tuple[str, ...] = REGION_LEVELS
MAX_COVERAGE_YEARS = 20
DEADLINE_MONTH_DAY = "04-01"
"""Reports for a year are due by 1 April of the following year (督察工作规定, 2019, art. 25)."""


def deadline(year: int) -> str:
    """The ISO date by which the report for ``year`` is due.

    >>> deadline(2023)
    '2024-04-01'
    """
    return f"{year + 1}-{DEADLINE_MONTH_DAY}"


def publication_status(year: int, publish_date: str | None) -> str:
    """on_time, late or undated for a report of ``year`` published on ``publish_date`` (ISO).

    >>> publication_status(2023, "2024-04-01"), publication_status(2023, "2024-04-02"), publication_status(2023, None)
    ('on_time', 'late', 'undated')
    """
    if not publish_date:
        return "undated"
    return "on_time" if publish_date[:10] <= deadline(year) else "late"


def counts_for_government(report: Report) -> bool:
    """Whether a report can fill a government's cell: a real 法治政府建设年度报告, by the government itself."""
    return report.doc_type == REPORT_DOC_TYPE and report.issuer_level == "government" and report.year is not None


@dataclass(frozen=True)
class CoverageRequest:
    """Which part of the matrix to draw. ``region`` is a province or prefecture as users write it (山西, 长治市);
    ``level`` "" means the level below the region (provinces when there is no region)."""

    years: tuple[int, ...] = ()
    year_ranges: tuple[tuple[int | None, int | None], ...] = ()
    region: str = ""
    level: str = ""


@dataclass
class CoverageCell:
    status: str  # one of COVERAGE_STATUSES
    report_ids: list[str] = field(default_factory=list)  # earliest published first
    publish_date: str | None = None  # the earliest known publish date among them
    name: str | None = None  # the division's name that year (长治县 in 2017 on 上党区's row); None if none existed

    def to_dict(self) -> dict:
        return {"status": self.status, "report_ids": self.report_ids, "publish_date": self.publish_date,
                "name": self.name}  # fmt: skip


@dataclass
class CoverageRow:
    """One government across the years shown, named and coded as in the latest of them."""

    code: str
    division_id: str
    name: str
    level: str
    parent: str | None
    province: str
    cells: dict[int, CoverageCell]
    former_names: list[str] = field(default_factory=list)  # other names in the years shown (长治县 for 上党区)

    @property
    def expected(self) -> int:
        return sum(c.status != "no_division" for c in self.cells.values())

    @property
    def found(self) -> int:
        return sum(c.status in FOUND_STATUSES for c in self.cells.values())

    @property
    def rate(self) -> float | None:
        return round(self.found / self.expected, 4) if self.expected else None

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "division_id": self.division_id,
            "name": self.name,
            "level": self.level,
            "parent": self.parent,
            "province": self.province,
            "former_names": self.former_names,
            "cells": {str(y): c.to_dict() for y, c in self.cells.items()},
            "expected": self.expected,
            "found": self.found,
            "rate": self.rate,
        }


@dataclass
class CoverageResponse:
    years: list[int]
    level: str
    region: Division | None
    rows: list[CoverageRow]
    summary: dict[int, dict]  # year -> expected, found, on_time, late, undated, missing, rate
    other_issuers: list[dict]  # reports of departments and townships in the region and years, not counted
    unplaced: list[dict]  # government reports at the level that match no division (an unclear region)
    elapsed_ms: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        region = None
        if self.region is not None:
            r = self.region
            region = {"name": r.name, "level": r.level, "code": r.code, "division_id": r.id, "parent": r.parent}
        return {
            "years": self.years,
            "level": self.level,
            "region": region,
            "deadline": f"on or before {DEADLINE_MONTH_DAY} of the following year",
            "rows": [r.to_dict() for r in self.rows],
            "summary": {str(y): s for y, s in self.summary.items()},
            "other_issuers": self.other_issuers,
            "unplaced": self.unplaced,
            "elapsed_ms": round(self.elapsed_ms, 2),
            "notes": self.notes,
        }


def _within(d: Division, region: Division | None) -> bool:
    """Whether ``d`` lies under ``region`` (every division when no region)."""
    if region is None:
        return True
    if region.level == "province":
        return d.province == region.name
    return d.parent_id == region.id


def _report_division(report: Report, year: int, level: str) -> Division | None:
    """The division a government report of ``year`` is from, at ``level`` (None if its region is another level
    or matches no division: an unclear region, an area that is no division)."""
    region = report.region
    if region.level != level:
        return None
    if region.division_id:
        found = division_by_id(year, level, region.division_id) or division_by_id(year - 1, level, region.division_id)
        if found is not None:
            return found
    # Indexes written before regions carried ids: the names, as they were that year.
    return division_by_path(year, tuple(region.names()))


def _summary_line(rows: list[CoverageRow], year: int) -> dict:
    counts = dict.fromkeys(COVERAGE_STATUSES, 0)
    for row in rows:
        counts[row.cells[year].status] += 1
    expected = len(rows) - counts["no_division"]
    found = sum(counts[s] for s in FOUND_STATUSES)
    return {
        "expected": expected,
        "found": found,
        "on_time": counts["on_time"],
        "late": counts["late"],
        "undated": counts["undated"],
        "missing": counts["missing"],
        "rate": round(found / expected, 4) if expected else None,
    }


def _listing(report: Report) -> dict:
    year = report.year or 0
    return {
        "report_id": report.report_id,
        "title": report.title,
        "issuer": report.issuer,
        "issuer_level": report.issuer_level,
        "township": report.township,
        "region": report.region.to_dict(),
        "year": report.year,
        "publish_date": report.publish_date,
        "status": publication_status(year, report.publish_date),
    }


def _names_under(report: Report, region: Division | None) -> bool:
    return region is None or region.name in report.region.names()


def coverage_matrix(
    reports: Iterable[Report], years: Iterable[int], level: str, region: Division | None = None
) -> CoverageResponse:
    """The matrix of the governments at ``level`` under ``region`` (all when None) × ``years``, filled from
    ``reports``: see the module's docstring for what fills a cell."""
    years = sorted(set(years))
    expected: dict[str, dict[int, Division]] = {}  # division id -> year -> the division that year
    for year in years:
        for d in divisions(year):
            if d.level == level and d.expected and _within(d, region):
                expected.setdefault(d.id, {})[year] = d
    found: dict[str, dict[int, list[Report]]] = {}
    seen: dict[str, dict[int, Division]] = {}
    other_issuers: list[dict] = []
    unplaced: list[dict] = []
    wanted = set(years)
    for report in reports:
        if report.year not in wanted or report.doc_type != REPORT_DOC_TYPE or not _names_under(report, region):
            continue
        if report.issuer_level != "government":
            other_issuers.append(_listing(report))
            continue
        if report.region.level != level:
            continue
        d = _report_division(report, report.year, level)
        if d is None or not _within(d, region):
            if d is None:
                unplaced.append(_listing(report))
            continue
        found.setdefault(d.id, {}).setdefault(report.year, []).append(report)
        seen.setdefault(d.id, {})[report.year] = d
    rows = []
    for id_ in expected.keys() | found.keys():
        by_year = {**seen.get(id_, {}), **expected.get(id_, {})}
        latest = by_year[max(by_year)]
        cells = {}
        for year in years:
            published = sorted(found.get(id_, {}).get(year, []), key=lambda r: (r.publish_date or "9", r.report_id))
            d = by_year.get(year)
            name = d.name if d else None
            if published:
                date = published[0].publish_date
                ids = [r.report_id for r in published]
                cells[year] = CoverageCell(publication_status(year, date), ids, date, name)
            else:
                cells[year] = CoverageCell("missing" if year in expected.get(id_, {}) else "no_division", name=name)
        former = list(dict.fromkeys(d.name for y, d in sorted(by_year.items()) if d.name != latest.name))
        rows.append(
            CoverageRow(latest.code, id_, latest.name, level, latest.parent, latest.province, cells, former)
        )  # fmt: skip
    rows.sort(key=lambda r: (r.code, r.division_id))
    summary = {year: _summary_line(rows, year) for year in years}
    order = {"department": 0, "township": 1}
    other_issuers.sort(key=lambda r: (r["year"], order.get(r["issuer_level"], 2), r["issuer"] or "", r["report_id"]))
    unplaced.sort(key=lambda r: (r["year"], r["report_id"]))
    return CoverageResponse(years, level, region, rows, summary, other_issuers, unplaced)


def _coverage_places(years: list[int]) -> list[IndexPlace]:
    """The provinces and prefectures of ``years`` as places a region value can name."""
    seen: dict[tuple[str, ...], IndexPlace] = {}
    for year in years:
        for d in divisions(year):
            if d.level != "county" and d.expected:
                levels = ("province",) if d.level == "province" else ("province", "prefecture")
                seen.setdefault(d.path(), IndexPlace(d.level, d.path(), 0, levels))
    return list(seen.values())


def resolve_coverage_region(value: str, years: list[int], reports: Counter | None = None) -> Division | None:
    """The province or prefecture a region value names in ``years`` (the latest year it existed in), or None for
    no value; :class:`SearchError` (``region``) when it names none, or several (``reports``: the index's reports
    by region name, to show with each choice)."""
    value = value.strip()
    if not value:
        return None
    reports = reports or Counter()
    places = _coverage_places(years)
    match = resolve_region(value, places)
    if not match.names:
        kind = "could mean several places" if match.how == "ambiguous" else "is not a province or prefecture"
        listed = "; ".join(p.label() for p in match.choices)
        span = f"{years[0]}–{years[-1]}" if len(years) > 1 else f"{years[0]}"
        message = f"region {value!r} {kind} in {span}" + (f": {listed}" if listed else "")
        choices = [
            {"value": "/".join(p.path), "label": p.label(), "level": p.level, "reports": reports[p.name],
             "near": match.how == "unknown"}
            for p in match.choices
        ]  # fmt: skip
        raise SearchError("region", message, choices=choices, value=value)
    paths = {p.path for p in places if p.name in match.names}
    if match.how != "full" and len(paths) > 1:
        # One name, several places (two 朝阳 … only when qualified names were not enough).
        raise SearchError("region", f"region {value!r} could mean several places; name its province too", value=value)
    path = sorted(paths, key=len)[0]
    for year in reversed(years):
        for d in divisions(year):
            if d.path() == path:
                return d
    return None  # unreachable: the places came from these years' lists


def coverage_years(snap: Snapshot, request: CoverageRequest) -> list[int]:
    """The years a request covers: its years and ranges (an open end stops at the index's last or first year of
    government reports), else every year the index has government reports for."""
    first_data = division_years()[0]
    table = snap.row_table
    government = (
        (table.report_year > 0)
        & (table.report_doc_type == DOC_TYPES.index(REPORT_DOC_TYPE))
        & (table.report_issuer_level == ISSUER_LEVELS.index("government"))
    )  # counts_for_government, on the columns
    index_years = np.unique(table.report_year[government]).tolist()
    years = set(request.years)
    for low, high in request.year_ranges:
        low = low if low is not None else (index_years[0] if index_years else high)
        high = high if high is not None else (index_years[-1] if index_years else low)
        if low is not None and high is not None:
            if high - low >= MAX_COVERAGE_YEARS:
                raise SearchError("year", f"a coverage matrix spans at most {MAX_COVERAGE_YEARS} years")
            years.update(range(low, high + 1))
    if not request.years and not request.year_ranges:
        years = set(index_years) or {division_years()[1]}
    if len(years) > MAX_COVERAGE_YEARS:
        raise SearchError("year", f"a coverage matrix spans at most {MAX_COVERAGE_YEARS} years")
    last = division_years()[1]
    for year in years:
        if not first_data <= year <= last + 5:
            raise SearchError(
                "year", f"the division lists cover {first_data}–{last} (and a few years after): not {year}"
            )
    return sorted(years)


def parse_coverage_request(year: Iterable[str] = (), region: str = "", level: str = "") -> CoverageRequest:
    """A request from the values users give (``year=2023``, ``year=2021-2023``, ``region=山西``, ``level=county``);
    :class:`SearchError` names the parameter at fault."""
    level = (level or "").strip()
    if level and level not in COVERAGE_LEVELS:
        raise SearchError("level", f"level must be one of {', '.join(COVERAGE_LEVELS)}, not {level[:20]!r}")
    values = [v for v in year if v and v.strip()]
    years, ranges = parse_years(values)
    return CoverageRequest(years, ranges, (region or "").strip()[:50], level)


def _reports_by_name(snap: Snapshot) -> Counter:
    """The index's reports by region name, at every level (counted per distinct region)."""
    per_region = np.bincount(snap.row_table.report_region, minlength=len(snap.region_list)).tolist()
    names: Counter = Counter()
    for region, n in zip(snap.region_list, per_region, strict=True):
        for name in region.names():
            names[name] += n
    return names


def _candidates(snap: Snapshot, years: list[int], level: str, region: Division | None) -> np.ndarray:
    """Report indexes (ascending) of the reports :func:`coverage_matrix` may place or list, from the columns: a
    report of the years, under the region, by a department or township, or by a government at ``level``. The
    matrix reads only these reports; it checks each again."""
    table = snap.row_table
    regions = snap.region_list
    keep = np.isin(table.report_year, years) & (table.report_doc_type == DOC_TYPES.index(REPORT_DOC_TYPE))
    if region is not None:
        keep &= region_columns(snap).reaching([region.name])[table.report_region]
    at_level = np.fromiter((r.level == level for r in regions), dtype=bool, count=len(regions))
    keep &= (table.report_issuer_level != ISSUER_LEVELS.index("government")) | at_level[table.report_region]
    return np.flatnonzero(keep)


def coverage(snap: Snapshot, request: CoverageRequest) -> CoverageResponse:
    """The coverage matrix a request asks for, over the snapshot's reports."""
    t0 = time.perf_counter()
    years = coverage_years(snap, request)
    region = resolve_coverage_region(request.region, years, _reports_by_name(snap))
    below = {None: "province", "province": "prefecture", "prefecture": "county"}
    level = request.level or below[region.level if region else None]
    if region is not None and COVERAGE_LEVELS.index(level) <= COVERAGE_LEVELS.index(region.level):
        raise SearchError("level", f"level must be below the region's ({region.name} is a {region.level})")
    candidates = (snap.report_metadata(i) for i in _candidates(snap, years, level, region).tolist())
    response = coverage_matrix(candidates, years, level, region)
    if region is not None and request.region != region.name:
        response.notes.append(region_note(request.region, [region.name]))
    response.elapsed_ms = (time.perf_counter() - t0) * 1000
    return response
