"""Reading report files into text. One reader per file format, registered in :data:`READERS`.

Each reader takes a path and returns a :class:`~indexer.report_text.ReportText` (the text, plus the title and
publish date when the format states them), or raises :class:`ReadError` saying, in the user's terms, why not.
Formats: ``.txt`` (UTF-8, GB18030/GBK, UTF-16, Big5: detected, see :mod:`indexer.encoding`), saved web pages
``.html``/``.htm`` (:mod:`indexer.html_reader`), Word ``.docx`` (:mod:`indexer.docx_reader`) and PDF with a
text layer (:mod:`indexer.pdf_reader`). Old ``.doc`` files are recognised and fail with a reason.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from indexer.docx_reader import read_doc, read_docx
from indexer.encoding import decode_text
from indexer.html_reader import read_html, read_mhtml
from indexer.pdf_reader import read_pdf
from indexer.report_text import ReadError, ReportText

__all__ = ["MAX_FILE_BYTES", "READERS", "ReadError", "ReportText", "read_report_file", "read_txt"]

MAX_FILE_BYTES = 20 * 1024 * 1024
"""Files larger than this are not read (a report is 5–20k characters; 20 MiB is far past any real one, even a PDF)."""


def read_txt(path: Path) -> ReportText:
    """A plain-text file in UTF-8 (BOM or not), GB18030/GBK, UTF-16 or Big5; the encoding is detected."""
    data = path.read_bytes()
    if not data.strip():
        raise ReadError("empty file")
    text, encoding = decode_text(data)
    return ReportText(text, format="txt", encoding=encoding)


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
    """The text of one report file, or :class:`ReadError` saying why it cannot be had."""
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
    try:
        result = reader(path)
    except OSError as e:
        raise ReadError(f"cannot read: {e.strerror or e}") from None
    if not result.text.strip():
        raise ReadError("empty file" if result.format == "txt" else f"no text in the {result.format} file")
    return result
