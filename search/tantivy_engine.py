"""The tantivy engine: the same tokens as the Whoosh engine, answered by a Rust index.

tantivy is fed our own analysis as pre-tokenized text — one token per folded character (sequential
positions, punctuation included) in ``chars``, jieba words in ``words`` and ``heading_words`` — so both
engines match exactly the same passages. Matching, filters, facet counts and ordering all run inside
tantivy (phrase queries on ``chars``, term-set filters, terms aggregations on fast fields), so a query
that matches most passages costs no Python loop over them. Passages are also held in memory, as for
every engine, to render hits and report pages.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable
from pathlib import Path

import tantivy

from search.analysis import fold_with_offsets, segment
from search.core import Execution, Snapshot
from search.models import REGION_LEVELS, SECTIONS, FacetValue, Passage, Report, SearchRequest
from search.query import Clause, ParsedQuery

Q = tantivy.Query
Occur = tantivy.Occur

HEADING_BOOST = 2.0
CHARS_TOKENIZER = "fazhi_chars"
WORDS_TOKENIZER = "fazhi_words"
WRITER_HEAP_BYTES = 256_000_000
WRITER_THREADS = 2  # both cores of the target machine
_META_FILE = "meta.json"  # rewritten atomically by every commit: its change marks a new generation
_REGION_FIELDS = REGION_LEVELS  # province, prefecture, county: one raw fast field each


def _schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_text_field("kind", tokenizer_name="raw", index_option="basic")
    b.add_text_field("report_id", stored=True, tokenizer_name="raw", index_option="basic", fast=True)
    b.add_text_field("passage_id", stored=True, tokenizer_name="raw", index_option="basic")
    b.add_unsigned_field("pkey", fast=True)
    b.add_text_field("chars", tokenizer_name=CHARS_TOKENIZER, index_option="position")
    b.add_text_field("words", tokenizer_name=WORDS_TOKENIZER, index_option="freq")
    b.add_text_field("heading_words", tokenizer_name=WORDS_TOKENIZER, index_option="freq")
    b.add_integer_field("year", indexed=True, fast=True)
    b.add_text_field("section", tokenizer_name="raw", index_option="basic", fast=True)
    for level in _REGION_FIELDS:
        b.add_text_field(level, tokenizer_name="raw", index_option="basic", fast=True)
    b.add_text_field("region_names", tokenizer_name="raw", index_option="basic")
    b.add_text_field("region_sort", tokenizer_name="raw", index_option="basic", fast=True)
    b.add_text_field("order", tokenizer_name="raw", index_option="basic", fast=True)
    b.add_text_field("stored", stored=True, tokenizer_name="raw", index_option="basic")
    return b.build()


def open_index(index_dir: Path) -> tantivy.Index:
    """The index at ``index_dir`` (created if absent), with our two tokenizers registered.

    ``chars`` receives the folded text (no whitespace left in it) and is cut into one token per character
    by a regex, so positions are character indexes; ``words`` receives jieba's words joined by spaces and
    is cut at the spaces. The tokens are exactly those of :func:`search.analysis.char_tokens` and
    :func:`search.analysis.segment`, cut in Rust rather than handed over one Python object per token.
    """
    index = tantivy.Index(_schema(), path=str(index_dir), reuse=True)
    index.register_tokenizer(CHARS_TOKENIZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(r"(?s).")).build())
    index.register_tokenizer(WORDS_TOKENIZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
    return index


def _words(folded: str) -> str:
    return " ".join(w for w, _, _ in segment(folded))


def passage_key(passage_id: str) -> int:
    """A passage's 63-bit key in the index's fast field (maps a hit back to its row)."""
    return int(hashlib.sha1(passage_id.encode()).hexdigest()[:15], 16)


def _passage_document(report: Report, p: Passage) -> tantivy.Document:
    folded = fold_with_offsets(p.text)[0]
    heading_tail = p.heading.rsplit(" › ", 1)[-1]
    doc = tantivy.Document()
    doc.add_text("kind", "passage")
    doc.add_text("report_id", report.report_id)
    doc.add_text("passage_id", p.passage_id)
    doc.add_unsigned("pkey", passage_key(p.passage_id))
    doc.add_text("chars", folded)
    doc.add_text("words", _words(folded))
    if heading_tail and heading_tail in p.text:
        doc.add_text("heading_words", _words(fold_with_offsets(heading_tail)[0]))
    if report.year is not None:
        doc.add_integer("year", report.year)
    doc.add_text("section", p.section)
    region = report.region
    for level in _REGION_FIELDS:
        name = getattr(region, level)
        if name:
            doc.add_text(level, name)
    for name in region.names():
        doc.add_text("region_names", name)
    doc.add_text("region_sort", "\x1f".join(region.names()))
    doc.add_text("order", f"{report.source}\x1f{p.number:08d}")
    doc.add_text(
        "stored",
        json.dumps([p.number, p.text, p.section, p.heading], ensure_ascii=False),
    )
    return doc


def write_reports(
    index_dir: Path, reports: Iterable[Report], replace_all: bool = True, remove: Iterable[str] = ()
) -> None:
    """Add ``reports`` in one commit, as :func:`search.whoosh_engine.write_reports` does."""
    index_dir.mkdir(parents=True, exist_ok=True)
    index = open_index(index_dir)
    writer = index.writer(WRITER_HEAP_BYTES, WRITER_THREADS)
    try:
        if replace_all:
            writer.delete_all_documents()
        else:
            for rid in remove:
                writer.delete_documents_by_term("report_id", rid)
        for report in reports:
            if not replace_all:
                writer.delete_documents_by_term("report_id", report.report_id)
            meta = tantivy.Document()
            meta.add_text("kind", "report")
            meta.add_text("report_id", report.report_id)
            meta.add_text("stored", report.metadata_json())
            writer.add_document(meta)
            for p in report.passages:
                writer.add_document(_passage_document(report, p))
        writer.commit()
        writer.wait_merging_threads()
    except BaseException:
        writer.rollback()
        raise


def _literal_query(schema: tantivy.Schema, literal: str) -> tantivy.Query:
    """Passages whose folded text holds ``literal``: a phrase of its characters (adjacent positions)."""
    if len(literal) == 1:
        return Q.term_query(schema, "chars", literal)
    return Q.phrase_query(schema, "chars", list(literal))


def _clause_query(schema: tantivy.Schema, clause: Clause) -> tantivy.Query:
    queries = [_literal_query(schema, lit) for lit in clause.literals]
    return queries[0] if len(queries) == 1 else Q.boolean_query([(Occur.Should, q) for q in queries])


def _and(parts: list[tantivy.Query], excluded: list[tantivy.Query] = ()) -> tantivy.Query:
    return Q.boolean_query([(Occur.Must, q) for q in parts] + [(Occur.MustNot, q) for q in excluded])


class TantivySnapshot(Snapshot):
    """One committed tantivy generation: reports and passages in memory, execution inside tantivy."""

    def __init__(self, index: tantivy.Index, generation: object) -> None:
        self.generation = generation
        self._searcher = index.searcher()
        self._schema = index.schema
        searcher = self._searcher
        hits = searcher.search(Q.all_query(), limit=max(1, searcher.num_docs), count=False).hits
        report_meta: dict[str, str] = {}
        by_report: dict[str, list[tuple[int, str, str]]] = {}
        for _, address in hits:
            doc = searcher.doc(address)
            rid = doc.get_first("report_id")
            stored = doc.get_first("stored")
            pid = doc.get_first("passage_id")
            if pid is None:
                report_meta[rid] = stored
            else:
                number = json.loads(stored)[0]
                by_report.setdefault(rid, []).append((number, pid, stored))
        reports: dict[str, Report] = {}
        passages: list[Passage] = []
        for rid, raw in sorted(report_meta.items(), key=lambda kv: json.loads(kv[1])["source"]):
            ps = []
            for _, pid, stored in sorted(by_report.get(rid, [])):
                number, text, section, heading = json.loads(stored)
                ps.append(Passage(pid, rid, number, text, section, heading))
            reports[rid] = Report.from_metadata_json(raw, tuple(ps))
            passages.extend(ps)
        super().__init__(reports=reports, passages=passages, folded=[])
        self._row_of_key = {passage_key(p.passage_id): row for row, p in enumerate(passages)}
        self._region_parent = {(level, name): parent for keys in self.row_region_keys for level, name, parent in keys}
        self._kind_passage = Q.term_query(self._schema, "kind", "passage")

    def _rows(self, addresses: list) -> list[int]:
        keys = self._searcher.fast_field_values("pkey", addresses)
        return [self._row_of_key[k] for k in keys]

    def _filters(self, request: SearchRequest) -> dict[str, tantivy.Query]:
        schema = self._schema
        filters = {}
        if request.regions:
            filters["region"] = Q.term_set_query(schema, "region_names", list(request.regions))
        if request.years:
            filters["year"] = Q.term_set_query(schema, "year", list(request.years))
        if request.sections:
            filters["section"] = Q.term_set_query(schema, "section", list(request.sections))
        return filters

    def _aggregate(self, query: tantivy.Query, facets: tuple[str, ...]) -> dict[str, list[tuple[object, int]]]:
        spec = {}
        for facet in facets:
            fields = _REGION_FIELDS if facet == "region" else (facet,)
            for field in fields:
                spec[field] = {"terms": {"field": field, "size": 65000}}
        result = self._searcher.aggregate(query, spec)
        return {field: [(b["key"], b["doc_count"]) for b in result[field]["buckets"]] for field in spec}

    def _facets(self, match: tantivy.Query, filters: dict[str, tantivy.Query]) -> dict[str, list[FacetValue]]:
        """Counts per value over all matches; each facet's counts ignore that facet's own filter."""
        counts: dict[str, list[tuple[object, int]]] = {}
        groups: dict[tuple[str, ...], list[str]] = {}
        for facet in ("region", "year", "section"):
            others = tuple(sorted(k for k in filters if k != facet))
            groups.setdefault(others, []).append(facet)
        for others, facets in groups.items():
            counts.update(self._aggregate(_and([match] + [filters[k] for k in others]), tuple(facets)))
        level_rank = {level: n for n, level in enumerate(REGION_LEVELS)}
        region = [
            FacetValue(value=name, count=n, level=level, parent=self._region_parent.get((level, name)))
            for level in _REGION_FIELDS
            for name, n in counts[level]
        ]
        region.sort(key=lambda f: (level_rank[f.level], -f.count, f.value))
        years = sorted(((int(k), n) for k, n in counts["year"]), reverse=True)
        sections = dict(counts["section"])
        return {
            "region": region,
            "year": [FacetValue(value=y, count=n) for y, n in years],
            "section": [FacetValue(value=s, count=sections[s]) for s in SECTIONS if sections.get(s)],
        }

    def _ranked(self, full: tantivy.Query, parsed: ParsedQuery) -> tantivy.Query:
        """``full`` scored by BM25 over the jieba words of the query (headings weigh more), not by characters."""
        words = list(dict.fromkeys(w for c in parsed.positive for lit in c.literals for w, _, _ in segment(lit)))
        if not words:
            return full
        should = [(Occur.Should, Q.term_query(self._schema, "words", w)) for w in words]
        should += [
            (Occur.Should, Q.boost_query(Q.term_query(self._schema, "heading_words", w), HEADING_BOOST)) for w in words
        ]
        return Q.boolean_query([(Occur.Must, Q.const_score_query(full, 0.0))] + should)

    def _ordered_page(
        self, query: tantivy.Query, request: SearchRequest, parsed: ParsedQuery, start: int, limit: int
    ) -> list[tuple[float, int]]:
        searcher = self._searcher
        if request.sort == "year":
            hits = searcher.search(query, limit=limit, offset=start, count=False, order_by_field="year").hits
            return [(0.0, r) for r in self._rows([a for _, a in hits])]
        if request.sort == "region" or not parsed.positive:
            field = "region_sort" if request.sort == "region" else "order"
            hits = searcher.search(
                query, limit=limit, offset=start, count=False, order_by_field=field, order=tantivy.Order.Asc
            ).hits
            return [(0.0, r) for r in self._rows([a for _, a in hits])]
        hits = searcher.search(self._ranked(query, parsed), limit=limit, offset=start, count=False).hits
        rows = self._rows([a for _, a in hits])
        # Equal scores fall back to report and passage order, as in every engine.
        return sorted(((score, r) for (score, _), r in zip(hits, rows, strict=True)), key=lambda sr: (-sr[0], sr[1]))

    def execute(self, parsed: ParsedQuery, request: SearchRequest) -> Execution:
        schema = self._schema
        match = _and(
            [self._kind_passage] + [_clause_query(schema, c) for c in parsed.positive],
            [_clause_query(schema, c) for c in parsed.negative],
        )
        filters = self._filters(request)
        full = _and([match, *filters.values()]) if filters else match
        facets = self._facets(match, filters)
        per_report = dict(self._aggregate(full, ("report_id",))["report_id"])
        total = sum(per_report.values())
        start = (request.page - 1) * request.per_page
        if request.group:
            page = self._grouped_page(full, request, parsed, start)
        else:
            page = self._ordered_page(full, request, parsed, start, request.per_page)
        rows = [r for _, r in page]
        return Execution(
            total=total,
            rows=rows,
            facets=facets,
            scores={r: s for s, r in page},
            report_matches={r: per_report.get(self.passages[r].report_id, 1) for r in rows},
            reports_total=len(per_report),
        )

    def _grouped_page(
        self, query: tantivy.Query, request: SearchRequest, parsed: ParsedQuery, start: int
    ) -> list[tuple[float, int]]:
        """The page of best passages, one per report: fetch ever more hits until enough reports are seen."""
        want = start + request.per_page
        limit = want * 4
        while True:
            page = self._ordered_page(query, request, parsed, 0, limit)
            best: dict[int, tuple[float, int]] = {}
            for score, row in page:
                best.setdefault(self.report_rows[row], (score, row))
            if len(best) >= want or len(page) < limit:
                return list(best.values())[start:want]
            limit *= 4


def _generation(index_dir: Path) -> tuple[int, int] | None:
    try:
        st = (index_dir / _META_FILE).stat()
    except FileNotFoundError:
        return None
    return st.st_mtime_ns, st.st_size


class TantivyEngine:
    """Opens the tantivy index at ``index_dir``; a newer commit is picked up on the next call."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)
        self._lock = threading.Lock()
        self._snapshot: TantivySnapshot | None = None

    def exists(self) -> bool:
        return _generation(self.index_dir) is not None

    def snapshot(self) -> Snapshot:
        generation = _generation(self.index_dir)
        if generation is None:
            raise FileNotFoundError(f"no index in {self.index_dir}: build one with `fazhi index CORPUS_DIR`")
        with self._lock:
            if self._snapshot is None or self._snapshot.generation != generation:
                self._snapshot = TantivySnapshot(open_index(self.index_dir), generation)
            return self._snapshot
