"""`fazhi index` on real-world folders: every format, copies, look-alikes, bad files, and incremental runs."""

from __future__ import annotations

import gc
import json
import os
from pathlib import Path

import pytest

from fazhi.cli import main
from indexer import build
from indexer.build import index_corpus, report_id_for
from search.arrays import StoredReports
from search.core import search
from search.engines import open_engine
from search.models import SearchRequest
from tests.report_files import REPORT_A, REPORT_B, html_page, write_docx, write_pdf

INFO_DISCLOSURE = """曲沃县2024年政府信息公开工作年度报告
本报告根据《中华人民共和国政府信息公开条例》编制，践行枫桥经验的信息已公开。
一、总体情况
2024年，曲沃县主动公开政府信息。
"""


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    write(root / "a.txt", REPORT_A)
    write(root / "sub" / "b.txt", REPORT_B, "gbk")
    return root


def run(corpus: Path, index_dir: Path, **kwargs):
    return index_corpus(corpus, index_dir, **kwargs)


def reports_of(index_dir: Path) -> dict:
    return {r.source: r for r in open_engine(index_dir).snapshot().reports.values()}


def generation(index_dir: Path) -> int:
    return open_engine(index_dir).snapshot().generation


def test_a_run_pauses_the_cyclic_collector_and_restores_it(corpus, tmp_path, monkeypatch):
    seen = []
    locked = build._index_locked

    def spy(*args):
        seen.append(gc.isenabled())
        return locked(*args)

    monkeypatch.setattr(build, "_index_locked", spy)
    run(corpus, tmp_path / "idx")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(build.CorpusError):  # and when a run fails
        run(empty, tmp_path / "idx2")
    assert seen == [False, False] and gc.isenabled()
    gc.disable()
    try:  # a caller that paused it keeps it paused
        run(corpus, tmp_path / "idx")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_unchanged_folder_changes_nothing(corpus, tmp_path):
    idx = tmp_path / "idx"
    first = run(corpus, idx)
    assert (first.added, first.committed, first.rebuilt, first.files_parsed) == (2, True, True, 2)
    gen = generation(idx)
    again = run(corpus, idx)
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 2)
    assert not again.committed and again.files_parsed == 0 and generation(idx) == gen


def test_changed_new_and_gone_files(corpus, tmp_path):
    idx = tmp_path / "idx"
    run(corpus, idx)
    write(corpus / "a.txt", REPORT_A.replace("不够顺畅", "仍不够顺畅，首违不罚"))
    write(corpus / "c.txt", INFO_DISCLOSURE)
    (corpus / "sub" / "b.txt").unlink()
    summary = run(corpus, idx)
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (1, 1, 1, 0)
    assert summary.files_parsed == 2
    got = reports_of(idx)
    assert set(got) == {"a.txt", "c.txt"}
    assert got["a.txt"].report_id == report_id_for("a.txt")  # ids stay: a hash of the path
    assert any("首违不罚" in p.text for p in got["a.txt"].passages)


