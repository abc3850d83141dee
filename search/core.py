"""The one search entry point, independent of the engine behind the index.

An engine (one module per engine, e.g. :mod:`search.whoosh_engine`) provides a :class:`Snapshot`: every
report and passage of one committed index generation, held in memory in report and passage order, plus
postings of single folded characters (candidates) and BM25 over jieba words (ranking). This module does
the rest: exact matching (candidates verified by substring containment in folded text, so a query finds
exactly what a reader scanning the text finds), filters, facet counts, ordering and snippets.
"""

from __future__ import annotations

import gc
import re
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import accumulate

import numpy as np

from search import settings
from search.analysis import fold
from search.counting import (
    CorpusText,
    Filters,
    Matches,
    RowTable,
    facet_lists,
    query_matches,
    report_count,
    report_facets,
)
from search.models import (
    DOC_TYPES,
    SECTIONS,
    FacetValue,
    Hit,
    Passage,
    Report,
    SearchRequest,
    SearchResponse,
    region_keys,
)
from search.query import And, Near, Node, Not, Or, ParsedQuery, QueryError, Term, near_occurrences, parse_query
from search.regions import IndexPlace, index_places, resolve_region
from search.report_table import report_table
from search.snippets import query_spans, snippet

SORTS: tuple[str, ...] = ("relevance", "year", "region")
"""Orders of passages (hits)."""
REPORT_SORTS: tuple[str, ...] = ("occurrences", "per_10k_chars", "passages", "chars", "year", "region", "title")
"""Orders of the report table (``view=reports``); ``relevance`` there means most occurrences first."""
VIEWS: tuple[str, ...] = ("passages", "reports")
FACET_COUNTS: tuple[str, ...] = ("passages", "reports")
ORDERS: tuple[str, ...] = ("asc", "desc")

MAX_RESULT_DEPTH = 10_000
"""How deep paging goes (page × per_page): deeper pages cost engines memory in proportion, and no reader
pages through ten thousand passages; filters narrow a result set instead."""

# Above this share of passages, a character's postings narrow nothing worth the cost of reading them.
_SCAN_SHARE = 0.5


class SearchError(ValueError):
    """A request the search cannot answer; ``param`` names the parameter at fault. ``choices`` offers what
    the parameter could have meant (an ambiguous value), each a dict with at least ``value`` and ``label``."""

    def __init__(self, param: str, message: str, choices: list[dict] | None = None, value: str | None = None) -> None:
        super().__init__(message)
        self.param = param
        self.choices = choices or []
        self.value = value  # the value at fault, when the parameter has several (one region of two)


class OldIndexError(FileNotFoundError):
    """The index on disk was written by an earlier version (another schema): to its readers, as good as no
    index at all, but it needs a rebuild rather than a first build (the CLI, API and pages say which)."""


class ResponseCache:
    """The last ``size`` responses of one snapshot, least recently used dropped first; size 0 keeps none."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[SearchRequest, SearchResponse] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, request: SearchRequest) -> SearchResponse | None:
        with self._lock:
            response = self._items.get(request)
            if response is not None:
                self._items.move_to_end(request)
            return response

    def put(self, request: SearchRequest, response: SearchResponse) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[request] = response
            self._items.move_to_end(request)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


@dataclass
class Execution:
    """What an engine found for one request: the page's rows in order, and counts over all matches."""

    total: int
    rows: list[int]
    facets: dict[str, Sequence[FacetValue]]
    scores: dict[int, float] = field(default_factory=dict)
    report_matches: dict[int, int] = field(default_factory=dict)  # page row -> matching passages in its report
    hits: list[Hit] | None = None  # the page's hits, when the engine made them (on another thread while counting)


