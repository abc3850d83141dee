"""The store: every passage and report of a generation as arrays, written into the generation's folder beside
its counting arrays (:func:`search.arrays.write_arrays`) and mapped read-only by every worker
(:func:`search.arrays.load_arrays`), so that a worker holds no Python object per passage or report: a
:class:`~search.models.Passage` or :class:`~search.models.Report` is built when asked for (:meth:`Store.passage`,
:meth:`Store.report`) and dropped after use.

What it holds, rows being passages in index order (reports by source, passages by number):

* each passage's original text (UTF-16 code units and each row's first unit), id, number and heading (the
  distinct headings once, each row pointing at its own); its report and section are the counting arrays'
  ``RowTable.report`` and ``RowTable.section``;
* each report's metadata record (:meth:`Report.metadata_json`), id, source, title, publish date and first
  row (what an update needs to put reports in order and rank them without reading the records);
* the sorted orders of passage and report ids (a binary search finds one: no dict of every id), the passage
  keys of tantivy's fast field (:func:`fast_key`) sorted with their rows;
* the generation's distinct regions (:func:`search.arrays.distinct_regions`), numbered as
  ``RowTable.report_region`` numbers them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property

import numpy as np

from search.models import SECTIONS, Passage, Region, Report

STORE_VERSION = 2
"""Bumped when what the store holds changes: a generation written with another version is not read.
(2: a passage's original text is kept as its differences from the folded text, see :class:`OriginalText`.)"""

STORE_ARRAYS = (
    "store_version",
    "text_units",
    "text_offsets",
    "text_diff_at",
    "text_diff_unit",
    "text_diff_offsets",
    "passage_id_bytes",
    "passage_id_offsets",
    "passage_id_order",
    "passage_number",
    "passage_heading",
    "heading_bytes",
    "heading_offsets",
    "passage_key_sorted",
    "passage_key_row",
    "report_meta_bytes",
    "report_meta_offsets",
    "report_id_bytes",
    "report_id_offsets",
    "report_id_order",
    "report_source_bytes",
    "report_source_offsets",
    "report_title_bytes",
    "report_title_offsets",
    "report_publish_date_bytes",
    "report_publish_date_offsets",
    "report_first_row",
    "regions_json",
)


def fast_key(text: str) -> int:
    """A 63-bit key for a passage id, report id or region in tantivy's fast fields (a hash: stable across
    commits, so hits and aggregation buckets map back to rows, reports and regions)."""
    return int(hashlib.sha1(text.encode()).hexdigest()[:15], 16)


def encode_strings(strings: Sequence[str], codec: str = "utf-8") -> tuple[np.ndarray, np.ndarray]:
    """Strings as one array of code units and the offsets of each (one more than there are strings):
    ``encode_strings(["法治", "", "ab"])`` → units of ``法治ab`` in UTF-8 and offsets ``[0, 6, 6, 8]``."""
    dtype = np.uint16 if codec == "utf-16-le" else np.uint8
    encoded = [s.encode(codec) for s in strings]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    if encoded:
        np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=offsets[1:])
    units = np.frombuffer(b"".join(encoded), dtype=np.uint8).view(dtype) if encoded else np.zeros(0, dtype)
    return units, offsets // np.dtype(dtype).itemsize


def sorted_order(strings: Sequence[str]) -> np.ndarray:
    """The indexes of ``strings`` in the order of their UTF-8 bytes (the order :meth:`Strings.find` searches):
    ``sorted_order(["b", "a", "c"])`` → ``[1, 0, 2]``."""
    return sorted_order_of(*encode_strings(strings))


