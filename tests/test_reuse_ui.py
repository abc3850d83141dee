"""Text reuse as users see it (issue 14), on both engines: each passage's "also in N reports; earliest: …"
on the API, the pages and the CLI; the reuse filter and facet with exact counts; originality; two reports
compared. A small collection with planted copies (a whole passage copied with the place name and 我市/我区
swapped, a long span inside a new passage, a tie), written by the engines' writers, which find reuse."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from fazhi.cli import main
from search import SearchRequest, compare, index_writer, report_reuse, search
from search.models import Region
from tests.conftest import make_report, open_as_served

# The copied passage, with the placeholder for the place and its self-reference.
COPIED = (
    "{place}坚持把矛盾纠纷多元化解作为基层治理的基础工程，{self}整合人民调解、行政调解和司法调解力量，"
    "建成覆盖乡镇街道的一站式矛盾纠纷调处中心，全年受理各类纠纷一千余件，调解成功率保持在较高水平。"
)
# A long span (over 50 characters) that a later report puts inside a passage of its own.
SPAN = (
    "推行行政执法公示制度、执法全过程记录制度和重大执法决定法制审核制度，"
    "行政执法案卷评查实现全覆盖，执法人员持证上岗率达到百分之百"
)
TIED = "两地同年同日发布的报告都写了这一段相同的文字：建立健全政府法律顾问制度，法律顾问参与重大行政决策论证。"


def reuse_reports():
    return [
        make_report(
            "lw21",
            "lw21.txt",
            Region("宁夏回族自治区", "银川市", "灵武市"),
            2021,
            [
                ("灵武市2021年法治政府建设年度报告", "概述", ""),
                (COPIED.format(place="灵武市", self="我市"), "举措成效", ""),
                (f"全面落实三项制度，{SPAN}。", "举措成效", ""),
                ("灵武市的黄河滩区湿地保护执法检查由市林草局牵头完成，未发现问题。", "问题不足", ""),
            ],
        ),
        make_report(
            "qtx22",
            "qtx22.txt",
            Region("宁夏回族自治区", "吴忠市", "青铜峡市"),
            2022,
            [
                ("青铜峡市2022年法治政府建设年度报告", "概述", ""),
                (COPIED.format(place="青铜峡市", self="我市"), "举措成效", ""),
                (f"本年度市司法局组织专项培训六场次，并且{SPAN}，群众满意度明显提升。", "举措成效", ""),
                ("青铜峡市将在下一年度开展库区移民安置点的法律服务巡回活动。", "工作计划", ""),
            ],
        ),
        make_report(
            "jh22",
            "jh22.txt",
            Region("天津市", None, "静海区"),
            2022,
            [
                ("静海区2022年法治政府建设年度报告", "概述", ""),
                (COPIED.format(place="静海区", self="我区"), "举措成效", ""),
                ("静海区团泊新城的征地拆迁行政争议全部通过复议程序化解，没有进入诉讼。", "问题不足", ""),
            ],
        ),
        make_report(
            "ta20",
            "ta20.txt",
            Region("山西省", "长治市", "襄垣县"),
            2020,
            [("襄垣县2020年法治政府建设年度报告", "概述", ""), (TIED, "举措成效", "")],
        ),
        make_report(
            "tb20",
            "tb20.txt",
            Region("山西省", "长治市", "黎城县"),
            2020,
            [("黎城县2020年法治政府建设年度报告", "概述", ""), (TIED, "举措成效", "")],
        ),
    ]


@pytest.fixture
def reuse_index(tmp_path: Path, engine_name: str) -> Path:
    index_dir = tmp_path / "reuse-index"
    index_writer(engine_name)(index_dir, reuse_reports())
    return index_dir


@pytest.fixture
def rsnap(reuse_index: Path, engine_name: str):
    return open_as_served(reuse_index, engine_name)


@pytest.fixture
def rclient(reuse_index: Path, engine_name: str):
    from web import create_app

    return create_app({"INDEX_DIR": str(reuse_index), "ENGINE": engine_name, "TESTING": True}).test_client()


def passage_of(body: dict, number: int) -> dict:
    return next(p for p in body["passages"] if p["number"] == number)


# Each passage's reuse


def test_a_copied_passage_is_also_in_the_other_reports_and_the_earliest_is_named(rclient):
    body = rclient.get("/api/reports/qtx22").get_json()
    copied = passage_of(body, 2)["reuse"]
    assert copied["reports"] == 2 and copied["passages"] == 2  # 灵武市 2021 and 静海区 2022
    assert copied["earliest"]["report_id"] == "lw21" and copied["earliest"]["passage_id"] == "lw21-p2"
    assert copied["earliest"]["year"] == 2021 and copied["earliest"]["place"] == "灵武市"
    assert copied["earliest"]["region"]["county"] == "灵武市"
    assert not copied["tie"] and not copied["earliest_is_self"]
    assert {link["report_id"] for link in copied["links"]} == {"lw21", "jh22"}
    assert passage_of(body, 4)["reuse"]["passages"] == 0  # its own text
    assert passage_of(body, 4)["reuse"]["earliest"] is None


def test_the_first_holder_is_its_own_earliest(rclient):
    first = passage_of(rclient.get("/api/reports/lw21").get_json(), 2)["reuse"]
    assert first["reports"] == 2 and first["earliest_is_self"]


def test_a_tie_is_said_to_be_a_tie(rclient):
    tied = passage_of(rclient.get("/api/reports/ta20").get_json(), 2)["reuse"]
    assert tied["reports"] == 1 and tied["tie"]
    holders = {tied["earliest"]["report_id"], *(t["report_id"] for t in tied["tied"])}
    assert holders == {"ta20", "tb20"}
    page = rclient.get("/reports/ta20").get_data(as_text=True)
    assert "并列" in page
    # A page of hits carries the summary without the holders: the tie is said, no empty list after it.
    text = passage_of(rclient.get("/api/reports/ta20").get_json(), 2)["text"]
    hits = rclient.get("/search", query_string={"q": text[:8]}).get_data(as_text=True)
    assert "（并列）" in hits and "并列：）" not in hits


def test_a_tie_with_many_holders_names_ten_and_says_how_many(rclient):
    holder = {"url": "/reports/x#p", "title": "t", "place": "灵武市", "year": 2021}
    reuse = {"reports": 15, "passages": 15, "earliest": holder, "earliest_is_self": False, "tie": True}
    macros = rclient.application.jinja_env.get_template("_macros.html").module
    many = str(macros.reuse_line({**reuse, "tied": [holder] * 14}))
    assert many.count("灵武市 2021") == 1 + 10 and "等 15 段）" in many
    few = str(macros.reuse_line({**reuse, "tied": [holder] * 2}))
    assert few.count("灵武市 2021") == 3 and "等" not in few


def test_every_hit_carries_its_reuse(rclient):
    body = rclient.get("/api/search", query_string={"q": "一站式矛盾纠纷调处中心"}).get_json()
    assert body["total"] == 3
    for hit in body["hits"]:
        assert hit["reuse"]["reports"] == 2
        assert hit["reuse"]["earliest"]["report_id"] == "lw21"


def test_the_report_page_shows_the_also_in_line_with_links(rclient):
    page = rclient.get("/reports/qtx22").get_data(as_text=True)
    line = re.search(r'<p class="reuse-line">(.*?)</p>', page, re.S).group(1)
    assert "另见于 <strong>2</strong> 份报告" in line and "灵武市 2021" in line
    assert 'href="/reports/lw21#lw21-p2"' in line
    assert "/compare?a=qtx22&amp;b=lw21" in page  # the related reports, to read side by side
    assert "原创度" in page


def test_the_results_page_shows_the_also_in_line(rclient):
    page = rclient.get("/search", query_string={"q": "一站式矛盾纠纷调处中心"}).get_data(as_text=True)
    assert page.count('class="reuse-line"') == 3
    assert "最早：" in page


# The filter and its facet: exact counts, on both engines, in every view


def brute_force(rsnap, query: str, status: str, section: str | None = None) -> tuple[int, int]:
    """Passages and reports matching ``query`` with this reuse status, counted passage by passage."""
    shared = np.asarray(rsnap.reuse.shared_rows(), dtype=bool)
    rows = [
        r
        for r, p in enumerate(rsnap.passages)
        if query in p.text and shared[r] == (status == "shared") and (section is None or p.section == section)
    ]
    return len(rows), len({rsnap.passages[r].report_id for r in rows})


@pytest.fixture(params=["keys", "mask"])
def tantivy_reuse_path(request, monkeypatch):
    """Tantivy ranks the kept matches as a set of keys when they are few, else checks the passages best scored
    by their words against the kept rows' mask: both paths, whatever the size of this small collection."""
    from search import tantivy_engine

    if request.param == "mask":
        monkeypatch.setattr(tantivy_engine, "KEYS_LIMIT", 0)
    return request.param


