"""The coverage matrix: divisions by year, statuses, and a generated collection with known gaps, cell by cell."""

from __future__ import annotations

import csv
import io
import json

import pytest

from search import (
    CoverageRequest,
    Region,
    Report,
    SearchError,
    coverage,
    coverage_matrix,
    deadline,
    division_by_path,
    divisions,
    divisions_during,
    open_engine,
    publication_status,
)
from search.coverage import resolve_coverage_region
from search.divisions import Overrides, apply_overrides, overrides, parse_overrides
from search.engines import index_writer
from search.models import Passage

# --- statuses and the deadline ---------------------------------------------------------------------------------


def test_deadline_is_1_april_of_the_following_year_inclusive():
    assert deadline(2023) == "2024-04-01"
    assert publication_status(2023, "2024-03-31") == "on_time"
    assert publication_status(2023, "2024-04-01") == "on_time"
    assert publication_status(2023, "2024-04-02") == "late"
    assert publication_status(2023, "2024-04-01T10:00") == "on_time"
    assert publication_status(2023, None) == "undated"


# --- divisions by year -----------------------------------------------------------------------------------------


def _names(year: int, prefecture: str) -> list[str]:
    return [d.name for d in divisions(year) if d.level == "county" and d.prefecture == prefecture]


def test_renamed_units_by_year():
    assert "长治县" in _names(2017, "长治市") and "上党区" not in _names(2017, "长治市")
    assert "上党区" in _names(2018, "长治市") and "长治县" not in _names(2018, "长治市")
    changzhi = division_by_path(2017, ("山西省", "长治市", "长治县"))
    shangdang = division_by_path(2019, ("山西省", "长治市", "上党区"))
    assert (changzhi.code, shangdang.code) == ("140421", "140404")
    assert changzhi.id == shangdang.id == "140404"  # one government across the rename
    assert "宜宾县" in _names(2017, "宜宾市") and "叙州区" in _names(2018, "宜宾市")


def test_a_prefecture_merged_into_another_and_its_district_moving():
    assert division_by_path(2017, ("山东省", "莱芜市")) is not None
    laicheng = division_by_path(2017, ("山东省", "莱芜市", "莱城区"))
    laiwu = division_by_path(2020, ("山东省", "济南市", "莱芜区"))
    assert laicheng.id == laiwu.id and laiwu.parent == "济南市"
    # The lists drop 莱芜市 from 2018's (it was merged in January 2019): the 2018 list is the year's end.
    assert division_by_path(2018, ("山东省", "莱芜市")) is not None  # found in the year before's list
    assert "莱芜市" in {d.name for d in divisions_during(2018) if d.level == "prefecture"}
    assert "莱芜市" not in {d.name for d in divisions(2018) if d.level == "prefecture"}


def test_municipal_districts_and_directly_administered_counties_have_no_prefecture():
    (chaoyang,) = [d for d in divisions(2023) if d.name == "朝阳区" and d.province == "北京市"]
    assert chaoyang.prefecture is None and chaoyang.parent == "北京市" and chaoyang.path() == ("北京市", "朝阳区")
    (jiyuan,) = [d for d in divisions(2023) if d.name == "济源市"]
    assert jiyuan.level == "county" and jiyuan.prefecture is None and jiyuan.parent == "河南省"


def test_years_outside_the_data_use_the_nearest_list():
    # The shipped overrides record no change after 2024 yet: 2030 is 2024's list, dated 2030.
    later = divisions(2030)
    assert [(d.name, d.code) for d in later] == [(d.name, d.code) for d in divisions(2024)]
    assert {d.year for d in later} == {2030}
    assert [d.name for d in divisions(2005)] == [d.name for d in divisions(2010)]


