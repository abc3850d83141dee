"""`fazhi index` on hostile and careless folders: links out of the corpus and into loops, zip bombs, names in
GBK bytes, text files that are not reports, FIFOs, a second run racing the first, an index folder that cannot
be written, and a few bad bytes in a UTF-8 report (issue #12, "Files")."""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from fazhi.cli import main
from indexer import readers
from indexer.build import CorpusError, discover, display_name, index_corpus
from indexer.readers import ReadError, read_report_file
from search.engines import open_engine
from tests.report_files import REPORT_A, REPORT_B, write_docx

ROOT = Path(__file__).resolve().parents[1]

SECRET = """机密：外部文件2024年法治政府建设年度报告
2024年，外部文件不应被索引，外部文件不应被检索。
一、主要举措和成效
（一）外部文件推进依法行政。
"""

ROOT_IS_EXEMPT = os.name == "posix" and os.geteuid() == 0


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text(REPORT_A, encoding="utf-8")
    (root / "sub" / "b.txt").write_text(REPORT_B, encoding="utf-8")
    return root


def sources(index_dir: Path) -> set[str]:
    return {s for r in open_engine(index_dir).snapshot().reports.values() for s in r.sources}


def cli(*args: str) -> subprocess.CompletedProcess:
    """`fazhi` in a process of its own: bytes out, as a terminal or a pipe gets them."""
    code = "from fazhi.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, timeout=120)


# Links


def test_a_link_out_of_the_corpus_is_not_followed_and_the_summary_says_so(corpus, tmp_path, runner):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET, encoding="utf-8")
    (corpus / "secret.txt").symlink_to(outside / "secret.txt")
    (corpus / "hostname.txt").symlink_to("/etc/hostname")
    (corpus / "elsewhere").symlink_to(outside, target_is_directory=True)
    index_dir = tmp_path / "idx"

    summary = index_corpus(corpus, index_dir)
    assert sources(index_dir) == {"a.txt", "sub/b.txt"}
    skipped = dict(summary.skipped)
    assert "outside the corpus folder" in skipped["secret.txt"] and str(outside / "secret.txt") in skipped["secret.txt"]
    assert "outside the corpus folder" in skipped["hostname.txt"]
    assert "outside the corpus folder" in skipped["elsewhere"]
    assert summary.links_not_followed == 3

    result = runner.invoke(main, ["index", str(corpus), "--index-dir", str(index_dir), "--rebuild"])
    assert result.exit_code == 0, result.output
    assert "3 links not followed" in result.output.splitlines()[1]
    assert "skipped secret.txt: link to" in result.output
    out = runner.invoke(main, ["search", "外部文件", "--index-dir", str(index_dir), "--json"]).output
    assert json.loads(out)["total"] == 0


def test_links_inside_the_corpus(corpus, tmp_path):
    """A link to a file inside the corpus is followed (and found to be a copy); a link to a folder inside it is
    not (the walk reaches those files anyway), nor one to a folder it is in (a loop), nor a link to itself."""
    (corpus / "a-link.txt").symlink_to(corpus / "a.txt")
    (corpus / "sub" / "again").symlink_to(corpus / "sub", target_is_directory=True)
    (corpus / "sub" / "up").symlink_to("..", target_is_directory=True)
    (corpus / "self.txt").symlink_to(corpus / "self.txt")
    (corpus / "ping.txt").symlink_to(corpus / "pong.txt")
    (corpus / "pong.txt").symlink_to(corpus / "ping.txt")

    summary = index_corpus(corpus, tmp_path / "idx")
    assert summary.reports == 2
    assert [set(pair) for pair in summary.duplicates] == [{"a-link.txt", "a.txt"}]
    skipped = dict(summary.skipped)
    assert "link loop" in skipped["sub/again"] and "link loop" in skipped["sub/up"]
    assert "link loop" in skipped["self.txt"]
    assert "link loop" in skipped["ping.txt"] and "link loop" in skipped["pong.txt"]
    assert summary.links_not_followed == 5


def test_a_link_to_a_folder_inside_the_corpus_is_named(corpus, tmp_path):
    (corpus / "other").mkdir()
    (corpus / "other" / "c.txt").write_text(REPORT_A.replace("长治", "晋城"), encoding="utf-8")
    (corpus / "sub" / "other-link").symlink_to(corpus / "other", target_is_directory=True)
    summary = index_corpus(corpus, tmp_path / "idx")
    assert summary.reports == 3 and not summary.duplicates  # other/c.txt read once, from where it is
    assert "link to a folder" in dict(summary.skipped)["sub/other-link"]


