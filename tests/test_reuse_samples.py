"""Text reuse on the five real samples (issue #14's acceptance: "list what is found and check by eye that each is
real shared text"). Every span found, checked by eye, is boilerplate of these reports: the opening
formula 坚持以习近平新时代中国特色社会主义思想为指导, the mandated section heading
党政主要负责人履行推进法治建设第一责任人职责, the plenums' formula, a Party document's phrase and a State
Council document's title. The listing is in BENCHMARKS.md ("Text reuse on the five samples"); the rule that
finds them (spans of 20 characters) in search/reuse.py."""

from __future__ import annotations

import pytest

from search import comparison_form, fold, open_engine
from search.reuse import MIN_SPAN, union_length

pytestmark = pytest.mark.acceptance

OPENING = "坚持以习近平新时代中国特色社会主义思想为指导,"
RESPONSIBLE = "党政主要负责人履行推进法治建设第一责任人职责"
PLENUMS = "贯彻党的二十大和二十届二中、三中全会精神"
# (place, passage number, place, passage number, the shared text in comparison form: □ a place name or a year)
FOUND = {
    ("岳麓区", 2, "忻州市", 1, ",□" + OPENING + "深"),
    ("岳麓区", 2, "曲沃县", 2, ",□" + OPENING + "深"),
    ("岳麓区", 2, "曲沃县", 24, OPENING + "深"),
    ("岳麓区", 2, "灵武市", 1, ",□" + OPENING),
    ("岳麓区", 2, "长治市", 1, ",□" + OPENING),
    ("岳麓区", 2, "长治市", 12, OPENING),
    ("岳麓区", 6, "忻州市", 25, RESPONSIBLE),
    ("岳麓区", 6, "忻州市", 28, RESPONSIBLE),
    ("岳麓区", 6, "曲沃县", 6, RESPONSIBLE),
    ("岳麓区", 6, "灵武市", 9, RESPONSIBLE),
    ("岳麓区", 15, "忻州市", 1, OPENING),
    ("岳麓区", 15, "曲沃县", 2, OPENING),
    ("岳麓区", 15, "曲沃县", 24, OPENING),
    ("岳麓区", 15, "灵武市", 1, OPENING + "全面"),
    ("岳麓区", 15, "长治市", 1, OPENING + "全面"),
    ("岳麓区", 15, "长治市", 12, OPENING),
    ("忻州市", 1, "曲沃县", 2, "□年,□" + OPENING + "深入学习贯彻党的二十大"),
    ("忻州市", 1, "曲沃县", 24, OPENING + "深入学习贯彻"),
    ("忻州市", 1, "灵武市", 1, "□年,□" + OPENING),
    ("忻州市", 1, "长治市", 1, "□年,□" + OPENING),
    ("忻州市", 1, "长治市", 12, OPENING),
    ("忻州市", 25, "曲沃县", 6, RESPONSIBLE),
    ("忻州市", 25, "灵武市", 9, "、" + RESPONSIBLE),
    ("忻州市", 26, "长治市", 3, "提高领导干部运用法治思维和法治方式的能力"),
    ("忻州市", 28, "曲沃县", 6, RESPONSIBLE),
    ("忻州市", 28, "灵武市", 9, RESPONSIBLE + "情况"),
    ("曲沃县", 2, "灵武市", 1, "□年,□" + OPENING),
    ("曲沃县", 2, "灵武市", 1, PLENUMS + ","),
    ("曲沃县", 2, "长治市", 1, "□年,□" + OPENING),
    ("曲沃县", 2, "长治市", 12, OPENING),
    ("曲沃县", 2, "长治市", 13, PLENUMS),
    ("曲沃县", 4, "灵武市", 1, PLENUMS + ","),
    ("曲沃县", 4, "长治市", 13, "学习宣传" + PLENUMS),
    ("曲沃县", 6, "灵武市", 9, RESPONSIBLE),
    ("曲沃县", 24, "灵武市", 1, OPENING),
    ("曲沃县", 24, "灵武市", 14, "《国务院办公厅关于严格规范涉企行政检查的意见》,"),
    ("曲沃县", 24, "长治市", 1, OPENING),
    ("曲沃县", 24, "长治市", 12, "□年,□将" + OPENING),
    ("灵武市", 1, "长治市", 1, "□年,□" + OPENING + "全面贯彻"),
    ("灵武市", 1, "长治市", 1, "党的二十大和二十届二中、三中全会精神,深入学习贯彻习近平法治思想,"),
    ("灵武市", 1, "长治市", 12, OPENING),
    ("灵武市", 1, "长治市", 13, PLENUMS),
    ("灵武市", 10, "长治市", 3, "把学习贯彻习近平法治思想作为重要政治任务,"),
}


