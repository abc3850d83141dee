"""Publish dates and where they come from, and whose report it is (issue #11): short made-up examples."""

import pytest

from indexer.html_reader import extract_article
from indexer.metadata import (
    Issuer,
    issuer_kind,
    issuer_level,
    page_date,
    page_date_in,
    publish_date,
    signature_and_date,
    title_subject,
    township_of,
)
from indexer.parsing import parse_report
from search.models import Region
from tests.report_files import html_page

BODY = [
    "2024年，我县坚持以习近平法治思想为指导，深入推进依法行政，法治政府建设取得积极成效。",
    "一、主要举措和成效",
    "全年办理行政复议案件120件，行政机关负责人出庭应诉率100%。",
]


def _parse(*paragraphs: str):
    return parse_report("\n".join(paragraphs) + "\n")


# --- Publish dates: the page's information line --------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "iso"),
    [
        ("发布时间：2024-03-28 09:18", "2024-03-28"),
        ("来源：曲沃县司法局　发布时间：2024-03-28 09:18　浏览次数：1024", "2024-03-28"),
        ("发布日期：2024年3月28日", "2024-03-28"),
        ("更新时间：2021/03/29", "2021-03-29"),
        ("日期：2024.03.28", "2024-03-28"),
        ("信息来源：县政府办 发布于 2024-3-28", "2024-03-28"),
        ("发布时间：2024-03-28 星期四", "2024-03-28"),  # a publication label keeps its date, weekday or not
    ],
)
def test_page_information_lines(line, iso):
    found = page_date(line)
    assert found is not None and found[1] == iso


@pytest.mark.parametrize(
    "line",
    [
        "今天是：2019年12月3日 星期二",  # the site's clock
        "当前时间：2019-12-03 10:21",
        "日期：2019年12月3日 星期二",  # the clock labelled 日期, told by its weekday
        "2019年12月3日 农历十一月初八",  # a lunar date beside the clock
        "版权所有 © 2016-2024 曲沃县人民政府 晋ICP备05003071号",
        "原文链接：http://www.quwo.gov.cn/art/2024/3/28/art_123.html",
        "访问时间：2025-12-02",
        "2024年，我县坚持依法行政。",  # no label at all
        "发布时间：2024-02-30",  # no such day
    ],
)
def test_not_publish_dates(line):
    assert page_date(line) is None


def test_the_publication_label_outranks_the_signing_date_and_the_update():
    lines = ["成文日期：2024-03-20", "更新时间：2024-04-02", "发布日期：2024-03-28"]
    assert page_date_in(lines) == "2024-03-28"
    assert page_date_in(["成文日期：2024-03-20"]) == "2024-03-20"
    assert page_date_in(["今天是：2019年12月3日 星期二"]) is None


def test_a_page_with_only_a_clock_and_a_dated_address_has_no_publish_date():
    page = html_page("曲沃县2024年法治政府建设年度报告", BODY).replace("发布时间：2025-03-28 09:30", "浏览次数：1024")
    page = page.replace("<head>", '<head><link rel="canonical" href="https://www.quwo.gov.cn/art/2024/3/28/a.html">')
    article = extract_article(page)
    assert article.url == "https://www.quwo.gov.cn/art/2024/3/28/a.html" and article.publish_date is None


def test_a_page_s_update_line_gives_its_date():
    page = html_page("曲沃县2024年法治政府建设年度报告", BODY).replace(
        "发布时间：2025-03-28 09:30", "更新时间：2025/03/29"
    )
    assert extract_article(page).publish_date == "2025-03-29"


# --- Publish dates: the signature, the text, and which one wins ----------------------------------------------


@pytest.mark.parametrize(
    ("closing", "iso"),
    [
        (["曲沃县人民政府", "2025年2月28日"], "2025-02-28"),
        (["中国共产党长沙市岳麓区委员会", "长沙市岳麓区人民政府", "2025228"], "2025-02-28"),
        (["曲沃县人民政府", "二〇二五年三月一日"], "2025-03-01"),
        (["曲沃县人民政府 2025年3月1日"], "2025-03-01"),
        (["曲沃县人民政府"], None),
    ],
)
def test_the_date_under_the_signature(closing, iso):
    assert publish_date(closing) == iso


def test_a_signature_and_its_date_on_one_line():
    assert signature_and_date("长沙市岳麓区人民政府2025年2月28日") == ("长沙市岳麓区人民政府", "2025年2月28日")
    assert signature_and_date("截至2025年2月28日") == ("截至2025年2月28日", "")


def test_the_signature_date_is_used_and_named():
    report = _parse("曲沃县2024年法治政府建设年度报告", *BODY, "曲沃县人民政府", "2025年2月28日")
    assert (report.publish_date, report.publish_date_source) == ("2025-02-28", "signature")
    assert report.issuer == "曲沃县人民政府"


def test_a_copied_page_s_information_line_wins_over_the_signature_and_is_not_a_passage():
    report = _parse(
        "今天是：2025年12月3日 星期三",
        "发布时间：2025-03-28 09:18  来源：曲沃县司法局",
        "曲沃县2024年法治政府建设年度报告",
        *BODY,
        "曲沃县人民政府",
        "2025年2月28日",
    )
    assert (report.publish_date, report.publish_date_source) == ("2025-03-28", "page")
    assert report.title == "曲沃县2024年法治政府建设年度报告" and report.year == 2024
    assert not any("今天是" in p.text or "发布时间" in p.text for p in report.passages)


