"""The API as a contract: the OpenAPI 3.1 document at /api/openapi.json, real responses validated against it,
and every operation fuzzed with schemathesis over an index of the sample reports, both engines."""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from jsonschema import Draft202012Validator
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from search import settings as settings_
from search.engines import index_writer
from tests.conftest import SMALL_REPORTS
from web import create_app
from web.openapi import openapi_document

# The document and its schemas


def documented_schema(doc: dict, path: str, status: int, media_type: str) -> dict:
    """The schema the document gives for ``status`` of ``GET path`` as ``media_type`` (a concrete path such as
    /api/reports/abc is matched to its template)."""
    for template, item in doc["paths"].items():
        if re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)), path):
            responses = item["get"]["responses"]
            assert str(status) in responses, f"{status} of {path} is not documented"
            content = responses[str(status)]["content"]
            assert media_type in content, f"{media_type} of {path} ({status}) is not documented"
            return content[media_type]["schema"]
    raise AssertionError(f"{path} is not in the document")


def validator(doc: dict, schema: dict) -> Draft202012Validator:
    """A JSON Schema 2020-12 validator of ``schema`` whose ``$ref`` resolve in the document's components."""
    Draft202012Validator.check_schema(schema)
    root = {**schema, "components": doc["components"]}
    return Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)


def errors_of(doc: dict, path: str, response) -> list[str]:
    schema = documented_schema(doc, path, response.status_code, response.mimetype)
    body = response.get_json()
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(doc, schema).iter_errors(body)]


@pytest.fixture
def doc(client) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_the_document_is_served_as_openapi_3_1(doc):
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) >= {
        "/api/search",
        "/api/kwic",
        "/api/trends",
        "/api/reports",
        "/api/reports/{report_id}",
        "/api/openapi.json",
    }
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_every_api_route_is_documented(app, doc):
    """A new endpoint under /api/ needs its path in web/openapi.py (one function, one line in PATHS)."""
    routes = {
        re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
    }
    assert routes == set(doc["paths"])
    for path, item in doc["paths"].items():
        assert set(item) == {"get"}, path


def test_the_document_states_the_apps_limits(small_index, engine_name):
    client = create_app(
        {"INDEX_DIR": str(small_index), "ENGINE": engine_name, "MAX_PER_PAGE": 7, "MAX_QUERY_LENGTH": 30}
    ).test_client()
    doc = client.get("/api/openapi.json").get_json()
    params = {p["name"]: p["schema"] for p in doc["paths"]["/api/search"]["get"]["parameters"]}
    assert params["per_page"]["maximum"] == 7 and params["q"]["maxLength"] == 30
    assert client.get("/api/search?per_page=7").status_code == 200
    assert client.get("/api/search?per_page=8").get_json()["param"] == "per_page"


def test_repeatable_parameters_are_exploded_arrays(doc):
    for path in ("/api/search", "/api/kwic", "/api/trends"):
        params = {p["name"]: p for p in doc["paths"][path]["get"]["parameters"]}
        for name in ("region", "year", "section", "doc_type"):
            assert params[name]["schema"]["type"] == "array" and params[name]["explode"] is True, (path, name)


@pytest.mark.parametrize("path", ["/api/search", "/api/kwic", "/api/trends", "/api/reports"])
def test_a_value_outside_a_documented_enum_is_a_400_naming_the_parameter(client, doc, path):
    """Every enum in the document is what the app accepts: one value past it is refused, naming the parameter."""
    base = {"/api/kwic": "q=法治&", "/api/trends": "q=法治&"}.get(path, "")
    checked = 0
    for param in doc["paths"][path]["get"]["parameters"]:
        schema = param["schema"].get("items", param["schema"])
        if "enum" not in schema:
            continue
        response = client.get(f"{path}?{base}{param['name']}=nonesuch")
        assert response.status_code == 400, (path, param["name"])
        assert response.get_json()["param"] == param["name"]
        assert errors_of(doc, path, response) == []
        for value in schema["enum"]:  # and every value of it is accepted
            # the report table's sorts, and order, need view=reports (relevance is always best first)
            extra = "view=reports&" if path == "/api/search" and param["name"] in ("sort", "order") else ""
            response = client.get(path, query_string=f"{base}{extra}{param['name']}={value}")
            body = response.data  # read it all: a download streams
            assert response.status_code == 200, (path, param["name"], value, body[:300])
        checked += 1
    assert checked >= 1


