"""A report's own metadata: its title, the year it covers, and the closing signature and date."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
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
_ISSUER = re.compile(
    r"(?:人民政府|政府|委员会|管委会|行政公署|行署|办公室|办公厅|办事处|党委|党组|局|厅|委|院|部|中心)$"
)
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
        if not (is_signature(text) or parse_date(text) or _SIGN_OFF.fullmatch(text) or signature_and_date(text)[1]):
            break
        count += 1
    return count


def publish_date(closing: list[str]) -> str | None:
    """The date among the closing lines (the date under the signature), as ISO."""
    for line in closing:
        found = parse_date(line) or parse_date(signature_and_date(line)[1])
        if found:
            return found
    return None


# A signature with its date on the same line (长沙市岳麓区人民政府 2025年2月28日), as web copies join them.
_TRAILING_DATE = re.compile(
    r"\s*((?:20\d\d\s*[-./年]\s*\d{1,2}\s*[-./月]\s*\d{1,2}\s*日?)|20\d{5,6}|"
    r"(?:[二〇零○Ｏ一三四五六七八九]{4}年[一二三四五六七八九十]{1,2}月[一二三四五六七八九十]{1,3}日))$"
)


def signature_and_date(line: str) -> tuple[str, str]:
    """A closing line split into its signature and the date written after it on the same line.

    >>> signature_and_date("长沙市岳麓区人民政府 2025年2月28日")
    ('长沙市岳麓区人民政府', '2025年2月28日')
    >>> signature_and_date("2025年,我市将继续推进依法行政")
    ('2025年,我市将继续推进依法行政', '')
    """
    text = line.strip()
    match = _TRAILING_DATE.search(text)
    if not match or not is_signature(text[: match.start()]):
        return text, ""
    return text[: match.start()].strip(), match.group(1)


# --- A web page's information line ------------------------------------------------------------------------

# Labels of a page's own date, best first: when the page was published, then updated, then a bare 日期/时间.
# 成文日期 (when the document was signed) is the page's word for the signature date: it comes last.
_PAGE_DATE_LABELS: tuple[tuple[str, ...], ...] = (
    ("发布时间", "发布日期", "发布于", "发表时间", "公开日期", "公开时间", "发文日期", "上传时间", "信息时间"),
    ("更新时间", "更新日期", "修改时间"),
    ("日期", "时间"),
    ("成文日期", "成文时间"),
)
_LABEL_RANK = {label: rank for rank, labels in enumerate(_PAGE_DATE_LABELS) for label in labels}
_BARE_LABEL_RANK = 2
_PAGE_DATE = re.compile(
    r"(?<!访问)(?<!浏览)(?<!登录)(?<!当前)(?<!现在)(?<!截止)("
    + "|".join(sorted(_LABEL_RANK, key=len, reverse=True))
    + r")\s*[:：]?\s*(20\d\d)\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})(?!\d)"
)
# The site's clock ("今天是：2019年12月3日 星期二", "当前时间：…", a lunar date) says when the page was looked
# at; a copyright line (版权所有 © 2016-2024) when the site was made; an address (…/art/2024/3/28/…) how the
# site files its pages. None of them is when the report was published.
_CLOCK = re.compile(r"^\s*(?:今天是|今日|当前时间|现在时间|现在是|北京时间)|农历")
# A weekday after a date is the clock's way of writing it, unless the label says it is a publication date.
_WEEKDAY = re.compile(r"^\s*(?:\d{1,2}:\d\d(?::\d\d)?\s*)?(?:星期|周|礼拜)[一二三四五六日天]")
_COPYRIGHT = re.compile(r"版权所有|©|\(c\)|copyright|ICP", re.IGNORECASE)
_ADDRESS = re.compile(r"(?:https?://|www\.)\S*|\S*/[A-Za-z_]\S*")
_INFO_LINE_MAX = 120


def page_date(line: str) -> tuple[int, str] | None:
    """The date a page's own information line gives, with its label's rank (0 is best), or None.

    >>> page_date("来源：长治市司法局　发布时间：2024-03-28 09:18　浏览次数：1024")
    (0, '2024-03-28')
    >>> page_date("今天是：2019年12月3日 星期二") is None, page_date("版权所有 © 2016-2024 长治市人民政府") is None
    (True, True)
    """
    text = fold(line)
    if len(text) > _INFO_LINE_MAX or _CLOCK.search(text) or _COPYRIGHT.search(text):
        return None
    text = _ADDRESS.sub(" ", text)
    found = []
    for match in _PAGE_DATE.finditer(text):
        iso = _valid_date(*(int(g) for g in match.groups()[1:]))
        rank = _LABEL_RANK[match.group(1)]
        if iso and not (rank == _BARE_LABEL_RANK and _WEEKDAY.match(text[match.end() :].lstrip("日"))):
            found.append((rank, iso))
    return min(found) if found else None


def page_date_in(lines: list[str]) -> str | None:
    """The publish date a page's information lines give: the best-labelled date among them (发布时间 before
    更新时间 before a bare 日期 before 成文日期), the first of equals; never the site's clock or copyright.

    >>> page_date_in(["成文日期：2024-03-20", "发布日期：2024-03-28"])
    '2024-03-28'
    """
    found = [(rank, n, iso) for n, line in enumerate(lines) if (hit := page_date(line)) for rank, iso in [hit]]
    return min(found)[2] if found else None


def is_page_line(paragraph: str) -> bool:
    """Whether a paragraph of a text copied from a web page is the page's, not the report's: its information
    line (发布时间：…) or the site's clock (今天是…). Such lines are neither title nor opening.

    >>> is_page_line("发布日期：2021/03/29  来源：县司法局"), is_page_line("2024年，我县坚持依法行政。")
    (True, False)
    """
    text = fold(paragraph).strip()
    if not text or len(text) > _INFO_LINE_MAX or "。" in text:
        return False
    if re.match(r"(?:今天是|今日是|当前时间|现在时间)", text) and _YEAR_MONTH.search(text):
        return True
    return page_date(text) is not None


_YEAR_MONTH = re.compile(r"20\d\d\s*[-./年]\s*\d{1,2}")


def is_date_line(paragraph: str) -> bool:
    """Whether a paragraph is a date alone, perhaps in brackets (``(2025年3月20日)`` under a title).

    >>> is_date_line("（2025年3月20日）"), is_date_line("2025年,我市将继续推进")
    (True, False)
    """
    return parse_date(fold(paragraph).strip().strip("()（）")) is not None


def text_date(paragraphs: list[str]) -> str | None:
    """A date standing alone on a line among the first paragraphs of the body (below the title), as ISO."""
    for paragraph in paragraphs[:2]:
        if is_date_line(paragraph):
            return parse_date(fold(paragraph).strip().strip("()（）"))
    return None


def issuer(closing: list[str]) -> str | None:
    """Who issued the report: the government among the signatures, else the last signature."""
    signatures = [name for line in closing if is_signature(name := signature_and_date(line)[0])]
    governments = [s for s in signatures if s.endswith("政府")]
    if governments:
        return governments[-1]
    return signatures[-1] if signatures else None


# --- Whose report: a government, one of its departments, or a township ----------------------------------

_DIVISION_END = r"(?:省|自治区|市|州|盟|地区|县|区|旗|镇|乡|苏木|街道)"
_PARTY_PREFIX = re.compile(r"^(?:中国共产党|中共)")
# The Party committee of a place (中共长治市委员会, 中共荫城镇委员会, 中共某街道工作委员会); one of its offices
# or commissions (中共长治市委依法治市委员会办公室, 市委政法委员会) is a department.
_PARTY_COMMITTEE = re.compile(
    rf"^(?:中国共产党|中共)([^委]+?{_DIVISION_END})(?:委员会|委|党委|工作委员会|党工委|工委)$"
)
# The government of a place (长治市人民政府, 忻州地区行政公署, 某街道办事处, 某开发区管委会).
_GOVERNMENT = re.compile(rf"^(.*?{_DIVISION_END})?(?:人民政府|政府|行政公署|行署|管理委员会|管委会|办事处)$")
# Below the county: 镇, 乡 (民族乡 too), 苏木, 街道. The county before it (长治县荫城镇) is the prefix.
_TOWNSHIP = re.compile(r"^(.*(?:省|自治区|市|州|盟|地区|县|区|旗))?(.+?(?:镇|乡|苏木|街道))$")
_BODY_SUFFIX = re.compile(r"(?:人民政府|政府|办事处|委员会|党委|党工委|工作委员会|工委)$")
_SELF_TOWNSHIP = re.compile(r"[我本全](镇|乡|街道)")


def issuer_kind(name: str) -> str | None:
    """What a body named in a title or signature is: ``"government"`` (a government, or the Party committee
    of a place), ``"department"`` (any other issuing body: 司法局, 市场监督管理局, a Party office) or None
    (a bare place name, or no issuing body at all).

    >>> issuer_kind("长治市人民政府"), issuer_kind("中共长治市委员会"), issuer_kind("长治市司法局")
    ('government', 'government', 'department')
    >>> issuer_kind("中共长治市委依法治市委员会办公室"), issuer_kind("曲沃县")
    ('department', None)
    """
    text = fold(name).strip()
    if _PARTY_COMMITTEE.match(text):
        return "government"
    match = _GOVERNMENT.match(text)
    if match and not re.search(r"[局委厅办]", match.group(1) or ""):
        return "government"
    return "department" if is_issuing_body(text) else None


def township_of(name: str) -> tuple[str, str] | None:
    """(the county part, the township) a title or signature names below the county, or None.

    ``长治县荫城镇人民政府`` → ``("长治县", "荫城镇")``; ``城关街道办事处`` → ``("", "城关街道")``;
    ``中共荫城镇委员会`` → ``("", "荫城镇")``; a county (曲沃县) or a department (某县乡村振兴局) → None.

    >>> township_of("长治县荫城镇人民政府"), township_of("长沙市岳麓区岳麓街道办事处"), township_of("曲沃县")
    (('长治县', '荫城镇'), ('长沙市岳麓区', '岳麓街道'), None)
    """
    text = _PARTY_PREFIX.sub("", fold(name).strip())
    text = _BODY_SUFFIX.sub("", text)
    if issuer_kind(text) == "department" or len(text) > _MAX_SIGNATURE_LENGTH:
        return None
    match = _TOWNSHIP.match(text)
    if not match or _SENTENCE_PUNCTUATION.search(text) or re.search(r"\d|年", text):
        return None
    return match.group(1) or "", match.group(2)


@dataclass(frozen=True)
class Issuer:
    """Whose report it is: one of :data:`search.models.ISSUER_LEVELS`, and the township for a township's."""

    level: str = "government"
    township: str | None = None