def test_nothing_is_skipped_silently(corpus, tmp_path, runner):
    (corpus / "gone.txt").symlink_to(corpus / "deleted.txt")
    os.mkfifo(corpus / "pipe.txt")
    (corpus / "fifo-link.txt").symlink_to(corpus / "pipe.txt")
    result = runner.invoke(main, ["index", str(corpus), "--index-dir", str(tmp_path / "idx")])
    assert result.exit_code == 0, result.output
    assert "skipped gone.txt: broken link" in result.output
    assert "skipped pipe.txt: not a regular file (FIFO)" in result.output
    assert "skipped fifo-link.txt: not a regular file (FIFO)" in result.output
    assert "Indexed 2 reports" in result.output


@pytest.mark.skipif(ROOT_IS_EXEMPT, reason="root reads any folder")
def test_an_unreadable_folder_is_named(corpus, tmp_path):
    locked = corpus / "locked"
    locked.mkdir()
    (locked / "c.txt").write_text(REPORT_A, encoding="utf-8")
    locked.chmod(0)
    try:
        summary = index_corpus(corpus, tmp_path / "idx")
    finally:
        locked.chmod(0o755)
    assert summary.reports == 2
    assert dict(summary.skipped)["locked"] == "folder cannot be read: permission denied"


def test_a_folder_that_cannot_be_listed_is_named(corpus, tmp_path, monkeypatch):
    """As the test above, for any user (root lists every folder): the folder's listing fails as it would."""
    (corpus / "locked").mkdir()
    (corpus / "locked" / "c.txt").write_text(REPORT_A, encoding="utf-8")
    scandir = os.scandir

    def refusing(path):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    summary = index_corpus(corpus, tmp_path / "idx")
    assert summary.reports == 2
    assert dict(summary.skipped)["locked"] == "folder cannot be read: permission denied"


def test_a_hidden_folder_is_one_line(corpus):
    (corpus / ".git" / "objects").mkdir(parents=True)
    for i in range(5):
        (corpus / ".git" / "objects" / f"{i}.txt").write_text(REPORT_A, encoding="utf-8")
    found = discover(corpus)
    assert sorted(found.files.values()) == ["a.txt", "sub/b.txt"]
    assert found.skipped == [(".git", "hidden folder")]


# Names


GBK_NAME = "长治市法治政府建设报告.txt".encode("gbk")


def test_display_names():
    assert display_name("sub/报告.txt") == "sub/报告.txt"
    assert display_name(os.fsdecode(GBK_NAME)) == "长治市法治政府建设报告.txt"
    assert display_name(os.fsdecode(b"\xff\xfe.txt")) == "\\xff\\xfe.txt"


def test_a_name_in_gbk_bytes_is_indexed_under_the_name_it_meant(corpus, tmp_path):
    os.rename(corpus / "a.txt", os.fsencode(corpus) + b"/" + GBK_NAME)
    index_dir = tmp_path / "idx"
    result = cli("index", str(corpus), "--index-dir", str(index_dir))
    assert result.returncode == 0, result.stderr.decode()
    assert "please report this" not in result.stderr.decode()
    assert sources(index_dir) == {"长治市法治政府建设报告.txt", "sub/b.txt"}

    listed = json.loads(cli("reports", "--json", "--index-dir", str(index_dir)).stdout)
    assert "长治市法治政府建设报告.txt" in {r["source"] for r in listed["reports"]}
    # The id is stable: a second run finds the file unchanged.
    again = cli("index", str(corpus), "--index-dir", str(index_dir)).stdout.decode()
    assert "Nothing changed: 0 added, 0 updated, 0 removed, 2 unchanged" in again


def test_names_never_crash_and_stay_on_one_line(corpus, tmp_path):
    (corpus / "line\nbreak.txt").write_text(REPORT_A.replace("长治", "晋城"), encoding="utf-8")
    (corpus / "tab\there.md").write_text("notes", encoding="utf-8")
    bad = os.fsencode(corpus) + b"/\xff\xfe-" + "报告.txt".encode("gbk")
    with open(bad, "wb") as f:
        f.write(REPORT_B.replace("灵武", "吴忠").encode("utf-8"))
    index_dir = tmp_path / "idx"
    result = cli("index", str(corpus), "--index-dir", str(index_dir))
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode("utf-8")
    assert any(line.startswith("skipped tab\\there.md: not a report format") for line in out.splitlines())
    names = sources(index_dir)
    assert "line\nbreak.txt" in names and "\\xff\\xfe-\\xb1\\xa8\\xb8\\xe6.txt" in names

    # The site shows them (a surrogate in a name would raise UnicodeEncodeError there).
    from web import create_app

    client = create_app({"INDEX_DIR": str(index_dir), "TESTING": True}).test_client()
    body = client.get("/api/reports").get_json()
    assert {r["source"] for r in body["reports"]} == names
    for r in body["reports"]:
        page = client.get(f"/reports/{r['report_id']}")
        assert page.status_code == 200 and html.escape(r["source"]) in page.get_data(as_text=True)
        assert client.get(f"/api/reports/{r['report_id']}").get_json()["source"] == r["source"]


