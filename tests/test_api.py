"""The JSON API through Flask's test client (and, for request limits, through a real gunicorn)."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest

from search.models import Region
from tests.conftest import SMALL_REPORTS

HIT_FIELDS = {
    "report_id",
    "passage_id",
    "source",
    "title",
    "region",
    "year",
    "section",
    "heading",
    "text",
    "snippet",
    "url",
}


def test_search_shape(client):
    body = client.get("/api/search?q=枫桥经验").get_json()
    assert {"query", "total", "page", "per_page", "hits", "facets"} <= body.keys()
    assert body["query"] == "枫桥经验" and body["total"] == 2 and body["page"] == 1
    for hit in body["hits"]:
        assert HIT_FIELDS <= hit.keys()
        assert set(hit["region"]) == {"province", "prefecture", "county", "code", "division_id"}
        assert hit["url"] == f"/reports/{hit['report_id']}#{hit['passage_id']}"
    assert set(body["facets"]) == {"region", "year", "section", "doc_type", "reuse"}
    for row in body["facets"]["region"]:
        assert {"value", "level", "parent", "count"} <= row.keys()
    for row in body["facets"]["year"] + body["facets"]["section"]:
        assert {"value", "count"} <= row.keys()


def test_json_is_utf8_not_escaped(client):
    resp = client.get("/api/search?q=枫桥经验")
    assert "枫桥经验".encode() in resp.data


def test_filters_and_paging(client):
    body = client.get("/api/search?q=法治&region=长治市&region=静海区&per_page=1&page=2").get_json()
    assert body["per_page"] == 1 and body["page"] == 2 and len(body["hits"]) == 1
    assert body["hits"][0]["region"]["province"] in {"山西省", "天津市"}
    assert client.get("/api/search?year=2023&year=2024").get_json()["total"] == 12
    assert client.get("/api/search?section=工作计划").get_json()["total"] == 1


def test_empty_query_browses_everything(client):
    body = client.get("/api/search").get_json()
    assert body["total"] == 12
    assert sum(r["count"] for r in body["facets"]["section"]) == 12


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("per_page=101", "per_page"),
        ("per_page=0", "per_page"),
        ("per_page=x", "per_page"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=1e9x", "page"),
        ("year=abc", "year"),
        ("section=无此章节", "section"),
        ("sort=random", "sort"),
        ("q=" + "法" * 501, "q"),
        ("q=%01%02", "q"),
    ],
)
def test_bad_parameters_get_400_naming_the_parameter(client, query, param):
    resp = client.get("/api/search?" + query)
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["param"] == param and param in body["error"] and body["ok"] is False


@pytest.mark.parametrize(
    "q", ["<script>alert(1)</script>", '"', '"""', "-", "OR", "- OR -", "%", "\\", "()[]{}*?", "𠀀"]
)
def test_hostile_queries_never_500(client, q):
    resp = client.get("/api/search", query_string={"q": q})
    if q in ("-", "OR", "- OR -"):  # operators only: nothing to search for, 400 naming q (issue #10)
        assert resp.status_code == 400 and resp.get_json()["param"] == "q"
        return
    assert resp.status_code == 200
    for hit in resp.get_json()["hits"]:
        assert "<script>" not in hit["snippet"]


def test_reports_list(client):
    body = client.get("/api/reports").get_json()
    assert [r["report_id"] for r in body["reports"]] == ["ra", "rb", "rc"]
    first = body["reports"][0]
    assert {"report_id", "source", "title", "region", "year", "publish_date", "issuer", "passages"} <= first.keys()
    assert first["passages"] == 6


def test_one_report_with_passages_in_order(client):
    body = client.get("/api/reports/rb").get_json()
    assert body["title"] == "灵武市2023年法治政府建设年度报告"
    assert [p["number"] for p in body["passages"]] == [1, 2, 3, 4]
    assert body["passages"][1]["url"] == "/reports/rb#rb-p2"


def test_unknown_report_is_404_json(client):
    resp = client.get("/api/reports/nope")
    assert resp.status_code == 404 and resp.get_json()["param"] == "report_id"