def test_overrides_add_and_remove_after_the_data_ends():
    base = divisions(2024)
    text = "\n".join(
        [
            "# a made-up change",
            "action,year,level,id,code,name,parent",
            "remove,2026,county,140404,,,",
            "add,2026,county,140499,140499,长治新区,长治市",
        ]
    )
    changes = parse_overrides(text)
    before = apply_overrides(base, 2025, changes)
    after = apply_overrides(base, 2026, changes)
    assert "上党区" in {d.name for d in before} and "长治新区" not in {d.name for d in before}
    (new,) = [d for d in after if d.name == "长治新区"]
    assert "上党区" not in {d.name for d in after}
    assert (new.province, new.prefecture, new.parent_id) == ("山西省", "长治市", "140400")
    assert apply_overrides(base, 2026, Overrides((), (), {})) == tuple(
        d for d in apply_overrides(base, 2026, parse_overrides("action,year,level,id,code,name,parent"))
    )


def test_the_shipped_overrides_place_state_level_new_areas():
    shipped = overrides()
    assert shipped.zones["雄安新区"] == "河北省"  # not 保定市's: it spans three of its counties
    assert ("county", "两江新区", "重庆市") in shipped.areas
    assert not any(d.name == "两江新区" for d in divisions(2024))  # reports as a county, never expected


def test_region_values_for_coverage_are_provinces_or_prefectures():
    assert resolve_coverage_region("山西", [2023]).name == "山西省"
    assert resolve_coverage_region("长治", [2017, 2018]).name == "长治市"
    assert resolve_coverage_region("", [2023]) is None
    with pytest.raises(SearchError) as e:
        resolve_coverage_region("吉林", [2023])
    assert e.value.param == "region" and {c["value"] for c in e.value.choices} == {"吉林省", "吉林省/吉林市"}
    assert resolve_coverage_region("吉林省/吉林市", [2023]).name == "吉林市"
    with pytest.raises(SearchError):
        resolve_coverage_region("上党区", [2023])  # a county: it has no governments below it here


# --- a generated collection with known gaps --------------------------------------------------------------------


def _report(rid, region, year, date, *, issuer_level="government", doc_type="法治政府建设年度报告", title=None):
    title = title or f"{region.names()[-1]}{year}年法治政府建设年度报告"
    passages = (
        Passage(f"{rid}-p1", rid, 1, title, "概述", ""),
        Passage(f"{rid}-p2", rid, 2, "坚持依法行政。", "概述", ""),
    )
    return Report(rid, f"{rid}.txt", title, region, year, date, None, passages, doc_type=doc_type,
                  issuer_level=issuer_level)  # fmt: skip


CZ = ("山西省", "长治市")
COLLECTION = [
    # 长治县 (2017), an index written before regions had codes: resolved by name in its year.
    _report("cz2017", Region(*CZ, "长治县"), 2017, "2018-03-20"),
    # 上党区 (its new name): undated in 2018, late in 2019, with codes.
    _report("sd2018", Region(*CZ, "上党区", code="140404", division_id="140404"), 2018, None),
    _report("sd2019", Region(*CZ, "上党区", code="140404", division_id="140404"), 2019, "2020-05-06"),
    # 城区 (abolished in 2018): two reports for 2017, the earliest date decides.
    _report("cq2017b", Region(*CZ, "城区"), 2017, "2018-04-03"),
    _report("cq2017a", Region(*CZ, "城区"), 2017, "2018-03-30", title="城区2017年法治政府建设情况报告"),
    # 潞州区 (created in 2018): on time in 2019; it did not exist in 2017.
    _report("lz2019", Region(*CZ, "潞州区"), 2019, "2020-04-01"),
    # Not counted: a department of 上党区 (2018), a township of 屯留区 (2019), a look-alike about 潞城 (2018),
    # the prefecture's own report (fills no county), and a 2016 report (outside the years).
    _report(
        "sfj2018",
        Region(*CZ, "上党区"),
        2018,
        "2019-03-01",
        issuer_level="department",
        title="长治市上党区司法局2018年法治政府建设年度报告",
    ),  # fmt: skip
    _report(
        "zhen2019",
        Region(*CZ, "屯留区"),
        2019,
        "2020-03-01",
        issuer_level="township",
        title="屯留区麟绛街道2019年法治政府建设年度报告",
    ),  # fmt: skip
    _report(
        "news2018",
        Region(*CZ, "潞城区"),
        2018,
        "2019-03-05",
        doc_type="新闻报道",
        title="潞城区召开会议审议2018年法治政府建设年度报告",
    ),  # fmt: skip
    _report("city2018", Region(*CZ), 2018, "2019-02-01"),
    _report("xy2016", Region(*CZ, "襄垣县"), 2016, "2017-03-01"),
    # Elsewhere: 太原 (outside the region) and a report whose county the text could not place.
    _report("ty2018", Region("山西省", "太原市", "小店区"), 2018, "2019-03-01"),
    _report("lh2018", Region(None, None, "龙华区"), 2018, "2019-03-01"),
]

