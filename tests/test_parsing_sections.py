"""Headings in every numbering style, and the section each paragraph belongs to."""

import pytest

from indexer.sections import (
    HeadingMarker,
    heading_marker,
    heading_text,
    numeral_value,
    place_paragraphs,
    section_from_opening,
    sections_named,
)


@pytest.mark.parametrize(
    ("paragraph", "style", "number"),
    [
        ("一、主要举措和成效", "chinese", 1),
        ("  十、其他", "chinese", 10),
        ("1、 以习近平法治思想为引领", "arabic", 1),
        ("2.规范执法", "arabic", 2),
        ("(一)坚持党的全面领导", "paren", 1),
        ("（十二）优化服务", "paren", 12),
        ("(3)开展培训", "paren-arabic", 3),
    ],
)
def test_heading_markers_in_every_style(paragraph, style, number):
    marker = heading_marker(paragraph)
    assert (marker.style, marker.number) == (style, number)


@pytest.mark.parametrize(
    "paragraph",
    [
        "2024年,我市坚持依法行政。",
        "1.5万件案件办结。",
        "一是强化组织领导。",
        "坚持学法。",
        "（一二）问题严把审查。",
        "五八、中全部办结率。",
    ],
)
def test_not_headings(paragraph):
    assert heading_marker(paragraph) is None


def test_marker_length_covers_leading_space_and_full_width_brackets():
    assert heading_marker("  （一）学法") == HeadingMarker("paren", 1, 5)


@pytest.mark.parametrize(
    ("numeral", "value"), [("一", 1), ("十", 10), ("十二", 12), ("二十", 20), ("九十九", 99), ("7", 7)]
)
def test_numeral_values(numeral, value):
    assert numeral_value(numeral) == value


def test_heading_on_its_own_line_is_all_heading():
    assert heading_text("二、存在问题和不足") == ("二、存在问题和不足", False)


def test_heading_glued_to_its_paragraph_ends_at_the_first_full_stop():
    paragraph = "(一)坚持党的全面领导,确保法治政府建设始终沿着正确方向推进。一是充分发挥党委作用。"
    assert heading_text(paragraph) == ("(一)坚持党的全面领导,确保法治政府建设始终沿着正确方向推进", True)


def test_heading_glued_without_a_full_stop_ends_before_yishi():
    paragraph = "（三）持续推进严格规范公正文明执法一是开展行政执法质量提升行动。"
    assert heading_text(paragraph) == ("（三）持续推进严格规范公正文明执法", True)


def test_heading_that_ends_with_a_full_stop_alone_is_not_glued():
    assert heading_text("(一)深入学习贯彻习近平法治思想。") == ("(一)深入学习贯彻习近平法治思想", False)


def test_long_unpunctuated_numbered_line_is_cut_at_its_first_clause():
    paragraph = "(二)优化营商环境，" + "持续深化改革" * 12
    assert heading_text(paragraph) == ("(二)优化营商环境", True)


@pytest.mark.parametrize(
    ("heading", "sections"),
    [
        ("一、2024年主要举措及成效", ("举措成效",)),
        ("一、工作举措和成效", ("举措成效",)),
        ("一、坚持党的领导，法治政府建设取得新成效", ("举措成效",)),
        ("二、以创优法治化营商环境为抓手，全力助推经济社会高质量发展", ("举措成效",)),
        ("1、 以习近平法治思想为引领，全面加强法治政府建设统筹力度", ("举措成效",)),
        ("二、党政主要负责人履行推进法治建设第一责任人职责情况", ("履职情况",)),
        ("三、党政主要负责人履行推进法治建设第一责任人职责,加强推动法治政府建设情况", ("履职情况",)),
        ("二、存在问题和不足", ("问题不足",)),
        ("二、推进法治政府建设存在的不足和原因", ("问题不足",)),
        ("三、2025年工作安排", ("工作计划",)),
        ("四、下一步工作计划", ("工作计划",)),
        ("三、存在的不足及2025年工作打算", ("问题不足", "工作计划")),
        ("五、其他需要报告的情况", ("其他",)),
        ("(二)优化涉企服务", ()),
    ],
)
def test_sections_named_by_headings(heading, sections):
    assert sections_named(heading) == sections


@pytest.mark.parametrize(
    ("paragraph", "section"),
    [
        ("我县法治政府建设在取得成绩的同时，还存在一些不足，主要是：少数单位……", "问题不足"),
        ("过去的一年,我区法治建设取得较大成效,但距离上级要求还有差距,主要表现在:一是……", "问题不足"),
        ("当前存在的问题主要有:一是……", "问题不足"),
        ("成绩的背后,但也存在一些问题。", "问题不足"),
        ("2025年,我区将继续坚持以习近平新时代中国特色社会主义思想为指导。", "工作计划"),
        ("2025年是试点总结提升之年,忻州市将聚焦重大部署。", "工作计划"),
        ("下一步,我们将持续推进依法行政。", "工作计划"),
        ("2024年共收到行政应诉案件71件。", None),
        ("2024年,我县将法治建设纳入年度考核。", None),  # the covered year: work done, not a plan
        ("针对执法中存在的问题,开展专项整治。", None),
        ("落实《纲要(2021—2025年)》,2025年前完成。", None),
    ],
)
def test_section_from_opening_phrases(paragraph, section):
    assert section_from_opening(paragraph, report_year=2024) == section


