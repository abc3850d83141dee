"""Citations (GB/T 7714-2025, GB/T 7714-2015, 《法学引注手册》), where a report came from (the saved page, a
manifest beside the corpus), and what the indexer inferred: unit tests, then the indexer, then the samples."""

from __future__ import annotations

import doctest
import json
import shutil
from pathlib import Path

import pytest

from search import Passage, Region, Report, citations
from search.citation import fxyz, gb7714_2015, gb7714_2025, government_of, issuer_of

URL = "https://www.yuelu.gov.cn/zwgk/fzzfjs/202502/t20250228_1.html"
PERMALINK = "https://fazhi.example.org/reports/r1#p5"
P5 = Passage("p5", "r1", 5, "2024年，我区……", "举措成效", "一、主要举措和成效")


def yuelu(**changes) -> Report:
    fields = dict(
        report_id="r1",
        source="002.txt",
        title="关于2024年岳麓区法治政府建设工作情况的报告",
        region=Region("湖南省", "长沙市", "岳麓区"),
        year=2024,
        publish_date="2025-02-28",
        issuer="长沙市岳麓区人民政府",
        source_url=URL,
        accessed="2026-12-02",
    )
    return Report(**(fields | changes))


def changzhi(**changes) -> Report:
    fields = dict(
        report_id="r0",
        source="000.txt",
        title="长治市2024年法治政府建设年度报告",
        region=Region("山西省", "长治市"),
        year=2024,
        publish_date=None,
        issuer=None,
        inferred=("title", "region", "year"),
    )
    return Report(**(fields | changes))


# GB/T 7714-2025


def test_gb7714_2025_with_everything():
    assert gb7714_2025(yuelu(), P5, PERMALINK) == (
        "长沙市岳麓区人民政府. 关于2024年岳麓区法治政府建设工作情况的报告[EB/OL]. "
        f"（2025-02-28）[2026-12-02]：第5段. {URL}."
    )


def test_gb7714_2025_report_without_date_url_or_access_date_points_at_this_site():
    got = gb7714_2025(yuelu(publish_date=None, accessed=None, source_url=None), None, "https://f.org/reports/r1")
    assert got == "长沙市岳麓区人民政府. 关于2024年岳麓区法治政府建设工作情况的报告[EB/OL]. https://f.org/reports/r1."


def test_gb7714_2025_publish_date_without_access_date():
    got = gb7714_2025(yuelu(accessed=None), P5, PERMALINK)
    assert got.endswith("[EB/OL]. （2025-02-28）：第5段. " + URL + ".") and "[2026" not in got


def test_gb7714_2025_composed_title_is_bracketed_not_a_title_of_its_own():
    got = gb7714_2025(changzhi(), P5, PERMALINK)
    assert got == f"长治市人民政府. [长治市2024年法治政府建设年度报告][EB/OL]：第5段. {PERMALINK}."
    assert "《" not in got


def test_gb7714_without_issuer_starts_with_the_title():
    other = changzhi(region=Region(), doc_type="新闻报道", inferred=())
    assert gb7714_2025(other, None, "u") == "长治市2024年法治政府建设年度报告[EB/OL]. u."
    assert gb7714_2015(other, None, "u") == "长治市2024年法治政府建设年度报告[EB/OL]. u."


# GB/T 7714-2015


def test_gb7714_2015_with_everything():
    assert gb7714_2015(yuelu(), P5, PERMALINK) == (
        "长沙市岳麓区人民政府. 关于2024年岳麓区法治政府建设工作情况的报告[EB/OL]. "
        f"(2025-02-28)[2026-12-02]: 第5段. {URL}."
    )


def test_gb7714_2015_access_date_alone_and_composed_title():
    got = gb7714_2015(changzhi(accessed="2026-01-05"), None, "https://f.org/reports/r0")
    assert got == "长治市人民政府. [长治市2024年法治政府建设年度报告][EB/OL]. [2026-01-05]. https://f.org/reports/r0."


# 《法学引注手册》


def test_fxyz_with_everything():
    assert fxyz(yuelu(), P5, PERMALINK) == (
        "长沙市岳麓区人民政府：《关于2024年岳麓区法治政府建设工作情况的报告》，载长沙市岳麓区人民政府网站2025年2月28日，"
        f"第5段，{URL}，最后访问日期：2026年12月2日。"
    )


