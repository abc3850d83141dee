"""The Whoosh engine and the search function on a small index built in tmp_path."""

from dataclasses import replace

import pytest
from whoosh import index as whoosh_index
from whoosh import query as wq

from search.analysis import char_tokens, segment
from search.citation import citations
from search.core import search
from search.engines import index_writer, open_engine
from search.models import Region, SearchRequest
from search.whoosh_engine import FoldingTokenizer
from tests.conftest import SMALL_REPORTS, make_report, open_as_served


def ids(resp):
    return [h.passage_id for h in resp.hits]


def test_tokenizer_contract_positions_are_indexes_and_chars_are_original_offsets():
    value = "“楓橋 經驗”，推進"
    tokens = [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in FoldingTokenizer(char_tokens)(value, positions=True, chars=True)
    ]
    assert [t[1] for t in tokens] == list(range(len(tokens)))
    for _, _, start, end in tokens:
        assert value[start:end].strip()  # offsets point at the original characters
    assert tokens[1][0] == "枫" and value[tokens[1][2] : tokens[1][3]] == "楓"
    first = next(iter(FoldingTokenizer(char_tokens)(value, positions=True, chars=True, start_pos=10, start_char=5)))
    assert first.pos == 10 and first.startchar == 5


def test_word_tokenizer_gives_jieba_words_with_sequential_positions():
    toks = [(t.text, t.pos) for t in FoldingTokenizer(segment)("践行新时代“枫桥经验”", positions=True, chars=True)]
    assert toks == [("践行", 0), ("新", 1), ("时代", 2), ("枫桥", 3), ("经验", 4)]


def test_tokenizer_without_tokenize_yields_the_value():
    toks = [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in FoldingTokenizer(char_tokens)("法治", tokenize=False, positions=True, chars=True)
    ]
    assert toks == [("法治", 0, 0, 2)]


@pytest.mark.parametrize("engine_name", ["whoosh"])
def test_whoosh_phrase_on_the_chars_field_is_substring_search(small_index, snap):
    # The character field has sequential positions, so Whoosh's own phrase query finds adjacency.
    ix = whoosh_index.open_dir(str(small_index))
    with ix.searcher() as s:
        for phrase in ["枫桥经验", "经验推进", "经验,推进", "法治政府建设"]:
            q = wq.Phrase("chars", list(phrase))
            found = {s.stored_fields(d)["passage_id"] for d in q.docs(s)}
            expected = {
                p.passage_id
                for r in SMALL_REPORTS
                for p in r.passages
                if phrase in snap.folded[snap.row_of[p.passage_id]]
            }
            assert found == expected, phrase


def test_exact_matching_folds_and_respects_punctuation(snap):
    assert sorted(ids(search(snap, SearchRequest("枫桥经验")))) == ["ra-p3", "rb-p2"]  # 楓橋經驗 too
    assert search(snap, SearchRequest("经验推进")).total == 0  # a comma stands between
    assert ids(search(snap, SearchRequest("经验，推进"))) == ["rb-p3"]
    assert ids(search(snap, SearchRequest('"经验, 推进"'))) == ["rb-p3"]


def test_and_or_not(snap):
    assert ids(search(snap, SearchRequest("枫桥经验 矛盾纠纷"))) == ["ra-p3"]
    assert set(ids(search(snap, SearchRequest("首违不罚 OR 楓橋經驗")))) == {"ra-p3", "ra-p4", "rb-p2"}
    assert ids(search(snap, SearchRequest("行政复议 -诉讼"))) == ["rb-p4"]
    assert search(snap, SearchRequest("-法治")).total == 12 - search(snap, SearchRequest("法治")).total


def test_empty_query_returns_every_passage_in_order(snap):
    resp = search(snap, SearchRequest("", per_page=100))
    assert resp.total == 12
    assert ids(resp) == [p.passage_id for r in SMALL_REPORTS for p in r.passages]


