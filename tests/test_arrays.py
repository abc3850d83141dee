"""The counting arrays are part of the index: written with each generation, mapped by the readers, removed
with the generation; an index without them (an earlier version's) must be rebuilt. The mapped arrays equal
those built in memory from the passages and reports."""

from __future__ import annotations

import random
import shutil
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest

from search import OldIndexError, Region, SearchRequest, index_writer, open_engine, search
from search import arrays as arrays_module
from search.arrays import (
    _CORPUS_ARRAYS,
    _FREQUENT_ARRAYS,
    ARRAYS_PREFIX,
    CorpusText,
    MappedFolded,
    RowTable,
    arrays_folder,
    distinct_regions,
    generation_order,
    load_arrays,
    write_arrays,
)
from search.models import Report
from search.query import parse_query
from tests.conftest import SMALL_REPORTS, make_report, open_as_served

QUERIES = ["枫桥经验", "法治政府建设", "行政复议", "经验 OR 示范", "矛盾 NEAR/5 化解", "法治 -示范", ""]


def is_mapped(array: np.ndarray) -> bool:
    """Whether an array is a view of a file mapping (not a copy in memory)."""
    return isinstance(array, np.memmap) or isinstance(array.base, np.memmap)


def arrays_folders(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.name.lstrip(".").startswith(ARRAYS_PREFIX))


def answers(snap) -> list[tuple]:
    out = []
    for q in QUERIES:
        r = search(snap, SearchRequest(query=q, per_page=50), use_cache=False)
        out.append((q, r.total, r.reports_total, r.occurrences, [h.passage_id for h in r.hits]))
    return out


def built_in_memory(snap) -> tuple[CorpusText, RowTable]:
    """The arrays built in memory from the snapshot's passages and reports (read from its store)."""
    from search.analysis import fold

    return CorpusText([fold(p.text) for p in snap.passages]), RowTable.of(
        snap.report_list, snap.passages, snap.report_rows
    )


def assert_same_arrays(snap) -> None:
    corpus, table = built_in_memory(snap)
    for name in (*_CORPUS_ARRAYS, *_FREQUENT_ARRAYS):
        assert np.array_equal(getattr(snap.corpus_text, name), getattr(corpus, name)), name
    for f in fields(RowTable):
        assert np.array_equal(getattr(snap.row_table, f.name), getattr(table, f.name)), f.name


# --- pure pieces ------------------------------------------------------------------------------------------


def test_a_passage_text_is_decoded_from_the_corpus_array_alone():
    texts = ["法治法治", "𠀀法治𠀀法", "", "治法治", "abc"]
    folded = MappedFolded(CorpusText(texts))
    assert [folded[r] for r in range(len(texts))] == texts
    assert list(folded) == texts and len(folded) == 5 and folded[-1] == "abc"
    with pytest.raises(IndexError):
        folded[5]


def test_arrays_written_to_a_folder_are_mapped_back_read_only(tmp_path):
    reports = generation_order(list(reversed(SMALL_REPORTS)))
    assert [r.source for r in reports] == ["a.txt", "b.txt", "c.txt"]
    from search.analysis import fold

    folded = {p.passage_id: fold(p.text) for r in reports for p in r.passages}
    write_arrays(tmp_path / "arrays-7", reports, folded)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["arrays-7"]  # nothing half-written left beside it
    arrays = load_arrays(tmp_path / "arrays-7")
    assert is_mapped(arrays.corpus.units) and not arrays.corpus.units.flags.writeable
    passages = [p for r in reports for p in r.passages]
    assert [arrays.corpus.text(r) for r in range(len(passages))] == [folded[p.passage_id] for p in passages]
    assert arrays.corpus.counts("枫桥经验").tolist() == [folded[p.passage_id].count("枫桥经验") for p in passages]
    rows = [i for i, r in enumerate(reports) for _ in r.passages]
    assert arrays.table.report.tolist() == rows
    assert [arrays.store.passage(r) for r in range(len(passages))] == passages
    # As every engine read reports back: their sources spelled out.
    assert [arrays.store.report(i) for i in range(len(reports))] == [
        replace(r, sources=r.all_sources()) for r in reports
    ]
    assert load_arrays(tmp_path / "arrays-8") is None


