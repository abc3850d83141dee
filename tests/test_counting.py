"""Every count of the research views equals a plain scan of the texts: occurrences (处), passages (段) and
reports (份) of a search, facets counted in reports, the report table, trend points and concordance lines.

The scan is the reader's definition, written here independently of the library: a passage matches when
its folded text satisfies the query's tree (a literal: plain ``in``; a proximity pair: any two occurrences,
compared one by one, within the distance or with no sentence end between their starts); occurrences are
``str.count`` of each positive term plus, for a pair, the occurrences that have a partner, each
(literal, start) once.
Both counting paths run (the engine's rows, and the whole-corpus array), on both engines, on hand-made
reports, on the five sample reports and on a generated collection.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import search.counting as counting
from search import (
    ConcordanceRequest,
    SearchRequest,
    TrendsRequest,
    concordance,
    open_engine,
    parse_years,
    search,
    trends,
)
from search.analysis import fold
from search.arrays import CorpusText
from search.counting import self_overlaps
from search.query import And, Near, Not, Or, Term, parse_query

# --- the scan ---------------------------------------------------------------------------------------------


def scan(snap, query: str, request: SearchRequest | None = None) -> list[tuple[int, int]]:
    """(row, occurrences) of every passage matching ``query`` within the request's filters, by plain scan."""
    request = request or SearchRequest()
    parsed = parse_query(query)
    years = set(request.years)
    for low, high in request.year_ranges:
        years |= {y for y in range(low or 1000, (high or 9999) + 1)}
    out = []
    for row, p in enumerate(snap.passages):
        report = snap.reports[p.report_id]
        if request.regions and not set(request.regions) & set(report.region.names()):
            continue
        if (request.years or request.year_ranges) and report.year not in years:
            continue
        if request.sections and p.section not in request.sections:
            continue
        text = fold(p.text)
        if parsed.root is None or scan_matches(parsed.root, text):
            out.append((row, scan_occurrences(parsed, text)))
    return out


def scan_starts(text: str, literal: str) -> list[int]:
    """Non-overlapping starts of ``literal``, as str.count counts them."""
    starts, i = [], text.find(literal)
    while i != -1:
        starts.append(i)
        i = text.find(literal, i + len(literal))
    return starts


def scan_pairs(text: str, near: Near) -> set[tuple[str, int]]:
    """Every occurrence of either literal with a partner, by comparing every two occurrences."""
    found = set()
    for a in scan_starts(text, near.left):
        for b in scan_starts(text, near.right):
            if near.left == near.right and a == b:
                continue
            if near.distance is None:
                ok = not any(c in "。!?;" for c in text[min(a, b) : max(a, b)])
            else:
                ok = max(b - (a + len(near.left)), a - (b + len(near.right))) <= near.distance
            if ok:
                found |= {(near.left, a), (near.right, b)}
    return found


def scan_matches(node, text: str) -> bool:
    if isinstance(node, Term):
        return node.literal in text
    if isinstance(node, Near):
        return bool(scan_pairs(text, node))
    if isinstance(node, And):
        return all(scan_matches(c, text) for c in node.children)
    if isinstance(node, Or):
        return any(scan_matches(c, text) for c in node.children)
    return not scan_matches(node.child, text)


def scan_occurrences(parsed, text: str) -> int:
    found: set[tuple[str, int]] = set()

    def visit(node, negated: bool) -> None:
        if isinstance(node, Term) and not negated:
            found.update((node.literal, s) for s in scan_starts(text, node.literal))
        elif isinstance(node, Near) and not negated:
            found.update(scan_pairs(text, node))
        elif isinstance(node, (And, Or)):
            for c in node.children:
                visit(c, negated)
        elif isinstance(node, Not):
            visit(node.child, True)

    if parsed.root is not None:
        visit(parsed.root, False)
    return len(found)


