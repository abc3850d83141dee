"""Acceptance: each sample report saved as users save them — a web page with the site around it, GBK text,
Word, traditional characters — gives the same region, year and matches as the original text."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import opencc
import pytest

from indexer.build import index_corpus
from search.core import search
from search.engines import open_engine
from search.models import SearchRequest
from tests.report_files import html_page, write_docx

pytestmark = pytest.mark.acceptance

QUERIES = ("行政复议", "枫桥经验", "执法", "普法", "合法性审核", "矛盾纠纷")
FORMATS = ("html", "gbk", "docx", "traditional")


def lines_of(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def indexes(corpus_dir: Path, tmp_path_factory) -> dict[str, Path]:
    """One index per format, each holding the five sample reports saved that way, plus the originals'."""
    root = tmp_path_factory.mktemp("formats")
    originals = sorted(corpus_dir.glob("*.txt"))
    out = {"original": root / "idx-original"}
    index_corpus(corpus_dir, out["original"])
    titles = {r.source: r.title for r in open_engine(out["original"]).snapshot().reports.values()}
    s2t = opencc.OpenCC("s2t")
    for fmt in FORMATS:
        folder = root / fmt
        folder.mkdir()
        for path in originals:
            text = path.read_text(encoding="utf-8")
            if fmt == "html":
                lines = lines_of(path)
                title = titles[path.name]
                body = lines[1:] if lines[0] == title else lines
                page = html_page(title, body, charset="gbk")
                (folder / f"{path.stem}.html").write_bytes(page.encode("gb18030"))
            elif fmt == "gbk":
                (folder / path.name).write_bytes(text.encode("gb18030"))
            elif fmt == "docx":
                write_docx(folder / f"{path.stem}.docx", lines_of(path))
            else:
                (folder / path.name).write_text(s2t.convert(text), encoding="utf-8")
        out[fmt] = root / f"idx-{fmt}"
        summary = index_corpus(folder, out[fmt])
        assert summary.failed == [] and summary.reports == 5, (fmt, summary.failed)
    return out


def by_stem(index_dir: Path) -> dict[str, tuple]:
    snap = open_engine(index_dir).snapshot()
    out = {}
    for report in snap.reports.values():
        counts = {}
        for q in QUERIES:
            resp = search(snap, SearchRequest(query=q, per_page=100))
            counts[q] = Counter(h.report_id for h in resp.hits)[report.report_id]
        out[Path(report.source).stem] = (report.region, report.year, counts)
    return out


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_gives_the_same_region_year_and_matches(indexes, fmt):
    original = by_stem(indexes["original"])
    got = by_stem(indexes[fmt])
    assert set(got) == set(original)
    for stem, (region, year, counts) in original.items():
        assert got[stem][0] == region, (fmt, stem)
        assert got[stem][1] == year, (fmt, stem)
        assert got[stem][2] == counts, (fmt, stem)


def test_the_web_pages_furniture_is_not_indexed(indexes):
    snap = open_engine(indexes["html"]).snapshot()
    for q in ("今天是", "当前位置", "版权所有", "发布时间", "分享到", "相关阅读", "浏览次数"):
        assert search(snap, SearchRequest(query=q)).total == 0, q
    assert {r.publish_date for r in snap.reports.values()} == {"2025-03-28"}
    assert all(r.issuer != "市司法局" and r.encoding == "gb18030" for r in snap.reports.values())


def test_traditional_reports_keep_their_text_and_get_simplified_names(indexes):
    snap = open_engine(indexes["traditional"]).snapshot()
    for report in snap.reports.values():
        assert report.region.names() and all("區" not in n and "縣" not in n for n in report.region.names())
    assert any("楓橋經驗" in p.text for p in snap.passages)
