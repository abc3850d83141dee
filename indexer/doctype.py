"""What a document is: a rule-of-law government report, or a look-alike saved by mistake.

Sites publish many documents about the 法治政府建设年度报告 next to it, and every one of them talks about
rule-of-law government in its body: the 政府信息公开工作年度报告, the 政府工作报告, news about a report ("市政府
常务会议审议《…年度报告》"), 解读 and 图解, templates and model essays (XX县, 某县, ×××), work points and
arrangements, implementation plans and the 通知/意见 issuing them, lists of demonstration areas and their 公示,
white papers, research papers about the reports, and five-year or half-year reports. The title's own words
decide: a title naming one of these kinds outranks a body about rule-of-law government. Only a document with no
title of its own is judged by its opening. Each is indexed with its type so that users can include or exclude it.
"""

from __future__ import annotations

import re

from search.analysis import fold
from search.models import REPORT_DOC_TYPE

_OPENING_CHARS = 400

_INFO_DISCLOSURE = re.compile(r"(?:政府)?信息公开(?:工作)?(?:年度)?(?:工作)?报告")
_INFO_DISCLOSURE_OPENING = re.compile(r"政府信息公开条例")
_GOVERNMENT_WORK = re.compile(r"政府工作报告")
_GOVERNMENT_WORK_OPENING = re.compile(r"^各位代表")
_RULE_OF_LAW = re.compile(r"法治政府建设|依法行政|法治建设|法治政府|法治工作")
_REPORT_WORDS = re.compile(r"报告|情况|总结|年报")

# 解读 and 图解 of a report (一图读懂…, 政策解读：…, …答记者问).
_EXPLAINER = re.compile(r"解读|图解|图说|一图读懂|一图看懂|一图了解|长图|问答|答记者问")
# Placeholders of templates and model essays: XX县, 某县, ×××, **区, ○○市, and their own names for themselves.
_PLACEHOLDER = re.compile(
    r"(?:xx|ｘｘ|某|×+|x{3,}|\*{2,}|○{2,}|〇{2,}|□{2,})(?:省|市(?![场民])|县|区|州|旗|镇|乡|街道|局|单位|部门)"
    r"|×{2,}|\*{3,}|模板|范文|范本|参考文本|写作|怎么写|如何写"
)
# A title that reports an event (a meeting that reviewed the report, its publication) rather than being the report;
# the weaker words (部署, 会议…) only when the title does not itself say it is the year's report.
_NEWS_TITLE = re.compile(r"召开|举行|举办|审议|听取|专题会|推进会|座谈会|培训会|常务会议|发布会|晒出|出炉|亮出")
_NEWS_TITLE_WEAK = re.compile(r"部署|会议|调研|督导|走访|顺利|圆满|喜获|荣获|获评|入选")
# …公布/发布了…年度报告: the title is the news of the publication, though it ends in 报告.
_PUBLICATION_NEWS = re.compile(r"(?:发布|公布|公开|晒出|亮出|出炉)了?.{0,40}报告$")
_QUOTED_REPORT = re.compile(r"《[^》]*报告[^》]*》")
_NEWS_OPENING = re.compile(r"^(?:\d{1,2}月\d{1,2}日[,，]|近日[,，]|日前[,，]|本报讯|本网讯|.{0,12}讯[(（]?记者|记者)")
_WHITE_PAPER = re.compile(r"白皮书")
# Lists of demonstration areas and projects, their 公示 and 命名.
_DEMONSTRATION = re.compile(r"示范.{0,20}(?:名单|公示|命名|名录|推荐|评选|认定)|(?:名单|公示|命名)\S{0,20}示范")
# Papers about the reports (and the 法治蓝皮书's evaluations).
_RESEARCH = re.compile(
    r"研究|分析|探析|探究|浅析|浅谈|试论|刍议|路径|对策|思考|实证|(?<!中期)评估|观察|综述|现状|启示|"
    r"蓝皮书|报告制度|年度报告的|年度报告公开"
)
# Five-year, mid-term and half-year reports; a year range in the title outside brackets (2016-2020年).
_STAGE = re.compile(
    r"半年|上半年|下半年|前三季度|季度|五年|十三五|十四五|十五五|中期评估|届期|任期|"
    r"20\d\d\s*[-—–~～至到]\s*20\d\d\s*年"
)
_ASIDE = re.compile(r"《[^》]*》|\([^)]*\)")
# Work points and arrangements, and the notice issuing them.
_WORK_POINTS = re.compile(r"工作要点|工作计划|工作安排|重点工作|工作任务|重点任务|任务清单|任务分工|工作台账")
# Implementation plans and the 通知/意见/决定 that issue or accompany them.
# The plan's or notice's own word ends the title: 法治政府建设实施纲要中期评估报告 is a report on a plan.
_PLAN = re.compile(r"(?:实施方案|实施意见|实施办法|行动方案|工作方案|规划|纲要|通知|意见|决定|批复|函|方案|办法)$")
_REPORT_LIKE_OPENING = re.compile(r"^(?:20\d\d年(?:度|以来)?[,，]|[我本](?:省|市|县|区|州|旗|盟|局|委|厅))")


