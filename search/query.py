"""The query language, parsed to a small boolean tree of folded literals.

Forms (see the README's "Query syntax"): terms side by side (all must occur, or joined by ``AND`` ``and``
``&`` ``+``), ``"quoted phrases"`` (also ``“…”`` and ``「…」``), ``A OR B`` (also ``ＯＲ``, ``or``, ``|``),
``-term`` and ``－term`` (exclusion), parentheses for grouping, and proximity: ``A NEAR/10 B`` (also
``A /NEAR 10 B``) and ``A /SEN B`` (also ``A 同句 B``).

Parsing is a pure function from the user's string to a :class:`ParsedQuery`; what matches a literal is
plain substring containment in folded passage text (see :mod:`search.analysis`), and a proximity leaf is
checked on the positions of its two literals in that text (:func:`near_occurrences`). Every search path
evaluates the same tree: sets of rows (:mod:`search.core`), numpy masks (:mod:`search.counting`), tantivy
boolean queries; this module's :meth:`ParsedQuery.matches` and :meth:`ParsedQuery.occurrences` are the
definition they all agree with, one folded passage at a time.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Union

from search.analysis import find_all, fold, segment

SENTENCE_ENDS = "。!?;"
"""Folded marks that end a sentence for ``/SEN`` (同句): 。！？； and their ASCII forms (full-width ones
fold to ASCII); a passage's end ends its last sentence."""

MAX_TERMS = 32
"""Distinct literals in one query (repeated ones count once)."""
MAX_NEGATIONS = 16
"""Excluded terms or groups (``-``) in one query."""
MAX_OR_BRANCHES = 32
"""Alternatives joined by ``OR``, summed over the query."""
MAX_PROXIMITY = 4
"""Proximity operators (``NEAR/n``, ``/SEN``) in one query."""
MAX_DEPTH = 4
"""Levels of parentheses: ``((A OR B) C)`` has two."""
MAX_DISTANCE = 500
"""The largest ``NEAR/n``: a passage is rarely longer."""


class QueryError(ValueError):
    """A query that cannot be searched (only operators, or past a limit): the search reports it as ``q``."""


# --- the tree ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """Passages whose folded text holds ``literal``; every occurrence counts."""

    literal: str