# Real responses against the document: the samples, both engines


@pytest.fixture
def corpus_client(corpus_index, corpus_engine):
    return create_app({"INDEX_DIR": str(corpus_index), "ENGINE": corpus_engine, "TESTING": True}).test_client()


REQUESTS = [
    "/api/search",
    "/api/search?q=行政复议",
    "/api/search?q=行政复议&group=1&sort=year&order=asc&per_page=3&page=2",
    "/api/search?q=行政复议&view=reports&facet_count=reports&sort=per_10k_chars",
    "/api/search?q=行政复议 -枫桥&view=reports&sort=region&order=desc",
    "/api/search?q=法治&region=山西&year=2021-&section=举措成效&section=工作计划&doc_type=法治政府建设年度报告",
    "/api/search?q=没有这个词",
    "/api/search?q=行政复议&view=reports&q=x&per_page=100",
    "/api/kwic?q=首违不罚&width=5",
    "/api/kwic?q=行政复议&sort=left&order=desc&region=湖南&per_page=2",
    "/api/kwic?q=没有这个词",
    "/api/trends?q=行政复议",
    "/api/trends?q=行政复议&q=枫桥经验&norm=per_10k_chars&split=province",
    "/api/trends?q=行政复议&split=region&region=山西",
    "/api/trends?q=行政复议&split=section&norm=count&year=2024",
    "/api/trends?q=没有这个词&split=county",
    "/api/reports",
    "/api/reports?region=湖南省&year=2024",
    "/api/reports?doc_type=政府工作报告",
    "/api/coverage?year=2024&region=长沙&level=county",
    "/api/coverage?year=2023-2024&region=山西",
    "/api/coverage",
    # errors
    "/api/search?region=没有的地方",
    "/api/search?per_page=0",
    "/api/search?page=999999",
    "/api/search?year=abc",
    "/api/search?q=%01",
    "/api/kwic",
    "/api/kwic?q=法治&format=ris",
    "/api/trends",
    "/api/coverage?level=township",
    "/api/coverage?region=岳麓区",
    "/api/reports/nonesuch",
]


@pytest.mark.acceptance
def test_real_responses_match_the_document(corpus_client):
    doc = corpus_client.get("/api/openapi.json").get_json()
    report_ids = [r["report_id"] for r in corpus_client.get("/api/reports").get_json()["reports"]]
    assert report_ids
    seen_statuses = set()
    for url in REQUESTS + [f"/api/reports/{rid}" for rid in report_ids]:
        response = corpus_client.get(url)
        seen_statuses.add(response.status_code)
        path = url.split("?")[0]
        assert errors_of(doc, path, response) == [], url
    assert seen_statuses == {200, 400, 404}