def test_the_browse_page_counted_once_agrees_with_the_engine(snap):
    from search.query import parse_query

    counted = snap.execute(parse_query(""), SearchRequest("", page=2, per_page=5))
    browse = search(snap, SearchRequest("", page=2, per_page=5), use_cache=False)
    assert browse.facets is snap.browse_facets
    # The engine counts every facet but reuse, which the entry point adds (a row mask, the same for every engine).
    assert {k: v for k, v in browse.facets.items() if k != "reuse"} == counted.facets
    assert (browse.total, [h.passage_id for h in browse.hits]) == (
        12,
        [snap.passages[r].passage_id for r in counted.rows],
    )
    assert [h.report_matches for h in browse.hits] == [len(snap.reports[h.report_id].passages) for h in browse.hits]


def test_ranking_prefers_dense_passages(snap):
    resp = search(snap, SearchRequest("法治政府建设"))
    assert resp.hits[0].passage_id == "rc-p2"  # twice in a short passage
    assert resp.hits[0].matches == 2


def test_hits_carry_metadata_snippet_and_permalink(snap):
    hit = search(snap, SearchRequest("首违不罚")).hits[0]
    assert hit.url == "/reports/ra#ra-p4"
    assert hit.region.prefecture == "长治市" and hit.year == 2024 and hit.section == "举措成效"
    assert "<mark>首违不罚</mark>" in hit.snippet
    assert "<script>" not in hit.snippet and "&lt;script&gt;" in hit.snippet


def test_filters_combine_or_within_and_across(snap):
    both = search(snap, SearchRequest("法治", regions=("长治市", "静海区")))
    assert {h.report_id for h in both.hits} == {"ra", "rc"}
    assert search(snap, SearchRequest("法治", regions=("天津市",), years=(2023,))).total == 0
    only = search(snap, SearchRequest("", sections=("工作计划",)))
    assert ids(only) == ["rb-p4"]


def test_facets_count_the_whole_result_set_and_ignore_their_own_filter(snap):
    resp = search(snap, SearchRequest("", regions=("灵武市",), per_page=1))
    region = {(f.level, f.value): (f.count, f.parent) for f in resp.facets["region"]}
    assert region[("province", "山西省")] == (6, None)  # the region facet ignores the region filter
    assert region[("prefecture", "银川市")] == (4, "宁夏回族自治区")
    assert region[("county", "静海区")] == (2, "天津市")  # a municipality's district has no prefecture
    assert {f.value: f.count for f in resp.facets["year"]} == {2023: 4}
    assert sum(f.count for f in resp.facets["section"]) == resp.total == 4


def test_sorting_by_year_and_region(snap):
    by_year = search(snap, SearchRequest("法治", sort="year", per_page=100))
    years = [h.year for h in by_year.hits]
    assert years == sorted(years, reverse=True)
    by_region = search(snap, SearchRequest("法治", sort="region", per_page=100))
    labels = [h.region.names() for h in by_region.hits]
    assert labels == sorted(labels)


def test_paging(snap):
    all_ids = ids(search(snap, SearchRequest("", per_page=100)))
    pages = [ids(search(snap, SearchRequest("", page=p, per_page=5))) for p in (1, 2, 3, 4)]
    assert sum(pages, []) == all_ids and pages[3] == []


def test_engine_picks_up_a_new_generation(small_index, engine_name):
    engine = open_engine(small_index, engine_name)
    before = engine.snapshot()
    assert engine.snapshot() is before
    index_writer(engine_name)(small_index, SMALL_REPORTS[:1])
    after = engine.snapshot()
    assert after is not before and len(after.reports) == 1
    assert search(after, SearchRequest("楓橋經驗")).total == 1


def test_grouping_by_report_keeps_the_best_passage_and_counts_the_rest(snap):
    flat = search(snap, SearchRequest("法治", per_page=100))
    grouped = search(snap, SearchRequest("法治", per_page=100, group=True))
    assert grouped.total == flat.total and grouped.reports_total == 3
    assert [h.report_id for h in grouped.hits] == list(dict.fromkeys(h.report_id for h in flat.hits))
    for hit in grouped.hits:
        assert hit.report_matches == sum(1 for h in flat.hits if h.report_id == hit.report_id)
        assert hit.passage_id == next(h.passage_id for h in flat.hits if h.report_id == hit.report_id)


