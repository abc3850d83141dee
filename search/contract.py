"""The engine contract: what every engine answers, whatever it runs on.

An engine (one module per engine, registered in :mod:`search.engines`) hands out a :class:`Snapshot`: one
committed index generation. The entry point (:func:`search.core.search`) and the counting layer
(:mod:`search.counting`) ask it for

* the matches of a query with exact totals, facet counts and the page's rows in order (:meth:`Snapshot.execute`
  returning an :class:`Execution`);
* the rows matching a query, for counting over every match (:meth:`Snapshot.query_rows`);
* reports and passages by id (:meth:`Snapshot.report`, :meth:`Snapshot.passage`) and by row.

Rows are passages in report and passage order. Every engine today holds its generation's reports and
passages in memory; their folded text and the counting arrays are mapped from the index when the generation
has them (:meth:`Snapshot.use_arrays`); how an engine finds matches is its own business (the in-memory
execution of :mod:`search.memory` is one way). This module imports no engine and not the entry point:
arrows run entry point → contract ← engines.
"""

from __future__ import annotations

import gc
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import accumulate

import numpy as np

from search.analysis import fold
from search.arrays import CorpusText, GenerationArrays, MappedFolded, RowTable, distinct_regions
from search.models import FacetValue, Hit, Passage, Region, Report, SearchRequest, SearchResponse, region_keys
from search.query import ParsedQuery, parse_query
from search.regions import IndexPlace, index_places
from search.reuse import ReuseIndex, load_reuse, reuse_folder_of_arrays
from search.snippets import query_spans, snippet


class OldIndexError(FileNotFoundError):
    """The index on disk was written by an earlier version (another schema): to its readers, as good as no
    index at all, but it needs a rebuild rather than a first build (the CLI, API and pages say which)."""


def no_index(index_dir) -> FileNotFoundError:
    """What every engine raises when the folder holds no index."""
    return FileNotFoundError(f"no index in {index_dir}: build one with `fazhi index CORPUS_DIR`")


def index_busy(index_dir) -> BlockingIOError:
    """What every engine's writer raises when another process is writing the index."""
    return BlockingIOError(f"another process is writing the index in {index_dir}; try again when it is done")


@dataclass
class Execution:
    """What an engine found for one request: the page's rows in order, and counts over all matches."""

    total: int
    rows: list[int]
    facets: dict[str, Sequence[FacetValue]]
    scores: dict[int, float] = field(default_factory=dict)
    report_matches: dict[int, int] = field(default_factory=dict)  # page row -> matching passages in its report
    hits: list[Hit] | None = None  # the page's hits, when the engine made them (on another thread while counting)