@pytest.mark.parametrize("status", ["original", "shared"])
@pytest.mark.parametrize("query", ["", "法治", "矛盾纠纷"])
def test_the_reuse_filter_counts_exactly(rsnap, status, query, tantivy_reuse_path):
    response = search(rsnap, SearchRequest(query=query, reuse=(status,), per_page=50), use_cache=False)
    passages, reports = brute_force(rsnap, query, status)
    assert (response.total, response.reports_total) == (passages, reports)
    assert len(response.hits) == passages
    assert all(bool(h.reuse["passages"]) == (status == "shared") for h in response.hits)
    facet = {v.value: v.count for v in response.facets["reuse"]}
    assert facet.get(status, 0) == passages
    other = "shared" if status == "original" else "original"
    assert facet.get(other, 0) == brute_force(rsnap, query, other)[0]  # a facet ignores its own filter
    years = {v.value: v.count for v in response.facets["year"]}
    assert sum(years.values()) == passages  # the other facets count within the filter
    # Paged and grouped, the rows are the filtered rows, in the engine's order.
    paged = [
        h.passage_id
        for page in (1, 2, 3)
        for h in search(rsnap, SearchRequest(query=query, reuse=(status,), per_page=2, page=page), use_cache=False).hits
    ]
    assert paged == [h.passage_id for h in response.hits][:6]
    grouped = search(rsnap, SearchRequest(query=query, reuse=(status,), group=True, per_page=50), use_cache=False)
    assert len(grouped.hits) == reports
    assert all(h.report_matches == sum(1 for g in response.hits if g.report_id == h.report_id) for h in grouped.hits)


