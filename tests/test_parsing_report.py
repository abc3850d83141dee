"""parse_report on short made-up reports: metadata and passages together."""

import re

from indexer.parsing import ParsedPassage, parse_report
from search.models import SECTIONS, Region

MUNICIPALITY_DISTRICT = """天津市静海区2024年法治政府建设年度报告

2024年,我区坚持依法行政,静海区法治政府建设取得新成效。
一、主要举措和成效
(一)加强学法用法。区政府常务会议会前学法12次。
二、存在问题和不足
部分干部法治意识不强。
三、2025年工作计划
2025年,我区将持续推进法治政府建设。
天津市静海区人民政府
2025年3月20日
扫一扫在手机打开当前页面
"""

NO_HEADINGS = """2024年,我县坚持依法行政,法治曲沃建设取得新成效。曲沃县全年办结行政复议案件66件。
曲沃县组织学法12次。
我县法治政府建设在取得成绩的同时,还存在一些不足,主要是:执法人才不足。
2025年,曲沃县将继续推进法治政府建设。
"""


def test_municipality_district_report():
    report = parse_report(MUNICIPALITY_DISTRICT)
    assert report.title == "天津市静海区2024年法治政府建设年度报告"
    assert report.region == Region("天津市", None, "静海区")
    assert report.year == 2024
    assert report.publish_date == "2025-03-20"
    assert report.issuer == "天津市静海区人民政府"
    assert [p.section for p in report.passages] == [
        "概述",
        "概述",
        "举措成效",
        "举措成效",
        "问题不足",
        "问题不足",
        "工作计划",
        "工作计划",
        "其他",
        "其他",
    ]
    assert report.passages[3] == ParsedPassage(
        "(一)加强学法用法。区政府常务会议会前学法12次。", "举措成效", "一、主要举措和成效 › (一)加强学法用法"
    )


def test_report_without_title_or_headings():
    report = parse_report(NO_HEADINGS)
    assert report.title == "曲沃县2024年法治政府建设年度报告"
    assert report.region == Region("山西省", "临汾市", "曲沃县")
    assert report.year == 2024
    assert report.publish_date is None and report.issuer is None
    assert [p.section for p in report.passages] == ["概述", "概述", "问题不足", "工作计划"]
    assert all(p.heading == "" for p in report.passages)


def test_passages_cover_the_text_without_furniture_in_order():
    report = parse_report(MUNICIPALITY_DISTRICT)
    expected = re.sub(r"\s", "", MUNICIPALITY_DISTRICT.replace("扫一扫在手机打开当前页面", ""))
    assert "".join(re.sub(r"\s", "", p.text) for p in report.passages) == expected
    assert all(p.section in SECTIONS for p in report.passages)


def test_passages_keep_the_original_full_width_text():
    report = parse_report("2024年，我县坚持依法行政。\n（一）加强学法。组织学法１２次。\n")
    assert report.passages[1].text == "（一）加强学法。组织学法１２次。"
    assert report.passages[1].heading == "（一）加强学法"


def test_empty_text():
    report = parse_report("")
    assert report.passages == [] and report.year is None and report.region == Region()
