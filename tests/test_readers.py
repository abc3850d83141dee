"""Reading report files as they are really published: encodings, web pages, Word, PDF, and broken files."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from indexer import readers
from indexer.encoding import canonical_codec, decode_text
from indexer.html_reader import clean_title, decode_html, extract_article, is_furniture_line, publish_date_in
from indexer.pdf_reader import drop_page_furniture, join_lines
from indexer.readers import ReadError, read_report_file
from tests.report_files import html_page, write_docx, write_pdf, write_scanned_pdf

TITLE = "长治市2024年法治政府建设年度报告"
PARAGRAPHS = [
    "2024年，我市坚持以习近平法治思想为指导，法治长治建设取得积极成效，践行新时代“枫桥经验”，推进矛盾纠纷化解。",
    "一、主要举措和成效",
    "（一）推行首违不罚清单。全市各级行政执法机关严格规范公正文明执法，行政执法质量和效能显著提升，"
    "群众满意度持续提高，营商环境不断优化，依法行政水平进一步提高。",
    "二、存在的问题",
    "行政复议和诉讼衔接不够顺畅，基层法治力量较为薄弱。",
    "长治市人民政府",
    "2025年2月28日",
]
TEXT = "\n".join([TITLE, *PARAGRAPHS])


def paragraphs(text: str) -> list[str]:
    """Readers that know their paragraphs separate them with blank lines."""
    assert "\n\n" in text
    return [line for line in text.splitlines() if line]


# Text encodings


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8"),
        (TEXT.encode("gb18030"), "gb18030"),
        (TEXT.encode("gbk"), "gb18030"),
        (TEXT.encode("utf-16"), "utf-16"),
        (TEXT.encode("utf-16-le"), "utf-16"),
    ],
)
def test_text_encodings_are_detected(data, encoding):
    assert decode_text(data) == (TEXT, encoding)


def test_gb18030_only_characters_decode():
    text = TEXT + "𠀀䶮"  # outside GBK: four-byte GB18030 sequences
    assert decode_text(text.encode("gb18030")) == (text, "gb18030")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (bytes(range(256)) * 8, "binary file"),
        ("法治".encode("gbk") + b"\xff\xfe", "not valid UTF-8"),
        (TEXT.encode("utf-8")[:-1] + b"\xff", "not valid UTF-8"),
        (b"caf\xe9 au lait, cr\xe8me br\xfbl\xe9e " * 10, "not a Chinese encoding"),
    ],
)
def test_undecodable_bytes_fail_with_a_reason_rather_than_mojibake(data, reason):
    with pytest.raises(ReadError, match=reason):
        decode_text(data)


def test_charset_labels():
    assert canonical_codec("gb2312") == canonical_codec("GBK") == canonical_codec("x-gbk") == "gb18030"
    assert canonical_codec("UTF-8") == "utf-8" and canonical_codec("nonsense") is None


def test_txt_reader_names_the_encoding(tmp_path):
    path = tmp_path / "r.txt"
    path.write_bytes(TEXT.encode("gbk"))
    got = read_report_file(path)
    assert (got.text, got.encoding, got.format) == (TEXT, "gb18030", "txt")


# Web pages


def test_page_title_loses_the_site_suffixes():
    assert clean_title(f"{TITLE}_政务公开_长治市人民政府") == TITLE
    assert clean_title(f"{TITLE} - 长治市人民政府门户网站") == TITLE
    assert clean_title("法治政府建设实施纲要(2021-2025年)") == "法治政府建设实施纲要(2021-2025年)"


def test_publish_date_comes_from_the_info_line_not_the_sites_clock():
    assert publish_date_in(["今天是：2019年12月3日 星期二", "来源：市司法局 发布时间：2024-03-28"]) == "2024-03-28"
    assert publish_date_in(["今天是：2019年12月3日 星期二"]) is None


def test_furniture_lines():
    for line in (
        "当前位置：首页 > 政务公开",
        "今天是：2019年12月3日 星期二",
        "来源：市司法局 发布时间：2024-03-28",
        "版权所有：长治市人民政府办公室",
        "分享到：微信 微博",
    ):
        assert is_furniture_line(line), line
    for line in PARAGRAPHS:
        assert not is_furniture_line(line), line


def test_a_saved_page_gives_the_article_only():
    article = extract_article(html_page(TITLE, PARAGRAPHS))
    assert paragraphs(article.text) == [TITLE, *PARAGRAPHS]
    assert article.title == TITLE and article.publish_date == "2025-03-28"


def test_a_page_declaring_gb2312_may_hold_gbk_characters(tmp_path):
    with_gbk = [*PARAGRAPHS[:-2], "镕基同志强调，珺琤之事。", *PARAGRAPHS[-2:]]  # 镕 and 珺 are GBK, not GB2312
    path = tmp_path / "page.html"
    path.write_bytes(html_page(TITLE, with_gbk, charset="gb2312").encode("gb18030"))
    got = read_report_file(path)
    assert got.encoding == "gb18030" and "镕基同志强调，珺琤之事。" in paragraphs(got.text)
    assert (got.format, got.title, got.publish_date) == ("html", TITLE, "2025-03-28")


def test_a_page_whose_declared_charset_is_wrong_is_read_by_detection():
    data = html_page(TITLE, PARAGRAPHS, charset="gb2312").encode("utf-8")
    text, encoding = decode_html(data)
    assert TITLE in text and encoding == "utf-8 (declared gb2312)"


def test_a_page_without_h1_takes_its_title_from_the_title_tag():
    page = html_page(TITLE, PARAGRAPHS).replace(f'<h1 class="article-title">{TITLE}</h1>', "")
    article = extract_article(page)
    assert article.title == TITLE and paragraphs(article.text)[0] == TITLE


# Word


def test_docx_paragraphs_and_headings_in_order(tmp_path):
    path = write_docx(tmp_path / "r.docx", PARAGRAPHS, title=TITLE)
    got = read_report_file(path)
    assert paragraphs(got.text) == [TITLE, *PARAGRAPHS] and got.format == "docx" and got.encoding is None


def test_truncated_docx_fails(tmp_path):
    path = write_docx(tmp_path / "r.docx", PARAGRAPHS)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ReadError, match="damaged or truncated Word file"):
        read_report_file(path)


def test_docx_missing_its_document_part_fails(tmp_path):
    path = tmp_path / "r.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(ReadError, match="damaged or truncated Word file"):
        read_report_file(path)


def test_old_doc_files_say_what_to_do(tmp_path):
    path = tmp_path / "r.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 600)
    with pytest.raises(ReadError, match="save it as .docx"):
        read_report_file(path)


# PDF


def test_pdf_lines_are_joined_and_page_furniture_dropped(tmp_path):
    long = [p * 3 if "。" in p else p for p in PARAGRAPHS]  # several lines each, over several pages
    path = write_pdf(tmp_path / "r.pdf", [TITLE, *long], lines_per_page=12)
    got = read_report_file(path)
    assert got.format == "pdf"
    assert paragraphs(got.text) == [TITLE, *long]


def test_pdf_join_lines_unit():
    assert join_lines(["　　法治政府建设取得", "积极成效。", "一、主要举措", "　　推进依法行政。"]) == [
        "法治政府建设取得积极成效。",
        "一、主要举措",
        "推进依法行政。",
    ]


def test_running_headers_and_page_numbers_are_dropped():
    body = ["推进依法行政。", "严格规范执法。", "化解矛盾纠纷。"]
    pages = [["某市人民政府文件", body[n - 1], f"- {n} -"] for n in range(1, 4)]
    assert [line for page in drop_page_furniture(pages) for line in page] == body


def test_scanned_pdf_is_reported(tmp_path):
    with pytest.raises(ReadError, match="scanned, no text layer"):
        read_report_file(write_scanned_pdf(tmp_path / "scan.pdf"))


def test_truncated_pdf_fails(tmp_path):
    path = write_pdf(tmp_path / "r.pdf", PARAGRAPHS)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(ReadError, match="truncated PDF"):
        read_report_file(path)


def test_a_pdf_that_is_not_one_fails(tmp_path):
    path = tmp_path / "r.pdf"
    path.write_text("<html>404 Not Found</html>", encoding="utf-8")
    with pytest.raises(ReadError, match="not a PDF"):
        read_report_file(path)


# Any format


def test_empty_files_fail(tmp_path):
    for name in ("e.txt", "e.html", "e.docx", "e.pdf"):
        (tmp_path / name).write_bytes(b"")
        with pytest.raises(ReadError, match="empty"):
            read_report_file(tmp_path / name)


def test_files_over_the_limit_fail(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_FILE_BYTES", 100)
    path = tmp_path / "big.txt"
    path.write_text(TEXT, encoding="utf-8")
    with pytest.raises(ReadError, match="the limit is 100"):
        read_report_file(path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_files_fail(tmp_path):
    path = tmp_path / "locked.txt"
    path.write_text(TEXT, encoding="utf-8")
    path.chmod(0)
    with pytest.raises(ReadError, match="cannot read"):
        read_report_file(path)


def test_every_format_has_a_reader():
    assert {".txt", ".html", ".htm", ".docx", ".pdf"} <= set(readers.READERS)
    assert all(callable(r) for r in readers.READERS.values())
    assert isinstance(Path, type)
