"""Text reuse: which other passages share a passage's text, who had it first, and how original a report is.

Found at index time (:mod:`search.reuse_build`, called by each engine's writer: the writers live in ``search``,
which may not import ``indexer``) and stored with each index generation, in a folder of numpy arrays
beside the counting arrays (``reuse-NAME`` beside ``arrays-NAME``, written before the engine's commit and removed
with its generation by :func:`search.arrays.remove_arrays`). A server maps it read-only: :class:`ReuseIndex`,
handed out by the snapshot as ``snap.reuse``. Nothing here walks the generation's passages.

The interface (for the pages, the API and the CLI)::

    snap.reuse -> ReuseIndex                      # an empty one for an index written without reuse
    ReuseIndex.passage(passage_id, links=True, first=None) -> PassageReuse   # first=N: the first N links
        # links=False: the summary only (reports, passages, earliest, tie; links == ()), cheap enough per hit
    ReuseIndex.shared_rows() -> np.ndarray[bool]  # by the snapshot's row: shares text with another passage
    ReuseIndex.originality() -> np.ndarray[float] # by report index (the snapshot's report order): share of the
                                                  # report's characters found in no EARLIER report (1.0: none)
    ReuseIndex.report_originality(report_id) -> float | None
    ReuseIndex.related_reports(report_id, limit=10) -> list[tuple[str, int]]   # (report id, shared chars)
    ReuseIndex.between(report_a, report_b) -> list[tuple[str, str, tuple[SharedSpan, ...]]]
        # (passage in a, passage in b, spans: start/end in a's passage, other_start/other_end in b's)
    PassageReuse.to_dict() -> {reports, passages, earliest: {report_id, passage_id, year, region} | None, tie,
                               links: [{report_id, passage_id, year, region, publish_date, whole, shared_chars,
                                        spans: [{start, end, other_start, other_end}]}]}

Offsets are in the passages' ORIGINAL text (``Passage.text``, Python string indices: code points), end exclusive;
``shared_chars`` counts this passage's characters inside the spans; ``earliest`` is None (and ``reports`` 0) for
a passage that shares nothing. What counts as reuse: a verbatim
span of at least :data:`MIN_SPAN` characters after the comparison-only normalisation (place names, their short
forms of three characters or more, 我县/本区/全市…, runs of digits: each one placeholder; so a span is at
least MIN_SPAN folded characters too), or the whole passage nearly duplicated (``whole``: shared blocks of at least
:data:`MIN_BLOCK` characters covering :data:`WHOLE_SHARE` of both passages, which are at least :data:`MIN_WHOLE`
characters long), between passages of different reports (other governments, and the same government's other
reports). "Earliest" is by report year, then publish date (unknown ones last); a tie is said to be one.

Storage. Passages are the generation's rows (the order :func:`search.arrays.generation_order` gives, which the
snapshot's rows follow), each with its id and a stable key (a hash of the id) for lookups; pairs verified one by
one are stored as links in both directions (``link_*``, ``span_*``). Text shared by more passages than
``search.reuse_build.GROUP_DF`` (boilerplate: 习近平法治思想 formulae) is stored as groups instead of every pair: a
group is a representative passage R and its members, each with the interval of R it shares verbatim
(``member_*``, in normalised offsets, with where it starts in the member's own normalised text); two members
share the overlap of their intervals. Every passage's map from normalised to original offsets is kept as the few
places where the two stop running in step (``bp_*``: :func:`offset_breaks`), not as an offset per character.
Summaries (counts, earliest, originality) are worked out at index time (``search.reuse_build._summarise``, per
group rather than per passage) by the rules that answer :meth:`ReuseIndex.links_of`; a test holds the two
equal.
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from search.models import Region

REUSE_PREFIX = "reuse-"
"""Folders of reuse arrays in an index folder are named ``reuse-NAME``, NAME the generation's (as ``arrays-NAME``)."""
FORMAT_VERSION = 2  # 2: offset maps as breaks per row (bp_*), not per group member

