"""Title, covered year, closing date and issuer."""

import pytest

from indexer.metadata import (
    closing_count,
    compose_title,
    is_signature,
    is_title,
    issuer,
    parse_date,
    publish_date,
    report_year,
    year_named,
)
from search.models import Region


@pytest.mark.parametrize(
    "line",
    [
        "关于2024年岳麓区法治政府建设工作情况的报告",
        "曲沃县2024年法治政府建设年度报告",
        "某市人民政府关于2023年度法治政府建设情况的报告",
    ],
)
def test_title_lines(line):
    assert is_title(line)


@pytest.mark.parametrize(
    "line",
    [
        "2024年,我市坚持以习近平新时代中国特色社会主义思想为指导,法治政府建设取得积极成效。",
        "一、法治政府建设主要举措",
        "2024年,法治政府建设情况报告如下",
    ],
)
def test_not_title_lines(line):
    assert not is_title(line)


def test_composed_title_uses_the_lowest_name():
    assert compose_title(Region("山西省", "长治市", None), 2024) == "长治市2024年法治政府建设年度报告"


def test_composed_title_of_a_municipality_district_names_the_municipality():
    assert compose_title(Region("天津市", None, "静海区"), 2024) == "天津市静海区2024年法治政府建设年度报告"


def test_composed_title_without_a_year():
    assert compose_title(Region("山西省", "忻州市", None), None) == "忻州市法治政府建设年度报告"


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("关于2024年岳麓区法治政府建设工作情况的报告", 2024),
        ("某县2023年度法治政府建设报告", 2023),
        ("二〇二四年法治政府建设年度报告", 2024),
        ("落实《法治政府建设实施纲要(2021年—2025年)》,2024年成效明显", 2024),
        ("法治政府建设年度报告", None),
    ],
)
def test_year_named(text, year):
    assert year_named(text) == year


def test_year_comes_from_the_title_first():
    assert report_year("曲沃县2024年法治政府建设年度报告", "2025年,曲沃县将…", "") == 2024


def test_year_comes_from_the_opening_sentence_when_there_is_no_title():
    opening = "2024年,我市认真落实《法治政府建设实施纲要(2021年—2025年)》"
    assert report_year(None, opening, "三、2025年工作安排") == 2024


def test_year_from_the_body_ignores_document_names_and_prefers_the_covered_year():
    body = "落实《2025年规划》。2023年办结案件。2023年新增专利。2024年工作安排。"
    assert report_year(None, "我市坚持依法行政", body) == 2023


@pytest.mark.parametrize(
    ("line", "iso"),
    [
        ("2025228", "2025-02-28"),
        ("      2025228", "2025-02-28"),
        ("20250228", "2025-02-28"),
        ("20251231", "2025-12-31"),
        ("2025111", None),  # January 11 or November 1
        ("202412", None),
        ("2025年2月28日", "2025-02-28"),
        ("2025-02-28", "2025-02-28"),
        ("2025.3.1", "2025-03-01"),
        ("二〇二五年二月二十八日", "2025-02-28"),
        ("2025年2月30日", None),
        ("2025年,我市将继续推进", None),
    ],
)
def test_parse_date(line, iso):
    assert parse_date(line) == iso


@pytest.mark.parametrize("line", ["长沙市岳麓区人民政府", "中国共产党长沙市岳麓区委员会", "某县司法局"])
def test_signatures(line):
    assert is_signature(line)


@pytest.mark.parametrize(
    "line", ["坚持党的领导,法治政府建设取得新成效", "不断提升人民群众满意度。", "一、存在问题和不足"]
)
def test_not_signatures(line):
    assert not is_signature(line)


def test_closing_lines_are_counted_from_the_end():
    paragraphs = ["正文。", "特此报告。", "中国共产党某县委员会", "某县人民政府", "2025228"]
    assert closing_count(paragraphs) == 4


def test_no_closing_lines():
    assert closing_count(["正文。", "2025年,我市将持续推进依法行政。"]) == 0


def test_issuer_is_the_government_among_the_signatures():
    closing = ["中国共产党长沙市岳麓区委员会", "长沙市岳麓区人民政府", "2025228"]
    assert issuer(closing) == "长沙市岳麓区人民政府"
    assert publish_date(closing) == "2025-02-28"


def test_issuer_falls_back_to_the_last_signature_and_none():
    assert issuer(["某县司法局", "2025年1月5日"]) == "某县司法局"
    assert issuer(["2025年1月5日"]) is None
    assert publish_date([]) is None