def test_tantivy_codes_and_partial_orders():
    import numpy as np

    from search.tantivy_engine import attr_code, attr_values, first_by, first_of_runs, holds

    assert attr_values(attr_code(2023, "问题不足", "新闻报道")) == (2023, "问题不足", "新闻报道")
    assert attr_values(attr_code(None, "其他", "其他")) == (None, "其他", "其他")
    assert first_of_runs(np.array([3, 3, 5, 7, 7])).tolist() == [0, 2, 3]
    assert first_of_runs(np.array([], dtype=np.int64)).tolist() == []
    assert holds(np.array([2, 5, 9]), np.array([9, 1, 5, 10])).tolist() == [True, False, True, False]
    assert holds(np.array([], dtype=np.int64), np.array([3])).tolist() == [False]
    ascending = np.sort(np.random.default_rng(3).choice(500, size=120, replace=False))
    assert holds(ascending, np.arange(520)).tolist() == np.isin(np.arange(520), ascending).tolist()
    rows, key = np.array([1, 2, 3, 4]), np.array([5, 7, 5, 6])
    assert first_by(rows, key, True, 2).tolist() == [2, 4]
    assert first_by(rows, key, False, 1).tolist() == [1, 3]  # every row of the keys that reach 1
    rng = np.random.default_rng(7)
    for _ in range(50):  # the first `want` agree with a full stable sort, in both directions
        rows = np.sort(rng.choice(1000, size=int(rng.integers(1, 60)), replace=False))
        key = rng.integers(0, 8, size=len(rows))
        want = int(rng.integers(1, len(rows) + 2))
        for descending in (False, True):
            full = rows[np.argsort(-key if descending else key, kind="stable")]
            assert first_by(rows, key, descending, want)[:want].tolist() == full[:want].tolist()


def test_repeated_requests_are_answered_from_the_snapshots_cache(snap):
    first = search(snap, SearchRequest("枫桥经验"))
    again = search(snap, SearchRequest("枫桥经验"))
    assert not first.cached and again.cached
    assert again.to_dict()["hits"] == first.to_dict()["hits"] and again.total == first.total
    assert not search(snap, SearchRequest("枫桥经验"), use_cache=False).cached


def test_cache_keeps_only_the_most_recent(monkeypatch, small_index, engine_name):
    monkeypatch.setenv("FAZHI_CACHE_SIZE", "1")
    fresh = open_as_served(small_index, engine_name)
    search(fresh, SearchRequest("法治"))
    search(fresh, SearchRequest("枫桥经验"))
    assert not search(fresh, SearchRequest("法治")).cached


def test_a_second_writer_gets_a_clear_error(small_index, engine_name):
    if engine_name == "sphinx":
        pytest.skip("the sphinx writer holds a lock file: tests/test_sphinx.py tests it")
    if engine_name == "tantivy":
        from search.tantivy_engine import open_index

        held = open_index(small_index).writer(50_000_000, 1)
    else:
        held = whoosh_index.open_dir(str(small_index)).writer()
    try:
        with pytest.raises(BlockingIOError, match="another process is writing"):
            index_writer(engine_name)(small_index, SMALL_REPORTS)
    finally:
        held.rollback() if engine_name == "tantivy" else held.cancel()


def test_a_query_without_words_lists_matches_in_passage_order(snap):
    resp = search(snap, SearchRequest("，", per_page=100))  # punctuation only: nothing to rank by
    rows = [snap.row_of[h.passage_id] for h in resp.hits]
    assert resp.total == len(rows) > 1 and rows == sorted(rows)


