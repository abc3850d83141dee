"""The HTML pages through Flask's test client: search, facets, paging, the report reader, errors, headers."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from search import ConcordanceRequest, FacetValue, Passage, SearchRequest, concordance, search
from web.links import SearchLinks
from web.report_page import table_of_contents
from web.search_page import with_query

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


class Page(HTMLParser):
    """What the tests read off a page: facet rows with their toggle links, hits, element ids, links, scripts."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.facets: dict[str, dict[str, tuple[int, str, bool]]] = {}  # facet -> value -> (count, toggle_url, selected)
        self.hits: list[str] = []
        self.ids: list[str] = []
        self.links: list[tuple[str, str]] = []  # (href, text)
        self.scripts: list[dict] = []
        self.inline_styles = 0
        self._row: tuple[str, str, int, bool] | None = None
        self._link: str | None = None
        self._text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if "style" in a:
            self.inline_styles += 1
        if tag == "script":
            self.scripts.append(a)
        if tag == "li" and "data-facet" in a:
            selected = "selected" in a.get("class", "").split()
            self._row = (a["data-facet"], a["data-value"], int(a["data-count"]), selected)
        if tag == "li" and "data-passage-id" in a:
            self.hits.append(a["data-passage-id"])
        if tag == "a" and "href" in a:
            if self._row:
                facet, value, count, selected = self._row
                self.facets.setdefault(facet, {})[value] = (count, a["href"], selected)
                self._row = None
            self._link, self._text = a["href"], []

    def handle_data(self, data):
        if self._link is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            self.links.append((self._link, " ".join("".join(self._text).split())))
            self._link = None

    def link(self, text: str) -> str:
        """The first link whose text contains ``text``."""
        return next(href for href, t in self.links if text in t)

    def counts(self) -> dict[str, dict[str, int]]:
        return {f: {v: c for v, (c, _, _) in rows.items()} for f, rows in self.facets.items()}


def get_page(client, url: str, status: int = 200) -> tuple[Page, str]:
    resp = client.get(url)
    assert resp.status_code == status, resp.data[:500]
    html = resp.get_data(as_text=True)
    return Page(html), html


# The home page


def test_counts_are_grouped_by_thousands_on_the_pages(client):
    from web import thousands

    assert [thousands(n) for n in (0, 999, 1000, 4080630)] == ["0", "999", "1,000", "4,080,630"]
    assert thousands(True) == "True" and thousands("—") == "—" and thousands(0.5) == "0.5"
    render = client.application.jinja_env.from_string
    assert render("{{ n|thousands }} 处").render(n=1362589) == "1,362,589 处"


def test_home_has_search_box_syntax_and_overview(client):
    page, html = get_page(client, "/")
    assert 'name="q"' in html and "A OR B" in html and "-词" in html
    assert "已收录 3 份报告，12 个段落" in html
    assert "/search?year=2024" in dict(page.links) and "/search?year=2023" in dict(page.links)
    assert page.link("山西省") == "/search?region=%E5%B1%B1%E8%A5%BF%E7%9C%81"
    assert page.link("灵武市2023年") == "/reports/rb"


def test_home_year_link_starts_a_filtered_browse(client):
    page, _ = get_page(client, "/")
    filtered, html = get_page(client, page.link("2023年"))
    assert len(filtered.hits) == 4 and "<strong>4</strong> 段" in html
    assert filtered.facets["year"]["2023"][2] is True


# Search: facets


def test_facet_toggle_adds_then_removes_the_value(client):
    page, _ = get_page(client, "/search?q=法治")
    count, toggle, selected = page.facets["region"]["山西省"]
    assert not selected
    narrowed, html = get_page(client, toggle)
    assert parse_qs(urlsplit(toggle).query) == {"q": ["法治"], "region": ["山西省"]}
    assert len(narrowed.hits) == count and narrowed.facets["region"]["山西省"][2] is True
    assert "清除全部" in html
    back, _ = get_page(client, narrowed.facets["region"]["山西省"][1])
    assert back.hits == page.hits and not back.facets["region"]["山西省"][2]


