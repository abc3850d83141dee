"""Exact counts over every match of a query, for any engine: occurrences (处), passages (段), reports (份).

A query's terms are counted in each passage's folded text, exactly as a reader scanning it would count
them (non-overlapping occurrences of each literal, summed over the query's positive literals; a proximity
pair's occurrences with a partner: :meth:`search.query.ParsedQuery.occurrences`, as
:func:`search.snippets.query_spans` counts a hit's ``matches``). Two ways to the same numbers:

* a server (a snapshot made :func:`~search.contract.ready`) holds :class:`~search.arrays.CorpusText`: every
  passage's folded text as one array of UTF-16 code units, and the positions of each unit in it, sorted by
  unit and the unit after it. A literal is found from the positions of its rarest bigram (a two-character
  literal is its own bigram), checked unit by unit, and each start's row is read from a rank table, so
  counting a term in every passage of a national collection costs a few numpy passes over that bigram's
  positions, a chunk at a time, and no Python loop; the same arrays decide which rows match (the query's
  tree evaluated as boolean masks, exactly the search's definition; a proximity pair is checked, on the
  rows holding both its literals, in their text). A query's matches are kept with the snapshot for the
  next call (:data:`MATCHES_KEPT`): the engine's execution reads them again for its facets;
* a one-off search (the CLI) with few matches has the engine hand over the matching rows
  (:meth:`Snapshot.query_rows`) and counts each passage's folded text with ``str.count``, rather than
  building the arrays for one query.

Everything above that — filters, facets counted in reports, the report table, trends, the concordance —
works on the resulting arrays (:class:`Matches`) with numpy, whatever the engine.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from search._count import and_rows, count_at, or_rows, runs_at
from search.models import (
    DOC_TYPES,
    REGION_LEVELS,
    REUSE_STATUSES,
    SECTIONS,
    FacetValue,
    Region,
    SearchRequest,
    region_keys,
)
from search.query import And, Near, Node, Not, Or, ParsedQuery, Term, near_occurrences
from search.store import ranges

if TYPE_CHECKING:
    from search.contract import Snapshot

ROWS_PATH_LIMIT = 20_000
"""Without the corpus arrays, up to this many matching passages are counted one by one; above it, the arrays
are built (as a server builds them when it loads the index)."""

PREFER_CORPUS = True
"""Count in the corpus arrays whenever they are built (tests turn this off to exercise the other path)."""


def self_overlaps(literal: str) -> bool:
    """Whether two occurrences of ``literal`` can overlap (``"哈哈"`` in ``"哈哈哈"``): then the array's
    count of every start must be cut back to non-overlapping occurrences.

    >>> self_overlaps("哈哈"), self_overlaps("法治"), self_overlaps("abcab")
    (True, False, True)
    """
    return any(literal[k:] == literal[: len(literal) - k] for k in range(1, len(literal)))


@dataclass
class Matches:
    """Every passage matching a query (no filters applied): rows ascending, and occurrences in each."""

    rows: np.ndarray  # int64, ascending
    occurrences: np.ndarray  # int64, per entry of rows


FILTERS_KEPT = 2
"""The last requests' :class:`Filters` kept with a snapshot (:meth:`Filters.of`): masks over reports, and
what passed of the last matches asked about."""

MATCHES_KEPT = 2
"""The last queries' matches kept with a snapshot: a search counts its query's matches, then the engine's
execution reads them again (facets, totals) rather than walking every match a second time. Two, not more:
at 100,000 reports `法治`'s are 1.4 million rows and their counts, 22 MB."""


def forget_matches(snap: Snapshot) -> None:
    """Drop the matches kept with ``snap`` (:data:`MATCHES_KEPT`): the next search of any query counts its
    matches afresh, as a query never asked before does (what a benchmark of repeated searches must time)."""
    vars(snap).pop("_query_matches", None)
    vars(snap).pop("_request_filters", None)  # what passed of the matches, with them


