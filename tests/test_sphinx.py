"""The sphinx engine: what the index receives (pure functions), passages split over the nodes, the writer's
lock and crash safety, and a node killed while searching (503 naming it, never a 500; back once restarted).

The engine-parametrised suite (tests/conftest.py) runs every engine-facing test, the acceptance tests
included, on the session's two-node cluster as well."""

from __future__ import annotations

import fcntl
import threading
from pathlib import Path

import pytest

import search
from search import SearchRequest, index_writer, open_engine
from search.query import And, Near, Not, Or, Term, parse_query
from search.sphinx_engine import (
    SENTINEL,
    ClusterNode,
    Commit,
    char_field,
    compile_node,
    literal_phrase,
    parse_hosts,
    ranked_match,
    shard_of,
    word_token,
)
from tests.conftest import SMALL_REPORTS, make_report


def test_char_field_makes_every_folded_character_one_token():
    assert char_field("法治") == "法治"
    assert char_field("2024年") == "\ue032\ue030\ue032\ue034年"
    assert char_field("行政，复议") == f"行政{SENTINEL}复议"
    assert len(char_field("a-b 政")) == 5


def test_a_literal_is_exact_unless_it_holds_a_mark():
    assert literal_phrase("复议") == ('(@chars "复议")', True)
    assert literal_phrase("2024年") == ('(@chars "\ue032\ue030\ue032\ue034年")', True)
    assert literal_phrase("行政，复议")[1] is False


def test_compile_node_keeps_exclusions_computable_and_marks_what_needs_verifying():
    assert compile_node(Not(Term("复议"))) == ('(@present present -(@chars "复议"))', True)
    assert compile_node(Or((Term("枫桥"), Not(Term("经验")))))[1] is True
    assert compile_node(And((Term("法治"), Near("枫桥", "经验", 3))))[1] is False
    # An inexact exclusion cannot narrow a superset: it is left to verification.
    assert compile_node(And((Term("法治"), Not(Term("，")))))[0] == '((@chars "法治"))'


def test_ranked_match_adds_words_without_narrowing():
    assert ranked_match('(@chars "法治")', []) == '(@chars "法治")'
    ranked = ranked_match('(@chars "法治")', ["法治"])
    assert ranked.startswith('(@chars "法治") | ((@chars "法治") (@(words,heading_words)')
    assert word_token("法治") == word_token("法治") != word_token("政府")
    assert word_token("法治").isascii() and word_token("法治").isalnum()


def test_parse_hosts():
    assert parse_hosts("127.0.0.1:9306, 10.0.0.2:9307") == [("127.0.0.1", 9306), ("10.0.0.2", 9307)]
    assert parse_hosts("db") == [("db", 9306)]
    with pytest.raises(ValueError, match="FAZHI_SPHINX_HOSTS"):
        parse_hosts("db:port")


def _node_counts(index_dir: Path) -> list[int]:
    commit = Commit.read(index_dir)
    base = f"space={commit.space} AND born<={commit.generation} AND died>{commit.generation}"
    return [int(ClusterNode(h).run(f"SELECT COUNT(*) FROM fazhi_rt WHERE {base}")[0][0][0]) for h in commit.hosts]


def test_passages_are_split_over_the_nodes_by_report(tmp_path, sphinx_cluster):
    reports = [
        make_report(f"r{i}", f"{i:03d}.txt", SMALL_REPORTS[0].region, 2024, [(f"法治政府建设{i}", "概述", "")])
        for i in range(40)
    ]
    index_writer("sphinx")(tmp_path / "index", reports)
    counts = _node_counts(tmp_path / "index")
    assert sum(counts) == 40 and all(counts)
    assert counts[0] == sum(1 for r in reports if shard_of(r.report_id, 2) == 0)
    snap = open_engine(tmp_path / "index", "sphinx").snapshot()
    assert search.search(snap, SearchRequest("法治政府建设")).total == 40


