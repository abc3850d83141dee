"""Citations a footnote can take as they are, in the styles Chinese legal and policy scholars use, and the
structured reference that RIS, BibTeX and CSL-JSON exports are made from (one source for the site, the API and
exports).

Styles (keys of :data:`STYLES`):

- ``gb7714_2025``: GB/T 7714-2025 (in force since 2026-07-01; the default). An electronic resource:
  ``责任者. 题名[EB/OL]. （发布日期）[引用日期]：第N段. URL.`` 2025 sets Chinese entries in full-width
  ``（）``/``：``/``，`` and keeps ``. `` between elements and ``[]`` round the access date (as the CSL style
  ``china-national-standard-gb-t-7714-2025-numeric`` does).
- ``gb7714_2015``: GB/T 7714-2015: ``责任者. 题名[EB/OL]. (发布日期)[引用日期]: 第N段. URL.``
- ``fxyz``: 《法学引注手册》 (北京大学出版社 2020):
  ``责任者：《题名》，载某网站2025年2月28日，第N段，URL，最后访问日期：2026年12月2日。``

The paragraph (第N段) stands where a page number would (引文页码): after the dates in GB/T 7714, after the
publication details in 《法学引注手册》. The section label of this site and its ``›`` heading paths are not part of
a citation. A title the indexer composed (the report has none) is set in ``[]``, GB/T 7714's mark for
information supplied by the cataloguer, never in 《》; 《法学引注手册》 adds a note saying so.

The address is the report's original one (``source_url``) when known, else its permalink on this site; the
access date is given only when known (a manifest or a saved archive says it), never made up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from search.models import REPORT_DOC_TYPE, Passage, Region, Report

if TYPE_CHECKING:
    from search.contract import Snapshot

STYLES: dict[str, str] = {
    "gb7714_2025": "GB/T 7714-2025",
    "gb7714_2015": "GB/T 7714-2015",
    "fxyz": "法学引注手册",
}
"""Citation styles, key → label; the first is the default."""

DEFAULT_STYLE = "gb7714_2025"
SITE_NAME = "法治政府建设年度报告检索"
"""How 《法学引注手册》 names this site when a citation points at its permalink."""
COMPOSED_TITLE_NOTE = "原文无标题，题名系据其地区和年度拟定"


def government_of(region: Region) -> str | None:
    """The people's government of a region, by its official name.

    A district (区) goes by its city's name too (长沙市岳麓区人民政府); counties and county-level cities by
    their own (曲沃县人民政府, 灵武市人民政府); a league or prefecture (盟, 地区) has an administrative office.

    >>> government_of(Region("湖南省", "长沙市", "岳麓区")), government_of(Region("山西省", "长治市"))
    ('长沙市岳麓区人民政府', '长治市人民政府')
    >>> government_of(Region("山西省")), government_of(Region("天津市", None, "静海区"))
    ('山西省人民政府', '天津市静海区人民政府')
    >>> government_of(Region("宁夏回族自治区", "银川市", "灵武市")), government_of(Region())
    ('灵武市人民政府', None)
    """
    names = region.names()
    if not names:
        return None
    place = names[-1]
    if region.county and place.endswith("区") and len(names) > 1 and not place.endswith("地区"):
        place = names[-2] + place  # 天津市静海区, 长沙市岳麓区: the parent is the prefecture or the municipality
    suffix = "行政公署" if place.endswith(("盟", "地区")) else "人民政府"
    return place + suffix


def issuer_of(report: Report) -> str | None:
    """Who a citation names as responsible: the issuer the report names; else, for a rule-of-law report, the
    government of its region; a department's or another kind of document keeps only an issuer it names."""
    if report.issuer:
        return report.issuer
    if report.doc_type != REPORT_DOC_TYPE:
        return None
    return government_of(report.region)


def citation_url(report: Report, permalink: str) -> str:
    """The address a citation gives: the original when known, else the permalink on this site."""
    return report.source_url or permalink


def _chinese_date(iso: str) -> str:
    """``2026-12-02`` → ``2026年12月2日``."""
    year, month, day = iso.split("-")
    return f"{int(year)}年{int(month)}月{int(day)}日"