def random_queries(snap, n: int, seed: int) -> list[str]:
    """Random substrings of 1–6 characters of the folded texts, plus AND, OR and exclusion queries."""
    rng = random.Random(seed)
    texts = [fold(p.text) for p in snap.passages if len(fold(p.text)) > 8]
    out = []
    for _ in range(n):
        t = rng.choice(texts)
        k = rng.randint(1, 6)
        i = rng.randrange(0, len(t) - k)
        out.append(t[i : i + k].replace('"', "").replace(" ", "") or "法")
    return out + ["法治 政府", "枫桥经验 OR 首违不罚", "行政复议 -诉讼", "法治法治", "哈哈"]


def random_tree_queries(snap, n: int, seed: int) -> list[str]:
    """Random grouped, OR-negated and proximity queries of substrings taken near each other in one passage
    (so pairs often hold), and from other passages."""
    rng = random.Random(seed)
    texts = [fold(p.text) for p in snap.passages if len(fold(p.text)) > 30]
    templates = [
        "({a} OR {b}) {c}",
        "{a} OR -{b}",
        "-({a} OR {b})",
        "{a} NEAR/{k} {b}",
        "{a} /SEN {b}",
        "{a} 同句 {b} OR {c}",
        "-{a} NEAR/{k} {b} {c}",
        "({a} NEAR/{k} {b}) | {c}",
        "{a} AND ({b} OR -{c})",
        "{a} {b} ({a} OR {c})",
        "{a} {b} -{c} {a}",  # an AND of terms, one twice, one excluded: merged as rows (terms_of_and)
        "{a} -{a} {b}",
        "{a} OR {b} OR {c}",  # an OR of terms: merged as rows (terms_of_or)
        "{a} OR {b} OR {a}",
    ]

    def piece(t: str, i: int) -> str:
        k = rng.randint(1, 3)
        word = t[i : i + k]
        return '"' + word + '"' if any(ch in word for ch in '()（）|&+-"“”「」/') else word

    out = []
    for _ in range(n):
        t = rng.choice(texts)
        i = rng.randrange(0, len(t) - 20)
        j = min(len(t) - 4, i + rng.randint(0, 15))
        other = rng.choice(texts)
        c = piece(other, rng.randrange(0, len(other) - 4))
        out.append(rng.choice(templates).format(a=piece(t, i), b=piece(t, j), c=c, k=rng.randint(0, 8)))
    return out


TREE_QUERIES = [
    "(首违不罚 OR 枫桥经验) 执法",
    "首违不罚 OR -执法",
    "-执法",
    "-(行政复议 OR 诉讼) 法治",
    "枫桥经验 NEAR/6 矛盾",
    "枫桥经验 NEAR/0 在",
    "枫桥经验 /SEN 基层",
    "经验 NEAR/40 经验",
    "-枫桥经验 NEAR/3 推进",
    "（法治 OR 行政）复议",
    "2023-2025年",
]


@pytest.fixture(params=["rows", "corpus"])
def counting_path(request, monkeypatch):
    """Run a test once with the engine's rows and once with the whole-corpus array."""
    if request.param == "corpus":
        monkeypatch.setattr(counting, "ROWS_PATH_LIMIT", -1)
    else:
        monkeypatch.setattr(counting, "PREFER_CORPUS", False)
    return request.param


# --- pure pieces ------------------------------------------------------------------------------------------


def test_self_overlapping_literals_are_recognised():
    assert self_overlaps("哈哈") and self_overlaps("aba") and not self_overlaps("法治政府")


def test_corpus_array_counts_every_start_including_outside_the_bmp():
    texts = ["法治法治", "𠀀法治𠀀法", "", "治法治"]
    corpus = CorpusText(texts)
    assert corpus.counts("法治").tolist() == [2, 1, 0, 1]
    assert corpus.counts("𠀀法").tolist() == [0, 2, 0, 0]
    assert corpus.counts("治法").tolist() == [1, 0, 0, 1]  # never across the passages' boundary
    assert corpus.counts("不在").tolist() == [0, 0, 0, 0]