def test_fxyz_without_url_cites_this_site_and_no_access_date():
    got = fxyz(yuelu(publish_date=None, accessed=None, source_url=None), P5, PERMALINK)
    assert got == (
        "长沙市岳麓区人民政府：《关于2024年岳麓区法治政府建设工作情况的报告》，载法治政府建设年度报告检索，"
        f"第5段，{PERMALINK}。"
    )


def test_fxyz_composed_title_has_a_note_and_no_book_title_marks():
    got = fxyz(changzhi(), None, "https://f.org/reports/r0")
    assert got.startswith(
        "长治市人民政府：[长治市2024年法治政府建设年度报告]（原文无标题，题名系据其地区和年度拟定），"
    )
    assert "《" not in got


def test_fxyz_names_a_site_that_is_not_the_issuers_by_its_host():
    got = fxyz(yuelu(source_url="https://www.example.com/a.html", accessed=None, publish_date=None), None, "p")
    assert "，载www.example.com，https://www.example.com/a.html。" in got


def test_fxyz_without_issuer():
    got = fxyz(changzhi(region=Region(), doc_type="新闻报道", inferred=()), None, "u")
    assert got == "《长治市2024年法治政府建设年度报告》，载法治政府建设年度报告检索，u。"


# Issuer


@pytest.mark.parametrize(
    ("region", "government"),
    [
        (Region("湖南省", "长沙市", "岳麓区"), "长沙市岳麓区人民政府"),
        (Region("山西省", "长治市"), "长治市人民政府"),
        (Region("山西省"), "山西省人民政府"),
        (Region("山西省", "临汾市", "曲沃县"), "曲沃县人民政府"),
        (Region("宁夏回族自治区", "银川市", "灵武市"), "灵武市人民政府"),
        (Region("天津市", None, "静海区"), "天津市静海区人民政府"),
        (Region("内蒙古自治区", "锡林郭勒盟"), "锡林郭勒盟行政公署"),
        (Region(None, None, "龙华区"), "龙华区人民政府"),
        (Region(), None),
    ],
)
def test_government_of_a_region(region, government):
    assert government_of(region) == government


def test_issuer_named_by_the_report_wins_and_a_department_keeps_its_own():
    assert issuer_of(changzhi(issuer="长治市司法局")) == "长治市司法局"
    assert issuer_of(changzhi()) == "长治市人民政府"
    assert issuer_of(changzhi(doc_type="政府信息公开年度报告")) is None


def test_citations_have_every_style_and_no_site_furniture():
    found = citations(yuelu(), P5, PERMALINK)
    assert list(found) == ["gb7714_2025", "gb7714_2015", "fxyz"]
    for text in found.values():
        assert "›" not in text and "举措成效" not in text and "第5段" in text and URL in text


def test_module_doctests():
    import importlib

    names = ["search.citation", "search.exports", "indexer.manifest", "indexer.html_reader", "indexer.metadata"]
    for name in [*names, "web.report_page"]:
        # importlib: ``search.citation`` as an attribute is the function the package exports, not the module.
        assert doctest.testmod(importlib.import_module(name)).failed == 0, name


# The original address in a saved page


def test_page_address_prefers_canonical_then_og_url_then_saved_from():
    from indexer.html_reader import page_address

    saved = "<!-- saved from url=(0030)http://www.a.gov.cn/saved.html -->\n"
    og = '<meta property="og:url" content="http://www.a.gov.cn/og.html">'
    canonical = '<link rel="canonical" href="http://www.a.gov.cn/canonical.html">'
    assert page_address(f"{saved}<html><head>{og}{canonical}</head></html>") == "http://www.a.gov.cn/canonical.html"
    assert page_address(f"{saved}<html><head>{og}</head></html>") == "http://www.a.gov.cn/og.html"
    assert page_address(f"{saved}<html></html>") == "http://www.a.gov.cn/saved.html"
    assert page_address("<!-- saved from url=(0014)about:internet --><html></html>") is None