def issuer_level(subject: tuple[str, ...] | list[str], closing: list[str]) -> Issuer:
    """Whose report it is, from who the title says reports (``title_subject``), else the signatures.

    The title decides when it names anyone: a township (镇/乡/街道, with or without its county) makes the report
    the township's; a department named alone (长治市司法局关于…) the department's; a government, its Party
    committee, or just a place (曲沃县2024年…) the government's. A title naming no one leaves it to the
    signatures the same way; a report with neither is its place's government's.

    >>> issuer_level(("长治市司法局",), [])
    Issuer(level='department', township=None)
    >>> issuer_level((), ["中共荫城镇委员会", "荫城镇人民政府", "2024年3月1日"])
    Issuer(level='township', township='荫城镇')
    >>> issuer_level(("曲沃县",), ["曲沃县司法局"])
    Issuer(level='government', township=None)
    """
    signatures = [name for line in closing if is_signature(name := signature_and_date(line)[0])]
    for names in (list(subject), signatures):
        if not names:
            continue
        township = next((found[1] for n in names if (found := township_of(n))), None)
        if township:
            return Issuer("township", township)
        kinds = {issuer_kind(n) for n in names}
        if "department" in kinds and "government" not in kinds:
            return Issuer("department")
        return Issuer("government")
    return Issuer("government")


def calls_itself_a_township(body: str) -> bool:
    """Whether a report speaks of itself as a township (我镇, 全乡, 本街道) more than as anything else."""
    own = len(_SELF_TOWNSHIP.findall(body))
    other = len(re.findall(r"[我本全](?:省|市|县|区|州|旗|盟)", body))
    return own > other and own >= 2


def without_township(subject: tuple[str, ...]) -> tuple[str, ...]:
    """A title's subject with each township part cut to the county it names (长治县荫城镇 → 长治县), so that
    the report's region is its county: the gazetteer stops at the county.

    >>> without_township(("上党区荫城镇",)), without_township(("荫城镇",)), without_township(("曲沃县",))
    (('上党区',), (), ('曲沃县',))
    """
    parts = []
    for part in subject:
        found = township_of(part)
        if found is None:
            parts.append(part)
        elif found[0]:
            parts.append(found[0])
    return tuple(parts)
