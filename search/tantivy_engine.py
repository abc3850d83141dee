"""The tantivy engine: the same tokens as the Whoosh engine, answered by a Rust index.

tantivy is fed our own analysis as pre-tokenized text — folded characters, and runs of two and three of
them (``chars``, ``bigrams``, ``trigrams``, the last with positions), jieba words in ``words`` and
``heading_words`` — so both engines match exactly the same passages. Matching, filters, facet counts and
ordering run inside tantivy (terms and trigram phrases, term-set filters, terms aggregations on small
numeric codes), so a query that matches most passages costs no Python loop over them. Each commit also
names (in a document of ``kind=arrays``) the folder of its counting arrays and store (:mod:`search.arrays`,
:mod:`search.store`), written before the commit and removed when a later commit replaces it; a reader maps
them, turns a hit's ``pkey`` into a row by binary search over the store's sorted keys, reads passages and
reports from the store (tantivy stores no text), and checks the best-ranked candidates in the folded text.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import threading
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path

import numpy as np
import tantivy

from search.analysis import fold_with_offsets, segment
from search.arrays import (
    GenerationArrays,
    StoredReports,
    arrays_folder,
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
from search.counting import Filters, facet_lists, passage_facets, query_matches, reuse_mask
from search.memory import matching_rows
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
    region_keys,
)
from search.query import Near, Node, Not, Or, ParsedQuery, Term, near_occurrences
from search.reuse import reuse_folder
from search.reuse_build import write_reuse
from search.store import fast_key

Q = tantivy.Query
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tantivy-search")
Occur = tantivy.Occur

HEADING_BOOST = 2.0
CHARS_TOKENIZER = "fazhi_chars"
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
    b.add_text_field("report_id", tokenizer_name="raw", index_option="basic", fast=True)
    b.add_unsigned_field("pkey", indexed=True, fast=True)
    b.add_text_field("chars", tokenizer_name=CHARS_TOKENIZER, index_option="basic")
    b.add_text_field("bigrams", tokenizer_name=WORDS_TOKENIZER, index_option="basic")
    b.add_text_field("trigrams", tokenizer_name=WORDS_TOKENIZER, index_option="position")
    b.add_text_field("words", tokenizer_name=WORDS_TOKENIZER, index_option="freq")
    b.add_text_field("heading_words", tokenizer_name=WORDS_TOKENIZER, index_option="freq")
    b.add_integer_field("year", indexed=True, fast=True)
    b.add_text_field("section", tokenizer_name="raw", index_option="basic")
    # Facets are counted on numeric codes: a terms aggregation over integers is the cheapest pass there is.
    # Year, section and document type share one code (a few hundred values), so one aggregation counts all
    # three whatever their filters; regions (thousands) have their own small numbers (see _RegionNumbers).
    b.add_unsigned_field("attr_code", fast=True)
    b.add_unsigned_field("region_number", fast=True)
    b.add_unsigned_field("report_code", fast=True)
    b.add_text_field("doc_type", tokenizer_name="raw", index_option="basic")
    b.add_text_field("region_names", tokenizer_name="raw", index_option="basic")
    b.add_text_field("region_sort", tokenizer_name="raw", index_option="basic", fast=True)
    b.add_text_field("order", tokenizer_name="raw", index_option="basic", fast=True)
    b.add_text_field("stored", stored=True, tokenizer_name="raw", index_option="basic")
    return b.build()


def open_index(index_dir: Path) -> tantivy.Index:
    """The index at ``index_dir`` (created if absent), with our two tokenizers registered.

    ``chars`` receives the folded text (no whitespace left in it) and is cut into one token per character
    by a regex; ``bigrams`` and ``trigrams`` receive every run of two and three adjacent folded characters,
    joined by spaces, so the trigram at position *i* is characters *i* to *i+2*: the character-level field
    with sequential positions that exact matching runs on. ``words`` receives jieba's words joined by
    spaces. The tokens are exactly those of :func:`search.analysis.char_tokens` and
    :func:`search.analysis.segment`, cut in Rust rather than handed over one Python object per token.
    """
    try:
        index = tantivy.Index(_schema(), path=str(index_dir), reuse=True)
    except ValueError as e:
        if "schema does not match" not in str(e):
            raise
        raise OldIndexError(
            f"the index in {index_dir} was built by an earlier version of fazhi-search: "
            "rebuild it with `fazhi index CORPUS_DIR --rebuild`"
        ) from None
    index.register_tokenizer(CHARS_TOKENIZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(r"(?s).")).build())
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


def _add_codes(doc: tantivy.Document, report: Report, section: str, region_number: int) -> None:
    """The numeric codes facets are counted on. Every document gets them, report documents too (they never
    match a query): a column with a value for every document is read faster than one with gaps."""
    doc.add_unsigned("attr_code", attr_code(report.year, section, report.doc_type))
    doc.add_unsigned("region_number", region_number)
    doc.add_unsigned("report_code", fast_key(report.report_id))


def _passage_document(report: Report, p: Passage, region_number: int, folded: str) -> tantivy.Document:
    doc = tantivy.Document()
    doc.add_text("kind", "passage")
    doc.add_text("report_id", report.report_id)
    doc.add_unsigned("pkey", fast_key(p.passage_id))
    doc.add_text("chars", folded)
    doc.add_text("bigrams", " ".join([folded[i : i + 2] for i in range(len(folded) - 1)]))
    doc.add_text("trigrams", " ".join([folded[i : i + 3] for i in range(len(folded) - 2)]))
    doc.add_text("words", _words(folded))
    own_heading = p.own_heading()
    if own_heading:
        doc.add_text("heading_words", _words(fold_with_offsets(own_heading)[0]))
    if report.year is not None:
        doc.add_integer("year", report.year)
    doc.add_text("section", p.section)
    _add_codes(doc, report, p.section, region_number)
    region = report.region
    doc.add_text("doc_type", report.doc_type)
    for name in region.names():
        doc.add_text("region_names", name)
    doc.add_text("region_sort", "\x1f".join(region.names()))
    doc.add_text("order", f"{report.source}\x1f{p.number:08d}")
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
        folded: dict[str, str] = {}
        for report in reports:
            if not replace_all:
                writer.delete_documents_by_term("report_id", report.report_id)
            meta = tantivy.Document()
            meta.add_text("kind", "report")
            meta.add_text("report_id", report.report_id)
            number = numbers.number(report.region)
            _add_codes(meta, report, SECTIONS[-1], number)
            writer.add_document(meta)
            for p in report.passages:
                folded[p.passage_id] = fold_with_offsets(p.text)[0]
                writer.add_document(_passage_document(report, p, number, folded[p.passage_id]))
        writer.delete_documents_by_term("kind", _REGISTRY_KIND)
        writer.add_document(numbers.document())
        name = uuid.uuid4().hex[:16]
        folder = arrays_folder(index_dir, name)
        if previous is None:
            write_arrays(folder, reports, folded)
        else:  # the reports this commit keeps are copied from the previous generation's arrays
            gone = set(remove) | {r.report_id for r in reports}
            write_arrays(folder, reports, folded, previous=previous, keep=kept_indexes(previous, gone))
        folded.clear()  # the arrays hold it now: freed before finding reuse reads it from them
        write_reuse(reuse_folder(index_dir, name), folder)
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


def literal_trigrams(literal: str) -> list[tuple[int, str]]:
    """The trigrams (with their offsets) that pin down every character of a literal of three or more.

    Non-overlapping runs of three from the start, and the last three when the length is not a multiple of
    three: ``"法治政府建设"`` → ``[(0, "法治政"), (3, "府建设")]``; ``"枫桥经验"`` → ``[(0, "枫桥经"), (1, "桥经验")]``.
    A passage holds the literal at character *i* exactly when it holds each trigram at *i* plus its offset.
    """
    n = len(literal)
    runs = [(k, literal[k : k + 3]) for k in range(0, n - 2, 3)]
    if n % 3:
        runs.append((n - 3, literal[n - 3 :]))
    return runs


_NGRAM_FIELDS = {1: "chars", 2: "bigrams", 3: "trigrams"}


def _literal_query(schema: tantivy.Schema, literal: str) -> tantivy.Query:
    """Passages whose folded text holds ``literal``: a term for up to three characters, else a phrase of
    trigrams at fixed offsets (few, rare terms with short position lists: 法治政府建设 is two terms)."""
    if len(literal) <= 3:
        return Q.term_query(schema, _NGRAM_FIELDS[len(literal)], literal)
    return Q.phrase_query(schema, "trigrams", literal_trigrams(literal))


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


_NEAR_QUERIES_KEPT = 64
REUSE_KEYS_LIMIT = 5_000
"""Up to this many passages, the reuse filter is a set of their keys inside tantivy; above, a row mask over
tantivy's order of every match (see :meth:`TantivySnapshot._reuse_mask`)."""