def test_region_facet_is_a_tree_opened_along_the_choice(client):
    top, _ = get_page(client, "/search")
    assert set(top.facets["region"]) == {"山西省", "宁夏回族自治区", "天津市"}  # provinces only, until one is chosen
    page, html = get_page(client, top.facets["region"]["山西省"][1])
    # the site counts reports in report-level facets; facet_count=passages counts passages as the API does
    assert page.facets["region"]["长治市"][0] == 1 and "静海区" not in page.facets["region"]
    assert html.index('data-value="山西省"') < html.index('data-value="长治市"')  # nested under it
    by_passage, html = get_page(client, top.facets["region"]["山西省"][1] + "&facet_count=passages")
    assert by_passage.facets["region"]["长治市"][0] == 6
    assert (
        html.index('data-value="山西省"')
        < html.index('data-value="长治市"')
        < html.index('data-value="宁夏回族自治区"')
    )
    # choosing a child replaces its ancestor (OR-ing them would only blur it), and its ancestors stay open
    child, _ = get_page(client, page.facets["region"]["长治市"][1])
    assert child.facets["region"]["长治市"][2] and not child.facets["region"]["山西省"][2]
    assert parse_qs(urlsplit(child.facets["region"]["山西省"][1]).query)["region"] == ["山西省"]
    # a municipality's district nests under the city
    tianjin, _ = get_page(client, "/search?region=天津市")
    assert tianjin.facets["region"]["静海区"][0] == 1
    assert get_page(client, "/search?region=天津市&facet_count=passages")[0].facets["region"]["静海区"][0] == 2


def test_facets_combine_and_clear_all(client):
    page, _ = get_page(client, "/search?q=法治&year=2024")
    toggle = page.facets["section"]["举措成效"][1]
    both, html = get_page(client, toggle)
    assert parse_qs(urlsplit(toggle).query) == {"q": ["法治"], "year": ["2024"], "section": ["举措成效"]}
    cleared, _ = get_page(client, both.link("清除全部"))
    assert cleared.hits == get_page(client, "/search?q=法治")[0].hits


def test_a_chosen_value_matching_nothing_can_still_be_unticked(client):
    page, html = get_page(client, "/search?q=枫桥经验&region=天津市")
    count, toggle, selected = page.facets["region"]["天津市"]
    assert count == 0 and selected and parse_qs(urlsplit(toggle).query) == {"q": ["枫桥经验"]}


def test_a_facet_added_later_appears_without_template_changes(client, monkeypatch):
    def with_new_facet(snap, req):
        resp = search(snap, req)
        resp.facets["source_kind"] = [FacetValue("网页", resp.total)]
        return resp

    monkeypatch.setattr("web.pages.search", with_new_facet)
    page, html = get_page(client, "/search?q=法治")
    count, toggle, _ = page.facets["source_kind"]["网页"]
    assert count == client.get("/api/search?q=法治").get_json()["total"] and "source_kind=" in toggle
    assert "<h2>source_kind" in html  # a facet without a Chinese label shows its key
    assert get_page(client, "/search?q=法治&source_kind=网页")[0].facets["source_kind"]["网页"][2] is True


def test_facet_labels_are_chinese(client):
    _, html = get_page(client, "/search")
    assert "<h2>地区" in html and "<h2>年度" in html and "<h2>章节" in html and ">2024年<" in html


# Search: results, paging, order, grouping


def test_hit_links_to_the_passage_with_the_query(client):
    page, html = get_page(client, "/search?q=枫桥经验")
    assert sorted(page.hits) == ["ra-p3", "rb-p2"]  # nearly tied: the engines' BM25 may order them either way
    assert "/reports/ra?q=%E6%9E%AB%E6%A1%A5%E7%BB%8F%E9%AA%8C#ra-p3" in dict(page.links)
    assert "<mark>枫桥经验</mark>" in html and "<mark>楓橋經驗</mark>" in html
    assert "山西省 / 长治市" in html and "一、主要举措和成效" in html


def test_pagination(client):
    page, html = get_page(client, "/search?per_page=5")
    assert len(page.hits) == 5 and 'aria-current="page">1<' in html
    second, _ = get_page(client, page.link("下一页"))
    third, html3 = get_page(client, second.link("下一页"))
    assert len(third.hits) == 2 and "下一页" not in html3
    assert set(page.hits).isdisjoint(second.hits) and set(second.hits).isdisjoint(third.hits)


def test_page_past_the_end_says_so(client):
    page, html = get_page(client, "/search?q=法治&page=99")
    assert page.hits == [] and "这一页没有结果" in html
    assert "结果只有 1 页" in html and page.link("回到第 1 页") == "/search?q=%E6%B3%95%E6%B2%BB"


def test_page_zero_is_a_400_page(client):
    resp = client.get("/search?page=0")
    assert resp.status_code == 400 and resp.mimetype == "text/html"
    assert "page" in resp.get_data(as_text=True) and "页码" in resp.get_data(as_text=True)