def test_positions_are_sorted_by_unit_then_next_unit_then_offset_beside_a_table_of_bigrams():
    texts = ["法治法治", "𠀀法治𠀀法", "", "治法治", "哈哈哈", "法"]
    corpus = CorpusText(texts)
    units, pos = corpus.units, corpus.positions.astype(np.int64)
    following = np.append(units, 0)[pos + 1]  # the corpus's last unit is followed by nothing (0)
    keys = list(zip(units[pos].tolist(), following.tolist(), pos.tolist(), strict=True))
    assert keys == sorted(keys) and sorted(pos.tolist()) == list(range(len(units)))
    bigrams = (units[pos].astype(np.int64) << 16) | following
    first = corpus.bigram_start
    assert first[0] == 0 and first[-1] == len(pos) and (np.diff(first) > 0).all()
    for k, key in enumerate(corpus.bigram_key.tolist()):
        assert set(bigrams[first[k] : first[k + 1]].tolist()) == {key}
    assert corpus.bigram_key.tolist() == sorted(set(bigrams.tolist()))
    rows, per_row = corpus.row_counts("法治")  # two units: its bigram's entries, nothing checked
    assert rows.tolist() == [0, 1, 3] and per_row.tolist() == [2, 1, 1]


def test_the_row_of_an_offset_is_read_from_the_row_rank_table():
    rng = np.random.default_rng(7)
    # Empty passages (several row starts in one word) and passages longer than a word of 32 units.
    texts = ["甲" * int(n) for n in rng.integers(0, 80, 400)]
    corpus = CorpusText(texts)
    offsets = np.flatnonzero(corpus.units)  # every unit of a passage (the NULs between them are no one's)
    expected = np.searchsorted(corpus.starts, offsets, side="right") - 1
    assert np.array_equal(corpus.rows_of(offsets), expected)
    assert np.array_equal(corpus.rows_of(offsets.astype(np.int32)), expected)  # as the positions are stored
    assert len(corpus.row_rank) == len(corpus.units) // 32 + 1


@pytest.mark.parametrize("floor, split", [(None, False), (1, False), (None, True)])
def test_counts_from_the_rarest_bigram_equal_a_scan_of_random_texts(monkeypatch, floor, split):
    if floor is not None:  # every bigram frequent: each one's rows as stored (CorpusText.frequent)
        monkeypatch.setattr(arrays_module, "FREQUENT_FLOOR", floor)
    if split:  # every literal's counted in two halves (a row's starts across both)
        monkeypatch.setattr(arrays_module, "SPLIT_FROM", 1)
    rng = random.Random(3)
    alphabet = "法治政府建设哈𠀀ab"
    literals = [
        "法",
        "法治",
        "治法",
        "哈哈",
        "哈哈哈",
        "法治政府建设",
        "政府建设",
        "𠀀",
        "𠀀法",
        "b",
        "设法治",
        "z",
        "法z",
    ]
    for _ in range(150):
        texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(rng.randint(1, 8))]
        corpus = CorpusText(texts)
        for lit in literals:
            starts = [sum(t.startswith(lit, i) for i in range(len(t))) for t in texts]
            assert corpus.counts(lit).tolist() == starts, (texts, lit)
            rows, per_row = corpus.row_counts(lit)
            assert rows.tolist() == [r for r, n in enumerate(starts) if n] and per_row.tolist() == [
                n for n in starts if n
            ]


