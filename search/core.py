"""The one search entry point, independent of the engine behind the index: :func:`search` validates a
request (:func:`validate`), resolves its regions and year ranges in the index, answers the browse page
from what the snapshot counted once, keeps answers per generation (setting ``FAZHI_CACHE_SIZE``), and asks
the engine (:class:`search.contract.Snapshot`) for the rest: matches, facets and the page's rows; exact
counts over every match come from :mod:`search.counting`.

Engines never import this module: arrows run entry point → contract ← engines.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace

from search.contract import Execution, Snapshot, make_hits
from search.counting import Filters, Matches, query_matches, report_count, report_facets, reuse_facet
from search.models import DOC_TYPES, REUSE_STATUSES, SECTIONS, FacetValue, Hit, SearchRequest, SearchResponse
from search.query import ParsedQuery, QueryError, parse_query
from search.regions import IndexPlace, region_note, resolve_region
from search.report_table import report_table
from search.reuse_views import passage_reuse

SORTS: tuple[str, ...] = ("relevance", "year", "region")
"""Orders of passages (hits)."""
REPORT_SORTS: tuple[str, ...] = (
    "occurrences",
    "per_10k_chars",
    "passages",
    "chars",
    "year",
    "region",
    "title",
    "originality",
)
"""Orders of the report table (``view=reports``); ``relevance`` there means most occurrences first."""
VIEWS: tuple[str, ...] = ("passages", "reports")
FACET_COUNTS: tuple[str, ...] = ("passages", "reports")
ORDERS: tuple[str, ...] = ("asc", "desc")

MAX_RESULT_DEPTH = 10_000
"""How deep paging goes (page × per_page): deeper pages cost engines memory in proportion, and no reader
pages through ten thousand passages; filters narrow a result set instead."""


class SearchError(ValueError):
    """A request the search cannot answer; ``param`` names the parameter at fault. ``choices`` offers what
    the parameter could have meant (an ambiguous value), each a dict with at least ``value`` and ``label``."""

    def __init__(self, param: str, message: str, choices: list[dict] | None = None, value: str | None = None) -> None:
        super().__init__(message)
        self.param = param
        self.choices = choices or []
        self.value = value  # the value at fault, when the parameter has several (one region of two)


def _browse(snap: Snapshot, parsed: ParsedQuery, request: SearchRequest) -> Execution | None:
    """The empty query without filters, in passage order: every passage, facets of the whole index."""
    if not parsed.is_empty or request.group or request.sort != "relevance":
        return None
    if request.filtered:
        return None
    start = (request.page - 1) * request.per_page
    rows = list(range(start, min(start + request.per_page, len(snap.passages))))
    sizes = snap.report_sizes
    return Execution(
        total=len(snap.passages),
        rows=rows,
        facets=snap.browse_facets,
        report_matches={r: int(sizes[snap.report_rows[r]]) for r in rows},
    )


def parse_request_query(query: str) -> ParsedQuery:
    """The request's query parsed; :class:`SearchError` naming ``q`` when it cannot be searched."""
    try:
        return parse_query(query)
    except QueryError as e:
        raise SearchError("q", str(e)) from None


def validate(request: SearchRequest, max_per_page: int = 100, max_query_length: int = 500) -> None:
    """Raise :class:`SearchError` naming the parameter when the request cannot be answered."""
    if len(request.query) > max_query_length:
        raise SearchError("q", f"q is {len(request.query)} characters long; the limit is {max_query_length}")
    if any(ord(c) < 32 and c not in "\t\n\r" for c in request.query):
        raise SearchError("q", "q contains control characters")
    parse_request_query(request.query)  # operators only, or past a limit of the query language
    if request.page < 1:
        raise SearchError("page", "page must be 1 or more")
    if not 1 <= request.per_page <= max_per_page:
        raise SearchError("per_page", f"per_page must be between 1 and {max_per_page}")
    if request.page * request.per_page > MAX_RESULT_DEPTH:
        raise SearchError(
            "page", f"page {request.page} is too deep: results go {MAX_RESULT_DEPTH} passages deep; add a filter"
        )
    for y in request.years:
        if not 1000 <= y <= 9999:
            raise SearchError("year", f"year must be a year such as 2024, not {y}")
    for low, high in request.year_ranges:
        for y in (low, high):
            if y is not None and not 1000 <= y <= 9999:
                raise SearchError("year", f"year must be a year such as 2024, not {y}")
        if low is not None and high is not None and low > high:
            raise SearchError("year", f"year range {low}-{high} ends before it starts")
    for r in request.regions:
        if len(r) > MAX_REGION_LENGTH:
            raise SearchError("region", f"region is {len(r)} characters long; the limit is {MAX_REGION_LENGTH}")
        if any(ord(c) < 32 for c in r):
            raise SearchError("region", "region contains control characters")
    for s in request.sections:
        if s not in SECTIONS:
            raise SearchError("section", f"section must be one of {', '.join(SECTIONS)}, not {s!r}")
    for d in request.doc_types:
        if d not in DOC_TYPES:
            raise SearchError("doc_type", f"doc_type must be one of {', '.join(DOC_TYPES)}, not {d!r}")
    for r in request.reuse:
        if r not in REUSE_STATUSES:
            raise SearchError("reuse", f"reuse must be one of {', '.join(REUSE_STATUSES)}, not {r!r}")
    if request.view not in VIEWS:
        raise SearchError("view", f"view must be one of {', '.join(VIEWS)}, not {request.view!r}")
    if request.facet_count not in FACET_COUNTS:
        raise SearchError(
            "facet_count", f"facet_count must be one of {', '.join(FACET_COUNTS)}, not {request.facet_count!r}"
        )
    sorts = ("relevance", *REPORT_SORTS) if request.view == "reports" else SORTS
    if request.sort not in sorts:
        raise SearchError("sort", f"sort must be one of {', '.join(sorts)}, not {request.sort!r}")
    if request.order and request.order not in ORDERS:
        raise SearchError("order", f"order must be asc or desc, not {request.order!r}")
    if request.order and request.view == "passages" and request.sort == "relevance":
        raise SearchError("order", "order applies to sort=year or sort=region (relevance is always best first)")