REPORT_BODY = (
    "<h1>曲沃县2024年法治政府建设年度报告</h1>"
    "<p>2024年，曲沃县坚持以习近平新时代中国特色社会主义思想为指导，深入推进法治政府建设，取得新成效。</p>"
    "<p>一、主要举措和成效</p><p>推行首违不罚清单，规范行政执法，全年办理行政复议案件十二件。</p>"
)


def test_read_html_gives_the_canonical_address(tmp_path):
    from indexer.readers import read_report_file

    page = tmp_path / "a.html"
    head = '<head><meta charset="utf-8"><link rel="canonical" href="http://www.quwo.gov.cn/a.html"></head>'
    page.write_text(f"<html>{head}<body>{REPORT_BODY}</body></html>", encoding="utf-8")
    found = read_report_file(page)
    assert found.source_url == "http://www.quwo.gov.cn/a.html" and found.accessed is None


def mhtml(html: str, location: str = "http://www.quwo.gov.cn/fzzf/2025.html") -> bytes:
    import base64

    payload = base64.encodebytes(html.encode("gb18030")).decode("ascii")
    return (
        "From: <Saved by Blink>\r\n"
        f"Snapshot-Content-Location: {location}\r\n"
        "Subject: =?utf-8?Q?report?=\r\n"
        "Date: Tue, 2 Dec 2025 09:30:00 +0800\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/related; type="text/html"; boundary="----B"\r\n\r\n'
        "------B\r\n"
        'Content-Type: text/html; charset="gb2312"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        f"Content-Location: {location}\r\n\r\n"
        f"{payload}\r\n"
        "------B--\r\n"
    ).encode("ascii")


def test_read_mhtml_gives_the_content_location_and_the_date_saved(tmp_path):
    from indexer.readers import read_report_file

    archive = tmp_path / "a.mhtml"
    archive.write_bytes(mhtml(f"<html><body>{REPORT_BODY}</body></html>"))
    found = read_report_file(archive)
    assert found.source_url == "http://www.quwo.gov.cn/fzzf/2025.html"
    assert found.accessed == "2025-12-02" and found.encoding == "gb18030"
    assert found.title == "曲沃县2024年法治政府建设年度报告" and "首违不罚" in found.text


# The manifest


def test_manifest_rows_good_and_bad(tmp_path):
    from indexer.manifest import read_manifest

    (tmp_path / "urls.csv").write_text(
        "path,url,publish_date,accessed,title,issuer\n"
        "a.txt,https://a.gov.cn/1.html,2025-02-28,2026年1月5日,,\n"
        "b.txt,ftp://nope,,,,\n"
        "c.txt,,2025-13-01,,,\n"
        "a.txt,https://a.gov.cn/2.html,,,,\n"
        "../d.txt,https://a.gov.cn/3.html,,,,\n",
        encoding="utf-8",
    )
    (tmp_path / "urls.jsonl").write_text(
        '{"path": "e.txt", "url": "https://e.gov.cn/", "issuer": "某县人民政府"}\n'
        '{"path": "f.txt", "colour": "red"}\nnot json\n',
        encoding="utf-8",
    )
    got = read_manifest(tmp_path)
    assert got.entries["a.txt"].url == "https://a.gov.cn/1.html"
    assert (got.entries["a.txt"].publish_date, got.entries["a.txt"].accessed) == ("2025-02-28", "2026-01-05")
    assert got.entries["e.txt"].issuer == "某县人民政府"
    assert set(got.entries) == {"a.txt", "e.txt"}
    where = [w for w, _ in got.errors]
    assert where == ["urls.csv:3", "urls.csv:4", "urls.csv:5", "urls.csv:6", "urls.jsonl:2", "urls.jsonl:3"]
    why = dict(got.errors)
    assert "not an http(s) address" in why["urls.csv:3"] and "not a date" in why["urls.csv:4"]
    assert "earlier row" in why["urls.csv:5"] and "relative" in why["urls.csv:6"]
    assert "unknown column" in why["urls.jsonl:2"] and "not JSON" in why["urls.jsonl:3"]


REPORT_A = """长治市2024年法治政府建设年度报告

2024年，长治市坚持以习近平新时代中国特色社会主义思想为指导，深入推进法治政府建设。

一、主要举措和成效

推行首违不罚清单，规范行政执法。
"""