@pytest.mark.parametrize("sort", ["relevance", "year", "region"])
def test_sort_orders(client, sort):
    page, html = get_page(client, f"/search?q=法治&sort={sort}")
    api = client.get(f"/api/search?q=法治&sort={sort}").get_json()
    assert page.hits == [h["passage_id"] for h in api["hits"]]
    assert f'aria-current="true">{ {"relevance": "相关度", "year": "年度（新→旧）", "region": "地区"}[sort] }' in html
    if sort == "year":
        years = [h["year"] for h in api["hits"]]
        assert years == sorted(years, reverse=True)


def test_group_by_report_shows_other_matches(client):
    page, html = get_page(client, "/search?q=法治&group=1")
    api = client.get("/api/search?q=法治&group=1").get_json()
    assert len(page.hits) == len({h["report_id"] for h in api["hits"]}) == len(api["hits"])
    for hit in api["hits"]:
        if hit["report_matches"] > 1:
            # report_matches counts passages: 段, not 处 (occurrences, which the report page counts)
            assert f"该报告另有 {hit['report_matches'] - 1} 段" in html
    assert "该报告另有" in html and "处</a>" not in html
    assert page.link("该报告另有").startswith("/reports/")


@pytest.mark.parametrize(
    "params",
    [
        "",
        "q=法治",
        "q=枫桥经验",
        "q=法治&region=山西省&region=灵武市",
        "q=法治&year=2024&section=举措成效",
        "q=法治&sort=year&per_page=2&page=2",
        "q=法治&sort=region",
        "q=法治&group=1",
        "q=经验 -枫桥",
        'q="法治政府" OR 复议',
        "q=不存在",
    ],
)
def test_html_and_json_are_in_parity(client, params):
    resp = client.get("/search?" + params)
    page = Page(resp.get_data(as_text=True))
    api_url = resp.headers["Link"].split(">")[0].lstrip("<")
    assert resp.headers["Link"].endswith('; rel="alternate"; type="application/json"')
    assert api_url.startswith("/api/search") and "facet_count=reports" in api_url  # the page's facets count reports
    body = client.get(api_url).get_json()
    direct = client.get("/api/search?" + params).get_json()
    assert body["total"] == direct["total"] and body["hits"] == direct["hits"]
    assert f"<strong>{body['total']}</strong> 段" in resp.get_data(as_text=True)
    assert page.hits == [h["passage_id"] for h in body["hits"]]
    api_counts = {name: {str(r["value"]): r["count"] for r in rows} for name, rows in body["facets"].items() if rows}
    shown = page.counts()
    assert shown.keys() == api_counts.keys()
    for name, counts in shown.items():
        # every value shown has the API's count; every top-level value is shown (a tree opens along a choice)
        assert all(counts[v] == api_counts[name][v] for v in counts)
        assert {str(r["value"]) for r in body["facets"][name] if not r.get("parent")} <= counts.keys()


# Empty states


def test_no_query_browses_everything(client):
    page, html = get_page(client, "/search")
    assert "全部段落" in html and "<strong>12</strong> 段" in html and len(page.hits) == 12


def test_no_results_offers_to_drop_each_filter(client):
    page, html = get_page(client, "/search?q=枫桥经验&region=天津市&year=2024")
    assert "没有找到包含“枫桥经验”的段落" in html
    drop_region = page.link("去掉“地区：天津市”")
    assert parse_qs(urlsplit(drop_region).query) == {"q": ["枫桥经验"], "year": ["2024"]}
    # Without the region: ra's passage (2024); without the year: nothing in 天津, so that is not offered.
    assert "去掉“地区：天津市”</a>（1 段 · 1 份报告）" in html
    assert "去掉“年度：2024年”" not in html


def test_no_results_offers_a_shorter_query(client):
    page, html = get_page(client, "/search?q=枫桥经验 不存在")
    assert "所有词都须出现在同一段中" in html
    assert parse_qs(urlsplit(page.link("去掉“不存在”")).query) == {"q": ["枫桥经验"]}


def test_no_results_for_one_long_term_offers_its_words(client):
    page, _ = get_page(client, "/search?q=行政复议衔接")
    href = page.link("拆成词分别查找")
    assert get_page(client, href)[0].hits == ["ra-p6"]


# Escaping and limits


@pytest.mark.parametrize(
    "q",
    ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "'; alert(1); '", "</title><script>x</script>"],
)
def test_hostile_queries_are_escaped(client, q):
    resp = client.get("/search", query_string={"q": q})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "<script>alert" not in html and "<img" not in html and "</title><script>" not in html
    page = Page(html)
    assert [s.get("src") for s in page.scripts] == ["/static/site.js"] and page.inline_styles == 0