def _is_annual_report_title(title: str) -> bool:
    """A title that itself says it is the year's report on rule-of-law government (…报告, …情况, …总结)."""
    return bool(_RULE_OF_LAW.search(title) and _REPORT_WORDS.search(title))


def classify_document(title: str | None, opening: str) -> str:
    """The document type (one of :data:`search.models.DOC_TYPES`) from its title and opening text.

    The title's own words decide; the opening only when there is no title (or for the tell-tale openings of a
    news item, a 政府工作报告 and a 政府信息公开 report).

    >>> classify_document("曲沃县2024年法治政府建设年度报告", "2024年，曲沃县坚持…")
    '法治政府建设年度报告'
    >>> classify_document("长治市2024年政府信息公开工作年度报告", "本报告根据《中华人民共和国政府信息公开条例》…")
    '政府信息公开年度报告'
    >>> classify_document("市政府常务会议审议《2024年法治政府建设年度报告》", "3月28日，市政府召开常务会议…")
    '新闻报道'
    >>> classify_document("长治市2024年上半年法治政府建设工作总结", "2024年上半年，我市坚持依法行政…")
    '阶段报告'
    """
    t = fold(title or "")
    o = fold(opening)[:_OPENING_CHARS]
    first_sentence = re.split(r"[。;；]", o, maxsplit=1)[0]
    bare = _ASIDE.sub("", t)
    quoted = bool(_QUOTED_REPORT.search(t))
    if _INFO_DISCLOSURE.search(t) or (not t and _INFO_DISCLOSURE_OPENING.search(o) and "本报告" in o):
        return "政府信息公开年度报告"
    if _GOVERNMENT_WORK.search(bare) or (not t and _GOVERNMENT_WORK_OPENING.search(o)):
        return "政府工作报告"
    if _EXPLAINER.search(t):
        return "解读图解"
    if _PLACEHOLDER.search(t) or _PLACEHOLDER.search(first_sentence):
        return "模板范文"
    report_title = bool(re.search(r"(?:报告|总结)$", bare)) and _is_annual_report_title(bare)
    if t and (
        _NEWS_TITLE.search(bare)
        or quoted
        or _PUBLICATION_NEWS.search(bare)
        or (_NEWS_TITLE_WEAK.search(bare) and not report_title)
    ):
        return "新闻报道"
    if _WHITE_PAPER.search(t):
        return "白皮书"
    if _DEMONSTRATION.search(t):
        return "示范名单"
    if _RESEARCH.search(t):
        return "研究文章"
    # A work plan is part of many reports' titles (…情况和2025年工作安排的报告): a report's title keeps it one.
    if _WORK_POINTS.search(t) and not (bare.endswith("报告") or re.search(r"情况|总结", bare)):
        return "工作要点"
    if _PLAN.search(bare) or (t and re.search(r"(?:通知|意见|决定|方案|办法)$", t)):
        return "实施方案"
    if _STAGE.search(bare):
        return "阶段报告"
    if _NEWS_OPENING.search(o) and not (t and _is_annual_report_title(bare)):
        return "新闻报道"
    if t:
        if _is_annual_report_title(bare):
            return REPORT_DOC_TYPE
        # A title naming the topic but not the report form (长治市2024年法治政府建设): its opening must read as
        # a report's (2024年，我市…). A title naming neither is something else, whatever its body says.
        if _RULE_OF_LAW.search(t) and _REPORT_LIKE_OPENING.search(o) and _RULE_OF_LAW.search(o):
            return REPORT_DOC_TYPE
        return "其他"
    # No title line: the opening of a report says what it reports on.
    return REPORT_DOC_TYPE if _RULE_OF_LAW.search(o) else "其他"