def _place(report) -> str:
    return report.region.county or report.region.prefecture


@pytest.fixture(scope="module")
def sample_reuse(corpus_index, corpus_engine):
    snap = open_engine(corpus_index, corpus_engine).snapshot()
    return snap, {p.passage_id: (r, p) for r in snap.report_list for p in r.passages}


def test_the_samples_share_their_boilerplate_and_nothing_else(sample_reuse):
    snap, passages = sample_reuse
    found = set()
    for pid, (report, passage) in passages.items():
        for link in snap.reuse.passage(pid).links:
            other_report, other = passages[link.passage_id]
            assert not link.whole  # formulae inside otherwise different passages
            for s in link.spans:
                mine = comparison_form(fold(passage.text[s.start : s.end]))[0]
                theirs = comparison_form(fold(other.text[s.other_start : s.other_end]))[0]
                assert mine == theirs and len(mine) >= MIN_SPAN  # the same text, once compared
                key = (_place(report), passage.number, _place(other_report), other.number, mine.replace("\ue000", "□"))
                if key[:2] < key[2:4]:
                    found.add(key)
    assert found == FOUND


def test_the_spans_shown_are_the_real_texts_of_each_report(sample_reuse):
    snap, passages = sample_reuse
    by_place = {(_place(r), p.number): p for r, p in passages.values()}
    quwo, xinzhou = by_place[("曲沃县", 2)], by_place[("忻州市", 1)]
    (link,) = [link for link in snap.reuse.passage(quwo.passage_id).links if link.passage_id == xinzhou.passage_id]
    (span,) = link.spans
    assert (
        quwo.text[span.start : span.end]
        == "2024年，曲沃县坚持以习近平新时代中国特色社会主义思想为指导，深入学习贯彻党的二十大"
    )
    assert xinzhou.text[span.other_start : span.other_end] == (
        "2023年,忻州市坚持以习近平新时代中国特色社会主义思想为指导,深入学习贯彻党的二十大"
    )
    # The mandated heading: in four reports, the earliest 忻州市's 2023 report.
    heading = snap.reuse.passage(by_place[("灵武市", 9)].passage_id)
    assert (heading.reports, heading.passages) == (3, 4)
    assert heading.earliest is not None and (heading.earliest.region.prefecture, heading.earliest.year) == (
        "忻州市",
        2023,
    )


def test_originality_discounts_the_boilerplate_found_in_earlier_reports(sample_reuse):
    snap, passages = sample_reuse
    originality = {_place(r): snap.reuse.report_originality(r.report_id) for r in snap.report_list}
    # 忻州市 2023 is the earliest: what it shares is its own. 岳麓区 (2024, dated) shares with it; the three undated
    # 2024 reports with both (among themselves they are contemporaries: ties, not copies).
    assert originality["忻州市"] == 1.0
    for place in ("岳麓区", "长治市", "灵武市", "曲沃县"):
        assert 0.95 < originality[place] < 1.0, place
    # Exactly the characters of the spans shared with earlier reports: for 岳麓区 (dated), 忻州市's only.
    yuelu = next(r for r in snap.report_list if _place(r) == "岳麓区")
    earlier = 0
    for p in yuelu.passages:
        links = snap.reuse.passage(p.passage_id).links
        earlier += union_length([(s.start, s.end) for link in links if link.year == 2023 for s in link.spans])
    # 第2段 and 第15段 open with the formula, 第6段 is the mandated heading: all three in 忻州市's 2023 report.
    assert earlier == len(",我区坚持以习近平新时代中国特色社会主义思想为指导,深") + len(OPENING) + len(RESPONSIBLE)
    assert originality["岳麓区"] == pytest.approx(1 - earlier / sum(len(p.text) for p in yuelu.passages), abs=1e-4)


def test_the_passages_holding_a_formula_and_no_others_are_shared(sample_reuse):
    snap, passages = sample_reuse
    shared = snap.reuse.shared_rows()
    assert shared.sum() == len({(a, n) for a, n, *_ in FOUND} | {(b, m) for _, _, b, m, _ in FOUND})
