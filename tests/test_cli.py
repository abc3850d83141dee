"""The `fazhi` command on small corpora written to tmp_path."""

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from fazhi.cli import main
from tests.conftest import write_tantivy_index_of_another_schema

REPORT_A = """长治市2024年法治政府建设年度报告
2024年，我市坚持以习近平法治思想为指导，法治长治建设取得积极成效。
一、主要举措和成效
（一）践行新时代“枫桥经验”。长治市推进矛盾纠纷化解。
二、存在的问题
行政复议和诉讼衔接不够顺畅。
"""

REPORT_B = """灵武市2023年法治政府建设年度报告
2023年，灵武市坚持依法行政，推行首违不罚清单。
一、工作举措和成效
（一）坚持和发展楓橋經驗，灵武市化解矛盾。
"""


def write_corpus(root: Path) -> Path:
    corpus = root / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "a.txt").write_text(REPORT_A, encoding="utf-8")
    (corpus / "sub" / "b.txt").write_text(REPORT_B, encoding="utf-8")
    (corpus / "README.md").write_text("notes", encoding="utf-8")
    (corpus / ".DS_Store").write_bytes(b"\x00\x01")
    return corpus


def test_index_then_search_and_list(runner, tmp_path):
    corpus = write_corpus(tmp_path)
    index_dir = tmp_path / "idx"
    result = runner.invoke(main, ["index", str(corpus), "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert "Indexed 2 reports" in result.output
    assert "skipped README.md" in result.output and "skipped .DS_Store" in result.output

    result = runner.invoke(main, ["search", "枫桥经验", "--index-dir", str(index_dir), "--json"])
    body = json.loads(result.output)
    assert body["total"] == 2
    assert {h["source"] for h in body["hits"]} == {"a.txt", "sub/b.txt"}

    result = runner.invoke(main, ["search", "枫桥经验", "--year", "2023", "--index-dir", str(index_dir)])
    assert result.exit_code == 0
    assert "1 passage (段) in 1 report (份), 1 occurrence (处) match" in result.output
    assert "【楓橋經驗】" in result.output

    result = runner.invoke(main, ["reports", "--index-dir", str(index_dir), "--json"])
    reports = json.loads(result.output)["reports"]
    assert [(r["source"], r["year"], r["region"]["county"]) for r in reports] == [
        ("a.txt", 2024, None),
        ("sub/b.txt", 2023, "灵武市"),
    ]


def test_index_dir_defaults_to_the_setting(runner, tmp_path, monkeypatch):
    corpus = write_corpus(tmp_path)
    monkeypatch.setenv("FAZHI_INDEX_DIR", str(tmp_path / "from-env"))
    assert runner.invoke(main, ["index", str(corpus)]).exit_code == 0
    assert (tmp_path / "from-env").is_dir()
    assert runner.invoke(main, ["reports"]).output.startswith("2 reports")


def test_unreadable_files_are_listed_and_the_rest_indexed(runner, tmp_path):
    corpus = write_corpus(tmp_path)
    (corpus / "bad.txt").write_bytes("法治".encode("gbk") + b"\xff\xfe")
    (corpus / "empty.txt").write_text("  \n", encoding="utf-8")
    result = runner.invoke(main, ["index", str(corpus), "--index-dir", str(tmp_path / "idx")])
    assert result.exit_code == 1
    assert "Indexed 2 reports" in result.output
    assert "bad.txt: not valid UTF-8" in result.output and "empty.txt: empty file" in result.output


def test_a_failed_run_keeps_the_previous_index(runner, tmp_path):
    corpus = write_corpus(tmp_path)
    index_dir = tmp_path / "idx"
    runner.invoke(main, ["index", str(corpus), "--index-dir", str(index_dir)])
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(main, ["index", str(empty), "--index-dir", str(index_dir)])
    assert result.exit_code != 0 and "no report could be read" in result.output
    assert runner.invoke(main, ["reports", "--index-dir", str(index_dir)]).output.startswith("2 reports")


def test_clear_errors(runner, tmp_path):
    result = runner.invoke(main, ["index", str(tmp_path / "missing"), "--index-dir", str(tmp_path / "i")])
    assert result.exit_code == 2 and "does not exist" in result.output  # 2: nothing indexed
    result = runner.invoke(main, ["search", "法治", "--index-dir", str(tmp_path / "none")])
    assert result.exit_code == 1 and "no index in" in result.output and "fazhi index" in result.output
    result = runner.invoke(main, ["search", "法治", "--per-page", "500", "--index-dir", str(tmp_path)])
    assert result.exit_code == 2 and "--per-page" in result.output
    result = runner.invoke(main, ["search", "法治", "--section", "无此", "--index-dir", str(tmp_path)])
    assert result.exit_code == 2
    result = runner.invoke(main, ["serve", "--index-dir", str(tmp_path / "none")])
    assert result.exit_code == 1 and "no index in" in result.output


def test_help_lists_every_command(runner):
    out = runner.invoke(main, ["--help"]).output
    for cmd in ("index", "search", "trends", "reports", "serve", "bench"):
        assert cmd in out


def test_a_tantivy_index_of_an_earlier_schema_is_named_then_rebuilt_in_place(runner, tmp_path):
    corpus = write_corpus(tmp_path)
    index_dir = tmp_path / "idx"
    index_dir.mkdir()
    write_tantivy_index_of_another_schema(index_dir)
    args = ["--index-dir", str(index_dir), "--engine", "tantivy"]

    result = runner.invoke(main, ["search", "枫桥经验", *args])
    assert result.exit_code == 1
    assert f"the index in {index_dir} was built by an earlier version" in result.output
    assert "fazhi index CORPUS_DIR --rebuild" in result.output

    result = runner.invoke(main, ["index", str(corpus), *args])
    assert result.exit_code == 0, result.output
    assert "Rebuilt the index: 2 added" in result.output
    result = runner.invoke(main, ["search", "枫桥经验", *args, "--json"])
    assert json.loads(result.output)["total"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "idx"]  # nothing left beside it


def csv_rows(data: bytes) -> list[dict]:
    assert data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(data.decode("utf-8").removeprefix("\ufeff"))))