def test_names_with_control_characters_are_escaped_in_every_summary_line(corpus, tmp_path, runner):
    (corpus / "dup\nlicate.txt").write_text(REPORT_A, encoding="utf-8")
    (corpus / "bro\rken.txt").write_bytes(b"\x00\x01\x02" * 100)
    result = runner.invoke(main, ["index", str(corpus), "--index-dir", str(tmp_path / "idx")])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "copy    dup\\nlicate.txt: same report as a.txt (indexed once)" in lines
    assert "FAILED  bro\\rken.txt: binary file, not text" in lines


# Not every text file is a report


def test_text_without_chinese_report_text_is_skipped_and_named(corpus, tmp_path, runner):
    (corpus / "README.txt").write_text("Reports downloaded 2025-03-01.\nSee the index for sources.\n" * 20)
    (corpus / "note.txt").write_text("说明：见附件。\n", encoding="utf-8")
    (corpus / "page.html").write_text("<html><body><p>Page not found</p></body></html>", encoding="utf-8")
    index_dir = tmp_path / "idx"
    result = runner.invoke(main, ["index", str(corpus), "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert "Indexed 2 reports" in result.output
    assert "skipped README.txt: no Chinese report text (0 Chinese characters)" in result.output
    assert "skipped note.txt: no Chinese report text (5 Chinese characters)" in result.output
    assert "skipped page.html: no Chinese report text" in result.output
    titles = {r.title for r in open_engine(index_dir).snapshot().reports.values()}
    assert "法治政府建设年度报告" not in titles


def test_a_report_that_becomes_a_readme_leaves_the_index(corpus, tmp_path):
    index_dir = tmp_path / "idx"
    index_corpus(corpus, index_dir)
    (corpus / "a.txt").write_text("placeholder\n" * 10, encoding="utf-8")
    summary = index_corpus(corpus, index_dir)
    assert summary.removed == 1 and sources(index_dir) == {"sub/b.txt"}
    assert dict(summary.skipped)["a.txt"].startswith("no Chinese report text")


# Size limits on what a file holds


def write_docx_bomb(path: Path, xml_bytes: int) -> Path:
    """A .docx whose document.xml holds ``xml_bytes`` of one paragraph repeated: a few hundred KB zipped."""
    write_docx(path, ["法治政府建设"])
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    para = "<w:p><w:r><w:t>法治政府建设年度报告法治政府建设年度报告</w:t></w:r></w:p>".encode()
    head, tail = parts["word/document.xml"].split(b"<w:body>", 1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            if name != "word/document.xml":
                z.writestr(name, data)
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            f.write(head + b"<w:body>")
            block = para * 10_000
            for _ in range(xml_bytes // len(block)):
                f.write(block)
            f.write(tail)
    return path


def test_a_docx_holding_too_much_xml_fails_at_once(corpus, tmp_path, runner):
    bomb = write_docx_bomb(corpus / "bomb.docx", 80 * 10**6)
    assert bomb.stat().st_size < 2 * 10**6
    t0 = time.perf_counter()
    result = runner.invoke(main, ["index", str(corpus), "--index-dir", str(tmp_path / "idx")])
    assert time.perf_counter() - t0 < 10
    assert result.exit_code == 1
    assert "Indexed 2 reports" in result.output
    line = next(line for line in result.output.splitlines() if "bomb.docx" in line)
    assert line.startswith("FAILED  bomb.docx: ") and "unzipped" in line and "the limit is" in line


def test_a_zip_member_that_lies_about_its_size_fails(tmp_path, monkeypatch):
    """Declared sizes are checked first; a member that holds more than it declares is not read past that."""
    path = write_docx(tmp_path / "r.docx", ["法治政府建设年度报告"] * 200)
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("word/document.xml")
        real = info.file_size
    data = bytearray(path.read_bytes())
    # Shrink the declared size in the central directory (and the local header) to 100 bytes.
    for sig in (b"PK\x01\x02", b"PK\x03\x04"):
        at = 0
        while (at := data.find(sig, at)) >= 0:
            name_len_at, size_at = (at + 28, at + 24) if sig == b"PK\x01\x02" else (at + 26, at + 22)
            name_len = int.from_bytes(data[name_len_at : name_len_at + 2], "little")
            name_at = at + (46 if sig == b"PK\x01\x02" else 30)
            if bytes(data[name_at : name_at + name_len]) == b"word/document.xml":
                assert int.from_bytes(data[size_at : size_at + 4], "little") in (real, 0)
                data[size_at : size_at + 4] = (100).to_bytes(4, "little")
            at += 4
    path.write_bytes(bytes(data))
    with pytest.raises(ReadError, match="damaged"):
        read_report_file(path)


def test_extracted_text_is_limited(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_TEXT_CHARS", 1000)
    path = tmp_path / "long.txt"
    path.write_text(REPORT_A * 20, encoding="utf-8")
    with pytest.raises(ReadError, match=r"characters of text; the limit is 1,000"):
        read_report_file(path)
    docx = write_docx(tmp_path / "long.docx", [REPORT_A] * 20)
    with pytest.raises(ReadError, match=r"the limit is 1,000"):
        read_report_file(docx)


def test_reading_one_file_is_limited_in_time(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_SECONDS_PER_FILE", 0.0)
    path = write_docx(tmp_path / "r.docx", [REPORT_A] * 5)
    with pytest.raises(ReadError, match=r"took longer than 0 s to read"):
        read_report_file(path)


# The write lock


def test_a_second_run_fails_at_once_and_the_first_finishes(corpus, tmp_path):
    index_dir = tmp_path / "idx"
    seen: dict[str, object] = {}

    def progress(rel: str, done: int, total: int) -> None:
        if done != 1:
            return
        # The first run has begun parsing: a second one, in this process and in another, must fail at once.
        t0 = time.perf_counter()
        with pytest.raises(CorpusError, match="another run is indexing into"):
            index_corpus(corpus, index_dir, rebuild=True)
        seen["in-process seconds"] = time.perf_counter() - t0
        seen["cli"] = cli("index", str(corpus), "--index-dir", str(index_dir), "--rebuild")

    summary = index_corpus(corpus, index_dir, progress=progress, rebuild=True)
    assert summary.committed and summary.reports == 2
    assert seen["in-process seconds"] < 1
    other = seen["cli"]
    assert other.returncode == 2
    assert "another run is indexing into" in other.stderr.decode()
    assert b"Traceback" not in other.stderr
    assert sources(index_dir) == {"a.txt", "sub/b.txt"}
    # The lock went with the run that held it.
    assert index_corpus(corpus, index_dir).reports == 2


# An index folder that cannot be written


def test_an_index_folder_that_cannot_be_made_is_a_clear_error(corpus, tmp_path):
    (tmp_path / "in-the-way").write_text("a file, not a folder")
    result = cli("index", str(corpus), "--index-dir", str(tmp_path / "in-the-way"))
    assert result.returncode == 2 and "is a file" in result.stderr.decode()  # click's own check
    result = cli("index", str(corpus), "--index-dir", str(tmp_path / "in-the-way" / "idx"))
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert err.startswith("Error: cannot write the index in ") and "Traceback" not in err
    assert "in-the-way is a file, not a folder" in err
    # Through the library: the same error, for a file where the index folder should be.
    with pytest.raises(CorpusError, match="is a file, not a folder"):
        index_corpus(corpus, tmp_path / "in-the-way")


@pytest.mark.skipif(ROOT_IS_EXEMPT, reason="root writes any folder")
def test_an_index_folder_without_write_permission_is_a_clear_error(corpus, tmp_path):
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        result = cli("index", str(corpus), "--index-dir", str(parent / "idx"))
    finally:
        parent.chmod(0o755)
    err = result.stderr.decode()
    assert result.returncode == 2 and "cannot write the index in" in err and "permission denied" in err, err


def test_an_index_folder_that_cannot_be_written_is_a_clear_error(corpus, tmp_path, monkeypatch, runner):
    """As the test above, for any user (root writes every folder): the folder reports itself not writable."""
    index_dir = tmp_path / "idx"
    index_dir.mkdir()
    access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: access(p, mode) and not (Path(p) == index_dir and mode == os.W_OK)
    )
    result = runner.invoke(main, ["index", str(corpus), "--index-dir", str(index_dir)])
    assert result.exit_code == 2
    assert f"Error: cannot write the index in {index_dir}: permission denied" in result.output


# A few bad bytes


def test_a_few_bad_bytes_in_a_utf8_report_are_replaced_and_counted(corpus, tmp_path, runner):
    data = REPORT_B.replace("灵武", "吴忠").encode("utf-8")
    cut = data.index("推行".encode())
    (corpus / "damaged.txt").write_bytes(data[:cut] + b"\xff\xfe\x80\x81\xc3\xff\xfe" + data[cut:])
    index_dir = tmp_path / "idx"
    result = runner.invoke(main, ["index", str(corpus), "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert "Indexed 3 reports" in result.output
    assert "repaired damaged.txt: 7 bytes that are not UTF-8 replaced with �" in result.output
    out = runner.invoke(main, ["search", "吴忠市", "--index-dir", str(index_dir), "--json"]).output
    assert json.loads(out)["total"] >= 1


def test_mostly_bad_bytes_still_fail(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(REPORT_A.encode("utf-8")[:30] + bytes(range(0x80, 0xA0)) * 3)
    with pytest.raises(ReadError, match="not valid UTF-8"):
        read_report_file(path)