def test_an_index_whose_corpus_arrays_have_the_earlier_layout_must_be_rebuilt(tmp_path, engine_name):
    """Version 1 sorted positions by unit and offset alone and had no bigram or row-rank tables."""
    index_dir = tmp_path / "idx"
    index_writer(engine_name)(index_dir, SMALL_REPORTS)
    [name] = arrays_folders(index_dir)
    np.save(index_dir / name / "corpus_version.npy", np.array([1], dtype=np.int64))
    with pytest.raises(OldIndexError, match="--rebuild"):
        open_as_served(index_dir, engine_name)
    (index_dir / name / "corpus_version.npy").unlink()  # as version 1 wrote it: no version at all
    with pytest.raises(OldIndexError, match="--rebuild"):
        open_as_served(index_dir, engine_name)


# --- written by each engine, with each generation -----------------------------------------------------------


def test_each_generation_holds_its_arrays_and_readers_map_them(tmp_path, engine_name):
    index_dir = tmp_path / "idx"
    write = index_writer(engine_name)
    write(index_dir, SMALL_REPORTS)
    [first] = arrays_folders(index_dir)
    snap = open_as_served(index_dir, engine_name)
    assert is_mapped(snap.corpus_text.units)  # mapped, not built
    assert is_mapped(snap.row_table.report)
    assert isinstance(snap.folded, MappedFolded)  # no second copy of the text in the worker
    assert_same_arrays(snap)

    # An update: the arrays of the new generation cover every report, kept and written; the old ones go.
    changed = replace(SMALL_REPORTS[1], passages=SMALL_REPORTS[1].passages[:2])
    added = make_report("rd", "0.txt", SMALL_REPORTS[0].region, 2022, [("首违不罚推行枫桥经验。", "举措成效", "")])
    write(index_dir, [changed, added], replace_all=False, remove=["rc"])
    [second] = arrays_folders(index_dir)
    assert second != first
    new = open_as_served(index_dir, engine_name)
    assert [r.report_id for r in new.report_list] == ["rd", "ra", "rb"]
    assert is_mapped(new.corpus_text.units)
    assert_same_arrays(new)
    assert search(new, SearchRequest(query="枫桥经验")).reports_total == 3
    # The snapshot opened before the update still reads its own (now unlinked) arrays.
    assert search(snap, SearchRequest(query="示范创建")).total == 1


def test_an_index_without_arrays_must_be_rebuilt(tmp_path, engine_name):
    """An index written by an earlier version has no arrays and no store: a reader says to rebuild it, an
    update refuses it, and a rebuild writes them."""
    index_dir = tmp_path / "idx"
    index_writer(engine_name)(index_dir, SMALL_REPORTS)
    mapped = answers(open_as_served(index_dir, engine_name))
    for name in arrays_folders(index_dir):
        shutil.rmtree(index_dir / name)
    with pytest.raises(OldIndexError, match="--rebuild"):
        open_as_served(index_dir, engine_name)
    with pytest.raises(OldIndexError, match="--rebuild"):
        index_writer(engine_name)(index_dir, SMALL_REPORTS[:1], replace_all=False)
    index_writer(engine_name)(index_dir, SMALL_REPORTS)
    again = open_as_served(index_dir, engine_name)
    assert is_mapped(again.corpus_text.units)
    assert answers(again) == mapped


def test_arrays_that_do_not_fit_the_generation_are_refused(tmp_path, engine_name):
    index_dir = tmp_path / "idx"
    index_writer(engine_name)(index_dir, SMALL_REPORTS)
    [name] = arrays_folders(index_dir)
    from search.analysis import fold

    others = generation_order(SMALL_REPORTS[:2])  # another generation's arrays under this one's name
    shutil.rmtree(index_dir / name)
    write_arrays(index_dir / name, others, {p.passage_id: fold(p.text) for r in others for p in r.passages})
    with pytest.raises(OldIndexError, match="--rebuild"):
        open_as_served(index_dir, engine_name)