def test_a_date_below_the_title_is_the_text_s_date_and_not_the_opening():
    report = _parse("曲沃县2024年法治政府建设年度报告", "（2025年3月20日）", *BODY)
    assert (report.publish_date, report.publish_date_source) == ("2025-03-20", "text")
    assert report.year == 2024 and report.region == Region("山西省", "临汾市", "曲沃县")


def test_no_date_anywhere():
    report = _parse("曲沃县2024年法治政府建设年度报告", *BODY)
    assert (report.publish_date, report.publish_date_source) == (None, None)


# --- Issuer levels --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("曲沃县人民政府", "government"),
        ("长治市人民政府", "government"),
        ("忻州地区行政公署", "government"),
        ("中共曲沃县委员会", "government"),
        ("中国共产党长沙市岳麓区委员会", "government"),
        ("曲沃县司法局", "department"),
        ("长治市市场监督管理局", "department"),
        ("长治市人民政府办公室", "department"),
        ("长治市卫生健康委员会", "department"),
        ("中共长治市委全面依法治市委员会办公室", "department"),
        ("长治市人民政府国有资产监督管理委员会", "department"),
        ("曲沃县", None),
    ],
)
def test_issuer_kinds(name, kind):
    assert issuer_kind(name) == kind


@pytest.mark.parametrize(
    ("name", "found"),
    [
        ("荫城镇人民政府", ("", "荫城镇")),
        ("长治市上党区荫城镇", ("长治市上党区", "荫城镇")),
        ("中共荫城镇委员会", ("", "荫城镇")),
        ("灵武市梧桐树乡人民政府", ("灵武市", "梧桐树乡")),
        ("长沙市岳麓区岳麓街道办事处", ("长沙市岳麓区", "岳麓街道")),
        ("新市镇", ("", "新市镇")),  # a township whose name holds 市
        ("曲沃县", None),
        ("曲沃县乡村振兴局", None),  # a department, though it holds 乡
        ("长治市住房和城乡建设局", None),
    ],
)
def test_townships(name, found):
    assert township_of(name) == found


@pytest.mark.parametrize(
    ("title", "closing", "whose"),
    [
        ("曲沃县2024年法治政府建设年度报告", [], Issuer("government")),
        ("曲沃县人民政府关于2024年法治政府建设情况的报告", [], Issuer("government")),
        ("中共曲沃县委员会 曲沃县人民政府关于2024年法治政府建设情况的报告", [], Issuer("government")),
        ("曲沃县2024年法治政府建设年度报告", ["曲沃县司法局"], Issuer("government")),  # the title decides
        ("长治市司法局2024年法治政府建设年度报告", [], Issuer("department")),
        ("长治市市场监督管理局关于2024年度法治政府建设情况的报告", [], Issuer("department")),
        ("2024年法治政府建设工作报告", ["长治市司法局", "2025年3月1日"], Issuer("department")),
        ("2024年法治政府建设工作报告", ["中共长治市委员会", "长治市人民政府"], Issuer("government")),
        ("荫城镇2024年法治政府建设工作报告", [], Issuer("township", "荫城镇")),
        ("长治市上党区荫城镇人民政府关于2024年法治建设工作的报告", [], Issuer("township", "荫城镇")),
        ("城关街道办事处2024年法治政府建设工作报告", [], Issuer("township", "城关街道")),
        ("2024年法治政府建设工作报告", ["中共梧桐树乡委员会", "梧桐树乡人民政府"], Issuer("township", "梧桐树乡")),
        ("2024年法治政府建设工作报告", [], Issuer("government")),
    ],
)
def test_issuer_levels(title, closing, whose):
    assert issuer_level(title_subject(title), closing) == whose


def test_a_township_report_keeps_its_county_as_region_and_names_the_township():
    report = _parse(
        "长治市上党区荫城镇2024年法治政府建设工作报告",
        "2024年，荫城镇在区委、区政府的坚强领导下，坚持依法行政，全镇法治政府建设取得新成效。",
        "我镇全年化解矛盾纠纷56件。",
        "荫城镇人民政府",
        "2025年3月1日",
    )
    assert (report.issuer_level, report.township) == ("township", "荫城镇")
    assert report.region == Region("山西省", "长治市", "上党区")
    assert report.issuer == "荫城镇人民政府"


def test_a_report_without_title_or_signature_that_calls_itself_a_township():
    report = _parse("2024年，我镇坚持依法行政，全镇法治政府建设取得新成效。", "我镇全年化解矛盾纠纷56件。")
    assert (report.issuer_level, report.township) == ("township", None)


def test_a_department_report_names_its_issuer():
    report = _parse(
        "长治市司法局2024年法治政府建设年度报告",
        "2024年，市司法局坚持以习近平法治思想为指导，依法履行职责。",
        "全市行政复议案件办结率99%。",
    )
    assert (report.issuer_level, report.issuer, report.township) == ("department", "长治市司法局", None)
    assert report.region == Region("山西省", "长治市", None)


def test_the_party_committee_and_government_together_is_the_government_s_report():
    report = _parse(
        "关于2024年岳麓区法治政府建设工作情况的报告",
        "2024年，在市委、市政府的坚强领导下，我区坚持依法行政。",
        "中国共产党长沙市岳麓区委员会",
        "长沙市岳麓区人民政府",
        "2025228",
    )
    assert (report.issuer_level, report.issuer) == ("government", "长沙市岳麓区人民政府")
    assert (report.publish_date, report.publish_date_source) == ("2025-02-28", "signature")
