"""Text reuse (issue #14): the comparison form, fingerprints and exact verification as pure functions; reuse
written with each generation by both engines and read back from ``snap.reuse``; planted reuse found with
precision and recall of at least 0.95 and exact spans; boilerplate stored as groups; incremental updates."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager

import numpy as np
import pytest

from fazhi.reuse_corpus import generated_reports
from search import fold, index_writer, open_engine
from search.arrays import ARRAYS_PREFIX, remove_arrays, write_arrays
from search.models import Region
from search.reuse import MIN_SPAN, REUSE_PREFIX, ReuseIndex, SharedSpan, time_ranks, union_length, union_lengths
from search.reuse_build import (
    GROUP_DF,
    K,
    W,
    build_reuse,
    compare,
    comparison_form,
    fingerprints,
    shared_blocks,
)
from tests.conftest import make_report

# Text written for these tests (not from any report): 60 and more characters each.
FORMULA = (
    "坚持以习近平新时代中国特色社会主义思想为指导全面贯彻落实党的二十大精神"
    "深入学习贯彻习近平法治思想扎实推进法治政府建设"
)
OTHER = "市场监管部门围绕优化营商环境开展专项行动清理涉企收费事项规范行政检查频次减轻市场主体负担群众满意度明显提高"
THIRD = "司法行政机关组织律师公证调解力量深入乡村社区提供法律咨询服务化解邻里纠纷推动公共法律服务体系向基层延伸取得实效"


# The comparison form.
def test_place_names_self_references_and_digits_become_one_placeholder():
    form, starts, ends = comparison_form(fold("2023年，灵武市坚持"))
    assert form == "\ue000年,\ue000坚持"
    assert (starts, ends) == ([0, 4, 5, 6, 9, 10], [4, 5, 6, 9, 10, 11])
    assert comparison_form("我县坚持")[0] == comparison_form("我区坚持")[0] == comparison_form("本市坚持")[0]
    assert comparison_form("青铜峡市")[0] == comparison_form("灵武市")[0] == comparison_form("青铜峡")[0] == "\ue000"
    assert comparison_form("灵武")[0] == "灵武"  # two-character short names are too often everyday words


def test_everyday_words_that_are_also_short_names_stay_text():
    assert comparison_form("平安建设")[0] == "平安建设"
    assert comparison_form("文明建设")[0] != comparison_form("平安建设")[0]


# Fingerprints and verification.
def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def test_texts_sharing_a_stretch_of_k_plus_w_minus_1_characters_share_a_fingerprint():
    stretch = FORMULA[: K + W - 1]
    a = "甲乙丙丁戊己庚辛" + stretch + OTHER
    b = THIRD + stretch + "子丑寅卯辰巳午未"
    _, ha = fingerprints(_codes(a))
    _, hb = fingerprints(_codes(b))
    assert set(ha.tolist()) & set(hb.tolist())


def test_shared_blocks_are_maximal_and_do_not_overlap():
    assert shared_blocks("甲乙丙丁戊己庚辛壬癸子丑", "子丑甲乙丙丁戊己庚辛", 4) == [(0, 2, 8)]
    assert shared_blocks("甲乙丙丁", "戊己庚辛", 2) == []


def test_a_span_inside_otherwise_different_passages_counts_from_twenty_characters():
    assert MIN_SPAN == K + W - 1 == 20  # every span that counts holds a fingerprint
    a = OTHER + FORMULA + "甲乙丙"
    b = THIRD + FORMULA + "子丑寅"
    whole, blocks = compare(a, b)
    assert not whole
    assert blocks == [(len(OTHER), len(THIRD), len(FORMULA))]
    formula = "党政主要负责人履行推进法治建设第一责任人职责"  # 22 characters, in four of the five samples
    assert compare(OTHER + formula, THIRD + formula) == (False, [(len(OTHER), len(THIRD), 22)])
    assert compare(OTHER + FORMULA[:20], THIRD + FORMULA[:20]) == (False, [(len(OTHER), len(THIRD), 20)])
    assert compare(OTHER + FORMULA[:19], THIRD + FORMULA[:19]) == (False, [])


def test_every_span_of_min_span_characters_is_found_wherever_it_sits():
    """Fingerprints promise nothing below K + W - 1 characters: at MIN_SPAN every placement is found, exactly."""
    rng = np.random.default_rng(3)
    alphabet = np.array([chr(c) for c in range(0x4E00, 0x4E00 + 3000)])
    reports, expected = [], set()
    for n in range(40):
        stretch = "".join(rng.choice(alphabet, MIN_SPAN))
        left, right = (int(x) for x in rng.integers(0, 60, 2))
        a = "".join(rng.choice(alphabet, left)) + stretch + "".join(rng.choice(alphabet, 30))
        b = "".join(rng.choice(alphabet, right)) + stretch[:-1] + "".join(rng.choice(alphabet, 30))
        c = "".join(rng.choice(alphabet, right)) + stretch + "".join(rng.choice(alphabet, 30))
        place = Region("山西省", "临汾市", "曲沃县")
        reports.append(make_report(f"a{n}", "a.txt", place, 2023, [(a, "概述", "")]))
        reports.append(make_report(f"b{n}", "b.txt", place, 2023, [(b, "概述", "")]))  # one character short
        reports.append(make_report(f"c{n}", "c.txt", place, 2024, [(c, "概述", "")]))
        expected.add((f"a{n}-p1", f"c{n}-p1", left, left + MIN_SPAN, right, right + MIN_SPAN))
    index = _index(reports)
    found = set()
    for report in reports:
        pid = report.passages[0].passage_id
        for link in index.passage(pid).links:
            found.update((pid, link.passage_id, *s.to_dict().values()) for s in link.spans)
    assert {f for f in found if f[0] < f[1]} == expected


def test_a_whole_passage_with_small_edits_is_a_near_duplicate():
    edited = FORMULA[:20] + "乙" + FORMULA[21:40] + "丙" + FORMULA[41:]
    whole, blocks = compare(FORMULA, edited)
    assert whole
    assert [size for _, _, size in blocks] == [20, 19, len(FORMULA) - 41]


def test_time_ranks_and_union_length():
    assert time_ranks(np.array([2022, 2021, 0, 2021]), np.array(["", "2022-03-01", "", "2022-03-01"])).tolist() == [
        1,
        0,
        2,
        0,
    ]
    assert union_length([(0, 10), (5, 20), (30, 31)]) == 21


# Reuse of a generation.
def _reports():
    """Four governments: 灵武市 2021 first with the formula; 青铜峡市 2022 copies it (灵武市 → 青铜峡市,
    2021 → 2022); 岳麓区 and 曲沃县 use it in 2023, the same day; 曲沃县 also copies 灵武市's other passage whole."""
    ling = make_report(
        "ling",
        "a.txt",
        Region("宁夏回族自治区", "银川市", "灵武市"),
        2021,
        [("灵武市2021年法治政府建设年度报告", "概述", ""), (f"2021年，灵武市{FORMULA}。{OTHER}", "概述", "")],
    )
    qing = make_report(
        "qing",
        "b.txt",
        Region("宁夏回族自治区", "吴忠市", "青铜峡市"),
        2022,
        [("青铜峡市2022年法治政府建设年度报告", "概述", ""), (f"2022年，青铜峡市{FORMULA}。{THIRD}", "概述", "")],
    )
    yue = make_report(
        "yue",
        "c.txt",
        Region("湖南省", "长沙市", "岳麓区"),
        2023,
        [("岳麓区2023年法治政府建设年度报告", "概述", ""), (f"我区{FORMULA}，甲乙丙丁。", "概述", "")],
    )
    qu = make_report(
        "qu",
        "d.txt",
        Region("山西省", "临汾市", "曲沃县"),
        2023,
        [
            ("曲沃县2023年法治政府建设年度报告", "概述", ""),
            (f"我县{FORMULA}，子丑寅卯。", "概述", ""),
            (OTHER, "举措成效", ""),
        ],
    )
    from dataclasses import replace

    return [replace(r, publish_date="2024-03-01" if r.year == 2023 else None) for r in (ling, qing, yue, qu)]