def test_report_text_is_escaped(client):
    html = get_page(client, "/reports/ra?q=首违不罚")[1]
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("url", ["/search?q=" + "法" * 5000, "/search?q=%01", "/reports/ra?q=" + "法" * 501])
def test_long_or_control_character_queries_get_a_400_page(client, url):
    resp = client.get(url)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and resp.mimetype == "text/html"
    assert "参数 q（查询词）" in html and "法" * 600 not in html


def test_bad_section_names_the_parameter(client):
    resp = client.get("/search?section=无此章节")
    assert resp.status_code == 400 and "section（章节）" in resp.get_data(as_text=True)


# Errors and headers


def test_unknown_report_is_a_404_page(client):
    resp = client.get("/reports/nope")
    assert resp.status_code == 404 and resp.mimetype == "text/html" and "找不到报告" in resp.get_data(as_text=True)


def test_unknown_page_is_a_404_page_but_api_errors_stay_json(client):
    assert client.get("/nope").status_code == 404 and client.get("/nope").mimetype == "text/html"
    resp = client.get("/api/nope")
    assert resp.status_code == 404 and resp.get_json()["ok"] is False
    assert client.get("/api/search?page=0").get_json()["param"] == "page"
    assert client.get("/api/reports/nope").get_json()["param"] == "report_id"


def test_report_paths_never_read_files(client):
    for path in ["/reports/..%2F..%2Fetc%2Fpasswd", "/reports/../pyproject.toml", "/reports/a.txt"]:
        assert client.get(path).status_code == 404


@pytest.mark.parametrize("url", ["/", "/search", "/search?page=0"])
def test_missing_index_is_a_503_page(tmp_path, url):
    from web import create_app

    client = create_app({"INDEX_DIR": str(tmp_path / "none"), "TESTING": True}).test_client()
    resp = client.get(url)
    assert resp.status_code in (503, 400) and resp.mimetype == "text/html"
    if url != "/search?page=0":
        assert resp.status_code == 503 and "fazhi index" in resp.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/", "/search?q=法治", "/reports/ra", "/reports/nope", "/search?page=0", "/nope"])
def test_every_html_response_has_the_security_headers(client, url):
    resp = client.get(url)
    assert resp.mimetype == "text/html"
    assert resp.headers["Content-Security-Policy"] == CSP
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_static_files_are_served(client):
    for name in ("site.css", "site.js", "favicon.svg"):
        resp = client.get(f"/static/{name}")
        assert resp.status_code == 200 and resp.headers["X-Content-Type-Options"] == "nosniff"
        resp.close()


# The report page and permalinks


def test_passage_permalink_redirects_to_the_report(client):
    resp = client.get("/p/rb-p2")
    assert resp.status_code == 302 and resp.headers["Location"] == "/reports/rb#rb-p2"
    assert client.get("/p/rb-p2?q=经验").headers["Location"] == "/reports/rb?q=%E7%BB%8F%E9%AA%8C#rb-p2"
    assert client.get("/p/nope").status_code == 404


def test_report_page_has_metadata_and_every_passage(client, snap):
    page, html = get_page(client, "/reports/ra")
    report = snap.reports["ra"]
    assert [p.passage_id for p in report.passages] == [i for i in page.ids if i.startswith("ra-p")]
    assert "<h1>长治市2024年法治政府建设年度报告</h1>" in html
    assert "山西省 / 长治市" in html and "2024年" in html and "a.txt" in html


def test_report_page_table_of_contents(client):
    page, html = get_page(client, "/reports/ra")
    assert page.link("一、主要举措和成效") == "#ra-p2" and page.link("二、存在的问题") == "#ra-p5"
    assert '<h2 class="passage-text">一、主要举措和成效</h2>' in html


def test_report_page_highlights_the_query(client):
    page, html = get_page(client, "/reports/ra?q=枫桥经验")
    assert html.count("<mark>枫桥经验</mark>") == 2 and "共 2 处匹配" in html
    assert 'class="passage has-match" id="ra-p3" data-matches="2"' in html
    assert page.link("第3段") == "#ra-p3" and "命中 2 处" in html
    assert 'class="match-nav" hidden' in html  # the buttons appear only with JavaScript


def test_report_page_without_matches_says_so(client):
    html = get_page(client, "/reports/rc?q=枫桥经验")[1]
    assert "本报告中没有“" in html and "<mark>" not in html


def test_each_passage_has_a_citation(client):
    html = get_page(client, "/reports/ra")[1]
    # GB/T 7714-2025 by default: the region's government as issuer, the paragraph as pinpoint, no section label.
    expected = "长治市人民政府. 长治市2024年法治政府建设年度报告[EB/OL]：第3段. http://localhost/reports/ra#ra-p3."
    assert expected in html and html.count('class="copy"') == 6 + 1  # each passage, and the report as a whole


