"""Reading report files into text. One reader per file type; other formats slot into :data:`READERS`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

MAX_FILE_BYTES = 20 * 1024 * 1024
"""Files larger than this are not read (a report is 5–20k characters; 20 MiB is far past any real one)."""


class ReadError(Exception):
    """A report file that could not be read; the message says why, in the user's terms."""


def read_txt(path: Path) -> str:
    """A UTF-8 text file (a BOM is allowed)."""
    data = path.read_bytes()
    if b"\x00" in data:
        raise ReadError("binary file (holds NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ReadError(f"not valid UTF-8 (byte {e.start})") from None
    if not text.strip():
        raise ReadError("empty file")
    return text


READERS: dict[str, Callable[[Path], str]] = {
    ".txt": read_txt,
}


def read_report_file(path: Path) -> str:
    """The text of one report file, or :class:`ReadError` saying why it cannot be had."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise ReadError(f"not a report format ({', '.join(sorted(READERS))})")
    try:
        size = path.stat().st_size
    except OSError as e:
        raise ReadError(f"cannot read: {e.strerror}") from None
    if size > MAX_FILE_BYTES:
        raise ReadError(f"file is {size} bytes; the limit is {MAX_FILE_BYTES}")
    try:
        return reader(path)
    except OSError as e:
        raise ReadError(f"cannot read: {e.strerror}") from None
