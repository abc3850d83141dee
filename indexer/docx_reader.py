"""Word files: ``.docx`` read with python-docx (paragraphs, headings and table rows in document order).

The old binary ``.doc`` format cannot be read; such a file fails with a reason saying to save it as ``.docx``.
A ``.docx`` is a zip package: what its parts hold once unzipped is limited (:mod:`indexer.limits`) before
python-docx opens it, so that a small file holding gigabytes of XML fails at once.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from indexer import limits
from indexer.report_text import ReadError, ReportText

_PICTURES = ("word/media/", "word/embeddings/")  # parts that are not parsed: only their total counts


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
    chars = 0
    for block in document.iter_inner_content():
        limits.check_time()
        new = [_row_text(row) for row in block.rows] if isinstance(block, Table) else [block.text]
        lines.extend(new)
        chars += sum(map(len, new))
        limits.check_text(chars)
    return [line.strip() for line in lines if line.strip()]


def check_unzipped_sizes(package: zipfile.ZipFile) -> None:
    """:class:`ReadError` when a package's parts, unzipped, hold more than the limits allow.

    The sizes are the ones each part declares; a part that holds more than it declares is not read past that
    (Python's zipfile stops there and fails the CRC check), so a lie fails as damage, not as a bomb.
    """
    file_limits = limits.current()
    total = 0
    for info in package.infolist():
        total += info.file_size
        if info.file_size > file_limits.max_zip_part_bytes and not info.filename.startswith(_PICTURES):
            raise ReadError(
                f"{info.filename} holds {info.file_size:,} bytes unzipped; the limit is "
                f"{limits.mib(file_limits.max_zip_part_bytes)} per part of a Word file"
            )
    if total > file_limits.max_unzipped_bytes:
        raise ReadError(
            f"holds {total:,} bytes unzipped; the limit is {limits.mib(file_limits.max_unzipped_bytes)} per Word file"
        )


def read_docx(path: Path) -> ReportText:
    """A Word ``.docx`` file's paragraphs, headings and table rows, in order."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    if not zipfile.is_zipfile(path):
        raise ReadError("damaged or truncated Word file (not a .docx zip package)")
    try:
        with zipfile.ZipFile(path) as package:
            check_unzipped_sizes(package)
        document = docx.Document(str(path))
        lines = docx_lines(document)
    except PackageNotFoundError:
        raise ReadError("damaged or truncated Word file (not a Word package)") from None
    except (OSError, ReadError):
        raise
    except Exception as e:  # a part missing or cut short: python-docx and lxml fail in many ways, all one to the user
        raise ReadError(f"damaged or truncated Word file ({type(e).__name__}: {e})") from None
    if not lines:
        raise ReadError("empty Word document (no text)")
    return ReportText("\n\n".join(lines), format="docx")


def read_doc(path: Path) -> ReportText:
    """Old binary Word files are not read: say so, so the user can convert them."""
    raise ReadError("old Word 97-2003 format (.doc) cannot be read; save it as .docx or PDF")