# Helpers


def test_search_links_canonical_and_toggle():
    from werkzeug.datastructures import MultiDict

    links = SearchLinks(MultiDict([("q", "a,b"), ("region", "甲,乙"), ("page", "3"), ("year", "")]), "/search")
    assert links.selected("region") == ["甲", "乙"] and links.selected("year") == []
    assert links.toggle("region", "甲") == "/search?q=a%2Cb&region=%E4%B9%99"
    assert links.page(2).endswith("&page=2") and "page" not in links.page(1)
    assert links.same("/api/search").endswith("&page=3")


def test_with_query_keeps_the_fragment():
    assert with_query("/reports/r#p1", "枫桥 经验") == "/reports/r?q=%E6%9E%AB%E6%A1%A5%20%E7%BB%8F%E9%AA%8C#p1"
    assert with_query("/reports/r#p1", "") == "/reports/r#p1"


def test_table_of_contents_when_a_heading_path_jumps_two_levels():
    ps = (
        Passage("p1", "r", 1, "正文", "概述", ""),
        Passage("p2", "r", 2, "（一）执法。正文", "举措成效", "一、成效 › （一）执法"),
        Passage("p3", "r", 3, "续", "举措成效", "一、成效 › （一）执法"),
        Passage("p4", "r", 4, "二、问题", "问题不足", "二、问题"),
    )
    entries = [(e.passage_id, e.label, e.level) for e in table_of_contents(ps)]
    assert entries == [("p2", "一、成效", 1), ("p2", "（一）执法", 2), ("p4", "二、问题", 1)]


# Acceptance on the real corpus


@pytest.fixture
def corpus_client(corpus_index, corpus_engine):
    from web import create_app

    return create_app({"INDEX_DIR": str(corpus_index), "ENGINE": corpus_engine, "TESTING": True}).test_client()


@pytest.mark.acceptance
def test_scholar_path_on_the_corpus(corpus_client):
    page, _ = get_page(corpus_client, "/search?q=枫桥经验")
    count, toggle, _ = page.facets["region"]["山西省"]
    narrowed, _ = get_page(corpus_client, toggle)
    narrowed, html = get_page(corpus_client, narrowed.facets["year"]["2024"][1])
    reports = int(html.split("</strong> 份报告")[0].rsplit("<strong>", 1)[1])
    assert narrowed.hits and count >= reports  # the site's facets count reports (份)
    hit_link = next(href for href, _ in narrowed.links if href.startswith("/reports/") and "#" in href)
    path, _, fragment = hit_link.partition("#")
    report, html = get_page(corpus_client, path)
    assert fragment in report.ids and "<mark>枫桥经验</mark>" in html and "山西省" in html


@pytest.mark.acceptance
@pytest.mark.parametrize("params", ["q=行政复议", "q=法治&region=山西省&sort=year", "q=营商环境&group=1", ""])
def test_parity_on_the_corpus(corpus_client, params):
    page, html = get_page(corpus_client, "/search?" + params)
    body = corpus_client.get("/api/search?" + params).get_json()
    assert page.hits == [h["passage_id"] for h in body["hits"]] and f"<strong>{body['total']}</strong>" in html


@pytest.mark.acceptance
def test_every_corpus_report_page_renders(corpus_client, corpus_snap):
    for rid, report in corpus_snap.reports.items():
        page, _ = get_page(corpus_client, f"/reports/{rid}?q=法治")
        assert {p.passage_id for p in report.passages} <= set(page.ids)


def test_an_index_of_an_earlier_version_is_a_503_page_asking_for_a_rebuild(tmp_path):
    from tests.conftest import write_tantivy_index_of_another_schema
    from web import create_app

    write_tantivy_index_of_another_schema(tmp_path)
    client = create_app({"INDEX_DIR": str(tmp_path), "ENGINE": "tantivy", "TESTING": True}).test_client()
    resp = client.get("/search?q=法治")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 503 and "索引需要重建" in html and "fazhi index CORPUS_DIR --rebuild" in html
    api = client.get("/api/search?q=法治")
    assert api.status_code == 503 and "built by an earlier version" in api.get_json()["error"]


# The research views: units, the report table, the concordance, trends, downloads