def query_matches(snap: Snapshot, parsed: ParsedQuery, rows_limit: int | None = None) -> Matches:
    """Every passage matching ``parsed`` with its occurrences (处, :meth:`ParsedQuery.occurrences`). The arrays
    are read-only: the same object answers the next call with the same query on the same snapshot."""
    rows = None
    if not PREFER_CORPUS or "corpus_text" not in vars(snap):  # no arrays yet (a one-off search): rows, if few
        rows = snap.query_rows(parsed, ROWS_PATH_LIMIT if rows_limit is None else rows_limit)
    if rows is not None:
        folded = snap.folded
        occ = np.fromiter((parsed.count(folded[r]) for r in rows.tolist()), dtype=np.int64, count=len(rows))
        return Matches(rows, occ)
    if parsed.root is None:  # every row: made in a moment, and not worth keeping (34 MB at 100,000 reports)
        return _corpus_matches(snap, parsed)
    kept = vars(snap).setdefault("_query_matches", {})
    found = kept.get(parsed)
    if found is None:
        found = _corpus_matches(snap, parsed)
        found.rows.flags.writeable = found.occurrences.flags.writeable = False
        if len(kept) >= MATCHES_KEPT:
            kept.clear()
        kept[parsed] = found
    return found


def literal_rows(snap: Snapshot, literal: str) -> tuple[np.ndarray, np.ndarray]:
    """The rows holding ``literal`` (ascending) and its occurrences in each, as a reader counts them, from the
    corpus arrays: every start of the literal, cut back to non-overlapping occurrences where two can overlap."""
    rows, counts = snap.corpus_text.row_counts(literal)
    if self_overlaps(literal):  # starts that overlap an earlier occurrence are not occurrences
        folded = snap.folded
        counts = np.fromiter((folded[r].count(literal) for r in rows.tolist()), dtype=np.int64, count=len(rows))
    return rows, counts


def _corpus_matches(snap: Snapshot, parsed: ParsedQuery) -> Matches:
    corpus = snap.corpus_text
    if parsed.root is None:
        return Matches(np.arange(corpus.rows, dtype=np.int64), np.zeros(corpus.rows, dtype=np.int64))
    if isinstance(parsed.root, Term):  # one literal (the commonest query): its rows and counts are the answer
        return Matches(*literal_rows(snap, parsed.root.literal))
    terms = terms_of_and(parsed.root)
    if terms is not None and not parsed.has_proximity:  # the commonest shape after one term: a merge of rows
        required = sorted((literal_rows(snap, lit) for lit in terms[0]), key=lambda found: len(found[0]))
        without = [literal_rows(snap, lit)[0] for lit in terms[1]]
        rows, occ = np.empty((2, len(required[0][0])), dtype=np.int64)
        n = and_rows([r for r, _ in required], [c for _, c in required], without, rows, occ)
        return Matches(rows[:n], occ[:n])
    either = terms_of_or(parsed.root)
    if either is not None:  # an OR of terms: a merge too (the masks below cost a pass over every row)
        found = [literal_rows(snap, lit) for lit in either]
        rows, occ = np.empty((2, sum(len(r) for r, _ in found)), dtype=np.int64)
        n = or_rows([r for r, _ in found], [c for _, c in found], rows, occ)
        return Matches(rows[:n].copy(), occ[:n].copy())
    held: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def rows_of(lit: str) -> tuple[np.ndarray, np.ndarray]:
        if lit not in held:
            held[lit] = literal_rows(snap, lit)
        return held[lit]

    def holds(lit: str) -> np.ndarray:  # a byte per row, not a count: the tree needs only whether
        out = np.zeros(corpus.rows, dtype=bool)
        out[rows_of(lit)[0]] = True
        return out

    def mask(node: Node) -> np.ndarray:
        if isinstance(node, Term):
            return holds(node.literal)
        if isinstance(node, Near):  # candidates hold both literals; the pair is checked on their positions
            both = holds(node.left)
            both &= holds(node.right)
            folded = snap.folded
            for r in np.flatnonzero(both).tolist():
                both[r] = bool(near_occurrences(folded[r], node))
            return both
        if isinstance(node, And):
            return np.logical_and.reduce([mask(c) for c in node.children])
        if isinstance(node, Or):
            return np.logical_or.reduce([mask(c) for c in node.children])
        return ~mask(node.child)

    matching = mask(parsed.root)
    rows = np.flatnonzero(matching).astype(np.int64)
    if parsed.has_proximity:  # a pair counts only the occurrences with a partner: counted passage by passage
        folded = snap.folded
        occ = np.fromiter((parsed.count(folded[r]) for r in rows.tolist()), dtype=np.int64, count=len(rows))
        return Matches(rows, occ)
    occ = np.zeros(len(rows), dtype=np.int64)
    total = None  # by row, for the literals some matching rows lack
    required = required_literals(parsed.root)
    for lit in parsed.highlight_literals():  # each row once per literal
        lit_rows, per_row = rows_of(lit)
        if lit in required:  # every matching row is among its rows, in the same order
            occ += per_row[matching[lit_rows]]
            continue
        if total is None:
            total = np.zeros(corpus.rows, dtype=np.int64)
        total[lit_rows] += per_row
    if total is not None:
        occ += total[rows]
    return Matches(rows, occ)


