"""The compiled loops that verify reuse's candidate pairs (search/reuse_kernels.py) give what their Python twins
in search/reuse_build.py give: on random texts over a few characters (repeats everywhere, stretches trimmed by
others), and through reuse_arrays, where a pair too long for them is verified in Python."""

from __future__ import annotations

import numpy as np
import pytest

from search import fold, reuse_build
from search import reuse_kernels as kernels
from search.models import Region
from search.reuse import MIN_BLOCK, MIN_SPAN, MIN_WHOLE, WHOLE_SHARE, ReuseIndex
from search.reuse_build import K, build_reuse, compare, seeded_blocks, shared_blocks
from tests.conftest import make_report


def _random_pair(rng: np.random.Generator, letters: str) -> tuple[str, str]:
    """Two texts over ``letters`` sharing a few planted stretches (and, over few letters, much by chance)."""
    alphabet = np.array(list(letters))
    a = "".join(rng.choice(alphabet, int(rng.integers(0, 140))))
    b = "".join(rng.choice(alphabet, int(rng.integers(0, 140))))
    for _ in range(int(rng.integers(0, 4))):
        if len(a) < 2:
            break
        lo = int(rng.integers(0, len(a) - 1))
        piece = a[lo : lo + int(rng.integers(1, 60))]
        at = int(rng.integers(0, len(b) + 1))
        b = b[:at] + piece + b[at:]
    return a, b


def _both(a: str, b: str) -> tuple[np.ndarray, int, int, int, int, np.ndarray, np.ndarray]:
    codes = np.frombuffer((a + b).encode("utf-32-le"), dtype=np.uint32)
    scratch = max(len(a), len(b)) + 1
    return codes, 0, len(a), len(a), len(b), np.zeros(scratch, bool), np.zeros(scratch, bool)


def _blocks(arrays) -> list[tuple[int, int, int]]:
    return list(zip(*(x.tolist() for x in arrays), strict=True))


@pytest.mark.parametrize("letters", ["甲乙", "甲乙丙丁", "法治政府建设年度报告工作"])
def test_compiled_blocks_and_comparisons_are_the_python_ones_on_random_texts(letters):
    rng = np.random.default_rng(len(letters))
    for _ in range(150):
        a, b = _random_pair(rng, letters)
        c, a0, la, b0, lb, used_a, used_b = _both(a, b)
        # Seeds: every pair of equal K-grams, and some that are not equal (a fingerprint's hash can collide).
        seeds = [(i, j) for i in range(len(a) - K + 1) for j in range(len(b) - K + 1) if a[i : i + K] == b[j : j + K]]
        seeds += [(int(rng.integers(0, len(a) - K + 1)), 0) for _ in range(3) if len(a) >= K and len(b) >= K]
        rng.shuffle(seeds)
        si = np.array([s[0] for s in seeds] + [0], dtype=np.int64)
        sj = np.array([s[1] for s in seeds] + [0], dtype=np.int64)
        assert _blocks(kernels.seeded_blocks(c, a0, la, b0, lb, si, sj, len(seeds), K, used_a, used_b)) == (
            seeded_blocks(a, b, seeds)
        )
        for k in (2, 3, MIN_BLOCK):  # (short blocks: many trimmed by others)
            assert _blocks(kernels.shared_blocks(c, a0, la, b0, lb, k, used_a, used_b)) == shared_blocks(a, b, k)
        for min_span in (MIN_SPAN, 12):
            whole, *blocks = kernels.compare(
                c, a0, la, b0, lb, min_span, MIN_BLOCK, MIN_WHOLE, WHOLE_SHARE, used_a, used_b
            )
            assert (whole, _blocks(blocks)) == compare(a, b, min_span)
        assert not used_a.any() and not used_b.any()  # the scratch marks are left clear


def test_a_near_duplicate_is_whole_in_both():
    text = "坚持以习近平法治思想为指导全面贯彻落实党的二十大精神深入推进法治政府建设"
    other = text.replace("二十大", "十九大")
    c, a0, la, b0, lb, used_a, used_b = _both(text, other)
    whole, *blocks = kernels.compare(c, a0, la, b0, lb, MIN_SPAN, MIN_BLOCK, MIN_WHOLE, WHOLE_SHARE, used_a, used_b)
    assert (whole, _blocks(blocks)) == compare(text, other) == (True, [(0, 0, 21), (23, 23, 13)])