def test_summary_names_the_three_units(client):
    _, html = get_page(client, "/search?q=枫桥经验&region=山西省")
    assert "<strong>2</strong> 处 · <strong>1</strong> 段 · <strong>1</strong> 份报告" in html
    _, html = get_page(client, "/search?q=枫桥经验&view=reports")
    assert "<strong>3</strong> 处 · <strong>2</strong> 段 · <strong>2</strong> 份报告" in html


def test_view_tabs_keep_the_filters(client):
    page, html = get_page(client, "/search?q=法治&region=山西省&sort=year")
    by_text = {text: href for href, text in page.links}
    tabs = {label: by_text[label] for label in ("段落", "报告", "语境")}
    for href in tabs.values():
        query = parse_qs(urlsplit(href).query)
        assert query["q"] == ["法治"] and query["region"] == ["山西省"] and "sort" not in query
    assert 'aria-current="page">段落<' in html
    assert parse_qs(urlsplit(tabs["语境"]).query)["view"] == ["kwic"]
    trends = page.link("看趋势")
    assert urlsplit(trends).path == "/trends" and parse_qs(urlsplit(trends).query) == {
        "q": ["法治"],
        "region": ["山西省"],
    }


def test_facets_count_reports_by_default_with_a_toggle(client):
    page, html = get_page(client, "/search?q=法治")
    api_reports = client.get("/api/search?q=法治&facet_count=reports").get_json()
    api_passages = client.get("/api/search?q=法治").get_json()
    assert page.counts()["section"] == {r["value"]: r["count"] for r in api_reports["facets"]["section"]}
    assert 'aria-current="true">按报告计数' in html
    by_passage, html = get_page(client, page.link("按段落计数"))
    assert by_passage.counts()["section"] == {r["value"]: r["count"] for r in api_passages["facets"]["section"]}
    assert 'aria-current="true">按段落计数' in html and "facet_count=passages" in page.link("按段落计数")


def test_report_table_sorts_by_its_headers(client):
    page, html = get_page(client, "/search?q=法治&view=reports")
    api = client.get("/api/search?q=法治&view=reports&facet_count=reports").get_json()
    rows = [line.split('"')[1] for line in html.split("data-report-id=")[1:]]
    assert rows == [r["report_id"] for r in api["reports"]]
    assert 'aria-sort="descending"' in html and html.count("aria-sort=") == 1  # 处 (relevance) is the default
    density = parse_qs(urlsplit(page.link("每万字")).query)
    assert density["sort"] == ["per_10k_chars"] and "order" not in density  # its own direction first: most first
    sorted_page, html = get_page(client, page.link("每万字"))
    api = client.get("/api/search?q=法治&view=reports&sort=per_10k_chars").get_json()
    assert [r["per_10k_chars"] for r in api["reports"]] == sorted(
        (r["per_10k_chars"] for r in api["reports"]), reverse=True
    )
    assert 'aria-sort="descending"' in html
    flipped = parse_qs(urlsplit(sorted_page.link("每万字")).query)
    assert flipped["sort"] == ["per_10k_chars"] and flipped["order"] == ["asc"]
    _, html = get_page(client, sorted_page.link("每万字"))
    assert 'aria-sort="ascending"' in html
    region = parse_qs(urlsplit(sorted_page.link("地区")).query)
    assert region["sort"] == ["region"] and "order" not in region


def test_kwic_lines_are_aligned_on_the_match(client, snap):
    page, html = get_page(client, "/search?q=枫桥经验&view=kwic")
    assert html.count('class="kwic-line"') == 3  # one line per occurrence: 3 处
    assert html.count('class="kwic-match"') == 3 and html.count('<span class="kwic-left"><span>') == 3
    assert "共 3 处（2 段 · 2 份报告）" in html
    assert '>楓橋經驗</a><span class="kwic-right">，化解矛盾。</span>' in html
    assert "/reports/rb?q=%E6%9E%AB%E6%A1%A5%E7%BB%8F%E9%AA%8C#rb-p2" in dict(page.links)
    assert html.count('class="copy" data-copy="kwic-cite-') == 3 and 'id="kwic-cite-2"' in html
    assert "灵武市人民政府. 灵武市2023年法治政府建设年度报告[EB/OL]：第2段. http://localhost/reports/rb#rb-p2." in html
    # sort links: left context, then the same link reverses it
    left = parse_qs(urlsplit(page.link("左语境")).query)
    assert left == {"q": ["枫桥经验"], "view": ["kwic"], "sort": ["left"]}
    by_left, html = get_page(client, page.link("左语境"))
    direct = concordance(snap, ConcordanceRequest(filters=SearchRequest(query="枫桥经验"), sort="left"))
    lefts = [part.split("</span>")[0] for part in html.split('<span class="kwic-left"><span>')[1:]]
    assert lefts == [line.left for line in direct.lines]
    assert "左语境（升序）" in html and parse_qs(urlsplit(by_left.link("左语境")).query)["order"] == ["desc"]
    paged, html = get_page(client, "/search?q=枫桥经验&view=kwic&per_page=2&page=2")
    assert html.count('class="kwic-line"') == 1 and "第 3–3 处" in html and paged.link("上一页")


