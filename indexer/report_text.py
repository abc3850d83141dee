"""What a reader gives back for one file: the report's text, plus what the file format itself says about it."""

from __future__ import annotations

from dataclasses import dataclass


class ReadError(Exception):
    """A report file that could not be read; the message says why, in the user's terms."""


@dataclass(frozen=True)
class ReportText:
    """The text of one report file and the hints its format gives.

    ``text`` is plain text as :func:`indexer.parsing.parse_report` takes it. Formats that know their paragraphs
    (a web page's ``<p>``, Word's paragraphs, a PDF's rejoined lines) separate them with blank lines, so that
    parsing never takes them for one hard-wrapped paragraph.
    ``title`` and ``publish_date`` are set when the format says them outright (a web page's headline and its
    "发布时间" line); they win over what parsing the text finds.
    """

    text: str
    format: str  # txt | html | docx | pdf
    encoding: str | None = None  # the character encoding of a text or HTML file; None for docx/pdf
    title: str | None = None
    publish_date: str | None = None  # ISO date
    replaced_bytes: int = 0  # bytes that were not valid in the encoding, each run shown as U+FFFD
    source_url: str | None = None  # the page's original address, when the saved file says it
    accessed: str | None = None  # ISO date the page was saved (an MHTML file's Date:), when known