def _index(reports, **kwargs) -> ReuseIndex:
    return ReuseIndex(build_reuse(reports, {p.passage_id: fold(p.text) for r in reports for p in r.passages}, **kwargs))


def test_a_passage_lists_where_else_its_text_is_with_the_real_spans():
    reports = _reports()
    index = _index(reports)
    reuse = index.passage("qing-p2")
    assert (reuse.reports, reuse.passages) == (3, 3)
    assert [link.report_id for link in reuse.links] == ["ling", "yue", "qu"]  # earliest first
    first = reuse.links[0]
    text = reports[1].passages[1].text
    other = reports[0].passages[1].text
    (span,) = first.spans
    # The span shown is the real text of each: 青铜峡市 here, 灵武市 there; the years as written.
    assert text[span.start : span.end] == f"2022年，青铜峡市{FORMULA}。"
    assert other[span.other_start : span.other_end] == f"2021年，灵武市{FORMULA}。"
    assert not first.whole and first.shared_chars == span.end - span.start
    assert reuse.earliest is not None and (reuse.earliest.report_id, reuse.earliest.year) == ("ling", 2021)
    assert reuse.earliest.passage_id == "ling-p2" and not reuse.tie


def test_the_earliest_holder_links_to_itself_and_ties_are_said():
    index = _index(_reports())
    own = index.passage("ling-p2")
    assert own.earliest is not None and own.earliest.passage_id == "ling-p2"
    assert index.passage("ling-p2").to_dict()["earliest"] == {
        "report_id": "ling",
        "passage_id": "ling-p2",
        "year": 2021,
        "region": Region("宁夏回族自治区", "银川市", "灵武市").to_dict(),
    }
    # 岳麓区 and 曲沃县 (same year, same date) are tied only with each other, after 灵武市: not the earliest tie.
    assert not index.passage("yue-p2").tie
    assert index.passage("ling-p1").links == () and index.passage("ling-p1").reports == 0


def test_whole_copies_are_flagged_and_headings_are_not_reuse():
    index = _index(_reports())
    (link,) = [link for link in index.passage("qu-p3").links if link.passage_id == "ling-p2"]
    assert link.spans[0].start == 0 and link.spans[0].end == len(OTHER)
    assert not link.whole  # OTHER is all of 曲沃县's passage but a part of 灵武市's
    titles = [index.passage(f"{r}-p1").reports for r in ("ling", "qing", "yue", "qu")]
    assert titles == [0, 0, 0, 0]  # "XX2023年法治政府建设年度报告" is 13 characters compared: too short