def test_kwic_without_a_query_asks_for_one(client):
    _, html = get_page(client, "/search?view=kwic")
    assert "语境视图需要查询词" in html


def test_download_links_on_every_view(client):
    for view, path in (("", "/api/search"), ("reports", "/api/search"), ("kwic", "/api/kwic")):
        page, _ = get_page(client, f"/search?q=法治&year=2024&view={view}")
        for label, fmt in (("CSV", "csv"), ("Excel", "xlsx"), ("JSONL", "jsonl")):
            href = page.link(label)
            query = parse_qs(urlsplit(href).query)
            assert urlsplit(href).path == path and query["format"] == [fmt] and query["year"] == ["2024"]
            assert ("view" in query) == (view == "reports")
        json_url = {text: href for href, text in page.links}["JSON"]
        assert urlsplit(json_url).path == path and "format" not in json_url


def test_year_range_is_one_chip(client):
    page, html = get_page(client, "/search?q=法治&year=2023-2024")
    assert "年度：2023–2024" in html
    assert parse_qs(urlsplit(page.link("年度：2023–2024")).query) == {"q": ["法治"]}
    assert 'data-value="2023-2024"' not in html  # no facet row for the range itself


def test_trends_page_draws_one_line_per_series_with_point_links(client):
    page, html = get_page(client, "/trends?q=枫桥经验&q=首违不罚")
    assert html.count("<polyline") == 2 and html.count('class="series-group"') == 2
    assert "<svg" in html and "<style" not in html and page.inline_styles == 0
    point_links = [href for href, _ in page.links if href.startswith("/search?") and "year=" in href]
    assert parse_qs(urlsplit(point_links[0]).query) == {"q": ["枫桥经验"], "year": ["2023"]}
    assert "<title>枫桥经验 · 2023年：100%（1/1 份报告提及，1 处" in html
    assert ">2023</text>" in html and ">2024</text>" in html and ">100%</text>" in html  # year and value ticks
    assert "“枫桥经验”：<strong>2023年</strong>首次出现于" in html
    assert page.link("灵武市2023年") == "/reports/rb?q=%E6%9E%AB%E6%A1%A5%E7%BB%8F%E9%AA%8C#rb-p2"
    assert html.count('name="q"') == 3 + 1  # two queries, one empty box for another; and the header's search box
    csv = page.link("CSV")
    assert urlsplit(csv).path == "/api/trends" and parse_qs(urlsplit(csv).query)["q"] == ["枫桥经验", "首违不罚"]


def test_trends_split_by_province_links_points_to_the_region(client):
    page, html = get_page(client, "/trends?q=枫桥经验&split=province&norm=count&doc_type=法治政府建设年度报告")
    assert html.count("<polyline") == 3  # 山西省, 宁夏回族自治区, 天津市
    assert '<g class="series-group" data-series="山西省">' in html
    shanxi = next(
        href for href, _ in page.links if "region=%E5%B1%B1%E8%A5%BF%E7%9C%81" in href and "year=2024" in href
    )
    assert parse_qs(urlsplit(shanxi).query)["doc_type"] == ["法治政府建设年度报告"]
    assert get_page(client, shanxi)[1].count("<strong>2</strong> 处") == 1
    assert 'type="hidden" name="doc_type"' in html


def test_trends_many_series_draws_the_busiest_eight(client, monkeypatch):
    from search import TrendPoint, TrendSeries

    def many(snap, req):
        from search import trends

        resp = trends(snap, req)
        resp.series = [
            TrendSeries("x", f"省{n}", [TrendPoint(y, 1, 1, n, 100, float(n)) for y in resp.years]) for n in range(12)
        ]
        return resp

    monkeypatch.setattr("web.pages.trends", many)
    _, html = get_page(client, "/trends?q=法治&split=province")
    assert html.count("<polyline") == 8 and "共 12 条线，图中只画出现次数最多的 8 条" in html
    assert 'data-series="省11"' in html and 'data-series="省3"' not in html


def test_trends_without_a_query_shows_the_form(client):
    page, html = get_page(client, "/trends")
    assert "<svg" not in html and html.count('name="q"') == 2 + 1
    assert page.link("枫桥经验 与 首违不罚").startswith("/trends?q=")
    assert get_page(client, "/")[0].link("看历年趋势") == "/trends"