MIN_SPAN = 20
"""A verbatim span inside otherwise different passages counts from this many characters (normalised text).

Chosen from what the five sample reports share (every maximal common stretch of their comparison forms, listed
in BENCHMARKS.md, "Text reuse on the five samples"): from 20 characters each one is a whole formula or a
document's title, the boilerplate issue #14 counts as real reuse (坚持以习近平新时代中国特色社会主义思想为指导,
党政主要负责人履行推进法治建设第一责任人职责, 贯彻党的二十大和二十届二中、三中全会精神, 提高领导干部运用法治思维和
法治方式的能力, 《国务院办公厅关于严格规范涉企行政检查的意见》); below it stretches turn into terms of art and
generic phrasing (落实行政机关负责人出庭应诉制度 15, 、法治政府、法治社会一体建设 14, 调解各类矛盾纠纷□件,调解成功
15). The samples share no stretch of 50 (the longest is 38), the issue's first figure, which would have shown
none of it. Winnowing promises a shared fingerprint to every common stretch of ``K + W - 1`` characters
(:mod:`search.reuse_build`), set to this length, so every span of MIN_SPAN is found."""
MIN_BLOCK = 8
"""Shared blocks of a whole-passage near-duplicate count from this many characters."""
MIN_WHOLE = 20
"""Passages shorter than this (normalised) are never whole-passage duplicates: headings such as 二、存在的问题."""
WHOLE_SHARE = 0.8
"""A passage is a near-duplicate of another when shared blocks cover this share of both."""


@dataclass(frozen=True)
class SharedSpan:
    """One verbatim shared span: offsets in this passage's original text and in the other passage's."""

    start: int
    end: int
    other_start: int
    other_end: int

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "other_start": self.other_start, "other_end": self.other_end}


@dataclass(frozen=True)
class ReuseLink:
    """Another passage sharing text with this one (or this passage itself, as the earliest holder)."""

    report_id: str
    passage_id: str
    year: int | None
    region: Region
    publish_date: str | None
    whole: bool  # near-duplicate of the whole passage (else: spans inside it)
    shared_chars: int  # characters of THIS passage inside the spans
    spans: tuple[SharedSpan, ...]

    def to_dict(self) -> dict:
        return {
            "report_id": self.report_id,
            "passage_id": self.passage_id,
            "year": self.year,
            "region": self.region.to_dict(),
            "publish_date": self.publish_date,
            "whole": self.whole,
            "shared_chars": self.shared_chars,
            "spans": [s.to_dict() for s in self.spans],
        }


@dataclass(frozen=True)
class PassageReuse:
    """Where else a passage's text appears."""

    links: tuple[ReuseLink, ...]  # earliest first: report year, then publish date
    reports: int  # other reports sharing text with this passage
    passages: int  # other passages sharing text with this passage
    earliest: ReuseLink | None  # the earliest holder, this passage included; None when nothing is shared
    tie: bool  # the earliest is tied (same year and date) with another holder
    own: ReuseLink | None = None  # when tied: the passage itself as a holder (its report, year, region, date)

    def to_dict(self) -> dict:
        earliest = self.earliest
        return {
            "reports": self.reports,
            "passages": self.passages,
            "earliest": None
            if earliest is None
            else {
                "report_id": earliest.report_id,
                "passage_id": earliest.passage_id,
                "year": earliest.year,
                "region": earliest.region.to_dict(),
            },
            "tie": self.tie,
            "links": [link.to_dict() for link in self.links],
        }


NO_REUSE = PassageReuse(links=(), reports=0, passages=0, earliest=None, tie=False)


def passage_key(passage_id: str) -> int:
    """A passage's stable 63-bit key (a hash of its id): the same in every generation."""
    return int.from_bytes(hashlib.blake2b(passage_id.encode(), digest_size=8).digest(), "little") >> 1


def reuse_folder(index_dir: Path, name: object) -> Path:
    """The folder of the reuse arrays of generation ``name`` in ``index_dir``."""
    return Path(index_dir) / f"{REUSE_PREFIX}{name}"


def reuse_folder_of_arrays(arrays_folder: Path) -> Path:
    """The reuse folder beside a generation's folder of counting arrays (``arrays-NAME`` → ``reuse-NAME``)."""
    name = arrays_folder.name.split("-", 1)[1]
    return arrays_folder.with_name(f"{REUSE_PREFIX}{name}")


