"""The engine contract: what every engine answers, whatever it runs on.

An engine (one module per engine, registered in :mod:`search.engines`) hands out a :class:`Snapshot`: one
committed index generation. The entry point (:func:`search.core.search`) and the counting layer
(:mod:`search.counting`) ask it for

* the matches of a query with exact totals, facet counts and the page's rows in order (:meth:`Snapshot.execute`
  returning an :class:`Execution`);
* the rows matching a query, for counting over every match (:meth:`Snapshot.query_rows`);
* reports and passages by id (:meth:`Snapshot.report`, :meth:`Snapshot.passage`) and by row.

Rows are passages in report and passage order. No engine holds its generation's reports and passages in
memory: they are read from the generation's store (:mod:`search.store`), mapped from the index with the
counting arrays and the folded text (:func:`search.arrays.load_arrays`), one at a time when asked for; how an
engine finds matches is its own business (the in-memory execution of :mod:`search.memory` is one way).
This module imports no engine and not the entry point: arrows run entry point → contract ← engines.
"""

from __future__ import annotations

import gc
import threading
from collections import OrderedDict
from collections.abc import ItemsView, Iterator, Mapping, Sequence, ValuesView
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from search.arrays import GenerationArrays, MappedFolded
from search.counting import region_counts, region_values
from search.models import FacetValue, Hit, Passage, Region, Report, SearchRequest, SearchResponse, region_keys
from search.query import ParsedQuery, parse_query
from search.regions import IndexPlace, index_places
from search.reuse import ReuseIndex, load_reuse, reuse_folder_of_arrays
from search.snippets import query_spans, snippet
from search.store import Store


class OldIndexError(FileNotFoundError):
    """The index on disk was written by an earlier version (another schema): to its readers, as good as no
    index at all, but it needs a rebuild rather than a first build (the CLI, API and pages say which)."""


class EngineUnavailable(FileNotFoundError):
    """The engine's servers cannot answer (a node of a search cluster is down): to a reader, no index for now
    (the site answers 503 and names the node), not a failure of the request."""


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


class PassageList(Sequence[Passage]):
    """The generation's passages by row, each built from the store when asked for (and not kept)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __len__(self) -> int:
        return self._store.rows

    def __getitem__(self, row):  # type: ignore[override]
        if isinstance(row, slice):
            return [self._store.passage(r) for r in range(*row.indices(len(self)))]
        row = int(row)
        if row < 0:
            row += len(self)
        if not 0 <= row < len(self):
            raise IndexError(row)
        return self._store.passage(row)

    def __iter__(self) -> Iterator[Passage]:
        return (self._store.passage(r) for r in range(len(self)))


REPORTS_KEPT = 64
"""Reports a snapshot keeps built (with their passages), the most recently used: a page of hits asks for
the same few reports again and again."""


class ReportList(Sequence[Report]):
    """The generation's reports in index order, each built from the store (with its passages) when asked for;
    the last :data:`REPORTS_KEPT` are kept."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._kept: OrderedDict[int, Report] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._store.report_count

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        index = int(index)
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        with self._lock:
            report = self._kept.get(index)
            if report is not None:
                self._kept.move_to_end(index)
                return report
        report = self._store.report(index)
        with self._lock:
            self._kept[index] = report
            while len(self._kept) > REPORTS_KEPT:
                self._kept.popitem(last=False)
        return report

    def __iter__(self) -> Iterator[Report]:
        # Every report once, in order, without filling the kept ones with them.
        store = self._store
        return (self._kept.get(i) or store.report(i) for i in range(len(self)))


class ReportsById(Mapping[str, Report]):
    """The generation's reports by id, in index order: an id is found by binary search in the store."""

    def __init__(self, reports: ReportList, store: Store) -> None:
        self._reports, self._store = reports, store

    def __getitem__(self, report_id: str) -> Report:
        index = self._store.report_index(report_id) if isinstance(report_id, str) else None
        if index is None:
            raise KeyError(report_id)
        return self._reports[index]

    def __contains__(self, report_id: object) -> bool:
        return isinstance(report_id, str) and self._store.report_index(report_id) is not None

    def __iter__(self) -> Iterator[str]:
        ids = self._store.report_ids
        return (ids[i] for i in range(len(ids)))

    def __len__(self) -> int:
        return len(self._reports)

    def values(self) -> ValuesView[Report]:
        return _Values(self)

    def items(self) -> ItemsView[str, Report]:
        return _Items(self)