@pytest.mark.parametrize(
    "url, param",
    [
        ("/trends?q=法治&norm=bad", "norm"),
        ("/trends?q=法治&split=city", "split"),
        ("/search?q=法治&view=table", "view"),
        ("/search?q=法治&view=reports&sort=nope", "sort"),
        ("/search?q=法治&view=kwic&sort=relevance", "sort"),
        ("/search?q=法治&facet_count=x", "facet_count"),
        ("/search?q=法治&year=2024-2020", "year"),
        ("/search?q=法治&view=kwic&width=0", "width"),
    ],
)
def test_bad_view_parameters_are_400_pages(client, url, param):
    resp = client.get(url)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and resp.mimetype == "text/html" and f"参数 {param}（" in html


def test_page_helpers_doctests():
    import doctest

    import web.search_page
    import web.trends_page

    for module in (web.search_page, web.trends_page):
        assert doctest.testmod(module).failed == 0


# Issue #10: regions by short names, the bad-parameter page, suggestions with counts, past the end


def test_a_short_region_name_filters_and_the_facet_stays_selected(client):
    page, html = get_page(client, "/search?q=法治&region=山西")
    full, _ = get_page(client, "/search?q=法治&region=山西省")
    assert page.hits == full.hits and page.hits
    assert page.facets["region"]["山西省"][2] is True  # ticked, as if 山西省 had been chosen
    assert "地区“山西”按“山西省”检索" in html and "地区：山西省" in html
    untick = page.facets["region"]["山西省"][1]
    assert parse_qs(urlsplit(untick).query) == {"q": ["法治"]}


def test_an_unknown_region_page_offers_near_names_and_keeps_the_query(client):
    page, html = get_page(client, "/search?q=法治&region=长治县&year=2024", status=400)
    assert "索引中没有来自“长治县”的报告" in html
    assert 'value="法治"' in html  # the query stays in the box
    near = page.link("山西省 / 长治市")
    assert parse_qs(urlsplit(near).query) == {"q": ["法治"], "region": ["长治市"], "year": ["2024"]}
    assert "（1 份报告）" in html
    without = page.link("去掉地区参数")
    assert parse_qs(urlsplit(without).query) == {"q": ["法治"], "year": ["2024"]}
    assert get_page(client, without)[0].hits


def test_a_bad_parameter_page_offers_the_request_without_it(client):
    page, html = get_page(client, "/search?q=枫桥经验&sort=bogus&year=2024", status=400)
    assert 'value="枫桥经验"' in html and '<input type="hidden" name="year" value="2024">' in html
    without = page.link("去掉排序参数")
    assert parse_qs(urlsplit(without).query) == {"q": ["枫桥经验"], "year": ["2024"]}
    assert get_page(client, "/search?q=法治&group=maybe", status=400)[1].count("group") >= 1


def test_no_results_suggestions_show_their_counts_and_never_lead_to_nothing(client):
    page, html = get_page(client, "/search?q=枫桥经验 不存在 行政复议")
    # 枫桥经验 行政复议: no passage has both; 不存在 行政复议 / 枫桥经验 不存在: none either
    assert "去掉“" not in html
    page, html = get_page(client, "/search?q=枫桥经验 不存在")
    assert "去掉“不存在”</a>（2 段 · 2 份报告）" in html and "去掉“枫桥经验”" not in html


def test_a_page_past_the_end_offers_one_link(client):
    page, html = get_page(client, "/search?q=法治&page=5")
    assert "这一页没有结果" in html
    start = html.index('class="empty"')
    empty = html[start : html.index("</section>", start)]
    assert empty.count("<a ") == 1 and "回到第 1 页" in empty and 'rel="prev"' not in html
    page, html = get_page(client, "/search?q=法治&per_page=2&page=9")
    start = html.index('class="empty"')
    empty = html[start : html.index("</section>", start)]
    assert empty.count("<a ") == 1 and "去最后一页（第 3 页）" in empty


def test_an_index_of_the_other_engine_is_named_on_the_site(tmp_path):
    from search.engines import index_writer
    from tests.conftest import SMALL_REPORTS
    from web import create_app

    index_writer("tantivy")(tmp_path / "t", SMALL_REPORTS)
    client = create_app({"INDEX_DIR": str(tmp_path / "t"), "ENGINE": "whoosh", "TESTING": True}).test_client()
    _, html = get_page(client, "/search?q=法治", status=503)
    assert "索引引擎不符" in html and "--engine tantivy" in html