def test_shared_rows_originality_related_reports_and_between():
    reports = _reports()
    index = _index(reports)
    shared = index.shared_rows().tolist()
    assert shared == [False, True, False, True, False, True, False, True, True]
    originality = dict(zip([r.report_id for r in reports], index.originality().tolist(), strict=True))
    assert originality["ling"] == 1.0  # the first to write it
    qing = reports[1]
    chars = sum(len(p.text) for p in qing.passages)
    span = len(f"2022年，青铜峡市{FORMULA}。")
    assert originality["qing"] == pytest.approx(1 - span / chars)
    assert index.report_originality("qing") == pytest.approx(originality["qing"])
    related = index.related_reports("ling")
    assert [rid for rid, _ in related] == ["qu", "qing", "yue"]
    assert related[0][1] == len("灵武市") + len(FORMULA) + len(OTHER)  # 灵武市's characters, shared with 曲沃县
    pairs = index.between("qu", "ling")
    assert [(a, b) for a, b, _ in pairs] == [("qu-p2", "ling-p2"), ("qu-p3", "ling-p2")]
    assert index.between("qu", "nope") == []


def test_a_report_shares_nothing_with_itself():
    report = make_report(
        "one", "a.txt", Region("山西省", "临汾市", "曲沃县"), 2023, [(FORMULA, "概述", ""), (FORMULA, "概述", "")]
    )
    index = _index([report])
    assert not index.shared_rows().any()


# Planted reuse, on both engines.
def _found(snap_reuse: ReuseIndex, reports) -> dict[frozenset, object]:
    found = {}
    for report in reports:
        for p in report.passages:
            for link in snap_reuse.passage(p.passage_id).links:
                found[(p.passage_id, link.passage_id)] = link
    return found


def test_planted_reuse_is_found_with_exact_spans(tmp_path, engine_name):
    reports, planted = generated_reports(60, seed=7)
    kinds = {p.kind for p in planted.pairs}
    assert kinds == {"whole", "span", "formula"}
    index_dir = tmp_path / "idx"
    index_writer(engine_name)(index_dir, reports)
    snap = open_engine(index_dir, engine_name).snapshot()
    assert any(p.name.startswith(REUSE_PREFIX) for p in index_dir.iterdir())
    found = _found(snap.reuse, reports)
    pairs = {frozenset(k) for k in found}
    truth = planted.keys()
    true_positives = len(pairs & truth)
    assert true_positives / len(pairs) >= 0.95  # precision
    assert true_positives / len(truth) >= 0.95  # recall
    exact = 0
    for p in planted.pairs:
        link = found.get((p.source, p.copy))
        if p.kind == "span" and link is not None:
            spans = {(s.start, s.end, s.other_start, s.other_end) for s in link.spans}
            exact += (*p.source_span, *p.copy_span) in spans
        if p.kind == "whole" and link is not None:
            exact += link.whole
    assert exact == sum(p.kind in ("span", "whole") for p in planted.pairs)
    # Every span shown is the same text in both passages, once compared (place names, years).
    texts = {p.passage_id: p.text for r in reports for p in r.passages}
    for (a, b), link in found.items():
        for s in link.spans:
            if not link.whole:
                left = comparison_form(fold(texts[a][s.start : s.end]))[0]
                right = comparison_form(fold(texts[b][s.other_start : s.other_end]))[0]
                assert left == right


def test_boilerplate_held_by_many_passages_is_stored_as_a_group_not_as_pairs():
    holders = GROUP_DF + 12
    reports = _boilerplate_reports(holders)
    arrays = build_reuse(reports, {p.passage_id: fold(p.text) for r in reports for p in r.passages})
    index = ReuseIndex(arrays)
    assert len(arrays["group_rep"]) >= 1
    assert len(arrays["link_other"]) < holders  # not holders² pairs
    reuse = index.passage("r005-p1")
    assert (reuse.reports, reuse.passages) == (holders - 1, holders - 1)
    assert reuse.earliest is not None and reuse.earliest.report_id == "r000"
    text = reports[5].passages[0].text
    for link in reuse.links:
        (span,) = link.spans
        assert FORMULA in text[span.start : span.end]
    assert index.originality()[0] == 1.0 and index.originality()[-1] < 1.0
    built = []  # a page asks for the first links: only those are built, not one per holder
    link = index._link
    index._link = lambda *args: built.append(args) or link(*args)  # type: ignore[method-assign]
    first = index.passage("r005-p1", first=3)
    assert [x.report_id for x in first.links] == ["r000", "r001", "r002"] and len(built) == 3


def _filler(seed: int) -> str:
    """Sixty characters no other seed gives (drawn at random from the common CJK block)."""
    import random

    rng = random.Random(seed)
    return "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(60))


# Incremental updates.
def _links(index: ReuseIndex, reports) -> set[tuple[str, str, tuple]]:
    return {
        (p.passage_id, link.passage_id, link.spans)
        for r in reports
        for p in r.passages
        for link in index.passage(p.passage_id).links
    }


def test_adding_reports_finds_their_reuse_without_fingerprinting_the_rest_again(monkeypatch):
    reports, _ = generated_reports(40, seed=3)
    folded = {p.passage_id: fold(p.text) for r in reports for p in r.passages}
    first = ReuseIndex(build_reuse(reports[:30], folded))
    import search.reuse_build as rb

    last: list[list[int]] = [[]]
    fingerprinted: list[int] = []
    real_load, real_fingerprints = rb._Texts.load, rb.fingerprints

    def load(self, rows, keep=True):
        last[0] = [int(r) for r in rows]
        return real_load(self, rows, keep)

    def fingerprints(codes, invalid=None):  # the rows of the batch just loaded
        fingerprinted.extend(last[0])
        return real_fingerprints(codes, invalid)

    monkeypatch.setattr(rb._Texts, "load", load)
    monkeypatch.setattr(rb, "fingerprints", fingerprints)
    updated = ReuseIndex(build_reuse(reports, folded, previous=first))
    new_rows = set(range(sum(len(r.passages) for r in reports[:30]), updated.rows))
    assert sorted(fingerprinted) == sorted(new_rows)
    monkeypatch.setattr(rb._Texts, "load", real_load)
    monkeypatch.setattr(rb, "fingerprints", real_fingerprints)
    scratch = ReuseIndex(build_reuse(reports, folded))
    assert _links(updated, reports) == _links(scratch, reports)
    assert np.array_equal(updated.originality(), scratch.originality())