def test_year_ranges_parse_and_refuse_nonsense():
    assert parse_years(["2021-2024", "2019"]) == ((2019,), ((2021, 2024),))
    assert parse_years(["2022-"]) == ((), ((2022, None),))
    with pytest.raises(ValueError, match="year"):
        parse_years(["20x1"])


# --- hand-made reports, both engines, both paths -----------------------------------------------------------

QUERIES = [
    "枫桥经验",
    "法治政府建设",
    "经验",
    "行政复议 -诉讼",
    "枫桥经验 OR 首违不罚",
    "法治 建设",
    "不存在的词",
    "",
    "(首违不罚 OR 枫桥经验) 执法",
    "首违不罚 OR -执法",
    "-执法",
    "枫桥经验 NEAR/5 矛盾",
    "枫桥经验 /SEN 基层",
    "枫桥经验 /SEN 矛盾 OR 复议",
    "-(枫桥经验 OR 法治)",
    "经验 同句 经验",
]


@pytest.mark.parametrize("query", QUERIES)
def test_three_totals_equal_the_scan(snap, counting_path, query):
    expected = scan(snap, query)
    resp = search(snap, SearchRequest(query))
    assert resp.total == len(expected)
    assert resp.occurrences == sum(n for _, n in expected)
    assert resp.reports_total == len({snap.passages[r].report_id for r, _ in expected})
    # The page's hits count the same occurrences.
    by_row = dict(expected)
    for hit in resp.hits:
        assert hit.matches == by_row[snap.row_of[hit.passage_id]]


def test_overlapping_occurrences_are_counted_as_a_reader_counts_them(snap, counting_path):
    # 枫桥经验 occurs twice in one passage of report ra; a self-overlapping literal counts non-overlapping.
    resp = search(snap, SearchRequest("枫桥经验枫"))
    assert resp.occurrences == len(scan(snap, "枫桥经验枫")) == 0
    assert search(snap, SearchRequest("枫桥经验")).occurrences == 3


def test_facets_counted_in_reports_are_distinct_reports_among_the_hits(snap, counting_path):
    req = SearchRequest("经验", facet_count="reports", years=(2024,))
    resp = search(snap, req)
    rows_any_year = scan(snap, "经验")
    reports_by_year = Counter(snap.reports[rid].year for rid in {snap.passages[r].report_id for r, _ in rows_any_year})
    assert {v.value: v.count for v in resp.facets["year"]} == dict(reports_by_year)  # ignores its own filter
    rows = scan(snap, "经验", SearchRequest(years=(2024,)))
    provinces = Counter(snap.reports[rid].region.province for rid in {snap.passages[r].report_id for r, _ in rows})
    region = {v.value: v.count for v in resp.facets["region"] if v.level == "province"}
    assert region == dict(provinces)
    by_section = defaultdict(set)
    for r, _ in rows:
        by_section[snap.passages[r].section].add(snap.passages[r].report_id)
    assert {v.value: v.count for v in resp.facets["section"]} == {s: len(ids) for s, ids in by_section.items()}


def test_year_ranges_filter_like_the_years_they_cover(snap):
    ranged = search(snap, SearchRequest("经验", year_ranges=((2024, None),)))
    listed = search(snap, SearchRequest("经验", years=(2024,)))
    assert (ranged.total, ranged.occurrences, ranged.reports_total) == (
        listed.total,
        listed.occurrences,
        listed.reports_total,
    )
    assert ranged.to_dict()["filters"]["year"] == ["2024-"]
    assert search(snap, SearchRequest("经验", year_ranges=((2030, 2031),))).total == 0


# --- checks shared by the corpus and the generated collection ---------------------------------------------


