"""Which government a report is from, resolved against the gazetteer.

A report names many places: its own (often only as 我市 at first, then 法治长治, 长治市…条例),
its parents (山西), its own districts (潞州区被确定为…试点) and partners (雄安新区, 保定市). The report's own
place is the one it keeps naming, names prominently (title, opening sentence, signature), and whose kind
matches how it refers to itself (我市 → a 市, 我县 → a 县, 我区 → a 区).

A title that says who reports (广州市司法局关于…, 关于2024年岳麓区…) settles it: the text then only tells
same-named places apart (龙华区 of 深圳 or of 海口), and when nothing does, the region stops at the level the
places agree on (``Region(None, None, "龙华区")``) rather than guessing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from indexer.gazetteer import Place, PlaceMention, find_place_mentions
from indexer.metadata import is_issuing_body
from search.models import Region

# Only 我/本 are self-reference: 全区 in a county-level city of Ningxia means the autonomous region, 全省 in a
# city's report means the province.
_SELF_REFERENCE = re.compile(r"[我本]([省市县区州旗盟])")
# The Party committee is named like the government it leads (中共长治市委员会, 中国共产党长沙市岳麓区委员会).
_PARTY_PREFIX = re.compile(r"^(?:中国共产党|中共)")

_FULL_NAME_WEIGHT = 2.0
_SHORT_NAME_WEIGHT = 1.0
_TITLE_BONUS = 10.0
_SIGNATURE_BONUS = 8.0
_OPENING_BONUS = 6.0
_SELF_REFERENCE_FACTOR = 2.0


@dataclass(frozen=True)
class _Evidence:
    """One mention, credited to the places it can mean."""

    places: tuple[Place, ...]
    weight: float
    weak: frozenset[Place]  # places this mention alone does not establish (see _is_weak)
    start: int

    def counts_for(self, place: Place, established: set[Place]) -> bool:
        return place not in self.weak or place in established


def self_reference(text: str) -> str | None:
    """The kind of place a report calls itself most: 市 for 我市, 县 for 我县…; None if it never does."""
    kinds = Counter(_SELF_REFERENCE.findall(text))
    return kinds.most_common(1)[0][0] if kinds else None


def _qualified(mention: PlaceMention, before: PlaceMention | None) -> tuple[Place, ...]:
    """The places ``mention`` means when the name right before it is one of their parents (长沙市岳麓区)."""
    if before is None or before.end != mention.start:
        return ()
    parents = {p.name for p in before.places}
    return tuple(p for p in mention.places if parents & set(p.ancestors()))


def _is_weak(mention: PlaceMention, place: Place) -> bool:
    """Whether a mention is too ambiguous to introduce ``place``: a county's short or two-character name.

    Thousands of counties have names that are also words (共和 in 中华人民共和国, 和县 in 政府和县委), so they
    count only once the place is established by a full name or a parent's name before them.
    """
    return place.level == "county" and (not mention.full or len(mention.name) <= 2)


def place_evidence(text: str, year: int | None = None) -> list[_Evidence]:
    """Every place mention in ``text`` with the places it is credited to.

    A parent name that only qualifies the next name (山西长治, 长沙市岳麓区) is credited to the child alone.
    Names are read as the divisions of ``year`` were named (the latest year known when None).
    """
    mentions = find_place_mentions(text, year)
    evidence: list[_Evidence | None] = []
    for index, mention in enumerate(mentions):
        qualified = _qualified(mention, mentions[index - 1] if index else None)
        if qualified:
            evidence[-1] = None
        weight = _FULL_NAME_WEIGHT if mention.full else _SHORT_NAME_WEIGHT
        places = qualified or mention.places
        weak = frozenset() if qualified else frozenset(p for p in places if _is_weak(mention, p))
        evidence.append(_Evidence(places, weight, weak, mention.start))
    return [e for e in evidence if e is not None]


def _established(evidence: Iterable[_Evidence]) -> set[Place]:
    return {p for e in evidence for p in e.places if p not in e.weak}


def score_places(
    body: str, *, title: str = "", opening: str = "", signature: Iterable[str] = (), year: int | None = None
) -> dict[Place, float]:
    """How strongly the text points at each place it names as its own."""
    return _score(place_evidence(body, year), body, title=title, opening=opening, signature=signature, year=year)


def _score(
    evidence: list[_Evidence], body: str, *, title: str, opening: str, signature: Iterable[str], year: int | None
) -> dict[Place, float]:
    """``score_places`` on the body's evidence, found once by the caller."""
    established = _established(evidence)
    scores: Counter[Place] = Counter()
    for e in evidence:
        for place in e.places:
            if e.counts_for(place, established):
                scores[place] += e.weight
    for source, bonus in (
        (title, _TITLE_BONUS),
        (opening, _OPENING_BONUS),
        ("\n".join(signature), _SIGNATURE_BONUS),
    ):
        named = {p for e in place_evidence(source, year) for p in e.places if e.counts_for(p, established)}
        for place in named:
            scores[place] += bonus
    kind = self_reference(body)
    if kind:
        for place in scores:
            if place.name.endswith(kind):
                scores[place] *= _SELF_REFERENCE_FACTOR
    return dict(scores)


