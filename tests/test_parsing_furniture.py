"""Page furniture never reaches a passage."""

import pytest

from indexer.furniture import is_furniture_line, strip_furniture


@pytest.mark.parametrize(
    "line",
    [
        "扫一扫在手机打开",
        "扫一扫在手机打开当前页面",
        "  扫一扫在手机打开当前页面  ",
        "[bookmark: _GoBack]",
        "【打印本页】【关闭窗口】",
    ],
)
def test_furniture_lines(line):
    assert is_furniture_line(line)


@pytest.mark.parametrize("line", ["", "一、主要举措和成效", "中", "打印本页的材料已归档。", "关闭违规企业3家。"])
def test_report_lines_are_not_furniture(line):
    assert not is_furniture_line(line)


def test_bookmark_glued_to_a_heading_is_removed_and_the_heading_kept():
    assert strip_furniture("[bookmark: _GoBack]二、存在问题") == "二、存在问题"


def test_furniture_lines_become_empty_and_other_lines_keep_their_places():
    text = "一、举措\n扫一扫在手机打开\n正文。"
    assert strip_furniture(text).split("\n") == ["一、举措", "", "正文。"]


def test_scan_prompt_glued_to_the_last_sentence_is_removed():
    assert strip_furniture("特此报告。扫一扫在手机打开当前页面") == "特此报告。"
