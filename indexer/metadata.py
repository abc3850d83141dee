"""A report's own metadata: its title, the year it covers, and the closing signature and date."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

from indexer.sections import fold, heading_marker
from search.models import Region

_TITLE_WORDS = re.compile(r"报告|法治政府建设|依法行政")
_MAX_TITLE_LENGTH = 80
# Issuer lines a title may have above its 关于… line (中共某县委员会 / 某县人民政府).
_MAX_TITLE_ISSUERS = 3

_YEAR = re.compile(r"(?<!\d)(20\d\d)(?:年|年度)")
# 二〇二三年; NFKC folds a full-width Ｏ to a Latin O.
_CHINESE_YEAR = re.compile(r"(二[〇零○O][〇零○O一二三四五六七八九]{2})年")
_CHINESE_DIGIT = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0", "○": "0", "O": "0"}
# Years inside document names (《…纲要(2021—2025年)》) and asides are not the year the report covers.
_ASIDE = re.compile(r"《[^》]*》|\([^)]*\)")

_ISO_DATE = re.compile(r"(20\d\d)\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?")
# Month and day without separators: at least three digits, so "202412" (a month) is not read as a day.
_COMPACT_DATE = re.compile(r"(20\d\d)(\d{3,4})")
_CHINESE_DATE = re.compile(
    r"([二〇零○Ｏ一三四五六七八九]{4})年([一二三四五六七八九十]{1,2})月([一二三四五六七八九十]{1,3})日"
)

# Who signs: a government, a Party committee, an office or department. Signature lines are short and have no
# sentence punctuation, so a closing sentence that happens to end in 委员会 is not mistaken for one.
_ISSUER = re.compile(r"(?:人民政府|政府|委员会|管委会|行政公署|行署|办公室|办公厅|党委|党组|局|厅|委|院|部|中心)$")
_MAX_SIGNATURE_LENGTH = 40
_SENTENCE_PUNCTUATION = re.compile(r"[。，,；;：:！？!?、]")
_SIGN_OFF = re.compile(r"特此报告[。.]?")

# A title is "<who reports>[关于]<year>…<topic>…报告", the year sometimes before who (关于2024年岳麓区…).
# Who reports ends where the topic begins; the year and 关于 only separate its parts.
_TITLE_TOPIC = re.compile(r"法治政府|依法行政|法治建设|法治工作")
_TITLE_FILLER = re.compile(r"关于|(?:20\d\d|二[〇零○O]..)\s*年度?|年度")
# Joint issuers are written side by side (中共某县委员会 某县人民政府), with or without a space between.
_SUBJECT_SEPARATOR = re.compile(r"[\s、,/]+|(?<=委员会)(?!办)")


def is_title(paragraph: str) -> bool:
    """Whether a report's first paragraph is its title line (``曲沃县2024年法治政府建设年度报告``)."""
    text = fold(paragraph.strip())
    return (
        len(text) <= _MAX_TITLE_LENGTH
        and "。" not in text
        and heading_marker(text) is None
        and bool(_TITLE_WORDS.search(text))
        # An opening sentence "2024年,我市坚持…" is not a title even when short.
        and not re.match(r"20\d\d年\s*[,，]", text)
    )


def title_subject(title: str | None) -> tuple[str, ...]:
    """The parts of a title that say who reports: the place and the issuing bodies before the topic.

    ``广州市司法局关于2024年度法治政府建设情况的报告`` → ``("广州市司法局",)``;
    ``关于2024年岳麓区法治政府建设工作情况的报告`` → ``("岳麓区",)``;
    ``中共某县委员会 某县人民政府关于…`` → ``("中共某县委员会", "某县人民政府")``; a title naming no one → ``()``.
    """
    text = _ASIDE.sub("", fold(title or ""))
    topic = _TITLE_TOPIC.search(text)
    head = _TITLE_FILLER.sub(" ", text[: topic.start()] if topic else text)
    return tuple(part for part in _SUBJECT_SEPARATOR.split(head.strip().removesuffix("的")) if part)


def is_issuing_body(name: str) -> bool:
    """Whether a name ends as a government, Party or department body does (人民政府, 委员会, 司法局, 管委会)."""
    return bool(_ISSUER.search(name))


def title_count(paragraphs: list[str]) -> int:
    """How many leading paragraphs make up the title: one title line, or issuer lines above a 关于… line.

    ``["广州市司法局", "关于2024年度法治政府建设情况的报告", …]`` → 2; a report opening on its first
    sentence → 0.
    """
    issuers = 0
    while issuers < min(len(paragraphs), _MAX_TITLE_ISSUERS) and is_signature(paragraphs[issuers]):
        issuers += 1
    if issuers and issuers < len(paragraphs):
        following = paragraphs[issuers]
        if is_title(following) and fold(following).strip().startswith("关于"):
            return issuers + 1
    return 1 if paragraphs and is_title(paragraphs[0]) else 0


def title_text(lines: list[str]) -> str:
    """The title as one line: issuer lines side by side, then the 关于… line (``某县人民政府关于…``)."""
    *issuers, title = [line.strip() for line in lines]
    return " ".join(issuers) + title