def required_literals(root: Node) -> set[str]:
    """The literals every match holds: the root's, or those of the root's terms when it is an AND.

    >>> from search.query import parse_query
    >>> sorted(required_literals(parse_query("行政执法 监督 -诉讼 (复议 OR 诉讼)").root))
    ['监督', '行政执法']
    """
    if isinstance(root, Term):
        return {root.literal}
    return {c.literal for c in root.children if isinstance(c, Term)} if isinstance(root, And) else set()


def terms_of_and(root: Node) -> tuple[list[str], list[str]] | None:
    """An AND of terms and excluded terms as its literals, required (each once) and excluded; None for any
    other query (a term alone, an OR, a proximity pair, an AND with either inside).

    >>> from search.query import parse_query
    >>> terms_of_and(parse_query("行政执法 监督 -诉讼 监督").root)
    (['行政执法', '监督'], ['诉讼'])
    >>> terms_of_and(parse_query("行政执法 (复议 OR 诉讼)").root) is None
    True
    """
    if not isinstance(root, And):
        return None
    required: list[str] = []
    excluded: list[str] = []
    for child in root.children:
        if isinstance(child, Term):
            required.append(child.literal)
        elif isinstance(child, Not) and isinstance(child.child, Term):
            excluded.append(child.child.literal)
        else:
            return None
    return (list(dict.fromkeys(required)), excluded) if required else None


def terms_of_or(root: Node) -> list[str] | None:
    """An OR of terms as its literals (each once); None for any other query.

    >>> from search.query import parse_query
    >>> terms_of_or(parse_query("枫桥经验 OR 首违不罚 OR 枫桥经验").root)
    ['枫桥经验', '首违不罚']
    >>> terms_of_or(parse_query("枫桥经验 OR (首违 不罚)").root) is None
    True
    """
    if not isinstance(root, Or) or not all(isinstance(child, Term) for child in root.children):
        return None
    return list(dict.fromkeys(child.literal for child in root.children))  # type: ignore[attr-defined]


class RegionColumns:
    """What the views need of a generation's distinct regions (``snap.region_list``, a few thousand at most),
    by region number (``row_table.report_region``): a request reads them for every report by indexing."""

    def __init__(self, regions: list[Region]) -> None:
        self.names = [r.names() for r in regions]
        self.keys = [region_keys(r) for r in regions]  # (level, name, parent) at every level it reaches
        rank = np.zeros(len(regions), dtype=np.int64)  # equal names (codes apart) share a rank
        for k in range(1, len(regions)):
            rank[k] = rank[k - 1] + (self.names[k] != self.names[k - 1])
        self.name_rank = rank

    def reaching(self, names: Iterable[str]) -> np.ndarray:
        """By region number: whether the region is, or lies within, one of ``names`` (full names)."""
        wanted = set(names)
        return np.fromiter((not wanted.isdisjoint(n) for n in self.names), dtype=bool, count=len(self.names))