def search(snap: Snapshot, request: SearchRequest, use_cache: bool = True) -> SearchResponse:
    """Answer one request against one snapshot: exact matches, filtered, ordered, paged, with facets.

    Answers are kept per snapshot (setting ``FAZHI_CACHE_SIZE``): an index generation never changes, so a
    repeated request — a popular query, the browse page, going back — is answered from memory.
    """
    t0 = time.perf_counter()
    if use_cache:
        cached = snap.responses.get(request)
        if cached is not None:
            return replace(cached, elapsed_ms=(time.perf_counter() - t0) * 1000, cached=True)
    resolved, notes = resolve_regions(snap, request)
    response = _search(snap, resolved)
    response.notes = [*notes, *response.notes]
    response.elapsed_ms = (time.perf_counter() - t0) * 1000
    if use_cache:
        snap.responses.put(request, response)
    return response


_YEAR_RANGE = re.compile(r"(\d{4})?\s*[-–~～至]\s*(\d{4})?")


def parse_years(values: Iterable[str]) -> tuple[tuple[int, ...], tuple[tuple[int | None, int | None], ...]]:
    """Years and year ranges as users write them; :class:`SearchError` names ``year`` otherwise.

    >>> parse_years(["2024", "2019-2021", "2022-"])
    ((2024,), ((2019, 2021), (2022, None)))
    """
    years: list[int] = []
    ranges: list[tuple[int | None, int | None]] = []
    for raw in values:
        value = raw.strip()
        if value.isascii() and value.isdigit():
            years.append(int(value))
            continue
        m = _YEAR_RANGE.fullmatch(value)
        if m is None or not (m.group(1) or m.group(2)):
            message = f"year must be a year such as 2024 or a range such as 2021-2024, not {raw[:40]!r}"
            raise SearchError("year", message)
        ranges.append((int(m.group(1)) if m.group(1) else None, int(m.group(2)) if m.group(2) else None))
    return tuple(dict.fromkeys(years)), tuple(dict.fromkeys(ranges))


def resolve_years(snap: Snapshot, request: SearchRequest) -> SearchRequest:
    """The request with its year ranges turned into the index's years inside them (engines filter on a set of
    years). A range holding no year of the index keeps its first bound, which no report has: nothing matches."""
    if not request.year_ranges:
        return request
    years = set(request.years)
    for low, high in request.year_ranges:
        inside = [y for y in snap.index_years if (low is None or y >= low) and (high is None or y <= high)]
        years.update(inside or [low if low is not None else high])
    return replace(request, years=tuple(sorted(years)), year_ranges=())


MAX_REGION_LENGTH = 50
"""The longest region value accepted (the longest full names, qualified by their parents, are about 30)."""


def region_choices(places: Iterable[IndexPlace], all_places: Sequence[IndexPlace], near: bool = False) -> list[dict]:
    """Places as the choices of a :class:`SearchError`: ``{value, label, reports, level, parent, near}``. The
    value is the full name, qualified by its parents (湖南省/长沙市/岳麓区) when another place shares the name;
    ``near`` is true for names close to an unknown value, false for the places an ambiguous one may mean."""
    shared = Counter(p.name for p in all_places)
    return [
        {
            "value": p.name if shared[p.name] == 1 else "/".join(p.path),
            "label": p.label(),
            "reports": p.reports,
            "level": p.level,
            "parent": p.parent,
            "near": near,
        }
        for p in places
    ]