REPORT_B = """2024年，我县坚持依法行政，曲沃县法治政府建设取得新成效。

一、主要举措和成效

曲沃县推进行政复议体制改革，复议案件办理质效提升。
"""


def index(corpus: Path, index_dir: Path, engine: str):
    from indexer.build import index_corpus
    from search import open_engine

    summary = index_corpus(corpus, index_dir, engine=engine)
    reports = {r.source: r for r in open_engine(index_dir, engine).snapshot().reports.values()}
    return summary, reports


def test_manifest_wins_and_a_changed_row_is_read_again(tmp_path, engine_name):
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "a.txt").write_text(REPORT_A, encoding="utf-8")
    (corpus / "b.txt").write_text(REPORT_B, encoding="utf-8")
    summary, reports = index(corpus, index_dir, engine_name)
    assert reports["a.txt"].source_url is None and reports["b.txt"].title_inferred
    assert reports["b.txt"].title == "曲沃县2024年法治政府建设年度报告" and reports["a.txt"].inferred == ()

    manifest = corpus / "urls.csv"
    manifest.write_text(
        "path,url,publish_date,accessed,title,issuer\n"
        "b.txt,https://www.quwo.gov.cn/b.html,2025-03-01,2026-01-05,曲沃县2024年度法治政府建设工作报告,\n",
        encoding="utf-8",
    )
    summary, reports = index(corpus, index_dir, engine_name)
    assert (summary.updated, summary.unchanged, summary.failed, summary.skipped) == (1, 1, [], [])
    b = reports["b.txt"]
    assert (b.source_url, b.publish_date, b.accessed) == ("https://www.quwo.gov.cn/b.html", "2025-03-01", "2026-01-05")
    assert b.title == "曲沃县2024年度法治政府建设工作报告" and not b.title_inferred and "year" not in b.inferred

    # Unchanged manifest: nothing read. A row changed: that file only. A row gone: the file's own metadata back.
    assert index(corpus, index_dir, engine_name)[0].files_parsed == 0
    manifest.write_text("path,url\nb.txt,https://www.quwo.gov.cn/b2.html\n", encoding="utf-8")
    summary, reports = index(corpus, index_dir, engine_name)
    assert summary.files_parsed == 1 and reports["b.txt"].source_url == "https://www.quwo.gov.cn/b2.html"
    assert reports["b.txt"].title_inferred and reports["b.txt"].publish_date is None
    manifest.unlink()
    summary, reports = index(corpus, index_dir, engine_name)
    assert summary.files_parsed == 1 and reports["b.txt"].source_url is None