def test_a_commit_clears_what_killed_writers_left(tmp_path, engine_name):
    index_dir = tmp_path / "idx"
    write = index_writer(engine_name)
    write(index_dir, SMALL_REPORTS)
    (index_dir / f".{ARRAYS_PREFIX}x.1234abcd.tmp").mkdir()  # killed while writing arrays
    (index_dir / f"{ARRAYS_PREFIX}neverCommitted").mkdir()  # killed between the arrays and the commit
    write(index_dir, SMALL_REPORTS[:2], replace_all=False)
    [left] = arrays_folders(index_dir)
    assert load_arrays(index_dir / left) is not None
    snap = open_engine(index_dir, engine_name).snapshot()
    assert is_mapped(snap.corpus_text.units)
    assert arrays_folder(index_dir, "x").name == f"{ARRAYS_PREFIX}x"


def test_a_frequent_bigram_s_stored_rows_are_those_its_positions_give(tmp_path, monkeypatch):
    monkeypatch.setattr(arrays_module, "FREQUENT_FLOOR", 2)
    corpus = CorpusText([fold_text for r in SMALL_REPORTS for fold_text in (p.text for p in r.passages)])
    keys = corpus.frequent_key.tolist()
    assert len(keys) > 10  # the samples' commonest bigrams, and not every bigram
    assert len(keys) < len(corpus.bigram_key) / 2
    monkeypatch.setattr(arrays_module, "FREQUENT_FLOOR", 10**9)
    worked_out = CorpusText([fold_text for r in SMALL_REPORTS for fold_text in (p.text for p in r.passages)])
    assert not len(worked_out.frequent_key)
    for key in keys:
        bigram = chr(key >> 16) + chr(key & 0xFFFF)
        stored, counted = corpus.row_counts(bigram), worked_out.row_counts(bigram)
        assert corpus.frequent(bigram) is not None and worked_out.frequent(bigram) is None
        assert stored[0].dtype == counted[0].dtype == stored[1].dtype == np.int64
        assert np.array_equal(stored[0], counted[0]) and np.array_equal(stored[1], counted[1]), bigram


def test_an_index_written_without_the_frequent_bigrams_rows_counts_them_from_positions(
    tmp_path, engine_name, monkeypatch
):
    monkeypatch.setattr(arrays_module, "FREQUENT_FLOOR", 2)
    index_dir = tmp_path / "idx"
    index_writer(engine_name)(index_dir, SMALL_REPORTS)
    before = answers(open_as_served(index_dir, engine_name))
    folder = next(p for p in index_dir.iterdir() if p.name.startswith(ARRAYS_PREFIX))
    assert len(np.load(folder / "frequent_key.npy"))  # the samples' commonest bigrams are stored
    for name in _FREQUENT_ARRAYS:  # as an index written before they were
        (folder / f"{name}.npy").unlink()
    snap = open_as_served(index_dir, engine_name)
    assert not len(snap.corpus_text.frequent_key)
    assert answers(snap) == before


def test_counts_from_the_mapped_arrays_equal_a_scan_of_the_folded_text(tmp_path, engine_name):
    index_dir = tmp_path / "idx"
    index_writer(engine_name)(index_dir, SMALL_REPORTS)
    snap = open_as_served(index_dir, engine_name)
    for q in QUERIES[:4]:
        parsed = parse_query(q)
        scan = sum(parsed.count(t) for t in snap.folded if parsed.matches(t))
        assert search(snap, SearchRequest(query=q)).occurrences == scan, q