def test_a_second_writer_gets_a_clear_error(tmp_path, sphinx_cluster):
    index_dir = tmp_path / "index"
    index_writer("sphinx")(index_dir, SMALL_REPORTS)
    with open(index_dir / ".sphinx-writer.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(BlockingIOError, match="another process is writing"):
            index_writer("sphinx")(index_dir, SMALL_REPORTS)


def test_an_interrupted_writer_leaves_the_previous_generation_searchable(tmp_path, sphinx_cluster, monkeypatch):
    import search.sphinx_engine as engine_module

    index_dir = tmp_path / "index"
    index_writer("sphinx")(index_dir, SMALL_REPORTS)
    eng = open_engine(index_dir, "sphinx")
    before = search.search(eng.snapshot(), SearchRequest("法治政府建设"), use_cache=False)
    assert (before.total, before.occurrences) == (5, 6)

    def killed(*args, **kwargs):  # after the documents were written and the old ones marked dead
        raise KeyboardInterrupt

    monkeypatch.setattr(engine_module, "write_arrays", killed)
    changed = [make_report("ra", "a.txt", SMALL_REPORTS[0].region, 2024, [("法治政府建设" * 3, "概述", "")])]
    with pytest.raises(KeyboardInterrupt):
        index_writer("sphinx")(index_dir, changed, replace_all=False)
    # Readers still see the committed generation, through an open snapshot and a fresh one alike.
    again = search.search(eng.snapshot(), SearchRequest("法治政府建设"), use_cache=False)
    assert again.total == before.total
    assert [h.passage_id for h in again.hits] == [h.passage_id for h in before.hits]
    fresh = open_engine(index_dir, "sphinx").snapshot()
    assert search.search(fresh, SearchRequest("法治政府建设"), use_cache=False).occurrences == 6
    # The next run undoes the leftovers and commits.
    monkeypatch.undo()
    index_writer("sphinx")(index_dir, changed, replace_all=False)
    after = search.search(eng.snapshot(), SearchRequest("法治政府建设"), use_cache=False)
    assert (after.total, after.occurrences) == (5, 8)  # ra is one passage now, holding it three times
    assert sum(_node_counts(index_dir)) == eng.snapshot().passage_count


def test_a_reindex_does_not_fail_a_search_on_the_old_generation(tmp_path, sphinx_cluster):
    index_dir = tmp_path / "index"
    index_writer("sphinx")(index_dir, SMALL_REPORTS)
    old = open_engine(index_dir, "sphinx").snapshot()
    index_writer("sphinx")(index_dir, SMALL_REPORTS[:1])  # a full rebuild with one report
    assert (
        search.search(old, SearchRequest("法治"), use_cache=False).total
        == old.execute(parse_query("法治"), SearchRequest("法治")).total
    )
    new = open_engine(index_dir, "sphinx").snapshot()
    assert new.store.report_count == 1


@pytest.fixture
def own_cluster(tmp_path, monkeypatch):
    """A two-node cluster of this test's own, since its nodes are killed."""
    if search.sphinx_cluster.searchd_binary() is None:
        pytest.skip("searchd is not installed (apt-get install sphinxsearch)")
    folder = tmp_path / "cluster"
    nodes = search.start_cluster(folder, 2)
    monkeypatch.setenv("FAZHI_SPHINX_HOSTS", search.hosts_setting(nodes))
    yield folder, nodes
    search.stop_cluster(folder)


def test_a_node_killed_while_searching_gives_503s_naming_it_and_comes_back(tmp_path, own_cluster):
    from search.sphinx_cluster import start_node, stop_node
    from web import create_app

    folder, nodes = own_cluster
    index_dir = tmp_path / "index"
    index_writer("sphinx")(index_dir, SMALL_REPORTS)
    app = create_app({"INDEX_DIR": str(index_dir), "ENGINE": "sphinx", "TESTING": True, "CACHE_SIZE": 0})
    queries = ["法治", "行政 -复议", "枫桥经验", "法治 NEAR/5 建设", "，"]
    expected = {q: app.test_client().get("/api/search", query_string={"q": q}).get_json()["total"] for q in queries}
    statuses: list[int] = []
    bodies: list[dict] = []
    stop = threading.Event()

    def searching() -> None:
        client = app.test_client()
        while not stop.is_set():
            for q in queries:
                r = client.get("/api/search", query_string={"q": q})
                statuses.append(r.status_code)
                bodies.append(r.get_json())

    worker = threading.Thread(target=searching)
    worker.start()
    try:
        stop_node(folder, nodes[1], kill=True)
        client = app.test_client()
        down = client.get("/api/search", query_string={"q": "法治"})
        page = client.get("/search", query_string={"q": "法治"})
    finally:
        stop.set()
        worker.join()
    assert set(statuses) <= {200, 503}
    assert down.status_code == 503 and page.status_code == 503
    assert f"127.0.0.1:{nodes[1].api_port}" in down.get_json()["error"]
    assert "搜索集群暂不可用" in page.get_data(as_text=True)
    for body in bodies:  # every answer whole: exact totals, or an error
        assert body.get("ok") is False or body["total"] == expected[body["query"]]
    # The first node killed too: the error names it (the second node's agent).
    stop_node(folder, nodes[0], kill=True)
    start_node(folder, nodes[1])
    r = app.test_client().get("/api/search", query_string={"q": "法治"})
    assert r.status_code == 503 and f"127.0.0.1:{nodes[0].api_port}" in r.get_json()["error"]
    # Restarted, the nodes come back into service with their passages.
    start_node(folder, nodes[0])
    client = app.test_client()
    for q in queries:
        r = client.get("/api/search", query_string={"q": q})
        assert r.status_code == 200 and r.get_json()["total"] == expected[q]


def test_a_node_down_before_the_first_search_is_named_by_the_cli(tmp_path, own_cluster, runner):
    from fazhi.cli import main
    from search.sphinx_cluster import stop_node

    folder, nodes = own_cluster
    index_dir = tmp_path / "index"
    index_writer("sphinx")(index_dir, SMALL_REPORTS)
    stop_node(folder, nodes[0])
    result = runner.invoke(main, ["search", "法治", "--index-dir", str(index_dir), "--engine", "sphinx"])
    assert result.exit_code != 0
    assert nodes[0].address in result.output or f"127.0.0.1:{nodes[0].api_port}" in result.output


def test_cluster_up_and_down(tmp_path, runner):
    from fazhi.cli import main

    if search.sphinx_cluster.searchd_binary() is None:
        pytest.skip("searchd is not installed (apt-get install sphinxsearch)")
    folder = tmp_path / "c"
    up = runner.invoke(main, ["cluster", "up", "--dir", str(folder), "--nodes", "2"])
    try:
        assert up.exit_code == 0, up.output
        line = next(x for x in up.output.splitlines() if x.startswith("export FAZHI_SPHINX_HOSTS="))
        hosts = parse_hosts(line.split("=", 1)[1])
        assert len(hosts) == 2 and all(ClusterNode(h).run("SHOW TABLES")[0] for h in hosts)
    finally:
        down = runner.invoke(main, ["cluster", "down", "--dir", str(folder)])
    assert down.exit_code == 0 and "stopped 2 nodes" in down.output


def test_sigkill_of_the_indexer_at_any_moment_leaves_the_previous_generation_searchable(tmp_path, sphinx_cluster):
    import random
    import subprocess
    import sys
    import time

    from tests.test_crash_safety import MARKERS, ROOT, write_corpus

    corpus, index_dir = tmp_path / "corpus", tmp_path / "idx"
    n = 120

    def indexer() -> subprocess.Popen:
        code = (
            "from indexer.build import index_corpus; "
            f"index_corpus({str(corpus)!r}, {str(index_dir)!r}, engine='sphinx')"
        )
        with open(tmp_path / "stderr.txt", "wb") as err:
            return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)

    def versions() -> dict[str, int]:
        snap = open_engine(index_dir, "sphinx").snapshot()
        counts = {m: search.search(snap, SearchRequest(m, per_page=1, group=True)).reports_total for m in MARKERS}
        return {m: k for m, k in counts.items() if k}

    write_corpus(corpus, MARKERS[0], n)
    assert indexer().wait(120) == 0, (tmp_path / "stderr.txt").read_text()
    write_corpus(corpus, MARKERS[1], n)
    t0 = time.perf_counter()
    assert indexer().wait(120) == 0
    full_run = time.perf_counter() - t0
    current = MARKERS[1]
    assert versions() == {current: n}
    rnd = random.Random(15)
    for marker in MARKERS[2:6]:
        write_corpus(corpus, marker, n)
        proc = indexer()
        time.sleep(rnd.uniform(0.3, 1.0) * full_run)
        proc.kill()  # SIGKILL: no clean-up of any kind
        proc.wait(10)
        found = versions()
        assert found in ({current: n}, {marker: n}), (marker, found)
        current = next(iter(found))
    write_corpus(corpus, MARKERS[6], n)
    assert indexer().wait(120) == 0
    assert versions() == {MARKERS[6]: n}
    assert sum(_node_counts(index_dir)) == open_engine(index_dir, "sphinx").snapshot().passage_count