class TantivySnapshot(Snapshot):
    """One committed tantivy generation: execution inside tantivy; passages, reports, counting arrays and
    folded text read from the generation's mapped arrays (nothing per passage or report in memory)."""

    def __init__(self, index: tantivy.Index, generation: object, arrays: GenerationArrays) -> None:
        super().__init__(arrays)
        self.generation = generation
        self._searcher = index.searcher()
        self._schema = index.schema
        # Proximity pairs verified in this generation: a search builds its query more than once (the rows
        # path, then the page and counts), and the verification reads every candidate's text.
        self._near_queries: dict[Near, tantivy.Query] = {}
        self._reuse_queries: dict[str, tantivy.Query] = {}  # reuse status -> its passages' keys
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
        self._kind_passage = Q.term_query(self._schema, "kind", "passage")
        if self._searcher.search(self._kind_passage, limit=1, count=True).count != self.store.rows:
            raise OldIndexError("the index and its store disagree: rebuild it with `fazhi index CORPUS_DIR --rebuild`")

    def _rows(self, addresses: list) -> list[int]:
        """The rows of hits: their passage keys found in the store's sorted keys."""
        if not addresses:
            return []
        return self.store.rows_of_keys(self._searcher.fast_field_values("pkey", addresses)).tolist()

    def _filters(self, request: SearchRequest) -> dict[str, tantivy.Query]:
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
        if request.reuse_filter and self._reuse_mask(request) is None:
            filters["reuse"] = self._reuse_query(request.reuse_filter)
        return filters

    def _reuse_query(self, status: str) -> tantivy.Query:
        """The passages whose reuse status is ``status``, by their keys (built once per generation)."""
        if status not in self._reuse_queries:
            rows = np.flatnonzero(reuse_mask(self, status)).tolist()
            keys = [fast_key(self.passages[r].passage_id) for r in rows]
            nothing = _and([self._kind_passage], [self._kind_passage])
            self._reuse_queries[status] = Q.term_set_query(self._schema, "pkey", keys) if keys else nothing
        return self._reuse_queries[status]

    def _reuse_mask(self, request: SearchRequest) -> np.ndarray | None:
        """The reuse filter as a row mask, when it keeps more passages than a set of keys serves quickly (a
        key set costs every search time in proportion to its size); None when there is no filter or when
        the keys filter inside tantivy (:meth:`_reuse_query`)."""
        if not request.reuse_filter:
            return None
        mask = reuse_mask(self, request.reuse_filter)
        return mask if int(mask.sum()) > REUSE_KEYS_LIMIT else None

    def _counts(self, parsed: ParsedQuery, request: SearchRequest) -> tuple[dict[str, Sequence[FacetValue]], int]:
        """Facet counts over all matches (each facet ignoring its own filter) and the filtered total, from the
        matches the counting layer found (:func:`search.counting.query_matches`: the search's own, kept with
        the snapshot), not by a second pass over them inside tantivy.

        The matching passages are counted once per (report, section) cell; everything after that works on
        cells (reports × sections), not matches: per year, section and document type together (one code),
        narrowed by the region filter only, and per region, narrowed by the other filters. Each of the first
        three facets then sums the codes that pass the other two filters (:func:`_attr_facets`).
        """
        table = self.row_table
        cells = self._match_cells(parsed, request)
        region = Filters(self, request).report_masks.get("region")
        by_cell = cells if region is None else cells * region[:, None]
        codes, code_of_cell = self._cell_codes
        per_code = np.bincount(code_of_cell, weights=by_cell.ravel(), minlength=len(codes)).astype(np.int64)
        by_attr = {int(codes[k]): int(per_code[k]) for k in np.flatnonzero(per_code).tolist()}
        keep_sections = np.ones(len(SECTIONS), dtype=bool)
        if request.sections:
            keep_sections = np.isin(np.arange(len(SECTIONS)), [SECTIONS.index(x) for x in request.sections])
        per_report = cells[:, keep_sections].sum(axis=1)
        if request.years:
            per_report *= np.isin(table.report_year, list(request.years))
        if request.doc_types:
            per_report *= np.isin(table.report_doc_type, [DOC_TYPES.index(d) for d in request.doc_types])
        numbers = self._report_region_numbers
        per_number = np.bincount(numbers, weights=per_report, minlength=len(self._region_key_ids_of_number))
        by_region = {k: int(per_number[k]) for k in np.flatnonzero(per_number).tolist()}
        years, sections, doc_types, total = _attr_facets(by_attr, request)
        facets: dict[str, Sequence[FacetValue]] = {
            **facet_lists(Counter(), years, sections, doc_types),
            "region": self._region_facet(by_region),  # counted on region numbers, as columns
        }
        return facets, total

    def _match_cells(self, parsed: ParsedQuery, request: SearchRequest) -> np.ndarray:
        """Matching passages per report and section (reports × sections), within the reuse filter (a row
        filter: it narrows every facet). Every passage's cells are counted once per generation."""
        table = self.row_table
        if parsed.root is None and not request.reuse_filter:
            return self._all_cells
        rows = query_matches(self, parsed).rows
        if request.reuse_filter:
            rows = rows[reuse_mask(self, request.reuse_filter)[rows]]
        cells = np.bincount(table.report[rows] * len(SECTIONS) + table.section[rows], minlength=self._cell_count)
        return cells.reshape(-1, len(SECTIONS))

    @property
    def _cell_count(self) -> int:
        return len(self.row_table.report_year) * len(SECTIONS)

    @cached_property
    def _all_cells(self) -> np.ndarray:
        table = self.row_table
        cells = np.bincount(table.report * len(SECTIONS) + table.section, minlength=self._cell_count)
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

    def _region_facet(self, by_number: dict[int, int]) -> FacetRows:
        """Counts per region number spread to every level (province, prefecture, county), biggest first.

        Thousands of rows at county level for a national corpus: the loops work on small integers, the keys
        are numbered in name order, so one stable sort by count finishes the order, and the rows stay
        columns (see :class:`FacetRows`).
        """
        ids_of = self._region_key_ids_of_number
        acc = [0] * len(self._region_rank_base)
        for number, n in by_number.items():
            for kid in ids_of[number]:
                acc[kid] += n
        order = [base - n for base, n in zip(self._region_rank_base, acc, strict=True)]
        kids = sorted((kid for kid, n in enumerate(acc) if n), key=order.__getitem__)
        names, levels, parents = self._region_columns
        return FacetRows(kids, names, acc, levels, parents)

    def _ordered_page(
        self,
        query: tantivy.Query,
        request: SearchRequest,
        parsed: ParsedQuery,
        start: int,
        limit: int,
        extra: list[tantivy.Query] = (),
    ) -> list[tuple[float, int]]:
        searcher = self._searcher
        if start >= searcher.num_docs:  # tantivy sizes its collector by offset + limit: never past the index
            return []
        if request.sort == "year":
            direction = tantivy.Order.Asc if request.order == "asc" else tantivy.Order.Desc
            hits = searcher.search(
                query, limit=limit, offset=start, count=False, order_by_field="year", order=direction
            ).hits
            return [(0.0, r) for r in self._rows([a for _, a in hits])]
        if request.sort == "region" or not parsed.has_positive:
            field = "region_sort" if request.sort == "region" else "order"
            descending = request.sort == "region" and request.order == "desc"
            direction = tantivy.Order.Desc if descending else tantivy.Order.Asc
            hits = searcher.search(
                query, limit=limit, offset=start, count=False, order_by_field=field, order=direction
            ).hits
            return [(0.0, r) for r in self._rows([a for _, a in hits])]
        words = self._words_query(parsed)
        ranked = None
        if words is not None:
            filters = [*self._filters(request).values(), *extra]
            ranked = self._ranked_by_words(parsed, query, words, filters, start, limit)
        if ranked is None:
            # Every match scored by its words (the matching itself, by characters, adds nothing to the score).
            scored = Q.const_score_query(query, 0.0)
            if words is not None:
                scored = Q.boolean_query([(Occur.Must, scored), (Occur.Should, words)])
            hits = searcher.search(scored, limit=limit, offset=start, count=False).hits
            ranked = list(zip((s for s, _ in hits), self._rows([a for _, a in hits]), strict=True))
        # Equal scores fall back to report and passage order, as in every engine.
        return sorted(ranked, key=lambda sr: (-sr[0], sr[1]))

    def _words_query(self, parsed: ParsedQuery) -> tantivy.Query | None:
        """BM25 over the jieba words of the query's positive literals (a heading's words weigh more)."""
        words = parsed.ranking_words()
        if not words:
            return None
        should = [(Occur.Should, Q.term_query(self._schema, "words", w)) for w in words]
        should += [
            (Occur.Should, Q.boost_query(Q.term_query(self._schema, "heading_words", w), HEADING_BOOST)) for w in words
        ]
        return Q.boolean_query(should)

    def _ranked_by_words(
        self,
        parsed: ParsedQuery,
        full: tantivy.Query,
        words: tantivy.Query,
        filters: list[tantivy.Query],
        start: int,
        limit: int,
    ) -> list[tuple[float, int]] | None:
        """The page ``start:start+limit`` of matches by word score, without scoring every match.

        The best-scoring passages by words alone, within the filters, are cheap to find (no positions);
        those whose folded text (in memory) also holds the query are the best matches. Widen until enough
        are found; None when that would cost more than ranking every match (the caller then does that).
        """
        searcher, need = self._searcher, start + limit
        # Filters narrow without scoring (a constant 0), so a passage's score is its words' alone.
        candidates = _and([words, *(Q.const_score_query(f, 0.0) for f in filters)]) if filters else words
        k = max(4 * need, 200)
        while k <= max(20 * need, 5000):
            hits = searcher.search(candidates, limit=k, count=False).hits
            rows = self._rows([a for _, a in hits])
            matching = matching_rows(self, parsed, set(rows))
            ranked = [(s, row) for (s, _), row in zip(hits, rows, strict=True) if row in matching]
            if len(ranked) >= need:
                return sorted(ranked, key=lambda sr: (-sr[0], sr[1]))[start:need]
            if len(hits) < k:
                # Every passage holding a word was seen: the other matches score 0, in passage order.
                rest = searcher.search(
                    _and([full], [words]),
                    limit=need - len(ranked),
                    count=False,
                    order_by_field="order",
                    order=tantivy.Order.Asc,
                ).hits
                ranked.sort(key=lambda sr: (-sr[0], sr[1]))
                ranked += [(0.0, r) for r in self._rows([a for _, a in rest])]
                return ranked[start:need]
            k *= 4
        return None

    def _match_query(self, parsed: ParsedQuery) -> tantivy.Query:
        """The query's tree as nested boolean queries: literals are exact (terms and trigram phrases), and
        a proximity pair is the passages verified to hold it (see :meth:`_near_query`)."""
        if parsed.root is None:
            return self._kind_passage
        return self._node_query(parsed.root)

    def _node_query(self, node: Node) -> tantivy.Query:
        schema = self._schema
        if isinstance(node, Term):
            return _literal_query(schema, node.literal)
        if isinstance(node, Near):
            return self._near_query(node)
        if isinstance(node, Or):
            return Q.boolean_query([(Occur.Should, self._node_query(c)) for c in node.children])
        if isinstance(node, Not):
            return _and([self._kind_passage], [self._node_query(node.child)])
        included = [self._node_query(c) for c in node.children if not isinstance(c, Not)]
        excluded = [self._node_query(c.child) for c in node.children if isinstance(c, Not)]
        # Report documents have no text, so an included literal already keeps to passages.
        return _and(included or [self._kind_passage], excluded)

    def _near_query(self, near: Near) -> tantivy.Query:
        """Passages where the proximity pair holds: the candidates (both literals, found by tantivy) verified
        on the positions of the literals in their folded text, then named by their keys (kept for the
        generation, the last :data:`_NEAR_QUERIES_KEPT` pairs)."""
        if near in self._near_queries:
            return self._near_queries[near]
        both = _and([_literal_query(self._schema, near.left), _literal_query(self._schema, near.right)])
        searcher = self._searcher
        n = searcher.search(both, limit=1, count=True).count
        hits = searcher.search(Q.const_score_query(both, 0.0), limit=n, count=False).hits if n else []
        rows = self._rows([a for _, a in hits])
        ids = self.store.passage_ids
        keys = [fast_key(ids[r]) for r in rows if near_occurrences(self.folded[r], near)]
        if keys:
            query = Q.term_set_query(self._schema, "pkey", keys)
        else:
            query = _and([self._kind_passage], [self._kind_passage])  # nothing
        if len(self._near_queries) >= _NEAR_QUERIES_KEPT:
            self._near_queries.clear()
        self._near_queries[near] = query
        return query

    def query_rows(self, parsed: ParsedQuery, limit: int) -> np.ndarray | None:
        match = self._match_query(parsed)
        searcher = self._searcher
        n = searcher.search(match, limit=1, count=True).count
        if n > limit:
            return None
        if n == 0:
            return np.empty(0, dtype=np.int64)
        hits = searcher.search(Q.const_score_query(match, 0.0), limit=n, count=False).hits
        return np.sort(np.asarray(self._rows([a for _, a in hits]), dtype=np.int64))

    def execute(self, parsed: ParsedQuery, request: SearchRequest) -> Execution:
        match = self._match_query(parsed)
        filters = self._filters(request)
        full = _and([match, *filters.values()]) if filters else match
        start = (request.page - 1) * request.per_page
        # The page's ordered pass (tantivy, which releases the GIL) and the facets (numpy over the matches the
        # search has counted) are independent: run them side by side on the two cores.
        mask = self._reuse_mask(request)
        if mask is not None:
            return self._execute_masked(parsed, request, full, start, mask)
        paging = _POOL.submit(self._page, full, request, parsed, start)
        facets, total = self._counts(parsed, request)
        rows, scores, hits = paging.result()
        return Execution(total=total, rows=rows, facets=facets, scores=scores, hits=hits)

    def _execute_masked(
        self, parsed: ParsedQuery, request: SearchRequest, full: tantivy.Query, start: int, mask: np.ndarray
    ) -> Execution:
        """A request whose reuse filter is a row mask: the matches it keeps and the facets are counted by the
        counting layer (as the in-memory execution counts); the page is tantivy's order of the kept rows,
        named by their keys when they are few, else read off the order of every match."""
        matches = query_matches(self, parsed)
        row_filters = Filters(self, request)
        keep = row_filters.rows(matches.rows)
        facets = passage_facets(self, matches.rows, row_filters)
        total = int(keep.sum())
        extra: list[tantivy.Query] = []
        if total <= REUSE_KEYS_LIMIT:
            keys = [fast_key(self.passages[r].passage_id) for r in matches.rows[keep].tolist()]
            extra = [Q.term_set_query(self._schema, "pkey", keys) if keys else _and([full], [full])]
        share = total / max(len(matches.rows), 1)
        rows, scores, hits = self._page(_and([full, *extra]), request, parsed, start, mask, share, extra)
        return Execution(total=total, rows=rows, facets=facets, scores=scores, hits=hits)

    def _page(
        self,
        full: tantivy.Query,
        request: SearchRequest,
        parsed: ParsedQuery,
        start: int,
        mask: np.ndarray | None = None,
        share: float = 1.0,
        extra: list[tantivy.Query] = (),
    ) -> tuple[list[int], dict[int, float], list[Hit]]:
        """The page's rows in order, their scores and hits (made here, while the other thread counts); with
        ``mask``, only rows it keeps (about ``share`` of the matches; ``extra`` narrows to them in tantivy)."""
        if request.group:
            page = self._grouped_page(full, request, parsed, start, mask, share, extra)
        else:
            page = self._masked_page(full, request, parsed, start, request.per_page, mask, share, extra)
        rows = [r for _, r in page]
        scores = {r: s for s, r in page}
        hits = make_hits(self, parsed, rows, scores, self.matches_in_reports(parsed, request, rows))
        return rows, scores, hits

    def matches_in_reports(self, parsed: ParsedQuery, request: SearchRequest, rows: list[int]) -> dict[int, int]:
        """For each of the given matching rows, how many passages of its report match (filters included).

        A matching row's report passes the report-level filters (region, year, type), so only the section
        filter and the query are checked, in the folded text of that report's passages.
        """
        counts: dict[int, int] = {}
        sections = {SECTIONS.index(s) for s in request.sections}
        status = reuse_mask(self, request.reuse_filter) if request.reuse_filter else None
        section = self.row_table.section
        for report in dict.fromkeys(int(self.report_rows[r]) for r in rows):
            first = int(self.report_first_rows[report])
            own = range(first, first + int(self.report_sizes[report]))
            kept = {r for r in own if not sections or int(section[r]) in sections}
            if status is not None:
                kept = {r for r in kept if status[r]}
            counts[report] = len(matching_rows(self, parsed, kept))
        return {r: counts[int(self.report_rows[r])] for r in rows}

    def _masked_page(
        self,
        query: tantivy.Query,
        request: SearchRequest,
        parsed: ParsedQuery,
        start: int,
        limit: int,
        mask: np.ndarray | None,
        share: float = 1.0,
        extra: list[tantivy.Query] = (),
    ) -> list[tuple[float, int]]:
        """The page ``start:start+limit`` of the matches ``mask`` keeps, in the order of all matches (a filter
        changes no score): fetch ever more of that order until enough are kept, or every match is seen; the
        first fetch is sized by the ``share`` of matches kept."""
        if mask is None:
            return self._ordered_page(query, request, parsed, start, limit, extra)
        k = max(int((start + limit) / max(share, 0.001) * 1.25), 200)
        while True:
            page = self._ordered_page(query, request, parsed, 0, k, extra)
            kept = [(score, row) for score, row in page if mask[row]]
            if len(kept) >= start + limit or len(page) < k:
                return kept[start : start + limit]
            k *= 4

    def _grouped_page(
        self,
        query: tantivy.Query,
        request: SearchRequest,
        parsed: ParsedQuery,
        start: int,
        mask: np.ndarray | None = None,
        share: float = 1.0,
        extra: list[tantivy.Query] = (),
    ) -> list[tuple[float, int]]:
        """The page of best passages, one per report: fetch ever more hits until enough reports are seen."""
        want = start + request.per_page
        limit = want * 4
        while True:
            page = self._masked_page(query, request, parsed, 0, limit, mask, share, extra)
            best: dict[int, tuple[float, int]] = {}
            for score, row in page:
                best.setdefault(int(self.report_rows[row]), (score, row))
            if len(best) >= want or len(page) < limit:
                return list(best.values())[start:want]
            limit *= 4


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