@pytest.mark.parametrize("query", ["法治 建设", "法治 -枫桥", "行政 OR 复议", "，"])
def test_ranking_by_keys_and_by_word_candidates_agree(snap, engine_name, monkeypatch, query):
    """Tantivy scores few matches as a set of their keys, many by checking the best-scored passages of their
    words against the matches: the same page either way, grouped or not, on any page."""
    if engine_name != "tantivy":
        pytest.skip("the two ways of ranking are tantivy's")
    from search import tantivy_engine

    def pages(**kw):
        return [
            [(h.passage_id, h.score) for h in search(snap, SearchRequest(query, page=p, **kw), use_cache=False).hits]
            for p in (1, 2, 3)
        ]

    def all_pages():
        return [pages(per_page=3), pages(per_page=3, group=True), pages(per_page=3, years=(2023,))]

    ways = {  # KEYS_LIMIT, SET_LIMIT, TIE_CHUNK, TIE_SCAN_LIMIT, first round
        "set of keys": (10**9, 0, 256, 0, None),
        "word candidates, widened": (0, 0, 256, 0, None),
        "candidates, then the set": (0, 10**9, 256, 0, 1),
        "candidates, ties scanned in row order": (0, 0, 1, 10**9, 1),
        "candidates, a tie scan given up": (0, 0, 1, 2, 1),
    }
    answers = {}
    for way, (keys, set_limit, chunk, scan, first) in ways.items():
        with monkeypatch.context() as m:
            m.setattr(tantivy_engine, "KEYS_LIMIT", keys)
            m.setattr(tantivy_engine, "SET_LIMIT", set_limit)
            m.setattr(tantivy_engine, "SET_COST", 0)  # a set whenever a round holds too few
            m.setattr(tantivy_engine, "TIE_CHUNK", chunk)
            m.setattr(tantivy_engine, "TIE_SCAN_LIMIT", scan)
            if first is not None:  # a first round of one passage: most pages end in a tie or with too few
                m.setattr(tantivy_engine, "_first_k", lambda need, share, first=first: first)
            answers[way] = all_pages()
    expected = answers.pop("set of keys")
    assert answers == dict.fromkeys(answers, expected)
    assert any(expected[0])


def test_a_page_ending_in_a_tie_orders_the_tied_by_row(tmp_path, engine_name, monkeypatch):
    """BM25 ties across passages of the same length holding a word as often: a page that ends inside such a
    block lists its lowest rows, whether the block is scanned in row order or widened until seen whole."""
    if engine_name != "tantivy":
        pytest.skip("tantivy's ranking")
    from search import tantivy_engine

    texts = [f"第{i}段落工作安排。" if i % 3 else f"第{i}段落工作部署。" for i in range(60)]
    report = make_report("r1", "r1.txt", Region("山西省", "长治市", None), 2024, [(t, "举措成效", "") for t in texts])
    index_writer("tantivy")(tmp_path, [report])
    tied = open_engine(tmp_path, "tantivy").snapshot()

    def page():
        resp = search(tied, SearchRequest("工作", per_page=7, page=2), use_cache=False)
        return [(h.passage_id, h.score) for h in resp.hits]

    monkeypatch.setattr(tantivy_engine, "KEYS_LIMIT", 0)
    monkeypatch.setattr(tantivy_engine, "SET_LIMIT", 0)
    monkeypatch.setattr(tantivy_engine, "_first_k", lambda need, share: 2)
    with monkeypatch.context() as m:
        m.setattr(tantivy_engine, "TIE_SCAN_LIMIT", 0)  # widened until the tied block is seen whole
        widened = page()
    monkeypatch.setattr(tantivy_engine, "TIE_CHUNK", 4)
    assert page() == widened and len({s for _, s in widened}) == 1
    rows = [tied.row_of[p] for p, _ in widened]
    assert rows == sorted(rows) and rows[0] == 7  # the second page of 7: the tie broken by row