# Every row of 长治市's counties 2017–2019, in the official order: (name, former names, 2017, 2018, 2019).
EXPECTED_ROWS = [
    ("城区", [], ("on_time", ["cq2017a", "cq2017b"]), "no_division", "no_division"),
    ("潞州区", [], "no_division", "missing", ("on_time", ["lz2019"])),
    ("上党区", ["长治县"], ("on_time", ["cz2017"]), ("undated", ["sd2018"]), ("late", ["sd2019"])),
    ("屯留区", ["屯留县"], "missing", "missing", "missing"),
    ("潞城区", ["潞城市"], "missing", "missing", "missing"),
    ("郊区", [], "missing", "no_division", "no_division"),
    ("襄垣县", [], "missing", "missing", "missing"),
    ("平顺县", [], "missing", "missing", "missing"),
    ("黎城县", [], "missing", "missing", "missing"),
    ("壶关县", [], "missing", "missing", "missing"),
    ("长子县", [], "missing", "missing", "missing"),
    ("武乡县", [], "missing", "missing", "missing"),
    ("沁县", [], "missing", "missing", "missing"),
    ("沁源县", [], "missing", "missing", "missing"),
]


def _expected_cells(row) -> dict[str, tuple[str, list[str]]]:
    cells = {}
    for year, want in zip(("2017", "2018", "2019"), row[2:], strict=True):
        cells[year] = want if isinstance(want, tuple) else (want, [])
    return cells


def _check_matrix(body: dict) -> None:
    assert body["years"] == [2017, 2018, 2019] and body["level"] == "county"
    assert body["region"]["name"] == "长治市" and body["region"]["code"] == "140400"
    got = [(r["name"], r["former_names"]) for r in body["rows"]]
    assert got == [(row[0], row[1]) for row in EXPECTED_ROWS]
    for row, want in zip(body["rows"], EXPECTED_ROWS, strict=True):
        cells = {y: (c["status"], c["report_ids"]) for y, c in row["cells"].items()}
        assert cells == _expected_cells(want), row["name"]
        assert row["parent"] == "长治市" and row["level"] == "county"
    shangdang = next(r for r in body["rows"] if r["name"] == "上党区")
    assert shangdang["code"] == "140404" and shangdang["cells"]["2017"]["name"] == "长治县"
    assert shangdang["cells"]["2017"]["publish_date"] == "2018-03-20"
    assert (shangdang["found"], shangdang["expected"], shangdang["rate"]) == (3, 3, 1.0)
    chengqu = next(r for r in body["rows"] if r["name"] == "城区")
    assert chengqu["cells"]["2017"]["publish_date"] == "2018-03-30" and chengqu["expected"] == 1
    assert body["summary"] == {
        "2017": {"expected": 13, "found": 2, "on_time": 2, "late": 0, "undated": 0, "missing": 11, "rate": 0.1538},
        "2018": {"expected": 12, "found": 1, "on_time": 0, "late": 0, "undated": 1, "missing": 11, "rate": 0.0833},
        "2019": {"expected": 12, "found": 2, "on_time": 1, "late": 1, "undated": 0, "missing": 10, "rate": 0.1667},
    }
    others = [(r["report_id"], r["issuer_level"], r["status"]) for r in body["other_issuers"]]
    assert others == [("sfj2018", "department", "on_time"), ("zhen2019", "township", "on_time")]
    assert body["unplaced"] == []