@pytest.mark.acceptance
@pytest.mark.parametrize(
    ("url", "media_type"),
    [
        ("/api/search?q=行政复议&format=csv", "text/csv"),
        ("/api/search?q=行政复议&format=xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("/api/search?q=行政复议&view=reports&format=jsonl", "application/x-ndjson"),
        ("/api/search?q=行政复议&format=ris", "application/x-research-info-systems"),
        ("/api/search?q=行政复议&format=bibtex", "application/x-bibtex"),
        ("/api/reports?format=csljson", "application/vnd.citationstyles.csl+json"),
        ("/api/kwic?q=行政复议&format=csv", "text/csv"),
        ("/api/trends?q=行政复议&format=jsonl", "application/x-ndjson"),
    ],
)
def test_downloads_are_documented_with_their_media_types(corpus_client, url, media_type):
    doc = corpus_client.get("/api/openapi.json").get_json()
    response = corpus_client.get(url)
    assert response.status_code == 200 and response.mimetype == media_type and response.data
    response_doc = doc["paths"][url.split("?")[0]]["get"]["responses"]["200"]
    assert media_type in response_doc["content"]
    assert {"Content-Disposition", "X-Row-Count"} <= set(response.headers.keys()) & set(response_doc["headers"])
    if media_type.endswith("+json"):
        assert errors_of(doc, url.split("?")[0], response) == []


def test_the_503_without_an_index_matches_the_document(tmp_path):
    client = create_app({"INDEX_DIR": str(tmp_path / "none"), "TESTING": True}).test_client()
    doc = client.get("/api/openapi.json").get_json()  # the document needs no index
    for url in ("/api/search?q=法治", "/api/kwic?q=法治", "/api/trends?q=法治", "/api/reports", "/api/reports/x"):
        response = client.get(url)
        assert response.status_code == 503
        assert errors_of(doc, url.split("?")[0], response) == [], url


def test_an_ambiguous_region_with_its_choices_matches_the_document(tmp_path, engine_name):
    from search import Region
    from tests.conftest import make_report

    reports = [
        make_report("j1", "j1.txt", Region("吉林省"), 2024, [("吉林省2024年法治政府建设年度报告", "概述", "")]),
        make_report("j2", "j2.txt", Region("吉林省", "吉林市"), 2024, [("吉林市2024年法治政府建设报告", "概述", "")]),
    ]
    index_writer(engine_name)(tmp_path / "i", reports)
    client = create_app({"INDEX_DIR": str(tmp_path / "i"), "ENGINE": engine_name, "TESTING": True}).test_client()
    doc = client.get("/api/openapi.json").get_json()
    for url in ("/api/search?region=吉林", "/api/search?region=吉木"):
        response = client.get(url)
        assert response.status_code == 400 and response.get_json()["choices"], url
        assert errors_of(doc, "/api/search", response) == [], url


# The document catches drift


def test_a_renamed_or_dropped_field_fails_the_document(client, doc):
    body = client.get("/api/search?q=枫桥经验&view=passages").get_json()
    schema = validator(doc, documented_schema(doc, "/api/search", 200, "application/json"))
    assert schema.is_valid(body)
    renamed = {**body, "hits": [{**body["hits"][0], "match_count": body["hits"][0]["matches"]}]}
    del renamed["hits"][0]["matches"]
    assert not schema.is_valid(renamed)
    dropped = {k: v for k, v in body.items() if k != "occurrences"}
    assert not schema.is_valid(dropped)
    region_renamed = {**body, "facets": {**body["facets"], "regions": body["facets"]["region"]}}
    del region_renamed["facets"]["region"]
    assert not schema.is_valid(region_renamed)
    null_total = {**body, "total": None}
    assert not schema.is_valid(null_total)


# Fuzzing every operation with schemathesis


@pytest.fixture(scope="module", params=("whoosh", "tantivy"))
def fuzzed_app(request, tmp_path_factory):
    """An app over the sample reports when they are here (else the hand-made ones), per engine."""
    from tests.conftest import CORPUS_DIR

    index_dir = tmp_path_factory.mktemp(f"fuzz-{request.param}") / "index"
    if CORPUS_DIR.is_dir():
        from indexer.build import index_corpus

        index_corpus(CORPUS_DIR, index_dir, engine=request.param)
    else:
        index_writer(request.param)(index_dir, SMALL_REPORTS)
    return create_app({"INDEX_DIR": str(index_dir), "ENGINE": request.param, "TESTING": True})


# Loaded eagerly: schemathesis's fixture loader (``from_fixture``) does not run under pytest 9. The app
# serves this same document (checked below), with the limits of the default settings.
DOCUMENT = openapi_document(settings_.get_int("MAX_PER_PAGE"), settings_.get_int("MAX_QUERY_LENGTH"))
fuzzed = schemathesis.openapi.from_dict(DOCUMENT)

CHECKS = [
    not_a_server_error,  # no 5xx
    status_code_conformance,  # every status documented
    content_type_conformance,  # every media type documented
    response_headers_conformance,
    response_schema_conformance,  # every body as documented
    unsupported_method,  # an undeclared method is a 405 with Allow
]


@fuzzed.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
def test_fuzzing_finds_no_server_error_and_no_undocumented_response(case, fuzzed_app):
    """schemathesis's phases (explicit examples, coverage of every schema boundary, then 25 fuzzed requests per
    operation, reproducibly) over the sample reports, both engines: no 5xx, every status, content type, header
    and body as the document says. Hostile values are a 400 naming the parameter (the document requires it)."""
    case.call_and_validate(app=fuzzed_app, checks=CHECKS)


def test_the_fuzzed_document_is_the_served_one(client):
    assert client.get("/api/openapi.json").get_json() == DOCUMENT


# Defects the fuzzer found


@pytest.mark.parametrize(
    ("method", "url", "mimetype"),
    [
        ("POST", "/api/search?q=法治", "application/json"),
        ("TRACE", "/api/reports/ra", "application/json"),
        ("DELETE", "/api/openapi.json", "application/json"),
        ("POST", "/search?q=法治", "text/html"),
    ],
)
def test_a_method_not_allowed_says_which_are(client, method, url, mimetype):
    """RFC 9110: a 405 carries ``Allow``. The JSON (and HTML) error pages used to drop it (schemathesis ST204)."""
    response = client.open(url, method=method)
    assert response.status_code == 405 and response.mimetype == mimetype
    assert "GET" in response.headers.get("Allow", "").split(", ")


def test_the_site_footer_links_the_document(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/api/openapi.json"' in page


@pytest.fixture
def sparse_client(tmp_path, engine_name):
    """Reports that lack what a report may lack: a year, a region, a publish date, an issuer, a title of their own."""
    from dataclasses import replace as replace_

    from search import Region
    from tests.conftest import make_report

    bare = make_report("nx", "n.txt", Region(), 2024, [("没有年份也没有地区的报告。行政复议。", "其他", "")])
    county_only = make_report("ny", "y.html", Region(county="某县"), 2024, [("行政复议工作。", "概述", "一、概述")])
    reports = [
        *SMALL_REPORTS,
        replace_(bare, year=None, doc_type="其他", encoding="gb18030", inferred=("title",)),
        replace_(county_only, publish_date="2024-03-01", publish_date_source="page", issuer_level="township"),
    ]
    index_writer(engine_name)(tmp_path / "i", reports)
    return create_app({"INDEX_DIR": str(tmp_path / "i"), "ENGINE": engine_name, "TESTING": True}).test_client()


def test_nulls_where_a_report_lacks_metadata_match_the_document(sparse_client):
    doc = sparse_client.get("/api/openapi.json").get_json()
    urls = [
        "/api/search",
        "/api/search?q=行政复议&sort=year&order=asc",
        "/api/search?q=行政复议&view=reports&sort=region&facet_count=reports",
        "/api/search?q=行政复议&group=1&sort=region",
        "/api/kwic?q=行政复议&sort=year",
        "/api/trends?q=行政复议&split=county",
        "/api/trends?q=行政复议&split=province&norm=per_10k_chars",
        "/api/trends?q=没有年份",
        "/api/reports",
        "/api/reports/nx",
        "/api/reports/ny",
    ]
    for url in urls:
        response = sparse_client.get(url)
        assert response.status_code == 200, url
        assert errors_of(doc, url.split("?")[0], response) == [], url
    assert sparse_client.get("/api/reports/nx").get_json()["year"] is None