def region_columns(snap: Snapshot) -> RegionColumns:
    """The snapshot's :class:`RegionColumns`, worked out at its first use and kept with it (a generation's
    regions never change)."""
    found = vars(snap).get("_views_region_columns")
    if found is None:
        found = vars(snap)["_views_region_columns"] = RegionColumns(snap.region_list)
    return found


FACETS: tuple[str, ...] = ("region", "year", "section", "doc_type", "reuse")


def reuse_mask(snap: Snapshot, status: str) -> np.ndarray:
    """Rows (bool, by row) whose reuse status is ``status`` (one of REUSE_STATUSES), from the generation's
    reuse data: a row mask, since a passage's status changes when reports are added, not an engine field."""
    shared = np.asarray(snap.reuse.shared_rows(), dtype=bool)
    return shared if status == "shared" else ~shared


RUNS_PER_ROW = 64
"""The report filters' runs of kept reports are found in a search's rows by binary search when there are at
most one per this many rows (:meth:`Filters.passing_at`: two binary searches cost about 200 ns at 100,000
reports, reading a row's report about 3); otherwise every row's report is read."""


class Filters:
    """A request's filters as masks: over reports (region, year, document type), over sections, and over
    rows (the reuse status)."""

    def __init__(self, snap: Snapshot, request: SearchRequest) -> None:
        table = snap.row_table
        self.table = table
        self.report_masks: dict[str, np.ndarray] = {}
        if request.regions:  # decided per distinct region (a few thousand), then read for every report
            self.report_masks["region"] = region_columns(snap).reaching(request.regions)[table.report_region]
        if request.years:
            self.report_masks["year"] = np.isin(table.report_year, list(request.years))
        if request.doc_types:
            codes = [DOC_TYPES.index(d) for d in request.doc_types if d in DOC_TYPES]
            self.report_masks["doc_type"] = np.isin(table.report_doc_type, codes)
        self.sections: np.ndarray | None = None
        if request.sections:
            self.sections = np.isin(np.arange(len(SECTIONS)), [SECTIONS.index(s) for s in request.sections])
        self.row_masks: dict[str, np.ndarray] = {}
        if request.reuse_filter:
            self.row_masks["reuse"] = reuse_mask(snap, request.reuse_filter)
        self.report_first_row = snap.store.report_first_row  # a report's rows are consecutive: its first, and the end
        self._last: tuple[np.ndarray, str | None, np.ndarray] | None = None  # rows, skip, what passed
        self._last_at: tuple[np.ndarray, str | None, np.ndarray] | None = None  # rows, skip, where those passing are

    @classmethod
    def of(cls, snap: Snapshot, request: SearchRequest) -> Filters:
        """The filters of ``request`` (years resolved) on ``snap``, kept with it for the next call of the same
        request (:data:`FILTERS_KEPT`): the entry point keeps the matches that pass them, the engine's execution
        keeps them again and counts the reuse facet, and each asks the same of the same matches."""
        kept = vars(snap).setdefault("_request_filters", {})
        found = kept.get(request)
        if found is None:
            found = cls(snap, request)
            if len(kept) >= FILTERS_KEPT:
                kept.clear()
            kept[request] = found
        return found

    def reports(self, skip: str | None = None) -> np.ndarray:
        """Reports passing the report-level filters (but ``skip``'s)."""
        mask = np.ones(len(self.table.report_year), dtype=bool)
        for name, m in self.report_masks.items():
            if name != skip:
                mask &= m
        return mask

    def _named(self) -> list[str]:
        return [*self.report_masks, *self.row_masks, *(["section"] if self.sections is not None else [])]

    def narrows(self, skip: str | None = None) -> bool:
        """Whether any filter but ``skip``'s applies (without one, every row passes)."""
        return any(name != skip for name in self._named())

    def rows(self, rows: np.ndarray, skip: str | None = None) -> np.ndarray:
        """Which of ``rows`` pass every filter but ``skip``'s (read-only: the answer for the last ``rows`` asked
        about is kept, since a search asks it of its matches up to three times)."""
        if not self.narrows(skip):
            return np.ones(len(rows), dtype=bool)
        if skip not in self._named():
            skip = None  # skipping a filter the request does not have
        last = self._last
        if last is not None and last[0] is rows and last[1] == skip:
            return last[2]
        keep = self.reports(skip)[self.table.report[rows]]
        if self.sections is not None and skip != "section":
            keep &= self.sections[self.table.section[rows]]
        for name, m in self.row_masks.items():
            if name != skip:
                keep &= m[rows]
        keep.flags.writeable = False
        self._last = (rows, skip, keep)
        return keep

    def passing_at(self, rows: np.ndarray, skip: str | None = None) -> np.ndarray:
        """Where in ``rows`` (ascending) those passing every filter but ``skip``'s are, ascending (read-only,
        and kept for the last ``rows`` asked about, as :meth:`rows` keeps its answer).

        The report filters keep whole reports, whose rows are consecutive: where few runs of kept reports stand
        among many rows (a year among a million matches of 法治), each run's matches are found by two binary
        searches, and only the rows kept are read again for the section and row filters; otherwise one pass
        over every row reads its report's mask."""
        if skip not in self._named():
            skip = None
        last = self._last_at
        if last is not None and last[0] is rows and last[1] == skip:
            return last[2]
        at = None
        if any(name != skip for name in self.report_masks):
            kept = np.flatnonzero(self.reports(skip))
            ends = np.flatnonzero(np.diff(kept) != 1)  # the last report of each run of consecutive kept reports
            if not len(kept):
                at = np.zeros(0, dtype=np.int64)
            elif (len(ends) + 1) * RUNS_PER_ROW <= len(rows):
                first = kept[np.concatenate(([0], ends + 1))]
                end = kept[np.concatenate((ends, [len(kept) - 1]))] + 1
                lo = np.searchsorted(rows, self.report_first_row[first])
                hi = np.searchsorted(rows, self.report_first_row[end])
                at = ranges(hi - lo) + np.repeat(lo, hi - lo)
        if at is None:
            at = np.flatnonzero(self.rows(rows, skip)) if self.narrows(skip) else np.arange(len(rows))
        else:
            if self.sections is not None and skip != "section":
                at = at[self.sections[self.table.section[rows[at]]]]
            for name, m in self.row_masks.items():
                if name != skip:
                    at = at[m[rows[at]]]
        at.flags.writeable = False
        self._last_at = (rows, skip, at)
        return at

    def subset(self, rows: np.ndarray, skip: str | None = None) -> np.ndarray:
        """Those of ``rows`` (ascending) that pass every filter but ``skip``'s: ``rows`` itself when none applies
        (the commonest search has no filter, and its matches can be millions of rows)."""
        return rows[self.passing_at(rows, skip)] if self.narrows(skip) else rows

    def keep(self, matches: Matches) -> Matches:
        """The matches that pass every filter (``matches`` itself when no filter applies)."""
        if not self.narrows():
            return matches
        at = self.passing_at(matches.rows)
        return Matches(matches.rows[at], matches.occurrences[at])

    def section_chars(self) -> np.ndarray:
        """Characters of each report within the section filter."""
        chars = self.table.report_section_chars
        return chars[:, self.sections].sum(axis=1) if self.sections is not None else chars.sum(axis=1)