def test_each_report_region_and_title_rank_are_columns_that_sort_as_the_names_do():
    regions = [
        Region("湖南省", "长沙市", "岳麓区", code="430104"),
        Region("山西省", "长治市", "长治县", code="140421"),
        Region("山西省", "长治市", "上党区", code="140404"),
        Region("湖南省", "长沙市", "岳麓区", code="430104"),
        Region("山西省"),
    ]
    titles = ["乙", "甲", "丙", "甲", "丁"]
    reports = [
        replace(make_report(f"r{n}", f"{n}.txt", region, 2024, [("法治政府建设", "概述", "")]), title=title)
        for n, (region, title) in enumerate(zip(regions, titles, strict=True))
    ]
    passages = [p for r in reports for p in r.passages]
    table = RowTable.of(reports, passages, list(range(len(reports))))
    listed = distinct_regions(reports)
    assert len(listed) == 4
    assert [listed[int(n)] for n in table.report_region] == regions
    assert [listed[int(n)].code for n in table.report_region] == [r.code for r in regions]
    assert sorted(range(5), key=lambda i: (int(table.report_region[i]), i)) == sorted(
        range(5), key=lambda i: regions[i].names()
    )
    assert sorted(range(5), key=lambda i: (int(table.report_title_rank[i]), i)) == sorted(
        range(5), key=lambda i: titles[i]
    )
    assert table.report_title_rank[1] == table.report_title_rank[3]


@pytest.mark.parametrize("seed", [*range(6), "nothing added", "nothing kept"])
def test_an_update_s_positions_merged_into_the_previous_equal_those_sorted_afresh(tmp_path, monkeypatch, seed):
    """Positions of the kept passages moved, the new part's and every separator's put in by binary search:
    the same arrays as a fresh build of the final reports (random texts over a few characters, so that most
    bigrams are held by both parts; reports removed and added at both ends and between; one-character
    passages; frequent bigrams stored; the table moving offsets in blocks of 2 to 4,096)."""
    monkeypatch.setattr(arrays_module, "FREQUENT_FLOOR", 3)
    # Blocks of the table moving offsets small enough to lie inside a run, outside every run, or across an edge.
    monkeypatch.setattr(arrays_module, "_BLOCK_BITS", [1, 3, 12][seed % 3] if isinstance(seed, int) else 2)
    rng = random.Random(seed)
    region = Region("山西省", "长治市", None)

    def report(n: int) -> Report:
        texts = ["".join(rng.choice("法治政府建设枫桥") for _ in range(rng.choice([1, 2, 5, 30]))) for _ in range(3)]
        return make_report(f"r{n:03d}", f"{n:03d}.txt", region, 2024, [(t, "概述", "") for t in texts])

    before = [report(n) for n in range(2, 40, 2)]
    gone = {r.report_id for r in before if rng.random() < 0.3} | {before[0].report_id, before[-1].report_id}
    added = [] if seed == "nothing added" else [report(n) for n in (0, 1, 7, 15, 41, 45)]
    if seed == "nothing kept":
        gone = {r.report_id for r in before}
    folded = {p.passage_id: p.text for r in before + added for p in r.passages}
    write_arrays(tmp_path / "before", before, folded)
    previous = load_arrays(tmp_path / "before")
    keep = [i for i, r in enumerate(before) if r.report_id not in gone]
    write_arrays(tmp_path / "updated", generation_order(added), folded, previous=previous, keep=keep)
    final = generation_order([r for r in before if r.report_id not in gone] + added)
    write_arrays(tmp_path / "fresh", final, folded)
    updated, fresh = load_arrays(tmp_path / "updated").raw, load_arrays(tmp_path / "fresh").raw
    for name in (*_CORPUS_ARRAYS, *_FREQUENT_ARRAYS):
        assert np.array_equal(updated[name], fresh[name]), name
    assert len(fresh["frequent_key"])


def test_module_doctests():
    import doctest

    import search.arrays
    import search.counting

    for module in (search.arrays, search.counting):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_the_compiled_loop_writes_runs_of_rows_and_names_a_wrong_argument():
    from search._count import literal_runs

    corpus = CorpusText(["法治法治", "治法", "法治"])
    lit = np.frombuffer("法治".encode("utf-16-le"), dtype=np.uint16)
    entries = np.array([0, 2, 8], dtype=np.int32)  # the starts of 法治, as positions hold them
    rows, counts = np.empty(3, dtype=np.int64), np.empty(3, dtype=np.int64)
    for wide in (entries, entries.astype(np.int64)):  # positions are int64 past 2**31 units
        assert literal_runs(corpus.units, wide, corpus.row_rank, lit, 0, rows, counts) == 2
        assert rows[:2].tolist() == [0, 2] and counts[:2].tolist() == [2, 1]
    with pytest.raises(TypeError, match="units"):
        literal_runs(corpus.units.astype(np.int32), entries, corpus.row_rank, lit, 0, rows, counts)
    with pytest.raises(ValueError, match="rows_out"):
        literal_runs(corpus.units, entries, corpus.row_rank, lit, 0, rows[:2], counts)
    with pytest.raises(ValueError, match="anchor"):
        literal_runs(corpus.units, entries, corpus.row_rank, lit, 1, rows, counts)
    with pytest.raises(TypeError, match="entries"):
        literal_runs(corpus.units, [0, 2], corpus.row_rank, lit, 0, rows, counts)