def test_a_touched_file_is_hashed_not_parsed(corpus, tmp_path):
    idx = tmp_path / "idx"
    run(corpus, idx)
    st = (corpus / "a.txt").stat()
    os.utime(corpus / "a.txt", ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    summary = run(corpus, idx)
    assert (summary.unchanged, summary.updated, summary.files_parsed) == (2, 0, 0)
    # The new stamp is recorded, so the next run opens nothing at all.
    assert not run(corpus, idx).committed


def test_new_indexer_code_reads_every_file_again(corpus, tmp_path, monkeypatch):
    idx = tmp_path / "idx"
    run(corpus, idx)
    monkeypatch.setattr(build, "parser_fingerprint", lambda: "other-code")
    summary = run(corpus, idx)
    assert summary.files_parsed == 2 and summary.unchanged == 2
    assert run(corpus, idx).files_parsed == 0


def test_reports_read_again_are_compared_with_the_index_a_batch_at_a_time(corpus, tmp_path, monkeypatch):
    for n in range(3):
        write(corpus / f"more{n}.txt", REPORT_A.replace("长治市", ["晋城市", "阳泉市", "朔州市"][n]))
    idx = tmp_path / "idx"
    run(corpus, idx)
    reads = []
    stored = StoredReports.reports_by_id
    monkeypatch.setattr(StoredReports, "reports_by_id", lambda self, ids: reads.append(list(ids)) or stored(self, ids))
    monkeypatch.setattr(build, "parser_fingerprint", lambda: "other-code")
    monkeypatch.setattr(build, "COMPARE_BATCH", 2)
    summary = run(corpus, idx)
    assert summary.files_parsed == 5 and summary.unchanged == 5 and summary.updated == 0
    assert [len(ids) for ids in reads] == [2, 2, 1]  # one read of the store per batch, not one per report


def test_rebuild_reads_everything(corpus, tmp_path, runner):
    idx = tmp_path / "idx"
    run(corpus, idx)
    result = runner.invoke(main, ["index", str(corpus), "--index-dir", str(idx), "--rebuild"])
    assert result.exit_code == 0, result.output
    assert "2 files read" in result.output and "Rebuilt the index: 0 added, 0 updated, 0 removed, 2 unchanged" in (
        result.output
    )
    result = runner.invoke(main, ["index", str(corpus), "--index-dir", str(idx)])
    assert "Nothing changed: 0 added, 0 updated, 0 removed, 2 unchanged" in result.output


def test_copies_are_indexed_once_with_every_source(corpus, tmp_path):
    idx = tmp_path / "idx"
    write(corpus / "mirror" / "a-copy.txt", REPORT_A.replace("\n", "\r\n"), "gb18030")
    write(corpus / "z.html", html_page("长治市2024年法治政府建设年度报告", REPORT_A.splitlines()[1:]))
    summary = run(corpus, idx)
    assert summary.reports == 2 and sorted(summary.duplicates) == [("mirror/a-copy.txt", "a.txt"), ("z.html", "a.txt")]
    a = reports_of(idx)["a.txt"]
    assert a.sources == ("a.txt", "mirror/a-copy.txt", "z.html") and a.source == "a.txt"
    # The first copy goes: the report stays, under the next one's path.
    (corpus / "a.txt").unlink()
    summary = run(corpus, idx)
    got = reports_of(idx)
    assert set(got) == {"mirror/a-copy.txt", "sub/b.txt"} and summary.removed == 1 and summary.added == 1
    assert got["mirror/a-copy.txt"].sources == ("mirror/a-copy.txt", "z.html")
    assert got["mirror/a-copy.txt"].report_id == report_id_for("mirror/a-copy.txt")
    assert got["mirror/a-copy.txt"].encoding == "gb18030"


def test_a_file_that_breaks_keeps_its_last_good_version(corpus, tmp_path):
    idx = tmp_path / "idx"
    run(corpus, idx)
    (corpus / "a.txt").write_bytes(b"\x00\x01\x02" * 100)
    summary = run(corpus, idx)
    assert summary.failed == [("a.txt", "binary file, not text (the version indexed before is kept)")]
    assert set(reports_of(idx)) == {"a.txt", "sub/b.txt"}


def test_every_format_and_encoding_in_one_folder(tmp_path, runner):
    corpus = tmp_path / "corpus"
    lines = REPORT_A.splitlines()
    write(corpus / "gbk.txt", REPORT_B, "gbk")
    write(corpus / "utf16.txt", REPORT_A.replace("长治市", "晋城市"), "utf-16")
    write(
        corpus / "page.htm", html_page(lines[0].replace("长治", "阳泉"), [x.replace("长治", "阳泉") for x in lines[1:]])
    )
    write_docx(
        corpus / "word.docx", [x.replace("长治", "大同") for x in lines[1:]], title=lines[0].replace("长治", "大同")
    )
    write_pdf(corpus / "scan-ok.pdf", [x.replace("长治", "朔州") for x in lines], header=None)
    write(corpus / "trad.txt", "長治市2024年法治政府建設年度報告\n2024年，我市堅持依法行政，楓橋經驗落地。\n", "big5")
    write(corpus / "info.txt", INFO_DISCLOSURE)
    write(corpus / "empty.txt", "")
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj")
    idx = tmp_path / "idx"
    result = runner.invoke(main, ["index", str(corpus), "--index-dir", str(idx)])
    assert result.exit_code == 1, result.output
    assert "Indexed 7 reports" in result.output
    assert "FAILED  empty.txt: empty file" in result.output
    assert "FAILED  broken.pdf: damaged or truncated PDF" in result.output
    assert "not a rule-of-law report: info.txt (政府信息公开年度报告" in result.output

    reports = {
        r["source"]: r
        for r in json.loads(runner.invoke(main, ["reports", "--json", "--index-dir", str(idx)]).output)["reports"]
    }
    assert {s: r["encoding"] for s, r in reports.items()} == {
        "gbk.txt": "gb18030",
        "info.txt": "utf-8",
        "page.htm": "utf-8",
        "scan-ok.pdf": None,
        "trad.txt": "big5",
        "utf16.txt": "utf-16",
        "word.docx": None,
    }
    assert {s: r["region"]["prefecture"] for s, r in reports.items() if s != "gbk.txt"} == {
        "info.txt": "临汾市",
        "page.htm": "阳泉市",
        "scan-ok.pdf": "朔州市",
        "trad.txt": "长治市",  # traditional text, simplified official names
        "utf16.txt": "晋城市",
        "word.docx": "大同市",
    }
    assert reports["page.htm"]["publish_date"] == "2025-03-28" and reports["page.htm"]["issuer"] != "市司法局"
    assert (
        reports["info.txt"]["doc_type"] == "政府信息公开年度报告"
        and reports["trad.txt"]["doc_type"] == "法治政府建设年度报告"
    )
    assert reports["trad.txt"]["title"] == "长治市2024年法治政府建设年度报告"

    # Traditional text is found by simplified queries and shown as published.
    out = runner.invoke(main, ["search", "枫桥经验", "--index-dir", str(idx), "--json"]).output
    hits = {h["source"]: h for h in json.loads(out)["hits"]}
    assert "楓橋經驗" in hits["trad.txt"]["text"] and "info.txt" in hits
    # Look-alikes can be left out.
    out = runner.invoke(
        main, ["search", "枫桥经验", "--doc-type", "法治政府建设年度报告", "--index-dir", str(idx), "--json"]
    )
    body = json.loads(out.output)
    assert "info.txt" not in {h["source"] for h in body["hits"]} and body["filters"]["doc_type"] == [
        "法治政府建设年度报告"
    ]
    assert {f["value"]: f["count"] for f in body["facets"]["doc_type"]} == {
        "法治政府建设年度报告": 6,
        "政府信息公开年度报告": 1,
    }
    assert all(h["doc_type"] == "法治政府建设年度报告" for h in body["hits"])


def test_doc_type_facet_and_filter_follow_the_facet_rules(tmp_path):
    corpus = tmp_path / "corpus"
    write(corpus / "a.txt", REPORT_A)
    write(corpus / "info.txt", INFO_DISCLOSURE)
    idx = tmp_path / "idx"
    run(corpus, idx)
    snap = open_engine(idx).snapshot()
    everything = search(snap, SearchRequest(query="枫桥经验"))
    only_reports = search(snap, SearchRequest(query="枫桥经验", doc_types=("法治政府建设年度报告",)))
    assert everything.total == 2 and only_reports.total == 1
    # A facet's own counts ignore its own filter; other facets' counts follow it.
    assert {v.value: v.count for v in only_reports.facets["doc_type"]} == {
        "法治政府建设年度报告": 1,
        "政府信息公开年度报告": 1,
    }
    assert sum(v.count for v in only_reports.facets["year"]) == 1
    both = search(snap, SearchRequest(query="枫桥经验", doc_types=("法治政府建设年度报告", "政府信息公开年度报告")))
    assert both.total == 2


def test_doc_type_filter_in_the_api(tmp_path):
    from web import create_app

    corpus = tmp_path / "corpus"
    write(corpus / "a.txt", REPORT_A)
    write(corpus / "info.txt", INFO_DISCLOSURE)
    run(corpus, tmp_path / "idx")
    client = create_app({"INDEX_DIR": str(tmp_path / "idx"), "TESTING": True}).test_client()
    body = client.get("/api/search?q=枫桥经验&doc_type=政府信息公开年度报告").get_json()
    assert [h["source"] for h in body["hits"]] == ["info.txt"] and body["hits"][0]["doc_type"] == "政府信息公开年度报告"
    listing = client.get("/api/reports").get_json()["reports"]
    assert {r["source"]: r["sources"] for r in listing} == {"a.txt": ["a.txt"], "info.txt": ["info.txt"]}


def test_nothing_readable_exits_2_and_keeps_the_index(corpus, tmp_path, runner):
    idx = tmp_path / "idx"
    run(corpus, idx)
    for f in corpus.rglob("*.txt"):
        f.unlink()
    result = runner.invoke(main, ["index", str(corpus), "--index-dir", str(idx)])
    assert result.exit_code == 2 and "the index was left as it was" in result.output
    assert len(reports_of(idx)) == 2


# --- Copies: one text, but is it one report? ---------------------------------------------------------------

SHARED_BODY = """2024年，我市坚持以习近平法治思想为指导，深入推进依法行政，法治政府建设取得积极成效。
一、主要举措和成效
（一）推进严格规范公正文明执法。全年办理行政复议案件120件，行政机关负责人出庭应诉率100%。
二、存在的问题
行政执法队伍专业化水平有待提升。
"""


def test_the_same_body_under_titles_naming_different_places_is_two_reports(tmp_path, engine_name):
    root = tmp_path / "corpus"
    write(root / "a.txt", "灵武市2024年法治政府建设年度报告\n" + SHARED_BODY)
    write(root / "b.txt", "长治市2024年法治政府建设年度报告\n" + SHARED_BODY)
    summary = index_corpus(root, tmp_path / "idx", engine=engine_name)
    assert summary.reports == 2 and summary.duplicates == []
    got = {r.source: r for r in open_engine(tmp_path / "idx", engine_name).snapshot().reports.values()}
    assert got["a.txt"].region.names()[-1] == "灵武市" and got["b.txt"].region.names()[-1] == "长治市"
    assert got["a.txt"].text_hash == got["b.txt"].text_hash  # the same text: only the metadata tells them apart


def test_the_same_body_under_titles_naming_different_years_is_two_reports(tmp_path, engine_name):
    root = tmp_path / "corpus"
    write(root / "2023.txt", "灵武市2023年法治政府建设年度报告\n" + SHARED_BODY.replace("2024年，", "本年度，"))
    write(root / "2024.txt", "灵武市2024年法治政府建设年度报告\n" + SHARED_BODY.replace("2024年，", "本年度，"))
    summary = index_corpus(root, tmp_path / "idx", engine=engine_name)
    assert summary.reports == 2 and summary.duplicates == []
    got = {r.source: r.year for r in open_engine(tmp_path / "idx", engine_name).snapshot().reports.values()}
    assert got == {"2023.txt": 2023, "2024.txt": 2024}


def test_a_saved_page_of_an_untitled_text_is_still_the_same_report(tmp_path):
    # The .txt states neither place nor year in a title; the page's headline does: they agree, so one report.
    root = tmp_path / "corpus"
    write(root / "a.txt", SHARED_BODY.replace("我市", "长治市"))
    write(
        root / "a.html",
        html_page("长治市2024年法治政府建设年度报告", SHARED_BODY.replace("我市", "长治市").splitlines()),
    )
    summary = run(root, tmp_path / "idx")
    assert summary.reports == 1 and summary.duplicates == [("a.txt", "a.html")]
    (report,) = reports_of(tmp_path / "idx").values()
    assert report.sources == ("a.html", "a.txt")


def test_copies_that_disagree_are_split_again_on_the_next_run(corpus, tmp_path):
    idx = tmp_path / "idx"
    write(corpus / "mirror" / "a-copy.txt", REPORT_A)
    assert run(corpus, idx).reports == 2
    # The mirror turns out to hold another city's report with the same body.
    write(corpus / "mirror" / "a-copy.txt", REPORT_A.replace("长治市2024年", "忻州市2024年", 1))
    summary = run(corpus, idx)
    got = reports_of(idx)
    assert summary.reports == 3 and set(got) == {"a.txt", "mirror/a-copy.txt", "sub/b.txt"}
    assert got["a.txt"].sources == ("a.txt",) and got["mirror/a-copy.txt"].region.prefecture == "忻州市"


# --- Publish dates, issuer levels and look-alikes through the index ------------------------------------------


def test_publish_date_source_and_issuer_level_are_indexed(tmp_path, engine_name):
    root = tmp_path / "corpus"
    write(root / "signed.txt", REPORT_A + "长治市人民政府\n2025年3月20日\n")
    write(
        root / "page.html",
        html_page("灵武市2023年法治政府建设年度报告", REPORT_B.splitlines()[1:], publish="2024-03-28"),
    )
    write(
        root / "bureau.txt",
        "长治市司法局2024年法治政府建设年度报告\n2024年，市司法局坚持依法行政，推进法治政府建设。\n长治市司法局\n2025年4月8日\n",
    )
    write(
        root / "town.txt",
        "长治市上党区荫城镇2024年法治政府建设工作报告\n2024年，我镇坚持依法行政，全镇法治政府建设取得新成效。\n"
        "荫城镇人民政府\n2025年3月1日\n",
    )
    write(root / "urls.csv", "path,publish_date\nsigned.txt,2025-03-25\n")
    index_corpus(root, tmp_path / "idx", engine=engine_name)
    got = {r.source: r for r in open_engine(tmp_path / "idx", engine_name).snapshot().reports.values()}
    assert (got["signed.txt"].publish_date, got["signed.txt"].publish_date_source) == ("2025-03-25", "manifest")
    assert (got["page.html"].publish_date, got["page.html"].publish_date_source) == ("2024-03-28", "page")
    bureau, town = got["bureau.txt"], got["town.txt"]
    assert (bureau.publish_date, bureau.publish_date_source) == ("2025-04-08", "signature")
    assert (bureau.issuer_level, bureau.issuer) == ("department", "长治市司法局")
    assert (town.issuer_level, town.township, town.region.county) == ("township", "荫城镇", "上党区")
    assert (got["page.html"].issuer_level, got["page.html"].township) == ("government", None)
    # Without the manifest the date under the signature is used, and says so.
    (root / "urls.csv").unlink()
    index_corpus(root, tmp_path / "idx", engine=engine_name)
    signed = next(
        r for r in open_engine(tmp_path / "idx", engine_name).snapshot().reports.values() if r.source == "signed.txt"
    )
    assert (signed.publish_date, signed.publish_date_source) == ("2025-03-20", "signature")


def test_an_update_reads_no_passage_of_the_reports_it_keeps(corpus, tmp_path, monkeypatch, engine_name):
    """The kept reports are copied from the index's store as arrays: the run reads their metadata records
    (their files say what changed), never their passages; a copy that joins a kept report reads only its."""
    from search.store import Store

    idx = tmp_path / "idx"
    first = run(corpus, idx, engine=engine_name)
    built = []
    real_report = Store.report

    def counted_report(store, index):
        built.append(store.report_ids[index])
        return real_report(store, index)

    def no_passage(*_):
        raise AssertionError("a kept passage was read")

    monkeypatch.setattr(Store, "report", counted_report)
    monkeypatch.setattr(Store, "passage", no_passage)
    write(corpus / "c.txt", INFO_DISCLOSURE)
    summary = run(corpus, idx, engine=engine_name)
    assert (summary.added, summary.unchanged, summary.passages) == (1, 2, first.passages + 4)
    assert built == []

    monkeypatch.undo()
    monkeypatch.setattr(Store, "report", counted_report)
    write(corpus / "mirror" / "b-copy.txt", REPORT_B, "gbk")  # a copy of b: b is written again, with it
    summary = run(corpus, idx, engine=engine_name)
    assert (summary.added, summary.updated, summary.unchanged, summary.passages) == (0, 1, 2, first.passages + 4)
    assert built == [report_id_for("sub/b.txt")]
    monkeypatch.undo()
    got = {r.source: r for r in open_engine(idx, engine_name).snapshot().reports.values()}
    assert got["sub/b.txt"].sources == ("sub/b.txt", "mirror/b-copy.txt") and got["sub/b.txt"].passages