def test_search_views(runner, small_index, engine_name):
    args = ["--index-dir", str(small_index), "--engine", engine_name]
    out = runner.invoke(main, ["search", "枫桥经验", "--view", "reports", *args]).output
    assert out.startswith("2 passages (段) in 2 reports (份), 3 occurrences (处) match '枫桥经验'")
    assert "title" in out and "per 10k" in out and "长治市2024年法治政府建设年度报告" in out

    out = runner.invoke(main, ["search", "枫桥经验", "--view", "kwic", "--width", "4", *args]).output
    assert "新时代“【枫桥经验】”，推进  http://127.0.0.1:8000/reports/ra#ra-p3" in out
    assert "【楓橋經驗】" in out

    body = json.loads(runner.invoke(main, ["search", "枫桥经验", "--view", "kwic", "--json", *args]).output)
    assert body["total"] == 3 and len(body["lines"]) == 3
    body = json.loads(runner.invoke(main, ["search", "枫桥经验", "--view", "reports", "--order", "asc",
                                           "--sort", "year", "--json", *args]).output)  # fmt: skip
    assert [r["report_id"] for r in body["reports"]] == ["rb", "ra"] and body["reports_total"] == 2

    body = json.loads(runner.invoke(main, ["search", "--year", "2023-", "--year", "-2023", "--json", *args]).output)
    assert body["total"] == 12 and body["filters"]["year"] == ["2023-", "-2023"]