def _mixed_reports():
    """Reports whose text mixes CJK, ASCII letters and digits, punctuation and sentence ends."""
    import random

    rng = random.Random(1515)
    pieces = ["法治政府", "行政复议", "枫桥经验", "2024年", "ABC试点", "abc", "（一）", "，", "。", "复议"]
    pieces += ["e-政务", "……"]
    regions = [SMALL_REPORTS[0].region, SMALL_REPORTS[1].region, SMALL_REPORTS[2].region]
    reports = []
    for i in range(30):
        paragraphs = [
            ("".join(rng.choice(pieces) for _ in range(rng.randint(3, 12))), rng.choice(["举措成效", "问题不足"]), "")
            for _ in range(rng.randint(1, 4))
        ]
        reports.append(make_report(f"m{i}", f"m{i:02d}.txt", regions[i % 3], 2022 + i % 3, paragraphs))
    return reports


def test_every_query_form_answers_as_the_in_memory_engine_does(tmp_path, sphinx_cluster):
    """Exact phrases answered by the cluster alone and verified ones alike: totals, 处/段/份 and facets equal
    Whoosh's (the in-memory execution, a scan of candidates), with filters and exclusions only."""
    reports = _mixed_reports()
    snaps = {}
    for name in ("whoosh", "sphinx"):
        index_writer(name)(tmp_path / name, reports)
        snaps[name] = open_engine(tmp_path / name, name).snapshot()
    queries = [
        "法治",
        '"政府行政"',
        "abc",
        "ABC试点",
        "2024",
        "24年",
        "复议 -行政复议",
        "-复议",
        "-，",
        "法治 OR abc",
        "（一）",
        "，复议",
        "e-政务",
        "枫桥经验 NEAR/3 复议",
        "法治 /SEN 复议",
        "(法治 OR 枫桥) -abc",
    ]
    filters = [{}, {"years": (2023,)}, {"regions": ("山西省",)}, {"sections": ("问题不足",)}]
    for q in queries:
        for f in filters:
            for sort in ("relevance", "year"):
                request = SearchRequest(q, per_page=100, sort=sort, **f)
                want = search.search(snaps["whoosh"], request, use_cache=False)
                got = search.search(snaps["sphinx"], request, use_cache=False)
                assert (got.total, got.occurrences, got.reports_total) == (
                    want.total,
                    want.occurrences,
                    want.reports_total,
                ), (q, f)
                assert {h.passage_id for h in got.hits} == {h.passage_id for h in want.hits}, (q, f)
                assert got.to_dict()["facets"] == want.to_dict()["facets"], (q, f)
                if sort == "year":
                    assert [h.year for h in got.hits] == [h.year for h in want.hits], (q, f)