def report_count(snap: Snapshot, rows: np.ndarray) -> int:
    """Distinct reports among ``rows`` (份): ascending rows (as :class:`Matches` holds them) are each report's
    rows together, so its reports are counted where the report changes, without sorting them again."""
    return runs_at(rows, snap.row_table.report)


def distinct_ascending(values: np.ndarray) -> np.ndarray:
    """The distinct values of an array, ascending: one pass when it is ascending already (a report per row of
    ascending rows), else :func:`numpy.unique`.

    >>> distinct_ascending(np.array([3, 3, 5, 9, 9])).tolist(), distinct_ascending(np.array([2, 1, 2])).tolist()
    ([3, 5, 9], [1, 2])
    """
    if len(values) < 2:
        return np.asarray(values)
    step = np.diff(values)
    if not bool((step >= 0).all()):
        return np.unique(values)
    return values[np.concatenate(([True], step != 0))]


def region_values(region_c: Counter) -> list[FacetValue]:
    """The region facet from counts per (level, name, parent), in the order every engine shows it: by level,
    then count, then name. Zero counts are left out."""
    level_rank = {level: n for n, level in enumerate(REGION_LEVELS)}
    ordered = sorted(region_c.items(), key=lambda kv: (level_rank[kv[0][0]], -kv[1], kv[0][1]))
    return [FacetValue(value=name, count=n, level=level, parent=parent) for (level, name, parent), n in ordered]


