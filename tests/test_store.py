"""The index is the store: a generation's passages and reports are arrays in its folder, and a loaded snapshot
holds no Python object per passage or report; one is built when asked for."""

from __future__ import annotations

import gc
from dataclasses import replace

import numpy as np
import pytest

from search import SearchRequest, index_writer, search
from search.arrays import generation_order, load_arrays, unit_positions, write_arrays
from search.contract import REPORTS_KEPT
from search.models import Passage, Region, Report
from search.store import Store, Strings, encode_strings, fast_key, sorted_order, sorted_order_of
from tests.conftest import SMALL_REPORTS, make_report, open_as_served
from tests.test_arrays import is_mapped


def test_strings_are_decoded_one_at_a_time_and_found_by_binary_search():
    words = ["枫桥", "", "a", "法治政府", "𠀀x", "ab"]
    for codec in ("utf-8", "utf-16-le"):
        units, offsets = encode_strings(words, codec)
        strings = Strings(units, offsets, codec)
        assert list(strings) == words and strings[-1] == "ab"
    units, offsets = encode_strings(["b", "a", "c"])
    assert offsets.tolist() == [0, 1, 2, 3] and sorted_order(["b", "a", "c"]).tolist() == [1, 0, 2]
    strings = Strings(*encode_strings(words))
    order = sorted_order(words)
    assert [strings.find(w, order) for w in words] == list(range(len(words)))
    assert strings.find("枫", order) is None and strings.find("zz", order) is None


def many_reports(n: int = 30) -> list[Report]:
    regions = [
        Region("山西省", "长治市", None),
        Region("宁夏回族自治区", "银川市", "灵武市"),
        Region("天津市", None, "静海区"),
    ]
    return [
        make_report(
            f"r{i:03d}",
            f"{i:03d}.txt",
            regions[i % 3],
            2020 + i % 5,
            [
                (f"第{i}份报告", "概述", ""),
                ("一、主要举措", "举措成效", "一、主要举措"),
                ("践行“枫桥经验”，推进矛盾纠纷化解。", "举措成效", "一、主要举措"),
                ("行政复议衔接不够顺畅。", "问题不足", "二、问题"),
            ],
        )
        for i in range(n)
    ]


def test_the_store_gives_back_every_passage_and_report_as_written(tmp_path):
    reports = generation_order(many_reports(12))
    folded = {p.passage_id: p.text for r in reports for p in r.passages}
    write_arrays(tmp_path / "arrays-1", reports, folded)
    store = load_arrays(tmp_path / "arrays-1").store
    passages = [p for r in reports for p in r.passages]
    assert is_mapped(store.text.units)
    assert [store.passage(r) for r in range(store.rows)] == passages
    assert store.report(3) == replace(reports[3], sources=reports[3].all_sources())
    assert len(Strings(store.headings.units, store.headings.offsets)) == 3  # headings once each
    assert [store.passage_row(p.passage_id) for p in passages] == list(range(len(passages)))
    assert store.passage_row("nope") is None and store.report_index("r005") == 5
    keys = [fast_key(passages[r].passage_id) for r in (7, 0, 30)]
    assert store.rows_of_keys(keys).tolist() == [7, 0, 30]
    with pytest.raises(KeyError):
        store.rows_of_keys([12345])
    assert [r.names() for r in store.regions()] == sorted(r.region.names() for r in reports[:3])


def test_a_passage_is_found_by_its_key_and_by_its_id_when_keys_collide(tmp_path, monkeypatch):
    """passage_row (and report_index) look a passage (a report) up by its key and read the id back: ids whose keys
    collide (every key the same here) are found by the ids themselves, and an id whose key none has is None."""
    import search.store

    monkeypatch.setattr(search.store, "fast_key", lambda text: 7 if text.startswith("r") else 9)
    reports = generation_order(many_reports(4))
    write_arrays(tmp_path / "arrays-1", reports, {p.passage_id: p.text for r in reports for p in r.passages})
    store = load_arrays(tmp_path / "arrays-1").store
    passages = [p for r in reports for p in r.passages]
    assert [store.passage_row(p.passage_id) for p in passages] == list(range(len(passages)))
    assert store.passage_row("r999#p1") is None and store.passage_row("nope") is None
    assert [store.report_index(r.report_id) for r in reports] == list(range(len(reports)))  # reports alike
    assert store.report_index("r999") is None and store.report_index("nope") is None


