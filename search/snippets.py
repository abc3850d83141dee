"""Finding matched occurrences in a passage's original text and rendering them as an HTML snippet."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from search.analysis import find_all, fold_with_extents

if TYPE_CHECKING:
    from search.query import ParsedQuery

SNIPPET_WHOLE_MAX = 240
"""A passage up to this many characters is shown whole."""
SNIPPET_WINDOW = 160
"""Otherwise a window of about this many characters (never fewer than 120) around the best matches."""


def match_spans(text: str, literals: tuple[str, ...]) -> tuple[list[tuple[int, int]], int]:
    """Spans of ``text`` (original offsets) where any folded literal occurs, merged, and the occurrence count.

    The count is the number of non-overlapping occurrences of each literal, summed over the literals.

    >>> match_spans("“枫桥经验”和楓橋經驗", ("枫桥经验",))
    ([(1, 5), (7, 11)], 2)
    """
    folded, starts, ends = fold_with_extents(text)
    spans: list[tuple[int, int]] = []
    count = 0
    for lit in literals:
        for start in find_all(folded, lit):
            spans.append((starts[start], ends[start + len(lit) - 1]))
            count += 1
    return merge_spans(spans), count


def occurrence_spans(text: str, parsed: ParsedQuery) -> list[tuple[int, int]]:
    """Each occurrence (处) of the query in ``text`` as a span of the original text, in text order: what
    :meth:`ParsedQuery.occurrences` finds in the folded text, widened to whole runs of folded marks.

    >>> from search.query import parse_query
    >>> occurrence_spans("2021——2025年；枫桥经验", parse_query("2021-2025年 OR 枫桥"))
    [(0, 11), (12, 14)]
    """
    folded, starts, ends = fold_with_extents(text)
    return [(starts[s], ends[e - 1]) for s, e in parsed.occurrences(folded)]


def query_spans(text: str, parsed: ParsedQuery) -> tuple[list[tuple[int, int]], int]:
    """Spans to mark in ``text`` for the query (merged) and its occurrence count: a hit's highlights and
    ``matches``. A proximity pair marks only the occurrences that have a partner."""
    spans = occurrence_spans(text, parsed)
    return merge_spans(spans), len(spans)


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort spans and merge those that overlap or touch."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def mark(text: str, spans: list[tuple[int, int]]) -> str:
    """HTML of ``text`` with each span in ``<mark>`` and everything else escaped."""
    out: list[str] = []
    pos = 0
    for start, end in spans:
        out.append(escape(text[pos:start]))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)


def best_window(length: int, spans: list[tuple[int, int]], width: int) -> tuple[int, int]:
    """The ``width``-character window of a text of ``length`` that holds the most spans whole.

    The window starts a little before its first span so the reader sees the lead-in, and is widened
    so that no span is cut in two.
    """
    if not spans:
        return 0, min(length, width)
    best_i, best_n = 0, 0
    j = 0
    for i, (start, _) in enumerate(spans):
        while j < len(spans) and spans[j][1] - start <= width:
            j += 1
        if j - i > best_n:
            best_i, best_n = i, j - i
    lead = min(20, width // 6)
    start = max(0, spans[best_i][0] - lead)
    end = min(length, start + width)
    start = max(0, end - width)
    for s, e in spans:  # never cut a span
        if s < start < e:
            start = s
        if s < end < e:
            end = e
    return start, end


def snippet(text: str, spans: list[tuple[int, int]]) -> str:
    """The passage, or a window around its best matches, with matches marked; ``…`` shows a cut."""
    if len(text) <= SNIPPET_WHOLE_MAX:
        return mark(text, spans)
    start, end = best_window(len(text), spans, SNIPPET_WINDOW)
    inside = [(s - start, e - start) for s, e in spans if s >= start and e <= end]
    body = mark(text[start:end], inside)
    return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")