def test_missing_index_is_a_clear_503(tmp_path):
    from web import create_app

    client = create_app({"INDEX_DIR": str(tmp_path / "none"), "TESTING": True}).test_client()
    resp = client.get("/api/search?q=x")
    assert resp.status_code == 503 and "fazhi index" in resp.get_json()["error"]


def test_gunicorn_workers_load_the_index_before_their_first_request(app, tmp_path):
    from types import SimpleNamespace

    from web import create_app
    from web.gunicorn_conf import post_worker_init

    warnings = []
    log = SimpleNamespace(warning=lambda *a: warnings.append(a))
    post_worker_init(SimpleNamespace(wsgi=app, log=log))
    engine = app.extensions["fazhi_engine"]
    assert engine._snapshot is not None and not warnings
    empty = create_app({"INDEX_DIR": str(tmp_path / "none")})
    post_worker_init(SimpleNamespace(wsgi=empty, log=log))  # no index yet: a warning, not a crash
    assert warnings and "fazhi index" in str(warnings[0])


@pytest.mark.parametrize(
    ("query", "param"),
    [("q=法治&page=1000000000", "page"), ("page=501&per_page=20", "page"), ("year=99999999999999999999999", "year")],
)
def test_absurd_pages_and_years_are_400_not_a_crash(client, query, param):
    resp = client.get("/api/search?" + query)
    assert resp.status_code == 400 and resp.get_json()["param"] == param


def test_the_last_allowed_page_is_answered(client):
    assert client.get("/api/search?q=法治&page=100&per_page=100").status_code == 200


def test_search_counts_in_three_units(client):
    body = client.get("/api/search?q=枫桥经验").get_json()
    assert (body["occurrences"], body["total"], body["reports_total"]) == (3, 2, 2)
    assert body["view"] == "passages" and body["reports"] is None
    body = client.get("/api/search?q=枫桥经验&view=reports&sort=year&order=asc").get_json()
    assert [r["report_id"] for r in body["reports"]] == ["rb", "ra"]


def test_kwic_shape(client):
    body = client.get("/api/kwic?q=枫桥经验&width=4").get_json()
    assert (body["total"], body["passages_total"], body["reports_total"]) == (3, 2, 2)
    assert body["width"] == 4 and body["sort"] == "position"
    line = body["lines"][0]
    assert (line["left"], line["match"], line["right"]) == ("新时代“", "枫桥经验", "”，推进")
    assert line["url"] == "/reports/ra#ra-p3" and line["start"] == 6


def test_trends_shape(client):
    body = client.get("/api/trends?q=枫桥经验&q=行政复议&norm=count").get_json()
    assert body["queries"] == ["枫桥经验", "行政复议"] and body["years"] == [2023, 2024]
    series = {s["query"]: s["points"] for s in body["series"]}
    assert [(p["year"], p["occurrences"], p["value"]) for p in series["枫桥经验"]] == [(2023, 1, 1.0), (2024, 2, 2.0)]
    assert {f["query"]: f["year"] for f in body["first"]} == {"枫桥经验": 2023, "行政复议": 2023}


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ("year=2024", ["ra", "rc"]),
        ("year=-2023", ["rb"]),
        ("year=2020-2030", ["ra", "rb", "rc"]),
        ("region=山西省", ["ra"]),
        ("region=灵武市&region=静海区", ["rb", "rc"]),
        ("doc_type=法治政府建设年度报告&year=2023", ["rb"]),
    ],
)
def test_reports_list_filters(client, query, ids):
    body = client.get("/api/reports?" + query).get_json()
    assert [r["report_id"] for r in body["reports"]] == ids and body["total"] == len(ids)


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/kwic?q=法治&width=201", "width"),
        ("/api/kwic?q=法治&sort=random", "sort"),
        ("/api/kwic?q=法治&order=up", "order"),
        ("/api/trends?q=法治&split=city", "split"),
        ("/api/trends?q=法治&year=soon", "year"),
        ("/api/reports?year=2024-2020", "year"),
        ("/api/reports?format=docx", "format"),
        ("/api/search?view=table", "view"),
        ("/api/search?facet_count=words", "facet_count"),
    ],
)
def test_bad_parameters_of_every_endpoint_get_400(client, url, param):
    resp = client.get(url)
    assert resp.status_code == 400 and resp.get_json()["param"] == param