@dataclass
class Snapshot:
    """One index generation in memory. Rows are passages in report and passage order."""

    reports: dict[str, Report]
    passages: list[Passage]
    folded: Sequence[str]  # matching form of each passage's text
    row_of: dict[str, int] = field(default_factory=dict)  # passage_id -> row
    report_rows: list[int] = field(default_factory=list)  # row -> index of its report in `reports`

    def __post_init__(self) -> None:
        self.responses = ResponseCache(settings.get_int("CACHE_SIZE"))
        self.row_of = {p.passage_id: i for i, p in enumerate(self.passages)}
        order = {rid: n for n, rid in enumerate(self.reports)}
        self.report_rows = [order[p.report_id] for p in self.passages]
        self._report_list = list(self.reports.values())

    # Per-row facet values, laid out flat so filtering and counting touch no objects. Only the in-memory
    # execution needs them, so an engine that counts natively never builds them.
    @cached_property
    def row_year(self) -> list[int | None]:
        return [self._report_list[i].year for i in self.report_rows]

    @cached_property
    def row_region_names(self) -> list[frozenset[str]]:
        names = [frozenset(r.region.names()) for r in self._report_list]
        return [names[i] for i in self.report_rows]

    @cached_property
    def row_region_keys(self) -> list[tuple[tuple[str, str, str | None], ...]]:
        keys = [region_keys(r.region) for r in self._report_list]
        return [keys[i] for i in self.report_rows]

    @cached_property
    def region_places(self) -> tuple[IndexPlace, ...]:
        """Every region of the index at each level, with its report count (what region filters resolve in)."""
        return index_places(r.region for r in self._report_list)

    @cached_property
    def row_section(self) -> list[str]:
        return [p.section for p in self.passages]

    @cached_property
    def row_doc_type(self) -> list[str]:
        return [self._report_list[i].doc_type for i in self.report_rows]

    @cached_property
    def browse_facets(self) -> dict[str, Sequence[FacetValue]]:
        """The facets of the whole index — the empty query without filters, the browse page — counted once
        per generation (:func:`ready` counts them before the first request)."""
        return self.execute(parse_query(""), SearchRequest("")).facets

    @cached_property
    def report_sizes(self) -> Counter:
        """Passages per report, by report index."""
        return Counter(self.report_rows)

    @cached_property
    def report_first_rows(self) -> list[int]:
        """The first row of each report, by report index (a report's rows are consecutive)."""
        sizes, n = self.report_sizes, len(self.reports)
        return list(accumulate((sizes[i] for i in range(n)), initial=0))[:n]

    def matches_in_reports(self, parsed: ParsedQuery, request: SearchRequest, rows: list[int]) -> dict[int, int]:
        """For each of the given matching rows, how many passages of its report match (filters included).

        A matching row's report passes the report-level filters (region, year, type), so only the section
        filter and the query are checked, in the folded text of that report's passages.
        """
        counts: dict[int, int] = {}
        sections = set(request.sections)
        for report in dict.fromkeys(self.report_rows[r] for r in rows):
            first = self.report_first_rows[report]
            own = range(first, first + self.report_sizes[report])
            kept = {r for r in own if not sections or self.passages[r].section in sections}
            counts[report] = len(matching_rows(self, parsed, kept))
        return {r: counts[self.report_rows[r]] for r in rows}

    def report_of(self, row: int) -> Report:
        return self._report_list[self.report_rows[row]]

    @cached_property
    def report_list(self) -> list[Report]:
        """The reports in index order (a report's index is its position here)."""
        return self._report_list

    @cached_property
    def row_table(self) -> RowTable:
        """Per-row and per-report attributes as arrays, for counting over every match (see search.counting)."""
        return RowTable.of(self)

    @cached_property
    def corpus_text(self) -> CorpusText:
        """Every passage's folded text in one array, for counting a term that occurs in many passages."""
        return CorpusText(list(self.folded))

    @cached_property
    def index_years(self) -> tuple[int, ...]:
        """The report years in the index, ascending."""
        return tuple(sorted({r.year for r in self._report_list if r.year}))

    def query_rows(self, parsed: ParsedQuery, limit: int) -> np.ndarray | None:
        """Rows matching the query (no filters), ascending; None when there are more than ``limit`` (the
        counting layer then finds them in the whole-corpus array instead). Engines may answer natively."""
        rows = matching_rows(self, parsed)
        return np.fromiter(sorted(rows), dtype=np.int64, count=len(rows)) if len(rows) <= limit else None

    def execute(self, parsed: ParsedQuery, request: SearchRequest) -> Execution:
        """Match, filter, count facets, order and page. Engines that can do this natively override it."""
        return execute_in_memory(self, parsed, request)

    # Engines that use the in-memory execution provide postings and ranking.
    def char_rows(self, ch: str) -> Iterable[int] | None:
        """Rows whose folded text holds ``ch``, or None when the engine has no postings to offer."""
        return None

    def char_frequency(self, ch: str) -> int:
        return len(self.passages)

    def rank(self, words: list[str], rows: set[int]) -> dict[int, float]:
        """BM25 scores of ``rows`` for the jieba ``words``; rows without any of the words may be left out."""
        return {}