class ResponseCache:
    """The last ``size`` responses of one snapshot, least recently used dropped first; size 0 keeps none.

    A generation never changes, so the entry point keeps its answers here (setting ``FAZHI_CACHE_SIZE``)."""

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
class Snapshot:
    """One index generation. Rows are passages in report and passage order.

    An engine subclasses it and answers :meth:`execute` and :meth:`query_rows`; everything else here is
    worked out from the reports and passages the engine loaded. ``cache_size`` is the number of responses
    the entry point keeps for this generation (the engine is opened with it: ``open_engine(..., cache_size=)``).
    """

    reports: dict[str, Report]
    passages: list[Passage]
    folded: Sequence[str]  # matching form of each passage's text
    row_of: dict[str, int] = field(default_factory=dict)  # passage_id -> row
    report_rows: list[int] = field(default_factory=list)  # row -> index of its report in `reports`
    cache_size: int = 0

    def __post_init__(self) -> None:
        self.row_of = {p.passage_id: i for i, p in enumerate(self.passages)}
        order = {rid: n for n, rid in enumerate(self.reports)}
        self.report_rows = [order[p.report_id] for p in self.passages]
        self._report_list = list(self.reports.values())

    # What an engine must answer.
    def execute(self, parsed: ParsedQuery, request: SearchRequest) -> Execution:
        """Match, filter, count facets (each ignoring its own filter), order and page."""
        raise NotImplementedError

    def query_rows(self, parsed: ParsedQuery, limit: int) -> np.ndarray | None:
        """Rows matching the query (no filters), ascending; None when there are more than ``limit`` (the
        counting layer then finds them in the whole-corpus array instead)."""
        raise NotImplementedError

    # Reports and passages by id and by row.
    def report(self, report_id: str) -> Report | None:
        """The report with this id, or None."""
        return self.reports.get(report_id)

    def passage(self, passage_id: str) -> tuple[Report, Passage] | None:
        """The passage with this id and its report, or None."""
        row = self.row_of.get(passage_id)
        if row is None:
            return None
        return self.report_of(row), self.passages[row]

    @property
    def passage_count(self) -> int:
        """Passages in the generation (rows)."""
        return len(self.passages)

    def use_arrays(self, arrays: GenerationArrays | None) -> bool:
        """Count and verify in the generation's arrays as the index holds them (memory-mapped): the folded
        text is then read from the corpus array, and nothing is built. Arrays that are missing (an index of
        an earlier version) or that do not fit this generation's rows are not used: the snapshot builds its
        own in memory, as before. Returns whether they are used."""
        if arrays is None or not arrays.fits(self.passages, self.report_rows):
            return False
        self.arrays_folder = arrays.folder
        self.reuse = self._load_reuse()  # type: ignore[misc] - mapped now, while the generation's folder is there
        self.corpus_text = arrays.corpus  # type: ignore[misc] - set once, in place of building it
        self.row_table = arrays.table  # type: ignore[misc]
        self.folded = MappedFolded(arrays.corpus)
        return True

    def report_of(self, row: int) -> Report:
        return self._report_list[self.report_rows[row]]

    @cached_property
    def report_list(self) -> list[Report]:
        """The reports in index order (a report's index is its position here)."""
        return self._report_list

    @cached_property
    def responses(self) -> ResponseCache:
        """The entry point's answers for this generation."""
        return ResponseCache(self.cache_size)

    # Worked out once per generation from the reports and passages.
    @cached_property
    def region_places(self) -> tuple[IndexPlace, ...]:
        """Every region of the index at each level, with its report count (what region filters resolve in)."""
        return index_places(r.region for r in self._report_list)

    @cached_property
    def report_region_keys(self) -> list[tuple[tuple[str, str, str | None], ...]]:
        """Each report's region facet keys (level, name, parent), by report index."""
        return [region_keys(r.region) for r in self._report_list]

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

    @cached_property
    def row_table(self) -> RowTable:
        """Per-row and per-report attributes as arrays, for counting over every match (see search.counting)."""
        return RowTable.of(self._report_list, self.passages, self.report_rows)

    @cached_property
    def region_list(self) -> list[Region]:
        """The generation's distinct regions, numbered as ``row_table.report_region`` numbers them (in the order
        of their names): a report's region is ``region_list[row_table.report_region[report index]]``."""
        return distinct_regions(self._report_list)

    @cached_property
    def corpus_text(self) -> CorpusText:
        """Every passage's folded text in one array, for counting a term that occurs in many passages."""
        return CorpusText(list(self.folded))

    @cached_property
    def reuse(self) -> ReuseIndex:
        """The generation's text reuse (search.reuse), mapped from the folder beside its arrays (when the arrays
        are used, at once: a later commit removes the folder); nothing shared for an index written without it."""
        return self._load_reuse()

    def _load_reuse(self) -> ReuseIndex:
        folder = getattr(self, "arrays_folder", None)
        found = load_reuse(reuse_folder_of_arrays(folder)) if folder is not None else None
        if found is None or found.rows != self.passage_count or len(found.a["report_id"]) != len(self.reports):
            return ReuseIndex.empty(self.passage_count, len(self.reports))
        return found

    @cached_property
    def index_years(self) -> tuple[int, ...]:
        """The report years in the index, ascending."""
        return tuple(sorted({r.year for r in self._report_list if r.year}))


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


def ready(snap: Snapshot, cache_size: int = 0) -> Snapshot:
    """A freshly loaded snapshot made ready to serve: its response cache sized, the browse page's facets
    counted, and its millions of objects (they live as long as the generation) exempted from the garbage
    collector's scans, which would otherwise stall a search now and then for tens of milliseconds."""
    snap.cache_size = cache_size
    snap.responses, snap.browse_facets, snap.report_first_rows, snap.row_table  # noqa: B018 - worked out now
    snap.corpus_text  # noqa: B018 - the array terms common enough to skip the engine's rows are counted in
    gc.unfreeze()  # the generation this one replaces: collectable again once its last request is done
    gc.collect()
    gc.freeze()
    return snap


def make_hit(snap: Snapshot, row: int, parsed: ParsedQuery, score: float = 0.0, report_matches: int = 1) -> Hit:
    """The hit of one row: the passage, its report's metadata, its snippet and its occurrences."""
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