def check_report_table(snap, query: str, request: SearchRequest) -> None:
    expected = scan(snap, query, request)
    per_report: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    sections: dict[str, Counter] = defaultdict(Counter)
    for r, n in expected:
        p = snap.passages[r]
        per_report[p.report_id][0] += 1
        per_report[p.report_id][1] += n
        if n:
            sections[p.report_id][p.section] += n
    req = SearchRequest(query, view="reports", per_page=100, **_filters(request))
    resp = search(snap, req)
    assert resp.reports_total == len(per_report)
    got = {row.report_id: row for row in resp.reports}
    assert set(got) == set(per_report)
    for rid, (passages, occurrences) in per_report.items():
        row = got[rid]
        assert (row.passages, row.occurrences) == (passages, occurrences), (query, rid)
        assert row.sections == dict(sections[rid])
        report = snap.reports[rid]
        chars = sum(len(p.text) for p in report.passages if not request.sections or p.section in request.sections)
        assert row.chars == chars
    ordered = [(-row.occurrences) for row in resp.reports]
    assert ordered == sorted(ordered)


def _filters(request: SearchRequest) -> dict:
    return {
        "regions": request.regions,
        "years": request.years,
        "year_ranges": request.year_ranges,
        "sections": request.sections,
    }


def check_trends(snap, queries: list[str], split: str) -> None:
    resp = trends(snap, TrendsRequest(tuple(queries), split=split))
    reports = list(snap.reports.values())
    for series in resp.series:
        expected_rows = scan(snap, series.query)
        for point in series.points:
            cell_reports = [
                r
                for r in reports
                if r.year == point.year and (split != "province" or r.region.province == series.split_value)
            ]
            if split == "section":
                cell_reports = [r for r in cell_reports if any(p.section == series.split_value for p in r.passages)]
            ids = {r.report_id for r in cell_reports}
            rows = [
                (r, n)
                for r, n in expected_rows
                if snap.passages[r].report_id in ids
                and (split != "section" or snap.passages[r].section == series.split_value)
            ]
            chars = sum(
                len(p.text)
                for r in cell_reports
                for p in r.passages
                if split != "section" or p.section == series.split_value
            )
            assert point.reports == len(cell_reports), (series.query, series.split_value, point.year)
            assert point.reports_matching == len({snap.passages[r].report_id for r, _ in rows})
            assert point.occurrences == sum(n for _, n in rows)
            assert point.chars == chars


def check_concordance(snap, query: str, sort: str = "position") -> None:
    expected = scan(snap, query)
    total = sum(n for _, n in expected)
    resp = concordance(snap, ConcordanceRequest(SearchRequest(query, per_page=100), sort=sort))
    assert resp.total == total
    assert resp.passages_total == len(expected)
    shown = min(total, 100)
    assert len(resp.lines) == shown
    literals = parse_query(query).highlight_literals()
    for line in resp.lines:
        assert fold(line.match) in literals
        p = snap.passages[snap.row_of[line.passage_id]]
        assert p.text[line.start : line.start + len(line.match)] == line.match
        assert p.text[: line.start].endswith(line.left)
    if sort == "left":
        keys = [line.left[::-1] for line in resp.lines]
        assert keys == sorted(keys)
    if sort == "position" and total <= 100:
        per_passage = Counter(line.passage_id for line in resp.lines)
        assert per_passage == Counter({snap.passages[r].passage_id: n for r, n in expected if n})


# --- the sample reports -----------------------------------------------------------------------------------


@pytest.mark.acceptance
def test_sample_reports_counts_equal_the_scan(corpus_snap, counting_path):
    for query in random_queries(corpus_snap, 25, seed=9):
        check_report_table(corpus_snap, query, SearchRequest())
        check_concordance(corpus_snap, query)
    check_report_table(corpus_snap, "行政", SearchRequest(sections=("举措成效",)))
    check_report_table(corpus_snap, "法治", SearchRequest(regions=("山西省",), years=(2024,)))
    check_concordance(corpus_snap, "行政复议", sort="left")
    for query in TREE_QUERIES + random_tree_queries(corpus_snap, 30, seed=10):
        check_report_table(corpus_snap, query, SearchRequest())
        check_concordance(corpus_snap, query)
    check_trends(corpus_snap, ["枫桥经验", "首违不罚", "法治"], "")
    check_trends(corpus_snap, ["(枫桥经验 OR 首违不罚) 执法", "法治 NEAR/4 政府"], "")
    check_trends(corpus_snap, ["枫桥经验", "行政复议"], "province")
    check_trends(corpus_snap, ["行政复议"], "section")