def _number(passage: Passage | None) -> int | None:
    return passage.number if passage is not None else None


def _gb7714(report: Report, number: int | None, permalink: str, *, fullwidth: bool) -> str:
    """GB/T 7714 of ``report``, with paragraph ``number`` as its pinpoint (None: the report as a whole)."""
    author = issuer_of(report)
    title = f"[{report.title}]" if report.title_inferred else report.title
    head = f"{author}. {title}[EB/OL]" if author else f"{title}[EB/OL]"
    opening, closing, colon = ("（", "）", "：") if fullwidth else ("(", ")", ": ")
    dates = f"{opening}{report.publish_date}{closing}" if report.publish_date else ""
    dates += f"[{report.accessed}]" if report.accessed else ""
    pinpoint = f"{colon}第{number}段" if number is not None else ""
    parts = [head + (pinpoint if not dates else ""), *([dates + pinpoint] if dates else [])]
    return ". ".join([*parts, citation_url(report, permalink)]) + "."


def gb7714_2025(report: Report, passage: Passage | None, permalink: str) -> str:
    """GB/T 7714-2025, an electronic resource [EB/OL] with the paragraph as its pinpoint.

    >>> r = Report("r1", "a.txt", "关于2024年岳麓区法治政府建设工作情况的报告", Region("湖南省", "长沙市", "岳麓区"),
    ...            2024, "2025-02-28", "长沙市岳麓区人民政府", source_url="https://www.yuelu.gov.cn/a.html",
    ...            accessed="2026-12-02")
    >>> print(gb7714_2025(r, Passage("p1", "r1", 5, "…", "举措成效", ""), "http://x/r1").replace(". ", ".\\n"))
    长沙市岳麓区人民政府.
    关于2024年岳麓区法治政府建设工作情况的报告[EB/OL].
    （2025-02-28）[2026-12-02]：第5段.
    https://www.yuelu.gov.cn/a.html.
    """
    return _gb7714(report, _number(passage), permalink, fullwidth=True)


def gb7714_2015(report: Report, passage: Passage | None, permalink: str) -> str:
    """GB/T 7714-2015, an electronic resource [EB/OL] with the paragraph as its pinpoint.

    >>> r = Report("r1", "a.txt", "长治市2024年法治政府建设年度报告", Region("山西省", "长治市"), 2024, None, None,
    ...            inferred=("title",))
    >>> gb7714_2015(r, None, "http://x/reports/r1")
    '长治市人民政府. [长治市2024年法治政府建设年度报告][EB/OL]. http://x/reports/r1.'
    """
    return _gb7714(report, _number(passage), permalink, fullwidth=False)


def _site(report: Report, author: str | None) -> str:
    """Where 《法学引注手册》 says the document is carried (载…): this site, a government's site, or the host."""
    if not report.source_url:
        return SITE_NAME
    host = urlsplit(report.source_url).hostname or ""
    if author and author.endswith(("人民政府", "行政公署")) and host.endswith(".gov.cn"):
        return f"{author}网站"
    return host


def fxyz(report: Report, passage: Passage | None, permalink: str) -> str:
    """《法学引注手册》 (2020), a web document, with the paragraph where a page number would stand.

    >>> r = Report("r1", "a.txt", "关于2024年岳麓区法治政府建设工作情况的报告", Region("湖南省", "长沙市", "岳麓区"),
    ...            2024, None, "长沙市岳麓区人民政府", source_url="https://www.yuelu.gov.cn/a.html",
    ...            accessed="2026-12-02")
    >>> print(fxyz(r, None, "http://x/reports/r1").replace("，", "，\\n"))
    长沙市岳麓区人民政府：《关于2024年岳麓区法治政府建设工作情况的报告》，
    载长沙市岳麓区人民政府网站，
    https://www.yuelu.gov.cn/a.html，
    最后访问日期：2026年12月2日。
    """
    return _fxyz(report, _number(passage), permalink)