def test_the_reuse_facet_narrows_the_other_facets_and_counts_reports(rsnap):
    response = search(rsnap, SearchRequest(query="", reuse=("shared",), sections=("举措成效",)))
    assert response.total == brute_force(rsnap, "", "shared", "举措成效")[0]
    sections = {v.value: v.count for v in response.facets["section"]}
    assert sections["举措成效"] == brute_force(rsnap, "", "shared", "举措成效")[0]
    assert sections.get("概述", 0) == brute_force(rsnap, "", "shared", "概述")[0]
    by_reports = search(rsnap, SearchRequest(query="", facet_count="reports"))
    facet = {v.value: v.count for v in by_reports.facets["reuse"]}
    shared = np.asarray(rsnap.reuse.shared_rows(), dtype=bool)
    assert facet["shared"] == len({p.report_id for r, p in enumerate(rsnap.passages) if shared[r]})
    assert facet["original"] == 5  # every report has a passage of its own (its title at least)


def test_the_report_table_concordance_and_trends_honour_the_filter(rclient, rsnap):
    shared_reports = rclient.get("/api/search", query_string={"q": "法治", "view": "reports", "reuse": "shared"})
    assert shared_reports.get_json()["reports_total"] == brute_force(rsnap, "法治", "shared")[1]
    kwic = rclient.get("/api/kwic", query_string={"q": "执法", "reuse": "original"}).get_json()
    assert kwic["passages_total"] == brute_force(rsnap, "执法", "original")[0]
    trends = rclient.get("/api/trends", query_string={"q": "调解", "reuse": "original"}).get_json()
    assert sum(p["occurrences"] for p in trends["series"][0]["points"]) == 0  # 调解 is only in the copies
    csv = rclient.get("/api/search", query_string={"q": "调解", "reuse": "shared", "format": "csv"})
    assert csv.headers["X-Row-Count"] == "3"


