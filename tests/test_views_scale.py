"""The research views count on the generation's columns and read only the reports and passages a page shows.

At a national scale (100,000 reports, 4 million passages) a report or passage object is built on demand from
the index, tens of µs each: a view that walks every report or passage per request costs seconds. Here every
way to the objects (``snap.reports``, ``snap.report_list``, ``snap.passages``) is wrapped in a counter, and each
view — the search page, the report table, trends, coverage, the home page, the report list API and the first
block of every export — must read no more than its page holds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from itertools import islice

import pytest

from search import (
    SearchRequest,
    filter_reports,
    hits_export,
    index_writer,
    report_list_export,
    reports_export,
)
from search.models import REPORT_DOC_TYPE, Passage, Region, Report
from tests.conftest import open_as_served

PLACES = [
    Region("山西省", "长治市", "潞州区"),
    Region("山西省", "长治市", "上党区"),
    Region("山西省", "长治市", None),
    Region("山西省", "忻州市", "五台县"),
    Region("山西省", None, None),
    Region("湖南省", "长沙市", "岳麓区"),
    Region("湖南省", "长沙市", None),
    Region("天津市", None, "静海区"),
    Region("宁夏回族自治区", "银川市", "灵武市"),
]
YEARS = (2021, 2022, 2023, 2024)


def _report(n: int) -> Report:
    region = PLACES[n % len(PLACES)]
    year = YEARS[n % len(YEARS)]
    rid = f"r{n:03d}"
    name = region.names()[-1]
    title = f"{name}{year}年法治政府建设年度报告"
    texts = [
        (title, "概述"),
        (f"{name}践行新时代“枫桥经验”，法治政府建设取得成效。第{n}号。", "举措成效"),
        ("推进严格规范公正文明执法，法治政府建设示范创建。", "举措成效"),
        ("行政复议和诉讼衔接不够顺畅，法治意识有待提高。", "问题不足"),
    ]
    passages = tuple(
        Passage(f"{rid}-p{k}", rid, k, text, section, "") for k, (text, section) in enumerate(texts, start=1)
    )
    return Report(
        rid,
        f"{n:03d}.txt",
        title,
        region,
        year,
        f"{year + 1}-0{1 + n % 6}-{10 + n % 19}" if n % 5 else None,
        f"{name}人民政府",
        passages,
        doc_type=REPORT_DOC_TYPE if n % 7 else "政府工作报告",
        issuer_level=("government", "government", "department")[n % 3],
    )


REPORTS = [_report(n) for n in range(60)]
PER_PAGE = 2


class Counted(Sequence):
    """A sequence that counts the items read from it (by index or by iterating)."""

    def __init__(self, items: Sequence, reads: list[int]) -> None:
        self._items, self._reads = items, reads

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, k):
        item = self._items[k]
        self._reads[0] += len(item) if isinstance(k, slice) else 1
        return item

    def __iter__(self) -> Iterator:
        for item in self._items:
            self._reads[0] += 1
            yield item


class CountedMapping(Mapping):
    """A mapping that counts the values read from it."""

    def __init__(self, items: Mapping, reads: list[int]) -> None:
        self._items, self._reads = items, reads

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator:
        return iter(self._items)

    def __contains__(self, key) -> bool:
        return key in self._items

    def __getitem__(self, key):
        value = self._items[key]
        self._reads[0] += 1
        return value


@pytest.fixture
def counted(tmp_path, engine_name):
    """A served snapshot of 60 reports (240 passages) whose reports and passages are counted as they are read,
    and an app serving it. What a generation works out once (its regions, years, browse facets) is worked out
    before counting starts."""
    from web import create_app

    index_dir = tmp_path / "index"
    index_writer(engine_name)(index_dir, REPORTS)
    snap = open_as_served(index_dir, engine_name)
    snap.region_list, snap.index_years, snap.row_table, snap.browse_facets, snap.report_first_rows  # noqa: B018
    reads = [0]
    snap.reports = CountedMapping(snap.reports, reads)
    snap.passages = Counted(snap.passages, reads)
    snap._report_list = Counted(snap._report_list, reads)
    snap.__dict__["report_list"] = snap._report_list
    metadata = snap.store.report_metadata

    def counted_metadata(index):  # a report read without its passages counts as a read too
        reads[0] += 1
        return metadata(index)

    snap.store.report_metadata = counted_metadata
    app = create_app({"INDEX_DIR": str(index_dir), "ENGINE": engine_name, "TESTING": True, "CACHE_SIZE": 0})

    class Served:
        def snapshot(self):
            return snap

    app.extensions["fazhi_engine"] = Served()
    return snap, app.test_client(), reads


def _reads_of(reads: list[int], fn) -> int:
    before = reads[0]
    fn()
    return reads[0] - before


# Each hit reads its passage and report, and its citation reads them again: four reads a row.
PAGE_READS = 4 * PER_PAGE


@pytest.mark.parametrize(
    "url",
    [
        f"/search?q=法治政府&per_page={PER_PAGE}",
        f"/search?q=法治政府&region=山西&per_page={PER_PAGE}",
        f"/search?q=法治政府&region=长治市&year=2023-2024&per_page={PER_PAGE}&sort=region",
        f"/search?q=法治政府&per_page={PER_PAGE}&sort=region&order=desc",
        f"/search?q=法治政府&view=reports&per_page={PER_PAGE}&sort=region",
        f"/search?q=法治政府&view=reports&per_page={PER_PAGE}&sort=title&order=desc",
        f"/search?q=法治政府&view=reports&region=湖南&per_page={PER_PAGE}",
        f"/api/search?q=枫桥经验&region=山西省&per_page={PER_PAGE}",
        f"/api/search?q=枫桥经验&view=reports&sort=region&per_page={PER_PAGE}",
        f"/search?q=枫桥经验&view=kwic&per_page={PER_PAGE}&sort=region",
        f"/api/kwic?q=法治&region=山西&per_page={PER_PAGE}&sort=region",
    ],
)
def test_a_search_page_reads_its_page_only(counted, url):
    snap, client, reads = counted
    n = _reads_of(reads, lambda: client.get(url))
    assert client.get(url).status_code == 200
    page = PAGE_READS + (4 if "view=kwic" in url else 0)  # the concordance's page also shows one hit's facets
    assert n <= page, f"{url} read {n} reports and passages for a page of {PER_PAGE}"


@pytest.mark.parametrize(
    "url",
    [
        "/api/trends?q=法治政府&q=枫桥经验",
        "/api/trends?q=法治政府&split=province",
        "/api/trends?q=法治政府&split=region&region=山西",
        "/api/trends?q=法治政府&split=county&region=长治市&norm=per_10k_chars",
        "/trends?q=法治政府&split=section",
    ],
)
def test_trends_read_only_the_first_reports_they_list(counted, url):
    snap, client, reads = counted
    n = _reads_of(reads, lambda: client.get(url))
    body = client.get(url if url.startswith("/api/") else "/api" + url).get_json()
    listed = sum(len(f["reports"]) for f in body["first"])
    assert 0 < listed <= n <= 2 * listed, f"{url} read {n} reports and passages to list {listed}"


@pytest.mark.parametrize(
    "url",
    [
        "/api/coverage?year=2023&level=county",
        "/api/coverage?year=2021-2024&region=山西&level=county",
        "/api/coverage?year=2024&region=长治",
        "/coverage?year=2022-2024&region=湖南",
    ],
)
def test_coverage_reads_only_the_reports_it_places_or_lists(counted, url):
    snap, client, reads = counted
    n = _reads_of(reads, lambda: client.get(url))
    body = client.get(url if url.startswith("/api/") else "/api" + url).get_json()
    listed = {rid for row in body["rows"] for cell in row["cells"].values() for rid in cell["report_ids"]}
    listed |= {r["report_id"] for r in body["other_issuers"] + body["unplaced"]}
    assert listed, url
    page = 2 * len(listed) if url.startswith("/coverage") else len(listed)  # the page reads each cell's titles
    assert n <= page, f"{url} read {n} reports and passages to show {len(listed)}"


def test_the_home_page_reads_the_newest_reports_only(counted):
    snap, client, reads = counted
    n = _reads_of(reads, lambda: client.get("/"))
    assert client.get("/").status_code == 200
    assert n <= 10


def test_the_report_list_and_exports_read_a_report_per_row(counted):
    snap, client, reads = counted
    request = SearchRequest(query="法治政府", regions=("山西",), years=(2023, 2024))
    selection = []
    n = _reads_of(reads, lambda: selection.append(filter_reports(snap, request)))
    assert n == 0 and len(selection[0]) > PER_PAGE
    for make in (
        lambda: report_list_export(selection[0]),
        lambda: hits_export(snap, request),
        lambda: reports_export(snap, SearchRequest(query="法治政府", sort="region")),
    ):
        export = make()
        assert export.rows > PER_PAGE
        n = _reads_of(reads, lambda export=export: list(islice(export.records, PER_PAGE)))
        assert n <= 3 * PER_PAGE  # a row's report (twice for the report table) and its first passage


def test_the_report_list_api_gives_a_page_reading_only_its_reports(counted):
    snap, client, reads = counted
    whole = client.get("/api/reports?region=山西").get_json()
    assert "page" not in whole and whole["total"] == len(whole["reports"]) > 2 * PER_PAGE
    url = f"/api/reports?region=山西&per_page={PER_PAGE}&page=2"
    n = _reads_of(reads, lambda: client.get(url))
    body = client.get(url).get_json()
    assert body == {"reports": whole["reports"][PER_PAGE : 2 * PER_PAGE], "total": whole["total"], "page": 2,
                    "per_page": PER_PAGE, "sort": "index", "order": ""}  # fmt: skip
    assert n == PER_PAGE


TIES = [
    Region("山西省", "长治市", "城区", "140402", "140402"),  # first, though 阳泉市's 城区 sorts before it
    Region("山西省", "阳泉市", "城区", "140302", "140302"),
    Region("山西省", "长治市", "潞州区", "140403", "140403"),
    Region("山西省", "长治市", "潞州区", "140402", "140402"),  # the same names, another year's code
    Region("山西省", "长治市", None),
    Region("湖南省", "长沙市", "岳麓区"),
]


def test_columns_order_and_count_regions_as_their_names_do(tmp_path, engine_name):
    """Sorting and counting by region number gives what sorting and counting by ``region.names()`` gave:
    equal names (codes apart) tie and keep report order; two 城区 with equal counts keep the order of their
    first reports; places keep the order of the first report to reach them."""
    from search.counting import Filters, match_order, passage_facets, query_matches
    from search.models import region_keys
    from search.query import parse_query
    from search.regions import index_places
    from search.report_table import report_table

    reports = [
        Report(f"t{n}", f"{n}.txt", f"{r.label()}报告", r, 2024, None, None,
               (Passage(f"t{n}-p1", f"t{n}", 1, "法治政府建设。", "概述", ""),))
        for n, r in enumerate(TIES)
    ]  # fmt: skip
    index_writer(engine_name)(tmp_path / "index", reports)
    snap = open_as_served(tmp_path / "index", engine_name)
    listed = snap.report_list
    kept = query_matches(snap, parse_query("法治"))
    names = [listed[i].region.names() for i in snap.row_table.report[kept.rows].tolist()]
    for order in ("", "desc"):
        expected = sorted(range(len(names)), key=names.__getitem__, reverse=order == "desc")
        assert match_order(snap, kept, "region", order).tolist() == expected
        request = SearchRequest("法治", sort="region", order=order)
        table = report_table(snap, kept, request, Filters(snap, request))
        by_names = sorted(range(len(listed)), key=lambda i: listed[i].region.names(), reverse=order == "desc")
        assert table.order.tolist() == by_names
    walked = Counter(key for r in listed for key in region_keys(r.region))
    facets = passage_facets(snap, kept.rows, Filters(snap, SearchRequest("法治")))["region"]
    level_rank = {"province": 0, "prefecture": 1, "county": 2}
    expected_facets = sorted(walked.items(), key=lambda kv: (level_rank[kv[0][0]], -kv[1], kv[0][1]))
    assert [(f.level, f.value, f.parent, f.count) for f in facets] == [(*k, n) for k, n in expected_facets]
    assert [f.parent for f in facets if f.value == "城区"] == ["长治市", "阳泉市"]
    assert snap.region_places == index_places(r.region for r in listed)
    assert snap.report_region_keys == [region_keys(r.region) for r in listed]
