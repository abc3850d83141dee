"""Text analysis shared by indexing and searching: folding for matching, and the two Whoosh tokenizers.

Matching runs on *folded* text: each character is folded on its own (NFKC, traditional to simplified,
Latin case folded; invisible format characters and whitespace dropped), so a string folds the same way
alone, as a query, and inside any text. Users are always shown the original text; the offsets kept by
:func:`fold_with_offsets` map a match in folded text back to the original characters.

Two token streams come from folded text, whatever the engine: :func:`char_tokens` (every character,
punctuation included, so adjacency in the index is adjacency in the text) for exact matching, and
:func:`segment` (jieba's words) for ranking.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

import rjieba


@lru_cache(maxsize=1)
def traditional_to_simplified() -> dict[str, str]:
    """OpenCC's character table (``TSCharacters.txt``): one traditional character to its first simplified form."""
    table: dict[str, str] = {}
    text = resources.files("opencc").joinpath("dictionary/TSCharacters.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        key, _, values = line.partition("\t")
        first = values.split(" ")[0] if values else ""
        if len(key) == 1 and len(first) == 1 and key != first:
            table[key] = first
    return table


@lru_cache(maxsize=65536)
def fold_char(ch: str) -> str:
    """Fold one character to its matching form; may return "" (dropped) or several characters (NFKC)."""
    if ch.isspace() or unicodedata.category(ch) == "Cf":
        return ""
    t2s = traditional_to_simplified()
    out = []
    for c in unicodedata.normalize("NFKC", ch):
        if c.isspace():
            continue
        out.append(t2s.get(c, c))
    return "".join(out).casefold()


class _FoldTable(dict):
    """Code point → folded form, for :meth:`str.translate`: filled on first sight of each character, so
    folding a text runs in C. Characters that do not fold to exactly one are noted in ``irregular``."""

    def __init__(self) -> None:
        super().__init__()
        self.irregular: set[str] = set()

    def __missing__(self, code: int) -> str:
        folded = fold_char(chr(code))
        if len(folded) != 1:
            self.irregular.add(chr(code))
        self[code] = folded
        return folded


_FOLD_TABLE = _FoldTable()


def fold(text: str) -> str:
    """The matching form of ``text``: every character folded on its own (see :func:`fold_char`)."""
    return text.translate(_FOLD_TABLE)


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` and return, for each folded character, the index of the original character it came from."""
    folded = text.translate(_FOLD_TABLE)
    if len(folded) == len(text) and _FOLD_TABLE.irregular.isdisjoint(text):  # the usual case: one for one
        return folded, list(range(len(text)))
    parts: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        f = fold_char(ch)
        if f:
            parts.append(f)
            origin.extend([i] * len(f))
    return "".join(parts), origin


def find_all(haystack: str, needle: str) -> list[int]:
    """Start offsets of the non-overlapping occurrences of ``needle`` in ``haystack``, left to right."""
    starts: list[int] = []
    if not needle:
        return starts
    i = haystack.find(needle)
    while i != -1:
        starts.append(i)
        i = haystack.find(needle, i + len(needle))
    return starts


def char_tokens(folded: str) -> list[tuple[str, int, int]]:
    """One token per folded character as ``(char, start, end)``; punctuation stays, so it breaks adjacency."""
    return [(c, i, i + 1) for i, c in enumerate(folded)]


_WORD_RUN = re.compile(r"[^\W_]+")


def segment(folded: str) -> list[tuple[str, int, int]]:
    """jieba's words of already-folded text as ``(word, start, end)``, punctuation dropped.

    rjieba (jieba-rs) gives jieba's tokens except that it keeps runs such as ``2021-2025`` whole; splitting
    every token at punctuation makes the two agree (a test holds them equal on the sample reports).
    """
    words: list[tuple[str, int, int]] = []
    for word, start, end in rjieba.tokenize(folded):
        if word.isalnum():
            words.append((word, start, end))
        else:
            words.extend((m.group(), start + m.start(), start + m.end()) for m in _WORD_RUN.finditer(word))
    return words