@pytest.fixture
def collection_index(tmp_path, engine_name):
    index_dir = tmp_path / "coverage-index"
    index_writer(engine_name)(index_dir, COLLECTION)
    return index_dir


def test_matrix_is_exact_cell_by_cell_in_both_engines(collection_index, engine_name):
    snap = open_engine(collection_index, engine_name).snapshot()
    response = coverage(snap, CoverageRequest(year_ranges=((2017, 2019),), region="长治", level="county"))
    _check_matrix(json.loads(json.dumps(response.to_dict(), ensure_ascii=False)))
    assert response.notes == ["地区“长治”按“长治市”检索"]


def test_api_and_exports_give_the_same_matrix(collection_index, engine_name):
    from web import create_app

    client = create_app({"INDEX_DIR": str(collection_index), "ENGINE": engine_name, "TESTING": True}).test_client()
    body = client.get("/api/coverage?year=2017-2019&region=长治市&level=county").get_json()
    _check_matrix(body)
    exported = client.get("/api/coverage?year=2017-2019&region=长治市&level=county&format=csv")
    rows = list(csv.DictReader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert [r["name"] for r in rows] == [row[0] for row in EXPECTED_ROWS]
    assert rows[2]["2017"] == "on_time" and rows[2]["2017_reports"].endswith("/reports/cz2017")
    assert rows[2]["former_names"] == "长治县" and rows[2]["2019_publish_date"] == "2020-05-06"
    xlsx = client.get("/api/coverage?year=2017-2019&region=长治市&level=county&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert client.get("/api/coverage?year=2017-2019&region=长治&format=ris").status_code == 400


def test_province_level_and_prefecture_level_rows(collection_index, engine_name):
    snap = open_engine(collection_index, engine_name).snapshot()
    provinces = coverage(snap, CoverageRequest(years=(2018,)))
    assert provinces.level == "province" and len(provinces.rows) == 31  # no HK, Macao, Taiwan
    assert all(r.cells[2018].status == "missing" for r in provinces.rows)
    cities = coverage(snap, CoverageRequest(years=(2018,), region="山西"))
    assert cities.level == "prefecture"
    changzhi = next(r for r in cities.rows if r.name == "长治市")
    assert (changzhi.cells[2018].status, changzhi.cells[2018].report_ids) == ("on_time", ["city2018"])
    # 小店区's report fills its county under 太原市 (a county-level matrix of 山西), never its prefecture.
    counties = coverage(snap, CoverageRequest(years=(2018,), region="山西", level="county"))
    assert next(r for r in counties.rows if r.name == "小店区").cells[2018].report_ids == ["ty2018"]
    assert next(r for r in cities.rows if r.name == "太原市").cells[2018].status == "missing"
    assert [r.parent for r in counties.rows][:3] == ["太原市"] * 3  # grouped under their parents, in code order


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ("year=20x3", "year"),
        ("year=1999", "year"),
        ("year=2000-2030", "year"),
        ("level=city", "level"),
        ("region=山西&level=province", "level"),
        ("region=火星", "region"),
        ("region=吉林", "region"),
    ],
)
def test_bad_parameters_are_named(client, params, param):
    response = client.get(f"/api/coverage?{params}")
    assert response.status_code == 400 and response.get_json()["param"] == param


def test_unplaced_government_reports_are_listed_not_dropped():
    reports = [_report("lh", Region(None, None, "龙华区"), 2018, "2019-03-01")]
    response = coverage_matrix(reports, [2018], "county", None)
    assert [r["report_id"] for r in response.unplaced] == ["lh"]
    assert response.summary[2018]["found"] == 0


def test_a_report_of_a_division_abolished_during_its_year_fills_a_cell():
    # 莱芜市 was merged into 济南市 at the start of 2019; the lists show it gone from the 2018 list on.
    reports = [_report("lw", Region("山东省", "莱芜市"), 2018, "2019-03-01")]
    response = coverage_matrix(reports, [2017, 2018], "prefecture", resolve_coverage_region("山东", [2017, 2018]))
    laiwu = next(r for r in response.rows if r.name == "莱芜市")
    assert laiwu.cells[2018].status == "on_time" and laiwu.cells[2018].report_ids == ["lw"]
    assert laiwu.cells[2017].status == "missing"


