"""Reading report files into text. One reader per file format, registered in :data:`READERS`.

Each reader takes a path and returns a :class:`~indexer.report_text.ReportText` (the text, plus the title and
publish date when the format states them), or raises :class:`ReadError` saying, in the user's terms, why not.
Formats: ``.txt`` (UTF-8, GB18030/GBK, UTF-16, Big5: detected, see :mod:`indexer.encoding`), saved web pages
``.html``/``.htm`` (:mod:`indexer.html_reader`), Word ``.docx`` (:mod:`indexer.docx_reader`) and PDF with a
text layer (:mod:`indexer.pdf_reader`). Old ``.doc`` files are recognised and fail with a reason.

Limits: a file's bytes (:data:`MAX_FILE_BYTES`), what it holds (:data:`MAX_TEXT_CHARS` of text,
:data:`MAX_UNZIPPED_BYTES` unzipped, :data:`MAX_ZIP_PART_BYTES` per part of a ``.docx``) and the time reading
it may take (:data:`MAX_SECONDS_PER_FILE`); see :mod:`indexer.limits`. A file that reads well but holds no
Chinese report text (a README, a "page not found") raises :class:`NotAReport`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from indexer import limits
from indexer.docx_reader import read_doc, read_docx
from indexer.encoding import decode_report_text, is_han
from indexer.html_reader import read_html, read_mhtml
from indexer.limits import MAX_SECONDS_PER_FILE, MAX_TEXT_CHARS, MAX_UNZIPPED_BYTES, MAX_ZIP_PART_BYTES
from indexer.pdf_reader import read_pdf
from indexer.report_text import ReadError, ReportText

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_SECONDS_PER_FILE",
    "MAX_TEXT_CHARS",
    "MAX_UNZIPPED_BYTES",
    "MAX_ZIP_PART_BYTES",
    "MIN_CHINESE_CHARS",
    "READERS",
    "NotAReport",
    "ReadError",
    "ReportText",
    "read_report_file",
    "read_txt",
]

MAX_FILE_BYTES = 20 * 1024 * 1024
"""Files larger than this are not read (a report is 5–20k characters; 20 MiB is far past any real one, even a PDF)."""

MIN_CHINESE_CHARS = 20
"""A file with fewer Chinese characters than this holds no report (a title alone has about 15)."""

_MIN_HAN_SHARE = 0.2  # share of Han among the letters: a Chinese report is mostly Han, an English note is not


class NotAReport(ReadError):
    """A file that reads well but holds no Chinese report text: skipped, not failed."""


def chinese_report_text(text: str) -> str | None:
    """Why ``text`` is not a Chinese report (too few Chinese characters, or mostly another script), or None.

    >>> chinese_report_text("Reports downloaded 2025-03-01. See the index.")
    'no Chinese report text (0 Chinese characters)'
    >>> chinese_report_text("说明：见附件。")
    'no Chinese report text (5 Chinese characters)'
    >>> chinese_report_text("长治市2024年法治政府建设年度报告。我市坚持依法行政，推进法治政府建设。") is None
    True
    """
    han = sum(map(is_han, text))
    letters = sum(1 for c in text if c.isalpha())
    if han < MIN_CHINESE_CHARS:
        return f"no Chinese report text ({han} Chinese characters)"
    if han < _MIN_HAN_SHARE * letters:
        return f"no Chinese report text (only {han} of {letters} letters are Chinese)"
    return None


def read_txt(path: Path) -> ReportText:
    """A plain-text file in UTF-8 (BOM or not), GB18030/GBK, UTF-16 or Big5; the encoding is detected.

    A UTF-8 file with a few bad bytes (at most 1%) is read with them replaced (``replaced_bytes`` counts them).
    """
    data = path.read_bytes()
    if not data.strip():
        raise ReadError("empty file")
    text, encoding, replaced = decode_report_text(data)
    return ReportText(text, format="txt", encoding=encoding, replaced_bytes=replaced)


READERS: dict[str, Callable[[Path], ReportText]] = {
    ".txt": read_txt,
    ".html": read_html,
    ".htm": read_html,
    ".mht": read_mhtml,
    ".mhtml": read_mhtml,
    ".docx": read_docx,
    ".pdf": read_pdf,
    ".doc": read_doc,
}


def read_report_file(path: Path) -> ReportText:
    """The text of one report file, or :class:`ReadError` saying why it cannot be had (:class:`NotAReport`
    when it reads well but holds no Chinese report text)."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise ReadError(f"not a report format ({', '.join(sorted(READERS))})")
    try:
        size = path.stat().st_size
    except OSError as e:
        raise ReadError(f"cannot read: {e.strerror}") from None
    if size == 0:
        raise ReadError("empty file")
    if size > MAX_FILE_BYTES:
        raise ReadError(f"file is {size} bytes; the limit is {MAX_FILE_BYTES} ({MAX_FILE_BYTES // 2**20} MiB)")
    if not os.access(path, os.R_OK):
        raise ReadError("cannot read: permission denied")
    file_limits = limits.FileLimits(MAX_TEXT_CHARS, MAX_UNZIPPED_BYTES, MAX_ZIP_PART_BYTES, MAX_SECONDS_PER_FILE)
    try:
        with limits.reading(file_limits):
            result = reader(path)
            limits.check_time()
    except OSError as e:
        raise ReadError(f"cannot read: {e.strerror or e}") from None
    if not result.text.strip():
        raise ReadError("empty file" if result.format == "txt" else f"no text in the {result.format} file")
    if len(result.text) > MAX_TEXT_CHARS:
        raise limits.text_over_limit(len(result.text), MAX_TEXT_CHARS)
    why_not = chinese_report_text(result.text)
    if why_not:
        raise NotAReport(why_not)
    return result