def compose_title(region: Region, year: int | None) -> str:
    """A title for a report that has none: ``长治市2024年法治政府建设年度报告``."""
    names = region.names()
    # A district of a municipality goes by both names (天津市静海区); elsewhere the lowest name is enough.
    if region.county and region.prefecture is None and region.province and region.province.endswith("市"):
        place = region.province + region.county
    else:
        place = names[-1] if names else ""
    return f"{place}{year}年法治政府建设年度报告" if year else f"{place}法治政府建设年度报告"


def inferred_fields(
    own_title: str | None, year: int | None, region: Region, stated_places: set[str]
) -> tuple[str, ...]:
    """Which of title, region and year the report does not state itself, so the indexer inferred them.

    The title is inferred when the report has no title line (it is then composed); the year when the report's
    own title does not name it (it came from the opening sentence or the body); the region when neither the
    title nor the signature names the region's own place (``stated_places``: the names found there).

    >>> inferred_fields(None, 2024, Region("山西省", "长治市"), set())
    ('title', 'region', 'year')
    >>> inferred_fields("关于2024年岳麓区法治政府建设的报告", 2024, Region("湖南省", "长沙市", "岳麓区"), {"岳麓区"})
    ()
    """
    found = []
    if not own_title:
        found.append("title")
    names = region.names()
    if names and names[-1] not in stated_places:
        found.append("region")
    if year is not None and year_named(own_title or "") != year:
        found.append("year")
    return tuple(found)


def _chinese_numeral_year(numeral: str) -> int:
    return int("".join(_CHINESE_DIGIT[c] for c in numeral))


def year_named(text: str) -> int | None:
    """The first year named in ``text`` outside document names and brackets (``2024年,我市…`` → 2024)."""
    text = _ASIDE.sub("", fold(text))
    match = _YEAR.search(text)
    if match:
        return int(match.group(1))
    match = _CHINESE_YEAR.search(text)
    return _chinese_numeral_year(match.group(1)) if match else None


def opening_sentence(paragraph: str) -> str:
    """The first sentence of a paragraph, up to its first full stop."""
    return paragraph.split("。", 1)[0]


def report_year(title: str | None, opening: str | None, body: str = "") -> int | None:
    """The year a report covers: the title's year, else the opening sentence's, else the body's commonest.

    Plan years (2025年工作安排), publication dates and years in cited documents come later or in 《…》, so
    they only decide when nothing earlier names a year.
    """
    for source in (title, opening and opening_sentence(opening)):
        year = year_named(source or "")
        if year:
            return year
    years = Counter(int(y) for y in _YEAR.findall(_ASIDE.sub("", fold(body))))
    if not years:
        return None
    # Ties go to the earlier year: later ones are usually plans.
    return max(years.items(), key=lambda item: (item[1], -item[0]))[0]


def _valid_date(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _chinese_small_number(numeral: str) -> int:
    digits = {c: i for i, c in enumerate("〇一二三四五六七八九")}
    if "十" in numeral:
        tens, _, units = numeral.partition("十")
        return (digits[tens] if tens else 1) * 10 + (digits[units] if units else 0)
    return digits[numeral]


def parse_date(line: str) -> str | None:
    """The ISO date a line consists of, or None.

    Accepts ``2025年2月28日``, ``2025-02-28``, ``二〇二五年二月二十八日`` and the digits-only ``2025228`` that
    web copies leave when they drop the separators; such a string is read only when just one reading is a
    valid date (``2025228`` is 2025-02-28, ``2025111`` could be January 11 or November 1, so it is None).
    """
    text = fold(line).strip()
    match = _ISO_DATE.fullmatch(text)
    if match:
        return _valid_date(*(int(g) for g in match.groups()))
    match = _CHINESE_DATE.fullmatch(text)
    if match:
        year = _chinese_numeral_year(match.group(1))
        return _valid_date(year, _chinese_small_number(match.group(2)), _chinese_small_number(match.group(3)))
    match = _COMPACT_DATE.fullmatch(text)
    if match:
        year, rest = int(match.group(1)), match.group(2)
        readings = {
            found
            for cut in range(1, len(rest))
            if len(rest[:cut]) <= 2 and len(rest[cut:]) <= 2
            if (found := _valid_date(year, int(rest[:cut]), int(rest[cut:])))
        }
        if len(readings) == 1:
            return readings.pop()
    return None


def is_signature(line: str) -> bool:
    """Whether a line is a signature: the short name of a government or Party body (长沙市岳麓区人民政府)."""
    text = fold(line).strip()
    return 0 < len(text) <= _MAX_SIGNATURE_LENGTH and not _SENTENCE_PUNCTUATION.search(text) and is_issuing_body(text)


def closing_count(paragraphs: list[str]) -> int:
    """How many paragraphs at the end are the sign-off: signatures, a date, "特此报告"."""
    count = 0
    for paragraph in reversed(paragraphs):
        text = paragraph.strip()
        if not (is_signature(text) or parse_date(text) or _SIGN_OFF.fullmatch(text)):
            break
        count += 1
    return count


def publish_date(closing: list[str]) -> str | None:
    """The date among the closing lines, as ISO."""
    for line in closing:
        found = parse_date(line)
        if found:
            return found
    return None


def issuer(closing: list[str]) -> str | None:
    """Who issued the report: the government among the signatures, else the last signature."""
    signatures = [line.strip() for line in closing if is_signature(line)]
    governments = [s for s in signatures if s.endswith("政府")]
    if governments:
        return governments[-1]
    return signatures[-1] if signatures else None