class FoldedTexts(Sequence[str]):
    """Each passage's folded text, folded when first asked for and kept: a search checks a few hundred
    passages, so a one-off search (the CLI) does not fold all of them (1.8 s at 10,000 reports), and a
    server's workers fill in as they answer."""

    def __init__(self, passages: list[Passage]) -> None:
        self._passages = passages
        self._texts: list[str | None] = [None] * len(passages)

    def __len__(self) -> int:
        return len(self._texts)

    def __getitem__(self, row):  # type: ignore[override]
        text = self._texts[row]
        if text is None:
            text = self._texts[row] = fold(self._passages[row].text)
        return text

    def __iter__(self) -> Iterator[str]:
        self.fill()
        return iter(self._texts)  # type: ignore[arg-type]

    def fill(self) -> None:
        if None in self._texts:
            self._texts = [
                t if t is not None else fold(p.text) for t, p in zip(self._texts, self._passages, strict=True)
            ]


def ready(snap: Snapshot) -> Snapshot:
    """A freshly loaded snapshot made ready to serve: the browse page's facets counted, and its millions of
    objects (they live as long as the generation) exempted from the garbage collector's scans, which would
    otherwise stall a search now and then for tens of milliseconds."""
    snap.browse_facets, snap.report_first_rows, snap.row_table  # noqa: B018 - worked out now, not during a request
    snap.corpus_text  # noqa: B018 - the array terms common enough to skip the engine's rows are counted in
    gc.unfreeze()  # the generation this one replaces: collectable again once its last request is done
    gc.collect()
    gc.freeze()
    return snap


def _browse(snap: Snapshot, parsed: ParsedQuery, request: SearchRequest) -> Execution | None:
    """The empty query without filters, in passage order: every passage, facets of the whole index."""
    if not parsed.is_empty or request.group or request.sort != "relevance":
        return None
    if request.regions or request.years or request.sections or request.doc_types:
        return None
    start = (request.page - 1) * request.per_page
    rows = list(range(start, min(start + request.per_page, len(snap.passages))))
    sizes = snap.report_sizes
    return Execution(
        total=len(snap.passages),
        rows=rows,
        facets=snap.browse_facets,
        report_matches={r: sizes[snap.report_rows[r]] for r in rows},
    )


def literal_rows(snap: Snapshot, literal: str, within: set[int] | None = None) -> set[int]:
    """Rows whose folded text contains ``literal``: candidates from character postings, verified exactly."""
    folded = snap.folded
    if within is not None:
        return {r for r in within if literal in folded[r]}
    chars = sorted(set(literal), key=snap.char_frequency)
    n = len(snap.passages)
    candidates: set[int] | None = None
    for ch in chars[:3]:
        if snap.char_frequency(ch) > n * _SCAN_SHARE:
            break
        rows = snap.char_rows(ch)
        if rows is None:
            break
        candidates = set(rows) if candidates is None else candidates.intersection(rows)
        if len(candidates) < 64:
            break
    if candidates is None:
        return {r for r, text in enumerate(folded) if literal in text}
    return {r for r in candidates if literal in folded[r]}


def near_rows(snap: Snapshot, near: Near, within: set[int] | None = None) -> set[int]:
    """Rows where the proximity pair holds: candidates hold both literals, verified on their positions."""
    candidates = literal_rows(snap, near.right, literal_rows(snap, near.left, within))
    folded = snap.folded
    return {r for r in candidates if near_occurrences(folded[r], near)}