# --- the pages and the CLI -------------------------------------------------------------------------------------


def test_coverage_page_renders_the_matrix_with_text_labels_and_links(collection_index, engine_name):
    from web import create_app

    client = create_app({"INDEX_DIR": str(collection_index), "ENGINE": engine_name, "TESTING": True}).test_client()
    response = client.get("/coverage?year=2017-2019&region=长治&level=county")
    html = response.data.decode()
    assert response.status_code == 200 and "/api/coverage?" in response.headers["Link"]
    assert 'class="cov-cell cov-on_time"' in html and "按时" in html and "未设" in html and "逾期" in html
    assert 'href="/reports/cz2017"' in html and 'href="/reports/cq2017b">另1</a>' in html
    assert "原长治县" in html and "长治市上党区司法局2018年法治政府建设年度报告" in html
    assert "2/13 · 15%" in html  # 2017's rate
    assert "/coverage" in client.get("/").data.decode()
    assert client.get("/coverage?level=city").status_code == 400


def test_cli_coverage(collection_index, engine_name, runner, tmp_path):
    from fazhi.cli import main

    args = ["--index-dir", str(collection_index), "--engine", engine_name]
    result = runner.invoke(main, ["coverage", "--year", "2017-2019", "--region", "长治", "--level", "county", *args])
    assert result.exit_code == 0, result.output
    assert "上党区 (was 长治县)" in result.output
    assert "2017 (due 2018-04-01): 2 of 13 found (15%): 2 on time, 0 late, 0 undated, 11 missing" in result.output
    as_json = runner.invoke(main, ["coverage", "--year", "2017-2019", "--region", "长治市", "--json", *args])
    _check_matrix(json.loads(as_json.output))
    out = tmp_path / "c.xlsx"
    written = runner.invoke(main, ["coverage", "--year", "2018", "--region", "长治市", "--format", "xlsx",
                                   "--output", str(out), *args])  # fmt: skip
    assert written.exit_code == 0 and out.read_bytes()[:2] == b"PK"
    bad = runner.invoke(main, ["coverage", "--region", "吉林", *args])
    assert bad.exit_code == 2 and "吉林省/吉林市" in bad.output


# --- end to end: report texts read by the indexer, against their year's divisions --------------------------------


def test_indexed_texts_resolve_against_their_years_divisions(tmp_path, engine_name):
    from indexer.build import index_corpus

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    texts = {
        "a.txt": ("长治县2017年法治政府建设年度报告", "2017年，长治县坚持依法行政，我县法治建设取得成效。",
                  "长治县人民政府", "2018年3月20日"),
        "b.txt": ("上党区2019年法治政府建设年度报告", "2019年，上党区坚持依法行政，我区法治建设取得成效。",
                  "长治市上党区人民政府", "2020年5月6日"),
    }  # fmt: skip
    for name, lines in texts.items():
        (corpus / name).write_text("\n".join(lines), encoding="utf-8")
    index_dir = tmp_path / "index"
    index_corpus(corpus, index_dir, engine=engine_name)
    snap = open_engine(index_dir, engine_name).snapshot()
    regions = {r.year: r.region for r in snap.reports.values()}
    assert regions[2017] == Region("山西省", "长治市", "长治县") and regions[2017].code == "140421"
    assert regions[2019] == Region("山西省", "长治市", "上党区") and regions[2019].code == "140404"
    assert regions[2017].division_id == regions[2019].division_id == "140404"
    response = coverage(snap, CoverageRequest(year_ranges=((2017, 2019),), region="长治市", level="county"))
    row = next(r for r in response.rows if r.name == "上党区")
    assert {y: c.status for y, c in row.cells.items()} == {2017: "on_time", 2018: "missing", 2019: "late"}
