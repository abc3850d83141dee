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
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

import numpy as np
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


DASHES = "-‐‑‒–—―－─⁃﹣﹘−⸺⸻"
"""Dashes and hyphens a reader takes for the same mark: each folds to ``-``, and a run of them to one."""
MIDDLE_DOTS = "·•・‧･∙⋅"
"""Middle dots (in names such as 买买提·艾力, and list bullets): each folds to ``·``."""
ELLIPSES = "…⋯"
"""Ellipsis marks: each folds to ``…`` (not NFKC's three full stops), and a run of them (``……``) to one."""
QUOTES = {"“": '"', "”": '"', "„": '"', "‟": '"', "〝": '"', "〞": '"', "‘": "'", "’": "'", "‚": "'", "‛": "'"}
"""Curly quotation marks fold to the straight ones (full-width straight ones already do, by NFKC)."""

_MARKS = {**dict.fromkeys(DASHES, "-"), **dict.fromkeys(MIDDLE_DOTS, "·"), **dict.fromkeys(ELLIPSES, "…"), **QUOTES}
_RUN_MARKS = "-…"  # a run of these, in folded text, is one mark
_RUNS = re.compile("|".join(f"{re.escape(m)}{{2,}}" for m in _RUN_MARKS))


@lru_cache(maxsize=65536)
def fold_char(ch: str) -> str:
    """Fold one character to its matching form; may return "" (dropped) or several characters (NFKC).

    Marks a reader treats as the same (:data:`DASHES`, :data:`MIDDLE_DOTS`, :data:`ELLIPSES`, curly
    :data:`QUOTES`) fold to one of them; :func:`fold` then makes a run of dashes or ellipses one mark.
    """
    if ch.isspace() or unicodedata.category(ch) == "Cf":
        return ""
    if ch in _MARKS:
        return _MARKS[ch]
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


def _collapse(run: re.Match) -> str:
    return run.group()[0]


def fold(text: str) -> str:
    """The matching form of ``text``: every character folded on its own (see :func:`fold_char`), then each
    run of dashes or of ellipses made one mark (whitespace between them dropped first).

    >>> fold("2021——2025年"), fold("2021 - 2025"), fold("……")
    ('2021-2025年', '2021-2025', '…')
    """
    folded = text.translate(_FOLD_TABLE)
    return _RUNS.sub(_collapse, folded) if "--" in folded or "……" in folded else folded


def folds_one_for_one(text: str) -> bool:
    """Whether folding maps ``text`` character for character, so that offsets in its folded form are offsets
    in it (as they nearly always are: see :func:`fold_with_extents`).

    >>> folds_one_for_one("２０２１年"), folds_one_for_one("年——至")
    (True, False)
    """
    return _one_for_one(text, text.translate(_FOLD_TABLE))


def folds_one_for_one_each(texts: Sequence[str]) -> np.ndarray:
    """:func:`folds_one_for_one` of each text, worked out at once over their code points (what the indexer
    asks of a batch of passages): a text is not when one of its characters folds to nothing or to several, or
    two neighbours fold to the dashes or ellipses a run of which :func:`fold` makes one.

    >>> folds_one_for_one_each(["２０２１年", "年——至", "年…至", "a\u200bb"]).tolist()
    [True, False, True, False]
    """
    size, one = _fold_arrays()
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    for code in np.unique(codes[size[codes] < 0]).tolist():
        folded = fold_char(chr(code))
        size[code], one[code] = min(len(folded), 2), ord(folded) if len(folded) == 1 else 0
    owner = np.repeat(np.arange(len(texts)), lengths)
    folded = one[codes]
    run = (owner[1:] == owner[:-1]) & (folded[1:] == folded[:-1]) & np.isin(folded[1:], _RUN_CODES)
    regular = np.ones(len(texts), dtype=bool)
    regular[owner[size[codes] != 1]] = False
    regular[owner[1:][run]] = False
    return regular


_RUN_CODES = np.array([ord(m) for m in _RUN_MARKS], dtype=np.uint32)


@lru_cache(maxsize=1)
def _fold_arrays() -> tuple[np.ndarray, np.ndarray]:
    """By code point, filled on first sight as :data:`_FOLD_TABLE` is: how many characters it folds to (0, 1,
    or 2 for several; -1 not seen yet), and the one it folds to when one (made when first needed: 5.5 MB)."""
    return np.full(0x110000, -1, dtype=np.int8), np.zeros(0x110000, dtype=np.uint32)


def _one_for_one(text: str, translated: str) -> bool:
    # (After the translation: the table knows which of the text's characters are irregular.)
    return (
        len(translated) == len(text)
        and _FOLD_TABLE.irregular.isdisjoint(text)
        and "--" not in translated
        and "……" not in translated
    )


def fold_with_extents(text: str) -> tuple[str, list[int], list[int]]:
    """Fold ``text`` and return, for each folded character, the first and one past the last original character
    it stands for: ``text[starts[i]:ends[i]]`` is what folded character *i* came from (a whole run of dashes
    for the one ``-`` it folds to), so a match ``folded[a:b]`` covers ``text[starts[a]:ends[b - 1]]``.

    >>> fold_with_extents("年——至")
    ('年-至', [0, 1, 3], [1, 3, 4])
    """
    folded = text.translate(_FOLD_TABLE)
    if _one_for_one(text, folded):  # the usual case
        return folded, list(range(len(text))), list(range(1, len(text) + 1))
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for i, ch in enumerate(text):
        for c in fold_char(ch):
            if c in _RUN_MARKS and parts and parts[-1] == c:
                ends[-1] = i + 1  # the run goes on: the one mark stands for all of it
                continue
            parts.append(c)
            starts.append(i)
            ends.append(i + 1)
    return "".join(parts), starts, ends


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` and return, for each folded character, the index of the original character it came from
    (the first of a run; :func:`fold_with_extents` gives where each ends too)."""
    folded, starts, _ = fold_with_extents(text)
    return folded, starts


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