def test_a_bad_reuse_value_is_a_400_naming_it(rclient):
    response = rclient.get("/api/search", query_string={"reuse": "copied"})
    assert response.status_code == 400 and response.get_json()["param"] == "reuse"


def test_the_search_page_offers_the_reuse_facet(rclient):
    page = rclient.get("/search", query_string={"q": "执法"}).get_data(as_text=True)
    assert "文字来源" in page and "与其他报告共有" in page and "未见于其他报告" in page
    assert "reuse=shared" in page


# Originality


def test_originality_in_the_report_list_sortable(rclient):
    body = rclient.get("/api/reports", query_string={"sort": "originality"}).get_json()
    values = [r["originality"] for r in body["reports"]]
    assert values == sorted(values) and all(0 <= v <= 1 for v in values)
    by_id = {r["report_id"]: r["originality"] for r in body["reports"]}
    assert by_id["lw21"] == 1.0  # the first to write its text
    assert by_id["qtx22"] < 1.0 and by_id["jh22"] < 1.0
    desc = rclient.get("/api/reports", query_string={"sort": "originality", "order": "desc"}).get_json()
    assert [r["originality"] for r in desc["reports"]] == sorted(values, reverse=True)
    assert rclient.get("/api/reports", query_string={"sort": "size"}).get_json()["param"] == "sort"
    table = rclient.get("/api/search", query_string={"view": "reports", "sort": "originality"}).get_json()
    assert [r["originality"] for r in table["reports"]] == sorted(values)


# Two reports side by side


def test_compare_aligns_sections_and_marks_the_shared_text_in_both(rclient):
    body = rclient.get("/api/compare", query_string={"a": "lw21", "b": "qtx22"}).get_json()
    assert [s["section"] for s in body["sections"]] == ["概述", "举措成效", "问题不足", "工作计划"]
    marked_a = [g for s in body["sections"] for p in s["a"] for g in p["segments"] if g["other"]]
    marked_b = [g for s in body["sections"] for p in s["b"] for g in p["segments"] if g["other"]]
    assert any(SPAN in g["text"] for g in marked_a) and any(SPAN in g["text"] for g in marked_b)
    assert any("一站式矛盾纠纷调处中心" in g["text"] for g in marked_b)
    assert all(g["other_url"].startswith("/reports/qtx22#qtx22-p") for g in marked_a)
    assert all(g["other_url"].startswith("/reports/lw21#lw21-p") for g in marked_b)
    a, b = body["a"], body["b"]
    assert a["shared_chars"] == sum(len(g["text"]) for g in marked_a)
    assert a["share"] == round(a["shared_chars"] / a["chars"], 4) and 0 < b["share"] < 1
    assert f"甲 {a['shared_chars']} 字" in body["summary"]
    # Every passage of both reports is there, in its section, text unchanged.
    texts = {p["passage_id"]: "".join(g["text"] for g in p["segments"]) for s in body["sections"] for p in s["a"]}
    assert texts["lw21-p2"] == COPIED.format(place="灵武市", self="我市")