def test_a_bad_manifest_row_is_reported_and_nothing_is_lost(tmp_path, runner, engine_name):
    from fazhi.cli import main

    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "a.txt").write_text(REPORT_A, encoding="utf-8")
    (corpus / "b.txt").write_text(REPORT_B, encoding="utf-8")
    (corpus / "urls.jsonl").write_text(
        json.dumps({"path": "a.txt", "url": "https://www.changzhi.gov.cn/a.html"}) + "\n"
        + json.dumps({"path": "b.txt", "publish_date": "去年"}) + "\n"
        + json.dumps({"path": "gone.txt", "url": "https://x.gov.cn/"}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    result = runner.invoke(main, ["index", str(corpus), "--index-dir", str(index_dir), "--engine", engine_name])
    assert result.exit_code == 1
    assert "FAILED  urls.jsonl:2: manifest row left out: publish_date '去年' is not a date" in result.output
    assert "FAILED  urls.jsonl:3: manifest row names gone.txt, which is no report file" in result.output
    assert "skipped urls.jsonl" not in result.output and "Indexed 2 reports" in result.output
    _, reports = index(corpus, index_dir, engine_name)
    assert reports["a.txt"].source_url == "https://www.changzhi.gov.cn/a.html" and reports["b.txt"].publish_date is None


# Acceptance: the sample reports, with a manifest beside them


@pytest.fixture(scope="module")
def sample_client(corpus_dir, tmp_path_factory):
    from indexer.build import index_corpus
    from web import create_app

    corpus = tmp_path_factory.mktemp("samples-with-manifest")
    for f in sorted(corpus_dir.glob("*.txt")):
        shutil.copy(f, corpus / f.name)
    (corpus / "urls.csv").write_text(
        "path,url,accessed\n002_09ab2a23c5e0d572.txt,https://www.yuelu.gov.cn/fzzf/2025/0228.html,2026-12-02\n",
        encoding="utf-8",
    )
    index_dir = tmp_path_factory.mktemp("samples-index")
    summary = index_corpus(corpus, index_dir, engine="tantivy")
    assert summary.failed == [] and summary.reports == 5
    return create_app({"INDEX_DIR": str(index_dir), "ENGINE": "tantivy", "TESTING": True}).test_client()


def sample(client, source: str) -> dict:
    listed = {r["source"]: r for r in client.get("/api/reports").get_json()["reports"]}
    return client.get(f"/api/reports/{listed[source]['report_id']}").get_json()


@pytest.mark.acceptance
def test_samples_yuelu_cites_issuer_date_source_and_access_date(sample_client):
    body = sample(sample_client, "002_09ab2a23c5e0d572.txt")
    assert body["title_inferred"] is False and body["inferred"] == []
    assert body["source_url"] == "https://www.yuelu.gov.cn/fzzf/2025/0228.html" and body["accessed"] == "2026-12-02"
    p = body["passages"][4]
    assert p["citations"] == {
        "gb7714_2025": "长沙市岳麓区人民政府. 关于2024年岳麓区法治政府建设工作情况的报告[EB/OL]. "
        "（2025-02-28）[2026-12-02]：第5段. https://www.yuelu.gov.cn/fzzf/2025/0228.html.",
        "gb7714_2015": "长沙市岳麓区人民政府. 关于2024年岳麓区法治政府建设工作情况的报告[EB/OL]. "
        "(2025-02-28)[2026-12-02]: 第5段. https://www.yuelu.gov.cn/fzzf/2025/0228.html.",
        "fxyz": "长沙市岳麓区人民政府：《关于2024年岳麓区法治政府建设工作情况的报告》，"
        "载长沙市岳麓区人民政府网站2025年2月28日，第5段，https://www.yuelu.gov.cn/fzzf/2025/0228.html，最后访问日期：2026年12月2日。",
    }


@pytest.mark.acceptance
def test_samples_changzhi_has_a_composed_title_marked_as_such(sample_client):
    body = sample(sample_client, "000_02c746c2ec6526e7.txt")
    assert body["title_inferred"] is True and body["inferred"] == ["title", "region", "year"]
    assert body["source_url"] is None and body["accessed"] is None
    cite = body["passages"][0]["citations"]
    link = f"http://localhost/reports/{body['report_id']}#{body['passages'][0]['passage_id']}"
    assert cite["gb7714_2025"] == f"长治市人民政府. [长治市2024年法治政府建设年度报告][EB/OL]：第1段. {link}."
    assert "《" not in cite["fxyz"] and "原文无标题" in cite["fxyz"]
    html = sample_client.get(f"/reports/{body['report_id']}").get_data(as_text=True)
    assert "原文没有标题，标题由本站根据地区和年度拟定；地区、年度系本站根据正文推断" in html
    assert "未记录（引文中的链接指向本站）" in html


@pytest.mark.acceptance
def test_samples_every_hit_carries_citations_and_the_report_page_links_the_original(sample_client):
    body = sample_client.get("/api/search?q=行政复议&per_page=100").get_json()
    assert body["hits"] and all(set(h["citations"]) == {"gb7714_2025", "gb7714_2015", "fxyz"} for h in body["hits"])
    for hit in body["hits"]:
        assert f"第{hit['number']}段" in hit["citations"]["gb7714_2025"]
    yuelu_id = sample(sample_client, "002_09ab2a23c5e0d572.txt")["report_id"]
    html = sample_client.get(f"/reports/{yuelu_id}").get_data(as_text=True)
    assert '<dt>原文链接</dt><dd><a href="https://www.yuelu.gov.cn/fzzf/2025/0228.html"' in html
    assert "<dt>访问日期</dt><dd>2026-12-02</dd>" in html and "inferred-note" not in html
    report_rows = sample_client.get("/api/search?q=行政复议&view=reports").get_json()["reports"]
    assert all(r["citations"]["gb7714_2025"].endswith(".") for r in report_rows)
