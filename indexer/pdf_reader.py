"""PDF files with a text layer, read with pypdf: lines that layout broke are joined back into paragraphs.

Page numbers (``- 3 -``, ``第3页``) and running headers and footers (the same line atop or under most pages) are
dropped. A PDF without a text layer (a scan) fails with that reason: it needs OCR first. pypdf limits what one
stream may inflate to (75 MB); the text extracted and the time taken are limited here, page by page.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import warnings
from collections import Counter
from pathlib import Path

from indexer import limits
from indexer.report_text import ReadError, ReportText
from indexer.sections import heading_marker

_PAGE_NUMBER = re.compile(
    r"[-—–－\s]*(?:第\s*)?\d{1,4}\s*(?:页)?\s*(?:[/／]\s*\d{1,4}|共\s*\d{1,4}\s*页)?[-—–－\s]*"
    r"|[-—–－\s]*(?:第\s*)?[一二三四五六七八九十百]+\s*页[-—–－\s]*"
)
_EDGE_LINES = 2  # lines at the top and bottom of a page that may be a running header, footer or page number
_MIN_TEXT_PER_PAGE = 20  # fewer non-blank characters per page than this: the PDF is a scan
_INDENT = re.compile(r"^(?:\u3000|\s{2,})")
_SHORT_LINE = 0.85  # a line narrower than this share of the full width ends its paragraph

logging.getLogger("pypdf").setLevel(logging.ERROR)


def _width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line.strip())


def _edge_key(line: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", line))


def drop_page_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Pages without page numbers and without running headers or footers (edge lines most pages repeat)."""
    edges = Counter()
    for lines in pages:
        nonblank = [line for line in lines if line.strip()]
        keys = {_edge_key(line) for line in nonblank[:_EDGE_LINES] + nonblank[-_EDGE_LINES:]}
        edges.update(keys)
    repeated = {key for key, n in edges.items() if n >= 2 and n >= len(pages) / 2} if len(pages) >= 2 else set()
    out = []
    for lines in pages:
        nonblank = [i for i, line in enumerate(lines) if line.strip()]
        edge = set(nonblank[:_EDGE_LINES] + nonblank[-_EDGE_LINES:])
        out.append(
            [
                line
                for i, line in enumerate(lines)
                if not (i in edge and (_PAGE_NUMBER.fullmatch(line) or _edge_key(line) in repeated))
            ]
        )
    return out


def join_lines(lines: list[str]) -> list[str]:
    """Paragraphs from layout lines: a line continues the paragraph above unless it is indented, opens with a
    heading number, or the line above stopped short of the full width.

    >>> join_lines(["　　法治政府建设取得", "积极成效。", "一、主要举措", "　　推进依法行政。"])
    ['法治政府建设取得积极成效。', '一、主要举措', '推进依法行政。']
    """
    lines = [line.rstrip() for line in lines if line.strip()]
    if not lines:
        return []
    widths = sorted(_width(line) for line in lines)
    full = widths[int(len(widths) * 0.9)] if len(widths) >= 5 else widths[-1]
    paragraphs: list[str] = []
    previous = ""
    for line in lines:
        text = line.strip()
        starts_new = (
            not paragraphs
            or _INDENT.match(line) is not None
            or heading_marker(text) is not None
            or _width(previous) < _SHORT_LINE * full
        )
        if starts_new:
            paragraphs.append(text)
        else:
            # Chinese joins with nothing between; Latin words broken at a line end get a space back.
            glue = (
                " "
                if previous[-1:].isascii() and previous[-1:].isalpha() and text[:1].isascii() and text[:1].isalpha()
                else ""
            )
            paragraphs[-1] += glue + text
        previous = text
    return paragraphs


def pdf_text(pages: list[str]) -> str:
    """The report text of a PDF's per-page text: furniture dropped, paragraphs joined, one per line."""
    cleaned = drop_page_furniture([page.splitlines() for page in pages])
    return "\n\n".join(join_lines([line for lines in cleaned for line in lines]))


def read_pdf(path: Path) -> ReportText:
    """A PDF's text layer as paragraphs; a scan, an encrypted or a damaged PDF fails with that reason."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    data = path.read_bytes()
    if not data.startswith(b"%PDF"):
        raise ReadError("not a PDF file (no %PDF header)")
    if b"%%EOF" not in data[-2048:]:
        raise ReadError("damaged or truncated PDF (no end-of-file marker)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(path, strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise ReadError("encrypted PDF (it needs a password)")
            pages = []
            chars = 0
            for page in reader.pages:
                limits.check_time()
                pages.append(page.extract_text() or "")
                chars += len(pages[-1])
                limits.check_text(chars)
    except (ReadError, OSError):
        raise
    except Exception as e:  # pypdf fails in many ways on a malformed file; all mean the same to the user
        kind = "damaged PDF" if isinstance(e, PyPdfError) else "damaged PDF, or one pypdf cannot read"
        raise ReadError(f"{kind} ({type(e).__name__}: {e})") from None
    if not pages:
        raise ReadError("PDF has no pages")
    if sum(len(re.sub(r"\s", "", page)) for page in pages) < _MIN_TEXT_PER_PAGE * len(pages):
        raise ReadError("scanned, no text layer (the PDF holds only images; run OCR first)")
    return ReportText(pdf_text(pages), format="pdf")