def time_ranks(years: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """Each report's rank in time (0 earliest): by year, then publish date; unknown year or date after known
    ones; equal (year, date) share a rank.

    >>> time_ranks(np.array([2022, 2021, 0, 2021]), np.array(["", "2022-03-01", "", "2022-03-01"])).tolist()
    [1, 0, 2, 0]
    """
    keys = [(int(y) if y else 10**6, str(d) if d else "\uffff") for y, d in zip(years, dates, strict=True)]
    order = {k: n for n, k in enumerate(sorted(set(keys)))}
    return np.fromiter((order[k] for k in keys), dtype=np.int64, count=len(keys))


def union_length(intervals: list[tuple[int, int]]) -> int:
    """Characters covered by a list of [start, end) intervals.

    >>> union_length([(0, 10), (5, 20), (30, 31)])
    21
    """
    total, reach = 0, None
    for start, end in sorted(intervals):
        if reach is None or start > reach:
            total += end - start
            reach = end
        elif end > reach:
            total += end - reach
            reach = end
    return total


def offset_breaks(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A passage's map from its comparison form to its original text, kept small: ``starts[i]``/``ends[i]`` are
    character *i*'s extent in the original text, and ``starts[i] - i``, ``ends[i] - i - 1`` change only where a
    placeholder stands for several characters or folding did not map one to one. Returns the indexes where they
    change (0 first) and their values from there on.

    >>> [a.tolist() for a in offset_breaks(np.array([0, 1, 2, 5, 6]), np.array([1, 2, 5, 6, 7]))]
    [[0, 2, 3], [0, 0, 2], [0, 2, 2]]
    """
    index = np.arange(len(starts), dtype=np.int64)
    ds, de = starts - index, ends - index - 1
    change = np.ones(len(starts), dtype=bool)
    change[1:] = (ds[1:] != ds[:-1]) | (de[1:] != de[:-1])
    return index[change].astype(np.int32), ds[change].astype(np.int32), de[change].astype(np.int32)


def shift_span(at: Sequence[int], ds: Sequence[int], de: Sequence[int], start: int, end: int) -> tuple[int, int]:
    """Original offsets of a passage's comparison-form characters [start, end), from its breaks (``at``,
    ``ds``, ``de``: :func:`offset_breaks`; arrays or lists, a passage has few).

    >>> shift_span([0, 2, 3], [0, 0, 2], [0, 2, 2], 1, 4)
    (1, 6)
    """
    return start + int(ds[bisect_right(at, start) - 1]), end + int(de[bisect_right(at, end - 1) - 1])


def original_span(a: dict[str, np.ndarray], row: int, start: int, end: int) -> tuple[int, int]:
    """Original offsets of the comparison form's characters [start, end) of a row, from the breaks of
    :func:`offset_breaks` stored for every row (``bp_*``)."""
    b0, b1 = int(a["bp_start"][row]), int(a["bp_start"][row + 1])
    return shift_span(a["bp_at"][b0:b1], a["bp_ds"][b0:b1], a["bp_de"][b0:b1], start, end)


class ReuseIndex:
    """One generation's reuse, from its arrays (memory-mapped from the generation's folder, or in memory while
    the indexer works them out)."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.a = arrays
        self.rows = len(arrays["passage_id"])
        self.min_span = int(arrays["min_span"][0])  # the generation's MIN_SPAN (a test may find shorter spans)

    @classmethod
    def empty(cls, rows: int = 0, reports: int = 0) -> ReuseIndex:
        """The reuse of a generation written without it: nothing shared."""
        return cls(empty_arrays(rows, reports))

    # Lookups.
    def row(self, passage_id: str) -> int | None:
        """The row of a passage, by its key; None when the generation has no such passage."""
        key = passage_key(passage_id)
        keys = self.a["key_sorted"]
        i = int(np.searchsorted(keys, key))
        if i < len(keys) and int(keys[i]) == key:
            row = int(self.a["key_order"][i])
            if str(self.a["passage_id"][row]) == passage_id:
                return row
        return None

    @cached_property
    def _report_index(self) -> dict[str, int]:
        return {str(rid): n for n, rid in enumerate(self.a["report_id"])}

    def _region(self, report: int) -> Region:
        a = self.a
        fields = [str(a[f"report_{f}"][report]) or None for f in ("province", "prefecture", "county")]
        code, division = (str(a[f"report_{f}"][report]) or None for f in ("code", "division_id"))
        return Region(*fields, code=code, division_id=division)

    def _link(self, row: int, other: int, whole: bool, spans: list[tuple[int, int, int, int]]) -> ReuseLink:
        a = self.a
        report = int(a["passage_report"][other])
        year = int(a["report_year"][report])
        date = str(a["report_date"][report])
        return ReuseLink(
            report_id=str(a["report_id"][report]),
            passage_id=str(a["passage_id"][other]),
            year=year or None,
            region=self._region(report),
            publish_date=date or None,
            whole=whole,
            shared_chars=union_length([(s[0], s[1]) for s in spans]),
            spans=tuple(SharedSpan(*s) for s in sorted(spans)),
        )

    # What is shared, worked out from the links and groups (index time and request time alike).
    def links_of(
        self, row: int, only: np.ndarray | None = None
    ) -> dict[int, tuple[bool, list[tuple[int, int, int, int]]]]:
        """Other row → (whole, spans in original offsets: start, end, other_start, other_end) for one row;
        with ``only`` (ascending rows), for those other rows alone: a boilerplate passage shares text with tens
        of thousands at 100,000 reports, and its spans are worked out only for the rows asked about."""
        a = self.a
        found: dict[int, tuple[bool, list[tuple[int, int, int, int]]]] = {}
        lo, hi = int(a["link_start"][row]), int(a["link_start"][row + 1])
        wanted = np.isin(a["link_other"][lo:hi], only) if only is not None else np.ones(hi - lo, dtype=bool)
        for n in (lo + np.flatnonzero(wanted)).tolist():
            other = int(a["link_other"][n])
            s0, s1 = int(a["link_span_start"][n]), int(a["link_span_start"][n + 1])
            spans = [tuple(int(x) for x in a["span"][k]) for k in range(s0, s1)]
            whole, old = found.get(other, (False, []))
            found[other] = (whole or bool(a["link_whole"][n]), old + spans)  # type: ignore[operator]
        for rec, g0, rows, whole, lo_g, hi_g, keep in self._memberships(row):
            if only is not None:
                keep = keep & np.isin(rows, only)
            for k in np.flatnonzero(keep).tolist():
                lo_k, hi_k = int(lo_g[k]), int(hi_g[k])
                span = (*self._original(rec, lo_k, hi_k), *self._original(g0 + k, lo_k, hi_k))
                other = int(rows[k])
                was_whole, old = found.get(other, (False, []))
                found[other] = (was_whole or bool(whole[k]), old if span in old else [*old, span])
        return found

    def _memberships(self, row: int):
        """For each group this row is a member of: (its member record, the group's first record, the members'
        rows, whether each shares this row's text whole, the shared interval of the representative (lo, hi)
        with each, and which members share text with it: another report's, by ``min_span`` or whole)."""
        a = self.a
        m0, m1 = int(a["row_member_start"][row]), int(a["row_member_start"][row + 1])
        if m0 == m1:
            return
        report = a["passage_report"]
        nchars = a["passage_nchars"]
        own_report = int(report[row])
        for rec in a["row_member"][m0:m1].tolist():
            group = int(a["member_group"][rec])
            g0, g1 = int(a["group_member_start"][group]), int(a["group_member_start"][group + 1])
            rows = np.asarray(a["member_row"][g0:g1])
            lo = np.maximum(np.asarray(a["member_r0"][g0:g1]), int(a["member_r0"][rec]))
            hi = np.minimum(np.asarray(a["member_r1"][g0:g1]), int(a["member_r1"][rec]))
            size = hi - lo
            longest = np.maximum(nchars[rows], nchars[row])
            whole = (size >= MIN_WHOLE) & (size >= WHOLE_SHARE * longest)
            keep = ((size >= self.min_span) | whole) & (np.asarray(report[rows]) != own_report)
            yield rec, g0, rows, whole, lo, hi, keep

    def _others(self, row: int) -> np.ndarray:
        """The other rows sharing text with a row, ascending, without their spans (arrays only)."""
        a = self.a
        lo, hi = int(a["link_start"][row]), int(a["link_start"][row + 1])
        parts = [np.asarray(a["link_other"][lo:hi], dtype=np.int64)]
        parts += [rows[keep].astype(np.int64) for _, _, rows, _, _, _, keep in self._memberships(row)]
        return np.unique(np.concatenate(parts))

    def _own_spans(self, row: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every span a row shares, on its own side: (other row, start, end) in its original offsets, one entry
        per span of a link and per group member (a member's interval mapped once per distinct interval)."""
        a = self.a
        lo, hi = int(a["link_start"][row]), int(a["link_start"][row + 1])
        span_lo, span_hi = int(a["link_span_start"][lo]), int(a["link_span_start"][hi])
        per_link = np.diff(np.asarray(a["link_span_start"][lo : hi + 1]))
        others = [np.repeat(np.asarray(a["link_other"][lo:hi], dtype=np.int64), per_link)]
        spans = np.asarray(a["span"][span_lo:span_hi]).reshape(-1, 4)
        starts, ends = [spans[:, 0].astype(np.int64)], [spans[:, 1].astype(np.int64)]
        for rec, _, rows, _, lo_g, hi_g, keep in self._memberships(row):
            pairs, at = np.unique((lo_g[keep].astype(np.int64) << 32) | hi_g[keep], return_inverse=True)
            mapped = np.array([self._original(rec, p >> 32, p & 0xFFFFFFFF) for p in pairs.tolist()], dtype=np.int64)
            mapped = mapped.reshape(-1, 2)[at.ravel()]
            others.append(rows[keep].astype(np.int64))
            starts.append(mapped[:, 0])
            ends.append(mapped[:, 1])
        return np.concatenate(others), np.concatenate(starts), np.concatenate(ends)

    def _original(self, rec: int, lo: int, hi: int) -> tuple[int, int]:
        """Original offsets in a member's passage of the group interval [lo, hi) (the representative's offsets)."""
        a = self.a
        shift = int(a["member_m0"][rec]) - int(a["member_r0"][rec])
        return original_span(a, int(a["member_row"][rec]), lo + shift, hi + shift)

    # The interface.
    def passage(self, passage_id: str, links: bool = True, first: int | None = None) -> PassageReuse:
        """Where else the passage's text appears; nothing when it shares none (or is unknown). With ``first``,
        ``links`` holds only the first links in order (at least ``first``, and every holder tied with the
        earliest): a page lists ten of a boilerplate passage's tens of thousands, and only those are built."""
        row = self.row(passage_id)
        if row is None or not self.a["passage_shared"][row]:
            return NO_REUSE
        a = self.a
        earliest_row = int(a["passage_earliest"][row])
        listed: tuple[ReuseLink, ...] = ()
        earliest: ReuseLink | None = None
        if links:
            ranks = a["report_rank"]
            report = a["passage_report"]
            if first is None:
                found = self.links_of(row)
                order = sorted(found, key=lambda r: (int(ranks[int(report[r])]), r))
            else:  # the earliest first (report rank, then row); the tied with the earliest hold its rank, the least
                others = self._others(row)
                rank = np.asarray(ranks)[np.asarray(report)[others]]
                by_time = np.lexsort((others, rank))
                tied = int(np.count_nonzero(rank <= int(ranks[int(report[earliest_row])])))
                chosen = others[by_time[: max(first, tied)]]
                found = self.links_of(row, only=np.sort(chosen))
                order = chosen.tolist()
            listed = tuple(self._link(row, r, *found[r]) for r in order)
            if earliest_row == row:
                earliest = self._self_link(row)
            else:
                earliest = next((link for r, link in zip(order, listed, strict=True) if r == earliest_row), None)
        if earliest is None:
            earliest = (
                self._self_link(earliest_row) if earliest_row == row else self._link(row, earliest_row, False, [])
            )
        tie = bool(a["passage_tie"][row])
        return PassageReuse(
            links=listed,
            reports=int(a["passage_reports"][row]),
            passages=int(a["passage_passages"][row]),
            earliest=earliest,
            tie=tie,
            own=(earliest if earliest_row == row else self._self_link(row)) if tie else None,
        )

    def _self_link(self, row: int) -> ReuseLink:
        chars = int(self.a["passage_chars"][row])
        return self._link(row, row, True, [(0, chars, 0, chars)])

    def shared_rows(self) -> np.ndarray:
        """By row (the snapshot's rows): whether the passage shares text with another passage."""
        return np.asarray(self.a["passage_shared"])

    def originality(self) -> np.ndarray:
        """By report index (the snapshot's report order): the share of the report's characters found in no
        earlier report (1.0 for a report that shares nothing, or only with later or contemporary ones)."""
        return np.asarray(self.a["report_originality"])

    def report_originality(self, report_id: str) -> float | None:
        n = self._report_index.get(report_id)
        return None if n is None else float(self.a["report_originality"][n])

    def _report_rows(self, report_id: str) -> range:
        n = self._report_index.get(report_id)
        if n is None:
            return range(0)
        starts = self.a["report_first_row"]
        return range(int(starts[n]), int(starts[n + 1]))

    def related_reports(self, report_id: str, limit: int = 10) -> list[tuple[str, int]]:
        """The reports sharing most text with this one: (report id, characters of this report they share),
        most first (then by report id). Worked out on arrays: for each of the report's passages, the union of
        the spans it shares with each other report (on its own side), summed over its passages."""
        report = np.asarray(self.a["passage_report"])
        reports, shared = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
        for row in self._report_rows(report_id):
            if not self.a["passage_shared"][row]:
                continue
            others, starts, ends = self._own_spans(row)
            other_reports, chars = union_lengths(report[others], starts, ends)
            reports.append(np.asarray(other_reports, dtype=np.int64))
            shared.append(np.asarray(chars, dtype=np.int64))
        n_reports = len(self.a["report_id"])
        totals = np.bincount(np.concatenate(reports), weights=np.concatenate(shared), minlength=n_reports)
        held = np.flatnonzero(totals)
        if len(held) > limit:  # those tied with the limit-th most are all kept: ties go by report id
            held = held[totals[held] >= np.partition(totals[held], len(held) - limit)[len(held) - limit]]
        ranked = [(str(self.a["report_id"][r]), int(totals[r])) for r in held.tolist()]
        ranked.sort(key=lambda t: (-t[1], t[0]))
        return ranked[:limit]

    def between(self, report_a: str, report_b: str) -> list[tuple[str, str, tuple[SharedSpan, ...]]]:
        """Every pair of passages (one in each report) sharing text, in a's passage order, then b's."""
        b = self._report_index.get(report_b)
        if b is None:
            return []
        pairs = []
        pid = self.a["passage_id"]
        b_range = self._report_rows(report_b)
        b_rows = np.arange(b_range.start, b_range.stop, dtype=np.int64)
        for row in self._report_rows(report_a):
            if not self.a["passage_shared"][row]:
                continue
            for other, (_, spans) in sorted(self.links_of(row, only=b_rows).items()):
                pairs.append((str(pid[row]), str(pid[other]), tuple(SharedSpan(*s) for s in sorted(spans))))
        return pairs


def union_lengths(keys: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[list[int], list[int]]:
    """For each distinct key (ascending), the characters covered by its intervals [start, end): what
    :func:`union_length` gives each key's intervals, in one pass over arrays.

    >>> union_lengths(np.array([7, 3, 7, 7]), np.array([0, 4, 5, 30]), np.array([10, 6, 20, 31]))
    ([3, 7], [2, 21])
    """
    if not len(keys):
        return [], []
    distinct, key_at = np.unique(keys, return_inverse=True)
    key_at = key_at.ravel()
    width = int(max(int(ends.max()), 0)) + 1  # each key's intervals moved past the last one's: no two keys overlap
    moved_start = key_at * width + starts
    moved_end = key_at * width + ends
    order = np.lexsort((moved_end, moved_start))
    moved_start, moved_end, key_at = moved_start[order], moved_end[order], key_at[order]
    reach = np.maximum.accumulate(moved_end)
    before = np.concatenate(([np.iinfo(np.int64).min], reach[:-1]))
    covered = np.maximum(moved_end - np.maximum(moved_start, before), 0)
    per_key = np.bincount(key_at, weights=covered, minlength=len(distinct)).astype(np.int64)
    return distinct.tolist(), per_key.tolist()


_STRING_ARRAYS = ("passage_id", "report_id", "report_date") + tuple(
    f"report_{f}" for f in ("province", "prefecture", "county", "code", "division_id")
)


def empty_arrays(rows: int = 0, reports: int = 0) -> dict[str, np.ndarray]:
    """Arrays of a generation where nothing is shared (ids unknown: lookups find nothing)."""
    zeros = np.zeros
    return {
        "min_span": np.array([MIN_SPAN], dtype=np.int64),
        "passage_id": np.full(rows, "", dtype="<U1"),
        "passage_key": np.full(rows, -1, dtype=np.int64),
        "key_order": np.arange(0, dtype=np.int64),  # rows by key
        "key_sorted": np.zeros(0, dtype=np.int64),  # the keys in that order
        "passage_report": zeros(rows, np.int32),
        "passage_chars": zeros(rows, np.int32),
        "passage_nchars": zeros(rows, np.int32),
        "passage_shared": zeros(rows, bool),
        "passage_reports": zeros(rows, np.int32),
        "passage_passages": zeros(rows, np.int32),
        "passage_earliest": np.full(rows, -1, np.int32),
        "passage_tie": zeros(rows, bool),
        "report_id": np.full(reports, "", dtype="<U1"),
        "report_year": zeros(reports, np.int32),
        "report_date": np.full(reports, "", dtype="<U1"),
        "report_rank": zeros(reports, np.int64),
        "report_first_row": zeros(reports + 1, np.int64),
        "report_originality": np.ones(reports, np.float64),
        **{f"report_{f}": np.full(reports, "", dtype="<U1") for f in ("province", "prefecture", "county")},
        **{f"report_{f}": np.full(reports, "", dtype="<U1") for f in ("code", "division_id")},
        "link_start": zeros(rows + 1, np.int64),
        "link_other": zeros(0, np.int32),
        "link_whole": zeros(0, bool),
        "link_span_start": zeros(1, np.int64),
        "span": zeros((0, 4), np.int32),
        "group_rep": zeros(0, np.int32),
        "group_member_start": zeros(1, np.int64),
        "member_group": zeros(0, np.int32),
        "member_row": zeros(0, np.int32),
        "member_r0": zeros(0, np.int32),
        "member_r1": zeros(0, np.int32),
        "member_m0": zeros(0, np.int32),
        "bp_start": zeros(rows + 1, np.int64),
        "bp_at": zeros(0, np.int32),
        "bp_ds": zeros(0, np.int32),
        "bp_de": zeros(0, np.int32),
        "row_member_start": zeros(rows + 1, np.int64),
        "row_member": zeros(0, np.int64),
    }


REQUIRED = frozenset(empty_arrays())


def _load(path: Path) -> np.ndarray:
    try:
        return np.asarray(np.load(path, mmap_mode="r", allow_pickle=False))  # a plain array: see arrays._load
    except ValueError:  # an empty array: nothing to map
        return np.load(path, allow_pickle=False)


def load_reuse(folder: Path | None) -> ReuseIndex | None:
    """The reuse arrays in ``folder``, memory-mapped read-only; None when the folder is missing or of another
    format (an index written before reuse existed, or by another version)."""
    if folder is None:
        return None
    try:
        meta = json.loads((folder / "meta.json").read_text())
        if meta.get("version") != FORMAT_VERSION:
            return None
        arrays = {p.stem: _load(p) for p in folder.glob("*.npy")}
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return None
    if not REQUIRED <= arrays.keys():
        return None
    return ReuseIndex(arrays)