# Regions by their short names, on the sample reports (issue #10)


@pytest.fixture
def corpus_client(corpus_index, corpus_engine):
    from web import create_app

    return create_app({"INDEX_DIR": str(corpus_index), "ENGINE": corpus_engine, "TESTING": True}).test_client()


@pytest.mark.acceptance
@pytest.mark.parametrize(
    ("short", "full", "sources"),
    [
        ("山西", "山西省", {"000_02c746c2ec6526e7.txt", "003_e2e0df3e9e7d89cd.txt", "004_a086ccad46f82d58.txt"}),
        ("长治", "长治市", {"000_02c746c2ec6526e7.txt"}),
        ("宁夏", "宁夏回族自治区", {"001_c8c184c9724ced57.txt"}),
        ("岳麓", "岳麓区", {"002_09ab2a23c5e0d572.txt"}),
        ("长沙市岳麓区", "岳麓区", {"002_09ab2a23c5e0d572.txt"}),
        ("湖南/长沙/岳麓", "岳麓区", {"002_09ab2a23c5e0d572.txt"}),
    ],
)
def test_short_region_names_find_their_reports(corpus_client, short, full, sources):
    by_full = corpus_client.get("/api/search", query_string={"q": "法治", "region": full}).get_json()
    body = corpus_client.get("/api/search", query_string={"q": "法治", "region": short}).get_json()
    assert body["total"] == by_full["total"] > 0 and body["occurrences"] == by_full["occurrences"]
    assert body["filters"]["region"] == [full] and f"地区“{short}”按“{full}”检索" in body["notes"]
    reports = corpus_client.get("/api/reports", query_string={"region": short}).get_json()["reports"]
    assert {r["source"] for r in reports} == sources
    kwic = corpus_client.get("/api/kwic", query_string={"q": "法治", "region": short}).get_json()
    assert kwic["filters"]["region"] == [full] and kwic["total"] == by_full["occurrences"]
    assert f"地区“{short}”按“{full}”检索" in kwic["notes"]
    trends = corpus_client.get("/api/trends", query_string={"q": "法治", "region": short}).get_json()
    assert trends["filters"]["region"] == [full] and sum(p["reports"] for p in trends["series"][0]["points"]) == len(
        sources
    )


@pytest.mark.acceptance
def test_an_unknown_region_says_so_instead_of_returning_0(corpus_client):
    resp = corpus_client.get("/api/search", query_string={"q": "法治", "region": "长治县"})
    body = resp.get_json()
    assert resp.status_code == 400 and body["param"] == "region" and "长治县" in body["error"]
    assert [c["value"] for c in body["choices"]] == ["长治市"] and body["choices"][0]["reports"] == 1
    assert corpus_client.get("/api/reports", query_string={"region": "北京"}).status_code == 400


def test_an_ambiguous_region_lists_its_places_with_their_reports(tmp_path, engine_name):
    from search.engines import index_writer
    from tests.conftest import make_report
    from web import create_app

    reports = [
        make_report("jl", "jl.txt", Region("吉林省", None, None), 2024, [("吉林省法治政府建设年度报告", "概述", "")]),
        make_report(
            "jc", "jc.txt", Region("吉林省", "吉林市", None), 2024, [("吉林市法治政府建设年度报告", "概述", "")]
        ),
        make_report(
            "jd", "jd.txt", Region("吉林省", "吉林市", None), 2023, [("吉林市法治政府建设年度报告", "概述", "")]
        ),
    ]
    index_writer(engine_name)(tmp_path / "i", reports)
    client = create_app({"INDEX_DIR": str(tmp_path / "i"), "ENGINE": engine_name, "TESTING": True}).test_client()
    body = client.get("/api/search?region=吉林").get_json()
    assert body["status"] == 400 and body["param"] == "region" and "could mean 2 places" in body["error"]
    assert [(c["value"], c["label"], c["reports"]) for c in body["choices"]] == [
        ("吉林省", "吉林省", 3),
        ("吉林市", "吉林省 / 吉林市", 2),
    ]
    assert client.get("/api/search?region=吉林省/吉林").get_json()["total"] == 2


