"""Word files: ``.docx`` read with python-docx (paragraphs, headings and table rows in document order).

The old binary ``.doc`` format cannot be read; such a file fails with a reason saying to save it as ``.docx``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from indexer.report_text import ReadError, ReportText


def _row_text(row) -> str:
    cells: list[str] = []
    for cell in row.cells:
        text = cell.text.strip()
        # A merged cell is returned once per grid column it spans.
        if text and (not cells or cells[-1] != text):
            cells.append(text)
    return " ".join(cells)


def docx_lines(document) -> list[str]:
    """The text of a python-docx ``Document``: one line per paragraph or table row, in document order."""
    from docx.table import Table

    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines.extend(_row_text(row) for row in block.rows)
        else:
            lines.append(block.text)
    return [line.strip() for line in lines if line.strip()]


def read_docx(path: Path) -> ReportText:
    """A Word ``.docx`` file's paragraphs, headings and table rows, in order."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    if not zipfile.is_zipfile(path):
        raise ReadError("damaged or truncated Word file (not a .docx zip package)")
    try:
        document = docx.Document(str(path))
        lines = docx_lines(document)
    except PackageNotFoundError:
        raise ReadError("damaged or truncated Word file (not a Word package)") from None
    except OSError:
        raise
    except Exception as e:  # a part missing or cut short: python-docx and lxml fail in many ways, all one to the user
        raise ReadError(f"damaged or truncated Word file ({type(e).__name__}: {e})") from None
    if not lines:
        raise ReadError("empty Word document (no text)")
    return ReportText("\n\n".join(lines), format="docx")


def read_doc(path: Path) -> ReportText:
    """Old binary Word files are not read: say so, so the user can convert them."""
    raise ReadError("old Word 97-2003 format (.doc) cannot be read; save it as .docx or PDF")
