"""Generated reports with planted text reuse, and the ground truth of what was planted (issue #14's acceptance).

``fazhi bench``'s synthetic reports hold the samples' sentences verbatim and copied paragraphs, whose pairs nobody
recorded. Here every passage is original by construction: a character model of order :data:`ORDER` trained on the sample
reports writes it, and at every character it draws from the sample's character frequencies instead with
probability :data:`MIX` (so no stretch of the samples, nor of another passage, survives for long). Each report
has the mandated outline (title, numbered headings over the five sections, paragraphs) and names its own
government (灵武市, 我市) and its year here and there, as real reports do.

Then reuse is planted, each copy taken from an original passage of an earlier-generated report, each source used
once (so no copy is copied again and the truth has no chains):

* ``whole``: a passage copied whole into another report, with a few characters edited;
* ``span``: a stretch of :data:`SPAN_CHARS` characters of a passage placed inside a new passage;
* ``formula``: a few boilerplate sentences (习近平法治思想-style formulae, generated once) opening the first
  paragraph of many reports: every two holders share it.

Copies speak for their new government: the source's place name becomes the copy's (灵武市 → 青铜峡市), its
self-reference too (我市 → 我区), and years move with the report's year. :class:`Planted` records every pair and,
for ``span``, where the stretch is in both original texts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from search import SECTIONS, Passage, Region, Report, comparison_form, divisions, fold

ORDER = 3
"""Characters of context of the character model."""
MIX = 0.16
"""The chance, at each character, of drawing from the character frequencies instead of the model (at 0.08 the
model still wrote the samples' stretches of 20 characters, the shortest span that counts, into unrelated
passages: about 15 % of the pairs found at 200 reports were such accidents)."""
SPAN_CHARS = (60, 140)
"""Length range of a planted span (original characters)."""
DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

_HEADINGS = ("一、", "二、", "三、", "四、", "五、")
_SELF = {"county": ("我县", "我区", "我市", "我旗"), "prefecture": ("我市", "我州"), "province": ("我省", "我区")}
_FORMULAE = 3


@dataclass(frozen=True)
class PlantedPair:
    """Two passages sharing planted text: ``source`` first; for spans, the stretch in both original texts."""

    kind: str  # whole | span | formula
    source: str  # passage id
    copy: str  # passage id
    source_span: tuple[int, int] | None = None
    copy_span: tuple[int, int] | None = None


@dataclass
class Planted:
    """What the generator planted: every pair of passages (in different reports) that share text."""

    pairs: list[PlantedPair] = field(default_factory=list)

    def keys(self) -> set[frozenset[str]]:
        return {frozenset((p.source, p.copy)) for p in self.pairs}


class MarkovModel:
    """A model of order ``order`` (:data:`ORDER` by default) over the characters of ``text``, or over its words when
    ``text`` is a list of them, with its counts as arrays, generating many passages at once. At each step it draws
    from the unigram frequencies instead with probability ``mix`` (and whenever its context is unknown)."""

    def __init__(self, text: str | list[str], seed: int = 0, mix: float = MIX, order: int = ORDER) -> None:
        self.mix, self.order = mix, order
        chars = sorted(set(text))
        self.chars = np.array(chars)
        index = {c: i for i, c in enumerate(chars)}
        codes = np.fromiter((index[c] for c in text), dtype=np.int64, count=len(text))
        v = len(chars)
        self.v = v
        ctx = np.zeros(len(codes) - order, dtype=np.int64)
        for k in range(order):
            ctx = ctx * v + codes[k : len(codes) - order + k]
        nxt = codes[order:]
        pairs, counts = np.unique(ctx * v + nxt, return_counts=True)
        self.contexts, self.ctx_start = np.unique(pairs // v, return_index=True)
        self.ctx_start = np.append(self.ctx_start, len(pairs))
        self.next = pairs % v
        cum = np.cumsum(counts).astype(np.float64)
        before = np.concatenate([[0.0], cum])[self.ctx_start[:-1]]
        totals = cum[self.ctx_start[1:] - 1] - before
        ctx_of = np.repeat(np.arange(len(self.contexts)), np.diff(self.ctx_start))
        # Each context's cumulative distribution, shifted by its number: one searchsorted for all passages.
        self.cdf = ctx_of + (cum - before[ctx_of]) / totals[ctx_of]
        freq = np.bincount(codes, minlength=v).astype(np.float64)
        self.unigram = np.cumsum(freq) / freq.sum()
        self.rng = np.random.default_rng(seed)
        self.starts = codes

    def generate(self, lengths: list[int]) -> list[str]:
        """One text of each length."""
        n, longest = len(lengths), max(lengths, default=0)
        rng = self.rng
        out = np.zeros((n, longest), dtype=np.int64)
        order = self.order
        begin = rng.integers(0, len(self.starts) - order, size=n)
        for k in range(order):
            out[:, k] = self.starts[begin + k]
        for t in range(order, longest):
            ctx = np.zeros(n, dtype=np.int64)
            for k in range(order):
                ctx = ctx * self.v + out[:, t - order + k]
            found = np.searchsorted(self.contexts, ctx)
            found = np.minimum(found, len(self.contexts) - 1)
            known = self.contexts[found] == ctx
            step = np.searchsorted(self.cdf, found + rng.random(n) * 0.999999)
            step = np.minimum(step, len(self.next) - 1)
            pick = self.next[step]
            free = np.searchsorted(self.unigram, rng.random(n))
            draw = ~known | (rng.random(n) < self.mix)
            out[:, t] = np.where(draw, np.minimum(free, self.v - 1), pick)
        chars = self.chars[out]
        return ["".join(chars[i, : lengths[i]]) for i in range(n)]


def training_text(corpus: Path = DEFAULT_CORPUS) -> str:
    """The samples' lines, one after another (the model learns their characters and punctuation)."""
    lines = []
    for path in sorted(Path(corpus).glob("*.txt")):
        lines += [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if len(line.strip()) > 10]
    if not lines:
        raise ValueError(f"no sample reports (*.txt) in {corpus}")
    return "".join(lines)