def _selectivity(node: Node) -> int:
    """An AND checks its most selective parts first: longer literals narrow more; exclusions come last."""
    if isinstance(node, Term):
        return -len(node.literal)
    if isinstance(node, Near):
        return -max(len(node.left), len(node.right))
    if isinstance(node, Not):
        return 1
    return 0


def node_rows(snap: Snapshot, node: Node, within: set[int] | None = None) -> set[int]:
    """Rows (of ``within``, or of all) that satisfy ``node``, as :meth:`ParsedQuery.matches` decides."""
    if isinstance(node, Term):
        return literal_rows(snap, node.literal, within)
    if isinstance(node, Near):
        return near_rows(snap, node, within)
    if isinstance(node, Or):
        rows: set[int] = set()
        for child in node.children:
            rows |= node_rows(snap, child, within)
        return rows
    if isinstance(node, And):
        current = within
        for child in sorted(node.children, key=_selectivity):
            current = node_rows(snap, child, current)
            if not current:
                return set()
        return set(current) if current is within else current  # type: ignore[arg-type]
    universe = set(range(len(snap.passages))) if within is None else set(within)
    return universe - node_rows(snap, node.child, universe)


def matching_rows(snap: Snapshot, parsed: ParsedQuery, within: set[int] | None = None) -> set[int]:
    """Rows (of ``within``, or of all) that satisfy the query; the empty query matches every passage."""
    if parsed.root is None:
        return set(range(len(snap.passages))) if within is None else set(within)
    return node_rows(snap, parsed.root, within)


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


def _facets(snap: Snapshot, rows: set[int], request: SearchRequest) -> dict[str, list[FacetValue]]:
    """Counts over the whole result set; a facet's own counts ignore the filter on that facet."""
    want_regions, want_years, want_sections = set(request.regions), set(request.years), set(request.sections)
    want_doc_types = set(request.doc_types)
    region_c: Counter = Counter()
    year_c: Counter = Counter()
    section_c: Counter = Counter()
    doc_type_c: Counter = Counter()
    row_year, row_section, row_names, row_keys, row_doc_type = (
        snap.row_year,
        snap.row_section,
        snap.row_region_names,
        snap.row_region_keys,
        snap.row_doc_type,
    )
    for r in rows:
        year, section, doc_type = row_year[r], row_section[r], row_doc_type[r]
        in_region = not want_regions or not want_regions.isdisjoint(row_names[r])
        in_year = not want_years or year in want_years
        in_section = not want_sections or section in want_sections
        in_doc_type = not want_doc_types or doc_type in want_doc_types
        if in_year and in_section and in_doc_type:
            region_c.update(row_keys[r])
        if in_region and in_section and in_doc_type and year is not None:
            year_c[year] += 1
        if in_region and in_year and in_doc_type:
            section_c[section] += 1
        if in_region and in_year and in_section:
            doc_type_c[doc_type] += 1
    return facet_lists(region_c, year_c, section_c, doc_type_c)


def _filtered(snap: Snapshot, rows: set[int], request: SearchRequest) -> list[int]:
    want_regions, want_years, want_sections = set(request.regions), set(request.years), set(request.sections)
    want_doc_types = set(request.doc_types)
    if not (want_regions or want_years or want_sections or want_doc_types):
        return list(rows)
    return [
        r
        for r in rows
        if (not want_regions or not want_regions.isdisjoint(snap.row_region_names[r]))
        and (not want_years or snap.row_year[r] in want_years)
        and (not want_sections or snap.row_section[r] in want_sections)
        and (not want_doc_types or snap.row_doc_type[r] in want_doc_types)
    ]