def _placed(paragraphs, **kwargs):
    return [(p.section, p.heading) for p in place_paragraphs(paragraphs, **kwargs)]


def test_title_and_opening_are_overview_and_headings_form_a_path():
    paragraphs = [
        "某县2024年法治政府建设年度报告",
        "2024年,我县坚持依法行政。",
        "一、主要举措和成效",
        "(一)加强学法。组织学法12次。",
        "一是会前学法。二是专题学法。",
        "二、存在问题和不足",
        "部分干部法治意识不强。",
    ]
    assert _placed(paragraphs, title_count=1, report_year=2024) == [
        ("概述", ""),
        ("概述", ""),
        ("举措成效", "一、主要举措和成效"),
        ("举措成效", "一、主要举措和成效 › (一)加强学法"),
        ("举措成效", "一、主要举措和成效 › (一)加强学法"),
        ("问题不足", "二、存在问题和不足"),
        ("问题不足", "二、存在问题和不足"),
    ]


def test_combined_heading_labels_each_paragraph_by_its_content():
    paragraphs = [
        "三、存在的不足及2025年工作打算",
        "过去的一年,我区法治建设取得较大成效,但还有差距,主要表现在:一是……",
        "2025年,我区将继续推进法治政府建设。",
    ]
    heading = "三、存在的不足及2025年工作打算"
    assert _placed(paragraphs, report_year=2024) == [
        ("问题不足", heading),
        ("问题不足", heading),
        ("工作计划", heading),
    ]


def test_combined_heading_sub_headings_name_their_section():
    paragraphs = ["三、存在问题及下一步打算", "(一)存在的问题。一是……", "(二)下一步工作打算。一是……"]
    assert [p.section for p in place_paragraphs(paragraphs)] == ["问题不足", "问题不足", "工作计划"]


def test_unheaded_parts_are_found_from_their_opening_and_leave_the_previous_heading():
    paragraphs = [
        "五、以践行法治为民理念为目标，持续优化公共法律服务供给",
        "（一）提升公共法律服务水平。全年解答咨询2710件。",
        "我县在取得成绩的同时，还存在一些不足，主要是：……",
        "2025年，曲沃县将坚持依法行政。",
    ]
    assert _placed(paragraphs, report_year=2024) == [
        ("举措成效", "五、以践行法治为民理念为目标，持续优化公共法律服务供给"),
        ("举措成效", "五、以践行法治为民理念为目标，持续优化公共法律服务供给 › （一）提升公共法律服务水平"),
        ("问题不足", ""),
        ("工作计划", ""),
    ]


def test_content_never_moves_a_paragraph_back_through_the_outline():
    paragraphs = ["三、下一步工作计划", "2025年,我市将整改存在的问题。", "但仍存在一些不足需要解决。"]
    assert [p.section for p in place_paragraphs(paragraphs, report_year=2024)] == ["工作计划"] * 3


def test_arabic_numbering_is_top_level_only_when_it_numbers_the_top_headings():
    paragraphs = ["1、 以学法为引领", "（一）学法。", "二、存在问题", "1、部分干部法治意识不强。"]
    headings = [p.heading for p in place_paragraphs(paragraphs)]
    assert headings == [
        "1、 以学法为引领",
        "1、 以学法为引领 › （一）学法",
        "二、存在问题",
        "二、存在问题 › 1、部分干部法治意识不强",
    ]


def test_closing_lines_are_other():
    paragraphs = ["一、主要举措和成效", "正文。", "某县人民政府", "2025年3月1日"]
    assert _placed(paragraphs, closing_count=2) == [
        ("举措成效", "一、主要举措和成效"),
        ("举措成效", "一、主要举措和成效"),
        ("其他", ""),
        ("其他", ""),
    ]


def test_the_opening_paragraph_is_overview_whatever_it_says():
    paragraphs = ["2024年,我县法治建设取得成效,但仍存在差距。"]
    assert [p.section for p in place_paragraphs(paragraphs, report_year=2024)] == ["概述"]


def test_a_sub_part_on_the_heads_duty_under_the_measures_is_labelled_duty():
    paragraphs = [
        "一、坚持党的领导,法治政府建设取得新成效",
        "(一)深入学习贯彻习近平法治思想。组织学法12次。",
        "(二)切实履行推进法治建设第一责任人职责。主要负责同志带头述法。",
        "主要负责同志带头述法。",
        "(三)强化统筹协调。完善议事协调机制。",
    ]
    assert [s for s, _ in _placed(paragraphs, report_year=2024)] == [
        "举措成效",
        "举措成效",
        "履职情况",
        "履职情况",
        "举措成效",
    ]