def _places(rng: random.Random, n: int) -> list[Region]:
    """``n`` distinct county-level governments of 2023."""
    counties = [d for d in divisions(2023) if d.level == "county" and len(d.name) >= 3]
    chosen = rng.sample(counties, n) if n <= len(counties) else [rng.choice(counties) for _ in range(n)]
    return [Region(d.province, d.prefecture, d.name) for d in chosen]


def _speak_for(text: str, source: tuple[str, str, int], target: tuple[str, str, int]) -> str:
    """``text`` of one government made another's: its name, its self-reference and its years."""
    (name, self_ref, year), (new_name, new_self, new_year) = source, target
    text = text.replace(name, new_name).replace(self_ref, new_self)
    for y in (year - 1, year, year + 1):
        text = text.replace(f"{y}年", f"{y + new_year - year}年")
    return text


def generated_reports(
    n: int, seed: int = 1, corpus: Path = DEFAULT_CORPUS, copies: float = 0.25, formula_share: float = 0.3
) -> tuple[list[Report], Planted]:
    """``n`` reports (about 24 passages each) and what was planted in them: about ``copies`` of the reports after
    the first few hold a whole copy and a span copy each, and ``formula_share`` of them open with a formula."""
    rng = random.Random(seed)
    model = MarkovModel(training_text(corpus), seed=seed)
    places = _places(rng, n)
    years = [rng.randint(2019, 2024) for _ in range(n)]
    selfs = [rng.choice(_SELF["county"]) for _ in range(n)]
    # Paragraph lengths and the texts, all generated in one go.
    plan: list[list[tuple[str, str, int]]] = []  # per report: (kind, section, length)
    for _ in range(n):
        paragraphs = [("title", "概述", 0), ("text", "概述", rng.randint(80, 200))]
        for h, section in enumerate(SECTIONS[1:5]):
            paragraphs.append(("heading", section, h))
            paragraphs += [("text", section, rng.randint(80, 320)) for _ in range(rng.randint(3, 6))]
        plan.append(paragraphs)
    lengths = [length for paragraphs in plan for kind, _, length in paragraphs if kind == "text"]
    texts = iter(model.generate(lengths))
    heading_texts = model.generate([rng.randint(8, 16) for _ in range(n * 4)])
    formulae = [f"{{self}}坚持以{t}" for t in model.generate([rng.randint(60, 90) for _ in range(_FORMULAE)])]
    planted = Planted()
    reports: list[Report] = []
    originals: list[tuple[int, int]] = []  # (report, passage index) of original text passages, usable as sources
    formula_holders: dict[int, list[str]] = {}
    for i, paragraphs in enumerate(plan):
        rid = f"g{i:05d}"
        region, year, me = places[i], years[i], selfs[i]
        name = region.county or ""
        speaker = (name, me, year)
        body: list[tuple[str, str, str]] = []
        heading = ""
        for kind, section, length in paragraphs:
            if kind == "title":
                body.append((f"{name}{year}年法治政府建设年度报告", section, ""))
            elif kind == "heading":
                heading = f"{_HEADINGS[length]}{heading_texts[i * 4 + length]}"
                body.append((heading, section, heading))
            else:
                text = next(texts)
                # Name the government, itself and the year somewhere, as reports do.
                cut = rng.randint(5, max(6, len(text) - 5))
                text = text[:cut] + rng.choice((f"{year}年，{me}", f"{name}", f"{me}")) + text[cut:]
                body.append((text, section, heading))
        formula = None
        if rng.random() < formula_share:
            formula = rng.randrange(_FORMULAE)
            opening = formulae[formula].format(self=me)
            body[1] = (opening + "。" + body[1][0], body[1][1], body[1][2])
        kinds = ["text" if k == "text" else k for k, _, _ in paragraphs]
        # Planting: a whole copy and a span copy from earlier reports' original passages.
        copied: dict[int, tuple[str, ...]] = {}
        if i >= 5 and rng.random() < copies and len(originals) > 2:
            text_slots = [k for k, kind in enumerate(kinds) if kind == "text" and k != 1]
            slot_whole, slot_span = rng.sample(text_slots, 2)
            src_r, src_p = originals.pop(rng.randrange(len(originals)))
            src = reports[src_r]
            src_text = src.passages[src_p].text
            src_speaker = (src.region.county or "", selfs[src_r], src.year or 0)
            text = _speak_for(src_text, src_speaker, speaker)
            text = _edit(rng, text)
            body[slot_whole] = (text, body[slot_whole][1], body[slot_whole][2])
            planted.pairs.append(PlantedPair("whole", src.passages[src_p].passage_id, f"{rid}-p{slot_whole + 1}"))
            copied[slot_whole] = ("whole",)
            src_r, src_p = originals.pop(rng.randrange(len(originals)))
            src = reports[src_r]
            src_text = src.passages[src_p].text
            src_speaker = (src.region.county or "", selfs[src_r], src.year or 0)
            span = _span(rng, src_text, body[slot_span][0])
            if span is not None:
                start, end, before, after = span
                piece = _speak_for(src_text[start:end], src_speaker, speaker)
                text = before + piece + after
                body[slot_span] = (text, body[slot_span][1], body[slot_span][2])
                planted.pairs.append(
                    PlantedPair(
                        "span",
                        src.passages[src_p].passage_id,
                        f"{rid}-p{slot_span + 1}",
                        (start, end),
                        (len(before), len(before) + len(piece)),
                    )
                )
                copied[slot_span] = ("span",)
        passages = tuple(
            Passage(passage_id=f"{rid}-p{k}", report_id=rid, number=k, text=t, section=s, heading=h)
            for k, (t, s, h) in enumerate(body, start=1)
        )
        if formula is not None:
            pid = passages[1].passage_id
            for other in formula_holders.get(formula, []):
                planted.pairs.append(PlantedPair("formula", other, pid))
            formula_holders.setdefault(formula, []).append(pid)
        date = f"{year + 1}-0{rng.randint(1, 3)}-{rng.randint(10, 28)}"
        reports.append(Report(rid, f"{rid}.txt", body[0][0], region, year, date, f"{name}人民政府", passages))
        originals += [
            (i, k)
            for k, kind in enumerate(kinds)
            if kind == "text" and k != 1 and k not in copied and len(body[k][0]) >= 100
        ]
    return reports, planted