@pytest.mark.parametrize("chunk", [1, 7, 1 << 22])
def test_original_text_is_kept_as_its_differences_from_the_folded(monkeypatch, chunk):
    from search import store as store_module
    from search.analysis import fold
    from search.arrays import CorpusText
    from search.store import OriginalText, text_against_folded

    monkeypatch.setattr(store_module, "TEXT_CHUNK_UNITS", chunk)
    originals = [
        "依法行政，推进“放管服”改革（2023年）。",  # full-width punctuation folds one for one: differences
        "",
        "２０２１——２０２５年",  # a dash run folds to one mark: another length, kept whole
        "ＡＢＣＤ１２３４",  # most units differ: kept whole
        "法治政府建设",  # folds to itself: nothing kept but the folded text
        "𠀀字外，平面",  # a character outside the BMP (two units)
        "繁體字：國務院",  # traditional characters fold to simplified ones
    ]
    folded = [fold(t) for t in originals]
    corpus = CorpusText(folded)
    units, offsets = encode_strings(originals, "utf-16-le")
    arrays = text_against_folded(units, offsets, corpus.units, corpus.starts)
    text = OriginalText({**arrays, "units": corpus.units, "starts": corpus.starts})
    assert list(text) == [text[i] for i in range(len(text))] == originals and text[-1] == originals[-1]
    whole = np.diff(arrays["text_offsets"]) > 0
    assert whole.tolist() == [False, False, True, True, False, False, True]
    assert np.diff(arrays["text_diff_offsets"]).tolist()[:2] == [5, 0]  # ，“”（ and ） fold; 。 does not
    assert len(arrays["text_units"]) + 3 * len(arrays["text_diff_at"]) < len(units)  # smaller than the text
    with pytest.raises(IndexError):
        text[len(originals)]


def objects_of(kind: type) -> int:
    gc.unfreeze()  # a served snapshot freezes what it holds: count that too
    gc.collect()
    return sum(isinstance(o, kind) for o in gc.get_objects())


def test_a_loaded_snapshot_holds_no_object_per_passage_or_report(tmp_path, engine_name):
    index_dir = tmp_path / "idx"
    index_writer(engine_name)(index_dir, many_reports(90))
    passages_before, reports_before = objects_of(Passage), objects_of(Report)

    def built() -> int:
        """Reports built since the snapshot was loaded, checking that only their passages were."""
        reports = objects_of(Report) - reports_before
        assert objects_of(Passage) - passages_before <= 4 * reports
        assert reports <= REPORTS_KEPT < 90  # a few kept: never one per report of the index
        return reports

    snap = open_as_served(index_dir, engine_name)
    assert built() <= 5  # at most the reports of the browse page's first hits (an engine may make them)
    assert not isinstance(snap.passages, list) and not isinstance(snap.reports, dict)
    assert not isinstance(snap.row_of, dict) and isinstance(snap.report_rows, np.ndarray)
    assert len(snap.passages) == 360 and len(snap.reports) == 90 and len(snap.report_list) == 90

    response = search(snap, SearchRequest(query="枫桥经验", per_page=50), use_cache=False)
    assert response.total == 90 and len(response.hits) == 50
    assert built() == 0  # a hit reads its report's metadata alone: no report is built with its passages
    response = search(snap, SearchRequest(query="枫桥经验", per_page=50, page=2), use_cache=False)
    assert len(response.hits) == 40 and built() == 0
    for i in range(80):  # reports asked for with their passages are kept built, a few at most
        snap.report_list[i]
    assert built() == REPORTS_KEPT

    # Ids resolve by binary search, to what was written.
    assert snap.reports["r042"].title == "第42份报告" and "r042" in snap.reports and "r999" not in snap.reports
    report, passage = snap.passage("r017-p3")
    assert (report.report_id, passage.text) == ("r017", "践行“枫桥经验”，推进矛盾纠纷化解。")
    assert snap.row_of["r017-p3"] == 17 * 4 + 2 and snap.passages[17 * 4 + 2] == passage
    assert snap.passage("r017-p9") is None and snap.report("r999") is None
    assert [r.report_id for r in snap.report_list[:3]] == ["r000", "r001", "r002"]
    assert snap.report_sizes.tolist() == [4] * 90 and snap.report_first_rows[:3].tolist() == [0, 4, 8]
    assert snap.index_years == (2020, 2021, 2022, 2023, 2024)


