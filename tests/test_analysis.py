"""Folding for matching, and the tokens that come from folded text."""

import re

import numpy as np
import pytest

from search.analysis import (
    char_tokens,
    find_all,
    fold,
    fold_char,
    fold_with_extents,
    fold_with_offsets,
    folds_one_for_one,
    folds_one_for_one_each,
    segment,
)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("法治政府", "法治政府"),
        ("，（一）：；", ",(一):;"),  # full-width punctuation folds to ASCII (NFKC)
        ("ＡＢＣ１２３", "abc123"),  # full-width Latin and digits, case folded
        ("Fengqiao", "fengqiao"),
        ("後來的經驗", "后来的经验"),  # traditional to simplified, character by character
        ("法治　政府 建设\n", "法治政府建设"),  # whitespace of any width is not part of the matching text
        ("首\u200b违", "首违"),  # invisible format characters are dropped
        ("㈠", "(一)"),  # one character may fold to several
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded


def test_fold_is_the_same_alone_and_inside_text():
    text = "践行新时代“楓橋經驗”，ＡＢ法治"
    for i in range(len(text)):
        for j in range(i + 1, len(text) + 1):
            assert fold(text[i:j]) in fold(text)


def test_simplified_characters_are_left_alone():
    # Characters that OpenCC lists as both simplified and traditional forms must not change.
    for ch in "干于后里只发面系著":
        assert fold_char(ch) == ch


def test_fold_with_offsets_maps_back_to_original():
    text = "（一）楓橋 經驗"
    folded, origin = fold_with_offsets(text)
    assert folded == "(一)枫桥经验"
    start = folded.index("桥经")
    end = start + 2
    assert text[origin[start] : origin[end - 1] + 1] == "橋 經"


def test_find_all_is_non_overlapping():
    assert find_all("哈哈哈哈哈", "哈哈") == [0, 2]
    assert find_all("abc", "") == []
    assert find_all("枫桥经验和枫桥经验", "枫桥经验") == [0, 5]


def test_char_tokens_keep_punctuation():
    assert [t for t, _, _ in char_tokens("经验,推进")] == ["经", "验", ",", "推", "进"]


def test_segment_drops_punctuation_and_keeps_offsets():
    folded = "践行新时代“枫桥经验”"
    words = segment(folded)
    assert ("枫桥", 6, 8) in words
    assert all(folded[s:e] == w for w, s, e in words)
    assert "“" not in [w for w, _, _ in words]


def test_segment_splits_runs_at_punctuation():
    assert [w for w, _, _ in segment("(2021-2025年)")] == ["2021", "2025", "年"]


@pytest.mark.acceptance
def test_rjieba_agrees_with_jieba_on_the_sample_reports(corpus_dir):
    jieba = pytest.importorskip("jieba")
    jieba.setLogLevel(60)
    lines = [fold(line) for path in sorted(corpus_dir.glob("*.txt")) for line in path.read_text("utf-8").splitlines()]
    for line in filter(None, lines):
        expected = [m.group() for w in jieba.cut(line) for m in re.finditer(r"[^\W_]+", w)]
        assert [w for w, _, _ in segment(line)] == expected, line[:40]


# --- marks a reader treats as the same ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("2021-2025年", "2021-2025年"),
        ("2021—2025年", "2021-2025年"),  # em dash
        ("2021－2025年", "2021-2025年"),  # full-width hyphen-minus
        ("2021——2025年", "2021-2025年"),  # a doubled em dash is one dash
        ("2021–2025年", "2021-2025年"),  # en dash
        ("2021‐2025 ‑ ‒ ― ─ ⁃ ﹣ ﹘ −", "2021-2025-"),  # every dash, and a run of them with spaces between
        ("买买提·艾力 买买提•艾力 买买提・艾力 买买提‧艾力 买买提･艾力", "买买提·艾力" * 5),
        ("等等……", "等等…"),  # a run of ellipses is one
        ("等等⋯⋯", "等等…"),
        ("“枫桥经验”‘示范’", "\"枫桥经验\"'示范'"),  # curly quotes fold to straight ones
    ],
)
def test_marks_a_reader_treats_as_the_same_fold_together(text, folded):
    assert fold(text) == folded


def test_fold_is_the_same_alone_and_inside_text_with_runs_of_dashes():
    text = "2021——2025年——“枫桥”……完"
    for i in range(len(text)):
        for j in range(i + 1, len(text) + 1):
            assert fold(text[i:j]) in fold(text)


def test_extents_cover_the_whole_run_a_folded_mark_stands_for():
    text = "2021——2025年"
    folded, starts, ends = fold_with_extents(text)
    assert folded == "2021-2025年"
    dash = folded.index("-")
    assert text[starts[dash] : ends[dash]] == "——"
    assert text[starts[0] : ends[len(folded) - 1]] == text  # a match of everything covers everything
    assert fold_with_offsets(text)[1] == starts


def test_extents_with_spaces_inside_a_run_and_characters_that_fold_to_several():
    text = "㈠ — — 至"
    folded, starts, ends = fold_with_extents(text)
    assert folded == "(一)-至"
    assert [text[s:e] for s, e in zip(starts, ends, strict=True)] == ["㈠", "㈠", "㈠", "— —", "至"]
    assert fold(text) == folded


def test_extents_are_one_for_one_in_the_usual_case():
    assert fold_with_extents("法治政府") == ("法治政府", [0, 1, 2, 3], [1, 2, 3, 4])


def test_texts_folding_one_for_one_are_told_apart_at_once_as_one_at_a_time():
    """Dashes and ellipses (alone, in runs, across two texts' boundary), characters folding to nothing (spaces,
    a zero-width space) or to several (㎡, ﬁ), full-width forms and traditional characters, at random."""
    rng = np.random.default_rng(5)
    alphabet = list("法治政府-—–…⋯· 　\u200b㎡ﬁ２Ａ國語年a")
    texts = ["".join(rng.choice(alphabet, int(rng.integers(0, 8)))) for _ in range(3000)]
    texts += ["—", "—", "…", "…", "", "年"]  # runs only across a boundary: each text is one for one
    assert folds_one_for_one_each(texts).tolist() == [folds_one_for_one(t) for t in texts]
    assert folds_one_for_one_each([]).tolist() == []