def test_a_generation_found_under_other_rules_is_not_carried_over(monkeypatch):
    """An index written when spans counted from 50 characters (or with other windows) is worked out afresh:
    its fingerprints and links were made under other rules."""
    import search.reuse_build as rb

    reports = _reports()
    folded = {p.passage_id: fold(p.text) for r in reports for p in r.passages}
    scratch = ReuseIndex(build_reuse(reports, folded))
    old_rule = ReuseIndex(build_reuse(reports[:3], folded, min_span=50))
    monkeypatch.setattr(rb, "W", 16)  # as the windows were
    old_window = ReuseIndex(build_reuse(reports[:3], folded))
    monkeypatch.setattr(rb, "W", W)
    for previous in (old_rule, old_window):
        updated = ReuseIndex(build_reuse(reports, folded, previous=previous))
        assert _links(updated, reports) == _links(scratch, reports)
        assert np.array_equal(updated.a["fp_hash"], scratch.a["fp_hash"])


def _boilerplate_reports(holders: int):
    return [
        make_report(
            f"r{i:03d}",
            f"{i:03d}.txt",
            Region("山西省", "临汾市", "曲沃县"),
            2000 + i,
            [(f"{i}年，我县{FORMULA}。{_filler(i)}", "概述", ""), (_filler(1000 + i), "概述", "")],
        )
        for i in range(holders)
    ]


@pytest.mark.parametrize("keep", ["all but the representative's report", "too few for a group"])
def test_an_update_that_changes_or_dissolves_a_group_gives_what_a_fresh_build_gives(keep):
    reports = _boilerplate_reports(GROUP_DF + 12)
    folded = {p.passage_id: fold(p.text) for r in reports for p in r.passages}
    first = build_reuse(reports, folded)
    (rep,) = first["group_rep"].tolist()
    rep_report = str(first["report_id"][first["passage_report"][rep]])
    if keep == "too few for a group":
        kept = reports[: GROUP_DF - 8]
    else:
        kept = [r for r in reports if r.report_id != rep_report]
    updated = ReuseIndex(build_reuse(kept, folded, previous=ReuseIndex(first)))
    scratch = ReuseIndex(build_reuse(kept, folded))
    assert _links(updated, kept) == _links(scratch, kept)
    assert updated.passage(kept[3].passages[0].passage_id).reports == len(kept) - 1


def test_removing_a_report_removes_it_from_every_list(tmp_path, engine_name):
    reports = _reports()
    index_dir = tmp_path / "idx"
    write = index_writer(engine_name)
    write(index_dir, reports)
    before = open_engine(index_dir, engine_name).snapshot().reuse
    assert "ling-p2" in {link.passage_id for link in before.passage("qu-p3").links}
    write(index_dir, [], replace_all=False, remove=["ling"])
    snap = open_engine(index_dir, engine_name).snapshot()
    after = snap.reuse
    for r in reports[1:]:
        for p in r.passages:
            assert all(link.report_id != "ling" for link in after.passage(p.passage_id).links)
    assert after.passage("qu-p3").reports == 0
    assert after.passage("qing-p2").earliest.report_id == "qing"
    assert after.rows == snap.passage_count
    # One generation's reuse folder only: the old one went with its arrays.
    assert len([p for p in index_dir.iterdir() if p.name.startswith(REUSE_PREFIX)]) == 1


def test_a_snapshot_keeps_its_reuse_after_a_later_commit_removes_its_folder(tmp_path, engine_name):
    reports = _reports()
    index_dir = tmp_path / "idx"
    write = index_writer(engine_name)
    write(index_dir, reports)
    old = open_engine(index_dir, engine_name).snapshot()
    write(index_dir, [], replace_all=False, remove=["ling"])
    assert old.reuse.passage("qu-p3").reports == 1  # still 灵武市's passage, in the generation it was opened on
    assert open_engine(index_dir, engine_name).snapshot().reuse.passage("qu-p3").reports == 0


def test_adding_reports_to_an_index_carries_the_previous_generation_over(tmp_path, engine_name, monkeypatch):
    """The rows the counting arrays copied from the generation before are known (``row_before``): their
    signatures are copied, not worked out again from their texts."""
    import search.reuse_build as rb

    reports = _reports()
    index_dir = tmp_path / "idx"
    write = index_writer(engine_name)
    write(index_dir, reports[:2])
    signed: list[str] = []
    real = rb.passage_signature

    def signature(passage_id, text):
        signed.append(passage_id)
        return real(passage_id, text)

    monkeypatch.setattr(rb, "passage_signature", signature)
    write(index_dir, reports[2:], replace_all=False)
    assert sorted(signed) == sorted(p.passage_id for r in reports[2:] for p in r.passages)
    snap = open_engine(index_dir, engine_name).snapshot()
    assert _links(snap.reuse, reports) == _links(_index(reports), reports)