def _fxyz(report: Report, number: int | None, permalink: str) -> str:
    author = issuer_of(report)
    title = f"[{report.title}]（{COMPOSED_TITLE_NOTE}）" if report.title_inferred else f"《{report.title}》"
    carried = "载" + _site(report, author) + (_chinese_date(report.publish_date) if report.publish_date else "")
    parts = [f"{author}：{title}" if author else title, carried]
    if number is not None:
        parts.append(f"第{number}段")
    parts.append(citation_url(report, permalink))
    if report.accessed:
        parts.append(f"最后访问日期：{_chinese_date(report.accessed)}")
    return "，".join(parts) + "。"


FORMATTERS = {
    "gb7714_2025": partial(_gb7714, fullwidth=True),
    "gb7714_2015": partial(_gb7714, fullwidth=False),
    "fxyz": _fxyz,
}
"""Each style's citation of a report and a paragraph number (None: the report as a whole)."""


def citations(report: Report, passage: Passage | None, permalink: str) -> dict[str, str]:
    """The citation in every style, keyed as :data:`STYLES` (the API's ``citations`` object)."""
    return citations_at(report, _number(passage), permalink)


def citations_at(report: Report, number: int | None, permalink: str) -> dict[str, str]:
    """:func:`citations` of paragraph ``number`` of ``report`` (None: the report as a whole): what a hit
    already says of its passage is all a citation reads."""
    return {key: FORMATTERS[key](report, number, permalink) for key in STYLES}


def with_citations(body: dict, snap: Snapshot, root: str) -> dict:
    """``body`` (a search's JSON, as ``/api/search`` and ``fazhi search --json`` give it) with the citations of
    every hit and report row, their links made absolute with ``root`` (the site's address)."""
    for hit in body["hits"]:  # the report's metadata (a hit says its paragraph and link): no text is read
        report = snap.report_metadata_of(snap.store.passage_row(hit["passage_id"]))  # type: ignore[arg-type]
        hit["citations"] = citations_at(report, hit["number"], root + hit["url"])
    for row in body["reports"] or ():
        row["citations"] = citations(snap.report(row["report_id"]), None, f"{root}/reports/{row['report_id']}")
    return body


def citation(report: Report, passage: Passage | None, permalink: str) -> str:
    """The citation in the default style (GB/T 7714-2025); without a passage, of the report as a whole."""
    return gb7714_2025(report, passage, permalink)


@dataclass(frozen=True)
class Reference:
    """One record of a reference-manager export (RIS, BibTeX, CSL-JSON): a report, or one passage of it."""

    id: str  # the passage id, or the report id for a whole report
    title: str  # as cited: a composed title in []
    title_inferred: bool
    issuer: str | None
    publish_date: str | None
    accessed: str | None
    url: str  # the original address, else the permalink
    permalink: str
    year: int | None
    region: tuple[str, ...]
    paragraph: int | None  # the passage's number (第N段), for a passage
    text: str | None  # the passage as published, for a passage
    doc_type: str
    citations: dict[str, str] = field(default_factory=dict)

    @property
    def notes(self) -> list[str]:
        """What a reference manager keeps as notes: the pinpoint (第N段) and the composed-title warning."""
        notes = [f"第{self.paragraph}段"] if self.paragraph is not None else []
        if self.title_inferred:
            notes.append(COMPOSED_TITLE_NOTE)
        return notes


def reference(report: Report, passage: Passage | None, permalink: str) -> Reference:
    """The structured reference for ``report`` (and ``passage``), for RIS, BibTeX and CSL-JSON."""
    return Reference(
        id=passage.passage_id if passage is not None else report.report_id,
        title=f"[{report.title}]" if report.title_inferred else report.title,
        title_inferred=report.title_inferred,
        issuer=issuer_of(report),
        publish_date=report.publish_date,
        accessed=report.accessed,
        url=citation_url(report, permalink),
        permalink=permalink,
        year=report.year,
        region=tuple(report.region.names()),
        paragraph=passage.number if passage is not None else None,
        text=passage.text if passage is not None else None,
        doc_type=report.doc_type,
        citations=citations(report, passage, permalink),
    )
