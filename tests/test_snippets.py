"""Marking occurrences and cutting snippets."""

import html
import re

from search.query import parse_query
from search.snippets import (
    SNIPPET_WHOLE_MAX,
    best_window,
    mark,
    match_spans,
    merge_spans,
    occurrence_spans,
    query_spans,
    snippet,
)


def unmark(s: str) -> str:
    return html.unescape(re.sub(r"</?mark>", "", s))


def test_match_spans_in_original_offsets_and_count():
    spans, count = match_spans("“枫桥经验”，楓橋經驗。", ("枫桥经验",))
    assert spans == [(1, 5), (7, 11)]
    assert count == 2


def test_overlapping_literals_merge_but_count_separately():
    spans, count = match_spans("法治政府建设", ("法治政府", "政府建设"))
    assert spans == [(0, 6)]
    assert count == 2


def test_merge_spans():
    assert merge_spans([(5, 7), (0, 2), (1, 3), (7, 8)]) == [(0, 3), (5, 8)]


def test_mark_escapes_everything_else():
    out = mark("<b>枫桥</b>&", [(3, 5)])
    assert out == "&lt;b&gt;<mark>枫桥</mark>&lt;/b&gt;&amp;"


def test_short_passage_is_shown_whole():
    text = "践行新时代“枫桥经验”。"
    spans, _ = match_spans(text, ("枫桥经验",))
    assert snippet(text, spans) == "践行新时代“<mark>枫桥经验</mark>”。"


def test_long_passage_window_has_every_occurrence_it_shows_marked():
    text = "甲" * 300 + "枫桥经验" + "乙" * 30 + "枫桥经验" + "丙" * 300
    spans, count = match_spans(text, ("枫桥经验",))
    out = snippet(text, spans)
    assert count == 2
    assert out.count("<mark>枫桥经验</mark>") == 2
    shown = unmark(out).strip("…")
    assert len(shown) >= 120
    assert shown in text
    assert out.startswith("…") and out.endswith("…")


def test_window_never_cuts_a_match():
    spans = [(95, 105)]
    start, end = best_window(400, spans, 100)
    assert start <= 95 and end >= 105


def test_long_passage_without_matches_shows_its_start():
    text = "甲" * (SNIPPET_WHOLE_MAX + 50)
    out = snippet(text, [])
    assert out.startswith("甲") and out.endswith("…")


def test_a_highlight_covers_the_whole_run_of_dashes():
    text = "实施2021——2025年规划"
    spans, count = query_spans(text, parse_query("2021-2025年"))
    assert [text[s:e] for s, e in spans] == ["2021——2025年"] and count == 1
    assert unmark(snippet(text, spans)) == text


def test_query_spans_mark_only_the_partners_of_a_proximity_pair():
    text = "枫桥经验促调解。后来调解了很久很久很久，又说枫桥经验"
    spans, count = query_spans(text, parse_query("枫桥经验 NEAR/2 调解"))
    assert [text[s:e] for s, e in spans] == ["枫桥经验", "调解"] and count == 2


def test_query_spans_leave_excluded_terms_unmarked_and_count_like_match_spans():
    text = "“枫桥经验”，楓橋經驗。信访"
    assert query_spans(text, parse_query("枫桥经验 OR -信访")) == match_spans(text, ("枫桥经验",))
    assert occurrence_spans(text, parse_query("(枫桥经验 OR 信访) 楓橋")) == [(1, 5), (1, 3), (7, 11), (7, 9), (12, 14)]