def test_search_exports(runner, small_index, engine_name, tmp_path):
    args = ["--index-dir", str(small_index), "--engine", engine_name]
    page = runner.invoke(main, ["search", "法治", "--format", "csv", "--per-page", "2", *args])
    assert page.exit_code == 0 and len(csv_rows(page.stdout_bytes)) == 2
    whole = runner.invoke(main, ["search", "法治", "--format", "csv", "--per-page", "2", "--all", *args])
    assert len(csv_rows(whole.stdout_bytes)) == 5

    lines = runner.invoke(main, ["search", "枫桥经验", "--view", "kwic", "--format", "jsonl", "--all", *args])
    *rows, last = [json.loads(line) for line in lines.stdout_bytes.decode().splitlines()]
    assert len(rows) == 3 and last == {"_complete": True, "rows": 3}

    target = tmp_path / "reports.xlsx"
    result = runner.invoke(main, ["search", "枫桥经验", "--view", "reports", "--format", "xlsx", "--all",
                                  "--output", str(target), *args])  # fmt: skip
    assert result.exit_code == 0 and "Wrote 2 rows" in result.output
    book = load_workbook(target, read_only=True)
    assert len(list(book.worksheets[0].iter_rows(values_only=True))) == 3  # the header and two reports
    book.close()  # a read-only workbook holds its file open: left to the collector, a later test reports it


def test_trends(runner, small_index, engine_name):
    args = ["--index-dir", str(small_index), "--engine", engine_name]
    result = runner.invoke(main, ["trends", "枫桥经验", "行政复议", "--norm", "count", *args])
    assert result.exit_code == 0, result.output
    assert "year  reports  reports_matching  occurrences  chars  value" in result.output
    first = "first use of '枫桥经验': 2023 (灵武市2023年法治政府建设年度报告 http://127.0.0.1:8000/reports/rb#rb-p2)"
    assert first in result.output

    body = json.loads(runner.invoke(main, ["trends", "枫桥经验", "--split", "province", "--json", *args]).output)
    assert body["split_level"] == "province"
    assert {s["split_value"] for s in body["series"]} == {"山西省", "宁夏回族自治区", "天津市"}

    exported = runner.invoke(main, ["trends", "枫桥经验", "--year", "2024", "--format", "csv", *args])
    assert [(r["year"], r["occurrences"]) for r in csv_rows(exported.stdout_bytes)] == [("2024", "2")]


def test_reports_filters(runner, small_index, engine_name):
    args = ["--index-dir", str(small_index), "--engine", engine_name]
    out = runner.invoke(main, ["reports", "--year", "2024", *args]).output
    assert out.startswith("2 reports, 8 passages")
    body = json.loads(runner.invoke(main, ["reports", "--region", "灵武市", "--json", *args]).output)
    assert [r["report_id"] for r in body["reports"]] == ["rb"] and body["total"] == 1
    exported = runner.invoke(main, ["reports", "--year", "-2023", "--format", "csv", *args])
    assert [r["report_id"] for r in csv_rows(exported.stdout_bytes)] == ["rb"]


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["search", "法治", "--year", "20x4"], "--year"),
        (["search", "法治", "--year", "2024-2020"], "--year"),
        (["search", "法治", "--view", "kwic", "--width", "0"], "--width"),
        (["search", "法治", "--view", "kwic", "--sort", "relevance"], "--sort"),
        (["search", "法治", "--sort", "title"], "--sort"),
        (["search", "法治", "--order", "asc"], "--order"),
        (["search", "法治", "--format", "xlsx"], "--output"),
        (["search", "法治", "--format", "pdf"], "--format"),
        (["search", "--view", "kwic"], "QUERY"),
        (["trends", "法治", "--norm", "odd"], "--norm"),
        (["trends", "法治", "--year", "soon"], "--year"),
        (["reports", "--year", "later"], "--year"),
        (["reports", "--format", "xlsx"], "--output"),
    ],
)
def test_bad_options_are_named(runner, small_index, engine_name, argv, option):
    result = runner.invoke(main, [*argv, "--index-dir", str(small_index), "--engine", engine_name])
    assert result.exit_code == 2 and option in result.output, result.output


# Issue #10: regions by short names, full URLs, plurals, the other engine's index