def facet_lists(
    region: Sequence[FacetValue], year_c: Counter, section_c: Counter, doc_type_c: Counter
) -> dict[str, Sequence[FacetValue]]:
    """The facets, the region's as given (:meth:`Snapshot.region_facet`), the others from their counts in the
    order every engine shows them: years newest first; sections and document types in their canonical order.
    Zero counts are left out."""
    return {
        "region": region,
        "year": [FacetValue(value=y, count=n) for y, n in sorted(year_c.items(), reverse=True) if y],
        "section": [FacetValue(value=s, count=section_c[s]) for s in SECTIONS if section_c[s]],
        "doc_type": [FacetValue(value=d, count=doc_type_c[d]) for d in DOC_TYPES if doc_type_c[d]],
    }


def region_counts(snap: Snapshot, per_report: np.ndarray) -> Counter:
    """Counts per report index spread to each report's regions at every level (province, prefecture, county):
    summed per distinct region first, then spread over its levels. Regions are taken in the order of their first
    counted report, so that the facet's ties (two 城区 with equal counts) keep the order of a walk of the reports."""
    regions = region_columns(snap)
    number = snap.row_table.report_region
    counted = np.flatnonzero(per_report)
    per_region = np.bincount(number[counted], weights=per_report[counted], minlength=len(regions.keys))
    present, first = np.unique(number[counted], return_index=True)
    region_c: Counter = Counter()
    for k in present[np.argsort(first, kind="stable")].tolist():
        n = int(per_region[k])
        for key in regions.keys[k]:
            region_c[key] += n
    return region_c


def passage_facets(snap: Snapshot, rows: np.ndarray, filters: Filters) -> dict[str, Sequence[FacetValue]]:
    """Facets counted in passages (段) over the matching ``rows`` (ascending, no filter applied): for each
    value, the matching passages there that pass every other facet's filter (a facet ignores its own)."""
    table = filters.table

    def kept(skip: str) -> np.ndarray:
        return filters.subset(rows, skip)

    region = snap.region_facet(np.bincount(table.report[kept("region")], minlength=len(table.report_year)))
    years = table.year[kept("year")]
    year_c = Counter(dict(zip(*(a.tolist() for a in np.unique(years[years > 0], return_counts=True)), strict=True)))
    by_section = np.bincount(table.section[kept("section")], minlength=len(SECTIONS)).tolist()
    section_c = Counter({s: n for s, n in zip(SECTIONS, by_section, strict=True) if n})
    by_type = np.bincount(table.report_doc_type[table.report[kept("doc_type")]], minlength=len(DOC_TYPES)).tolist()
    doc_type_c = Counter({d: n for d, n in zip(DOC_TYPES, by_type, strict=True) if n})
    return facet_lists(region, year_c, section_c, doc_type_c)


def row_cells(snap: Snapshot) -> np.ndarray:
    """Each row's (report, section) cell number, ``report * len(SECTIONS) + section`` (int32: 4 bytes a passage,
    8.5 MB at 100,000 reports), so that counting matches per cell reads one array (:func:`count_at`). Worked out
    at its first use and kept with the snapshot."""
    found = vars(snap).get("_views_row_cells")
    if found is None:
        table = snap.row_table
        found = (table.report * len(SECTIONS) + table.section).astype(np.int32)
        found.flags.writeable = False
        vars(snap)["_views_row_cells"] = found
    return found


def within_reuse(rows: np.ndarray, filters: Filters) -> np.ndarray:
    """The ``rows`` the reuse filter keeps (a row filter: it narrows every facet); all of them without one."""
    reuse = filters.row_masks.get("reuse")
    return rows if reuse is None else rows[reuse[rows]]