@pytest.mark.parametrize("query", ["法治 建设", "法治 -枫桥", "行政 OR 复议", "，"])
def test_a_word_ranking_started_ahead_gives_the_same_pages(snap, engine_name, monkeypatch, query):
    """Tantivy starts the first word ranking of a relevance page while the matches are counted (``prepare``),
    filtered or not: the pages are those of a search that does not, and the ranking started ahead is used,
    whatever its size."""
    if engine_name != "tantivy":
        pytest.skip("tantivy's ranking")
    from search import tantivy_engine

    class Recorded:  # runs the ranking at once and counts how often a page takes it
        started = used = 0

        def submit(self, fn, *args, **kwargs):
            Recorded.started += 1
            hits = fn(*args, **kwargs)

            class Done:
                def result(self):
                    Recorded.used += 1
                    return hits

            return Done()

    def pages(**kw):
        return [
            [(h.passage_id, h.score) for h in search(snap, SearchRequest(query, page=p, **kw), use_cache=False).hits]
            for p in (1, 2, 3)
        ]

    monkeypatch.setattr(tantivy_engine, "KEYS_LIMIT", 0)  # the samples' matches are few: rank by word candidates
    kinds = [{"per_page": 3}, {"per_page": 3, "group": True}, {"per_page": 3, "years": (2023,)}]
    with monkeypatch.context() as m:
        m.setattr(tantivy_engine.TantivySnapshot, "prepare", lambda self, parsed, request: None)
        expected = [pages(**kw) for kw in kinds]
    monkeypatch.setattr(tantivy_engine, "_AHEAD", Recorded())
    assert [pages(**kw) for kw in kinds] == expected
    with monkeypatch.context() as m:  # a ranking started ahead too small for the page: widened from there
        m.setattr(tantivy_engine, "_first_k", lambda need, share: 1)
        assert [pages(**kw) for kw in kinds] == expected
    with monkeypatch.context() as m:  # started ahead bigger than the page's first search would be
        m.setattr(tantivy_engine, "_first_k", lambda need, share: 1 if share > 0.5 else 1000)
        m.setattr(tantivy_engine.TantivySnapshot, "_passing_share", lambda self, request: 0.0)
        assert [pages(**kw) for kw in kinds] == expected
    words = query != "，"
    assert Recorded.used == Recorded.started and (Recorded.used == 27 if words else Recorded.started == 0)
    assert not vars(snap).get("_prepared")  # every ranking started was taken by its search


def test_incremental_commits_keep_every_region_counted(tmp_path, engine_name):
    """Regions keep their numbers across commits (tantivy counts facets on them); new ones get new numbers."""
    write = index_writer(engine_name)
    ra, rb, rc = SMALL_REPORTS
    write(tmp_path, [ra])
    write(tmp_path, [rb], replace_all=False)
    write(tmp_path, [rc], replace_all=False, remove=[ra.report_id])
    snap = open_engine(tmp_path, engine_name).snapshot()
    region = {(f.level, f.value): f.count for f in search(snap, SearchRequest("")).facets["region"]}
    assert region == {
        ("province", "宁夏回族自治区"): len(rb.passages),
        ("province", "天津市"): len(rc.passages),
        ("prefecture", "银川市"): len(rb.passages),
        ("county", "灵武市"): len(rb.passages),
        ("county", "静海区"): len(rc.passages),
    }
    write(tmp_path, [ra, rb], replace_all=False)  # 长治市 back, 灵武市 rewritten
    snap = open_engine(tmp_path, engine_name).snapshot()
    region = {(f.level, f.value): f.count for f in search(snap, SearchRequest("")).facets["region"]}
    assert region[("prefecture", "长治市")] == len(ra.passages) and region[("county", "灵武市")] == len(rb.passages)
    assert search(snap, SearchRequest("", regions=("灵武市",))).total == len(rb.passages)