# --- a generated collection -------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["whoosh", "tantivy"])
def generated_snap(request, corpus_dir, tmp_path_factory):
    from fazhi.bench import synthetic_reports
    from indexer.build import index_corpus

    root = tmp_path_factory.mktemp(f"generated-{request.param}")
    corpus = root / "corpus"
    corpus.mkdir()
    for i, text in enumerate(synthetic_reports(Path(corpus_dir), 60, seed=4)):
        (corpus / f"{i:03d}.txt").write_text(text, encoding="utf-8")
    index_corpus(corpus, root / "index", engine=request.param)
    return open_engine(root / "index", request.param).snapshot()


@pytest.mark.acceptance
def test_generated_collection_counts_equal_the_scan(generated_snap, counting_path):
    snap = generated_snap
    for query in random_queries(snap, 12, seed=3):
        check_report_table(snap, query, SearchRequest())
    check_report_table(snap, "法治", SearchRequest(year_ranges=((2021, 2023),)))
    check_concordance(snap, "枫桥经验")
    check_concordance(snap, "行政复议", sort="left")
    for query in TREE_QUERIES + random_tree_queries(snap, 15, seed=5):
        check_report_table(snap, query, SearchRequest())
    check_concordance(snap, "法治 NEAR/3 政府")
    check_trends(snap, ["枫桥经验", "首违不罚"], "province")
    check_trends(snap, ["法治政府建设"], "section")
    resp = search(snap, SearchRequest("法治", facet_count="reports"))
    hit_reports = {snap.passages[r].report_id for r, _ in scan(snap, "法治")}
    assert sum(v.count for v in resp.facets["year"]) == len(hit_reports)
    assert sum(v.count for v in resp.facets["doc_type"]) == len(hit_reports)


@pytest.mark.parametrize("runs_per_row", [0, 1 << 40], ids=["binary-search", "every-row"])
def test_the_rows_passing_filters_are_found_the_same_either_way(generated_snap, monkeypatch, runs_per_row):
    """Filters.passing_at finds a run of kept reports' matches by binary search or reads every row's report:
    both give the positions of the rows the masks pass, for every mix of report, section and reuse filters."""
    snap = generated_snap
    monkeypatch.setattr(counting, "RUNS_PER_ROW", runs_per_row)
    years = sorted({r.year for r in snap.reports.values() if r.year})
    province = next(r.region.province for r in snap.reports.values() if r.region.province)
    rows = counting.query_matches(snap, parse_query("法治")).rows
    assert len(rows) > 100
    for request in (
        SearchRequest("法治", years=(years[0],)),
        SearchRequest("法治", years=tuple(years[1:])),
        SearchRequest("法治", regions=(province,), sections=("举措成效", "问题不足")),
        SearchRequest("法治", years=(years[-1],), reuse=("shared",), doc_types=("法治政府建设年度报告",)),
        SearchRequest("法治", years=(1999,)),
        SearchRequest("法治", sections=("举措成效",)),
    ):
        filters = counting.Filters(snap, request)
        for skip in (None, "year", "section", "reuse", "region"):
            at = filters.passing_at(rows, skip)
            assert at.tolist() == np.flatnonzero(filters.rows(rows, skip)).tolist(), (request, skip)
            assert filters.subset(rows, skip).tolist() == rows[at].tolist()
        kept = filters.keep(counting.query_matches(snap, parse_query("法治")))
        assert kept.rows.tolist() == rows[filters.rows(rows)].tolist()