# Errors under /api/ are always JSON


def test_every_api_error_is_json(tmp_path, small_index, engine_name):
    from web import create_app

    app = create_app({"INDEX_DIR": str(small_index), "ENGINE": engine_name})  # not TESTING: a 500 is handled

    @app.get("/api/boom")
    def boom():
        raise RuntimeError("boom")

    client = app.test_client()
    for resp, status in [
        (client.get("/api/nothing-here"), 404),
        (client.post("/api/search?q=法治"), 405),
        (client.get("/api/boom"), 500),
        (client.get("/api/search?group=maybe"), 400),
    ]:
        body = resp.get_json()
        assert resp.status_code == status and resp.mimetype == "application/json"
        assert body["ok"] is False and body["status"] == status and body["error"]
    assert client.get("/api/search?group=maybe").get_json()["param"] == "group"
    assert client.get("/api/search?group=0").status_code == 200


def test_an_index_of_the_other_engine_is_named(tmp_path):
    from search.engines import index_writer
    from web import create_app

    index_writer("tantivy")(tmp_path / "t", SMALL_REPORTS)
    client = create_app({"INDEX_DIR": str(tmp_path / "t"), "ENGINE": "whoosh", "TESTING": True}).test_client()
    body = client.get("/api/search?q=法治").get_json()
    assert body["status"] == 503 and "built with tantivy" in body["error"] and "--engine tantivy" in body["error"]


# Long queries through a real gunicorn (`fazhi serve`)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(small_index, engine_name):
    """`fazhi serve` (gunicorn, 1 worker) on a free port; its stderr, read once "Serving" is said."""
    port = _free_port()
    repo = Path(__file__).resolve().parents[1]
    cmd = [sys.executable, "-c", "from fazhi.cli import main; main()", "serve", "--index-dir", str(small_index)]
    cmd += ["--engine", engine_name, "--port", str(port), "--workers", "1"]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    proc = subprocess.Popen(cmd, cwd=repo, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + 30
        line = ""
        while "Serving" not in line and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                break
        assert "Serving" in line and f"http://127.0.0.1:{port}/" in line, line
        with socket.create_connection(("127.0.0.1", port), timeout=5):  # "Serving" means the port is bound
            pass
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stderr.close()


def _get(url: str) -> tuple[int, str, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.headers.get_content_type(), json.loads(resp.read())
    except urllib.error.HTTPError as e:
        body = e.read()
        kind = e.headers.get_content_type()
        return e.code, kind, json.loads(body) if kind == "application/json" else {"raw": body[:200]}


@pytest.mark.parametrize("engine_name", ["whoosh"])
def test_queries_up_to_the_limit_reach_the_application_under_gunicorn(served):
    query = "依法行政" * 125  # 500 characters: 4,500 bytes percent-encoded
    status, kind, body = _get(served + "/api/search?" + urlencode({"q": query, "region": "宁夏", "per_page": 100}))
    assert (status, kind) == (200, "application/json") and body["query"] == query
    status, kind, body = _get(served + "/api/search?" + urlencode({"q": query + "法"}))
    assert (status, kind, body["param"]) == (400, "application/json", "q")
    eight = [("q", "法治" * 250 if i == 0 else f"{i}" + "行" * 499) for i in range(8)]  # /trends: 8 queries of 500
    status, kind, body = _get(served + "/api/trends?" + urlencode(eight))
    assert (status, kind) == (200, "application/json") and len(body["queries"]) == 8


@pytest.mark.parametrize(("cache_size", "second_cached"), [(0, False), (8, True)])
def test_the_apps_cache_size_reaches_the_search_layer(monkeypatch, small_index, engine_name, cache_size, second_cached):
    from web import create_app

    monkeypatch.setenv("FAZHI_CACHE_SIZE", "8" if cache_size == 0 else "0")  # the app's config wins
    app = create_app({"INDEX_DIR": str(small_index), "ENGINE": engine_name, "CACHE_SIZE": cache_size})
    client = app.test_client()
    assert client.get("/api/search?q=法治").get_json()["cached"] is False
    assert client.get("/api/search?q=法治").get_json()["cached"] is second_cached