def test_facet_rows_read_as_facet_values_and_turn_into_the_apis_objects():
    from search.models import FacetRows, FacetValue

    levels = ["province", "prefecture", "province"]
    rows = FacetRows([2, 0], ["山西省", "长治市", "天津市"], [5, 0, 7], levels, [None, "山西省", None])
    expected = [FacetValue("天津市", 7, "province", None), FacetValue("山西省", 5, "province", None)]
    assert len(rows) == 2 and list(rows) == expected and rows == expected and rows[1] == expected[1]
    assert rows[:1] == expected[:1] and rows[5:] == []
    assert rows.dicts() == [
        {"value": "天津市", "count": 7, "level": "province", "parent": None},
        {"value": "山西省", "count": 5, "level": "province", "parent": None},
    ]


def test_facet_rows_json_is_their_objects_serialised_whatever_the_names_hold():
    """The API sends a facet held as columns as JSON made from each key's text around its count: the same
    bytes orjson writes for the dicts, names with quotes, backslashes and control characters included."""
    import orjson

    from search.models import FacetRows, facet_json_parts

    values, levels = ['长治"市', "a\\b\n", "天津市"], ["prefecture", "county", None]
    parents = [None, '山"西', "x"]
    for order, counts in (([2, 0, 1], [5, 0, 7]), ([], [1, 2, 3]), ([1], [0, 12345678901, 3])):
        plain = FacetRows(order, values, counts, levels, parents)
        made = FacetRows(order, values, counts, levels, parents, facet_json_parts(values, levels, parents))
        assert made.json() == plain.json() == orjson.dumps(plain.dicts())
        assert orjson.loads(made.json()) == plain.dicts()


def test_the_cache_size_given_to_the_engine_beats_the_environment(monkeypatch, small_index, engine_name):
    monkeypatch.setenv("FAZHI_CACHE_SIZE", "256")
    uncached = open_engine(small_index, engine_name, cache_size=0).snapshot()
    search(uncached, SearchRequest("法治"))
    assert not search(uncached, SearchRequest("法治")).cached
    monkeypatch.setenv("FAZHI_CACHE_SIZE", "0")
    cached = open_engine(small_index, engine_name, cache_size=4).snapshot()
    search(cached, SearchRequest("法治"))
    assert search(cached, SearchRequest("法治")).cached


def test_the_snapshot_gives_reports_and_passages_by_id(snap):
    report, passage = snap.passage("ra-p3")
    assert (report.report_id, passage.passage_id, passage.number) == ("ra", "ra-p3", 3)
    assert passage.text.startswith("践行新时代“枫桥经验”")
    assert snap.passage("ra-p99") is None and snap.passage("") is None
    assert snap.report("rb").title == "灵武市2023年法治政府建设年度报告"
    # What a citation or a link needs: the report's metadata alone, the same citations.
    metadata, same = snap.passage_and_metadata("ra-p3")
    assert same == passage and metadata.passages == () and metadata == replace(report, passages=())
    assert citations(metadata, same, "http://x/reports/ra#ra-p3") == citations(
        report, passage, "http://x/reports/ra#ra-p3"
    )
    assert snap.passage_and_metadata("ra-p99") is None and snap.passage_and_metadata("") is None
    assert snap.report("nope") is None
    assert snap.passage_count == 12


def test_only_the_in_memory_engine_carries_the_in_memory_hooks(snap, engine_name):
    from search.memory import MemorySnapshot

    in_memory = engine_name == "whoosh"  # tantivy and sphinx answer in their engines
    assert isinstance(snap, MemorySnapshot) is in_memory
    assert all(hasattr(snap, hook) is in_memory for hook in ("char_rows", "char_frequency", "rank"))


def test_the_engine_setting_and_the_cli_offer_every_registered_engine():
    from fazhi.cli import main
    from search.engines import ENGINE_MODULES
    from search.settings import SETTINGS

    help_text = next(s.help for s in SETTINGS if s.name == "ENGINE")
    assert all(name in help_text for name in ENGINE_MODULES)
    engine_choices = {opt.name: opt for opt in main.commands["search"].params}["engine"].type.choices
    assert tuple(engine_choices) == tuple(ENGINE_MODULES)