def match_cells(snap: Snapshot, rows: np.ndarray, filters: Filters) -> np.ndarray:
    """Matching ``rows`` per report and section (reports × sections), within the reuse filter
    (:func:`within_reuse`), counted in one pass over the rows (:func:`row_cells`)."""
    rows = within_reuse(rows, filters)
    cells = np.zeros(len(snap.row_table.report_year) * len(SECTIONS), dtype=np.int64)
    count_at(rows, row_cells(snap), cells)
    return cells.reshape(-1, len(SECTIONS))


def report_facets(snap: Snapshot, matches: Matches, filters: Filters) -> dict[str, Sequence[FacetValue]]:
    """Facets counted in reports (份): for each value, the distinct reports with a matching passage there,
    each facet ignoring its own filter, as passage counts do. The matches (within the reuse filter, a row
    filter that narrows every facet) are counted once into (report, section) cells; every facet is then worked
    out over the cells, not the matches (the pages count their facets in reports: over a million matches of
    `法治` at 100,000 reports)."""
    table = filters.table
    held = match_cells(snap, matches.rows, filters) > 0
    in_sections = held.any(axis=1) if filters.sections is None else held[:, filters.sections].any(axis=1)

    def reports(skip: str) -> np.ndarray:
        return in_sections & filters.reports(skip)

    region = snap.region_facet(reports("region").astype(np.int64))
    years, year_n = np.unique(table.report_year[reports("year")], return_counts=True)
    year_c = Counter(dict(zip(years.tolist(), year_n.tolist(), strict=True)))
    by_type = np.bincount(table.report_doc_type[reports("doc_type")], minlength=len(DOC_TYPES))
    doc_c = Counter({d: n for d, n in zip(DOC_TYPES, by_type.tolist(), strict=True) if n})
    by_section = np.count_nonzero(held & filters.reports()[:, None], axis=0)
    section_c = Counter({s: n for s, n in zip(SECTIONS, by_section.tolist(), strict=True) if n})
    return facet_lists(region, year_c, section_c, doc_c)


def reuse_facet(snap: Snapshot, rows: np.ndarray, filters: Filters, unit: str) -> list[FacetValue]:
    """The reuse facet over the matching ``rows`` (no filter applied), ignoring its own filter as every facet
    does: passages (``unit="passages"``, 段) or distinct reports (份) with an original / a shared matching
    passage. Zero counts are left out, as in every facet."""
    kept = filters.subset(rows, "reuse")
    shared = reuse_mask(snap, "shared")[kept]
    if unit == "reports":  # a report's kept passages and its shared ones, counted per report in two passes
        per_report, shared_per_report = (np.zeros(len(filters.table.report_year), dtype=np.int64) for _ in "ab")
        count_at(kept, filters.table.report, per_report)
        count_at(kept[shared], filters.table.report, shared_per_report)
        counts = {
            "original": int(np.count_nonzero(per_report > shared_per_report)),
            "shared": int(np.count_nonzero(shared_per_report)),
        }
    else:
        n_shared = int(shared.sum())
        counts = {"original": len(kept) - n_shared, "shared": n_shared}
    return [FacetValue(value=s, count=counts[s]) for s in REUSE_STATUSES if counts[s]]


def match_order(snap: Snapshot, kept: Matches, sort: str, order: str) -> np.ndarray:
    """Positions into ``kept`` ordered by year (newest first unless ``order=asc``), region (A→Z unless
    ``order=desc``) or, for any other sort, report and passage order (reversed by ``order=desc``); ties keep
    report and passage order. Exports of hits and the concordance list their rows so."""
    n = len(kept.rows)
    if sort == "year":
        years = snap.row_table.year[kept.rows]
        return np.lexsort((np.arange(n), years if order == "asc" else -years))
    if sort == "region":  # by the rank of the region's names; ties (equal names) keep report and passage order
        table = snap.row_table
        ranks = region_columns(snap).name_rank[table.report_region[table.report[kept.rows]]]
        return np.lexsort((np.arange(n), -ranks if order == "desc" else ranks))
    return np.arange(n)[::-1] if order == "desc" else np.arange(n)