@pytest.mark.acceptance
def test_regions_by_short_names_on_the_samples(runner, corpus_index, corpus_engine):
    args = ["--index-dir", str(corpus_index), "--engine", corpus_engine]
    for short, full in [("山西", "山西省"), ("长治", "长治市"), ("宁夏", "宁夏回族自治区"), ("岳麓", "岳麓区")]:
        by_short = json.loads(runner.invoke(main, ["search", "法治", "--region", short, "--json", *args]).output)
        by_full = json.loads(runner.invoke(main, ["search", "法治", "--region", full, "--json", *args]).output)
        assert by_short["total"] == by_full["total"] > 0 and by_short["filters"]["region"] == [full]
        assert all(set(h["citations"]) == {"gb7714_2025", "gb7714_2015", "fxyz"} for h in by_short["hits"])
        assert by_short["hits"][0]["citations"]["gb7714_2025"].endswith(by_short["hits"][0]["url"] + ".")
        kwic = runner.invoke(main, ["search", "法治", "--region", short, "--view", "kwic", *args]).output
        assert f"note: 地区“{short}”按“{full}”检索" in kwic
        text = runner.invoke(main, ["search", "法治", "--region", short, *args]).output
        assert f"note: 地区“{short}”按“{full}”检索" in text
        listed = json.loads(runner.invoke(main, ["reports", "--region", short, "--json", *args]).output)
        assert listed["total"] >= 1 and all(full in r["region"].values() for r in listed["reports"])
    result = runner.invoke(main, ["trends", "法治", "--region", "宁夏", *args])
    assert result.exit_code == 0 and "note: 地区“宁夏”按“宁夏回族自治区”检索" in result.output

    result = runner.invoke(main, ["search", "法治", "--region", "长治县", *args])
    assert result.exit_code == 2 and "--region" in result.output and "长治县" in result.output
    assert "near names:" in result.output and "--region 长治市" in result.output and "1 report" in result.output


def test_an_ambiguous_region_lists_the_choices(runner, tmp_path, engine_name):
    from search.engines import index_writer
    from search.models import Region
    from tests.conftest import make_report

    text = [("法治政府建设年度报告", "概述", "")]
    reports = [
        make_report("jl", "jl.txt", Region("吉林省", None, None), 2024, text),
        make_report("jc", "jc.txt", Region("吉林省", "吉林市", None), 2024, text),
    ]
    index_writer(engine_name)(tmp_path / "i", reports)
    args = ["--index-dir", str(tmp_path / "i"), "--engine", engine_name]
    result = runner.invoke(main, ["reports", "--region", "吉林", *args])
    assert result.exit_code == 2 and "choose one of:" in result.output
    assert "--region 吉林省    # 吉林省, 2 reports" in result.output
    assert "--region 吉林市    # 吉林省 / 吉林市, 1 report" in result.output


def test_links_are_full_urls_and_counts_read_in_the_singular(runner, small_index, engine_name):
    args = ["--index-dir", str(small_index), "--engine", engine_name]
    out = runner.invoke(main, ["search", "首违不罚", *args]).output
    assert out.startswith("1 passage (段) in 1 report (份), 1 occurrence (处) match")
    assert "   http://127.0.0.1:8000/reports/ra#ra-p4  (第4段, 1 处)" in out
    out = runner.invoke(main, ["search", "首违不罚", "--base-url", "https://fazhi.example.org/", *args]).output
    assert "   https://fazhi.example.org/reports/ra#ra-p4  (第4段, 1 处)" in out
    out = runner.invoke(main, ["reports", "--region", "天津", *args]).output
    assert out.startswith("1 report, 2 passages") and "http://127.0.0.1:8000/reports/rc" in out
    grouped = runner.invoke(main, ["search", "法治", "--group", *args]).output
    assert "该报告另有" in grouped and " 段)" in grouped and "另有 1 处" not in grouped


def test_an_index_of_the_other_engine_is_named(runner, tmp_path):
    from search.engines import index_writer
    from tests.conftest import SMALL_REPORTS

    index_writer("tantivy")(tmp_path / "t", SMALL_REPORTS)
    for cmd in (["search", "法治"], ["reports"], ["serve"]):
        result = runner.invoke(main, [*cmd, "--index-dir", str(tmp_path / "t"), "--engine", "whoosh"])
        assert result.exit_code == 1 and "was built with tantivy" in result.output
        assert "add --engine tantivy" in result.output and "no index" not in result.output
