"""Headings and sections: where each paragraph sits in the mandated outline of an annual report.

Since 2019 the reports follow one outline (measures and results, the heads' duty as first responsible persons,
shortcomings, next year's plans), but each government numbers and words its headings its own way, glues
sub-headings to their first sentence, and sometimes leaves out the heading of a part altogether. Detection
runs on NFKC-folded text (full-width ``（一）`` and ``，`` become ASCII); what is returned is always original.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

from search.models import HEADING_SEPARATOR, SECTIONS

OVERVIEW, MEASURES, DUTIES, PROBLEMS, PLANS, OTHER = SECTIONS

_CHINESE_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九", start=0)}

_NUMERAL = "([二三四五六七八九]?十[一二三四五六七八九]?|[一二三四五六七八九])"  # 一 to 九十九 (not 一二, 五八)
_MARKERS = (
    ("chinese", re.compile(_NUMERAL + r"[、.]")),  # 一、
    ("arabic", re.compile(r"(\d{1,2})(?:、|\.(?!\d))")),  # 1、 or 1. (not 1.5)
    ("paren", re.compile(r"\(" + _NUMERAL + r"\)")),  # (一) and, once folded, （一）
    ("paren-arabic", re.compile(r"\((\d{1,2})\)")),  # (1)
)

# Where the heading part of a paragraph ends: a sentence end or a colon, or a list glued on without a full
# stop, as in "(三)持续推进严格规范公正文明执法一是开展…".
_HEADING_END = re.compile(r"[。！？!?：:]|一是")
# A marked line with no full stop is a heading on its own only if it is heading-sized.
_MAX_HEADING_LENGTH = 60
_CLAUSE_END = re.compile(r"[，,；;]")

_DUTY_HEADING = re.compile(r"第一责任人|履行.{0,12}职责|述法")
_HEADING_KEYWORDS = (
    (PROBLEMS, re.compile(r"问题|不足|差距|短板")),
    (PLANS, re.compile(r"计划|打算|安排|下一步|思路|展望|工作重点|努力方向")),
    (
        MEASURES,
        re.compile(
            r"举措|成效|主要工作|做法|成绩|进展|坚持党的.{0,4}领导"
            r"|^以.+为(?:抓手|引领|突破|牵引|目标|主线|重点|统领|保障|核心|导向|载体)"
        ),
    ),
    (OTHER, re.compile(r"其他|其它|附件")),
)

_DOCUMENT_NAME = re.compile(r"《[^》]*》")
_FIRST_SENTENCE = re.compile(r"[^。！？!?:]*")
# Next year's plans open with the year or "下一步", and say what the government will do.
_PLAN_OPENING = re.compile(r"^(?:(?P<year>20\d\d)年|下一步|明年|新的一年|今后|未来)")
_PLAN_VERB = re.compile(r"将|要|继续|计划|打算")
# Shortcomings open by conceding them ("取得成绩的同时，还存在一些不足", "但…还有差距"),
# or announce a list of them.
_PROBLEM_CONCESSION = re.compile(r"(?:但|还|仍|也|同时|虽).{0,30}(?:差距|不足|问题|短板|薄弱)")
_PROBLEM_LIST_LEAD = re.compile(r"(?:问题|不足|差距|短板).{0,8}$")


def fold(text: str) -> str:
    """The form used for detection only: NFKC, so full-width digits, brackets and commas become ASCII."""
    return unicodedata.normalize("NFKC", text)


def numeral_value(numeral: str) -> int:
    """The value of a small numeral, Chinese (十二) or Arabic (12)."""
    if numeral.isdigit():
        return int(numeral)
    if "十" in numeral:
        tens, _, units = numeral.partition("十")
        return _CHINESE_DIGITS.get(tens, 1) * 10 + _CHINESE_DIGITS.get(units, 0)
    return _CHINESE_DIGITS[numeral]


@dataclass(frozen=True)
class HeadingMarker:
    """The numbering a paragraph opens with: its style (``chinese`` 一、, ``arabic`` 1、, ``paren`` (一),
    ``paren-arabic`` (1)) and its number."""

    style: str
    number: int
    length: int  # characters the numbering takes up, leading spaces included


def heading_marker(paragraph: str) -> HeadingMarker | None:
    """The heading numbering at the start of ``paragraph``, or None when it is not numbered."""
    folded = fold(paragraph).lstrip()
    # NFKC keeps these markers' lengths, so a length measured on the folded text holds for the original.
    for style, pattern in _MARKERS:
        match = pattern.match(folded)
        if match:
            leading = len(paragraph) - len(paragraph.lstrip())
            return HeadingMarker(style, numeral_value(match.group(1)), leading + match.end())
    return None


def heading_text(paragraph: str) -> tuple[str, bool]:
    """The heading part of a numbered paragraph, and whether body text is glued on after it.

    The heading part ends at the first full stop (or colon, or a glued-on "一是"); a short line without one is
    all heading. ``"(一)坚持党的全面领导,确保…推进。一是…"`` → ``("(一)坚持党的全面领导,确保…推进", True)``.
    """
    text = paragraph.strip()
    marker = heading_marker(text)
    # Search after the numbering, so that a line "一、…" is not cut at its own 一.
    marker_end = marker.length if marker else 0
    end = _HEADING_END.search(text, marker_end)
    if end:
        head = text[: end.start()].rstrip()
        rest = text[end.start() :] if end.group() == "一是" else text[end.end() :]
        return head, bool(rest.strip())
    if len(text) <= _MAX_HEADING_LENGTH:
        return text, False
    clause = _CLAUSE_END.search(text, marker_end)
    return (text[: clause.start()] if clause else text[:_MAX_HEADING_LENGTH]), True


def sections_named(heading: str) -> tuple[str, ...]:
    """The sections a heading names, in outline order; two when it combines them, none when it names none.

    ``"三、存在的不足及2025年工作打算"`` → ``("问题不足", "工作计划")``.
    """
    marker = heading_marker(heading)
    folded = fold(heading)[marker.length if marker else 0 :].strip()
    # The duty heading often also says "推进法治政府建设情况"; its own wording is unmistakable: it wins.
    if _DUTY_HEADING.search(folded):
        return (DUTIES,)
    named = {section for section, pattern in _HEADING_KEYWORDS if pattern.search(folded)}
    return tuple(s for s in SECTIONS if s in named)


def section_from_opening(paragraph: str, report_year: int | None = None) -> str | None:
    """The section a paragraph's opening sentence announces, for parts that have no heading.

    Only shortcomings ("还存在一些不足", "但…还有差距") and plans ("2025年，我区将…", "下一步…") are
    announced this way; a year opens a plan only when it is after the year the report covers.
    """
    folded = _DOCUMENT_NAME.sub("", fold(paragraph).strip())
    first = _FIRST_SENTENCE.match(folded).group()
    plan = _PLAN_OPENING.match(first)
    if plan and _PLAN_VERB.search(first):
        year = plan.group("year")
        if year is None or report_year is None or int(year) > report_year:
            return PLANS
    if _PROBLEM_CONCESSION.search(first):
        return PROBLEMS
    lead_in = len(first) < len(folded) and folded[len(first)] == ":"
    if lead_in and _PROBLEM_LIST_LEAD.search(first):
        return PROBLEMS
    return None


class Placement(NamedTuple):
    """Where a paragraph sits: its section label and the path of headings above it."""

    section: str
    heading: str


def _is_later(section: str, than: str) -> bool:
    return SECTIONS.index(section) > SECTIONS.index(than)


class _Outline:
    """The walk through a report's paragraphs: current headings at each level and the current section."""

    def __init__(self, report_year: int | None) -> None:
        self.report_year = report_year
        self.section = OVERVIEW
        self.path: list[tuple[int, str]] = []  # (level, heading text), top first
        self.top_marker: HeadingMarker | None = None
        self.combined: tuple[str, ...] = ()  # sections a combining top heading names
        self.body_paragraphs = 0

    def heading(self) -> str:
        return HEADING_SEPARATOR.join(text for _, text in self.path)

    def level_of(self, marker: HeadingMarker) -> int:
        """1 for a top heading, 2 for (一), 3 below; Arabic 1、 is top only if it numbers the top headings."""
        if marker.style == "chinese":
            return 1
        if marker.style == "paren":
            return 2
        if marker.style == "arabic":
            if self.top_marker is None:
                return 1
            if self.top_marker.style == "arabic" and marker.number == self.top_marker.number + 1:
                return 1
        return 3

    def enter_heading(self, paragraph: str, marker: HeadingMarker) -> None:
        level = self.level_of(marker)
        head, _ = heading_text(paragraph)
        self.path = [(lvl, text) for lvl, text in self.path if lvl < level] + [(level, head)]
        named = sections_named(head)
        if level == 1:
            self.top_marker = marker
            self.combined = named if len(named) > 1 else ()
            if named:
                self.section = named[0]
            elif self.section not in (PROBLEMS, PLANS, OTHER):
                # An unnamed top heading ("以…为抓手") before the shortcomings describes work done.
                self.section = MEASURES
        elif self.combined:
            self.move_to(next((s for s in named if s in self.combined), None))

    def move_to(self, section: str | None) -> bool:
        """Follow a section the content announces, only forward through the outline (never back)."""
        if section is None or not _is_later(section, self.section):
            return False
        if self.combined and section not in self.combined:
            return False
        self.section = section
        return True

    def place(self, paragraph: str) -> Placement:
        marker = heading_marker(paragraph)
        if marker is not None:
            self.enter_heading(paragraph, marker)
        elif self.body_paragraphs > 0:
            # The report's opening paragraph is the overview whatever it says.
            if self.move_to(section_from_opening(paragraph, self.report_year)) and not self.combined:
                # A part with no heading of its own is not under the heading of the part before it.
                self.path = []
                self.top_marker = None
        self.body_paragraphs += 1
        return Placement(self.paragraph_section(), self.heading())

    def paragraph_section(self) -> str:
        """The current section, except that a sub-part about the heads' duty (“（三）切实履行推进法治建设
        第一责任人职责”) under the measures is labelled 履职情况: that is what its paragraphs report on."""
        if self.section == MEASURES and any(
            level > 1 and sections_named(text) == (DUTIES,) for level, text in self.path
        ):
            return DUTIES
        return self.section


def place_paragraphs(
    paragraphs: list[str], *, title_count: int = 0, closing_count: int = 0, report_year: int | None = None
) -> list[Placement]:
    """The section and heading path of every paragraph, in order.

    ``title_count`` leading paragraphs are the title (概述); ``closing_count`` trailing paragraphs are the
    signature and date (其他).
    """
    outline = _Outline(report_year)
    body_end = len(paragraphs) - closing_count
    placements = []
    for index, paragraph in enumerate(paragraphs):
        if index < title_count:
            placements.append(Placement(OVERVIEW, ""))
        elif index >= body_end:
            placements.append(Placement(OTHER, ""))
        else:
            placements.append(outline.place(paragraph))
    return placements