def _reports(n: int) -> str:
    return f"{n} report" if n == 1 else f"{n} reports"


def resolve_regions(snap: Snapshot, request: SearchRequest) -> tuple[SearchRequest, list[str]]:
    """The request with its region values as the index's full names (山西 → 山西省, 长沙市岳麓区 → 岳麓区),
    and a note for each value that was not a full name already.

    :class:`SearchError` (``region``) for a value that several places share (its ``choices`` list them with
    their reports) or that names no region of the index (``choices``: near names). The index alone cannot
    tell a real place without reports from a misspelt one: either way no report is from it, and the error
    says so rather than answering 0.
    """
    if not request.regions:
        return request, []
    places = snap.region_places
    names: list[str] = []
    notes: list[str] = []
    for value in request.regions:
        match = resolve_region(value, places)
        if match.how == "ambiguous":
            listed = "; ".join(f"{p.label()} ({_reports(p.reports)})" for p in match.choices)
            message = f"region {value!r} could mean {len(match.choices)} places: {listed}. Choose one"
            raise SearchError("region", message, choices=region_choices(match.choices, places), value=value)
        if match.how == "unknown":
            message = (
                f"no report in this index is from a region called {value!r} (neither a full name such as "
                "山西省 nor a short name such as 山西): the place has no reports here, or the name is misspelt"
            )
            if match.choices:
                message += "; near names: " + ", ".join(f"{p.label()} ({_reports(p.reports)})" for p in match.choices)
            raise SearchError("region", message, choices=region_choices(match.choices, places, True), value=value)
        if match.how != "full":
            notes.append(region_note(value, match.names))
        names.extend(match.names)
    return replace(request, regions=tuple(dict.fromkeys(names))), notes


def effective_request(snap: Snapshot, request: SearchRequest) -> SearchRequest:
    """The request as engines filter it: region values as the index's full names, year ranges as its years
    (:class:`SearchError` for a region value that is ambiguous or unknown)."""
    return resolve_years(snap, resolve_regions(snap, request)[0])


def filtered_matches(snap: Snapshot, parsed: ParsedQuery, request: SearchRequest) -> Matches:
    """Every passage matching the query within the request's filters (years resolved), with occurrences."""
    return Filters(snap, request).keep(query_matches(snap, parsed))


def _search(snap: Snapshot, request: SearchRequest) -> SearchResponse:
    parsed = parse_request_query(request.query)
    effective = resolve_years(snap, request)
    engine_request = None  # what the engine is asked for, when anything (facets counted in passages, or hits)
    if request.view == "passages" or request.facet_count == "passages":
        engine_request = effective
        if request.view == "reports":  # only the facets are wanted from the engine: the smallest page
            engine_request = replace(effective, view="passages", page=1, per_page=1, sort="relevance", order="")
        snap.prepare(parsed, engine_request)  # the engine may start its part while the matches are counted
    matches = query_matches(snap, parsed)
    filters = Filters.of(snap, effective)
    kept = filters.keep(matches)
    hits: list[Hit] = []
    facets: dict[str, Sequence[FacetValue]] = {}
    reports = None
    if engine_request is not None:
        ex = _browse(snap, parsed, engine_request) or snap.execute(parsed, engine_request)
        facets = ex.facets
        if request.view == "passages":
            hits = ex.hits if ex.hits is not None else make_hits(snap, parsed, ex.rows, ex.scores, ex.report_matches)
    if request.facet_count == "reports":
        facets = report_facets(snap, matches, filters)
    # Reuse is a row mask of the generation, not an engine field: counted here, the same for every engine.
    if facets is snap.browse_facets:  # the whole index's, counted once per generation with the others
        if "reuse" not in facets:
            facets["reuse"] = reuse_facet(snap, matches.rows, filters, request.facet_count)
    else:
        facets = {**facets, "reuse": reuse_facet(snap, matches.rows, filters, request.facet_count)}
    hits = [replace(h, reuse=passage_reuse(snap, h.passage_id, links=0)) for h in hits]  # the summary: cheap
    if request.view == "reports":
        start = (request.page - 1) * request.per_page
        reports = report_table(snap, kept, effective, filters).page(start, request.per_page)
    return SearchResponse(
        request=request,
        total=len(kept.rows),
        hits=hits,
        facets=facets,
        reports_total=report_count(snap, kept.rows),
        occurrences=int(kept.occurrences.sum()),
        reports=reports,
        notes=list(parsed.notes),
    )
