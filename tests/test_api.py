"""The JSON API through Flask's test client."""

import pytest

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
        assert set(hit["region"]) == {"province", "prefecture", "county"}
        assert hit["url"] == f"/reports/{hit['report_id']}#{hit['passage_id']}"
    assert set(body["facets"]) == {"region", "year", "section", "doc_type"}
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