def test_the_compare_page_renders_the_same_object(rclient):
    page = rclient.get("/compare", query_string={"a": "lw21", "b": "qtx22"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    body = rclient.get("/api/compare", query_string={"a": "lw21", "b": "qtx22"}).get_json()
    marks = re.findall(r'<mark class="shared"><a href="([^"]+)"', html)
    expected = [g["other_url"] for s in body["sections"] for side in ("a", "b") for p in s[side] for g in p["segments"]
                if g["other"]]  # fmt: skip
    assert sorted(marks) == sorted(expected) and marks
    assert body["summary"] in html
    assert page.headers["Link"].startswith("</api/compare?")


@pytest.mark.parametrize(
    ("args", "status", "param"),
    [
        ({"b": "qtx22"}, 400, "a"),
        ({"a": "lw21"}, 400, "b"),
        ({"a": "lw21", "b": "lw21"}, 400, "b"),
        ({"a": "nope", "b": "qtx22"}, 404, "a"),
        ({"a": "lw21", "b": "nope"}, 404, "b"),
    ],
)
def test_compare_errors_name_the_parameter(rclient, args, status, param):
    response = rclient.get("/api/compare", query_string=args)
    assert response.status_code == status and response.get_json()["param"] == param
    page = rclient.get("/compare", query_string=args)
    assert page.status_code == status and page.mimetype == "text/html"


def test_compare_of_reports_sharing_nothing_says_so(rsnap):
    comparison = compare(rsnap, "ta20", "jh22")
    assert comparison.pairs == 0 and comparison.a.shared_chars == 0
    assert comparison.summary() == "两份报告没有共同的文字。"


# The command line


def test_fazhi_reuse_prints_each_shared_passage_and_the_related_reports(runner, reuse_index, engine_name, rsnap):
    args = ["--index-dir", str(reuse_index), "--engine", engine_name]
    result = runner.invoke(main, ["reuse", "qtx22", *args, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == json.loads(json.dumps(report_reuse(rsnap, "qtx22")))
    text = runner.invoke(main, ["reuse", "qtx22", *args])
    assert text.exit_code == 0
    assert "另见于 2 份报告（2 段）；最早：灵武市 2021" in text.output
    assert "/compare?a=qtx22&b=lw21" in text.output
    unknown = runner.invoke(main, ["reuse", "nope", *args])
    assert unknown.exit_code == 2 and "nope" in unknown.output


def test_fazhi_search_reuse_option(runner, reuse_index, engine_name, rsnap):
    args = ["--index-dir", str(reuse_index), "--engine", engine_name, "--json"]
    result = runner.invoke(main, ["search", "法治", "--reuse", "original", *args])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["total"] == brute_force(rsnap, "法治", "original")[0]
    assert all(h["reuse"]["passages"] == 0 for h in body["hits"])
    assert body["filters"]["reuse"] == ["original"]


# Exports: the reuse summary of each hit, the originality of each report, as new columns at the end.

HIT_COLUMNS_BEFORE_REUSE = [
    "report_id", "passage_id", "title", "province", "prefecture", "county", "year", "doc_type", "section",
    "heading", "number", "matches", "text", "permalink", "citation", "citation_gb7714_2015", "citation_fxyz",
]  # fmt: skip
REUSE_EXPORT_COLUMNS = [
    "reuse_reports", "reuse_passages", "reuse_earliest_report_id", "reuse_earliest_passage_id",
    "reuse_earliest_province", "reuse_earliest_prefecture", "reuse_earliest_county", "reuse_earliest_year",
    "reuse_earliest_tie", "reuse_earliest_permalink",
]  # fmt: skip


def _csv(data: bytes) -> tuple[list[str], list[dict]]:
    import csv
    import io

    text = data.decode("utf-8").removeprefix("\ufeff")
    header = next(csv.reader(io.StringIO(text)))
    return header, list(csv.DictReader(io.StringIO(text)))


def test_the_hits_export_ends_with_each_passages_reuse(rclient):
    resp = rclient.get("/api/search", query_string={"q": "矛盾纠纷 OR 团泊新城 OR 相同的文字", "format": "csv"})
    assert resp.status_code == 200
    header, rows = _csv(resp.data)
    assert header == HIT_COLUMNS_BEFORE_REUSE + REUSE_EXPORT_COLUMNS  # old columns untouched, in their order
    by_id = {r["passage_id"]: r for r in rows}
    copy = by_id["qtx22-p2"]  # 青铜峡市 2022 copied 灵武市 2021's passage; 静海区 2022 too
    assert (copy["reuse_reports"], copy["reuse_passages"]) == ("2", "2")
    assert (copy["reuse_earliest_report_id"], copy["reuse_earliest_passage_id"]) == ("lw21", "lw21-p2")
    assert [copy[f"reuse_earliest_{f}"] for f in ("province", "prefecture", "county", "year")] == [
        "宁夏回族自治区",
        "银川市",
        "灵武市",
        "2021",
    ]
    assert copy["reuse_earliest_tie"] == "False"
    assert copy["reuse_earliest_permalink"] == "http://localhost/reports/lw21#lw21-p2"
    assert by_id["lw21-p2"]["reuse_earliest_passage_id"] == "lw21-p2"  # the first holder is its own earliest
    tied = by_id["ta20-p2"]
    assert tied["reuse_reports"] == "1" and tied["reuse_earliest_tie"] == "True"
    own = by_id["jh22-p3"]  # 团泊新城: its own text
    assert own["reuse_reports"] == own["reuse_passages"] == "0"
    assert all(own[c] == "" for c in REUSE_EXPORT_COLUMNS[2:])
    # The same summary as the hits of the JSON API.
    hits = rclient.get("/api/search", query_string={"q": "矛盾纠纷", "per_page": 50}).get_json()["hits"]
    for hit in hits:
        row = by_id[hit["passage_id"]]
        assert int(row["reuse_reports"]) == hit["reuse"]["reports"]
        assert row["reuse_earliest_report_id"] == hit["reuse"]["earliest"]["report_id"]


def test_the_hits_export_in_json_lines_carries_typed_reuse(rclient):
    resp = rclient.get("/api/search", query_string={"q": "团泊新城 OR 一站式", "format": "jsonl"})
    *rows, _ = [json.loads(line) for line in resp.get_data(as_text=True).splitlines()]
    by_id = {r["passage_id"]: r for r in rows}
    assert by_id["jh22-p2"]["reuse_reports"] == 2 and by_id["jh22-p2"]["reuse_earliest_year"] == 2021
    assert by_id["jh22-p2"]["reuse_earliest_tie"] is False
    assert by_id["jh22-p3"]["reuse_reports"] == 0 and by_id["jh22-p3"]["reuse_earliest_report_id"] is None


def test_report_exports_end_with_originality(rclient, rsnap):
    header, rows = _csv(rclient.get("/api/search", query_string={"q": "法治", "view": "reports", "format": "csv"}).data)
    assert header[-1] == "originality" and header[-2] == "citation_fxyz"
    table = rclient.get("/api/search", query_string={"q": "法治", "view": "reports", "per_page": 50}).get_json()
    assert {r["report_id"]: float(r["originality"]) for r in rows} == {
        r["report_id"]: r["originality"] for r in table["reports"]
    }
    header, rows = _csv(rclient.get("/api/reports", query_string={"format": "csv"}).data)
    assert header[-1] == "originality" and header[-2] == "citation_fxyz"
    listed = {r["report_id"]: r["originality"] for r in rclient.get("/api/reports").get_json()["reports"]}
    assert {r["report_id"]: float(r["originality"]) for r in rows} == listed
    assert listed["lw21"] == 1.0 and listed["qtx22"] < 1.0  # the copy is not original


def test_fazhi_search_export_carries_the_reuse_columns(runner, reuse_index, engine_name, tmp_path):
    out = tmp_path / "hits.csv"
    args = ["search", "一站式", "--format", "csv", "--output", str(out)]
    result = runner.invoke(main, [*args, "--index-dir", str(reuse_index), "--engine", engine_name])
    assert result.exit_code == 0, result.output
    header, rows = _csv(out.read_bytes())
    assert header[-len(REUSE_EXPORT_COLUMNS) :] == REUSE_EXPORT_COLUMNS
    assert {r["reuse_earliest_report_id"] for r in rows} == {"lw21"}