def test_rows_verified_in_any_order_are_filtered_as_ascending_ones(generated_snap, monkeypatch):
    """An engine that verifies candidates (a set: any order) hands them to execute_rows, which sorts them: the
    filters find a report's rows by binary search among ascending rows."""
    from search.memory import execute_rows

    snap = generated_snap
    monkeypatch.setattr(counting, "RUNS_PER_ROW", 0)
    rows = counting.query_matches(snap, parse_query("法治")).rows
    shuffled = np.random.default_rng(5).permutation(rows)
    year = sorted({r.year for r in snap.reports.values() if r.year})[0]
    request = SearchRequest("法治", years=(year,), per_page=500)
    counting.forget_matches(snap)
    mixed = execute_rows(snap, shuffled, parse_query("法治"), request, lambda kept: {})
    counting.forget_matches(snap)
    ordered = execute_rows(snap, rows.copy(), parse_query("法治"), request, lambda kept: {})
    assert mixed.total == ordered.total > 0 and mixed.rows == ordered.rows
    assert {k: list(v) for k, v in mixed.facets.items()} == {k: list(v) for k, v in ordered.facets.items()}


def test_an_engine_s_region_facet_equals_the_contract_s(generated_snap):
    """tantivy counts the region facet on its own region numbers, as columns; any engine's answer is the
    contract's (the distinct regions walked), order and ties included."""
    from search.contract import Snapshot

    snap = generated_snap
    rng = np.random.default_rng(7)
    n = len(snap.report_list)
    for per_report in (np.ones(n, dtype=np.int64), rng.integers(0, 3, n), np.zeros(n, dtype=np.int64)):
        assert list(snap.region_facet(per_report)) == list(Snapshot.region_facet(snap, per_report))


@pytest.mark.parametrize("generated_snap", ["tantivy"], indirect=True)  # tantivy's facet counting
@pytest.mark.parametrize(
    "request_",
    [
        SearchRequest("法治"),
        SearchRequest("经验", years=(2024,), sections=("举措成效", "工作计划")),
        SearchRequest("法治 建设", regions=("山西省",), sections=("问题不足",)),
        SearchRequest("工作 -矛盾", reuse=("shared",), regions=("河北省",)),
        SearchRequest("", years=(2023,), reuse=("original",)),
    ],
    ids=repr,
)
def test_facets_summed_over_the_matches_equal_those_summed_over_cells(generated_snap, request_, monkeypatch):
    """tantivy sums few matches' facets in one pass (``cell_sums``), many over their (report, section) cells:
    both give the same facets, whichever filters narrow which facet."""
    import search.tantivy_engine as tantivy_engine

    assert isinstance(generated_snap, tantivy_engine.TantivySnapshot)
    got = []
    for share in (0.0, float("inf")):  # every search over cells; every search over the matches
        monkeypatch.setattr(tantivy_engine, "CELLS_FROM", share)
        counting.forget_matches(generated_snap)
        resp = search(generated_snap, request_, use_cache=False)
        got.append({k: [(v.value, v.count) for v in vals] for k, vals in resp.facets.items()})
    assert got[0] == got[1] and any(got[0].values())


# --- one pass over the matches per search ---------------------------------------------------------------------


class _Counted:
    """Wraps a corpus array, recording the literals whose rows it is asked for."""

    def __init__(self, corpus: CorpusText) -> None:
        self.corpus, self.asked = corpus, []

    def __getattr__(self, name):
        return getattr(self.corpus, name)

    def row_counts(self, literal: str):
        self.asked.append(literal)
        return self.corpus.row_counts(literal)


class _NoAggregation:
    """A tantivy searcher that refuses aggregations (facets must come from the matches already counted)."""

    def __init__(self, searcher) -> None:
        self._searcher = searcher

    def __getattr__(self, name):
        return getattr(self._searcher, name)

    def aggregate(self, *args, **kwargs):
        raise AssertionError("a second pass over every match, inside tantivy")