def test_the_reports_by_id_iterate_in_index_order_with_their_passages(snap):
    assert list(snap.reports) == ["ra", "rb", "rc"]
    assert [r.report_id for r in snap.reports.values()] == ["ra", "rb", "rc"]
    assert [len(r.passages) for _, r in snap.reports.items()] == [len(r.passages) for r in SMALL_REPORTS]
    assert [p.passage_id for p in snap.passages] == [p.passage_id for r in SMALL_REPORTS for p in r.passages]


def test_positions_sorted_a_chunk_at_a_time_equal_one_stable_sort():
    rng = np.random.default_rng(7)
    units = rng.integers(0, 40, size=1000).astype(np.uint16)
    units[::13] = 0xD800  # a surrogate among them
    frequency = np.bincount(units, minlength=65536)
    start = np.zeros(65537, dtype=np.int64)
    np.cumsum(frequency, out=start[1:])
    for chunk in (7, 64, 1000, 5000):
        positions = unit_positions(units, start, chunk=chunk)
        assert positions.dtype == np.int32
        assert np.array_equal(positions, np.argsort(units, kind="stable")), chunk


def test_ids_sorted_from_their_bytes_equal_a_sort_of_the_strings():
    ids = ["r10-p2", "r1-p10", "枫桥", "r1-p1", "", "r1-p1x", "ab"]
    assert sorted_order_of(*encode_strings(ids)).tolist() == sorted(range(7), key=lambda i: ids[i].encode())


def stored_arrays(index_dir, engine_name) -> dict[str, np.ndarray]:
    return open_as_served(index_dir, engine_name).arrays.raw


def _ids(arrays: dict) -> Strings:
    return Strings(arrays["passage_id_bytes"], arrays["passage_id_offsets"])


def test_an_update_copies_the_kept_reports_and_equals_a_fresh_build(tmp_path, engine_name, monkeypatch):
    reports = [replace(r, publish_date=f"2024-0{1 + i % 9}-01") if i % 4 else r for i, r in enumerate(many_reports(30))]
    write = index_writer(engine_name)
    write(tmp_path / "updated", reports)
    changed = replace(
        reports[4],
        title="改过的标题",
        publish_date="2025-01-02",
        region=Region("河北省", "石家庄市", None, code="130100"),
        passages=reports[4].passages[:2],
    )
    added = [
        make_report(
            "r100", "015a.txt", Region("湖南省", "长沙市", "岳麓区"), 2019, [("新的段落标题", "概述", "三、新")]
        ),
        make_report("r101", "zz.txt", reports[0].region, 2024, [("枫桥经验", "举措成效", "")]),
    ]
    gone = ["r007", "r008", "r029"]

    def no_kept_passage(*_):  # kept reports are copied as arrays: none is built for the update
        raise AssertionError("a kept passage was read into a Python object")

    ids_then = list(_ids(stored_arrays(tmp_path / "updated", engine_name)))
    monkeypatch.setattr(Store, "passage", no_kept_passage)
    write(tmp_path / "updated", [changed, *added], replace_all=False, remove=gone)
    monkeypatch.undo()
    final = [r for r in reports if r.report_id not in {*gone, "r004"}] + [changed, *added]
    write(tmp_path / "fresh", final)

    updated, fresh = stored_arrays(tmp_path / "updated", engine_name), stored_arrays(tmp_path / "fresh", engine_name)
    # Each row copied from the generation before names its row there (text reuse carries those over); the
    # rows of the changed and the added reports are new.
    before, ids = updated.pop("row_before"), list(_ids(updated))
    copied = [ids[r] for r in np.flatnonzero(before >= 0)]
    assert copied == [ids_then[b] for b in before[before >= 0]] and len(copied) == len(ids) - 4
    assert updated.keys() == fresh.keys()
    for name in updated.keys() - {"heading_bytes", "heading_offsets", "passage_heading"}:
        assert np.array_equal(updated[name], fresh[name]), name
    # Headings may be numbered otherwise; each row's heading is the same, and each heading is kept once.
    snaps = [open_as_served(tmp_path / d, engine_name) for d in ("updated", "fresh")]
    assert [p.heading for p in snaps[0].passages] == [p.heading for p in snaps[1].passages]
    assert len(updated["heading_offsets"]) == len(fresh["heading_offsets"])
    answer = [search(s, SearchRequest(query="枫桥经验", per_page=200), use_cache=False) for s in snaps]
    assert [h.passage_id for h in answer[0].hits] == [h.passage_id for h in answer[1].hits]
    assert snaps[0].reports["r004"].title == "改过的标题" and snaps[0].passage("r100-p1")[1].heading == "三、新"