def test_what_the_groups_explain_is_decided_as_in_python():
    rng = np.random.default_rng(7)
    for _ in range(300):
        records = {}
        for _ in range(int(rng.integers(0, 6))):
            rep, member = int(rng.integers(0, 3)), int(rng.integers(0, 2))
            r0 = int(rng.integers(0, 40))
            records[(rep, member, r0, r0 + int(rng.integers(1, 40)))] = int(rng.integers(0, 40))
        in_groups: dict[int, list[tuple[int, int, int, int]]] = {}
        for (rep, m, r0, r1), m0 in records.items():
            in_groups.setdefault(m, []).append((rep, r0, r1, m0))
        blocks = [(int(rng.integers(0, 40)), int(rng.integers(0, 40)), int(rng.integers(1, 45))) for _ in range(2)]
        expected = reuse_build._explained_by_groups(0, 1, False, blocks, in_groups, 20)
        columns = [*zip(*((*k, m0) for k, m0 in records.items()), strict=True)] or [()] * 5
        groups = reuse_build._memberships(
            {c: np.array(v, dtype=np.int64) for c, v in zip(reuse_build._RECORD_COLUMNS, columns, strict=True)}, 2
        )
        bi, bj, bs = (np.array(x, dtype=np.int64) for x in zip(*blocks, strict=True))
        assert kernels.explained_by_groups(0, 1, bi, bj, bs, groups, 20) == expected


def test_a_pair_too_long_for_the_compiled_loops_is_verified_in_python(monkeypatch):
    formula = "党政主要负责人履行推进法治建设第一责任人职责坚持依法行政"
    filler = np.random.default_rng(1).choice(np.array([chr(c) for c in range(0x4E00, 0x4E00 + 3000)]), kernels.SIDE)
    long_text = "".join(filler[:1000]) + formula + "".join(filler[1000:])
    short_text = "市场监管部门围绕优化营商环境开展专项行动" + formula + "清理涉企收费事项"
    place = Region("山西省", "临汾市", "曲沃县")
    reports = [
        make_report("long", "long.txt", place, 2023, [(long_text, "概述", "")]),
        make_report("short", "short.txt", place, 2024, [(short_text, "概述", "")]),
    ]
    in_python = []
    monkeypatch.setattr(reuse_build, "seeded_blocks", lambda *args: in_python.append(1) or seeded_blocks(*args))
    index = ReuseIndex(build_reuse(reports, {p.passage_id: fold(p.text) for r in reports for p in r.passages}))
    assert in_python
    assert index.links_of(index.row("short-p1")) == {
        index.row("long-p1"): (False, [(20, 20 + len(formula), 1000, 1000 + len(formula))])
    }


def test_stretches_through_given_grams_are_the_python_ones():
    rng = np.random.default_rng(11)
    pairs = [_random_pair(rng, "甲乙丙") for _ in range(300)]
    pairs = [(a, b) for a, b in pairs if len(a) >= K and len(b) >= K]
    at = []
    for a, b in pairs:  # a gram of a, where b has it too if it does
        i = int(rng.integers(0, len(a) - K + 1))
        j = b.find(a[i : i + K])
        at.append((i, j if j >= 0 else int(rng.integers(0, len(b) - K + 1))))
    forms = [t for pair in pairs for t in pair]
    start = np.concatenate([[0], np.cumsum([len(f) for f in forms])]).astype(np.int64)
    codes = np.frombuffer("".join(forms).encode("utf-32-le"), dtype=np.uint32)
    rows = np.arange(len(pairs), dtype=np.int64) * 2
    a_at, b_at = (np.array(x, dtype=np.int64) for x in zip(*at, strict=True))
    same, found = kernels.extend_at(codes, start, rows, rows + 1, a_at, b_at, K)
    for t, ((a, b), (i, j)) in enumerate(zip(pairs, at, strict=True)):
        assert same[t] == (a[i : i + K] == b[j : j + K])
        if same[t]:
            assert tuple(found[:, t].tolist()) == reuse_build._extend(a, i, b, j, K)
    assert same.any() and not same.all()