def test_and_rows_keeps_the_rows_in_every_array_and_none_excluded_with_their_counts_summed():
    from search._count import and_rows

    rng = np.random.default_rng(11)
    for _ in range(200):
        n_req, n_without = int(rng.integers(1, 4)), int(rng.integers(0, 3))
        sets = [np.unique(rng.integers(0, 60, int(rng.integers(0, 50)))) for _ in range(n_req + n_without)]
        required, without = sets[:n_req], sets[n_req:]
        counts = [rng.integers(1, 5, len(r)) for r in required]
        expected = [
            (int(r), sum(int(c[np.searchsorted(a, r)]) for a, c in zip(required, counts, strict=True)))
            for r in required[0]
            if all(r in a for a in required[1:]) and not any(r in w for w in without)
        ]
        rows, occ = np.empty((2, len(required[0])), dtype=np.int64)
        n = and_rows(required, counts, without, rows, occ)
        assert list(zip(rows[:n].tolist(), occ[:n].tolist(), strict=True)) == expected
    with pytest.raises(ValueError, match="counts"):
        and_rows([np.arange(3)], [np.ones(2, dtype=np.int64)], [], np.empty(3, np.int64), np.empty(3, np.int64))


def test_or_rows_keeps_the_rows_in_any_array_once_with_their_counts_summed():
    from search._count import or_rows

    rng = np.random.default_rng(12)
    for _ in range(200):
        sets = [np.unique(rng.integers(0, 60, int(rng.integers(0, 50)))) for _ in range(int(rng.integers(1, 5)))]
        counts = [rng.integers(1, 5, len(r)) for r in sets]
        expected = [
            (r, sum(int(c[np.searchsorted(a, r)]) for a, c in zip(sets, counts, strict=True) if r in a))
            for r in sorted({int(r) for a in sets for r in a})
        ]
        total = sum(len(a) for a in sets)
        rows, occ = np.empty((2, total), dtype=np.int64)
        n = or_rows(sets, counts, rows, occ)
        assert list(zip(rows[:n].tolist(), occ[:n].tolist(), strict=True)) == expected
    with pytest.raises(ValueError, match="counts"):
        or_rows([np.arange(3)], [np.ones(2, dtype=np.int64)], np.empty(3, np.int64), np.empty(3, np.int64))
    with pytest.raises(ValueError, match="together"):
        or_rows([np.arange(3), np.arange(2)], [np.ones(3, np.int64), np.ones(2, np.int64)], *np.empty((2, 4), np.int64))


