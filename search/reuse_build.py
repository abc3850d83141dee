"""Finding text reuse at index time (what :mod:`search.reuse` serves): the engines' writers call
:func:`write_reuse` (through :func:`reuse_beside`) right after :func:`search.arrays.write_arrays`, before their
commit.

1. Each passage's folded text is put in a comparison-only form (:func:`comparison_form`): place names at every
   level with their short forms, self-references (我县, 本区, 全市…) and runs of digits each become one
   placeholder, so a copy with 灵武市 → 青铜峡市, 我县 → 我区 or another year is still the same text. Every
   character of that form keeps the extent of folded text it stands for, and through
   :func:`search.analysis.fold_with_extents` the extent of original text.
2. Candidates: winnowed fingerprints of character K-grams (:func:`fingerprints`): any common stretch of at least
   ``K + W - 1`` characters shares a fingerprint. Pairs of passages (in different reports) sharing fingerprints
   are verified exactly (:func:`compare`; over many pairs, by its compiled twins in
   :mod:`search.reuse_kernels`): the shared blocks with their offsets in both texts. A fingerprint
   held by more than :data:`GROUP_DF` passages is boilerplate: its holders are stored as a group (each
   member's verbatim interval of one representative passage) rather than as every pair.
3. Incremental: each generation keeps every passage's signature and fingerprints and its verified links, so the
   next one only fingerprints new passages, verifies pairs involving them, and keeps the links among passages
   it keeps (a removed report's passages drop out of every list), and the breaks of the passages it keeps.
   Groups are worked out again from the kept fingerprints, their stretches carried over and matched to the
   fingerprints on arrays (:func:`_group_stretches`). A passage whose partners among the kept passages are
   unchanged keeps its summary, with its new partners added (:func:`_carried`); the others' are worked out
   again. An update's counting arrays say which rows they copied from the generation before
   (``row_before``), so those passages are not read to be recognised.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from functools import cache, partial
from pathlib import Path
from typing import TypeVar

import numpy as np
from pyroaring import BitMap

from search._count import radix_order
from search.analysis import fold_with_extents, folds_one_for_one_each
from search.arrays import ARRAYS_PREFIX, generation_rows, load_arrays, save_arrays
from search.divisions import areas, division_years, divisions_during, zones
from search.models import Region, Report
from search.regions import short_name
from search.reuse import (
    FORMAT_VERSION,
    MIN_BLOCK,
    MIN_SPAN,
    MIN_WHOLE,
    REUSE_PREFIX,
    WHOLE_SHARE,
    ReuseIndex,
    empty_arrays,
    load_reuse,
    offset_breaks,
    original_span,
    passage_key,
    shift_span,
    time_ranks,
    union_length,
)
from search.store import Strings, ranges
from search.subprocesses import collector_paused, die_with_parent

PLACEHOLDER = "\ue000"
"""What a place name, a self-reference or a run of digits becomes in the comparison form (a private-use
character: no text holds it)."""
K = 10
"""Characters in a fingerprinted gram."""
W = 11
"""Grams in a winnowing window: any common stretch of K + W - 1 = 20 characters (MIN_SPAN) shares a
fingerprint, so no span that counts is missed."""
FINGERPRINT_RULES = 2
"""Stored with K and W (``fp_window``): a generation whose fingerprints were made under other rules is not
carried over. 2: a batch of passages is fingerprinted with separators at both ends (1 had none there, so a
passage's fingerprints at its edges depended on where it sat in its batch)."""
GROUP_DF = 48
"""A fingerprint held by more passages than this is boilerplate, stored as a group rather than as pairs."""
_SEPARATOR_RUN = W + K  # separators between passages: no window sees two passages
_BATCH = 5000  # passages compared-formed in one scan
_CELLS = 4_000_000  # keys × members compared at once when summarising groups
_NEAR_SHARE = 0.3  # seeded blocks covering this share of the longer passage: compared whole (perhaps near-duplicates)
_PAIRS_AT_ONCE = 200_000  # pairs verified by one call of the compiled loops (their blocks are held at once)
BESIDE_FROM = 50_000
"""A generation's passages from which :func:`reuse_ahead` finds reuse in a process of its own (starting one
costs a few seconds, while the counting arrays are written)."""
TWO_FROM = 20_000
"""Work (passages to fingerprint, pairs to verify, passages to summarise) from which :func:`_in_two` splits it
over two processes."""
T = TypeVar("T")
_SELF_REFERENCES = tuple(f"{a}{b}" for a in "我本全" for b in "省市县区旗州盟")
_DIGITS = re.compile(r"[0-9]+")


# Short names that are everyday words in these reports (as indexer.gazetteer has them): replacing them would
# make 平安建设 and 文明建设 the same text.
_EVERYDAY_WORDS = frozenset({"平安", "和平", "新华", "长安", "文明", "清河", "城关", "江北", "新城", "开发"})
_KEPT_KINDS = {"自治州": ("州",), "自治县": ("自治县", "县"), "自治旗": ("自治旗", "旗")}


def place_names() -> set[str]:
    """Every division's name in any year the tables know, its short name when that has three characters or more
    (青铜峡; two-character ones are too often everyday words: 资源, 合作, 公安, 新建, 共和), the abbreviations
    that keep its kind (阿坝州), the areas and zones reported like divisions, and the self-references (我县,
    本区, 全市…)."""
    first, last = division_years()
    names: set[str] = set(_SELF_REFERENCES)
    for year in range(first, last + 1):
        for d in divisions_during(year):
            names.add(d.name)
            short = short_name(d.name, d.level)
            if short:
                if len(short) >= 3:
                    names.add(short)
                for kind, endings in _KEPT_KINDS.items():
                    if d.name.endswith(kind):
                        names.update(short + e for e in endings)
    for level, name, _ in areas():
        names.add(name)
        short = short_name(name, level)
        if short and len(short) >= 3:
            names.add(short)
    names.update(zones())
    return {n for n in names if len(n) >= 2 and n not in _EVERYDAY_WORDS}


@cache
def _name_starts() -> tuple[np.ndarray, np.ndarray, dict[str, list[int]]]:
    """What finds the place names in a text fast: which characters a name starts with, the first two
    characters of every name (as one number, sorted), and by those two the names' lengths, longest first."""
    names = place_names()
    first = np.zeros(65536, dtype=bool)
    lengths: dict[str, set[int]] = {}
    for name in names:
        first[ord(name[0])] = True
        lengths.setdefault(name[:2], set()).add(len(name))
    pairs = np.array(sorted(ord(k[0]) * 65536 + ord(k[1]) for k in lengths), dtype=np.int64)
    return first, pairs, {k: sorted(v, reverse=True) for k, v in lengths.items()}


def name_spans(folded: str) -> list[tuple[int, int]]:
    """The place names (and self-references) in ``folded``: at each position from the left, the longest name
    starting there; the next search starts after it. (pyahocorasick's ``iter_long`` gives the same on the
    10,000 bench reports, six times slower.) Positions are picked out with numpy first: a name's first two
    characters start a few in a thousand.

    >>> name_spans("灵武市人民政府和青铜峡市、我县")
    [(0, 3), (8, 12), (13, 15)]
    """
    if len(folded) < 2:
        return []
    first, pairs, lengths = _name_starts()
    names = _name_set()
    codes = np.frombuffer(folded.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    head, second = codes[:-1], codes[1:]
    maybe = np.flatnonzero(first[np.minimum(head, 65535)] & (head < 65536) & (second < 65536))
    pair = head[maybe] * 65536 + second[maybe]
    at = np.minimum(np.searchsorted(pairs, pair), len(pairs) - 1)
    spans: list[tuple[int, int]] = []
    end = 0
    for i in maybe[pairs[at] == pair].tolist():
        if i < end:
            continue
        for size in lengths[folded[i : i + 2]]:
            if i + size <= len(folded) and folded[i : i + size] in names:
                spans.append((i, i + size))
                end = i + size
                break
    return spans


@cache
def _name_set() -> frozenset[str]:
    return frozenset(place_names())


def _replacements(folded: str) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends (folded offsets) of what the comparison form replaces, left to right, not overlapping."""
    spans = name_spans(folded)
    spans += [m.span() for m in _DIGITS.finditer(folded)]
    if not spans:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    spans.sort()
    starts = np.array([s for s, _ in spans], dtype=np.int64)
    ends = np.array([e for _, e in spans], dtype=np.int64)
    # Names hold no digits, so only a name inside a longer name could overlap; iter_long already prevents it.
    return starts, ends


def _comparison_codes(folded: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The comparison form as code points, with each character's extent [start, end) in ``folded``."""
    codes = np.frombuffer(folded.encode("utf-32-le"), dtype=np.uint32).copy()
    ends = np.arange(1, len(codes) + 1, dtype=np.int64)
    starts, stops = _replacements(folded)
    if len(starts):
        marks = np.zeros(len(codes) + 1, dtype=np.int64)
        np.add.at(marks, starts + 1, 1)
        np.add.at(marks, stops, -1)
        dropped = np.cumsum(marks[:-1]) > 0
        codes[starts] = ord(PLACEHOLDER)
        ends[starts] = stops
        keep = ~dropped
        return codes[keep], np.flatnonzero(keep), ends[keep]
    return codes, np.arange(len(codes), dtype=np.int64), ends


def comparison_form(folded: str) -> tuple[str, list[int], list[int]]:
    """The comparison-only form of folded text, and for each of its characters the first and one past the last
    folded character it stands for.

    >>> comparison_form("灵武市2021年推进")[0] == "\ue000\ue000年推进"
    True
    >>> comparison_form("我县坚持")[1:]
    ([0, 2, 3], [2, 3, 4])
    """
    codes, starts, ends = _comparison_codes(folded)
    return codes.tobytes().decode("utf-32-le"), starts.tolist(), ends.tolist()


def _gram_hashes(codes: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each K-gram starting at each position (the last K - 1 positions get none)."""
    n = len(codes) - K + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    c = codes.astype(np.uint64)
    h = np.zeros(n, dtype=np.uint64)
    prime = np.uint64(1000003)
    with np.errstate(over="ignore"):
        for t in range(K):
            h = h * prime + c[t : t + n]
        h ^= h >> np.uint64(29)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(32)
    return h


_NONE = np.uint64(2**64 - 1)


def _sliding(op, x: np.ndarray, width: int) -> np.ndarray:
    """``op`` (np.minimum or np.maximum) over each window of ``width`` items: ``len(x) - width + 1`` results.

    >>> _sliding(np.minimum, np.array([5, 3, 4, 1, 2]), 3).tolist()
    [3, 1, 1]
    """
    out, span = x, 1
    while span * 2 <= width:
        out = op(out[:-span], out[span:])
        span *= 2
    size = len(x) - width + 1
    if span < width:
        out = op(out[:size], out[width - span : width - span + size])
    return out[:size]


def fingerprints(codes: np.ndarray, invalid: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Winnowed fingerprints of a code point array: (positions, hashes), ascending by position. Grams starting
    where ``invalid`` (a bool per gram start) is set are never chosen.

    >>> pos, _ = fingerprints(np.frombuffer("法治政府建设".encode("utf-32-le"), dtype=np.uint32))
    >>> pos.tolist()  # shorter than a gram: nothing
    []
    """
    h = _gram_hashes(codes)
    if not len(h):
        return np.zeros(0, np.int64), np.zeros(0, np.uint64)
    if invalid is not None:
        h[invalid[: len(h)]] = _NONE
    if len(h) < W:
        best = np.flatnonzero(h == h.min())
    else:
        # A gram is chosen when it is the least of some window: its hash equals the largest of the minima of the
        # windows holding it (every such minimum is at most its hash).
        minima = _sliding(np.minimum, h, W)
        pad = np.zeros(W - 1, dtype=np.uint64)
        best = np.flatnonzero(h == _sliding(np.maximum, np.concatenate([pad, minima, pad]), W))
    best = best[h[best] != _NONE]
    return best.astype(np.int64), h[best]


def _extend(a: str, i: int, b: str, j: int, k: int) -> tuple[int, int, int]:
    """The maximal common stretch around ``a[i:i+k] == b[j:j+k]``: (start in a, start in b, length)."""
    end = k
    limit = min(len(a) - i, len(b) - j)
    while end < limit:
        step = min(32, limit - end)
        if a[i + end : i + end + step] == b[j + end : j + end + step]:
            end += step
            continue
        while a[i + end] == b[j + end]:
            end += 1
        break
    back = 0
    limit = min(i, j)
    while back < limit:
        step = min(32, limit - back)
        if a[i - back - step : i - back] == b[j - back - step : j - back]:
            back += step
            continue
        while a[i - back - 1] == b[j - back - 1]:
            back += 1
        break
    return i - back, j - back, end + back


def shared_blocks(a: str, b: str, min_len: int = MIN_BLOCK) -> list[tuple[int, int, int]]:
    """The maximal common substrings of ``a`` and ``b`` of at least ``min_len`` characters, chosen longest first
    so that no two overlap in either text: (start in a, start in b, length), in a's order.

    >>> shared_blocks("甲乙丙丁戊己庚辛壬癸子丑", "子丑甲乙丙丁戊己庚辛", 4)
    [(0, 2, 8)]
    """
    k = min_len
    if len(a) < k or len(b) < k:
        return []
    grams: dict[str, list[int]] = {}
    for j in range(len(b) - k + 1):
        grams.setdefault(b[j : j + k], []).append(j)
    found = set()
    for i in range(len(a) - k + 1):
        js = grams.get(a[i : i + k])
        if not js:
            continue
        for j in js:
            if i and j and a[i - 1] == b[j - 1]:
                continue  # inside a stretch found from its start
            found.add(_extend(a, i, b, j, k))
    return _choose(found, len(a), len(b), min_len)


def _choose(found: set[tuple[int, int, int]], len_a: int, len_b: int, min_len: int) -> list[tuple[int, int, int]]:
    """Common stretches chosen longest first, each trimmed of what earlier ones claimed (in either text)."""
    chosen: list[tuple[int, int, int]] = []
    used_a = bytearray(len_a)
    used_b = bytearray(len_b)
    for i, j, size in sorted(found, key=lambda f: (-f[2], f[0], f[1])):
        if size < min_len:
            continue
        if used_a.find(1, i, i + size) < 0 and used_b.find(1, j, j + size) < 0:  # nothing claimed: all of it
            used_a[i : i + size] = b"\x01" * size
            used_b[j : j + size] = b"\x01" * size
            chosen.append((i, j, size))
            continue
        # Trim what overlaps blocks already chosen (a repeated phrase can be claimed twice), keep the longest rest.
        best = None
        run = 0
        for t in range(size):
            if used_a[i + t] or used_b[j + t]:
                run = 0
                continue
            run += 1
            if run >= min_len and (best is None or run > best[2]):
                best = (i + t - run + 1, j + t - run + 1, run)
        if best is None:
            continue
        bi, bj, bs = best
        used_a[bi : bi + bs] = b"\x01" * bs
        used_b[bj : bj + bs] = b"\x01" * bs
        chosen.append(best)
    return sorted(chosen)


def seeded_blocks(a: str, b: str, seeds: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """The maximal common stretches through shared grams at ``seeds`` ((start in a, start in b) of equal
    K-grams), chosen as :func:`shared_blocks` chooses: every common stretch of K + W - 1 characters or more holds
    a shared fingerprint, so from the fingerprints this finds all of them, without indexing every gram.

    >>> seeded_blocks("甲乙丙丁戊己庚辛壬癸子丑寅", "子丑甲乙丙丁戊己庚辛壬癸", [(0, 2)])
    [(0, 2, 10)]
    """
    found: set[tuple[int, int, int]] = set()
    reach: dict[int, int] = {}  # diagonal (i - j) -> where the last stretch found on it ends in a
    for i, j in sorted(seeds, key=lambda s: (s[0] - s[1], s[0])):
        if i < reach.get(i - j, -1):
            continue  # inside a stretch already found: its extension is that stretch
        if a[i : i + K] == b[j : j + K]:
            start, other, size = _extend(a, i, b, j, K)
            found.add((start, other, size))
            reach[i - j] = start + size - K + 1
    return _choose(found, len(a), len(b), K)


def compare(a: str, b: str, min_span: int = MIN_SPAN) -> tuple[bool, list[tuple[int, int, int]]]:
    """Whether two comparison forms are near-duplicates as wholes, and the blocks that count as shared: every
    block of :data:`MIN_BLOCK` characters for near-duplicates, else the blocks of :data:`MIN_SPAN` or more.

    >>> text = "坚持以习近平法治思想为指导全面贯彻落实党的二十大精神深入推进法治政府建设"
    >>> compare(text, text.replace("二十大", "十九大"))
    (True, [(0, 0, 21), (23, 23, 13)])
    >>> compare("甲" * 60, "乙" * 60)
    (False, [])
    """
    blocks = shared_blocks(a, b, MIN_BLOCK)
    covered = sum(size for _, _, size in blocks)
    if min(len(a), len(b)) >= MIN_WHOLE and covered >= WHOLE_SHARE * max(len(a), len(b)):
        return True, blocks
    return False, [blk for blk in blocks if blk[2] >= min_span]


@dataclass(frozen=True)
class Generation:
    """What finding text reuse reads of a generation, by row: each passage's id, original text and folded text
    (sequences read one item at a time) and its report's index; and by report, the columns the reuse arrays keep
    of each (:func:`report_columns`). :meth:`of_reports` wraps Python objects; :meth:`of_arrays` reads a
    generation's mapped store, so that the indexer builds no object per passage or report for it."""

    report_table: dict[str, np.ndarray]  # report columns (report_id, report_year, ...), one item per report
    report_of: np.ndarray
    passage_ids: Sequence[str]
    texts: Sequence[str]
    folded: Sequence[str]
    row_before: np.ndarray | None = None  # each row's row in the generation before (-1: new), when known
    before: str | None = None  # the name of that generation's counting arrays folder
    rows_before: int = 0  # and its rows

    @property
    def rows(self) -> int:
        return len(self.report_of)

    @property
    def report_count(self) -> int:
        return len(self.report_table["report_id"])

    @classmethod
    def of_reports(cls, reports: Sequence[Report], folded: Mapping[str, str]) -> Generation:
        """``reports`` in row order with their passages, and each passage's folded text by id."""
        passages = [p for r in reports for p in r.passages]
        report_of = np.fromiter((i for i, r in enumerate(reports) for _ in r.passages), np.int64, len(passages))
        ids = [p.passage_id for p in passages]
        columns = report_columns(
            [r.report_id for r in reports],
            [r.year or 0 for r in reports],
            [r.publish_date or "" for r in reports],
            [r.region for r in reports],
        )
        return cls(columns, report_of, ids, [p.text for p in passages], [folded[i] for i in ids])

    @classmethod
    def of_arrays(cls, folder: Path) -> Generation:
        """The generation whose arrays were just written into ``folder`` (:func:`search.arrays.write_arrays`)."""
        arrays = load_arrays(folder)
        if arrays is None:
            raise FileNotFoundError(f"no arrays in {folder}")
        store, raw = arrays.store, arrays.raw
        regions = store.regions()
        columns = report_columns(
            list(Strings(raw["report_id_bytes"], raw["report_id_offsets"])),
            raw["report_year"],
            list(Strings(raw["report_publish_date_bytes"], raw["report_publish_date_offsets"])),
            regions,
            raw["report_region"],
        )
        report_of = np.asarray(store.report_of_row, dtype=np.int64)
        generation = cls(columns, report_of, store.passage_ids, store.text, _FoldedRows(arrays.corpus))
        try:  # an update's arrays: which rows were copied from the generation before (search.arrays.write_arrays)
            meta = json.loads((folder / "meta.json").read_text())
        except FileNotFoundError:
            return generation
        return replace(generation, row_before=raw["row_before"], before=meta["before"], rows_before=meta["rows_before"])


_REGION_FIELDS = ("province", "prefecture", "county", "code", "division_id")


def report_columns(
    ids: Sequence[str], years, dates: Sequence[str], regions: Sequence[Region], region_of=None
) -> dict[str, np.ndarray]:
    """The reports' columns the reuse arrays keep: id, year (0: none), publish date ("": none) and the region's
    fields ("": none), one item per report; ``regions`` per report, or the distinct ones numbered by
    ``region_of`` (a generation's region table: every one of them some report's).

    >>> c = report_columns(["a", "b"], [2024, 0], ["2025-01-02", ""], [Region("山西省")], np.array([0, 0]))
    >>> c["report_year"].tolist(), c["report_date"].tolist(), c["report_province"].tolist(), c["report_county"].dtype
    ([2024, 0], ['2025-01-02', ''], ['山西省', '山西省'], dtype('<U1'))
    """
    if not len(ids):
        return {"report_id": np.zeros(0, dtype="<U1")}
    columns = {
        "report_id": np.array(ids, dtype=str),
        "report_year": np.asarray(years).astype(np.int32),
        "report_date": np.array(dates, dtype=str),
    }
    for f in _REGION_FIELDS:
        values = np.array([getattr(r, f) or "" for r in regions], dtype=str)
        columns[f"report_{f}"] = values if region_of is None else values[np.asarray(region_of)]
    return columns


class _FoldedRows(Sequence[str]):
    """Each row's folded text, decoded from a generation's corpus array when asked for."""

    def __init__(self, corpus) -> None:
        self._corpus = corpus

    def __len__(self) -> int:
        return self._corpus.rows

    def __getitem__(self, row):  # type: ignore[override]
        return self._corpus.text(int(row))


class _Texts:
    """The comparison forms of a generation's passages, made when first needed (a batch at a time), with each
    row's map to its original text as breaks (:func:`search.reuse.offset_breaks`)."""

    def __init__(self, generation: Generation) -> None:
        self.generation = generation
        self.forms: dict[int, str] = {}
        self.breaks: dict[int, tuple[int, int, int]] = {}  # row -> (part, first, end) of its breaks in _parts
        self._parts: list[np.ndarray] = []  # (3, n) int32 each: breaks' index, start shift, end shift
        self._prior: dict | None = None  # the previous generation's arrays, whose breaks serve the rows it had
        self._old_row = np.zeros(0, dtype=np.int64)
        self._packed: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # see pack

    def carry(self, prev: dict | None, old_row: np.ndarray) -> None:
        """Take the breaks of the passages the previous generation had (``old_row`` >= 0: their row there) from
        its arrays rather than making them again (their original text is the same)."""
        if prev is not None and "bp_start" in prev:
            self._prior, self._old_row = prev, old_row

    def carried(self, row: int) -> bool:
        """Whether the row's breaks are the previous generation's (see :meth:`carry`)."""
        return self._prior is not None and self._old_row[row] >= 0

    def load(self, rows, keep: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Make the forms of ``rows`` in one scan (kept when ``keep``), and their breaks; returns the batch's
        code points, each character's row (-1 for separators), its offset in its passage, whether a gram
        starting there stays inside one passage, and each row's length in the comparison form."""
        rows = [int(r) for r in rows]
        sep = "\x00" * _SEPARATOR_RUN
        texts = [self.generation.folded[r] for r in rows]
        # Separators before the first and after the last as between two: a passage's windows, so its
        # fingerprints, are the same wherever it sits in a batch.
        joined = sep + sep.join(texts) + sep
        codes, starts, ends = _comparison_codes(joined)
        # Each row's characters: those standing for its stretch of the joined folded text (NUL is never
        # replaced and no name holds one, so nothing straddles two passages).
        lengths = np.array([len(t) for t in texts], dtype=np.int64)
        folded_bounds = _SEPARATOR_RUN + np.concatenate([[0], np.cumsum(lengths + _SEPARATOR_RUN)])
        row_start = np.searchsorted(starts, folded_bounds[:-1])
        row_end = np.searchsorted(starts, folded_bounds[:-1] + lengths)
        owner = np.full(len(codes), -1, dtype=np.int64)
        marks = np.zeros(len(codes) + 1, dtype=np.int64)
        np.add.at(marks, row_start, 1)
        np.add.at(marks, row_end, -1)
        inside = np.cumsum(marks[:-1]) > 0
        owner[inside] = np.repeat(np.arange(len(rows)), row_end - row_start)
        if keep:
            text = codes.tobytes().decode("utf-32-le")
            for n, r in enumerate(rows):
                self.forms[r] = text[int(row_start[n]) : int(row_end[n])]
        local = np.arange(len(codes), dtype=np.int64) - np.where(owner >= 0, row_start[np.maximum(owner, 0)], 0)
        self._breaks(
            rows,
            texts,
            owner,
            local,
            starts - folded_bounds[np.maximum(owner, 0)],
            ends - folded_bounds[np.maximum(owner, 0)],
        )
        sep_mark = (owner < 0).astype(np.int64)
        csum = np.concatenate([[0], np.cumsum(sep_mark)])
        n_grams = max(0, len(codes) - K + 1)
        invalid = (csum[K : K + n_grams] - csum[:n_grams]) > 0
        row_of = np.where(owner >= 0, np.asarray(rows, dtype=np.int64)[np.maximum(owner, 0)], -1)
        return codes, row_of, local, invalid, row_end - row_start

    def _breaks(self, rows, texts, owner, local, starts, ends) -> None:
        """Each row's breaks from its characters' extents in its folded text (``starts``/``ends``, by character
        of the batch): where folding maps the original one to one, as it nearly always does, those are the
        original extents too; a row where it does not is mapped through :func:`fold_with_extents`."""
        if not len(owner):
            return
        ds, de = starts - local, ends - local - 1
        change = np.zeros(len(owner), dtype=bool)
        change[0] = owner[0] >= 0
        change[1:] = (owner[1:] >= 0) & ((owner[1:] != owner[:-1]) | (ds[1:] != ds[:-1]) | (de[1:] != de[:-1]))
        at = np.flatnonzero(change)
        bounds = np.searchsorted(owner[at], np.arange(len(rows) + 1))
        part = len(self._parts)
        self._parts.append(np.stack([local[at], ds[at], de[at]]).astype(np.int32))
        todo = [n for n, r in enumerate(rows) if r not in self.breaks and not self.carried(r)]
        regular = folds_one_for_one_each([self.generation.texts[rows[n]] for n in todo]).tolist()
        for n, one_for_one in zip(todo, regular, strict=True):
            r = rows[n]
            if one_for_one:
                self.breaks[r] = (part, int(bounds[n]), int(bounds[n + 1]))
            else:
                own = np.stack(offset_breaks(*self._original_extents(r)))
                self._parts.append(own)
                self.breaks[r] = (len(self._parts) - 1, 0, own.shape[1])

    def breaks_of(self, row: int) -> np.ndarray:
        """The row's breaks as a (3, n) array: indexes, start shifts, end shifts."""
        part, b0, b1 = self.breaks[row]
        return self._parts[part][:, b0:b1]

    def _original_extents(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """For each character of the row's comparison form, its extent [start, end) in the original text."""
        folded, f_starts, f_ends = fold_with_extents(self.generation.texts[row])
        _, c_starts, c_ends = _comparison_codes(folded)
        if not len(c_starts):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.asarray(f_starts, dtype=np.int64)[c_starts], np.asarray(f_ends, dtype=np.int64)[c_ends - 1]

    @property
    def parts(self) -> int:
        """How many arrays of breaks are held (a mark for :meth:`export`)."""
        return len(self._parts)

    def export(self, rows: list[int], parts_from: int) -> tuple:
        """The forms and breaks of ``rows``, made since there were ``parts_from`` arrays of breaks: what a forked
        process sends back for :meth:`absorb`."""
        breaks = {r: self.breaks[r] for r in rows if r in self.breaks}  # (none made for a carried row)
        return {r: self.forms[r] for r in rows}, breaks, self._parts[parts_from:], parts_from

    def absorb(self, made: tuple) -> None:
        """Take the forms and breaks another process made (:meth:`export`)."""
        forms, breaks, parts, parts_from = made
        shift = len(self._parts) - parts_from
        self._parts.extend(parts)
        self.forms.update(forms)
        self.breaks.update({r: (part + shift, b0, b1) for r, (part, b0, b1) in breaks.items()})

    def form(self, row: int) -> str:
        if row not in self.forms:
            if self._packed is not None and self._packed[2][row]:
                codes, start, _ = self._packed
                return codes[start[row] : start[row + 1]].astype(np.uint32).tobytes().decode("utf-32-le")
            self.load([row])
        return self.forms[row]

    def codes_of(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The forms of ``rows`` (made if not yet) as code points in one array, and each one's start in it."""
        self.prefetch(rows)
        forms = [self.form(r) for r in rows.tolist()]
        start = np.zeros(len(forms) + 1, dtype=np.int64)
        np.cumsum([len(f) for f in forms], out=start[1:])
        return _code_points(forms), start

    def pack(self, rows: int) -> tuple[np.ndarray, np.ndarray]:
        """Every form held, as code points in one array (uint16 unless a form has a character beyond) and each
        row's start in it (a row without a form has none): what the compiled loops read. The forms are then
        read from it (:meth:`form`), and their strings let go."""
        held = sorted(self.forms)
        lengths = np.zeros(rows, dtype=np.int64)
        lengths[held] = [len(self.forms[r]) for r in held]
        start = np.zeros(rows + 1, dtype=np.int64)
        np.cumsum(lengths, out=start[1:])
        codes: np.ndarray = np.empty(int(start[-1]), dtype=np.uint16)
        for lo in range(0, len(held), _BATCH):
            chunk = held[lo : lo + _BATCH]
            units = _code_points([self.forms.pop(r) for r in chunk])
            if codes.dtype == np.uint16 and len(units) and int(units.max()) > 0xFFFF:
                codes = codes.astype(np.uint32)
            codes[start[chunk[0]] : start[chunk[-1] + 1]] = units
        packed = np.zeros(rows, dtype=bool)
        packed[held] = True
        self._packed = (codes, start, packed)
        return codes, start

    def prefetch(self, rows) -> None:
        missing = [r for r in np.unique(rows).tolist() if r not in self.forms]
        for lo in range(0, len(missing), _BATCH):
            self.load(missing[lo : lo + _BATCH])

    def span(self, row: int, start: int, end: int) -> tuple[int, int]:
        """Original offsets of the comparison form's characters [start, end) of a row."""
        if self.carried(row):
            assert self._prior is not None
            return original_span(self._prior, int(self._old_row[row]), start, end)
        if row not in self.breaks:
            self.load([row], keep=False)
        return shift_span(*self.breaks_of(row), start, end)


def _code_points(forms: list[str]) -> np.ndarray:
    """The forms, one after another, as code points (what the compiled loops read)."""
    return np.frombuffer("".join(forms).encode("utf-32-le"), dtype=np.uint32)


def _explained_by_groups(
    a: int,
    b: int,
    whole: bool,
    blocks: list[tuple[int, int, int]],
    in_groups: dict[int, list[tuple[int, int, int, int]]],
    min_span: int,
) -> bool:
    """Whether the groups already give this pair what it shares: no block holds a stretch of ``min_span``
    characters that no group both passages are in gives them (at the same alignment). Then the pair is not
    stored: boilerplate and a character or two after it (a fingerprint across the junction is held by few of
    the boilerplate's holders: those followed by the same character) is not text of their own."""
    if whole or a not in in_groups or b not in in_groups:
        return False
    through = []  # (start in a, start in b, length) of what a group gives both
    for rep, r0a, r1a, m0a in in_groups[a]:
        for rep_b, r0b, r1b, m0b in in_groups[b]:
            if rep_b != rep:
                continue
            lo, hi = max(r0a, r0b), min(r1a, r1b)
            if hi > lo:
                through.append((m0a + lo - r0a, m0b + lo - r0b, hi - lo))
    for i, j, size in blocks:
        covered = bytearray(size)
        for ti, tj, t_size in through:
            lo, hi = max(i, ti), min(i + size, ti + t_size)
            if ti - tj == i - j and hi > lo:
                covered[lo - i : hi - i] = b"\x01" * (hi - lo)
        if max(map(len, covered.split(b"\x01"))) >= min_span:
            return False
    return True


def passage_signature(passage_id: str, text: str) -> int:
    """What tells a passage apart from one of the same id in another generation: its id and its text."""
    digest = hashlib.blake2b(f"{passage_id}\x1f{text}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


def _pairs(hashes: np.ndarray, rows: np.ndarray, max_df: int) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of rows holding the same fingerprint, for fingerprints held by 2..max_df rows (sorted input,
    one entry per fingerprint and row)."""
    left, right = [], []
    for d in range(1, max_df):
        if d >= len(hashes):
            break
        same = hashes[d:] == hashes[:-d]
        if not same.any():
            break
        idx = np.flatnonzero(same)
        left.append(rows[idx])
        right.append(rows[idx + d])
    if not left:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(left).astype(np.int64), np.concatenate(right).astype(np.int64)


def build_reuse(
    reports: Sequence[Report],
    folded: Mapping[str, str],
    previous: ReuseIndex | None = None,
    min_span: int = MIN_SPAN,
) -> dict[str, np.ndarray]:
    """The reuse arrays of a generation: ``reports`` in row order, ``folded`` text by passage id (see
    :func:`reuse_arrays`)."""
    return reuse_arrays(Generation.of_reports(reports, folded), previous, min_span)


def reuse_arrays(
    generation: Generation, previous: ReuseIndex | None = None, min_span: int = MIN_SPAN, workers: int = 1
) -> dict[str, np.ndarray]:
    """The reuse arrays of a generation. With the ``previous`` generation's reuse, passages it had (same id and
    text) keep their fingerprints and the links among them; only pairs with a new passage are verified.
    ``min_span`` is for tests and listings that look for shorter spans (fingerprints only promise to find
    stretches of K + W - 1 characters). ``workers=2`` fingerprints new passages, verifies pairs and summarises
    passages in two processes (:func:`_in_two`: only where this process has no threads, as the process of
    :func:`reuse_beside` has none)."""
    window = np.array([K, W, FINGERPRINT_RULES], dtype=np.int64)
    if previous is not None and (
        previous.min_span != min_span or not np.array_equal(previous.a.get("fp_window", ()), window)
    ):
        previous = None  # its fingerprints or links were made under other rules: start afresh
    n, report_of, ids = generation.rows, generation.report_of, generation.passage_ids
    texts = _Texts(generation)
    sigs, keys = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    chars = np.zeros(n, dtype=np.int32)
    prev = previous.a if previous is not None and "group_fp" in previous.a else None
    before = generation.row_before
    if prev is None or before is None or generation.rows_before != len(prev["passage_sig"]):
        before = None
    old_row = np.full(n, -1, dtype=np.int64)
    if before is not None:  # rows copied from the generation before: its ids and texts, their signatures known
        copied = np.flatnonzero(before >= 0)
        old_row[copied] = before[copied]
        for name, values in (("passage_sig", sigs), ("passage_key", keys), ("passage_chars", chars)):
            values[copied] = np.asarray(prev[name])[before[copied]]
        for row in np.flatnonzero(before < 0).tolist():
            pid, text = ids[row], generation.texts[row]
            sigs[row], keys[row], chars[row] = passage_signature(pid, text), passage_key(pid), len(text)
    else:
        for row, text in enumerate(generation.texts):  # (a store's texts decode fastest in order)
            pid = ids[row]
            sigs[row], keys[row], chars[row] = passage_signature(pid, text), passage_key(pid), len(text)

    # Fingerprints: kept from the previous generation for passages it had (same id and text: found by their
    # signatures, where the rows copied from it are not known already), made for the others.
    if prev is not None:
        look = np.flatnonzero(old_row < 0)
        prev_sig = np.asarray(prev["passage_sig"])
        by_sig = np.argsort(prev_sig, kind="stable")
        old_row[look] = _lookup(prev_sig[by_sig], by_sig, sigs[look])
    texts.carry(prev, old_row)
    new_rows = np.flatnonzero(old_row < 0)
    nchars = np.zeros(n, dtype=np.int64)
    fp_rows, fp_pos, fp_hash = [], [], []
    if prev is not None:
        kept = np.flatnonzero(old_row >= 0)
        nchars[kept] = prev["passage_nchars"][old_row[kept]]
        starts, ends = prev["fp_start"][old_row[kept]], prev["fp_start"][old_row[kept] + 1]
        counts = ends - starts
        if counts.sum():
            take = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
            fp_rows.append(np.repeat(kept, counts).astype(np.int32))
            fp_pos.append(np.asarray(prev["fp_pos"])[take].astype(np.int32))
            fp_hash.append(np.asarray(prev["fp_hash"])[take])
    batches = [new_rows[lo : lo + _BATCH] for lo in range(0, len(new_rows), _BATCH)]

    def fingerprinted(lo: int, hi: int) -> tuple[list[tuple[np.ndarray, ...]], tuple]:
        """Batches ``lo`` to ``hi``: each one's fingerprints (rows, offsets, hashes) and lengths, and the forms
        and breaks made for them (:meth:`_Texts.export`)."""
        parts_from, found = texts.parts, []
        for batch in batches[lo:hi]:
            codes, row_of, local, invalid, lengths = texts.load(batch)  # (forms kept: groups and pairs need them)
            pos, hashes = fingerprints(codes, invalid)
            found.append((row_of[pos].astype(np.int32), local[pos].astype(np.int32), hashes, lengths))
        rows = np.concatenate(batches[lo:hi]).tolist() if hi > lo else []
        return found, texts.export(rows, parts_from)

    done = 0
    halves = _in_two(fingerprinted, np.array([len(b) for b in batches], dtype=np.int64), workers)
    for half, (found, made) in enumerate(halves):
        if half:  # the forked half's forms and breaks (the first half's were made here)
            texts.absorb(made)
        for rows_fp, pos_fp, hashes, lengths in found:  # (int32 throughout: memory at scale)
            fp_rows.append(rows_fp)
            fp_pos.append(pos_fp)
            fp_hash.append(hashes)
            nchars[batches[done]] = lengths
            done += 1
    rows_all = np.concatenate(fp_rows) if fp_rows else np.zeros(0, np.int32)
    pos_all = np.concatenate(fp_pos) if fp_pos else np.zeros(0, np.int32)
    hash_all = np.concatenate(fp_hash) if fp_hash else np.zeros(0, np.uint64)
    del fp_rows, fp_pos, fp_hash  # (each array is held once at a time: memory at scale)
    step = np.diff(rows_all)
    if not ((step > 0) | ((step == 0) & (np.diff(pos_all) >= 0))).all():  # (a cold build's are in order)
        by_row = np.lexsort((pos_all, rows_all))
        rows_all, pos_all, hash_all = rows_all[by_row], pos_all[by_row], hash_all[by_row]
        del by_row
    del step
    fp_start = np.searchsorted(rows_all, np.arange(n + 1))

    # One entry per fingerprint and row (its first position), grouped by fingerprint: a stable sort by
    # fingerprint keeps the row-and-position order within each.
    h, order = _by_hash(hash_all)
    r, p = rows_all[order], pos_all[order]
    del order, rows_all
    first = np.ones(len(h), dtype=bool)
    first[1:] = (h[1:] != h[:-1]) | (r[1:] != r[:-1])
    h, r, p = h[first], r[first], p[first]
    del first
    run_start = np.flatnonzero(np.concatenate([[True], h[1:] != h[:-1]])) if len(h) else np.zeros(0, np.int64)
    run_len = np.diff(np.concatenate([run_start, [len(h)]]))

    # Groups: for each boilerplate fingerprint, every holder's verbatim stretch of a representative.
    prior = _prior_stretches(prev, old_row)
    records, group_fps, stretch_arrays = _group_stretches(
        h, r, p, run_start, run_len, keys, sigs, nchars, texts, prior, min_span, _prior_groups(prev, old_row)
    )
    del prior

    # Pairs: fingerprints of 2..GROUP_DF holders, in different reports, one of them fresh: new, or holding
    # boilerplate whose group changed (another representative, or no group any more), as pairs the group gave
    # were not stored.
    fresh = old_row < 0
    if prev is not None:
        before = dict(zip(prev["group_fp"].tolist(), prev["group_fp_rep"].tolist(), strict=True))
        now = dict(group_fps)
        changed = [hv for hv, rep in before.items() if now.get(hv) != rep]
        if changed:
            changed_fp = np.array(changed, dtype=np.uint64)  # (h ascending: each one's run of holders)
            lo, hi = np.searchsorted(h, changed_fp, "left"), np.searchsorted(h, changed_fp, "right")
            fresh[r[np.repeat(lo, hi - lo) + ranges(hi - lo)]] = True
    # (Only fingerprints a fresh passage holds: an update's pairs are among a few thousand, not every one.)
    with_fresh = np.logical_or.reduceat(fresh[r], run_start) if len(run_start) else np.zeros(0, dtype=bool)
    small = np.repeat((run_len <= GROUP_DF) & (run_len > 1) & with_fresh, run_len)
    left, right = _pairs(h[small], r[small], GROUP_DF)
    keep = (report_of[left] != report_of[right]) & (fresh[left] | fresh[right])
    left, right = np.minimum(left[keep], right[keep]), np.maximum(left[keep], right[keep])
    codes_pair, shared = np.unique(left * n + right, return_counts=True)
    left, right = codes_pair // n, codes_pair % n
    # A common stretch of 2 (K + W - 1) characters holds two fingerprints: pairs sharing one are verified only
    # when a passage is too short to hold two (a near-duplicate of a short passage), or when spans shorter than
    # 2 (K + W - 1) count (MIN_SPAN is K + W - 1: then every pair sharing a fingerprint is verified).
    single = np.minimum(nchars[left], nchars[right]) < 2 * (K + W - 1)
    take = (shared >= 2) | single | (min_span < 2 * (K + W - 1))
    left, right = left[take], right[take]
    texts.prefetch(np.concatenate([left, right]))

    def seeds_with(a: int, partners: np.ndarray) -> list[list[tuple[int, int]]]:
        """For each partner of row ``a``, the (position in a, position in it) of every fingerprint both hold."""
        lo, hi = int(fp_start[a]), int(fp_start[a + 1])
        by_hash = np.argsort(hash_all[lo:hi], kind="stable")
        own_hash, own_pos = hash_all[lo:hi][by_hash], pos_all[lo:hi][by_hash]
        counts = fp_start[partners + 1] - fp_start[partners]
        at = np.repeat(fp_start[partners], counts) + ranges(counts)
        theirs, owner = hash_all[at], np.repeat(np.arange(len(partners)), counts)
        first, last = np.searchsorted(own_hash, theirs, "left"), np.searchsorted(own_hash, theirs, "right")
        hits = np.flatnonzero(last > first)
        many = (last - first)[hits]
        entry = np.repeat(hits, many)
        i = own_pos[np.repeat(first[hits], many) + ranges(many)]
        j, whose = pos_all[at[entry]], owner[entry]
        seeds: list[list[tuple[int, int]]] = [[] for _ in range(len(partners))]
        for w, si, sj in zip(whose.tolist(), i.tolist(), j.tolist(), strict=True):
            seeds[w].append((si, sj))
        return seeds

    def verify(a: int, b: int, seeds: list[tuple[int, int]]) -> tuple[bool, list[tuple[int, int, int]]]:
        """What a pair shares, in Python (what the compiled :func:`search.reuse_kernels.verify_runs` does)."""
        text_a, text_b = texts.form(a), texts.form(b)
        if min_span < K + W - 1:
            return compare(text_a, text_b, min_span)
        blocks = seeded_blocks(text_a, text_b, seeds)
        covered = sum(size for _, _, size in blocks)
        if min(len(text_a), len(text_b)) >= MIN_WHOLE and covered >= _NEAR_SHARE * max(len(text_a), len(text_b)):
            return compare(text_a, text_b, min_span)  # perhaps a near-duplicate: every block counts
        return False, [blk for blk in blocks if blk[2] >= min_span]

    # Pairs come sorted by their first row: each row's seeds with all its partners are found at once.
    runs = np.flatnonzero(np.concatenate([[True], left[1:] != left[:-1], [True]])) if len(left) else np.zeros(1, int)
    codes, form_start = texts.pack(n)
    groups = _memberships(records, n)
    params = (min_span, K, W, MIN_BLOCK, MIN_WHOLE, WHOLE_SHARE, _NEAR_SHARE)

    def verified(lo: int, hi: int) -> dict[tuple[int, int], tuple[bool, list[tuple[int, int, int, int]]]]:
        """The links of the pairs in runs ``lo`` to ``hi``, verified by the compiled loops a chunk of runs at a
        time (a pair whose form is too long for them, in Python)."""
        from search import reuse_kernels as kernels  # (numba: only here, never in a search worker)

        found = {}
        while lo < hi:
            upto = min(max(int(np.searchsorted(runs, runs[lo] + _PAIRS_AT_ONCE, "right")) - 1, lo + 1), hi)
            state, block_start, *blocks = kernels.verify_runs(
                codes, form_start, fp_start, hash_all, pos_all, left, right, runs[lo : upto + 1], groups, params
            )
            first_pair, bi, bj, bs = int(runs[lo]), *(x.tolist() for x in blocks)
            bounds = block_start.tolist()
            for q in np.flatnonzero(state).tolist():
                a, b = int(left[first_pair + q]), int(right[first_pair + q])
                if state[q] == kernels.TOO_LONG:
                    whole, shared = verify(a, b, seeds_with(a, np.array([b]))[0] if min_span >= K + W - 1 else [])
                    if not shared or (
                        not whole and kernels.explained_by_groups(a, b, *np.array(shared, np.int64).T, groups, min_span)
                    ):
                        continue
                else:  # (what the groups explain is left out already)
                    whole, s0, s1 = state[q] == kernels.WHOLE, bounds[q], bounds[q + 1]
                    shared = list(zip(bi[s0:s1], bj[s0:s1], bs[s0:s1], strict=True))
                spans = [(*texts.span(a, i, i + s), *texts.span(b, j, j + s)) for i, j, s in shared]
                found[(a, b)] = (bool(whole), spans)
            lo = upto
        return found

    links = {}
    for part in _in_two(verified, np.diff(runs), workers):
        links.update(part)
    kept_links = _kept_links(prev, old_row)  # among kept passages, from the previous generation: these win
    if len(kept_links["x"]) and links:
        pair = kept_links["x"] * n + kept_links["y"]
        again = set(pair[kept_links["x"] < kept_links["y"]].tolist())
        links = {(a, b): link for (a, b), link in links.items() if a * n + b not in again}

    arrays = _assemble(generation, sigs, keys, chars, nchars, links, kept_links, records, texts, old_row, prev)
    arrays["min_span"] = np.array([min_span], dtype=np.int64)
    arrays["fp_window"] = window
    arrays["fp_start"] = fp_start.astype(np.int64)
    # A fingerprint's offset in its passage: two bytes unless a passage is longer than 65,535 characters.
    short = not len(pos_all) or int(pos_all.max()) < 1 << 16
    arrays["fp_pos"] = pos_all.astype(np.uint16 if short else np.int32)
    arrays["fp_hash"] = hash_all.astype(np.uint64)
    arrays["group_fp"] = np.array([hv for hv, _ in group_fps], dtype=np.uint64)
    arrays["group_fp_rep"] = np.array([rep for _, rep in group_fps], dtype=np.int64)
    arrays.update(stretch_arrays)
    _summarise(arrays, workers, prev, old_row)
    return arrays


def _by_hash(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The hashes sorted, and numpy's ``argsort(hashes, kind="stable")`` (a compiled radix sort: 4× faster than
    numpy's at a hundred million fingerprints, and the sorted hashes come with it)."""
    n = len(hashes)
    index = np.int32 if n < 2**31 else np.int64
    keys, order = np.empty(n, dtype=np.uint64), np.empty(n, dtype=index)
    radix_order(np.ascontiguousarray(hashes, dtype=np.uint64), keys, order, np.empty(n, np.uint64), np.empty(n, index))
    return keys, order


def _lexsort2(minor: np.ndarray, major: np.ndarray) -> np.ndarray:
    """``np.lexsort((minor, major))`` of two non-negative int64 arrays, by two stable radix sorts (about twice
    as fast at millions).

    >>> _lexsort2(np.array([5, 1, 5, 0]), np.array([2, 2, 1, 2])).tolist()
    [2, 3, 1, 0]
    """
    _, by_minor = _by_hash(np.ascontiguousarray(minor, dtype=np.int64).view(np.uint64))
    _, by_major = _by_hash(np.ascontiguousarray(np.asarray(major)[by_minor], dtype=np.int64).view(np.uint64))
    return by_minor[by_major].astype(np.int64)


def _stretch_order(stretches: dict[str, np.ndarray]) -> np.ndarray:
    """``np.lexsort`` of stretches by representative, member, diagonal, then m0 (rows and offsets under 2**31),
    as :func:`_lexsort2` of two codes.

    >>> _stretch_order({"rep": np.array([1, 0, 0]), "member": np.array([2, 2, 2]), "diag": np.array([0, 3, -3]),
    ...                 "m0": np.array([0, 0, 9])}).tolist()
    [2, 1, 0]
    """
    minor = ((np.asarray(stretches["diag"], dtype=np.int64) + (1 << 31)) << 31) | stretches["m0"]
    return _lexsort2(minor, _pair_codes(stretches["rep"], stretches["member"]))


_RECORD_COLUMNS = ("rep", "member", "r0", "r1", "m0")
"""A group member record: the member's verbatim interval [r0, r1) of the representative, at m0 in the member
(records are columns of these names: one record per (rep, member, r0, r1))."""


def _memberships(records: dict[str, np.ndarray], rows: int) -> tuple[np.ndarray, ...]:
    """Each row's group memberships as arrays, for the compiled loops: start by row into representatives, r0,
    r1 and m0, in the records' order."""
    order = np.argsort(records["member"], kind="stable")
    start = np.searchsorted(records["member"][order], np.arange(rows + 1))
    return (start, *(np.ascontiguousarray(records[c][order], dtype=np.int64) for c in ("rep", "r0", "r1", "m0")))


_STRETCH_COLUMNS = ("rep", "member", "diag", "m0", "r0", "size", "counts")
"""A stretch: the maximal common stretch of a group's representative and a member through a fingerprint both
hold, on one diagonal (member offset minus representative offset); ``counts`` when it is long enough to count."""


def _new_of_old(prev: dict, old_row: np.ndarray) -> np.ndarray:
    """Each previous row's row in this generation (-1: not kept), from each row's previous row (``old_row``)."""
    new_of_old = np.full(len(prev["passage_sig"]), -1, dtype=np.int64)
    kept = np.flatnonzero(old_row >= 0)
    new_of_old[old_row[kept]] = kept
    return new_of_old


def _prior_stretches(prev: dict | None, old_row: np.ndarray) -> dict[str, np.ndarray]:
    """The previous generation's stretches between two passages this one keeps, on this one's rows (columns
    :data:`_STRETCH_COLUMNS`)."""
    if prev is None or "stretch_rep" not in prev:
        return {c: np.zeros(0, np.int64) for c in _STRETCH_COLUMNS}
    new_of_old = _new_of_old(prev, old_row)
    rep, member = new_of_old[prev["stretch_rep"]], new_of_old[prev["stretch_member"]]
    keep = (rep >= 0) & (member >= 0)
    out = {"rep": rep[keep], "member": member[keep]}
    for f in _STRETCH_COLUMNS[2:]:
        out[f] = np.asarray(prev[f"stretch_{f}"])[keep].astype(np.int64)
    return out


def _prior_groups(prev: dict | None, old_row: np.ndarray) -> dict[str, np.ndarray] | None:
    """The previous generation's groups as this one's rows see them, for :func:`_group_stretches` to carry
    over: each boilerplate fingerprint and its representative's signature (``fp``, ``rep_sig``), whether each
    row was kept (``kept``), and the member records between kept passages (columns :data:`_RECORD_COLUMNS`;
    the representatives' own records left out)."""
    if prev is None or "group_fp" not in prev:
        return None
    new_of_old = _new_of_old(prev, old_row)
    rep = new_of_old[np.asarray(prev["group_rep"])[np.asarray(prev["member_group"])]]
    member = new_of_old[np.asarray(prev["member_row"])]
    keep = (rep >= 0) & (member >= 0) & (rep != member)
    columns = (rep, member, *(np.asarray(prev[f"member_{c}"]) for c in ("r0", "r1", "m0")))
    return {
        "fp": np.asarray(prev["group_fp"]),
        "rep_sig": np.asarray(prev["group_fp_rep"]),
        "kept": old_row >= 0,
        **{name: np.asarray(c)[keep].astype(np.int64) for name, c in zip(_RECORD_COLUMNS, columns, strict=True)},
    }


def _pair_codes(rep: np.ndarray, member: np.ndarray) -> np.ndarray:
    """One int64 per (representative, member) pair of rows, ordered as the pairs are."""
    return rep.astype(np.int64) * (1 << 31) + member


def _containing(stretches: dict[str, np.ndarray], rep, member, diagonal, offset) -> np.ndarray:
    """For each fingerprint of a member at ``offset`` on ``diagonal`` with representative ``rep``, the index
    of the stretch holding its gram, or -1. The stretches of one pair and diagonal are maximal, so disjoint:
    only the last one starting at or before the offset can hold it. One sort of stretches and fingerprints
    together, by (pair, diagonal, offset), a stretch before a fingerprint at its first offset."""
    ns = len(stretches["rep"])
    if not ns:
        return np.full(len(rep), -1, dtype=np.int64)
    diag_all = np.concatenate([stretches["diag"], diagonal])
    at_all = np.concatenate([stretches["m0"], offset])
    pair = _pair_codes(np.concatenate([stretches["rep"], rep]), np.concatenate([stretches["member"], member]))
    # (diagonal, offset, stretch before fingerprint) as one number: offsets and diagonals are under a passage's
    # length, itself under 2**30 (a file is at most a few MiB)
    span = int(max(np.abs(diag_all).max(), at_all.max())) + 1
    assert span < 1 << 30, "a passage longer than 2**30 characters"
    place = (diag_all + span) * (span + 1) + at_all
    place <<= 1
    place[ns:] += 1
    order = _lexsort2(place, pair)
    del place
    seen = np.where(order < ns, np.arange(len(order)), -1)
    np.maximum.accumulate(seen, out=seen)  # in sorted order: the last stretch so far
    queries = np.flatnonzero(order >= ns)
    j = seen[queries]
    found = np.full(len(rep), -1, dtype=np.int64)
    q = order[queries] - ns
    ok = j >= 0
    s = np.where(ok, order[np.maximum(j, 0)], 0)
    ok &= (pair[s] == pair[ns + q]) & (diag_all[s] == diagonal[q])
    ok &= offset[q] + K <= stretches["m0"][s] + stretches["size"][s]
    found[q[ok]] = s[ok]
    return found


def _group_stretches(
    h,
    r,
    p,
    run_start,
    run_len,
    keys,
    sigs,
    nchars,
    texts: _Texts,
    prior: dict[str, np.ndarray],
    min_span: int,
    before: dict[str, np.ndarray] | None = None,
) -> tuple[dict[str, np.ndarray], list[tuple[int, int]], dict[str, np.ndarray]]:
    """Groups: for each boilerplate fingerprint (held by more than :data:`GROUP_DF` passages), every holder's
    verbatim stretch of a representative (the holder of least key). Returns the member records (columns
    :data:`_RECORD_COLUMNS`, one per (rep, member, r0, r1): for a stretch found at two alignments, the one met
    last in fingerprint then row order), each group's (fingerprint, its representative's signature), and the
    stretches of every (representative, member) pair visited, for the next generation.

    A boilerplate stretch holds several fingerprints, each a group over the same passages: a stretch is
    extended once (``prior``: the previous generation's, whose texts are the same), and every fingerprint it
    holds is matched to it on arrays (:func:`_containing`), in rounds: each round extends the first fingerprint
    no stretch holds yet of each pair and diagonal (a hash collision is dropped)."""
    from search import reuse_kernels as kernels  # (numba: only in the indexer, see verified in reuse_arrays)

    big = np.flatnonzero(run_len > GROUP_DF)
    lens = run_len[big]
    at = np.repeat(run_start[big], lens) + ranges(lens)
    gid = np.repeat(np.arange(len(big)), lens)
    rows, pos = r[at].astype(np.int64), p[at].astype(np.int64)
    # Each group's first holder of least key (its entries are consecutive: a minimum per run, no sort).
    key_at = keys[rows]
    starts = np.cumsum(lens) - lens
    least = np.flatnonzero(key_at == np.repeat(np.minimum.reduceat(key_at, starts), lens) if len(at) else [])
    first = least[np.searchsorted(least, starts)]
    del key_at, least
    rep_row, rep_pos = rows[first], pos[first]
    group_fps = list(zip(h[run_start[big]].tolist(), sigs[rep_row].tolist(), strict=True))
    is_member = np.ones(len(at), dtype=bool)
    is_member[first] = False
    group = gid[is_member]
    rep, member, offset = rep_row[group], rows[is_member], pos[is_member]
    diagonal = offset - rep_pos[group]
    del at, gid, rows, pos, is_member

    # An update: a (representative, member) pair whose fingerprints in groups are those it had (each of them
    # boilerplate then and now, with the same representative), both passages kept, keeps its records and
    # stretches (``before``); only the other pairs' fingerprints are matched and extended below.
    carried = None
    if before is not None:
        affected = _affected_pairs(h, r, run_start, run_len, big, sigs, rep_row, rep, member, group, before)
        take = _among(_pair_codes(rep, member), affected)
        rep, member, offset, diagonal, group = rep[take], member[take], offset[take], diagonal[take], group[take]
        del take
        in_prior = _among(_pair_codes(prior["rep"], prior["member"]), affected)
        carried = (affected, before, {c: np.asarray(v)[~in_prior] for c, v in prior.items()})
        prior = {c: np.asarray(v)[in_prior] for c, v in prior.items()}

    stretches = {c: np.asarray(v, dtype=np.int64) for c, v in prior.items()}
    holder = np.full(len(member), -1, dtype=np.int64)
    pending = np.arange(len(member))
    dead_all: list[np.ndarray] = []
    while len(pending):
        holder[pending] = _containing(stretches, rep[pending], member[pending], diagonal[pending], offset[pending])
        pending = pending[holder[pending] < 0]
        if not len(pending):
            break
        pair = _pair_codes(rep[pending], member[pending])
        order = np.lexsort((diagonal[pending], pair))
        pair, ends = pair[order], pending[order]
        new_run = np.ones(len(ends), dtype=bool)
        new_run[1:] = (pair[1:] != pair[:-1]) | (diagonal[ends[1:]] != diagonal[ends[:-1]])
        firsts = ends[new_run]
        held_rows = np.unique(np.concatenate([member[firsts], rep[firsts]]))
        codes, form_start = texts.codes_of(held_rows)
        m_at, r_at = np.searchsorted(held_rows, member[firsts]), np.searchsorted(held_rows, rep[firsts])
        same, (m0, r0, size) = kernels.extend_at(
            codes, form_start, m_at, r_at, offset[firsts], offset[firsts] - diagonal[firsts], K
        )
        del codes
        dead = firsts[~same]  # a hash collision: this fingerprint stays without a stretch
        size, length = size[same], np.diff(form_start)[m_at[same]]
        whole = (size >= MIN_WHOLE) & (size >= WHOLE_SHARE * length)
        made = (rep[firsts][same], member[firsts][same], diagonal[firsts][same], m0[same], r0[same], size)
        for c, values in zip(_STRETCH_COLUMNS, (*made, (size >= min_span) | whole), strict=True):
            stretches[c] = np.concatenate([stretches[c], values.astype(np.int64)])
        dead_all.append(dead)
        pending = np.setdiff1d(pending, dead_all[-1], assume_unique=True)  # (each other first is held now)

    # Records: each counting stretch a member was found in, keyed by its interval of the representative; of one
    # interval met at two alignments, the alignment met last wins.
    met = np.flatnonzero(holder >= 0)
    met = met[stretches["counts"][holder[met]] > 0]
    s = holder[met]
    key = (rep[met], member[met], stretches["r0"][s], stretches["r0"][s] + stretches["size"][s])
    order = _lexsort2(key[2] * (1 << 31) + key[3], _pair_codes(key[0], key[1]))  # (met ascending: stable sorts)
    last = np.ones(len(order), dtype=bool)
    if len(order):
        last[:-1] = np.any([c[order[1:]] != c[order[:-1]] for c in key], axis=0)
    pick = order[last]
    columns = (*key, stretches["m0"][s])
    found = {name: column[pick].astype(np.int64) for name, column in zip(_RECORD_COLUMNS, columns, strict=True)}
    if carried is not None:  # the records of the pairs carried over, after those worked out here
        affected, before, _ = carried
        unchanged = ~_among(_pair_codes(before["rep"], before["member"]), affected)
        found = {name: np.concatenate([found[name], before[name][unchanged]]) for name in _RECORD_COLUMNS}
    # A group where a stretch counts: its representative holds it all (each representative once, where met first;
    # then those of the records carried over).
    holding = np.concatenate([rep_row[np.unique(group[met])], found["rep"]])
    holding = holding[np.sort(np.unique(holding, return_index=True)[1])]
    none = np.zeros(len(holding), dtype=np.int64)
    records = {
        name: np.concatenate([found[name], mine]).astype(np.int64)
        for name, mine in zip(_RECORD_COLUMNS, (holding, holding, none, nchars[holding], none), strict=True)
    }

    # The stretches of every pair visited, for the next generation: a pair is visited when one of its stretches
    # holds a fingerprint of it, or a fingerprint of it was a collision (every fingerprint is one or the other).
    order = _stretch_order(stretches)
    ordered = {c: stretches[c][order] for c in _STRETCH_COLUMNS}
    held = np.zeros(len(order), dtype=bool)
    held[holder[holder >= 0]] = True
    pair = _pair_codes(ordered["rep"], ordered["member"])
    runs = np.flatnonzero(np.concatenate([[True], pair[1:] != pair[:-1]])) if len(pair) else np.zeros(0, np.int64)
    visited = np.logical_or.reduceat(held[order], runs) if len(runs) else np.zeros(0, dtype=bool)
    collided = np.concatenate(dead_all) if dead_all else np.zeros(0, np.int64)
    visited |= _among(pair[runs], np.sort(_pair_codes(rep[collided], member[collided])))
    keep = np.repeat(visited, np.diff(np.append(runs, len(pair))))
    kept = {c: ordered[c][keep] for c in _STRETCH_COLUMNS}
    if carried is not None:  # every stretch of the pairs carried over (each was visited then, and is now)
        other = carried[2]
        both = {c: np.concatenate([kept[c], np.asarray(other[c], dtype=np.int64)]) for c in _STRETCH_COLUMNS}
        order = _stretch_order(both)
        kept = {c: both[c][order] for c in _STRETCH_COLUMNS}
    out = {f"stretch_{c}": kept[c].astype(bool if c == "counts" else np.int32) for c in _STRETCH_COLUMNS}
    return records, group_fps, out


def _affected_pairs(h, r, run_start, run_len, big, sigs, rep_row, rep, member, group, before) -> np.ndarray:
    """The (representative, member) pair codes (:func:`_pair_codes`, ascending) an update must work out again:
    those holding a fingerprint whose group is new, gone or has another representative (under its
    representative now and then), and those with a passage not kept."""
    fp_now, sig_now = h[run_start[big]], sigs[rep_row]  # (ascending fingerprints)
    order = np.argsort(before["fp"])
    fp_then, sig_then = before["fp"][order], before["rep_sig"][order]
    moved_now = _lookup(fp_then, sig_then, fp_now) != sig_now  # groups new, or with another representative
    # Each group then that is gone or has another representative: its representative's row now (-1: gone), and
    # the fingerprint's holders now.
    lost = np.flatnonzero(_lookup(fp_now, sig_now, fp_then) != sig_then)
    by_sig = np.argsort(sigs)
    old_rep = _lookup(sigs[by_sig], by_sig, sig_then[lost])
    run = _lookup(h[run_start], np.arange(len(run_start)), fp_then[lost])
    held = (run >= 0) & (old_rep >= 0)
    run, old_rep = run[held], old_rep[held]
    counts = run_len[run]
    holders = r[np.repeat(run_start[run], counts) + ranges(counts)].astype(np.int64)
    kept = before["kept"]
    redo = moved_now[group] | ~(kept[rep] & kept[member])
    pieces = [_pair_codes(np.repeat(old_rep, counts), holders), _pair_codes(rep[redo], member[redo])]
    return _distinct(np.concatenate(pieces))


def _lookup(keys: np.ndarray, values: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """The value (int64) of each query's equal among ``keys`` (ascending, distinct), or -1.

    >>> _lookup(np.array([2, 5, 9]), np.array([20, 50, 90]), np.array([5, 6, 9, 1])).tolist()
    [50, -1, 90, -1]
    """
    if not len(keys):
        return np.full(len(queries), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(keys, queries), len(keys) - 1)
    return np.where(keys[at] == queries, values[at], -1).astype(np.int64)


def _among(values: np.ndarray, ascending: np.ndarray) -> np.ndarray:
    """Whether each value is among ``ascending`` (sorted): numpy's ``isin`` by binary search (numpy 2.4's hashes
    the values first, several times slower on tens of millions).

    >>> _among(np.array([5, 6, 9, 1]), np.array([2, 5, 9])).tolist()
    [True, False, True, False]
    """
    if not len(ascending):
        return np.zeros(len(values), dtype=bool)
    return ascending[np.minimum(np.searchsorted(ascending, values), len(ascending) - 1)] == values


def _assemble(
    generation: Generation, sigs, keys, chars, nchars, links, kept_links, records, texts, old_row, previous
) -> dict[str, np.ndarray]:
    n, report_of = generation.rows, generation.report_of
    a = empty_arrays(n, generation.report_count)
    a["passage_id"] = _passage_ids(generation, old_row, previous) if n else a["passage_id"]
    a["passage_key"] = keys
    a["key_order"] = np.argsort(keys, kind="stable")
    a["key_sorted"] = keys[a["key_order"]]
    a["passage_sig"] = sigs
    a["passage_report"] = report_of.astype(np.int32)
    a["passage_chars"] = chars
    a["passage_nchars"] = nchars.astype(np.int32)
    if generation.report_count:
        a.update(generation.report_table)
    a["report_rank"] = time_ranks(a["report_year"], a["report_date"])
    a["report_first_row"] = np.searchsorted(report_of, np.arange(generation.report_count + 1)).astype(np.int64)

    a.update(_link_arrays(links, kept_links, n))

    # Groups: members by representative, each with its map from comparison-form to original offsets.
    order = np.lexsort((records["r1"], records["r0"], records["member"], records["rep"]))
    reps = np.unique(records["rep"])
    a["group_rep"] = reps.astype(np.int32)
    member_group = np.searchsorted(reps, records["rep"][order]).astype(np.int32)
    a["member_group"] = member_group
    a["group_member_start"] = np.searchsorted(member_group, np.arange(len(reps) + 1)).astype(np.int64)
    for name in ("row", "r0", "r1", "m0"):
        a[f"member_{name}"] = records["member" if name == "row" else name][order].astype(np.int32)
    _put_breaks(a, texts, old_row, previous)
    by_row = np.argsort(a["member_row"], kind="stable")
    a["row_member"] = by_row.astype(np.int64)
    a["row_member_start"] = np.searchsorted(a["member_row"][by_row], np.arange(n + 1)).astype(np.int64)
    return a


def _passage_ids(generation: Generation, old_row: np.ndarray, previous: dict | None) -> np.ndarray:
    """Each row's passage id as one array of strings (``np.array(ids, dtype=str)``): a kept row's is its row's
    in the previous generation (same id and text), only the others' are read."""
    ids = generation.passage_ids
    if previous is None:
        return np.array([ids[r] for r in range(len(old_row))], dtype=str)
    kept = np.flatnonzero(old_row >= 0)
    made = np.flatnonzero(old_row < 0)
    copied = np.asarray(previous["passage_id"])[old_row[kept]]
    read = np.array([ids[r] for r in made.tolist()], dtype=str)
    width = max(int(np.char.str_len(copied).max()) if len(copied) else 1, read.dtype.itemsize // 4 or 1)
    out = np.empty(len(old_row), dtype=f"<U{width}")
    out[kept], out[made] = copied, read
    return out


_LINK_COLUMNS = ("x", "y", "whole", "spans", "span")
"""Links in both directions as arrays: from row x to row y, whether whole, how many spans, and the spans one after
another (x's start and end, then y's)."""


def _kept_links(prev: dict | None, old_row: np.ndarray) -> dict[str, np.ndarray]:
    """The previous generation's links between two passages this one keeps, in both directions, on this one's
    rows (columns :data:`_LINK_COLUMNS`)."""
    if prev is None:
        return {
            "x": np.zeros(0, np.int64),
            "y": np.zeros(0, np.int64),
            "whole": np.zeros(0, bool),
            "spans": np.zeros(0, np.int64),
            "span": np.zeros((0, 4), np.int32),
        }
    new_of_old = _new_of_old(prev, old_row)
    start = np.asarray(prev["link_start"])
    x = new_of_old[np.repeat(np.arange(len(start) - 1), np.diff(start))]
    y = new_of_old[np.asarray(prev["link_other"])]
    keep = np.flatnonzero((x >= 0) & (y >= 0))
    span_start = np.asarray(prev["link_span_start"])
    spans = (span_start[keep + 1] - span_start[keep]).astype(np.int64)
    span = np.asarray(prev["span"])[np.repeat(span_start[keep], spans) + ranges(spans)]
    return {"x": x[keep], "y": y[keep], "whole": np.asarray(prev["link_whole"])[keep], "spans": spans, "span": span}


def _link_arrays(links: dict, kept: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """The link arrays (by row, in both directions, ordered by row then other row) of the pairs verified here
    (``links``: (a, b) -> (whole, spans), each pair once) and of the ``kept`` ones (both directions already)."""
    made: dict[str, list] = {c: [] for c in _LINK_COLUMNS}
    for (x, y), (whole, spans) in links.items():
        made["x"] += [x, y]
        made["y"] += [y, x]
        made["whole"] += [whole, whole]
        made["spans"] += [len(spans), len(spans)]
        made["span"] += [*spans, *((s[2], s[3], s[0], s[1]) for s in spans)]
    dtypes = {"x": np.int64, "y": np.int64, "whole": bool, "spans": np.int64, "span": np.int32}
    c = {
        name: np.concatenate([np.asarray(kept[name], dtype=dtypes[name]), np.array(made[name], dtype=dtypes[name])])
        for name in ("x", "y", "whole", "spans")
    }
    # every entry's spans, in the entries' order: the kept ones', then those made here
    pool = np.concatenate(
        [np.asarray(kept["span"], dtype=np.int32).reshape(-1, 4), np.array(made["span"], dtype=np.int32).reshape(-1, 4)]
    )
    first = np.cumsum(c["spans"]) - c["spans"]
    order = np.lexsort((c["y"], c["x"]))
    counts = c["spans"][order]
    return {
        "link_start": np.searchsorted(c["x"][order], np.arange(n + 1)).astype(np.int64),
        "link_other": c["y"][order].astype(np.int32),
        "link_whole": c["whole"][order],
        "link_span_start": np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        "span": pool[np.repeat(first[order], counts) + ranges(counts)],
    }


def _put_breaks(a: dict[str, np.ndarray], texts: _Texts, old_row: np.ndarray, prev: dict | None) -> None:
    """Every row's breaks (``bp_*``, see :func:`search.reuse.offset_breaks`): made with the forms, or for a
    passage the previous generation had and nothing here read, copied from it."""
    n = len(old_row)
    copied = np.flatnonzero(old_row >= 0) if prev is not None else np.zeros(0, np.int64)
    copied = copied[[int(r) not in texts.breaks for r in copied.tolist()]] if len(copied) else copied
    is_copied = np.zeros(n, dtype=bool)
    is_copied[copied] = True
    missing = [r for r in np.flatnonzero(~is_copied).tolist() if r not in texts.breaks]
    for lo in range(0, len(missing), _BATCH):
        texts.load(missing[lo : lo + _BATCH], keep=False)
    made = np.flatnonzero(~is_copied)
    counts = np.zeros(n, dtype=np.int64)
    counts[made] = [texts.breaks[r][2] - texts.breaks[r][1] for r in made.tolist()]
    if len(copied):
        p0 = np.asarray(prev["bp_start"])[old_row[copied]]
        counts[copied] = np.asarray(prev["bp_start"])[old_row[copied] + 1] - p0
    start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    a["bp_start"] = start
    made_breaks = np.concatenate([texts.breaks_of(r) for r in made.tolist()], axis=1) if len(made) else None
    made_at = np.repeat(start[made], counts[made]) + ranges(counts[made]) if made_breaks is not None else None
    if len(copied):
        source = np.repeat(p0, counts[copied]) + ranges(counts[copied])
        copied_at = np.repeat(start[copied], counts[copied]) + ranges(counts[copied])
    for k, name in enumerate(("bp_at", "bp_ds", "bp_de")):
        out = np.zeros(int(start[-1]), dtype=np.int32)
        if made_breaks is not None:
            out[made_at] = made_breaks[k]
        if len(copied):
            out[copied_at] = np.asarray(prev[name])[source]
        a[name] = out


def _summarise(
    a: dict[str, np.ndarray], workers: int = 1, prev: dict | None = None, old_row: np.ndarray | None = None
) -> None:
    """Each passage's counts, earliest holder and tie, and each report's originality, from the links and groups,
    with the rules that answer requests (:meth:`ReuseIndex.links_of`): a group member shares text with another
    member of another report when their intervals of the representative overlap by ``min_span`` characters, or
    cover :data:`WHOLE_SHARE` of both passages.

    Boilerplate held by thousands of passages makes every holder's partners thousands: enumerating them row by
    row is quadratic. Instead, a member's partners in a group depend only on its interval and, for a short
    passage, its length (its *key*); the partners of each key are worked out once per group, over the group's
    members at once, as a set of rows (a compressed bitmap) with their reports, earliest rank and the
    representative's intervals held by earlier members. A row's counts are then unions of its keys' sets.

    An update gives the previous generation's arrays (``prev``) and each row's row there (``old_row``, -1: new):
    a row whose partners among the passages kept are the ones it had then (:func:`_unchanged_partners`) is
    summarised from its summary then and its new partners alone (:func:`_carried`), without the unions of its
    keys' sets; the others afresh."""
    n = int(len(a["passage_id"]))
    reports = len(a["report_id"])
    min_span = int(a["min_span"][0])
    report = np.asarray(a["passage_report"]).astype(np.int64)
    rank = np.asarray(a["report_rank"])[report] if n else np.zeros(0, np.int64)
    first_row = np.asarray(a["report_first_row"])
    nchars = np.asarray(a["passage_nchars"]).astype(np.int64)
    keys = _member_keys(a, nchars, min_span)
    kept = old_row >= 0 if prev is not None and old_row is not None and "passage_cover" in prev else None
    sets = _key_sets(a, keys, report, rank, nchars, min_span, kept)
    covers = _Covers(sets)
    row_member_start, row_member = np.asarray(a["row_member_start"]), np.asarray(a["row_member"])
    link_start, link_other = np.asarray(a["link_start"]), np.asarray(a["link_other"]).astype(np.int64)
    candidates = np.flatnonzero((np.diff(link_start) > 0) | (np.diff(row_member_start) > 0))
    carried = tuple(np.zeros(0, np.int64) for _ in range(6))
    if kept is not None and n:
        carried = _carried(a, prev, old_row, candidates, keys, covers, rank)
        candidates = candidates[~_among(candidates, np.sort(carried[0]))]
    # Each candidate's keys; candidates taken in the order of their keys, so that rows with the same keys (most
    # holders of one boilerplate: no links of their own) share one union of their sets, made once.
    key_ids = [
        tuple(sorted({int(k) for k in keys[row_member[row_member_start[row] : row_member_start[row + 1]]]}))
        for row in candidates.tolist()
    ]
    by_keys = sorted(range(len(candidates)), key=key_ids.__getitem__)
    candidates, key_ids = candidates[by_keys], [key_ids[i] for i in by_keys]
    unions = _PrefixUnions(sets)

    def summaries(lo: int, hi: int) -> dict[int, tuple[int, int, int, bool, int]]:
        """Row -> (passages, reports, earliest holder, tie, characters covered) for candidates lo to hi."""
        found = {}
        for row, ids in zip(candidates[lo:hi].tolist(), key_ids[lo:hi], strict=True):
            own, own_rank = int(report[row]), int(rank[row])
            rows_u, reps_u, (best, best_row), at_keys = unions.of(ids)
            others = link_other[link_start[row] : link_start[row + 1]]
            if len(others):
                rows_u = rows_u | BitMap(others.astype(np.uint32))
                reps_u = reps_u | BitMap(report[others].astype(np.uint32))
            passages = len(rows_u) - rows_u.range_cardinality(int(first_row[own]), int(first_row[own + 1]))
            if passages == 0:
                continue
            # The earliest holder (this row included) and the reports tied with it.
            keys_best = best
            best, best_row = min((own_rank, row), (best, best_row))
            if len(others):
                other_rank = rank[others]
                i = int(np.lexsort((others, other_rank))[0])
                if (int(other_rank[i]), int(others[i])) < (best, best_row):
                    best, best_row = int(other_rank[i]), int(others[i])
            at_best = BitMap([own]) if own_rank == best else BitMap()
            if keys_best == best:
                at_best = at_best | at_keys
            if len(others):
                at_best = at_best | BitMap(report[others[rank[others] == best]].astype(np.uint32))
            recs = row_member[row_member_start[row] : row_member_start[row + 1]].tolist()
            cover = _earlier_cover(a, row, own_rank, recs, keys, covers, rank) if best < own_rank else 0
            found[row] = (
                passages,
                len(reps_u) - (own in reps_u),
                row if own_rank == best else best_row,
                len(at_best) > 1,
                cover,
            )
        return found

    found: dict[int, tuple[int, int, int, bool, int]] = {}
    costs = _summary_costs(key_ids, sets, np.diff(link_start)[candidates], np.diff(row_member_start)[candidates])
    for part in _in_two(summaries, costs, workers):
        found.update(part)
    covered = np.zeros(n, dtype=np.int64)
    fresh = [np.fromiter(found, dtype=np.int64, count=len(found))]
    fresh += [np.array(c, dtype=np.int64) for c in zip(*found.values(), strict=True)] if found else [fresh[0]] * 5
    rows, passages, reports_of, earliest, tie, cover = (
        np.concatenate([c, f]) for c, f in zip(carried, fresh, strict=True)
    )
    sharing = passages > 0
    rows, passages, reports_of, earliest, tie, cover = (
        x[sharing] for x in (rows, passages, reports_of, earliest, tie, cover)
    )
    if len(rows):
        a["passage_shared"][rows] = True
        a["passage_passages"][rows] = passages
        a["passage_reports"][rows] = reports_of
        a["passage_earliest"][rows] = earliest
        a["passage_tie"][rows] = tie
        covered[rows] = cover
    a["passage_cover"] = covered.astype(np.int32)
    chars = np.bincount(report, weights=a["passage_chars"], minlength=reports)
    shared = np.bincount(report, weights=covered, minlength=reports)
    with np.errstate(invalid="ignore", divide="ignore"):
        a["report_originality"] = np.where(chars > 0, 1.0 - shared / np.maximum(chars, 1), 1.0)


def _mix(*columns: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each row of the columns (splitmix64's finaliser, chained over them): sums of these
    hashes (mod 2**64) tell sets of rows apart.

    >>> h = _mix(np.array([1, 2, 1]), np.array([5, 5, 5]))
    >>> bool(h[0] == h[2]), bool(h[0] == h[1])
    (True, False)
    """
    h = np.zeros(len(columns[0]), dtype=np.uint64)
    for c in columns:
        h ^= np.asarray(c).astype(np.int64).view(np.uint64)
        h += np.uint64(0x9E3779B97F4A7C15)
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
    return h


def _sums(index: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """``values`` (uint64) summed by ``index``, mod 2**64, into ``size`` bins."""
    out = np.zeros(size, dtype=np.uint64)
    np.add.at(out, np.asarray(index, dtype=np.int64), values)
    return out


def _unchanged_partners(a: dict, prev: dict, old_row: np.ndarray) -> np.ndarray:
    """Which rows (kept from the previous generation) share text with the same kept passages as then, and with
    no passage removed since: the same group records (representative, interval of it), in groups whose records
    among kept passages are the same as then and lost no member, and the same links among kept passages. Sets
    are compared by sums of hashes (:func:`_mix`)."""
    n = len(old_row)
    new_of_old = _new_of_old(prev, old_row)
    kept = old_row >= 0
    same = kept.copy()
    rep_now = np.asarray(a["group_rep"]).astype(np.int64)[np.asarray(a["member_group"])]
    member_now = np.asarray(a["member_row"]).astype(np.int64)
    r0_now, r1_now = np.asarray(a["member_r0"]), np.asarray(a["member_r1"])
    rep_then = new_of_old[np.asarray(prev["group_rep"])[np.asarray(prev["member_group"])]]
    member_then = new_of_old[np.asarray(prev["member_row"])]
    r0_then, r1_then = np.asarray(prev["member_r0"]), np.asarray(prev["member_r1"])
    # A row's records, now and then.
    alive = member_then >= 0
    whole = (rep_then >= 0) & alive
    same &= _sums(member_now, _mix(rep_now, r0_now, r1_now), n) == _sums(
        member_then[alive], _mix(rep_then, r0_then, r1_then)[alive], n
    )
    same[member_then[alive & (rep_then < 0)]] = False
    # A group's records among kept passages, now and then (a group: its representative's row).
    mine = kept[member_now]
    unstable = _sums(rep_now[mine], _mix(member_now, r0_now, r1_now)[mine], n) != _sums(
        rep_then[whole], _mix(member_then, r0_then, r1_then)[whole], n
    )
    unstable[rep_then[(rep_then >= 0) & ~alive]] = True
    same[member_now[unstable[rep_now]]] = False
    # Links among kept passages, now and then.
    link_start, other = np.asarray(a["link_start"]), np.asarray(a["link_other"]).astype(np.int64)
    x_now = np.repeat(np.arange(n), np.diff(link_start))
    both_now = kept[other]
    start_then = np.asarray(prev["link_start"])
    x_then = new_of_old[np.repeat(np.arange(len(start_then) - 1), np.diff(start_then))]
    y_then = new_of_old[np.asarray(prev["link_other"])]
    both_then = (x_then >= 0) & (y_then >= 0)
    same &= _sums(x_now[both_now], _mix(other[both_now]), n) == _sums(x_then[both_then], _mix(y_then[both_then]), n)
    same[x_then[(x_then >= 0) & (y_then < 0)]] = False
    return same


_FAR = np.iinfo(np.int64).max
_LOW = (1 << 32) - 1


def _distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, ascending (a sort: numpy's ``unique`` hashes first, 10× slower on millions of int64).

    >>> _distinct(np.array([3, 1, 3, 2])).tolist()
    [1, 2, 3]
    """
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if len(values) else values


def _distinct_with_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """numpy's ``unique(values, return_inverse=True)`` by one sort (its hashing costs more on the many small
    arrays of :func:`_key_sets`).

    >>> [x.tolist() for x in _distinct_with_inverse(np.array([7, 3, 7, 5]))]
    [[3, 5, 7], [2, 0, 2, 1]]
    """
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    first = np.ones(len(values), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    which = np.empty(len(values), dtype=np.int64)
    which[order] = np.cumsum(first) - 1
    return ordered[first], which


def _carried(
    a: dict, prev: dict, old_row: np.ndarray, candidates: np.ndarray, keys: np.ndarray, covers: _Covers, rank
) -> tuple[np.ndarray, ...]:
    """The summaries (rows; passages, reports, earliest, tie, characters shared with earlier reports: 0 passages
    for a row that shares nothing) of the ``candidates`` whose partners among kept passages are unchanged
    (:func:`_unchanged_partners`) and whose new partners are in new reports (a report with no kept passage), as
    :func:`_summarise` finds them, from their summaries then: the new partners' passages and reports added to the
    counts; the earliest and the tie from the earliest then and the new partners' earliest; the characters
    shared with earlier reports worked out again only where new partners changed the intervals earlier
    members hold (:meth:`_Covers.changed`).

    A row's new partners are the new passages among its keys' sets and among its links. Rows whose keys with new
    partners are the same (told apart by a sum of hashes of those keys) share them: worked out once, on arrays;
    a row with a new link adds them alone, and the same rules then apply to every row on arrays."""
    n = len(old_row)
    sets = covers.sets
    new_of_old = _new_of_old(prev, old_row)
    kept = old_row >= 0
    report = np.asarray(a["passage_report"]).astype(np.int64)
    first_row = np.asarray(a["report_first_row"])
    reports_n = len(first_row) - 1
    fresh_report = np.bincount(report[kept], minlength=reports_n) == 0
    same = _unchanged_partners(a, prev, old_row)
    shared_then = np.zeros(n, dtype=bool)
    shared_then[kept] = np.asarray(prev["passage_shared"])[old_row[kept]]
    earliest_then = np.arange(n)
    earliest_then[shared_then] = new_of_old[np.asarray(prev["passage_earliest"])[old_row[shared_then]]]
    same &= earliest_then >= 0
    rows = candidates[same[candidates]]
    passages = np.asarray(prev["passage_passages"])[old_row[rows]].astype(np.int64)
    reports = np.asarray(prev["passage_reports"])[old_row[rows]].astype(np.int64)
    tie = np.asarray(prev["passage_tie"])[old_row[rows]].astype(bool)
    cover = np.asarray(prev["passage_cover"])[old_row[rows]].astype(np.int64)
    earliest = earliest_then[rows]
    own_rank, best = rank[rows], rank[earliest]

    # The new passages in each key's set (keys of groups with a new member), one key after another.
    new_rows = BitMap(np.flatnonzero(~kept).astype(np.uint32))
    member_group, member_row = np.asarray(a["member_group"]), np.asarray(a["member_row"]).astype(np.int64)
    with_new = np.zeros(len(a["group_rep"]), dtype=bool)
    with_new[member_group[~kept[member_row]]] = True
    delta_size = np.zeros(len(sets) + 1, dtype=np.int64)
    delta: list[np.ndarray] = []
    for k in np.unique(keys[with_new[member_group]]).tolist():
        d = sets[k].rows & new_rows
        if d:
            delta_size[k + 1] = len(d)
            delta.append(np.array(d, dtype=np.int64))
    delta_start = np.cumsum(delta_size)
    delta_rows = np.concatenate(delta) if delta else np.zeros(0, np.int64)
    rec_delta = delta_size[1:][keys] > 0
    tuple_hash = _sums(member_row[rec_delta], _mix(keys[rec_delta]), n)[rows]
    link_start, link_other = np.asarray(a["link_start"]), np.asarray(a["link_other"]).astype(np.int64)
    new_link = np.zeros(n, dtype=bool)
    new_link[np.repeat(np.arange(n), np.diff(link_start))[~kept[link_other]]] = True
    new_link = new_link[rows]

    # Each distinct set of keys with new partners (tuple t; 0: none): the union of their new passages.
    hashes, first_at, which = np.unique(tuple_hash, return_index=True, return_inverse=True)
    which = which.reshape(-1)
    t = len(hashes)
    row_member_start, row_member = np.asarray(a["row_member_start"]), np.asarray(a["row_member"])
    t_row = rows[first_at]  # a row of each tuple
    held = row_member_start[t_row + 1] - row_member_start[t_row]
    rec = row_member[np.repeat(row_member_start[t_row], held) + ranges(held)]
    rec_t, rec_key = np.repeat(np.arange(t), held), keys[rec]
    on = delta_size[1:][rec_key] > 0
    rec_t, rec_key = rec_t[on], rec_key[on]
    size = delta_size[rec_key + 1]
    pair_t = np.repeat(rec_t, size)
    pair_row = delta_rows[np.repeat(delta_start[rec_key], size) + ranges(size)]
    code = _distinct(pair_t * n + pair_row)
    pair_t, pair_row = code // n, code % n
    t_count = np.bincount(pair_t, minlength=t)
    t_start = np.concatenate([[0], np.cumsum(t_count)])
    of_report = _distinct(pair_t * reports_n + report[pair_row])  # (tuple, report), ascending
    t_reports = np.bincount(of_report // reports_n, minlength=t)
    t_stale = np.zeros(t, dtype=bool)
    t_stale[(of_report // reports_n)[~fresh_report[of_report % reports_n]]] = True
    # Each tuple's earliest rank among its new partners, and its least row there (a tuple's rows ascend).
    some = t_count > 0
    pair_rank = rank[pair_row]
    t_least, t_first = np.full(t, _FAR), np.zeros(t, np.int64)
    if len(pair_rank):
        t_least[some] = np.minimum.reduceat(pair_rank, t_start[:-1][some])
    at_least = pair_rank == t_least[pair_t]
    earliest_at = np.flatnonzero(at_least)
    t_first[some] = pair_row[earliest_at[np.searchsorted(earliest_at, t_start[:-1][some])]]
    t_tie = (
        np.bincount(_distinct(pair_t[at_least] * reports_n + report[pair_row[at_least]]) // reports_n, minlength=t) > 1
    )
    # (A row's own report has kept rows, so a tuple holding new rows of it is stale: left to the fresh summaries.)

    # Each row's new partners: its tuple's, and for a row with new links (never in its own report) those too,
    # worked out alone; a row with a new partner in a report that had passages then is left to the fresh path.
    settled = ~t_stale[which]
    count, new_reports, least = t_count[which], t_reports[which], t_least[which]
    first, least_tie = t_first[which], t_tie[which]
    alone = np.flatnonzero(new_link & settled)
    for i in alone.tolist():
        row, j = int(rows[i]), int(which[i])
        others = link_other[link_start[row] : link_start[row + 1]]
        others = others[~kept[others]]
        if not fresh_report[report[others]].all():
            settled[i] = False
            continue
        new = np.union1d(pair_row[t_start[j] : t_start[j + 1]], others)
        new_rank = rank[new]
        at_least = new_rank == new_rank.min()
        count[i], new_reports[i] = len(new), len(np.unique(report[new]))
        least[i], first[i] = int(new_rank.min()), int(new[at_least].min())
        least_tie[i] = len(np.unique(report[new[at_least]])) > 1

    # The summaries then, with the new partners: counts added; the earliest and the tie from the earliest then and
    # the new partners' earliest; the characters shared with earlier reports again where a new partner is earlier
    # and it holds a new link or a key's earlier intervals changed.
    earlier = settled & (least < best)
    even = settled & (least == best)
    out_passages = passages + np.where(settled, count, 0)
    out_reports = reports + np.where(settled, new_reports, 0)
    out_earliest = np.where(earlier, first, earliest)
    out_earliest = np.where(even & (best < own_rank), np.minimum(earliest, first), out_earliest)
    out_tie = np.where(earlier, least_tie, tie) | even
    out_cover = cover.copy()
    check = settled & (least < own_rank)
    again = np.intersect1d(np.flatnonzero(check), alone)
    if check.any():  # is any of the row's keys' earlier intervals not what the kept passages held?
        held = row_member_start[rows[check] + 1] - row_member_start[rows[check]]
        rec = row_member[np.repeat(row_member_start[rows[check]], held) + ranges(held)]
        rec_i = np.repeat(np.flatnonzero(check), held)
        on = delta_size[1:][keys[rec]] > 0
        again = np.union1d(again, rec_i[on][covers.changed(keys[rec[on]], own_rank[rec_i[on]])])
    for i in again.tolist():
        row = int(rows[i])
        recs = row_member[row_member_start[row] : row_member_start[row + 1]].tolist()
        out_cover[i] = _earlier_cover(a, row, int(own_rank[i]), recs, keys, covers, rank)
    return tuple(x[settled] for x in (rows, out_passages, out_reports, out_earliest, out_tie, out_cover))


def _summary_costs(
    key_ids: list[tuple[int, ...]], sets: list[_KeySet], links: np.ndarray, records: np.ndarray
) -> np.ndarray:
    """What summarising each candidate costs, in nanoseconds (fitted at 100,000 reports), to cut the work in two
    halves of equal time: the row, its links and records, the intervals of its keys (:func:`_earlier_cover`), and
    where its keys differ from the last row's, the unions of their sets after the prefix both share
    (:class:`_PrefixUnions`)."""
    cost = 1750 + 2600 * links.astype(np.int64) + 3300 * records.astype(np.int64)
    last: tuple[int, ...] = ()
    spans = 0
    for i, ids in enumerate(key_ids):
        if ids != last:
            common = 0
            while common < min(len(ids), len(last)) and ids[common] == last[common]:
                common += 1
            sizes = [len(sets[k].rows) for k in ids]
            cost[i] += 39000 * (len(ids) - common) + (5 * sum(sizes[common:]) + 3 * sum(sizes)) // 2
            spans = 660 * sum(len(sets[k].spans) for k in ids)
            last = ids
        cost[i] += spans
    return cost


def _member_keys(a: dict[str, np.ndarray], nchars: np.ndarray, min_span: int) -> np.ndarray:
    """Each group member record's key: records with the same key have the same partners in their group. The key
    is (group, interval); a passage short enough to be a whole near-duplicate below ``min_span`` adds its length."""
    rows = np.asarray(a["member_row"]).astype(np.int64)
    if not len(rows):
        return np.zeros(0, np.int64)
    length = nchars[rows]
    short = WHOLE_SHARE * length < min_span  # else "whole" implies min_span: the length does not matter
    columns = [np.asarray(a[f"member_{c}"]).astype(np.int64) for c in ("group", "r0", "r1")]
    columns.append(np.where(short, length, -1))
    # the distinct rows of the columns, numbered in their order (numpy's unique along an axis, 4× faster)
    order = np.lexsort(columns[::-1])
    differs = np.zeros(len(order), dtype=bool)
    differs[0] = True
    for c in columns:
        differs[1:] |= c[order[1:]] != c[order[:-1]]
    keys = np.empty(len(order), dtype=np.int64)
    keys[order] = np.cumsum(differs) - 1
    return keys


@dataclass
class _KeySet:
    """The partners of one member key in its group (every member that qualifies, its own report's included:
    the caller takes them out), with their reports, the earliest rank among them, the least row at that rank and
    the reports at that rank, and the representative's intervals they share, by rank."""

    rows: BitMap
    reports: BitMap
    best: int
    best_row: int
    best_reports: BitMap
    spans: list[tuple[int, int, int]]  # the representative's intervals they share (distinct, sorted), each with
    # the earliest rank holding it
    kept_firsts: list[int] | None = None  # the earliest rank among kept passages holding each (when a passage
    # of the set is new: see _key_sets)


def _key_sets(a, keys, report, rank, nchars, min_span, kept: np.ndarray | None = None) -> list[_KeySet]:
    """Each key's set (:class:`_KeySet`); with ``kept`` (rows an update kept), a set holding a new row also says
    when the passages kept first held each interval (``kept_firsts``)."""
    if not len(keys):
        return []
    group_of = np.asarray(a["member_group"])
    starts = np.asarray(a["group_member_start"])
    member_row = np.asarray(a["member_row"]).astype(np.int64)
    r0_all, r1_all = np.asarray(a["member_r0"]).astype(np.int64), np.asarray(a["member_r1"]).astype(np.int64)
    first_rec = np.full(int(keys.max()) + 1, -1, dtype=np.int64)
    first_rec[keys[::-1]] = np.arange(len(keys))[::-1]  # a record of each key
    sets: list[_KeySet] = [None] * len(first_rec)  # type: ignore[list-item]
    for group in np.unique(group_of[first_rec]).tolist():
        g0, g1 = int(starts[group]), int(starts[group + 1])
        rows, r0, r1 = member_row[g0:g1], r0_all[g0:g1], r1_all[g0:g1]
        group_keys = np.unique(keys[g0:g1])
        rank_g, report_g = rank[rows], report[rows]
        step = max(1, _CELLS // len(rows))  # keys × members at a time
        for c in range(0, len(group_keys), step):
            chunk = group_keys[c : c + step]
            recs = first_rec[chunk]
            # Overlap of each key's interval with every member's.
            lo = np.maximum(r0[None, :], r0_all[recs][:, None])
            hi = np.minimum(r1[None, :], r1_all[recs][:, None])
            size = hi - lo
            # (A long passage's own length stands for every long one: "whole" then implies min_span.)
            longest = np.maximum(nchars[rows][None, :], nchars[member_row[recs]][:, None])
            keep = (size >= min_span) | ((size >= MIN_WHOLE) & (size >= WHOLE_SHARE * longest))
            for k, key in enumerate(chunk.tolist()):
                q = np.flatnonzero(keep[k])
                q_rows, q_rank, q_lo, q_hi = rows[q], rank_g[q], lo[k, q], hi[k, q]
                best = int(q_rank.min())
                at = q_rank == best
                # The distinct intervals (sorted), each with the earliest rank holding it (and among kept rows).
                codes, which = _distinct_with_inverse(q_lo * (1 << 32) + q_hi)
                firsts = np.full(len(codes), _FAR)
                np.minimum.at(firsts, which, q_rank)
                kept_firsts = None
                if kept is not None and not kept[q_rows].all():
                    old = kept[q_rows]
                    of_kept = np.full(len(codes), _FAR)
                    np.minimum.at(of_kept, which[old], q_rank[old])
                    kept_firsts = of_kept.tolist()
                sets[key] = _KeySet(
                    rows=BitMap(q_rows.astype(np.uint32)),
                    reports=BitMap(report_g[q].astype(np.uint32)),
                    best=best,
                    best_row=int(q_rows[at].min()),
                    best_reports=BitMap(report_g[q][at].astype(np.uint32)),
                    spans=list(zip((codes >> 32).tolist(), (codes & _LOW).tolist(), firsts.tolist(), strict=True)),
                    kept_firsts=kept_firsts,
                )
    return sets


class _PrefixUnions:
    """What a row's keys give it (:func:`_summarise`): their partners' rows and reports, the earliest (rank, row)
    among them and the reports at that rank. Rows come in the order of their keys (sorted tuples), so the
    unions of the last tuple's first keys are kept: a tuple sharing a prefix with it starts from them."""

    _NOBODY = (np.iinfo(np.int64).max, -1)

    def __init__(self, sets: list[_KeySet]) -> None:
        self.sets = sets
        self.ids: tuple[int, ...] = ()
        self.prefix: list[tuple[BitMap, BitMap, tuple[int, int], BitMap]] = []  # after each key of self.ids

    def of(self, ids: tuple[int, ...]) -> tuple[BitMap, BitMap, tuple[int, int], BitMap]:
        common = 0
        while common < min(len(ids), len(self.ids)) and ids[common] == self.ids[common]:
            common += 1
        del self.prefix[common:]
        for k in ids[common:]:
            s = self.sets[k]
            if not self.prefix:
                self.prefix.append((s.rows, s.reports, (s.best, s.best_row), s.best_reports))
                continue
            rows, reports, best, at_best = self.prefix[-1]
            mine = (s.best, s.best_row)
            if s.best < best[0]:
                at_best = s.best_reports
            elif s.best == best[0]:
                at_best = at_best | s.best_reports
            self.prefix.append((rows | s.rows, reports | s.reports, min(best, mine), at_best))
        self.ids = ids
        return self.prefix[-1] if self.prefix else (BitMap(), BitMap(), self._NOBODY, BitMap())


class _Covers:
    """The representative's intervals each key shares with members of reports earlier than a rank, merged
    (:func:`_earlier_cover`): the same for every row of the key whose rank leaves the same of its spans earlier,
    so kept by key and the number of those spans. ``kept=True``: those the passages an update kept share
    (:attr:`_KeySet.kept_firsts`), as the previous generation had them."""

    def __init__(self, sets: list[_KeySet]) -> None:
        self.sets = sets
        self._firsts: dict[tuple[int, bool], list[int]] = {}
        self._merged: dict[tuple[int, bool, int], list[tuple[int, int]]] = {}

    def merged(self, key: int, own_rank: int, kept: bool = False) -> list[tuple[int, int]]:
        s = self.sets[key]
        kept = kept and s.kept_firsts is not None
        firsts = self._firsts.get((key, kept))
        if firsts is None:
            firsts = self._firsts[(key, kept)] = sorted(self._of_spans(s, kept))
        earlier = bisect_left(firsts, own_rank)
        if not earlier:
            return []
        found = self._merged.get((key, kept, earlier))
        if found is None:
            merged: list[list[int]] = []  # the spans held by earlier members, sorted by start: merged
            for (lo, hi, _), first in zip(s.spans, self._of_spans(s, kept), strict=True):
                if first >= own_rank:
                    continue
                if merged and lo <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], hi)
                else:
                    merged.append([lo, hi])
            found = self._merged[(key, kept, earlier)] = [(lo, hi) for lo, hi in merged]
        return found

    @staticmethod
    def _of_spans(s: _KeySet, kept: bool) -> list[int]:
        """The earliest rank holding each span (among kept passages, with ``kept``), in the spans' order."""
        return s.kept_firsts if kept and s.kept_firsts is not None else [first for _, _, first in s.spans]

    def changed(self, keys: np.ndarray, own_ranks: np.ndarray) -> np.ndarray:
        """For each key and rank, whether the new passages of the key's set changed its intervals earlier than
        the rank (:meth:`merged` with and without them differ). Worked out at each rank where a span of the key
        turns earlier, once per key; then looked up."""
        at_key, at_rank, differs = [], [], []
        for key in np.unique(keys).tolist():
            s = self.sets[key]
            if s.kept_firsts is None:
                continue
            for first in sorted({f for _, _, f in s.spans} | set(s.kept_firsts) - {_FAR}):
                at_key.append(key)
                at_rank.append(first + 1)  # from this rank on, a span held first at ``first`` is earlier
                differs.append(self.merged(key, first + 1) != self.merged(key, first + 1, True))
        if not at_key:
            return np.zeros(len(keys), dtype=bool)
        points = np.array(at_key, dtype=np.int64) * (1 << 32) + np.array(at_rank, dtype=np.int64)
        order = np.argsort(points)
        points, flags = points[order], np.array(differs, dtype=bool)[order]
        asked = keys.astype(np.int64) * (1 << 32) + own_ranks
        at = np.searchsorted(points, asked, side="right") - 1
        found = at >= 0
        found[found] = points[at[found]] >> 32 == keys[found]
        return found & flags[np.maximum(at, 0)]


def _earlier_cover(a: dict, row: int, own_rank: int, recs: list[int], keys, covers: _Covers, rank) -> int:
    """Characters of the row's original text inside spans it shares with passages of earlier reports (plain
    Python over the few intervals of a row: numpy's cost per call is what would count here)."""
    intervals: list[tuple[int, int]] = []
    link_start, link_other, span_start = a["link_start"], a["link_other"], a["link_span_start"]
    for n in range(int(link_start[row]), int(link_start[row + 1])):
        if int(rank[int(link_other[n])]) < own_rank:
            for k in range(int(span_start[n]), int(span_start[n + 1])):
                intervals.append((int(a["span"][k][0]), int(a["span"][k][1])))
    breaks = None
    for rec in recs:
        merged = covers.merged(int(keys[rec]), own_rank)
        if not merged:
            continue
        if breaks is None:
            b0, b1 = int(a["bp_start"][row]), int(a["bp_start"][row + 1])
            breaks = (a["bp_at"][b0:b1].tolist(), a["bp_ds"][b0:b1].tolist(), a["bp_de"][b0:b1].tolist())
        shift = int(a["member_m0"][rec]) - int(a["member_r0"][rec])
        intervals.extend(shift_span(*breaks, lo + shift, hi + shift) for lo, hi in merged)
    return union_length(intervals)


def _previous(index_dir: Path, exclude: str) -> tuple[ReuseIndex | None, str | None]:
    """The reuse of a previous generation in ``index_dir`` (the newest complete folder), to carry over, and its
    folder's name."""
    folders = [f for f in index_dir.glob(f"{REUSE_PREFIX}*") if f.name != exclude and (f / "meta.json").exists()]
    for folder in sorted(folders, key=lambda f: (f / "meta.json").stat().st_mtime, reverse=True):
        found = load_reuse(folder)
        if found is not None and "passage_sig" in found.a:
            return found, folder.name
    return None, None


def write_reuse(folder: Path, generation: Generation | Path, workers: int = 1) -> None:
    """Work out and write the reuse arrays of a generation (or of the one whose counting arrays are in that
    folder) into ``folder``, whole or not at all, as :func:`search.arrays.write_arrays` writes the counting
    arrays (and called right after it, before the engine's commit). A previous generation's folder beside it is
    carried over: only new passages are fingerprinted and compared. ``workers``: see :func:`reuse_arrays`."""
    if isinstance(generation, Path):
        generation = Generation.of_arrays(generation)
    previous, name = _previous(folder.parent, folder.name)
    if generation.before is None or name != REUSE_PREFIX + generation.before.removeprefix(ARRAYS_PREFIX):
        generation = replace(generation, row_before=None)  # its rows are not those the copied rows were
    arrays = reuse_arrays(generation, previous, workers=workers)
    save_arrays(folder, arrays, meta={"version": FORMAT_VERSION, "passages": len(arrays["passage_id"])})


@contextmanager
def reuse_beside(folder: Path, arrays_folder: Path) -> Iterator[None]:
    """:func:`write_reuse` of the generation whose counting arrays are in ``arrays_folder``, into ``folder``,
    beside the block (where the engine makes its own documents): :func:`reuse_ahead` started once the arrays
    are written."""
    with reuse_ahead(folder, generation_rows(arrays_folder)) as beside, beside(arrays_folder):
        yield


@contextmanager
def reuse_ahead(folder: Path, rows: int) -> Iterator[Callable[[Path], AbstractContextManager[None]]]:
    """Finding text reuse for a generation of about ``rows`` passages, made ready before its counting arrays are
    written. The block gets ``beside(arrays_folder)``: a context manager to enter once they are written, which
    runs :func:`write_reuse` into ``folder`` beside its own block (where the engine makes its own documents).
    From :data:`BESIDE_FROM` passages that work runs in a process of its own, started here: it loads what it
    needs (its modules, the place names) while the arrays are written, then waits for them; it does most of its
    work in two halves (``workers=2``), so that the work takes both cores. Under that size it runs in this
    process after ``beside``'s block. The end of ``beside``'s block waits for it and raises what it raised (the
    writer then rolls back); an exception in either block, or an interrupt while waiting, stops it. A killed
    writer takes the process with it (:func:`die_with_parent`)."""
    if rows < BESIDE_FROM:

        @contextmanager
        def here(arrays_folder: Path) -> Iterator[None]:
            yield
            write_reuse(folder, arrays_folder)

        yield here
        return
    context = multiprocessing.get_context("spawn")  # the writer holds threads (tantivy's): forking is unsafe
    jobs, job = context.Pipe(duplex=False)
    work = partial(_reuse_process, folder, jobs, TWO_FROM)
    died = f"finding text reuse for {folder} stopped (exit code {{code}}); nothing was committed"
    with _elsewhere(context, work, "fazhi-reuse", died) as outcome:
        jobs.close()

        @contextmanager
        def beside(arrays_folder: Path) -> Iterator[None]:
            try:
                job.send(str(arrays_folder))
            except OSError:  # it ended while waiting (killed): say so, with its exit code
                outcome()
                raise
            yield
            outcome()

        try:
            yield beside
        finally:
            job.close()


def _reuse_process(folder: Path, jobs, two_from: int) -> None:
    """:func:`reuse_ahead`'s work in its process: made ready, then the arrays folder received from ``jobs`` (none
    when the writer gave up); ``two_from``: the writer's :data:`TWO_FROM` (a test may have changed it there)."""
    global TWO_FROM
    TWO_FROM = two_from
    _name_starts()  # (the place names every new passage's comparison form needs)
    from search import reuse_kernels  # noqa: F401 - (numba, for the groups and pairs)

    try:
        arrays_folder = Path(jobs.recv())
    except EOFError:
        return
    with collector_paused():
        write_reuse(folder, arrays_folder, workers=2)


@contextmanager
def _elsewhere(context, work: Callable[[], T], name: str, died: str) -> Iterator[Callable[[], T]]:
    """``work()`` in a process of ``context`` (``spawn``: ``work`` is pickled; ``fork``: it is not) that dies
    with this one; the block gets a function that waits for the result and returns it, or raises what
    ``work`` raised (an exception that cannot be pickled comes back as a RuntimeError with its text), or an
    OSError from ``died`` (``{code}``: the exit code) when the process ended without a word (killed: the
    kernel's out-of-memory killer, a signal). Leaving the block any other way kills the process. Not a daemon:
    a daemon may not start processes, and the reuse process forks for its second half (:func:`_in_two`)."""
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_send_outcome, args=(os.getpid(), work, send), name=name)
    child.start()
    send.close()

    def outcome() -> T:
        try:
            ok, value = receive.recv()
        except EOFError:
            child.join()
            raise OSError(died.format(code=child.exitcode)) from None
        child.join()
        if not ok:
            raise value
        return value

    try:
        yield outcome
    finally:
        if child.is_alive():
            child.kill()
            child.join()
        receive.close()


def _send_outcome(parent_pid: int, work: Callable[[], object], send) -> None:
    """:func:`_elsewhere`'s process: ``(True, work())``, or ``(False, the exception)``, sent back."""
    die_with_parent(parent_pid)
    try:
        send.send((True, work()))
    except BaseException as e:  # noqa: BLE001 - handed back, raised there
        try:
            send.send((False, e))
        except Exception:  # noqa: BLE001 - an exception that cannot be pickled goes as its text
            send.send((False, RuntimeError(f"{type(e).__name__}: {e}")))
    finally:
        send.close()


def _in_two(work: Callable[[int, int], T], weights: np.ndarray, workers: int) -> list[T]:
    """``work`` over ``len(weights)`` items, as the results of its parts in item order: ``[work(0, n)]``, or with
    two ``workers`` and :data:`TWO_FROM` of weight or more, ``[work(0, cut), work(cut, n)]`` cut where half the
    weight is done, the second part worked in a forked process (it reads what this one has made, copied on
    write; its result comes back pickled). Only for a process without threads: forking copies just the
    thread that forks."""
    n = len(weights)
    total = int(weights.sum())
    if workers < 2 or total < TWO_FROM or n < 2:
        return [work(0, n)]
    cut = min(max(int(np.searchsorted(np.cumsum(weights), total / 2)), 1), n - 1)

    def second_part() -> T:
        try:
            return work(cut, n)
        except BaseException as e:
            raise RuntimeError(f"{type(e).__name__}: {e}") from None

    died = "the process finding half of text reuse stopped (exit code {code})"
    with _elsewhere(multiprocessing.get_context("fork"), second_part, "fazhi-reuse-part", died) as outcome:
        first = work(0, cut)
        return [first, outcome()]