def _leading_places(part: str, year: int | None = None) -> tuple[Place, ...]:
    """The places a part of a title's subject is from, when it is ``<place>`` or ``<place><issuing body>``.

    The place must open the part and may be qualified by its parents (重庆市巴南区 → 巴南区); anything else in
    the part (雄安新区 holds 安新, 某市公安局 holds 公安) is not read as a place.
    """
    text = _PARTY_PREFIX.sub("", part)
    mentions = find_place_mentions(text, year)
    if not mentions or mentions[0].start != 0:
        return ()
    last, places = mentions[0], mentions[0].places
    for mention in mentions[1:]:
        narrower = _qualified(mention, last)
        if not narrower:
            break
        last, places = mention, narrower
    rest = text[last.end :]
    return places if not rest or is_issuing_body(rest) else ()


def subject_places(subject: Iterable[str], year: int | None = None) -> tuple[Place, ...]:
    """The places a title's subject (see ``metadata.title_subject``) names as the reporter, lowest level only.

    ``("中共某县委员会", "某县人民政府")`` → the county; ``("广州市司法局",)`` → 广州市; ``("龙华区",)`` → both
    districts so named. Parents named on their own (山西省 长治市) give way to the child.
    """
    found = list(dict.fromkeys(p for part in subject for p in _leading_places(part, year)))
    parents = {name for p in found for name in p.ancestors()}
    return tuple(p for p in found if p.name not in parents)


def _common_region(places: list[Place]) -> Region:
    """The region the places agree on, each level where they differ left None (朝阳区 of 北京 or 长春)."""
    regions = [p.region() for p in places]

    def agreed(level: str) -> str | None:
        values = {getattr(r, level) for r in regions}
        return values.pop() if len(values) == 1 else None

    return Region(agreed("province"), agreed("prefecture"), agreed("county"))


def _pick(tied: list[Place], scores: dict[Place, float]) -> Region:
    """Among equally scored places, the one whose parents the text names; else what they have in common."""
    tied_names = {p.name for p in tied}

    def parent_support(place: Place) -> float:
        # Parents that are themselves tied (吉林 is 吉林省 and 吉林市) tell nothing apart.
        return sum(s for p, s in scores.items() if p.name in place.ancestors() and p.name not in tied_names)

    support = {p: parent_support(p) for p in tied}
    best = max(support.values())
    leaders = [p for p in tied if support[p] == best]
    return leaders[0].region() if len(leaders) == 1 else _common_region(leaders)


def resolve_region(
    body: str,
    *,
    title: str = "",
    opening: str = "",
    signature: Iterable[str] = (),
    subject: Iterable[str] = (),
    year: int | None = None,
) -> Region:
    """The region a report is from, with official full names and parents filled in from the gazetteer.

    ``body`` is the whole text; ``title``, ``opening`` (sentence) and ``signature`` lines weigh extra.
    ``subject`` is who the title says reports (``metadata.title_subject``): when it names a place, the report is
    that place's and the text only tells same-named ones apart.
    A city's own report has county None; a district of a municipality has prefecture None.
    Places are the divisions of ``year`` (the report's year; the latest known when None): a 2017 report of
    长治县 is 长治县's, with that year's code, though the county has been 上党区 since 2018.
    """
    evidence = place_evidence(body, year)
    scores = _score(evidence, body, title=title, opening=opening, signature=list(signature), year=year)
    own = subject_places(subject, year)
    candidates = {p: scores.get(p, 0.0) for p in own} if own else scores
    if not candidates:
        return Region()
    best = max(candidates.values())
    tied = [p for p, s in candidates.items() if s == best]
    if len({p.name for p in tied}) > 1:
        # Different places tied: the one named first is most likely the report's own.
        first_seen = {p: e.start for e in reversed(evidence) for p in e.places}
        earliest = min(first_seen.get(p, len(body)) for p in tied)
        same_place = [p for p in tied if first_seen.get(p, len(body)) == earliest]
        tied = same_place
    return tied[0].region() if len(tied) == 1 else _pick(tied, scores)