@pytest.mark.parametrize(
    "request_",
    [
        SearchRequest("经验"),
        SearchRequest("经验", years=(2024,), sections=("举措成效",)),
        SearchRequest("法治 建设", regions=("山西省",)),
        SearchRequest("", years=(2023,)),
        SearchRequest("枫桥经验 OR 首违不罚", doc_types=("法治政府建设年度报告",), reuse=("original",)),
    ],
    ids=repr,
)
def test_a_search_counts_its_matches_once_and_its_facets_from_them(snap, request_):
    counted = snap.corpus_text = _Counted(snap.corpus_text)
    if hasattr(snap, "_searcher"):  # tantivy: no aggregation inside the engine
        snap._searcher = _NoAggregation(snap._searcher)
    resp = search(snap, request_, use_cache=False)
    literals = parse_query(request_.query).highlight_literals()
    assert sorted(counted.asked) == sorted(literals)  # each literal's rows read once for the whole search
    # The facets are those of the scan: each counts the matching passages passing every other facet's filter.
    for facet, drop in (("year", {"years": ()}), ("section", {"sections": ()}), ("doc_type", {"doc_types": ()})):
        rows = [r for r, _ in scan(snap, request_.query, replace(request_, **drop))]
        rows = [r for r in rows if not request_.reuse or reuse_status(snap, r) in request_.reuse]
        passages = [snap.passages[r] for r in rows]
        value_of = {
            "year": lambda p: snap.reports[p.report_id].year,
            "section": lambda p: p.section,
            "doc_type": lambda p: snap.reports[p.report_id].doc_type,
        }[facet]
        assert {v.value: v.count for v in resp.facets[facet]} == dict(Counter(map(value_of, passages))), facet
    assert resp.total == len([r for r, _ in scan(snap, request_.query, request_) if reuse_kept(snap, r, request_)])


def reuse_status(snap, row: int) -> str:
    return "shared" if snap.reuse.shared_rows()[row] else "original"


def reuse_kept(snap, row: int, request: SearchRequest) -> bool:
    return not request.reuse or reuse_status(snap, row) in request.reuse


def test_a_query_s_matches_are_kept_read_only_with_the_snapshot(snap):
    parsed = parse_query("经验 -复议")
    first = counting.query_matches(snap, parsed)
    assert counting.query_matches(snap, parse_query("经验 -复议")) is first  # equal queries: the same answer
    with pytest.raises(ValueError):
        first.rows[0] = 1
    for n in range(counting.MATCHES_KEPT):
        counting.query_matches(snap, parse_query(f"经验{n}"))
    assert counting.query_matches(snap, parsed) is not first  # a few queries are kept, not every one


def test_a_request_s_filters_are_kept_and_answer_again_for_the_same_matches(snap):
    """A filtered search asks which of its matches pass the filters three times (the entry point, the engine's
    execution, the reuse facet): the filters are kept with the snapshot and the last answer with them."""
    request = SearchRequest("经验", years=(2024,))
    filters = counting.Filters.of(snap, request)
    assert counting.Filters.of(snap, SearchRequest("经验", years=(2024,))) is filters
    rows = counting.query_matches(snap, parse_query("经验")).rows
    passed = filters.rows(rows)
    assert filters.rows(rows) is passed and filters.rows(rows, "reuse") is passed  # no reuse filter: no skip
    with pytest.raises(ValueError):
        passed[0] = True
    assert passed.tolist() == [snap.reports[snap.passages[r].report_id].year == 2024 for r in rows.tolist()]
    assert filters.rows(rows, "year").all()  # skipping the year: another answer
    assert filters.rows(rows.copy()) is not passed and filters.rows(rows.copy()).tolist() == passed.tolist()
    counting.forget_matches(snap)  # a benchmark's next search asks afresh
    assert counting.Filters.of(snap, request) is not filters
