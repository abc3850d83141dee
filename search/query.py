"""The query language: space-separated terms (all must occur), ``"quoted phrases"``, ``A OR B``, ``-term``.

Parsing is a pure function from the user's string to a :class:`ParsedQuery` of folded literals; what
matches a literal is plain substring containment in folded passage text (see :mod:`search.analysis`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from search.analysis import fold, segment

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


@dataclass(frozen=True)
class Clause:
    """A passage satisfies the clause when any of ``literals`` occurs in it (or, if ``negated``, none does)."""

    literals: tuple[str, ...]
    negated: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    clauses: tuple[Clause, ...] = ()

    @property
    def positive(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if not c.negated)

    @property
    def negative(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if c.negated)

    def highlight_literals(self) -> tuple[str, ...]:
        """Every literal a reader should see marked: those of the positive clauses, longest first."""
        lits = {lit for c in self.positive for lit in c.literals}
        return tuple(sorted(lits, key=lambda s: (-len(s), s)))

    def ranking_words(self) -> list[str]:
        """The jieba words of the positive literals, once each: what BM25 ranks matches by, in every engine."""
        return list(dict.fromkeys(w for c in self.positive for lit in c.literals for w, _, _ in segment(lit)))

    @property
    def is_empty(self) -> bool:
        return not self.clauses


def parse_query(text: str) -> ParsedQuery:
    """Parse the user's query string.

    >>> parse_query('枫桥经验 OR "首违 不罚" -信访').clauses
    (Clause(literals=('枫桥经验', '首违不罚'), negated=False), Clause(literals=('信访',), negated=True))

    ``OR`` (upper case) joins the terms either side of it; an ``OR`` with nothing on one side is ignored.
    A quoted phrase is one literal whatever spaces it holds; an unbalanced quote runs to the end.
    Terms that fold to nothing (only spaces or invisible characters) are dropped.
    """
    items: list[tuple[str, bool] | None] = []  # (literal, negated); None marks an OR
    for m in _TOKEN.finditer(text):
        if m.group(3) is not None:
            word = m.group(3)
            if word == "OR":
                items.append(None)
                continue
            negated = word.startswith("-") and len(word) > 1
            literal = fold(word[1:] if negated else word)
        else:
            negated = m.group(1) == "-"
            literal = fold(m.group(2))
        if literal:
            items.append((literal, negated))

    clauses: list[Clause] = []
    join_next = False
    for item in items:
        if item is None:
            join_next = bool(clauses) and not clauses[-1].negated
            continue
        literal, negated = item
        if join_next and not negated:
            last = clauses.pop()
            if literal not in last.literals:
                last = Clause(last.literals + (literal,))
            clauses.append(last)
        else:
            clauses.append(Clause((literal,), negated))
        join_next = False
    return ParsedQuery(tuple(clauses))