class _Values(ValuesView):
    def __iter__(self):
        return iter(self._mapping._reports)


class _Items(ItemsView):
    def __iter__(self):
        return ((r.report_id, r) for r in self._mapping._reports)


class RowsById(Mapping[str, int]):
    """Each passage id's row, found by binary search in the store (no dict of every id)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getitem__(self, passage_id: str) -> int:
        row = self._store.passage_row(passage_id) if isinstance(passage_id, str) else None
        if row is None:
            raise KeyError(passage_id)
        return row

    def __contains__(self, passage_id: object) -> bool:
        return isinstance(passage_id, str) and self._store.passage_row(passage_id) is not None

    def __iter__(self) -> Iterator[str]:
        ids = self._store.passage_ids
        return (ids[r] for r in range(len(ids)))

    def __len__(self) -> int:
        return self._store.rows


class Snapshot:
    """One index generation. Rows are passages in report and passage order.

    An engine subclasses it and answers :meth:`execute` and :meth:`query_rows`; everything else here is read
    from the generation's arrays (:class:`~search.arrays.GenerationArrays`, mapped from the index): passages
    and reports are built one at a time from its store when asked for, so a worker holds no Python object
    per passage or report. ``cache_size`` is the number of responses the entry point keeps for this
    generation (the engine is opened with it: ``open_engine(..., cache_size=)``).
    """

    def __init__(self, arrays: GenerationArrays, cache_size: int = 0) -> None:
        self.arrays = arrays
        self.store = arrays.store
        self.corpus_text = arrays.corpus  # every passage's folded text in one array
        self.row_table = arrays.table  # per-row and per-report attributes, for counting over every match
        self.folded: Sequence[str] = MappedFolded(arrays.corpus)  # matching form of each passage's text
        self.passages: Sequence[Passage] = PassageList(arrays.store)
        self.report_list: Sequence[Report] = ReportList(arrays.store)  # in index order: a report's index
        self._report_list = self.report_list  # the name tests wrap to count what views read
        self.reports: Mapping[str, Report] = ReportsById(self.report_list, arrays.store)
        self.row_of: Mapping[str, int] = RowsById(arrays.store)  # passage_id -> row
        self.report_rows: np.ndarray = arrays.table.report  # row -> index of its report
        self.cache_size = cache_size
        # The generation's text reuse (search.reuse), mapped now, while its folder is there (a later commit
        # removes it); nothing shared for an index written without it.
        self.reuse: ReuseIndex = self._load_reuse(arrays.folder)

    # What an engine must answer.
    def execute(self, parsed: ParsedQuery, request: SearchRequest) -> Execution:
        """Match, filter, count facets (each ignoring its own filter), order and page. Facets are counted in
        passages; a request counting them in reports (``facet_count="reports"``) has them counted by the entry
        point (:func:`search.counting.report_facets`), and the engine may leave them out."""
        raise NotImplementedError

    def query_rows(self, parsed: ParsedQuery, limit: int) -> np.ndarray | None:
        """Rows matching the query (no filters), ascending; None when there are more than ``limit`` (the
        counting layer then finds them in the whole-corpus array instead)."""
        raise NotImplementedError

    def prepare(self, parsed: ParsedQuery, request: SearchRequest) -> None:
        """Optionally start what :meth:`execute` of the same query and request will need and that does not
        depend on the matches (tantivy: its word ranking), while the entry point counts the matches. Engines
        that gain nothing from it leave it as it is: a no-op."""

    def region_facet(self, per_report: np.ndarray) -> Sequence[FacetValue]:
        """The region facet of counts per report (by report index: passages or 1 per report): each count
        spread to the report's region at every level, biggest first within a level, as every engine orders
        it. An engine may answer it over its own region numbering (tantivy: as columns); this one walks the
        distinct regions counted (:func:`search.counting.region_counts`)."""
        return region_values(region_counts(self, per_report))

    # Reports and passages by id and by row.
    def report(self, report_id: str) -> Report | None:
        """The report with this id, or None."""
        return self.reports.get(report_id)

    def passage(self, passage_id: str) -> tuple[Report, Passage] | None:
        """The passage with this id and its report, or None."""
        row = self.store.passage_row(passage_id)
        if row is None:
            return None
        return self.report_of(row), self.passages[row]

    def passage_and_metadata(self, passage_id: str) -> tuple[Report, Passage] | None:
        """The passage with this id and its report's metadata, without the report's passages (what a citation, a
        link or an export line needs: no other passage of the report is read), or None."""
        row = self.store.passage_row(passage_id)
        if row is None:
            return None
        return self.report_metadata_of(row), self.passages[row]

    @property
    def passage_count(self) -> int:
        """Passages in the generation (rows)."""
        return self.store.rows

    def report_metadata(self, index: int) -> Report:
        """The report at ``index`` (index order) with its metadata only, no passages: cheap enough to read for
        every report a view places (the coverage matrix)."""
        return self.store.report_metadata(index)

    def report_of(self, row: int) -> Report:
        return self.report_list[int(self.report_rows[row])]

    def report_metadata_of(self, row: int) -> Report:
        """The metadata of the report holding ``row``, without its passages (:meth:`report_metadata`)."""
        return self.report_metadata(int(self.report_rows[row]))

    @cached_property
    def responses(self) -> ResponseCache:
        """The entry point's answers for this generation."""
        return ResponseCache(self.cache_size)

    # Worked out once per generation from the reports and passages.
    @cached_property
    def region_places(self) -> tuple[IndexPlace, ...]:
        """Every region of the index at each level, with its report count (what region filters resolve in),
        in the order of the first report to reach each: counted per distinct region, no report is read."""
        number = self.row_table.report_region
        per_region = np.bincount(number, minlength=len(self.region_list))
        present, first = np.unique(number, return_index=True)
        order = present[np.argsort(first, kind="stable")].tolist()
        return index_places((self.region_list[k] for k in order), (int(per_region[k]) for k in order))

    @cached_property
    def report_region_keys(self) -> list[tuple[tuple[str, str, str | None], ...]]:
        """Each report's region facet keys (level, name, parent), by report index (one tuple per distinct
        region, shared by its reports; no report is read)."""
        keys = [region_keys(r) for r in self.region_list]
        return [keys[k] for k in self.row_table.report_region.tolist()]

    @cached_property
    def browse_facets(self) -> dict[str, Sequence[FacetValue]]:
        """The facets of the whole index — the empty query without filters, the browse page — counted once
        per generation (:func:`ready` counts them before the first request)."""
        return self.execute(parse_query(""), SearchRequest("")).facets

    @cached_property
    def report_sizes(self) -> np.ndarray:
        """Passages per report, by report index."""
        return np.diff(self.store.report_first_row)

    @cached_property
    def report_first_rows(self) -> np.ndarray:
        """The first row of each report, by report index (a report's rows are consecutive)."""
        return self.store.report_first_row[:-1]

    @cached_property
    def region_list(self) -> list[Region]:
        """The generation's distinct regions, numbered as ``row_table.report_region`` numbers them (in the order
        of their names): a report's region is ``region_list[row_table.report_region[report index]]``."""
        return self.store.regions()

    def _load_reuse(self, arrays_folder: Path | None) -> ReuseIndex:
        found = load_reuse(reuse_folder_of_arrays(arrays_folder)) if arrays_folder is not None else None
        if found is None or found.rows != self.passage_count or len(found.a["report_id"]) != len(self.reports):
            return ReuseIndex.empty(self.passage_count, len(self.reports))
        return found

    @cached_property
    def index_years(self) -> tuple[int, ...]:
        """The report years in the index, ascending."""
        return tuple(int(y) for y in np.unique(self.row_table.report_year) if y)


def ready(snap: Snapshot, cache_size: int = 0) -> Snapshot:
    """A freshly loaded snapshot made ready to serve: its response cache sized, the browse page's facets
    counted (no passage or report is built for that), the report ids' keys worked out (0.2 s at 100,000
    reports, which the first request would otherwise wait for), and what it holds for the generation exempted
    from the garbage collector's scans, which would otherwise stall a search now and then."""
    snap.cache_size = cache_size
    snap.responses, snap.browse_facets, snap.report_first_rows, snap.report_sizes  # noqa: B018 - worked out now
    snap.store.report_keys  # noqa: B018
    gc.unfreeze()  # the generation this one replaces: collectable again once its last request is done
    gc.collect()
    gc.freeze()
    return snap


def make_hit(snap: Snapshot, row: int, parsed: ParsedQuery, score: float = 0.0, report_matches: int = 1) -> Hit:
    """The hit of one row: the passage, its report's metadata, its snippet and its occurrences."""
    passage = snap.passages[row]
    report = snap.report_metadata_of(row)  # no other passage of the report is read
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
