"""What a document is: a rule-of-law government report, or a look-alike saved by mistake.

Sites publish several annual documents with similar names next to the 法治政府建设年度报告: the 政府信息公开工作
年度报告, the 政府工作报告, news items about a report ("市政府常务会议审议《…年度报告》"), and the year's 工作要点.
They are indexed with their type so that users can include or exclude them.
"""

from __future__ import annotations

import re

from search.analysis import fold
from search.models import REPORT_DOC_TYPE

_OPENING_CHARS = 400

_INFO_DISCLOSURE = re.compile(r"(?:政府)?信息公开(?:工作)?(?:年度)?(?:工作)?报告")
_INFO_DISCLOSURE_OPENING = re.compile(r"政府信息公开条例")
_WORK_POINTS = re.compile(r"工作要点|工作计划|重点工作安排|工作任务")
_GOVERNMENT_WORK = re.compile(r"政府工作报告")
_GOVERNMENT_WORK_OPENING = re.compile(r"^各位代表")
_RULE_OF_LAW = re.compile(r"法治政府建设|依法行政|法治建设|法治政府")
_REPORT_WORDS = re.compile(r"报告|情况")
# A title that reports an event (a meeting that reviewed the report, its publication) rather than being the report.
_NEWS_TITLE = re.compile(
    r"召开|举行|举办|审议|听取|部署|专题会|推进会|座谈会|培训会|常务会议|会议|调研|督导|走访|发布会|答记者问|"
    r"解读|图解|一图读懂|晒出|出炉|亮出|顺利|圆满|喜获|荣获|获评|入选"
)
_EXPLAINER = re.compile(r"^(?:一图读懂|图解|图说|解读|政策解读)")
_QUOTED_REPORT = re.compile(r"《[^》]*报告[^》]*》")
_NEWS_OPENING = re.compile(r"^(?:\d{1,2}月\d{1,2}日[,，]|近日[,，]|日前[,，]|本报讯|本网讯|.{0,12}讯[(（]?记者|记者)")


def classify_document(title: str | None, opening: str) -> str:
    """The document type (one of :data:`search.models.DOC_TYPES`) from its title and opening text.

    >>> classify_document("曲沃县2024年法治政府建设年度报告", "2024年，曲沃县坚持…")
    '法治政府建设年度报告'
    >>> classify_document("长治市2024年政府信息公开工作年度报告", "本报告根据《中华人民共和国政府信息公开条例》…")
    '政府信息公开年度报告'
    >>> classify_document("市政府常务会议审议《2024年法治政府建设年度报告》", "3月28日，市政府召开常务会议…")
    '新闻报道'
    """
    t = fold(title or "")
    o = fold(opening)[:_OPENING_CHARS]
    is_report_title = t.endswith("报告") and not _QUOTED_REPORT.search(t) and not _EXPLAINER.search(t)
    if _INFO_DISCLOSURE.search(t) or (not t and _INFO_DISCLOSURE_OPENING.search(o) and "本报告" in o):
        return "政府信息公开年度报告"
    if t and not is_report_title and (_NEWS_TITLE.search(t) or _QUOTED_REPORT.search(t)):
        return "新闻报道"
    if _NEWS_OPENING.search(o) and not is_report_title:
        return "新闻报道"
    if _WORK_POINTS.search(t) and not t.endswith("报告"):
        return "工作要点"
    if _GOVERNMENT_WORK.search(t) or (not t and _GOVERNMENT_WORK_OPENING.search(o)):
        return "政府工作报告"
    if _RULE_OF_LAW.search(t) and _REPORT_WORDS.search(t):
        return REPORT_DOC_TYPE
    if not _REPORT_WORDS.search(t) and _RULE_OF_LAW.search(o):
        # No title line (or a bare one): the opening of a report says what it reports on.
        return REPORT_DOC_TYPE
    return "其他"