def test_leftovers_of_killed_writers_go_and_an_index_without_reuse_shares_nothing(tmp_path, engine_name):
    index_dir = tmp_path / "idx"
    index_writer(engine_name)(index_dir, _reports())
    (index_dir / f".{REUSE_PREFIX}x.1234abcd.tmp").mkdir()  # killed while writing
    (index_dir / f"{REUSE_PREFIX}neverCommitted").mkdir()  # killed between writing it and the commit
    arrays = [p.name for p in index_dir.iterdir() if p.name.startswith(ARRAYS_PREFIX)]
    assert len(arrays) == 1
    generation = arrays[0][len(ARRAYS_PREFIX) :]
    remove_arrays(index_dir, keep=generation)
    assert [p.name for p in index_dir.iterdir() if REUSE_PREFIX in p.name] == [f"{REUSE_PREFIX}{generation}"]
    shutil.rmtree(index_dir / f"{REUSE_PREFIX}{generation}")  # an index written without reuse
    snap = open_engine(index_dir, engine_name).snapshot()
    assert not snap.reuse.shared_rows().any() and len(snap.reuse.shared_rows()) == snap.passage_count
    assert snap.reuse.passage("qu-p3").reports == 0


def test_a_writer_failing_while_finding_reuse_leaves_the_last_generation_and_its_reuse(
    tmp_path, engine_name, monkeypatch
):
    reports = _reports()
    index_dir = tmp_path / "idx"
    write = index_writer(engine_name)
    write(index_dir, reports[:3])
    import search.reuse_build as rb

    def failing(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(rb, "reuse_arrays", failing)
    with pytest.raises(OSError):
        write(index_dir, reports[3:], replace_all=False)
    snap = open_engine(index_dir, engine_name).snapshot()
    assert sorted(snap.reports) == ["ling", "qing", "yue"]
    assert snap.reuse.passage("qing-p2").reports == 2
    assert not [p for p in index_dir.iterdir() if p.name.startswith(f".{REUSE_PREFIX}")]


def _reuse_arrays_of(index_dir) -> dict[str, np.ndarray]:
    (folder,) = [p for p in index_dir.iterdir() if p.name.startswith(REUSE_PREFIX)]
    return {f.stem: np.load(f) for f in folder.glob("*.npy")}


def test_reuse_found_in_a_process_of_its_own_is_what_the_writers_process_finds(tmp_path, engine_name, monkeypatch):
    """From BESIDE_FROM passages a writer finds reuse in a second process while it indexes, which forks a third
    for half the work (_in_two): the same arrays as the writer's own process finds alone."""
    import search.reuse_build as rb

    reports, _ = generated_reports(40, seed=3)
    found = []
    for beside_from in (10**9, 0):
        monkeypatch.setattr(rb, "BESIDE_FROM", beside_from)
        monkeypatch.setattr(rb, "TWO_FROM", 0 if beside_from == 0 else 10**9)  # there, it forks as well
        index_dir = tmp_path / f"idx{beside_from}"
        write = index_writer(engine_name)
        write(index_dir, reports[:30])
        write(index_dir, reports[30:], replace_all=False, remove=[reports[0].report_id])
        found.append(_reuse_arrays_of(index_dir))
    here, beside = found
    assert sorted(here) == sorted(beside) and len(here["passage_id"]) > 500
    for name in here:
        assert np.array_equal(here[name], beside[name]), name


def test_reuse_found_in_two_processes_is_what_one_finds(monkeypatch):
    import search.reuse_build as rb

    reports, _ = generated_reports(40, seed=5)
    folded = {p.passage_id: fold(p.text) for r in reports for p in r.passages}
    generation = rb.Generation.of_reports(reports, folded)
    one = rb.reuse_arrays(generation)
    monkeypatch.setattr(rb, "TWO_FROM", 0)
    monkeypatch.setattr(rb, "_BATCH", 64)  # fingerprinted in batches: split over the two as well
    two = rb.reuse_arrays(generation, workers=2)
    assert len(one["link_other"]) > 20
    assert sorted(one) == sorted(two)
    for name in one:
        assert np.array_equal(one[name], two[name]), name


def test_work_split_over_two_processes_comes_back_in_order_and_failures_are_raised(monkeypatch):
    import search.reuse_build as rb

    monkeypatch.setattr(rb, "TWO_FROM", 0)
    weights = np.array([5, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    first, second = rb._in_two(lambda lo, hi: {i: os.getpid() for i in range(lo, hi)}, weights, workers=2)
    assert list(first) + list(second) == list(range(10))
    assert set(first.values()) == {os.getpid()} and set(second.values()) != {os.getpid()}  # forked: the rest
    assert len(first) == 2  # 5 + 1 of 14: where half the weight is done
    assert rb._in_two(lambda lo, hi: (lo, hi), weights, workers=1) == [(0, 10)]

    def failing(lo, hi):
        if lo:
            raise ValueError("a bug in the second half")
        return {}

    with pytest.raises(RuntimeError, match="^ValueError: a bug in the second half$"):
        rb._in_two(failing, weights, workers=2)


def test_reuse_beside_raises_what_its_process_raised_and_stops_when_the_block_fails(tmp_path, monkeypatch):
    import multiprocessing

    import search.reuse_build as rb

    monkeypatch.setattr(rb, "BESIDE_FROM", 0)
    index_dir = tmp_path / "idx"
    index_writer("whoosh")(index_dir, _reports())
    (arrays,) = [p for p in index_dir.iterdir() if p.name.startswith(ARRAYS_PREFIX)]
    broken = tmp_path / f"{ARRAYS_PREFIX}broken"  # its passages can be counted, nothing else read
    broken.mkdir()
    shutil.copy(arrays / "starts.npy", broken)
    with pytest.raises(FileNotFoundError, match=f"no arrays in {broken}"):
        with rb.reuse_beside(tmp_path / f"{REUSE_PREFIX}broken", broken):
            pass
    with pytest.raises(KeyError):
        with rb.reuse_beside(index_dir / f"{REUSE_PREFIX}again", arrays):
            raise KeyError("the engine's own indexing failed")
    assert not (index_dir / f"{REUSE_PREFIX}again").exists()
    with pytest.raises(OSError, match=r"stopped \(exit code -9\); nothing was committed"):
        with rb.reuse_ahead(index_dir / f"{REUSE_PREFIX}killed", 10) as beside:
            (waiting,) = multiprocessing.active_children()
            waiting.kill()  # (the kernel's out-of-memory killer, say) while it waits for the arrays
            waiting.join()
            with beside(arrays):
                pass


def test_a_tantivy_writer_whose_arrays_fail_stops_the_reuse_process_it_started_ahead(tmp_path, monkeypatch):
    """The reuse process starts before the counting arrays are written and waits for them: when writing them
    fails, it is stopped, and the index stays as it was; the next writer commits."""
    import multiprocessing

    import search.reuse_build as rb
    import search.tantivy_engine as te

    reports, _ = generated_reports(12, seed=6)
    index_dir = tmp_path / "idx"
    write = index_writer("tantivy")
    write(index_dir, reports[:8])
    monkeypatch.setattr(rb, "BESIDE_FROM", 0)
    started = []
    ahead = rb.reuse_ahead

    @contextmanager
    def watched(folder, rows):
        with ahead(folder, rows) as beside:
            started.extend(multiprocessing.active_children())
            yield beside

    def failing(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(te, "reuse_ahead", watched)
    monkeypatch.setattr(te, "write_arrays", failing)
    with pytest.raises(OSError, match="disk full"):
        write(index_dir, reports[8:], replace_all=False)
    assert [p.name for p in started] == ["fazhi-reuse"] and multiprocessing.active_children() == []
    assert len(open_engine(index_dir, "tantivy").snapshot().reports) == 8
    monkeypatch.setattr(te, "write_arrays", write_arrays)
    write(index_dir, reports[8:], replace_all=False)  # a process ahead again, given the arrays this time
    assert len(open_engine(index_dir, "tantivy").snapshot().reports) == 12


def test_a_whoosh_writer_failing_after_its_writer_processes_started_stops_them(tmp_path, monkeypatch):
    """whoosh's own cancel() leaves started writer processes waiting for ever (and the interpreter, at exit)."""
    import multiprocessing

    import search.reuse_build as rb

    reports, _ = generated_reports(30, seed=4)  # hundreds of passages: whoosh's writer processes start
    index_dir = tmp_path / "idx"
    write = index_writer("whoosh")
    write(index_dir, reports[:20])

    def failing(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(rb, "reuse_arrays", failing)
    with pytest.raises(OSError, match="disk full"):
        write(index_dir, reports[20:], replace_all=False)
    assert multiprocessing.active_children() == []
    monkeypatch.undo()
    assert len(open_engine(index_dir, "whoosh").snapshot().reports) == 20
    write(index_dir, reports[20:], replace_all=False)  # the next writer cleans up and commits
    assert len(open_engine(index_dir, "whoosh").snapshot().reports) == 30


def _overlapping_boilerplate_reports(count: int):
    """Reports whose passages hold the three formulae in different combinations and contexts (so groups overlap,
    a passage is in several, and intervals differ), a short passage that is nothing but a formula's head (a
    whole near-duplicate below MIN_SPAN), years with ties, and some passages of their own."""
    head = FORMULA[:30]
    reports = []
    for i in range(count):
        parts = [FORMULA, OTHER, THIRD]
        chosen = [parts[k] for k in range(3) if (i >> k) & 1] or [OTHER]
        passages = [
            (f"{i}年，我县{'。'.join(chosen)}。{_filler(i)[: i % 20]}", "概述", ""),
            (_filler(2000 + i), "概述", ""),
        ]
        if i % 4 == 0:
            passages.append((head + "。", "概述", ""))
        reports.append(
            make_report(f"r{i:03d}", f"{i:03d}.txt", Region("山西省", "临汾市", "曲沃县"), 2000 + i % 7, passages)
        )
    return reports


def test_each_passages_summary_is_what_its_links_say():
    """The summaries worked out at index time per group (counts, earliest, tie, originality) equal what the
    request-time links of every passage say."""
    reports = _overlapping_boilerplate_reports(3 * GROUP_DF)
    index = ReuseIndex(build_reuse(reports, {p.passage_id: fold(p.text) for r in reports for p in r.passages}))
    a = index.a
    assert len(a["group_rep"]) >= 3 and np.diff(a["row_member_start"]).max() >= 2  # a passage in several groups
    report, rank = a["passage_report"], a["report_rank"][a["passage_report"]]
    covered = np.zeros(len(reports))
    for row in range(index.rows):
        links = index.links_of(row)
        assert a["passage_passages"][row] == len(links)
        assert a["passage_shared"][row] == bool(links)
        assert a["passage_reports"][row] == len({int(report[o]) for o in links})
        if not links:
            continue
        holders = [row, *links]
        best = min(int(rank[h]) for h in holders)
        at_best = [h for h in holders if rank[h] == best]
        assert a["passage_earliest"][row] == (row if rank[row] == best else min(at_best))
        assert a["passage_tie"][row] == (len({int(report[h]) for h in at_best}) > 1)
        spans = [(s[0], s[1]) for o, (_, ss) in links.items() if rank[o] < rank[row] for s in ss]
        covered[report[row]] += union_length(spans)
    chars = np.bincount(report, weights=a["passage_chars"], minlength=len(reports))
    assert np.allclose(index.originality(), 1 - covered / chars)
    assert (index.originality() < 1).any() and a["passage_tie"].any()


_SUMMARY = (
    "passage_shared",
    "passage_passages",
    "passage_reports",
    "passage_earliest",
    "passage_tie",
    "passage_cover",
    "report_originality",
)


def _edited(report, n: int):
    """The report with its first passage's text changed (a new passage in a report that keeps the others)."""
    texts = [(p.text + ("再补充一句。" if i == 0 else ""), p.section, "") for i, p in enumerate(report.passages)]
    return make_report(report.report_id, report.source, report.region, report.year, texts)


@pytest.mark.parametrize(
    "change",
    ["add later", "add earlier", "add a year earlier", "add between", "remove", "add and remove", "edit", "generated"],
)
def test_an_update_s_summaries_are_those_of_a_fresh_build(monkeypatch, change):
    """A row whose partners among kept passages are unchanged keeps its summary then, with its new partners
    added; every summary (counts, earliest, tie, characters shared with earlier reports, originality) equals a
    fresh build's, whether the new reports are later, earlier or as early as the others, reports go, or a
    report's passage changes. So do the groups' records and stretches, those of pairs whose fingerprints'
    groups are unchanged carried over."""
    import search.reuse_build as rb

    if change == "generated":
        everything, _ = generated_reports(60, seed=5)
    else:
        everything = _overlapping_boilerplate_reports(3 * GROUP_DF)
    years = np.array([r.year or 0 for r in everything])
    by_year = np.argsort(years, kind="stable")
    third = len(everything) // 3
    if change == "add later":
        before, after = [everything[i] for i in sorted(by_year[: 2 * third])], everything
    elif change == "add earlier":
        before, after = [everything[i] for i in sorted(by_year[third:])], everything
    elif change == "add a year earlier":  # the first year before has no earlier holder, then one
        least = int(years.min())
        before = [r for r in everything if r.year > least + 1]
        after = [r for r in everything if r.year > least]
    elif change in ("add between", "generated"):
        before, after = everything[::2] + everything[1::4], everything
    elif change == "remove":
        before, after = everything, [r for i, r in enumerate(everything) if i % 5]
    elif change == "add and remove":
        before, after = everything[: 2 * third], everything[third:]
    else:
        before, after = everything, [_edited(r, i) if i % 7 == 3 else r for i, r in enumerate(everything)]
    folded = {p.passage_id: fold(p.text) for r in [*everything, *after] for p in r.passages}
    carried: list[int] = []
    real = rb._carried

    def counted(*args):
        found = real(*args)
        carried.append(len(found))
        return found

    monkeypatch.setattr(rb, "_carried", counted)
    pairs: list[tuple[int, int]] = []  # (pairs worked out again, pairs in groups)
    real_affected = rb._affected_pairs

    def affected(*args):
        found = real_affected(*args)
        every = np.unique(rb._pair_codes(args[7], args[8]))  # (rep, member)
        pairs.append((int(np.isin(every, found).sum()), len(every)))
        return found

    monkeypatch.setattr(rb, "_affected_pairs", affected)
    updated = build_reuse(after, folded, previous=ReuseIndex(build_reuse(before, folded)))
    scratch = build_reuse(after, folded)
    for name in _SUMMARY:
        assert np.array_equal(updated[name], scratch[name]), name
    # The groups too (records and stretches: those of the pairs carried over among them).
    for name in [n for n in scratch if n.startswith(("group_", "member_", "row_member", "stretch_"))]:
        assert np.array_equal(updated[name], scratch[name]), name
    if change not in ("remove", "add and remove", "edit"):  # (a removal changes most groups)
        assert carried[-1] > 0
        if change != "generated":  # (here every pair holds a fingerprint whose group changed)
            assert pairs[-1][0] < pairs[-1][1]  # some pairs' records were carried over


def test_an_update_over_a_generation_without_covered_characters_summarises_afresh():
    """A generation written before each row's covered characters were kept (``passage_cover``) cannot be
    carried over: every summary is worked out afresh, and equals a fresh build's."""
    everything = _overlapping_boilerplate_reports(2 * GROUP_DF)
    folded = {p.passage_id: fold(p.text) for r in everything for p in r.passages}
    before = build_reuse(everything[::2], folded)
    del before["passage_cover"]
    updated, scratch = build_reuse(everything, folded, previous=ReuseIndex(before)), build_reuse(everything, folded)
    for name in _SUMMARY:
        assert np.array_equal(updated[name], scratch[name]), name


def test_an_update_reads_only_new_passages_and_representatives_of_the_groups_they_join(monkeypatch):
    """The stretches between a group's representative and its members are carried over: adding two holders of
    boilerplate makes the forms of those two (and the representative) only, and gives what a fresh build gives."""
    import search.reuse_build as rb

    reports = [  # the formula alone in a passage: every holder's fingerprints are the same ones
        make_report(
            f"r{i:03d}",
            f"{i:03d}.txt",
            Region("山西省", "临汾市", "曲沃县"),
            2000 + i,
            [(f"{i}年，我县{FORMULA}。", "概述", ""), (_filler(i), "概述", "")],
        )
        for i in range(GROUP_DF + 12)
    ]
    folded = {p.passage_id: fold(p.text) for r in reports for p in r.passages}
    first = build_reuse(reports[:-2], folded)
    formed: list[int] = []
    real = rb._Texts.load

    def load(self, rows, keep=True):
        formed.extend(int(r) for r in rows)
        return real(self, rows, keep)

    monkeypatch.setattr(rb._Texts, "load", load)
    updated = build_reuse(reports, folded, previous=ReuseIndex(first))
    monkeypatch.setattr(rb._Texts, "load", real)
    new_rows = set(range(sum(len(r.passages) for r in reports[:-2]), len(updated["passage_id"])))
    assert set(formed) <= new_rows | set(updated["group_rep"].tolist())
    assert len(updated["stretch_rep"]) >= GROUP_DF
    scratch = ReuseIndex(build_reuse(reports, folded))
    assert _links(ReuseIndex(updated), reports) == _links(scratch, reports)
    assert np.array_equal(ReuseIndex(updated).originality(), scratch.originality())


def test_a_passage_s_first_links_related_reports_and_pairs_are_what_all_its_links_say():
    """A page lists a passage's first links (its boilerplate may be shared by tens of thousands) and the
    reports sharing most with a report, worked out on arrays; each equals what the full links say."""
    reports = _overlapping_boilerplate_reports(3 * GROUP_DF)
    index = ReuseIndex(build_reuse(reports, {p.passage_id: fold(p.text) for r in reports for p in r.passages}))
    a = index.a
    rank = a["report_rank"][a["passage_report"]]
    rng = np.random.default_rng(3)
    for row in range(index.rows):
        full = index.links_of(row)
        assert index._others(row).tolist() == sorted(full)
        only = np.sort(rng.choice(index.rows, size=index.rows // 3, replace=False))
        assert index.links_of(row, only=only) == {o: v for o, v in full.items() if o in set(only.tolist())}
        pid = str(a["passage_id"][row])
        everything = index.passage(pid)
        for first in (1, 3):
            some = index.passage(pid, first=first)
            assert some.links == everything.links[: len(some.links)]
            assert len(some.links) >= min(first, len(everything.links))
            assert (some.reports, some.passages, some.earliest, some.tie) == (
                everything.reports,
                everything.passages,
                everything.earliest,
                everything.tie,
            )
            if full:  # every holder tied with the earliest is listed
                best = min(int(rank[h]) for h in [row, *full])
                assert {o for o in full if rank[o] == best} <= {index.row(link.passage_id) for link in some.links}
    assert any(len(index.passage(str(a["passage_id"][r]), first=1).links) > 1 for r in range(index.rows))  # ties
    report = a["passage_report"]
    for r in reports:
        per_report: dict[int, dict[int, list]] = {}
        for row in index._report_rows(r.report_id):
            for other, (_, spans) in index.links_of(row).items():
                per_report.setdefault(int(report[other]), {}).setdefault(row, []).extend((s[0], s[1]) for s in spans)
        expected = sorted(
            ((str(a["report_id"][o]), sum(union_length(v) for v in rows.values())) for o, rows in per_report.items()),
            key=lambda t: (-t[1], t[0]),
        )
        assert index.related_reports(r.report_id, limit=5) == expected[:5]
        assert index.related_reports(r.report_id, limit=1000) == expected
    for x, y in [(reports[1], reports[3]), (reports[3], reports[1]), (reports[7], reports[0])]:
        expected = [
            (str(a["passage_id"][row]), str(a["passage_id"][o]), tuple(SharedSpan(*s) for s in sorted(spans)))
            for row in index._report_rows(x.report_id)
            for o, (_, spans) in sorted(index.links_of(row).items())
            if int(report[o]) == index._report_index[y.report_id]
        ]
        assert index.between(x.report_id, y.report_id) == expected and expected


def test_union_lengths_are_union_length_per_key():
    rng = np.random.default_rng(11)
    keys = rng.integers(0, 6, 300)
    starts = rng.integers(0, 500, 300)
    ends = starts + rng.integers(1, 60, 300)
    distinct, covered = union_lengths(keys, starts, ends)
    assert distinct == sorted(set(keys.tolist()))
    for key, n in zip(distinct, covered, strict=True):
        mine = zip(starts[keys == key].tolist(), ends[keys == key].tolist(), strict=True)
        assert n == union_length(list(mine))
    assert union_lengths(np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)) == ([], [])


def test_place_names_are_found_leftmost_longest_as_a_scan_of_every_position_finds_them():
    import random

    from search.reuse_build import name_spans, place_names

    names = sorted(place_names())
    rng = random.Random(7)
    pieces = ["推进", "法治", "，", "我县", "市", "县", "区", "2023", "人民政府"]
    for _ in range(200):
        text = "".join(rng.choice(names) if rng.random() < 0.4 else rng.choice(pieces) for _ in range(12))
        text = text[rng.randint(0, 3) :]  # names cut at the start too
        expected, i = [], 0
        while i < len(text):  # the longest name at each position, then on after it
            size = next((n for n in range(min(15, len(text) - i), 1, -1) if text[i : i + n] in set(names)), 0)
            if size:
                expected.append((i, i + size))
            i += size or 1
        assert name_spans(text) == expected, text


def test_module_doctests():
    import doctest

    import search.reuse

    assert doctest.testmod(search.reuse).failed == 0