def sorted_order_of(units: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """:func:`sorted_order` of strings held as UTF-8 units and offsets, without decoding them: laid out as
    fixed-width byte strings (ids hold no NUL, the padding), which numpy sorts in C."""
    n = len(offsets) - 1
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    lengths = np.diff(offsets)
    width = max(1, int(lengths.max()))
    matrix = np.zeros((n, width), dtype=np.uint8)
    for col in range(width):  # a column at a time: memory stays one matrix and a few rows' worth
        has = np.flatnonzero(lengths > col)
        matrix[has, col] = units[offsets[has] + col]
    return np.argsort(matrix.view(f"S{width}").ravel(), kind="stable").astype(np.int64)


def one_index(i: object, n: int, what: str) -> int:
    """``i`` as an index into ``n`` items read one at a time (negative from the end): ``one_index(-1, 3, "x")`` → 2.
    A slice or anything else is a :class:`TypeError`, an index outside is an :class:`IndexError`."""
    if not isinstance(i, (int, np.integer)):
        raise TypeError(f"{what} are read one at a time")
    i = int(i)
    if i < 0:
        i += n
    if not 0 <= i < n:
        raise IndexError(i)
    return i


def ranges(lengths: np.ndarray) -> np.ndarray:
    """0..n-1 for each n of ``lengths``, one after another.

    >>> ranges(np.array([2, 0, 3])).tolist()
    [0, 1, 0, 1, 2]
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    return np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)


class Strings(Sequence[str]):
    """Strings decoded one at a time from an array of code units and their offsets (see :func:`encode_strings`)."""

    def __init__(self, units: np.ndarray, offsets: np.ndarray, codec: str = "utf-8") -> None:
        self.units, self.offsets, self.codec = units, offsets, codec

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def raw(self, i: int) -> bytes:
        return self.units[self.offsets[i] : self.offsets[i + 1]].tobytes()

    def __getitem__(self, i):  # type: ignore[override]
        return self.raw(one_index(i, len(self), "strings")).decode(self.codec)

    def find(self, value: str, order: np.ndarray) -> int | None:
        """The index of ``value`` by binary search over ``order`` (the indexes sorted by UTF-8 bytes), or None."""
        key = value.encode()
        lo, hi = 0, len(order)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.raw(int(order[mid])) < key:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(order) and self.raw(int(order[lo])) == key:
            return int(order[lo])
        return None


def _by_key(
    value: str, key_sorted: np.ndarray, index_of: np.ndarray, strings: Strings, order: np.ndarray
) -> int | None:
    """The index of ``value`` among ``strings`` by its key (:func:`fast_key`): one binary search over the sorted
    keys (``index_of``: the index at each), the string read back to make sure; on a collision (two strings of
    one key), a binary search over the strings themselves (``order``: their indexes sorted by UTF-8 bytes)."""
    key = fast_key(value)
    at = int(np.searchsorted(key_sorted, np.uint64(key)))  # (a Python int would copy the array)
    if at == len(key_sorted) or int(key_sorted[at]) != key:
        return None  # (no string has its key, so none is it)
    index = int(index_of[at])
    if strings[index] == value:
        return index
    return strings.find(value, order)


TEXT_CHUNK_UNITS = 1 << 22
"""Units compared at a time by :func:`text_against_folded` (its index arrays are 8 bytes a unit)."""


def text_against_folded(
    text_units: np.ndarray, text_offsets: np.ndarray, units: np.ndarray, starts: np.ndarray
) -> dict[str, np.ndarray]:
    """Each passage's original text (UTF-16 ``text_units`` by ``text_offsets``) kept as its differences from its
    folded text in the corpus array (``units``, each row from ``starts``, NUL between rows), where that is
    smaller: folding keeps the length of nearly every passage and changes a few characters (full-width
    punctuation, digits and letters), so a difference costs 6 bytes where the whole text costs 2 a unit.

    Returns ``text_units``/``text_offsets`` holding only the passages kept whole (the others' are empty), and
    ``text_diff_at`` (int32, the unit's offset in the passage), ``text_diff_unit`` (uint16, the original unit)
    by ``text_diff_offsets`` (per row). :class:`OriginalText` reads them back."""
    rows = len(text_offsets) - 1
    lengths = np.diff(text_offsets)
    ends = np.append(starts[1:] - 1, len(units)) if rows else np.zeros(0, dtype=np.int64)
    whole = lengths != (ends - starts)
    diff_count = np.zeros(rows, dtype=np.int64)
    at_parts, unit_parts = [], []
    lo = 0
    while lo < rows:  # rows in chunks of about TEXT_CHUNK_UNITS units
        hi = int(np.searchsorted(text_offsets, text_offsets[lo] + TEXT_CHUNK_UNITS, side="right"))
        hi = min(max(hi - 1, lo + 1), rows)
        chunk = lo + np.flatnonzero(~whole[lo:hi])
        size = lengths[chunk]
        local = ranges(size)
        original = text_units[np.repeat(text_offsets[chunk], size) + local]
        differ = original != units[np.repeat(starts[chunk], size) + local]
        row = np.repeat(chunk, size)[differ]
        counts = np.bincount(row - lo, minlength=hi - lo)
        too_many = counts * 3 > lengths[lo:hi]  # whole text is smaller (2 bytes a unit against 6 a difference)
        whole[lo:hi] |= too_many
        keep = ~too_many[row - lo]
        diff_count[lo:hi] = np.where(too_many, 0, counts)
        at_parts.append(local[differ][keep].astype(np.int32))
        unit_parts.append(original[differ][keep])
        lo = hi
    diff_offsets = np.zeros(rows + 1, dtype=np.int64)
    np.cumsum(diff_count, out=diff_offsets[1:])
    kept = np.where(whole, lengths, 0)
    kept_offsets = np.zeros(rows + 1, dtype=np.int64)
    np.cumsum(kept, out=kept_offsets[1:])
    take = np.flatnonzero(whole)
    return {
        "text_units": text_units[np.repeat(text_offsets[take], kept[take]) + ranges(kept[take])].astype(np.uint16),
        "text_offsets": kept_offsets,
        "text_diff_at": np.concatenate(at_parts) if at_parts else np.zeros(0, dtype=np.int32),
        "text_diff_unit": np.concatenate(unit_parts).astype(np.uint16) if unit_parts else np.zeros(0, np.uint16),
        "text_diff_offsets": diff_offsets,
    }


class OriginalText(Sequence[str]):
    """Each passage's original text, as :func:`text_against_folded` keeps it: the passage's folded units from
    the corpus array with its differences put back, or its whole text where that was kept."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.whole = Strings(arrays["text_units"], arrays["text_offsets"], "utf-16-le")
        self.units, self.starts = arrays["units"], arrays["starts"]
        self.at, self.unit, self.diff_offsets = (
            arrays["text_diff_at"],
            arrays["text_diff_unit"],
            arrays["text_diff_offsets"],
        )

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, i):  # type: ignore[override]
        i = one_index(i, len(self), "texts")
        offsets = self.whole.offsets
        if offsets[i + 1] > offsets[i]:
            return self.whole[i]
        start = int(self.starts[i])
        end = int(self.starts[i + 1]) - 1 if i + 1 < len(self.starts) else len(self.units)
        a, b = int(self.diff_offsets[i]), int(self.diff_offsets[i + 1])
        piece = self.units[start:end]
        if a < b:
            piece = piece.copy()
            piece[self.at[a:b]] = self.unit[a:b]
        return piece.tobytes().decode("utf-16-le")

    def __iter__(self) -> Iterator[str]:
        """Every passage's text in row order, a chunk of rows decoded at once (what reading them all costs)."""
        rows, step, offsets = len(self), 4096, self.whole.offsets
        for lo in range(0, rows, step):
            hi = min(lo + step, rows)
            first = int(self.starts[lo])
            end = int(self.starts[hi]) - 1 if hi < rows else len(self.units)
            chunk = self.units[first:end].copy()
            a, b = int(self.diff_offsets[lo]), int(self.diff_offsets[hi])
            owner = np.repeat(np.arange(lo, hi), np.diff(self.diff_offsets[lo : hi + 1]))
            chunk[self.starts[owner] - first + self.at[a:b]] = self.unit[a:b]
            texts = chunk.tobytes().decode("utf-16-le").split("\x00")
            if len(texts) != hi - lo:  # a NUL inside a passage's text: read them one at a time
                texts = [self[i] for i in range(lo, hi)]
            for i in np.flatnonzero(offsets[lo + 1 : hi + 1] > offsets[lo:hi]).tolist():
                texts[i] = self.whole[lo + i]
            yield from texts


def region_json(regions: Iterable[Region]) -> np.ndarray:
    """The distinct regions as JSON bytes (a few thousand at most: read whole)."""
    text = json.dumps([r.to_dict() for r in regions], ensure_ascii=False)
    return np.frombuffer(text.encode(), dtype=np.uint8)


def regions_of(data: np.ndarray) -> list[Region]:
    """The regions :func:`region_json` wrote."""
    return [Region(**r) for r in json.loads(data.tobytes().decode())]


def store_arrays(reports: Sequence[Report], regions: Sequence[Region]) -> dict[str, np.ndarray]:
    """The store's arrays of a generation: ``reports`` in row order, ``regions`` their distinct regions."""
    passages = [p for r in reports for p in r.passages]
    ids = [p.passage_id for p in passages]
    heading_number: dict[str, int] = {}
    heading = np.fromiter(
        (heading_number.setdefault(p.heading, len(heading_number)) for p in passages),
        dtype=np.int32,
        count=len(passages),
    )
    keys = np.fromiter((fast_key(i) for i in ids), dtype=np.uint64, count=len(ids))
    key_order = np.argsort(keys, kind="stable")
    report_ids = [r.report_id for r in reports]
    sizes = np.fromiter((len(r.passages) for r in reports), dtype=np.int64, count=len(reports))
    first_row = np.zeros(len(reports) + 1, dtype=np.int64)
    np.cumsum(sizes, out=first_row[1:])
    out: dict[str, np.ndarray] = {"store_version": np.array([STORE_VERSION], dtype=np.int64)}
    for name, strings, codec in (
        ("text", [p.text for p in passages], "utf-16-le"),
        ("passage_id", ids, "utf-8"),
        ("heading", list(heading_number), "utf-8"),
        ("report_meta", [r.metadata_json() for r in reports], "utf-8"),
        ("report_id", report_ids, "utf-8"),
        ("report_source", [r.source for r in reports], "utf-8"),
        ("report_title", [r.title for r in reports], "utf-8"),
        ("report_publish_date", [r.publish_date or "" for r in reports], "utf-8"),
    ):
        units, offsets = encode_strings(strings, codec)
        unit_name = "text_units" if name == "text" else f"{name}_bytes"
        out[unit_name], out[f"{name}_offsets"] = units, offsets
    out["passage_id_order"] = sorted_order(ids)
    out["passage_number"] = np.fromiter((p.number for p in passages), dtype=np.int32, count=len(passages))
    out["passage_heading"] = heading
    out["passage_key_sorted"] = keys[key_order]
    out["passage_key_row"] = key_order.astype(np.int64)
    out["report_id_order"] = sorted_order(report_ids)
    out["report_first_row"] = first_row
    out["regions_json"] = region_json(regions)
    return out


class Store:
    """A generation's passages and reports, read from its mapped arrays one at a time."""

    def __init__(self, arrays: dict[str, np.ndarray], report_of_row: np.ndarray, section_of_row: np.ndarray) -> None:
        self.text = OriginalText(arrays)
        self.passage_ids = Strings(arrays["passage_id_bytes"], arrays["passage_id_offsets"])
        self.passage_id_order = arrays["passage_id_order"]
        self.number = arrays["passage_number"]
        self.heading = arrays["passage_heading"]
        self.headings = Strings(arrays["heading_bytes"], arrays["heading_offsets"])
        self.key_sorted = arrays["passage_key_sorted"]
        self.key_row = arrays["passage_key_row"]
        self.report_meta = Strings(arrays["report_meta_bytes"], arrays["report_meta_offsets"])
        self.report_ids = Strings(arrays["report_id_bytes"], arrays["report_id_offsets"])
        self.report_id_order = arrays["report_id_order"]
        self.report_sources = Strings(arrays["report_source_bytes"], arrays["report_source_offsets"])
        self.report_titles = Strings(arrays["report_title_bytes"], arrays["report_title_offsets"])
        self.report_first_row = arrays["report_first_row"]
        self._regions_json = arrays["regions_json"]
        self.report_of_row = report_of_row
        self.section_of_row = section_of_row

    @property
    def rows(self) -> int:
        return len(self.number)

    @property
    def report_count(self) -> int:
        return len(self.report_first_row) - 1

    def passage(self, row: int) -> Passage:
        """The passage of one row, built from the arrays."""
        row = int(row)
        return Passage(
            passage_id=self.passage_ids[row],
            report_id=self.report_ids[int(self.report_of_row[row])],
            number=int(self.number[row]),
            text=self.text[row],
            section=SECTIONS[int(self.section_of_row[row])],
            heading=self.headings[int(self.heading[row])],
        )

    def report(self, index: int) -> Report:
        """The report at ``index`` (in index order) with its passages, built from the arrays."""
        first, end = int(self.report_first_row[index]), int(self.report_first_row[index + 1])
        return Report.from_metadata_json(self.report_meta[index], tuple(self.passage(r) for r in range(first, end)))

    def report_metadata(self, index: int) -> Report:
        """The report at ``index`` without its passages (``passages == ()``): its metadata record alone, for
        views that read many reports' metadata and none of their text."""
        return Report.from_metadata_json(self.report_meta[int(index)], ())

    def passage_row(self, passage_id: str) -> int | None:
        """The row of a passage id, or None: by its key (:func:`fast_key`, one binary search in numpy), the id read
        back to make sure; two ids of one key (a hash collision) are told apart by the ids themselves."""
        return _by_key(passage_id, self.key_sorted, self.key_row, self.passage_ids, self.passage_id_order)

    def report_index(self, report_id: str) -> int | None:
        """The index of a report id, or None: by its key, as :meth:`passage_row` finds a passage (the reports'
        keys: :attr:`report_keys`, 16 bytes a report, 1.6 MB at 100,000 reports)."""
        keys, order = self.report_keys
        return _by_key(report_id, keys, order, self.report_ids, self.report_id_order)

    @cached_property
    def report_keys(self) -> tuple[np.ndarray, np.ndarray]:
        """The report ids' keys, sorted, and the index of the report at each (:meth:`report_index`)."""
        keys = np.fromiter((fast_key(r) for r in self.report_ids), dtype=np.uint64, count=len(self.report_ids))
        order = np.argsort(keys, kind="stable")
        return keys[order], order

    def rows_of_keys(self, keys: Sequence[int] | np.ndarray) -> np.ndarray:
        """The rows of tantivy passage keys (:func:`fast_key` of their ids), by binary search."""
        keys = np.asarray(keys, dtype=np.uint64)
        at = np.searchsorted(self.key_sorted, keys)
        if len(keys) and (at.max() >= len(self.key_sorted) or not np.array_equal(self.key_sorted[at], keys)):
            raise KeyError("a passage key that is not in this generation's store")
        return self.key_row[at]

    @cached_property
    def _key_at(self) -> np.ndarray:
        """Each row's place in ``key_sorted`` (the inverse of ``key_row``): worked out at the first use, 4
        bytes a passage (8.5 MB at 100,000 reports), since only a relevance page that scores a set of
        passages asks for their keys."""
        at = np.empty(len(self.key_row), dtype=np.int32 if len(self.key_row) < 2**31 else np.int64)
        at[self.key_row] = np.arange(len(self.key_row), dtype=at.dtype)
        at.flags.writeable = False
        return at

    def keys_of_rows(self, rows: np.ndarray) -> np.ndarray:
        """The tantivy passage keys (:func:`fast_key` of their ids) of ``rows``, read rather than hashed again."""
        return self.key_sorted[self._key_at[rows]]

    def regions(self) -> list[Region]:
        """The generation's distinct regions, in the order ``RowTable.report_region`` numbers them."""
        return regions_of(self._regions_json)
