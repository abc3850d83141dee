"""The tantivy engine: BM25 over jieba words in a Rust index, beside the generation's counting arrays.

Exact matching does not need tantivy: every match of a query is found in the counting arrays
(:mod:`search.arrays`: the corpus's folded text as one array and the positions of each of its bigrams,
mapped from the index, :func:`search.counting.query_matches`), and the request's filters are masks over
them. tantivy holds what ranks and narrows: each passage's jieba words (``words``, ``heading_words``, fed
pre-tokenized), its key (``pkey``) and its filter terms (region names, year, section, document type). The
page is ordered in numpy (by year, region or row), or by word score in tantivy: the best-scored passages
within the filters that are matches, or, when the matches are few, the matches scored as a set of keys.
Facets are counted in numpy over the matches' (report, section) cells.

Each commit also names (in a document of ``kind=arrays``) the folder of its counting arrays and store
(:mod:`search.arrays`, :mod:`search.store`), written before the commit and removed when a later commit
replaces it; a reader maps them, turns a hit's ``pkey`` into a row by binary search over the store's sorted
keys, and reads passages and reports from the store (tantivy stores no text).
"""

from __future__ import annotations

import fcntl
import json
import shutil
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cached_property, partial
from pathlib import Path

import numpy as np
import tantivy

from search._count import cell_sums, sum_at
from search.analysis import fold_with_offsets, segment
from search.arrays import (
    GenerationArrays,
    StoredReports,
    arrays_folder,
    fold_passages,
    kept_indexes,
    load_arrays,
    remove_arrays,
    write_arrays,
)
from search.contract import (
    Execution,
    OldIndexError,
    Snapshot,
    index_busy,
    make_hits,
    no_index,
    ready,
)
from search.counting import (
    Filters,
    facet_lists,
    match_cells,
    query_matches,
    region_columns,
    row_cells,
    within_reuse,
)
from search.models import (
    DOC_TYPES,
    REGION_LEVELS,
    SECTIONS,
    FacetRows,
    FacetValue,
    Hit,
    Passage,
    Region,
    Report,
    SearchRequest,
    facet_json_parts,
    region_keys,
)
from search.query import ParsedQuery
from search.reuse import reuse_folder
from search.reuse_build import reuse_ahead
from search.store import fast_key
from search.subprocesses import threads_take_turns

Q = tantivy.Query
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tantivy-search")
_AHEAD = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tantivy-words")
"""Word rankings started before the matches are counted (:meth:`TantivySnapshot.prepare`). A pool of their
own: a page (run in :data:`_POOL`) waits for its ranking, which must never queue behind pages."""
PREPARED_KEPT = 32
"""Rankings started and not yet taken by their search (a search that failed between) are dropped past this."""
Occur = tantivy.Occur

HEADING_BOOST = 2.0
WORDS_TOKENIZER = "fazhi_words"
WRITER_HEAP_BYTES = 256_000_000
WRITER_THREADS = 2  # both cores of the target machine
_WRITER_LOCK = ".tantivy-writer.lock"
_REGISTRY_KIND = "regions"
_ARRAYS_KIND = "arrays"  # the document naming the generation's folder of counting arrays
_META_FILE = "meta.json"  # rewritten atomically by every commit: its change marks a new generation
SNAPSHOT_OPEN_TRIES = 3  # a reader racing a commit opens the new generation instead


def _schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_text_field("kind", tokenizer_name="raw", index_option="basic")
    # Nothing of a passage or report is stored here but what names a generation: the store holds them.
    b.add_text_field("report_id", tokenizer_name="raw", index_option="basic")
    b.add_unsigned_field("pkey", indexed=True, fast=True)
    b.add_text_field("words", tokenizer_name=WORDS_TOKENIZER, index_option="freq")
    b.add_text_field("heading_words", tokenizer_name=WORDS_TOKENIZER, index_option="freq")
    b.add_integer_field("year", indexed=True)
    b.add_text_field("section", tokenizer_name="raw", index_option="basic")
    b.add_text_field("doc_type", tokenizer_name="raw", index_option="basic")
    b.add_text_field("region_names", tokenizer_name="raw", index_option="basic")
    b.add_text_field("stored", stored=True, tokenizer_name="raw", index_option="basic")
    return b.build()


