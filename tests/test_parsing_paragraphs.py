"""One paragraph per line, unless the text was hard-wrapped."""

from indexer.paragraphs import split_paragraphs, wrap_width


def test_each_non_empty_line_is_a_paragraph_stripped():
    text = "\n  标题  \n\n第一段。\n第二段。\n   \n"
    assert split_paragraphs(text) == ["标题", "第一段。", "第二段。"]


def test_unwrapped_text_has_no_wrap_width():
    assert wrap_width(["一、举措", "(一)学法。", "2024年,我市坚持依法行政。"]) is None


WRAPPED = """一、主要举措和成效
全市各级各部门深入学习贯彻习近平法治思想，推动法
治政府建设取得新成效，行政执法质量不断提升，矛盾
纠纷多元化解机制不断健全，营商环境持续优化，社会
治理水平稳步提高。
二、存在问题和不足
部分单位法治意识不强。"""


def test_hard_wrapped_lines_are_joined_back_into_their_paragraph():
    assert split_paragraphs(WRAPPED) == [
        "一、主要举措和成效",
        "全市各级各部门深入学习贯彻习近平法治思想，推动法治政府建设取得新成效，行政执法质量不断提升，矛盾"
        "纠纷多元化解机制不断健全，营商环境持续优化，社会治理水平稳步提高。",
        "二、存在问题和不足",
        "部分单位法治意识不强。",
    ]


def test_a_blank_line_always_ends_a_paragraph():
    text = WRAPPED.replace("推动法\n", "推动法\n\n")
    assert "全市各级各部门深入学习贯彻习近平法治思想，推动法" in split_paragraphs(text)
