"""The query language through the API, the site and the CLI (issues #10 and #12), on both engines."""

from __future__ import annotations

import pytest

from fazhi.cli import main
from search import SearchRequest, open_engine, search
from search.engines import index_writer
from search.models import Region
from search.query import MAX_NEGATIONS
from tests.conftest import make_report
from tests.test_counting import scan

DASH_REPORTS = [
    make_report(
        "da",
        "da.txt",
        Region("山西省", "长治市", None),
        2024,
        [
            ("长治市2024年法治政府建设年度报告", "概述", ""),
            ("贯彻《法治政府建设实施纲要（2021—2025年）》。", "举措成效", ""),
            ("落实2021－2025年规划，推进依法行政。", "举措成效", ""),
            ("完成2021——2025年目标，“枫桥经验”促调解。", "举措成效", ""),
            ("对照2021-2025年纲要查找不足。", "问题不足", ""),
            ("2021年至2025年，坚持依法行政。", "工作计划", ""),
        ],
    )
]


@pytest.fixture
def dash_client(tmp_path, engine_name):
    from web import create_app

    index_writer(engine_name)(tmp_path / "index", DASH_REPORTS)
    app = create_app({"INDEX_DIR": str(tmp_path / "index"), "ENGINE": engine_name, "TESTING": True})
    return app.test_client()


def test_a_dash_finds_every_dash_a_reader_reads_as_the_same(dash_client):
    body = dash_client.get("/api/search", query_string={"q": "2021-2025年"}).get_json()
    assert body["total"] == 4 and body["occurrences"] == 4
    marked = sorted(h["snippet"].split("<mark>")[1].split("</mark>")[0] for h in body["hits"])
    assert marked == sorted(["2021—2025年", "2021－2025年", "2021——2025年", "2021-2025年"])  # the whole run
    for variant in ("2021—2025年", "2021－2025年", "2021——2025年"):
        assert dash_client.get("/api/search", query_string={"q": variant}).get_json()["total"] == 4


def test_proximity_through_the_api_marks_the_partners(dash_client):
    body = dash_client.get("/api/search", query_string={"q": "枫桥经验 NEAR/2 调解"}).get_json()
    assert body["total"] == 1 and body["occurrences"] == 2
    assert "<mark>枫桥经验</mark>”促<mark>调解</mark>" in body["hits"][0]["snippet"]
    assert (
        dash_client.get("/api/search", query_string={"q": "枫桥经验 NEAR/1 调解"}).get_json()["total"] == 0
    )  # ” and 促 between
    assert dash_client.get("/api/search", query_string={"q": "枫桥经验 同句 调解"}).get_json()["total"] == 1
    assert dash_client.get("/api/search", query_string={"q": "2021年 /SEN 依法行政"}).get_json()["total"] == 1


@pytest.mark.parametrize("q", ["OR", "-", "()", "AND", "ＯＲ", "NEAR/3"])
def test_operators_only_is_a_400_naming_q(client, q):
    resp = client.get("/api/search", query_string={"q": q})
    body = resp.get_json()
    assert resp.status_code == 400 and body["param"] == "q" and "operators" in body["error"]


def test_past_a_limit_is_a_400_naming_the_limit(client):
    q = "法治 " + " ".join(f"-词{i}" for i in range(MAX_NEGATIONS + 1))
    resp = client.get("/api/search", query_string={"q": q})
    body = resp.get_json()
    assert resp.status_code == 400 and body["param"] == "q"
    assert f"the limit is {MAX_NEGATIONS}" in body["error"]


def test_a_repeated_term_is_searched_once(snap):
    once = search(snap, SearchRequest("经验"))
    many = search(snap, SearchRequest(" ".join(["经验"] * 200)))
    assert (many.total, many.occurrences) == (once.total, once.occurrences)


def test_operators_read_as_text_are_noted_in_json_and_on_the_page(client):
    body = client.get("/api/search", query_string={"q": "法治 OR"}).get_json()
    assert body["notes"] and "OR" in body["notes"][0]
    assert client.get("/api/search", query_string={"q": "(法治 OR 经验) 建设"}).get_json()["notes"] == []
    html = client.get("/search", query_string={"q": "法治 OR"}).get_data(as_text=True)
    assert "query-notes" in html and "已按文字检索" in html


def test_the_site_and_cli_refuse_operators_only(client, runner, small_index, engine_name):
    resp = client.get("/search", query_string={"q": "OR"})
    assert resp.status_code == 400 and resp.mimetype == "text/html" and "参数 q" in resp.get_data(as_text=True)
    result = runner.invoke(main, ["search", "OR", "--index-dir", str(small_index), "--engine", engine_name])
    assert result.exit_code != 0 and "operators" in result.output
    result = runner.invoke(main, ["search", "法治 OR", "--index-dir", str(small_index), "--engine", engine_name])
    assert result.exit_code == 0 and "note: “OR”右侧没有检索词" in result.output


def test_grouped_and_or_negated_queries_equal_the_scan(snap):
    for q in ["(首违不罚 OR 枫桥经验) 执法", "（首违不罚 OR 枫桥经验）执法", "首违不罚 OR -执法", "经验 OR -法治"]:
        expected = scan(snap, q)
        resp = search(snap, SearchRequest(q))
        assert (resp.total, resp.occurrences) == (len(expected), sum(n for _, n in expected)), q


@pytest.mark.acceptance
def test_grouped_query_on_the_samples_equals_a_plain_scan(corpus_index, corpus_engine):
    from web import create_app

    app = create_app({"INDEX_DIR": str(corpus_index), "ENGINE": corpus_engine, "TESTING": True})
    q = "(首违不罚 OR 枫桥经验) 执法"
    body = app.test_client().get("/api/search", query_string={"q": q, "per_page": 100}).get_json()
    snap = open_engine(corpus_index, corpus_engine).snapshot()
    expected = scan(snap, q)
    assert expected  # the samples hold such passages
    assert body["total"] == len(expected)
    assert body["occurrences"] == sum(n for _, n in expected)
    assert body["reports_total"] == len({snap.passages[r].report_id for r, _ in expected})
    by_id = {snap.passages[r].passage_id: n for r, n in expected}
    assert {h["passage_id"]: h["matches"] for h in body["hits"]} == by_id