def test_radix_order_is_numpy_s_stable_argsort_of_uint64_keys():
    from search._count import radix_order

    rng = np.random.default_rng(7)
    for n in (0, 1, 2, 5000):
        keys = rng.integers(0, 2**64, n, dtype=np.uint64)
        keys[: n // 3] = rng.choice(keys[: max(n // 50, 1)], n // 3) if n else keys[:0]  # runs of equal keys
        keys[::7] = np.uint64(2**64 - 1)  # every digit at its top
        for index in (np.int32, np.int64):
            out, order = np.empty(n, np.uint64), np.empty(n, index)
            radix_order(keys, out, order, np.empty(n, np.uint64), np.empty(n, index))
            assert order.tolist() == np.argsort(keys, kind="stable").tolist()
            assert out.tolist() == np.sort(keys).tolist()
    with pytest.raises(TypeError, match="uint64"):
        radix_order(np.zeros(3, np.int32), *(np.zeros(3, np.int64) for _ in range(4)))
    with pytest.raises(ValueError, match="as long as keys"):
        radix_order(np.zeros(3, np.uint64), np.zeros(3, np.uint64), np.zeros(2, np.int64), *np.zeros((2, 3), np.int64))


def test_sum_at_equals_numpy_and_names_what_lies_outside():
    from search._count import sum_at

    rng = np.random.default_rng(6)
    for dtype in (np.int32, np.int64):
        index = rng.integers(0, 9, 300).astype(dtype)
        values = rng.integers(0, 1000, 300)
        out = np.zeros(9, dtype=np.int64)
        sum_at(index, values, out)
        assert out.tolist() == np.bincount(index, weights=values, minlength=9).astype(np.int64).tolist()
    with pytest.raises(IndexError, match="index"):
        sum_at(np.array([9]), np.array([1]), np.zeros(9, dtype=np.int64))
    with pytest.raises(TypeError, match="values"):
        sum_at(np.array([0]), np.array([1], dtype=np.int32), np.zeros(9, dtype=np.int64))


def test_count_at_and_runs_at_equal_numpy_and_name_what_lies_outside():
    from search._count import count_at, runs_at

    rng = np.random.default_rng(5)
    for dtype in (np.int32, np.int64):
        table = rng.integers(0, 9, 40).astype(dtype)
        rows = np.sort(rng.integers(0, 40, 100)).astype(dtype)
        out = np.zeros(9, dtype=np.int64)
        count_at(rows, table, out)
        assert out.tolist() == np.bincount(table[rows], minlength=9).tolist()
        values = np.sort(table)[rows]  # ascending, as a report per ascending row is
        assert runs_at(rows, np.sort(table)) == len(np.unique(values))
    assert runs_at(np.zeros(0, dtype=np.int64), table) == 0
    with pytest.raises(IndexError, match="rows"):
        count_at(np.array([40]), table, np.zeros(9, dtype=np.int64))
    with pytest.raises(IndexError, match="rows"):
        count_at(np.array([0]), table, np.zeros(1, dtype=np.int64) if table[0] else np.zeros(0, dtype=np.int64))
    with pytest.raises(IndexError, match="rows"):
        runs_at(np.array([-1]), table)


def test_cell_sums_equal_numpy_and_name_what_lies_outside():
    """``cell_sums`` (search/_count.c): the matches summed by their cell's code where the report is kept, and by
    report where the section is kept, as numpy's bincounts give them; an empty mask keeps everything."""
    from search._count import cell_sums

    rng = np.random.default_rng(8)
    reports, sections = 7, 6
    cells = rng.integers(0, reports * sections, 50)  # row -> cell
    codes = rng.integers(0, 5, reports * sections)  # cell -> code
    none = np.zeros(0, dtype=np.uint8)
    for dtype in (np.int32, np.int64):
        rows = np.sort(rng.integers(0, 50, 80))
        for kept, section_kept in ((none, none), (rng.random(reports) < 0.5, rng.random(sections) < 0.5)):
            per_code, per_report = np.zeros(5, dtype=np.int64), np.zeros(reports, dtype=np.int64)
            cell_sums(rows.astype(dtype), cells.astype(dtype), codes.astype(dtype), kept, section_kept, sections,
                      per_code, per_report)  # fmt: skip
            report, section = cells[rows] // sections, cells[rows] % sections
            in_region = kept[report] if len(kept) else np.ones(len(rows), dtype=bool)
            in_section = section_kept[section] if len(section_kept) else np.ones(len(rows), dtype=bool)
            assert per_code.tolist() == np.bincount(codes[cells[rows]][in_region], minlength=5).tolist()
            assert per_report.tolist() == np.bincount(report[in_section], minlength=reports).tolist()
    out = np.zeros(5, dtype=np.int64), np.zeros(reports, dtype=np.int64)
    with pytest.raises(IndexError, match="rows"):
        cell_sums(np.array([50]), cells, codes, none, none, sections, *out)
    with pytest.raises(IndexError, match="rows"):  # a code outside per_code
        cell_sums(np.array([0]), cells, codes + 5, none, none, sections, *out)
    with pytest.raises(ValueError, match="mask"):
        cell_sums(np.array([0]), cells, codes, np.ones(3, dtype=bool), none, sections, *out)
    with pytest.raises(TypeError, match="per_code"):
        cell_sums(np.array([0]), cells, codes, none, none, sections, np.zeros(5, dtype=np.int32), out[1])


def test_the_compiled_move_of_offsets_keeps_those_inside_the_intervals_and_names_a_bad_argument():
    """``moved`` (search/_count.c): offsets in blocks of 4 (state 1: inside one interval, 0: in none, 2: across
    an edge, searched), written moved and in order; a position outside the blocks or a wrong array is refused."""
    from search._count import moved

    lo, hi, shift = (np.array(v, dtype=np.int64) for v in ([0, 6], [4, 11], [10, -6]))
    state = np.array([1, 2, 2], dtype=np.int8)  # blocks [0, 4): inside [0, 4); [4, 8) and [8, 12): across edges
    block_shift = np.array([10, 0, 0], dtype=np.int64)
    positions = np.array([0, 3, 4, 5, 6, 10, 11], dtype=np.int32)
    out, kept = np.zeros(7, dtype=np.int32), np.zeros(7, dtype=np.uint8)
    n = moved(positions, state, block_shift, lo, hi, shift, 2, out, kept)
    assert (n, out[:n].tolist(), kept.tolist()) == (4, [10, 13, 0, 4], [1, 1, 0, 0, 1, 1, 0])
    with pytest.raises(ValueError, match=r"positions\[0\] lies outside"):
        moved(np.array([12], dtype=np.int32), state, block_shift, lo, hi, shift, 2, out, kept)
    with pytest.raises(TypeError, match="moved"):
        moved(positions, state.astype(np.int64), block_shift, lo, hi, shift, 2, out, kept)
    nothing = np.zeros(0, dtype=np.uint8)  # which were kept, not recorded
    assert moved(positions, state, block_shift, lo, hi, shift, 2, out[:4], nothing) == 4
    with pytest.raises(ValueError, match="out is too short"):
        moved(positions, state, block_shift, lo, hi, shift, 2, out[:3], nothing)


def test_the_compiled_insert_equals_numpy_s_even_into_its_own_tail_and_names_a_bad_argument():
    """``inserted`` (search/_count.c): numpy's ``insert`` for ascending indexes (at both ends, several at one
    index), into a separate array or in place, the base being the output's own tail."""
    from search._count import inserted

    rng = np.random.default_rng(3)
    for dtype in (np.int32, np.int64):
        base = np.sort(rng.integers(0, 1000, 50)).astype(dtype)
        at = np.sort(np.concatenate([[0, 0, 50, 50], rng.integers(0, 51, 20)])).astype(np.int64)
        values = rng.integers(0, 1000, len(at)).astype(dtype)
        want = np.insert(base, at, values)
        out = np.empty(len(want), dtype=dtype)
        inserted(base, at, values, out)
        assert out.tolist() == want.tolist()
        out[len(values) :] = base  # the base already in the output's tail
        inserted(out[len(values) :], at, values, out)
        assert out.tolist() == want.tolist()
    with pytest.raises(ValueError, match=r"at\[1\] is out of order"):
        inserted(base, np.array([3, 2], dtype=np.int64), values[:2], np.empty(52, dtype=np.int64))
    with pytest.raises(TypeError, match="inserted"):
        inserted(base, at, values.astype(np.int32), np.empty(len(want), dtype=np.int64))
