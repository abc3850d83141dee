"""Splitting a report's text into paragraphs, the unit every passage is made of."""

from __future__ import annotations

from collections import Counter

from indexer.sections import heading_marker

# A line that ends a sentence or a clause list cannot be a wrapped line cut mid-sentence.
_CLOSING_PUNCTUATION = "。！？；：!?;:"
# Wrapped text shows the same line width again and again; fewer repeats is coincidence.
_MIN_WRAPPED_LINES = 3
_MIN_WRAP_WIDTH = 20


def wrap_width(lines: list[str]) -> int | None:
    """The width at which the text was hard-wrapped, or None when lines are whole paragraphs.

    A wrapped text has many lines of one length that stop mid-sentence.
    """
    cut = Counter(len(line) for line in lines if line and line[-1] not in _CLOSING_PUNCTUATION)
    if not cut:
        return None
    width, count = max(cut.items(), key=lambda item: (item[1], item[0]))
    if width >= _MIN_WRAP_WIDTH and count >= _MIN_WRAPPED_LINES:
        return width
    return None


def _continues(line: str, following: str, width: int) -> bool:
    """Whether ``following`` is the rest of the paragraph that ``line`` was cut from."""
    return len(line) >= width - 1 and line[-1] not in _CLOSING_PUNCTUATION and heading_marker(following) is None


def split_paragraphs(text: str) -> list[str]:
    """The paragraphs of ``text``, stripped, in order.

    One non-empty line is one paragraph, unless the text is clearly hard-wrapped: then the lines a paragraph
    was cut into are joined again (blank lines always separate paragraphs).
    """
    lines = [line.strip() for line in text.splitlines()]
    width = wrap_width(lines)
    paragraphs: list[str] = []
    joining = False
    for line in lines:
        if not line:
            joining = False
            continue
        if joining and width is not None and _continues(paragraphs[-1].rsplit("\n", 1)[-1], line, width):
            paragraphs[-1] += "\n" + line
        else:
            paragraphs.append(line)
        joining = True
    # Chinese has no spaces between words, so wrapped lines join with nothing between them.
    return [p.replace("\n", "") for p in paragraphs]
