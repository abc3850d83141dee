"""The in-memory execution, for an engine that offers postings of single folded characters and BM25 ranking
(Whoosh): candidates from the postings, verified by substring containment in each passage's folded text, so
a query finds exactly what a reader scanning the text finds; then filters, facets, ordering and paging.

:func:`matching_rows` with ``within`` only verifies given rows in folded text: any engine may use it to
check its candidates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

import numpy as np

from search.contract import Execution, Snapshot
from search.counting import Filters, passage_facets, region_columns, reuse_mask
from search.models import SECTIONS, SearchRequest
from search.query import And, Near, Node, Not, Or, ParsedQuery, Term, near_occurrences

# Above this share of passages, a character's postings narrow nothing worth the cost of reading them.
_SCAN_SHARE = 0.5


class MemorySnapshot(Snapshot):
    """A snapshot executed in memory: the engine provides character postings and ranking."""

    def char_rows(self, ch: str) -> Iterable[int] | None:
        """Rows whose folded text holds ``ch``, or None when the engine has no postings to offer."""
        return None

    def char_frequency(self, ch: str) -> int:
        return len(self.passages)

    def rank(self, words: list[str], rows: set[int]) -> dict[int, float]:
        """BM25 scores of ``rows`` for the jieba ``words``; rows without any of the words may be left out."""
        return {}

    def query_rows(self, parsed: ParsedQuery, limit: int) -> np.ndarray | None:
        rows = matching_rows(self, parsed)
        return np.fromiter(sorted(rows), dtype=np.int64, count=len(rows)) if len(rows) <= limit else None

    def execute(self, parsed: ParsedQuery, request: SearchRequest) -> Execution:
        return execute_in_memory(self, parsed, request)


def literal_rows(snap: Snapshot, literal: str, within: set[int] | None = None) -> set[int]:
    """Rows whose folded text contains ``literal``: candidates from character postings, verified exactly."""
    folded = snap.folded
    if within is not None:
        return {r for r in within if literal in folded[r]}
    chars = sorted(set(literal), key=snap.char_frequency)  # type: ignore[attr-defined]
    n = len(snap.passages)
    candidates: set[int] | None = None
    for ch in chars[:3]:
        if snap.char_frequency(ch) > n * _SCAN_SHARE:  # type: ignore[attr-defined]
            break
        rows = snap.char_rows(ch)  # type: ignore[attr-defined]
        if rows is None:
            break
        candidates = set(rows) if candidates is None else candidates.intersection(rows)
        if len(candidates) < 64:
            break
    if candidates is None:  # every passage's text is in the corpus array: find it there
        return set(snap.corpus_text.row_counts(literal)[0].tolist())
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
    """Rows (of ``within``, or of all) that satisfy the query; the empty query matches every passage.

    Without ``within`` the snapshot must offer character postings (:class:`MemorySnapshot`); with it, the
    given rows are checked in folded text only."""
    if parsed.root is None:
        return set(range(len(snap.passages))) if within is None else set(within)
    return node_rows(snap, parsed.root, within)


def verified_report_matches(
    snap: Snapshot, parsed: ParsedQuery, request: SearchRequest, rows: list[int]
) -> dict[int, int]:
    """For each of the given matching rows, how many passages of its report match (filters included), for an
    engine that does not hold every match: a matching row's report passes the report-level filters (region,
    year, type), so only the section and reuse filters and the query are checked, in the folded text of
    that report's passages."""
    counts: dict[int, int] = {}
    sections = {SECTIONS.index(s) for s in request.sections}
    status = reuse_mask(snap, request.reuse_filter) if request.reuse_filter else None
    section = snap.row_table.section
    for report in dict.fromkeys(int(snap.report_rows[r]) for r in rows):
        first = int(snap.report_first_rows[report])
        own = range(first, first + int(snap.report_sizes[report]))
        kept = {r for r in own if not sections or int(section[r]) in sections}
        if status is not None:
            kept = {r for r in kept if status[r]}
        counts[report] = len(matching_rows(snap, parsed, kept))
    return {r: counts[int(snap.report_rows[r])] for r in rows}


def order_rows(snap: Snapshot, rows: list[int], scores: dict[int, float], sort: str, order: str = "") -> list[int]:
    """Rows by score, or by year (newest first unless ``order=asc``) or region (A→Z unless ``order=desc``)
    with score breaking ties; then report and passage order."""
    ordered = sorted(rows, key=lambda r: (-scores.get(r, 0.0), r))
    if sort == "year":  # stable sorts: ties keep relevance order, whichever the direction
        year = snap.row_table.year
        ordered.sort(key=lambda r: int(year[r]), reverse=order != "asc")
    elif sort == "region":  # the rank of the region's names, read on the columns
        table = snap.row_table
        reports = table.report[np.asarray(ordered, dtype=np.int64)]
        rank = dict(zip(ordered, region_columns(snap).name_rank[table.report_region[reports]].tolist(), strict=True))
        ordered.sort(key=rank.__getitem__, reverse=order == "desc")
    return ordered


def execute_rows(
    snap: Snapshot,
    rows: np.ndarray,
    parsed: ParsedQuery,
    request: SearchRequest,
    rank: Callable[[list[int]], dict[int, float]],
) -> Execution:
    """The execution of a query whose matching ``rows`` are known (verified): filtered, facets counted in
    passages by the counting layer (:func:`search.counting.passage_facets`), ordered (``rank`` scores the
    kept rows), grouped and paged."""
    rows = np.sort(rows)  # ascending, as the filters read them (a set's rows come in any order)
    filters = Filters.of(snap, request)
    facets = passage_facets(snap, rows, filters) if request.facet_count == "passages" else {}
    kept = filters.subset(rows).tolist()
    if parsed.has_positive or request.sort != "relevance":
        scores = rank(kept)
        ordered = order_rows(snap, kept, scores, request.sort, request.order)
    else:
        ordered, scores = sorted(kept), {}
    report_rows = snap.report_rows
    per_report = Counter(int(report_rows[r]) for r in kept)
    if request.group:
        seen: set[int] = set()
        ordered = [r for r in ordered if not (report_rows[r] in seen or seen.add(report_rows[r]))]
    start = (request.page - 1) * request.per_page
    page_rows = ordered[start : start + request.per_page]
    return Execution(
        total=len(kept),
        rows=page_rows,
        facets=facets,
        scores=scores,
        report_matches={r: per_report[int(report_rows[r])] for r in page_rows},
    )


def execute_in_memory(snap: MemorySnapshot, parsed: ParsedQuery, request: SearchRequest) -> Execution:
    """The in-memory execution: candidates from the engine's postings, verified in folded text, then
    :func:`execute_rows` with the engine's own BM25 over the query's words."""
    matched = matching_rows(snap, parsed)
    rows = np.fromiter(matched, dtype=np.int64, count=len(matched))
    words = parsed.ranking_words()
    return execute_rows(snap, rows, parsed, request, lambda kept: snap.rank(words, set(kept)) if words and kept else {})