def _ordered(
    snap: Snapshot, rows: list[int], parsed: ParsedQuery, sort: str, order: str = ""
) -> tuple[list[int], dict[int, float]]:
    """Rows by relevance, or by year (newest first unless ``order=asc``) or region (A→Z unless
    ``order=desc``) with relevance breaking ties; then report and passage order."""
    words = parsed.ranking_words()
    scores = snap.rank(words, set(rows)) if words and rows else {}
    ordered = sorted(rows, key=lambda r: (-scores.get(r, 0.0), r))
    if sort == "year":  # stable sorts: ties keep relevance order, whichever the direction
        ordered.sort(key=lambda r: snap.row_year[r] or 0, reverse=order != "asc")
    elif sort == "region":
        ordered.sort(key=lambda r: snap.report_of(r).region.names(), reverse=order == "desc")
    return ordered, scores


def make_hit(snap: Snapshot, row: int, parsed: ParsedQuery, score: float = 0.0, report_matches: int = 1) -> Hit:
    passage = snap.passages[row]
    report = snap.report_of(row)
    spans, count = query_spans(passage.text, parsed)
    return Hit(
        report_id=report.report_id,
        passage_id=passage.passage_id,
        source=report.source,
        title=report.title,
        region=report.region,
        year=report.year,
        section=passage.section,
        heading=passage.heading,
        text=passage.text,
        snippet=snippet(passage.text, spans),
        url=passage.url(),
        matches=count,
        number=passage.number,
        score=score,
        report_matches=report_matches,
        doc_type=report.doc_type,
    )


def make_hits(
    snap: Snapshot, parsed: ParsedQuery, rows: list[int], scores: dict[int, float], report_matches: dict[int, int]
) -> list[Hit]:
    """The hits of a page of rows, each with its score and its report's matching passages."""
    return [make_hit(snap, r, parsed, scores.get(r, 0.0), report_matches.get(r, 1)) for r in rows]


def execute_in_memory(snap: Snapshot, parsed: ParsedQuery, request: SearchRequest) -> Execution:
    """The engine-independent execution: candidates from the engine's postings, verified in folded text."""
    rows = matching_rows(snap, parsed)
    facets = _facets(snap, rows, request)
    kept = _filtered(snap, rows, request)
    if parsed.has_positive or request.sort != "relevance":
        ordered, scores = _ordered(snap, kept, parsed, request.sort, request.order)
    else:
        ordered, scores = sorted(kept), {}
    per_report = Counter(snap.report_rows[r] for r in kept)
    if request.group:
        seen: set[int] = set()
        ordered = [r for r in ordered if not (snap.report_rows[r] in seen or seen.add(snap.report_rows[r]))]
    start = (request.page - 1) * request.per_page
    page_rows = ordered[start : start + request.per_page]
    return Execution(
        total=len(kept),
        rows=page_rows,
        facets=facets,
        scores=scores,
        report_matches={r: per_report[snap.report_rows[r]] for r in page_rows},
    )


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
            notes.append(f"region {value} → {', '.join(match.names)}")
        names.extend(match.names)
    return replace(request, regions=tuple(dict.fromkeys(names))), notes


def filtered_matches(snap: Snapshot, parsed: ParsedQuery, request: SearchRequest) -> Matches:
    """Every passage matching the query within the request's filters (years resolved), with occurrences."""
    return Filters(snap, request).keep(query_matches(snap, parsed))


def _search(snap: Snapshot, request: SearchRequest) -> SearchResponse:
    parsed = parse_request_query(request.query)
    effective = resolve_years(snap, request)
    matches = query_matches(snap, parsed)
    filters = Filters(snap, effective)
    kept = filters.keep(matches)
    hits: list[Hit] = []
    facets: dict[str, Sequence[FacetValue]] = {}
    reports = None
    if request.view == "passages" or request.facet_count == "passages":
        engine_request = effective
        if request.view == "reports":  # only the facets are wanted from the engine: the smallest page
            engine_request = replace(effective, view="passages", page=1, per_page=1, sort="relevance", order="")
        ex = _browse(snap, parsed, engine_request) or snap.execute(parsed, engine_request)
        facets = ex.facets
        if request.view == "passages":
            hits = ex.hits if ex.hits is not None else make_hits(snap, parsed, ex.rows, ex.scores, ex.report_matches)
    if request.facet_count == "reports":
        facets = report_facets(snap, matches, filters)
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