def open_index(index_dir: Path) -> tantivy.Index:
    """The index at ``index_dir`` (created if absent), with our tokenizer registered: ``words`` and
    ``heading_words`` receive jieba's words (:func:`search.analysis.segment`) joined by spaces, cut apart
    again in Rust rather than handed over one Python object per token."""
    try:
        index = tantivy.Index(_schema(), path=str(index_dir), reuse=True)
    except ValueError as e:
        if "schema does not match" not in str(e):
            raise
        raise OldIndexError(
            f"the index in {index_dir} was built by an earlier version of fazhi-search: "
            "rebuild it with `fazhi index CORPUS_DIR --rebuild`"
        ) from None
    index.register_tokenizer(WORDS_TOKENIZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
    return index


def _words(folded: str) -> str:
    return " ".join(w for w, _, _ in segment(folded))


def region_key(region: Region) -> str:
    return "\x1f".join(region.names())


class _RegionNumbers(dict):
    """Each region's small number in the index (region key → number), kept in a registry document that
    every commit rewrites. Numbers are never reused within an index, so documents written by earlier commits
    keep theirs; a full rebuild numbers afresh. Small consecutive numbers are counted faster than hashes."""

    @classmethod
    def of(cls, searcher: tantivy.Searcher, schema: tantivy.Schema) -> _RegionNumbers | None:
        hits = searcher.search(Q.term_query(schema, "kind", _REGISTRY_KIND), limit=1, count=False).hits
        return cls(json.loads(searcher.doc(hits[0][1]).get_first("stored"))) if hits else None

    def number(self, region: Region) -> int:
        return self.setdefault(region_key(region), len(self))

    def document(self) -> tantivy.Document:
        doc = tantivy.Document()
        doc.add_text("kind", _REGISTRY_KIND)
        doc.add_text("stored", json.dumps(self, ensure_ascii=False))
        return doc


def attr_code(year: int | None, section: str, doc_type: str) -> int:
    """Year, section and document type in one small number (and back with :func:`attr_values`)."""
    return ((year or 0) * 8 + SECTIONS.index(section)) * 16 + DOC_TYPES.index(doc_type)


def attr_values(code: int) -> tuple[int | None, str, str]:
    """``attr_values(attr_code(2023, "概述", "法治政府建设年度报告"))`` → ``(2023, "概述", "法治政府建设年度报告")``."""
    return (code >> 7) or None, SECTIONS[(code >> 4) & 7], DOC_TYPES[code & 15]


# A change of DOC_TYPES changes the parser fingerprint (search/models.py), so every report is written again.
assert len(SECTIONS) <= 8 and len(DOC_TYPES) <= 16, "attr_code keeps three bits for sections, four for types"


def _passage_document(report: Report, p: Passage, folded: str) -> tantivy.Document:
    doc = tantivy.Document()
    doc.add_text("kind", "passage")
    doc.add_text("report_id", report.report_id)
    doc.add_unsigned("pkey", fast_key(p.passage_id))
    doc.add_text("words", _words(folded))
    own_heading = p.own_heading()
    if own_heading:
        doc.add_text("heading_words", _words(fold_with_offsets(own_heading)[0]))
    if report.year is not None:
        doc.add_integer("year", report.year)
    doc.add_text("section", p.section)
    doc.add_text("doc_type", report.doc_type)
    for name in report.region.names():
        doc.add_text("region_names", name)
    return doc


def write_reports(
    index_dir: Path, reports: Iterable[Report], replace_all: bool = True, remove: Iterable[str] = ()
) -> None:
    """Add ``reports`` in one commit, as :func:`search.whoosh_engine.write_reports` does.

    tantivy's commit is atomic (a new ``meta.json`` replaces the old), so readers see the previous
    generation until it lands, and a killed writer leaves that generation intact. Raises
    :class:`BlockingIOError` when another process is writing the index.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    try:
        index = open_index(index_dir)
    except OldIndexError:
        if not replace_all:
            raise
        _replace_old_index(index_dir, reports)
        return
    try:
        writer = index.writer(WRITER_HEAP_BYTES, WRITER_THREADS)
    except ValueError as e:
        if "LockBusy" not in str(e):
            raise
        raise index_busy(index_dir) from None
    try:
        numbers, previous, remove = _RegionNumbers(), None, list(remove)
        if replace_all:
            writer.delete_all_documents()
        else:
            numbers = _RegionNumbers.of(index.searcher(), index.schema) or numbers
            previous = _generation_arrays(index.searcher(), index.schema, index_dir)
            for rid in remove:
                writer.delete_documents_by_term("report_id", rid)
        reports = list(reports)
        folded = fold_passages(reports)
        name = uuid.uuid4().hex[:16]
        folder = arrays_folder(index_dir, name)
        rows = sum(len(r.passages) for r in reports) + (previous.corpus.rows if previous is not None else 0)
        with reuse_ahead(reuse_folder(index_dir, name), rows) as beside:  # (made ready while the arrays are written)
            if previous is None:
                write_arrays(folder, reports, folded)
            else:  # the reports this commit keeps are copied from the previous generation's arrays
                gone = set(remove) | {r.report_id for r in reports}
                write_arrays(folder, reports, folded, previous=previous, keep=kept_indexes(previous, gone))
            with beside(folder):
                for report in reports:
                    if not replace_all:
                        writer.delete_documents_by_term("report_id", report.report_id)
                    numbers.number(report.region)  # a new region gets its number
                    for p in report.passages:
                        writer.add_document(_passage_document(report, p, folded[p.passage_id]))
                folded.clear()
                writer.delete_documents_by_term("kind", _REGISTRY_KIND)
                writer.add_document(numbers.document())
        writer.delete_documents_by_term("kind", _ARRAYS_KIND)
        writer.add_document(_arrays_document(name))
        writer.commit()
        remove_arrays(index_dir, keep=name)  # earlier generations' arrays, while the writer holds the lock
        writer.wait_merging_threads()
    except BaseException:
        writer.rollback()
        raise


def _arrays_document(name: str) -> tantivy.Document:
    doc = tantivy.Document()
    doc.add_text("kind", _ARRAYS_KIND)
    doc.add_text("stored", name)
    return doc


def _arrays_name(searcher: tantivy.Searcher, schema: tantivy.Schema) -> str | None:
    """The name of the generation's folder of counting arrays; None in an index of an earlier version."""
    hits = searcher.search(Q.term_query(schema, "kind", _ARRAYS_KIND), limit=1, count=False).hits
    return searcher.doc(hits[0][1]).get_first("stored") if hits else None


def _generation_arrays(searcher: tantivy.Searcher, schema: tantivy.Schema, index_dir: Path) -> GenerationArrays | None:
    """The arrays and store of the generation ``searcher`` sees; None when it has no reports at all (a new
    index). Raises :class:`OldIndexError` when they are not there: an earlier version wrote the index."""
    name = _arrays_name(searcher, schema)
    arrays = load_arrays(arrays_folder(index_dir, name)) if name is not None else None
    if arrays is None and (name is not None or searcher.num_docs):
        raise OldIndexError(
            f"the index in {index_dir} has no store of passages (an earlier version built it, or it is damaged): "
            "rebuild it with `fazhi index CORPUS_DIR --rebuild`"
        )
    return arrays


def _replace_old_index(index_dir: Path, reports: Iterable[Report]) -> None:
    """Rebuild an index of an earlier schema: written beside it, then swapped in, so that until the new one
    is complete the old one stays where it was (holding tantivy's writer lock, as a writer of it would)."""
    with open(index_dir / _WRITER_LOCK, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise index_busy(index_dir) from None
        fresh = index_dir.with_name(f".{index_dir.name}.new")
        stale = index_dir.with_name(f".{index_dir.name}.old")
        for leftover in (fresh, stale):
            shutil.rmtree(leftover, ignore_errors=True)
        write_reports(fresh, reports)
        index_dir.rename(stale)
        fresh.rename(index_dir)
    shutil.rmtree(stale, ignore_errors=True)


def _and(parts: list[tantivy.Query], excluded: list[tantivy.Query] = ()) -> tantivy.Query:
    return Q.boolean_query([(Occur.Must, q) for q in parts] + [(Occur.MustNot, q) for q in excluded])


def _attr_facets(by_code: dict[int, int], request: SearchRequest) -> tuple[Counter, Counter, Counter, int]:
    """Year, section and document-type counts, each ignoring its own filter, and the total passing all three."""
    want_years, want_sections, want_doc_types = set(request.years), set(request.sections), set(request.doc_types)
    years: Counter = Counter()
    sections: Counter = Counter()
    doc_types: Counter = Counter()
    total = 0
    for code, n in by_code.items():
        year, section, doc_type = attr_values(code)
        in_year = not want_years or year in want_years
        in_section = not want_sections or section in want_sections
        in_doc_type = not want_doc_types or doc_type in want_doc_types
        if in_section and in_doc_type and year is not None:
            years[year] += n
        if in_year and in_doc_type:
            sections[section] += n
        if in_year and in_section:
            doc_types[doc_type] += n
        if in_year and in_section and in_doc_type:
            total += n
    return years, sections, doc_types, total


KEYS_LIMIT = 256
"""Up to this many kept matches, the relevance page scores them inside tantivy as a set of their keys
(:meth:`TantivySnapshot._scores_of`); above, the passages best scored by their words (within the filters) are
checked against the kept matches first (a round of 200 candidates costs about as much as a set of a
thousand keys: each key is looked up in tantivy's dictionary and the words' postings)."""
SET_LIMIT = 65536
"""Up to this many kept matches, a round of candidates that holds too few of them may be followed by scoring
them as a set rather than by wider rounds (`"学习思想"` at 100,000 reports: 803 matches among the passages of
two common words, six rounds and 0.34 s before; `不足 国家`'s second page, 14,070 matches, long passages
that score low: six rounds, 0.3 s): when :data:`SET_COST` times the matches is at most the candidates the
rounds would need at the rate the last round held them."""
SET_COST = 4
"""A kept match scored as a key costs about this many candidates of a round (tantivy's lookups, against the
hits' rows and checks in numpy)."""
TIE_CHUNK = 256
"""Kept matches scored in row order at first when the page ends in a tie (:meth:`TantivySnapshot._ties`)."""
TIE_SCAN_LIMIT = 16384
"""... and at most this many at once."""


class TantivySnapshot(Snapshot):
    """One committed tantivy generation: matches, filters and facets from the generation's mapped arrays,
    the relevance page by word score inside tantivy; passages and reports read from the mapped store (nothing
    per passage or report in memory)."""

    def __init__(self, index: tantivy.Index, generation: object, arrays: GenerationArrays) -> None:
        super().__init__(arrays)
        self.generation = generation
        self._searcher = index.searcher()
        self._schema = index.schema
        # Facet keys (level, name, parent) numbered once, in facet order (level, then name), and the keys of
        # each region number: from the generation's distinct regions (thousands at most), not its reports.
        numbers = _RegionNumbers.of(self._searcher, self._schema)
        if numbers is None and self.store.report_count:
            raise OldIndexError(
                "the index has no region registry (an earlier version built it): "
                "rebuild it with `fazhi index CORPUS_DIR --rebuild`"
            )
        level_rank = {level: i for i, level in enumerate(REGION_LEVELS)}
        self._region_numbers = numbers or _RegionNumbers()
        keys_of_number: list[tuple] = [()] * len(numbers or ())
        for region in self.region_list:
            keys_of_number[numbers[region_key(region)]] = region_keys(region)
        keys = sorted({k for ks in keys_of_number for k in ks}, key=lambda k: (level_rank[k[0]], k[1], k[2] or ""))
        number = {k: i for i, k in enumerate(keys)}
        self._region_key_ids_of_number = [tuple(number[k] for k in ks) for ks in keys_of_number]
        self._region_columns = ([k[1] for k in keys], [k[0] for k in keys], [k[2] for k in keys])
        self._region_rank_base = [level_rank[level] << 48 for level, _, _ in keys]  # sorts levels apart
        passages = Q.term_query(self._schema, "kind", "passage")
        if self._searcher.search(passages, limit=1, count=True).count != self.store.rows:
            raise OldIndexError("the index and its store disagree: rebuild it with `fazhi index CORPUS_DIR --rebuild`")

    def _rows(self, addresses: list) -> list[int]:
        """The rows of hits: their passage keys found in the store's sorted keys."""
        if not addresses:
            return []
        return self.store.rows_of_keys(self._searcher.fast_field_values("pkey", addresses)).tolist()

    def _filters(self, request: SearchRequest) -> dict[str, tantivy.Query]:
        """The request's report and section filters inside tantivy (the reuse filter is a row mask only): they
        narrow the passages scored by their words to those the filters keep."""
        schema = self._schema
        filters = {}
        if request.regions:
            filters["region"] = Q.term_set_query(schema, "region_names", list(request.regions))
        if request.years:
            filters["year"] = Q.term_set_query(schema, "year", list(request.years))
        if request.sections:
            filters["section"] = Q.term_set_query(schema, "section", list(request.sections))
        if request.doc_types:
            filters["doc_type"] = Q.term_set_query(schema, "doc_type", list(request.doc_types))
        return filters

    def _counts(self, parsed: ParsedQuery, request: SearchRequest, filters: Filters) -> dict[str, Sequence[FacetValue]]:
        """Facet counts over all matches (each facet ignoring its own filter), from the matches the counting
        layer found (:func:`search.counting.query_matches`: the search's own, kept with the snapshot).

        Two sums of the matches: per (report, section) cell's code (year, section and document type
        together), narrowed by the region filter only; and per report (the region facet), narrowed by the other
        filters. Each of the first three facets then sums the codes that pass the other two filters
        (:func:`_attr_facets`). Fewer matches than :data:`CELLS_FROM` of the cells are summed in one pass
        (:func:`search._count.cell_sums`); more are counted once per cell first, and the sums work on the cells.
        """
        region = filters.report_masks.get("region")
        codes, code_of_cell = self._cell_codes
        per_code = np.zeros(len(codes), dtype=np.int64)
        rows = query_matches(self, parsed).rows if parsed.root is not None or "reuse" in filters.row_masks else None
        if rows is None or len(rows) >= CELLS_FROM * self._cell_count:  # counted into cells, then summed
            cells = self._all_cells if rows is None else match_cells(self, rows, filters)
            by_cell = cells if region is None else cells * region[:, None]
            sum_at(code_of_cell, by_cell.ravel(), per_code)  # (numpy's bincount with weights: a float copy)
            # (einsum: numpy's sum over a row of six is 4× slower)
            per_report = np.einsum("ij->i", cells if filters.sections is None else cells[:, filters.sections])
        else:  # fewer matches than cells: both sums in one pass over the matches
            per_report = np.zeros(len(self.row_table.report_year), dtype=np.int64)
            kept, section_kept = (m if m is not None else _NO_MASK for m in (region, filters.sections))
            rows = within_reuse(rows, filters)
            cell_sums(rows, row_cells(self), code_of_cell, kept, section_kept, len(SECTIONS), per_code, per_report)
        by_attr = {int(codes[k]): int(per_code[k]) for k in np.flatnonzero(per_code).tolist()}
        per_report *= filters.reports(skip="region")
        years, sections, doc_types, _ = _attr_facets(by_attr, request)
        return facet_lists(self.region_facet(per_report), years, sections, doc_types)

    def region_facet(self, per_report: np.ndarray) -> Sequence[FacetValue]:
        """The region facet of counts per report, counted on the index's region numbers, as columns
        (:meth:`_region_facet`)."""
        size = len(self._region_key_ids_of_number)
        return self._region_facet(np.bincount(self._report_region_numbers, weights=per_report, minlength=size))

    @property
    def _cell_count(self) -> int:
        return len(self.row_table.report_year) * len(SECTIONS)

    @cached_property
    def _all_cells(self) -> np.ndarray:
        cells = np.bincount(row_cells(self), minlength=self._cell_count)
        cells.flags.writeable = False
        return cells.reshape(-1, len(SECTIONS))

    @cached_property
    def _cell_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct :func:`attr_code` values of the (report, section) cells, and each cell's number among
        them (a few hundred codes: year, section and document type)."""
        table = self.row_table
        year_doc = table.report_year[:, None] * 8 + np.arange(len(SECTIONS))[None, :]
        codes = year_doc * 16 + table.report_doc_type[:, None]
        distinct, number = np.unique(codes.ravel(), return_inverse=True)
        return distinct, number.astype(np.int32)

    @cached_property
    def _report_region_numbers(self) -> np.ndarray:
        """Each report's region number in the index's registry (what :meth:`_region_facet` counts on)."""
        of_region = np.array([self._region_numbers[region_key(r)] for r in self.region_list], dtype=np.int64)
        return of_region[self.row_table.report_region] if len(of_region) else np.zeros(0, dtype=np.int64)

    def _region_facet(self, per_number: np.ndarray) -> FacetRows:
        """Counts per region number (an array by number) spread to every level (province, prefecture, county),
        biggest first.

        Thousands of rows at county level for a national corpus: each number's keys are one flat pair of
        arrays, so the spreading is one bincount; the keys are numbered in name order, so one stable sort by
        count finishes the order, and the rows stay columns (see :class:`FacetRows`).
        """
        spread = vars(self).get("_region_spread")
        if spread is None:  # worked out at the first facet, kept with the snapshot
            ids_of = self._region_key_ids_of_number
            flat_number = np.repeat(np.arange(len(ids_of)), [len(ids) for ids in ids_of])
            flat_key = np.fromiter((k for ids in ids_of for k in ids), dtype=np.int64, count=len(flat_number))
            base = np.asarray(self._region_rank_base, dtype=np.int64)
            spread = self._region_spread = (flat_number, flat_key, base, facet_json_parts(*self._region_columns))
        flat_number, flat_key, base, json_parts = spread
        acc = np.bincount(flat_key, weights=per_number[flat_number], minlength=len(base)).astype(np.int64)
        kids = np.flatnonzero(acc)
        kids = kids[np.argsort(base[kids] - acc[kids], kind="stable")]
        names, levels, parents = self._region_columns
        return FacetRows(kids.tolist(), names, acc.tolist(), levels, parents, json_parts)

    def _word_clauses(self, parsed: ParsedQuery) -> list[tuple[Occur, tantivy.Query]]:
        """BM25 over the jieba words of the query's positive literals (a heading's words weigh more), as the
        optional clauses of a boolean query."""
        words = parsed.ranking_words()
        should = [(Occur.Should, Q.term_query(self._schema, "words", w)) for w in words]
        should += [
            (Occur.Should, Q.boost_query(Q.term_query(self._schema, "heading_words", w), HEADING_BOOST)) for w in words
        ]
        return should

    def _words_query(self, parsed: ParsedQuery) -> tantivy.Query | None:
        """The passages holding any of the query's words, scored by them (:meth:`_word_clauses`)."""
        should = self._word_clauses(parsed)
        return Q.boolean_query(should) if should else None

    def _scores_of(self, parsed: ParsedQuery, rows: np.ndarray) -> dict[int, float]:
        """The word score of each of ``rows`` that holds a word, scored inside tantivy as a set of their keys:
        each key a term of its own, the keys required and the words optional. tantivy then walks the keys and
        looks each up in the words' postings, rather than walking every passage of a common word; and a
        term per key is looked up in the key field's dictionary, where a term set scans it (at 100,000
        reports, 256 keys of `工作`: 52 ms with the words required, 15 with a term set, 2.4 like this;
        1,024 keys of `问题` 34 → 10 ms). The scores are those of any other search of the same words, bit for
        bit: a key's clause adds 0."""
        keys = [(Occur.Should, Q.term_query(self._schema, "pkey", k)) for k in self.store.keys_of_rows(rows).tolist()]
        required = Q.const_score_query(Q.boolean_query(keys), 0.0)
        query = Q.boolean_query([(Occur.Must, required), *self._word_clauses(parsed)])
        hits = self._searcher.search(query, limit=max(len(rows), 1), count=False).hits
        found = self._rows([a for _, a in hits])
        return {r: s for (s, _), r in zip(hits, found, strict=True) if s > 0}

    def query_rows(self, parsed: ParsedQuery, limit: int) -> np.ndarray | None:
        """None: the counting arrays (mapped with the generation) find every match, whatever their number."""
        return None

    def prepare(self, parsed: ParsedQuery, request: SearchRequest) -> None:
        """Start the relevance page's first word ranking in another thread while the entry point counts the
        matches: that first search (the passages best scored by the query's words, within the filters) does
        not depend on the matches, and tantivy releases the GIL. Its size is the one :meth:`_ranked` would
        ask for first, the filters' share of the matches guessed from their share of all passages; a search
        whose matches turn out to be few (scored as a set of keys) drops it."""
        if request.sort != "relevance" or not parsed.has_positive or threads_take_turns():
            return
        words = self._words_query(parsed)
        if words is None:
            return
        want = request.page * request.per_page
        k = _first_k(want * 4 if request.group else want, self._passing_share(request))
        prepared = vars(self).setdefault("_prepared", {})
        if len(prepared) >= PREPARED_KEPT:
            prepared.clear()
        candidates = self._candidates(words, request)
        prepared[(parsed, request)] = (k, _AHEAD.submit(self._searcher.search, candidates, limit=k, count=False))

    def _passing_share(self, request: SearchRequest) -> float:
        """The share of all passages in the reports the request's report filters keep (1.0 without any)."""
        if not request.filtered:
            return 1.0
        kept = Filters.of(self, request).reports()  # the filters the entry point and execute then use
        return float(self.report_sizes[kept].sum()) / max(self.store.rows, 1)

    def _candidates(self, words: tantivy.Query, request: SearchRequest) -> tantivy.Query:
        """The query's words within the request's filters, which narrow without scoring (a constant 0): a
        passage's score is its words' alone."""
        filters = [Q.const_score_query(f, 0.0) for f in self._filters(request).values()]
        return _and([words, *filters]) if filters else words

    def execute(self, parsed: ParsedQuery, request: SearchRequest) -> Execution:
        """The matches from the counting arrays (:func:`search.counting.query_matches`), kept by the filters'
        masks; the page (ordered in numpy, or by word score in tantivy, which releases the GIL) and the
        facets (numpy over the matches' cells) side by side on the two cores."""
        ahead = vars(self).get("_prepared", {}).pop((parsed, request), None)
        matches = query_matches(self, parsed)
        filters = Filters.of(self, request)
        kept = filters.subset(matches.rows)
        share = len(kept) / max(len(matches.rows), 1)
        page = partial(self._page, kept, share, request, parsed, ahead)
        paging = None if threads_take_turns() else _POOL.submit(page)
        facets = self._counts(parsed, request, filters) if request.facet_count == "passages" else {}
        if paging is None:  # the worker's other requests get a turn before the page, as a wait for its thread gave
            time.sleep(0)
        rows, scores, hits = page() if paging is None else paging.result()
        return Execution(total=len(kept), rows=rows, facets=facets, scores=scores, hits=hits)

    def _page(
        self, kept: np.ndarray, share: float, request: SearchRequest, parsed: ParsedQuery, ahead: _Ahead = None
    ) -> tuple[list[int], dict[int, float], list[Hit]]:
        """The page's rows in order, their scores and hits (made here, while the other thread counts), from
        the ``kept`` matches (ascending rows; ``share`` of all matches); ``ahead``: the first word ranking,
        started by :meth:`prepare`."""
        start = (request.page - 1) * request.per_page
        want = start + request.per_page
        if request.sort == "relevance" and parsed.has_positive:
            page = self._ranked_page(parsed, request, kept, share, start, want, ahead)
        else:
            rows = kept
            if request.group:  # a report's rows share its year and region: its first row comes first
                rows = kept[first_of_runs(self.row_table.report[kept])]
            page = [(0.0, r) for r in self._ordered(rows, request, want)[start:want].tolist()]
        rows = [r for _, r in page]
        scores = {r: s for s, r in page}
        return rows, scores, make_hits(self, parsed, rows, scores, self._report_matches(kept, rows))

    def _report_matches(self, kept: np.ndarray, rows: list[int]) -> dict[int, int]:
        """For each of the page's rows, how many kept matches its report holds: the kept rows (ascending)
        between the report's first row and the next report's, found by binary search (a report's rows are
        consecutive), not by reading the report of every kept match."""
        report = self.row_table.report
        reports = report[np.asarray(rows, dtype=np.int64)]
        bounds = np.searchsorted(report, np.concatenate((reports, reports + 1)))
        within = np.searchsorted(kept, bounds)
        counts = within[len(rows) :] - within[: len(rows)]
        return dict(zip(rows, counts.tolist(), strict=True))

    def _ordered(self, rows: np.ndarray, request: SearchRequest, want: int) -> np.ndarray:
        """At least the first ``want`` of ``rows`` (ascending) in the request's order: by year (newest first
        unless ``order=asc``) or region name (A→Z unless ``order=desc``), then row; else by row."""
        table = self.row_table
        if request.sort == "year":
            return first_by(rows, table.year[rows].astype(np.int64), request.order != "asc", want)
        if request.sort == "region":
            rank = region_columns(self).name_rank[table.report_region[table.report[rows]]]
            return first_by(rows, rank, request.order == "desc", want)
        return rows[:want]

    def _ranked_page(
        self,
        parsed: ParsedQuery,
        request: SearchRequest,
        kept: np.ndarray,
        share: float,
        start: int,
        want: int,
        ahead: _Ahead = None,
    ) -> list[tuple[float, int]]:
        """The page ``start:want`` of the kept matches by word score, then row; grouped, the best-ranked
        passage of each report: rank ever deeper until enough reports are seen."""
        if not request.group:
            return self._ranked(parsed, request, kept, share, want, ahead)[start:want]
        report = self.row_table.report
        limit = want * 4
        while True:
            ranked = self._ranked(parsed, request, kept, share, limit, ahead)
            ahead = None  # only the first ranking was started ahead
            best: dict[int, tuple[float, int]] = {}
            for score, row in ranked:
                best.setdefault(int(report[row]), (score, row))
            if len(best) >= want or len(ranked) < limit:
                return list(best.values())[start:want]
            limit *= 4

    def _ranked(
        self,
        parsed: ParsedQuery,
        request: SearchRequest,
        kept: np.ndarray,
        share: float,
        need: int,
        ahead: _Ahead = None,
    ) -> list[tuple[float, int]]:
        """The first ``need`` of the kept matches by word score (BM25 over the query's words), then row: the
        matches without any of the words score 0 and come last, in row order.

        Few kept matches are scored inside tantivy as a set of their keys. Otherwise the passages best scored
        by their words within the filters are cheap to find (no positions), and those that are kept matches
        are the best of them: widen until enough are found, or every passage holding a word was seen; unless
        the page ends in a tie (:meth:`_ties`) or the matches are few enough to score as a set sooner
        (:data:`SET_LIMIT`). The first search may have been started ahead (``ahead``: its size and its
        future), when it is this one.
        """
        need = min(need, len(kept))
        words = self._words_query(parsed)
        if words is None or need == 0:
            return [(0.0, r) for r in kept[:need].tolist()]
        if len(kept) <= KEYS_LIMIT:
            if ahead is not None:  # another search than the one started ahead (prepare)
                ahead[1].cancel()  # not started yet (a gevent worker runs it when this request waits): never run
            return self._scored_set(parsed, kept, need)
        candidates, k = self._candidates(words, request), _first_k(need, share)
        scan_ties = True  # until a scan of the tied in row order has been tried and given up
        while True:  # hits come best first: done when every passage scoring as the need-th best is seen
            if ahead is not None:  # the same candidates' best, of its own size: the first round
                k, hits, ahead = ahead[0], ahead[1].result().hits, None
            else:
                hits = self._searcher.search(candidates, limit=k, count=False).hits
            rows = self._rows([a for _, a in hits])
            held = holds(kept, np.asarray(rows, dtype=np.int64))
            ranked = [(s, r) for (s, _), r, h in zip(hits, rows, held.tolist(), strict=True) if h]
            ranked.sort(key=lambda sr: (-sr[0], sr[1]))
            if len(hits) < k:  # every passage holding a word was seen
                break
            if len(ranked) >= need:
                if hits[-1][0] < ranked[need - 1][0]:
                    break
                tied = self._ties(parsed, kept, ranked, need) if scan_ties else None
                if tied is not None:
                    return tied
                scan_ties = False
            elif len(kept) <= SET_LIMIT and len(kept) * SET_COST <= k * need / max(len(ranked), 0.5):
                # few matches among many passages holding the words: scoring them all costs less than the
                # rounds that would find enough of them at this round's rate
                return self._scored_set(parsed, kept, need)
            k *= 4
        if len(ranked) < need:  # every passage holding a word was seen: the rest score 0
            rest = np.setdiff1d(kept, np.asarray([r for _, r in ranked], dtype=np.int64), assume_unique=True)
            ranked += [(0.0, r) for r in rest[: need - len(ranked)].tolist()]
        return ranked[:need]

    def _scored_set(self, parsed: ParsedQuery, kept: np.ndarray, need: int) -> list[tuple[float, int]]:
        """:meth:`_ranked` of few kept matches: every one scored at once (:meth:`_scores_of`)."""
        scores = self._scores_of(parsed, kept)
        ranked = sorted(((s, r) for r, s in scores.items()), key=lambda sr: (-sr[0], sr[1]))[:need]
        if len(ranked) < need:  # the rest hold none of the words: they score 0, in row order
            ranked += [(0.0, r) for r in kept.tolist() if r not in scores][: need - len(ranked)]
        return ranked

    def _ties(
        self, parsed: ParsedQuery, kept: np.ndarray, ranked: list[tuple[float, int]], need: int
    ) -> list[tuple[float, int]] | None:
        """:meth:`_ranked`'s page when the best-scored passages seen end in a tie with the need-th kept match
        (BM25 of a common word ties across thousands of passages: the same count in a passage of the same
        quantised length). Everything scoring more is seen; of the tied kept matches, the lowest rows come
        first, and tantivy does not order ties by our rows: rather than widening until the whole tied block
        is seen (204,800 passages for `工作 -矛盾` at 100,000 reports, 0.6 s), the kept matches are scored in
        row order, :data:`TIE_CHUNK` at first and four times more each step, until enough tied ones are
        found. None when that would score more than :data:`TIE_SCAN_LIMIT` at once (a tied block small
        among the matches: widening finds it sooner)."""
        tie = ranked[need - 1][0]
        page = [(s, r) for s, r in ranked if s > tie]
        found: list[int] = []
        start, size = 0, TIE_CHUNK
        while len(found) < need - len(page) and start < len(kept):
            if size > TIE_SCAN_LIMIT:
                return None
            chunk = kept[start : start + size]
            scores = self._scores_of(parsed, chunk)
            found += [r for r in chunk.tolist() if scores.get(r) == tie]
            start, size = start + size, size * 4
        return page + [(tie, r) for r in found[: need - len(page)]]


CELLS_FROM = 0.5
"""Matches, as a share of the (report, section) cells, from which the facets count them into cells before
summing (a pass over the cells costs less than the matches' own sums beyond about 0.9 of the cells at 100,000
reports: 1.2 ms for the cells, 3.3 ns a match against 1 to count it into its cell)."""

_NO_MASK = np.zeros(0, dtype=np.uint8)
"""No filter, to :func:`search._count.cell_sums`."""

_Ahead = tuple[int, Future] | None
"""A word ranking started ahead (:meth:`TantivySnapshot.prepare`): its size and its future."""


def _first_k(need: int, share: float) -> int:
    """How many of the passages best scored by their words to fetch first, for ``need`` kept matches when
    ``share`` of the matches pass the filters (widened by 4 from there: :meth:`TantivySnapshot._ranked`)."""
    return max(4 * need, 200, int(need / max(share, 0.001) * 1.25))


def holds(ascending: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Whether each of ``values`` is in ``ascending`` (sorted, distinct): a binary search each, so a page's
    few hundred candidates are checked against a million matches without a mask over every row.

    >>> holds(np.array([2, 5, 9]), np.array([9, 1, 5, 10])).tolist()
    [True, False, True, False]
    """
    if not len(ascending):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(ascending, values), len(ascending) - 1)
    return ascending[at] == values


def first_of_runs(values: np.ndarray) -> np.ndarray:
    """Indexes of the first of each run of equal values: ``first_of_runs([3, 3, 5, 7, 7])`` → ``[0, 2, 3]``."""
    values = np.asarray(values)
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))


def first_by(rows: np.ndarray, key: np.ndarray, descending: bool, want: int) -> np.ndarray:
    """At least the first ``want`` of ``rows`` (ascending) ordered by ``key`` (non-negative integers, one per
    row), ties by row, without sorting every row: only the rows of the keys that reach ``want`` are sorted.

    ``first_by(np.array([1, 2, 3, 4]), np.array([5, 7, 5, 6]), True, 2)`` → ``[2, 4]``.
    """
    if not len(rows):
        return rows
    k = (key.max() - key) if descending else (key - key.min())
    cut = int(np.searchsorted(np.cumsum(np.bincount(k)), want))  # the smallest key value reaching want
    chosen = k <= cut
    return rows[chosen][np.argsort(k[chosen], kind="stable")]


def _generation(index_dir: Path) -> tuple[int, int] | None:
    try:
        st = (index_dir / _META_FILE).stat()
    except FileNotFoundError:
        return None
    return st.st_mtime_ns, st.st_size


class TantivyEngine(StoredReports):
    """Opens the tantivy index at ``index_dir``; a newer commit is picked up on the next call."""

    def __init__(self, index_dir: Path, cache_size: int = 0) -> None:
        self.index_dir = Path(index_dir)
        self.cache_size = cache_size
        self._lock = threading.Lock()
        self._snapshot: TantivySnapshot | None = None

    def exists(self) -> bool:
        return _generation(self.index_dir) is not None

    def _arrays(self) -> GenerationArrays | None:
        if not self.exists():
            raise no_index(self.index_dir)
        index = open_index(self.index_dir)
        return _generation_arrays(index.searcher(), index.schema, self.index_dir)

    def snapshot(self) -> Snapshot:
        generation = _generation(self.index_dir)
        if generation is None:
            raise no_index(self.index_dir)
        with self._lock:
            if self._snapshot is None or self._snapshot.generation != generation:
                for attempt in range(SNAPSHOT_OPEN_TRIES):
                    index = open_index(self.index_dir)
                    try:
                        arrays = _generation_arrays(index.searcher(), index.schema, self.index_dir)
                        break
                    except OldIndexError:
                        # A commit in another process replaced the generation just opened, and its arrays with
                        # it: open the new one. Otherwise the index is of an earlier version.
                        latest = _generation(self.index_dir)
                        if latest == generation or latest is None or attempt == SNAPSHOT_OPEN_TRIES - 1:
                            raise
                        generation = latest
                if arrays is None:
                    raise no_index(self.index_dir)
                self._snapshot = ready(TantivySnapshot(index, generation, arrays), self.cache_size)
            return self._snapshot


def engine(index_dir: Path, cache_size: int) -> TantivyEngine:
    """The engine-module entry point (see :mod:`search.engines`)."""
    return TantivyEngine(index_dir, cache_size)


def holds_index(index_dir: Path) -> bool:
    """Whether ``index_dir`` holds a tantivy index (its commit file)."""
    return (Path(index_dir) / _META_FILE).is_file()
