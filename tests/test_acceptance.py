"""Acceptance on the real sample reports in ../shared/corpus, through the JSON API."""

from __future__ import annotations

import html
import random
import re

import pytest

from search.analysis import find_all, fold
from web import create_app

pytestmark = pytest.mark.acceptance

EXPECTED = {  # ../shared/EXPECTED.md
    "000_02c746c2ec6526e7.txt": (("山西省", "长治市", None), 2024),
    "001_c8c184c9724ced57.txt": (("宁夏回族自治区", "银川市", "灵武市"), 2024),
    "002_09ab2a23c5e0d572.txt": (("湖南省", "长沙市", "岳麓区"), 2024),
    "003_e2e0df3e9e7d89cd.txt": (("山西省", "临汾市", "曲沃县"), 2024),
    "004_a086ccad46f82d58.txt": (("山西省", "忻州市", None), 2023),
}


@pytest.fixture(scope="module")
def client(corpus_index, corpus_engine):
    return create_app({"INDEX_DIR": str(corpus_index), "ENGINE": corpus_engine, "TESTING": True}).test_client()


@pytest.fixture(scope="module")
def passages(client) -> list[dict]:
    out = []
    for r in client.get("/api/reports").get_json()["reports"]:
        out.extend(client.get(f"/api/reports/{r['report_id']}").get_json()["passages"])
    return out


def all_hits(client, **params) -> tuple[dict, list[dict]]:
    """The first page's body and every hit over all pages."""
    first = client.get("/api/search", query_string={**params, "per_page": 100}).get_json()
    hits = list(first["hits"])
    page = 2
    while len(hits) < first["total"]:
        hits += client.get("/api/search", query_string={**params, "per_page": 100, "page": page}).get_json()["hits"]
        page += 1
    return first, hits


def unmark(snippet: str) -> str:
    return html.unescape(re.sub(r"</?mark>", "", snippet))


def test_every_report_has_the_expected_region_and_year(client):
    reports = client.get("/api/reports").get_json()["reports"]
    got = {
        r["source"]: ((r["region"]["province"], r["region"]["prefecture"], r["region"]["county"]), r["year"])
        for r in reports
    }
    assert got == EXPECTED


def test_report_002_publish_date_and_title(client):
    r = next(r for r in client.get("/api/reports").get_json()["reports"] if r["source"].startswith("002"))
    assert r["publish_date"] == "2025-02-28"
    assert r["title"] == "关于2024年岳麓区法治政府建设工作情况的报告"


def test_furniture_is_not_searchable(client):
    for q in ("扫一扫在手机打开", "bookmark", "_GoBack"):
        assert client.get("/api/search", query_string={"q": q}).get_json()["total"] == 0


def test_random_substrings_find_exactly_the_passages_that_hold_them(client, passages):
    """For random 2–6 character strings, hits are exactly the containing passages, every occurrence counted."""
    rng = random.Random(20261122)
    checked = 0
    while checked < 150:
        text = rng.choice(passages)["text"]
        n = rng.randint(2, 6)
        if len(text) <= n:
            continue
        start = rng.randrange(len(text) - n)
        s = text[start : start + n]
        if not fold(s) or '"' in s or s.startswith("-") or " " in s or "OR" in s.split():
            continue
        literal = fold(s)
        expected = {
            p["passage_id"]: len(find_all(fold(p["text"]), literal)) for p in passages if literal in fold(p["text"])
        }
        body, hits = all_hits(client, q=s)
        got = {h["passage_id"]: h["matches"] for h in hits}
        assert body["total"] == len(expected), s
        assert got == expected, s
        if re.fullmatch(r"[\u4e00-\u9fff]+", s):  # folding is the identity here: count in the raw text too
            assert sum(got.values()) == sum(p["text"].count(s) for p in passages), s
        checked += 1


def test_snippets_mark_every_occurrence_they_show_and_escape_the_rest(client):
    for q in ("法治", "枫桥经验", "行政复议", "2024", "（一）"):
        _, hits = all_hits(client, q=q)
        literal = fold(q)
        for h in hits:
            shown = unmark(h["snippet"]).strip("…")
            assert shown in h["text"]
            assert len(shown) >= min(120, len(h["text"]))
            marked = re.findall(r"<mark>(.*?)</mark>", h["snippet"])
            assert marked and all(fold(html.unescape(m)) == literal for m in marked), (q, h["snippet"])
            assert len(marked) == len(find_all(fold(shown), literal))
            assert "<" not in re.sub(r"</?mark>", "", h["snippet"])


@pytest.mark.parametrize("q", ["", "法治", "枫桥经验 OR 首违不罚", "行政 -复议"])
def test_facet_counts_equal_counts_over_all_hits(client, q):
    body, hits = all_hits(client, q=q)
    assert len(hits) == body["total"]
    years = {}
    sections = {}
    regions = {}
    for h in hits:
        years[h["year"]] = years.get(h["year"], 0) + 1
        sections[h["section"]] = sections.get(h["section"], 0) + 1
        for level in ("province", "prefecture", "county"):
            if h["region"][level]:
                key = (level, h["region"][level])
                regions[key] = regions.get(key, 0) + 1
    assert {f["value"]: f["count"] for f in body["facets"]["year"]} == years
    assert {f["value"]: f["count"] for f in body["facets"]["section"]} == sections
    assert {(f["level"], f["value"]): f["count"] for f in body["facets"]["region"]} == regions


@pytest.mark.parametrize(
    ("param", "value", "check"),
    [
        ("region", "山西省", lambda h: h["region"]["province"] == "山西省"),
        ("region", "长沙市", lambda h: h["region"]["prefecture"] == "长沙市"),
        ("region", "灵武市", lambda h: h["region"]["county"] == "灵武市"),
        ("year", "2023", lambda h: h["year"] == 2023),
        ("section", "问题不足", lambda h: h["section"] == "问题不足"),
    ],
)
def test_filters_narrow_correctly(client, param, value, check):
    _, everything = all_hits(client, q="法治")
    body, narrowed = all_hits(client, q="法治", **{param: value})
    assert narrowed and all(check(h) for h in narrowed)
    assert {h["passage_id"] for h in narrowed} == {h["passage_id"] for h in everything if check(h)}
    facet = {f["value"]: f["count"] for f in body["facets"][param] if param != "region" or True}
    assert facet.get(int(value) if param == "year" else value) >= body["total"]


def test_filters_on_two_facets_combine_with_and_and_values_with_or(client):
    _, both = all_hits(client, q="法治", region=["长治市", "忻州市"], section="工作计划")
    assert both and all(h["region"]["prefecture"] in {"长治市", "忻州市"} and h["section"] == "工作计划" for h in both)
    assert {h["region"]["prefecture"] for h in both} == {"长治市", "忻州市"}
