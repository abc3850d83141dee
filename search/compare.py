"""Two reports side by side (``/compare``, ``/api/compare``, :func:`compare`): their mandated sections
aligned, each passage's text in segments with the spans it shares with the other report marked and linked to
the passage they are in there, and a summary line (shared characters, the share of each report).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from search.core import SearchError
from search.models import SECTIONS, Report
from search.reuse_views import UnknownReportError, place_name

if TYPE_CHECKING:
    from search.contract import Snapshot


@dataclass
class Segment:
    """A piece of a passage's text: plain, or shared with a passage of the other report (``other`` its id)."""

    text: str
    other: str | None = None  # passage id in the other report
    other_url: str | None = None

    def to_dict(self) -> dict:
        return {"text": self.text, "other": self.other, "other_url": self.other_url}


@dataclass
class ComparedPassage:
    passage_id: str
    number: int
    url: str
    heading: str
    segments: list[Segment]
    shared_chars: int  # characters of this passage inside shared spans

    def to_dict(self) -> dict:
        return {
            "passage_id": self.passage_id,
            "number": self.number,
            "url": self.url,
            "heading": self.heading,
            "shared_chars": self.shared_chars,
            "segments": [s.to_dict() for s in self.segments],
        }


@dataclass
class ComparedSection:
    section: str
    a: list[ComparedPassage]
    b: list[ComparedPassage]

    def to_dict(self) -> dict:
        return {"section": self.section, "a": [p.to_dict() for p in self.a], "b": [p.to_dict() for p in self.b]}


@dataclass
class ComparedReport:
    report: Report
    chars: int  # characters of its passages, as published
    shared_chars: int  # of them, inside spans shared with the other report

    @property
    def share(self) -> float:
        return round(self.shared_chars / self.chars, 4) if self.chars else 0.0

    def to_dict(self) -> dict:
        r = self.report
        return {
            "report_id": r.report_id,
            "title": r.title,
            "region": r.region.to_dict(),
            "place": place_name(r.region),
            "year": r.year,
            "publish_date": r.publish_date,
            "url": f"/reports/{r.report_id}",
            "chars": self.chars,
            "shared_chars": self.shared_chars,
            "share": self.share,
        }


@dataclass
class Comparison:
    """Two reports side by side (``/compare``, ``/api/compare``): their mandated sections aligned, each
    passage's text in segments with the spans shared with the other report marked and linked."""

    a: ComparedReport
    b: ComparedReport
    sections: list[ComparedSection]
    pairs: int  # passage pairs sharing text
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """The summary line, in Chinese."""
        a, b = self.a, self.b
        if not self.pairs:
            return "两份报告没有共同的文字。"
        return (
            f"共有文字：甲 {a.shared_chars} 字（占甲 {a.share:.1%}），乙 {b.shared_chars} 字（占乙 {b.share:.1%}），"
            f"涉及 {self.pairs} 对段落。"
        )

    def to_dict(self) -> dict:
        return {
            "a": self.a.to_dict(),
            "b": self.b.to_dict(),
            "pairs": self.pairs,
            "summary": self.summary(),
            "sections": [s.to_dict() for s in self.sections],
        }


def segments(text: str, spans: list[tuple[int, int, str]], url_of) -> tuple[list[Segment], int]:
    """``text`` cut at the edges of ``spans`` (start, end, other passage id), each piece marked with the first
    span covering it; and the characters covered by any span.

    >>> segs, n = segments("甲乙丙丁戊", [(1, 3, "q"), (2, 4, "r")], lambda p: "#" + p)
    >>> [(s.text, s.other) for s in segs], n
    ([('甲', None), ('乙丙', 'q'), ('丁', 'r'), ('戊', None)], 3)
    """
    n = len(text)
    owner: list[str | None] = [None] * n
    for start, end, other in sorted(spans):
        for i in range(max(0, start), min(n, end)):
            if owner[i] is None:
                owner[i] = other
    out: list[Segment] = []
    i = 0
    while i < n:
        j = i
        while j < n and owner[j] == owner[i]:
            j += 1
        other = owner[i]
        out.append(Segment(text[i:j], other, url_of(other) if other else None))
        i = j
    return out, sum(1 for o in owner if o is not None)


def _require(snap: Snapshot, param: str, report_id: str) -> Report:
    if not report_id.strip():
        raise SearchError(param, f"{param} is required: a report_id, such as /compare?a=REPORT_ID&b=REPORT_ID")
    if len(report_id) > 200 or any(ord(c) < 32 for c in report_id):
        raise SearchError(param, f"{param} is not a report_id")
    report = snap.report(report_id)
    if report is None:
        raise UnknownReportError(param, report_id)
    return report


def compare(snap: Snapshot, report_a: str, report_b: str) -> Comparison:
    """Two reports side by side. :class:`SearchError` (400) names ``a`` or ``b`` when one is missing or both
    are the same; :class:`UnknownReportError` (404) names the one not in the index."""
    a = _require(snap, "a", report_a)
    b = _require(snap, "b", report_b)
    if a.report_id == b.report_id:
        raise SearchError("b", "a and b are the same report: choose two different reports to compare")
    in_a: dict[str, list[tuple[int, int, str]]] = {}
    in_b: dict[str, list[tuple[int, int, str]]] = {}
    pairs = 0
    for pa, pb, spans in snap.reuse.between(a.report_id, b.report_id):
        pairs += 1
        for s in spans:
            in_a.setdefault(pa, []).append((s.start, s.end, pb))
            in_b.setdefault(pb, []).append((s.other_start, s.other_end, pa))

    def side(report: Report, spans: dict, other: Report) -> tuple[dict[str, list[ComparedPassage]], int, int]:
        by_section: dict[str, list[ComparedPassage]] = {}
        chars = shared = 0
        for p in report.passages:
            segs, n = segments(p.text, spans.get(p.passage_id, []), lambda q: f"/reports/{other.report_id}#{q}")
            chars += len(p.text)
            shared += n
            by_section.setdefault(p.section, []).append(
                ComparedPassage(p.passage_id, p.number, p.url(), p.heading, segs, n)
            )
        return by_section, chars, shared

    a_sections, a_chars, a_shared = side(a, in_a, b)
    b_sections, b_chars, b_shared = side(b, in_b, a)
    sections = [
        ComparedSection(s, a_sections.get(s, []), b_sections.get(s, []))
        for s in SECTIONS
        if s in a_sections or s in b_sections
    ]
    return Comparison(
        a=ComparedReport(a, a_chars, a_shared),
        b=ComparedReport(b, b_chars, b_shared),
        sections=sections,
        pairs=pairs,
    )