@dataclass(frozen=True)
class Near:
    """Passages where an occurrence of ``left`` and one of ``right`` lie within ``distance`` characters of each
    other (characters between the end of one and the start of the other, in folded text), or, when
    ``distance`` is None, start in the same sentence. The occurrences counted are those with a partner."""

    left: str
    right: str
    distance: int | None = None

    @property
    def literals(self) -> tuple[str, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Node = Union[Term, Near, And, Or, Not]  # noqa: UP007 - a runtime alias


def near_occurrences(folded: str, near: Near) -> list[tuple[str, int]]:
    """The occurrences ``(literal, start)`` of a proximity leaf's literals that have a partner in ``folded``.

    >>> near_occurrences("枫桥经验促调解，调解", Near("枫桥经验", "调解", 1))
    [('枫桥经验', 0), ('调解', 5)]
    >>> near_occurrences("枫桥经验。调解", Near("枫桥经验", "调解"))
    []
    """
    left, right = find_all(folded, near.left), find_all(folded, near.right)
    if not left or not right:
        return []
    marks = [i for i, c in enumerate(folded) if c in SENTENCE_ENDS] if near.distance is None else []

    def partnered(own: list[int], own_len: int, other: list[int], other_len: int, same: bool) -> list[int]:
        out = []
        for s in own:
            if near.distance is None:  # the other must start in the same sentence: no end mark before it since s's
                k = bisect_left(marks, s)
                lo, hi = (marks[k - 1] + 1 if k else 0), (marks[k] if k < len(marks) else len(folded))
            else:  # gap = other start − own end, or own start − other end, at most the distance
                lo, hi = s - near.distance - other_len, s + own_len + near.distance
            n = bisect_right(other, hi) - bisect_left(other, lo)
            if same and lo <= s <= hi:
                n -= 1  # an occurrence is not its own partner
            if n > 0:
                out.append(s)
        return out

    same = near.left == near.right
    found = [(near.left, s) for s in partnered(left, len(near.left), right, len(near.right), same)]
    if not same:
        found += [(near.right, s) for s in partnered(right, len(near.right), left, len(near.left), False)]
    return found


def node_matches(node: Node, folded: str) -> bool:
    """Whether one passage's folded text satisfies ``node``: the definition every search path agrees with."""
    if isinstance(node, Term):
        return node.literal in folded
    if isinstance(node, Near):
        return bool(near_occurrences(folded, node))
    if isinstance(node, And):
        return all(node_matches(c, folded) for c in node.children)
    if isinstance(node, Or):
        return any(node_matches(c, folded) for c in node.children)
    return not node_matches(node.child, folded)


def walk(node: Node, negated: bool = False):
    """Every node of the tree with whether it lies under a negation, parents first."""
    yield node, negated
    if isinstance(node, (And, Or)):
        for c in node.children:
            yield from walk(c, negated)
    elif isinstance(node, Not):
        yield from walk(node.child, True)


@dataclass(frozen=True)
class ParsedQuery:
    """A parsed query: its tree (None for the empty query, which matches every passage) and the notes on how
    it was read (Chinese, shown above the results)."""

    root: Node | None = None
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_empty(self) -> bool:
        return self.root is None

    def leaves(self, positive: bool | None = None) -> list[Term | Near]:
        """The leaves (terms and proximity pairs), of one polarity if asked: positive ones are under no negation."""
        if self.root is None:
            return []
        return [
            n for n, neg in walk(self.root) if isinstance(n, (Term, Near)) and (positive is None or neg != positive)
        ]

    @property
    def has_positive(self) -> bool:
        """Whether any literal lies under no negation (then there is something to rank and to highlight)."""
        return bool(self.leaves(positive=True))

    @property
    def has_proximity(self) -> bool:
        return any(isinstance(n, Near) for n in self.leaves())

    def literals(self) -> tuple[str, ...]:
        """Every distinct literal of the query, negated ones included."""
        return tuple(dict.fromkeys(lit for leaf in self.leaves() for lit in _leaf_literals(leaf)))

    def highlight_literals(self) -> tuple[str, ...]:
        """Every literal a reader should see marked (those under no negation), longest first."""
        lits = {lit for leaf in self.leaves(positive=True) for lit in _leaf_literals(leaf)}
        return tuple(sorted(lits, key=lambda s: (-len(s), s)))

    def ranking_words(self) -> list[str]:
        """The jieba words of the positive literals, once each: what BM25 ranks matches by, in every engine."""
        return list(dict.fromkeys(w for lit in self.highlight_literals() for w, _, _ in segment(lit)))

    def matches(self, folded: str) -> bool:
        """Whether a passage (its folded text) matches; the empty query matches every passage."""
        return self.root is None or node_matches(self.root, folded)

    def occurrences(self, folded: str) -> list[tuple[int, int]]:
        """The occurrences (处) in a passage's folded text, as ``(start, end)`` in text order (a longer one first
        where two start together): distinct ``(literal, start)`` over the positive leaves; a term gives all its
        non-overlapping occurrences, a proximity pair those with a partner."""
        found: set[tuple[str, int]] = set()
        for leaf in self.leaves(positive=True):
            if isinstance(leaf, Term):
                found.update((leaf.literal, s) for s in find_all(folded, leaf.literal))
            else:
                found.update(near_occurrences(folded, leaf))
        return sorted(((s, s + len(lit)) for lit, s in found), key=lambda se: (se[0], -se[1]))

    def count(self, folded: str) -> int:
        """How many occurrences :meth:`occurrences` finds (faster when the query has no proximity pair)."""
        if not self.has_proximity:
            return sum(folded.count(lit) for lit in self.highlight_literals())
        return len(self.occurrences(folded))


def _leaf_literals(leaf: Term | Near) -> tuple[str, ...]:
    return (leaf.literal,) if isinstance(leaf, Term) else leaf.literals


# --- reading the user's string ----------------------------------------------------------------------------

_OPEN_QUOTES = {'"': '"', "“": "”", "「": "」"}
_NEGATION = "-－"
_NEAR = re.compile(r"near/(\d+)")
_NEAR_ALONE = re.compile(r"(?i)/?near/.*|/near")  # looks like a proximity operator but is not a valid one
_NUMBER_AFTER = re.compile(r"\s*(\d+)(?!\S)")
_SPLIT = "|｜"  # split words wherever they stand (no report text needs them)


@dataclass
class _Token:
    kind: str  # "term", "or", "and", "near", "(", ")"
    text: str = ""  # the literal (folded) of a term; the original of an operator
    negated: bool = False  # a term or "(" written with a leading - or －
    distance: int | None = None  # of "near": None for the same sentence
    raw: str = ""  # what the user typed, for notes
    stray: bool = False  # a lone - or －: an operator with nothing to act on, read as text


def _operator_kind(word: str) -> tuple[str, int | None] | None:
    """The operator a whole word spells, if any: ``("or", None)``, ``("and", None)``, ``("near", n)``."""
    w = unicodedata.normalize("NFKC", word).casefold()
    if w == "or" or w in _SPLIT:
        return "or", None
    if w in ("and", "&", "+"):
        return "and", None
    m = _NEAR.fullmatch(w)
    if m:
        return "near", int(m.group(1))
    if w in ("/sen", "同句"):
        return "near", None
    return None


def _group_parens(text: str, notes: list[str]) -> set[int]:
    """Positions of the parentheses that group: a pair (outside quotes, ASCII ``(`` ``)`` or full-width
    ``（`` ``）``) that holds a space or an operator, or nothing; every other parenthesis is text, as in
    ``（试行）``, ``(一)`` or ``(2021-2025年)``, which the reports hold in both widths."""
    grouping: set[int] = set()
    stacks: dict[str, list[int]] = {"(": [], "（": []}
    quote_end = None
    for i, ch in enumerate(text):
        if quote_end is not None:
            if ch == quote_end:
                quote_end = None
            continue
        if ch in _OPEN_QUOTES and (i == 0 or text[i - 1].isspace() or text[i - 1] in "(（" + _NEGATION + _SPLIT):
            quote_end = _OPEN_QUOTES[ch]
        elif ch in "(（":
            stacks[ch].append(i)
        elif ch in ")）":
            stack = stacks["(" if ch == ")" else "（"]
            if stack:
                start = stack.pop()
                inside = text[start + 1 : i]
                if not inside.strip() or _holds_operator(inside):
                    grouping.update((start, i))
            elif ch == ")":
                notes.append("括号“)”前面没有配对的“(”，已按文字检索。")
    if stacks["("]:
        notes.append("括号“(”后面没有配对的“)”，已按文字检索。")
    return grouping


def _holds_operator(inside: str) -> bool:
    if any(c.isspace() for c in inside) or any(c in _SPLIT or c in "()" for c in inside):
        return True
    return inside[:1] in _NEGATION


def _tokens(text: str, notes: list[str]) -> list[_Token]:
    """The query's words, quoted phrases, parentheses and operators, in order."""
    grouping = _group_parens(text, notes)
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if i in grouping:
            tokens.append(_Token("(" if ch in "(（" else ")", raw=ch))
            i += 1
            continue
        if ch in _SPLIT:
            tokens.append(_Token("or", raw=ch))
            i += 1
            continue
        negated = False
        j = i
        if ch in _NEGATION and i + 1 < n and not text[i + 1].isspace():
            negated, j = True, i + 1
        if j in grouping and text[j] in "(（":  # -( … ): exclude a group
            tokens.append(_Token("(", negated=True, raw=text[i : j + 1]))
            i = j + 1
            continue
        if text[j] in _OPEN_QUOTES:
            close = text.find(_OPEN_QUOTES[text[j]], j + 1)
            if close == -1:
                notes.append(f"引号 {text[j]} 没有闭合：其后的文字到查询末尾作为一个短语检索。")
                close = n
            literal = fold(text[j + 1 : close])
            if literal:
                tokens.append(_Token("term", literal, negated, raw=text[i : close + 1]))
            i = close + 1
            continue
        k = j
        while k < n and not text[k].isspace() and k not in grouping and text[k] not in _SPLIT:
            k += 1
        word = text[i:k]
        i = k
        op = None if negated else _operator_kind(word)
        if op is not None:
            tokens.append(_Token(op[0], distance=op[1], raw=word))
            continue
        normal = unicodedata.normalize("NFKC", word)
        if not negated and (_NEAR_ALONE.fullmatch(normal) or normal == "NEAR"):
            number = _NUMBER_AFTER.match(text, i)
            if normal.casefold() == "/near" and number:  # CNKI's way: /NEAR 10
                tokens.append(_Token("near", distance=int(number.group(1)), raw=f"{word} {number.group(1)}"))
                i = number.end()
                continue
            notes.append(f"“{word}”不是有效的邻近运算符（应写作 NEAR/数字，如 NEAR/10），已按文字检索。")
        literal = fold(word[1:] if negated else word)
        if literal:
            tokens.append(_Token("term", literal, negated, raw=word, stray=word in _NEGATION))
    return tokens


class _Parser:
    """Recursive descent over the tokens: OR binds loosest, then AND (explicit or side by side), then
    proximity; ``-`` applies to the term, phrase, group or proximity pair it is written on."""

    def __init__(self, tokens: list[_Token], notes: list[str]) -> None:
        self.tokens = tokens
        self.i = 0
        self.notes = notes
        self.depth = 0
        self.max_depth = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def as_text(self, token: _Token, why: str) -> _Token:
        """An operator standing where it cannot act: read as the text it is, and say so."""
        self.notes.append(f"“{token.raw}”{why}，已按文字检索。")
        return _Token("term", fold(token.raw), raw=token.raw)

    def parse(self) -> Node | None:
        node = self.or_expr()
        while self.peek() is not None:  # a ")" with no "(": cannot happen (only pairs group), kept for safety
            self.i += 1
            more = self.or_expr()
            node = _and([node, more])
        return node

    def or_expr(self) -> Node | None:
        branches = [self.and_expr()]
        while (t := self.peek()) is not None and t.kind == "or":
            self.i += 1
            right = self.and_expr()
            if branches[-1] is None or right is None:
                side = "左侧" if branches[-1] is None else "右侧"
                text = self.as_text(t, f"{side}没有检索词")
                branches.append(_and([branches.pop(), Term(text.text), right]) if text.text else branches.pop())
            else:
                branches.append(right)
        present = [b for b in branches if b is not None]
        return _or(present) if present else None

    def and_expr(self) -> Node | None:
        parts: list[Node] = []
        while (t := self.peek()) is not None and t.kind not in ("or", ")"):
            if t.kind == "and":
                self.i += 1
                nxt = self.peek()
                if not parts or nxt is None or nxt.kind in ("or", ")", "and"):
                    parts.append(Term(self.as_text(t, "一侧没有检索词").text))
                continue
            node = self.near_expr()
            if node is not None:
                parts.append(node)
        return _and(parts) if parts else None

    def near_expr(self) -> Node | None:
        """A term, or a chain of proximity pairs: ``A NEAR/5 B /SEN C`` is both pairs, (A, B) and (B, C)."""
        first = self.unary()
        parts: list[Node | None] = []
        pending, left = first, first if isinstance(first, Term) else None
        while (t := self.peek()) is not None and t.kind == "near":
            self.i += 1
            right = self.peek()
            if left is not None and right is not None and right.kind == "term" and not right.negated:
                self.i += 1
                if t.distance is not None and t.distance > MAX_DISTANCE:
                    raise QueryError(f"q asks for {t.raw}; the largest distance is NEAR/{MAX_DISTANCE}")
                parts.append(Near(left.literal, right.text, t.distance))
                pending, left = None, Term(right.text)
                continue
            parts += [pending, Term(self.as_text(t, "两侧须各是一个检索词或短语（不能是括号或排除词）").text)]
            pending = left = None
        return _and([*parts, pending])

    def unary(self) -> Node | None:
        t = self.peek()
        if t is None:
            return None
        if t.kind == "term":
            self.i += 1
            if t.negated:
                return self.negated_term(t)
            return Term(t.text)
        if t.kind == "(":
            self.i += 1
            self.depth += 1
            self.max_depth = max(self.max_depth, self.depth)
            inner = self.or_expr()
            self.depth -= 1
            if (close := self.peek()) is not None and close.kind == ")":
                self.i += 1
            if inner is None:
                self.notes.append("空括号已忽略。")
                return None
            return Not(inner) if t.negated else inner
        self.i += 1  # an operator where a term should be (a NEAR first): read as text
        return Term(self.as_text(t, "前面没有检索词").text)

    def negated_term(self, t: _Token) -> Node:
        """``-A`` alone, or ``-A NEAR/n B`` (the pair excluded)."""
        nxt = self.peek()
        after = self.tokens[self.i + 1] if self.i + 1 < len(self.tokens) else None
        if nxt is not None and nxt.kind == "near" and after is not None and after.kind == "term" and not after.negated:
            self.i += 2
            return Not(Near(t.text, after.text, nxt.distance))
        return Not(Term(t.text))


def _and(parts: list[Node | None]) -> Node | None:
    return _combine(And, parts)


def _or(parts: list[Node | None]) -> Node | None:
    return _combine(Or, parts)


def _combine(kind, parts: list[Node | None]) -> Node | None:
    """``kind`` of the parts, flattened (an AND inside an AND is one AND) and with repeats removed."""
    flat: list[Node] = []
    for p in parts:
        if p is None:
            continue
        flat.extend(p.children if isinstance(p, kind) else (p,))
    flat = list(dict.fromkeys(flat))
    if not flat:
        return None
    return flat[0] if len(flat) == 1 else kind(tuple(flat))


def _check_limits(root: Node, depth: int) -> None:
    nodes = [n for n, _ in walk(root)]
    literals = {lit for n in nodes if isinstance(n, (Term, Near)) for lit in _leaf_literals(n)}
    checks = [
        (len(literals), MAX_TERMS, "distinct terms"),
        (sum(isinstance(n, Not) for n in nodes), MAX_NEGATIONS, "excluded terms (-)"),
        (sum(len(n.children) for n in nodes if isinstance(n, Or)), MAX_OR_BRANCHES, "OR alternatives"),
        (sum(isinstance(n, Near) for n in nodes), MAX_PROXIMITY, "proximity operators (NEAR/n, /SEN)"),
        (depth, MAX_DEPTH, "levels of nested parentheses"),
    ]
    for count, limit, what in checks:
        if count > limit:
            raise QueryError(f"q has {count} {what}; the limit is {limit}")


def parse_query(text: str) -> ParsedQuery:
    """Parse the user's query string; :class:`QueryError` for a query of operators only or past a limit.

    >>> parse_query('(枫桥经验 OR "首违 不罚") -信访').root
    And(children=(Or(children=(Term(literal='枫桥经验'), Term(literal='首违不罚'))), Not(child=Term(literal='信访'))))
    >>> parse_query("枫桥经验 NEAR/10 调解").root
    Near(left='枫桥经验', right='调解', distance=10)

    An operator that cannot act where it stands (``OR`` with nothing on one side, a lone ``-``, a parenthesis
    without its pair, a malformed ``NEAR/x``) is read as text, and :attr:`ParsedQuery.notes` says so.
    Terms that fold to nothing (only spaces or invisible characters) are dropped.
    """
    notes: list[str] = []
    tokens = _tokens(text, notes)
    if tokens and all(t.kind != "term" or t.stray for t in tokens):
        raise QueryError("q holds only operators (OR, AND, -, parentheses, NEAR): add a term to search for")
    for t in tokens:
        if t.stray:
            notes.append(f"“{t.raw}”后没有检索词，已按文字检索。")
    parser = _Parser(tokens, notes)
    root = parser.parse()
    if root is not None:
        _check_limits(root, parser.max_depth)
    return ParsedQuery(root, tuple(dict.fromkeys(notes)))
