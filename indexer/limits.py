"""What reading one file may cost: the text it may give, what a zip package (``.docx``) may unpack to, and time.

A file's bytes are limited before it is opened (:data:`indexer.readers.MAX_FILE_BYTES`); these limit what the
bytes hold, so that a small file that unpacks to gigabytes fails at once with a reason instead of taking
minutes and memory. :func:`indexer.readers.read_report_file` sets the limits for the file it reads; the
readers check them as they go (:func:`check_time`, :func:`check_text`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from indexer.report_text import ReadError

MAX_TEXT_CHARS = 2_000_000
"""Characters of text one file may give (a report is 5–20k; the longest real ones stay under 200k)."""

MAX_UNZIPPED_BYTES = 64 * 2**20
"""Bytes a ``.docx`` may hold once unzipped, all its parts together (pictures included)."""

MAX_ZIP_PART_BYTES = 16 * 2**20
"""Bytes one part of a ``.docx`` other than a picture may hold unzipped (``word/document.xml`` of a long report
is a few MB; parsing XML costs some 30 times its size in memory)."""

MAX_SECONDS_PER_FILE = 60.0
"""Seconds reading one file may take (a report takes well under one)."""


@dataclass(frozen=True)
class FileLimits:
    max_text_chars: int = MAX_TEXT_CHARS
    max_unzipped_bytes: int = MAX_UNZIPPED_BYTES
    max_zip_part_bytes: int = MAX_ZIP_PART_BYTES
    seconds: float = MAX_SECONDS_PER_FILE
    started: float = field(default_factory=time.monotonic)


_current: ContextVar[FileLimits | None] = ContextVar("file_limits", default=None)


def current() -> FileLimits:
    """The limits of the file being read (the defaults, timed from now, outside :func:`reading`)."""
    return _current.get() or FileLimits()


@contextmanager
def reading(limits: FileLimits) -> Iterator[FileLimits]:
    """Apply ``limits`` to the file read inside the ``with`` block."""
    token = _current.set(limits)
    try:
        yield limits
    finally:
        _current.reset(token)


def mib(n: int) -> str:
    """A byte count as the user reads a limit.

    >>> mib(16 * 2**20), mib(1000)
    ('16 MiB', '1,000 bytes')
    """
    return f"{n // 2**20} MiB" if n >= 2**20 and n % 2**20 == 0 else f"{n:,} bytes"


def check_time() -> None:
    """:class:`ReadError` when the file being read has taken longer than its limit."""
    limits = _current.get()
    if limits is not None and time.monotonic() - limits.started >= limits.seconds:
        raise ReadError(f"took longer than {limits.seconds:g} s to read (the limit per file)")


def text_over_limit(chars: int, limit: int, exact: bool = True) -> ReadError:
    amount = f"{chars:,}" if exact else f"over {limit:,}"
    return ReadError(f"{amount} characters of text; the limit is {limit:,} per file (a report is 5–20k)")


def check_text(chars: int) -> None:
    """:class:`ReadError` as soon as the text read so far from a file passes the limit."""
    limit = current().max_text_chars
    if chars > limit:
        raise text_over_limit(chars, limit, exact=False)
