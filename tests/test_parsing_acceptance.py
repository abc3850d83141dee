"""parse_report against the five real reports in ../shared/corpus (see ../shared/EXPECTED.md)."""

import re
from pathlib import Path

import pytest

from indexer.parsing import parse_report
from search.models import SECTIONS, Region

pytestmark = pytest.mark.acceptance

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"

EXPECTED = {
    "000_02c746c2ec6526e7.txt": (Region("山西省", "长治市", None), 2024),
    "001_c8c184c9724ced57.txt": (Region("宁夏回族自治区", "银川市", "灵武市"), 2024),
    "002_09ab2a23c5e0d572.txt": (Region("湖南省", "长沙市", "岳麓区"), 2024),
    "003_e2e0df3e9e7d89cd.txt": (Region("山西省", "临汾市", "曲沃县"), 2024),
    "004_a086ccad46f82d58.txt": (Region("山西省", "忻州市", None), 2023),
}

# Written out here rather than taken from indexer.furniture, so the check does not grade itself.
FURNITURE = ("扫一扫在手机打开当前页面", "扫一扫在手机打开", "[bookmark: _GoBack]")


def _text(name: str) -> str:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"corpus not found at {CORPUS}")
    return path.read_text(encoding="utf-8")


def _report(name: str):
    return parse_report(_text(name))


def _squeeze(text: str) -> str:
    return re.sub(r"\s", "", text)


def _starting(report, prefix: str):
    (passage,) = [p for p in report.passages if p.text.startswith(prefix)]
    return passage


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_region_and_year(name):
    report = _report(name)
    assert (report.region, report.year) == EXPECTED[name]


def test_title_lines():
    assert _report("002_09ab2a23c5e0d572.txt").title == "关于2024年岳麓区法治政府建设工作情况的报告"
    assert _report("003_e2e0df3e9e7d89cd.txt").title == "曲沃县2024年法治政府建设年度报告"


def test_publish_date_and_issuer():
    report = _report("002_09ab2a23c5e0d572.txt")
    assert report.publish_date == "2025-02-28"
    assert report.issuer == "长沙市岳麓区人民政府"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_furniture_in_any_passage(name):
    for passage in _report(name).passages:
        assert not any(f in passage.text for f in ("扫一扫", "bookmark", "_GoBack")), passage.text


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_passages_are_the_body_minus_furniture_in_order(name):
    text = _text(name)
    for furniture in FURNITURE:
        text = text.replace(furniture, "")
    assert "".join(_squeeze(p.text) for p in _report(name).passages) == _squeeze(text)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_passages_are_original_stripped_paragraphs(name):
    report = _report(name)
    assert all(p.text and p.text == p.text.strip() for p in report.passages)
    assert all(p.section in SECTIONS for p in report.passages)
    assert report.passages[0].section == "概述"


def test_003_unheaded_problems_and_plans():
    report = _report("003_e2e0df3e9e7d89cd.txt")
    assert _starting(report, "我县法治政府建设在取得成绩的同时").section == "问题不足"
    assert _starting(report, "2025年，曲沃县将").section == "工作计划"
    assert _starting(report, "曲沃县2024年法治政府建设年度报告").section == "概述"


def test_003_heading_glued_to_bookmark_and_arabic_top_heading():
    report = _report("003_e2e0df3e9e7d89cd.txt")
    glued = _starting(report, "（一）全面开展专项清理整治")
    assert glued.heading == "二、以创优法治化营商环境为抓手，全力助推经济社会高质量发展 › （一）全面开展专项清理整治"
    assert glued.section == "举措成效"
    assert _starting(report, "（二）坚持法治政府建设高位推动").heading.startswith("1、 以习近平法治思想为引领")


def test_002_combined_heading_splits_problems_and_plans():
    report = _report("002_09ab2a23c5e0d572.txt")
    problems = _starting(report, "过去的一年")
    plans = _starting(report, "2025年,我区将")
    assert (problems.section, plans.section) == ("问题不足", "工作计划")
    assert problems.heading == plans.heading == "三、存在的不足及2025年工作打算"


def test_002_signature_lines_are_other():
    report = _report("002_09ab2a23c5e0d572.txt")
    assert [(p.text, p.section, p.heading) for p in report.passages[-3:]] == [
        ("中国共产党长沙市岳麓区委员会", "其他", ""),
        ("长沙市岳麓区人民政府", "其他", ""),
        ("2025228", "其他", ""),
    ]


def test_002_heading_glued_without_a_full_stop():
    report = _report("002_09ab2a23c5e0d572.txt")
    passage = _starting(report, "(三)持续推进严格规范公正文明执法")
    assert passage.heading == "二、推进法治政府建设的主要举措和成效 › (三)持续推进严格规范公正文明执法"


def test_000_sections_follow_the_headings():
    report = _report("000_02c746c2ec6526e7.txt")
    assert report.title == "长治市2024年法治政府建设年度报告"
    assert _starting(report, "2024年,我市坚持").section == "概述"
    assert _starting(report, "(五)健全矛盾纠纷化解体系").heading == (
        "一、2024年主要举措及成效 › (五)健全矛盾纠纷化解体系,社会公平正义充分彰显"
    )
    assert _starting(report, "与新时代新要求相比").section == "问题不足"
    assert _starting(report, "2025年,我市将").section == "工作计划"
    assert _starting(report, "(一)深入学习贯彻习近平法治思想").section == "工作计划"


def test_001_duty_and_problem_sections():
    report = _report("001_c8c184c9724ced57.txt")
    assert _starting(report, "坚持把学习贯彻习近平法治思想作为重要政治任务").section == "履职情况"
    assert _starting(report, "一是在学深悟透").section == "问题不足"
    assert _starting(report, "一是压紧压实").section == "工作计划"


def test_004_headings_on_their_own_lines_and_unheaded_plans():
    report = _report("004_a086ccad46f82d58.txt")
    heading = _starting(report, "(二)多措并举赋能聚力")
    assert heading.text == "(二)多措并举赋能聚力,持续优化法治化营商环境"
    body = _starting(report, "一是开展“证照分离”改革全覆盖工作")
    assert body.heading == "一、推进法治政府建设的主要举措和成效 › (二)多措并举赋能聚力,持续优化法治化营商环境"
    assert _starting(report, "2023年,我市法治政府建设虽取得").section == "问题不足"
    assert _starting(report, "一是强化组织领导").section == "履职情况"
    assert _starting(report, "2024年是全面推进").section == "工作计划"
    assert report.publish_date is None and report.issuer is None