def _edit(rng: random.Random, text: str) -> str:
    """A copy's small edits: one or two characters replaced, away from the ends and from each other."""
    chars = list(text)
    for _ in range(rng.randint(1, 2)):
        k = rng.randint(len(chars) // 4, 3 * len(chars) // 4)
        if "\u4e00" <= chars[k] <= "\u9fff":
            chars[k] = "乙" if chars[k] != "乙" else "丙"
    return "".join(chars)


def _span(rng: random.Random, source: str, host: str) -> tuple[int, int, str, str] | None:
    """A stretch of ``source`` to plant in ``host``: (start, end in source, host before it, host after it),
    chosen so that the characters on either side differ in the two texts (the shared span is then exactly
    the planted one)."""
    src_bounds = _boundaries(source)
    host_bounds = _boundaries(host)
    size = rng.randint(*SPAN_CHARS)
    if len(source) < size + 2:
        size = len(source) - 2
    if size < SPAN_CHARS[0]:
        return None
    for _ in range(20):
        start = rng.randint(1, len(source) - size - 1)
        end = start + size
        cut = rng.randint(1, len(host) - 1)
        before, after = host[:cut], host[cut:]
        plain = all("\u4e00" <= c <= "\u9fff" for c in (source[start - 1], source[end], before[-1], after[0]))
        # Boundaries between plain characters of the comparison form (not inside a place name or a year).
        whole = {start - 1, start, end - 1, end} <= src_bounds and {cut - 1, cut} <= host_bounds
        if plain and whole and source[start - 1] != before[-1] and source[end] != after[0]:
            return start, end, before, after
    return None


def _boundaries(text: str) -> set[int]:
    """Offsets of the characters that stand for themselves in the comparison form (no place name, self-reference
    or digit around them): a planted span starts and ends among them."""
    folded = fold(text)
    if len(folded) != len(text):
        return set()
    form, starts, ends = comparison_form(folded)
    return {s for c, s, e in zip(form, starts, ends, strict=True) if e == s + 1 and c == folded[s]}
