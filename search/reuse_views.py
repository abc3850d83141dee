"""What users see of a generation's text reuse (:attr:`Snapshot.reuse`, found at index time): a passage's
"also in N reports; earliest: …" (:func:`passage_reuse`), a report's reuse and the reports it shares most
with (:func:`report_reuse`), and two reports side by side, aligned by their mandated sections, shared spans
marked in both (:mod:`search.compare`). Each is one object the pages, the API and the CLI render alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from search.models import Region

if TYPE_CHECKING:
    from search.contract import Snapshot
    from search.reports import ReportSelection

LINKS_SHOWN = 10
"""Links listed with a passage's reuse (``links``); ``links_total`` says how many there are. Boilerplate is
shared by thousands of passages: the counts are exact, the list is not all of them."""

RELATED_SHOWN = 10
"""Reports listed as sharing most with a report."""


class UnknownReportError(LookupError):
    """A report id that is not in the index; ``param`` names the parameter that gave it (a 404)."""

    def __init__(self, param: str, report_id: str) -> None:
        super().__init__(f"no report with report_id {report_id!r} ({param})")
        self.param = param
        self.report_id = report_id


def place_name(region: Region) -> str:
    """The deepest name of a region, as "also in … earliest: 灵武市 2021" names it ("" for no region).

    >>> place_name(Region("宁夏回族自治区", "银川市", "灵武市")), place_name(Region())
    ('灵武市', '')
    """
    names = region.names()
    return names[-1] if names else ""


def _holder(snap: Snapshot, report_id: str, passage_id: str, year, region: Region, publish_date) -> dict:
    index = snap.store.report_index(report_id)  # the title from the store's column: no report is built
    return {
        "report_id": report_id,
        "passage_id": passage_id,
        "year": year,
        "region": region.to_dict(),
        "place": place_name(region),
        "publish_date": publish_date,
        "title": snap.store.report_titles[index] if index is not None else "",
        "url": f"/reports/{report_id}#{passage_id}",
    }


def passage_reuse(snap: Snapshot, passage_id: str, links: int = LINKS_SHOWN) -> dict:
    """Where else a passage's text appears: ``{reports, passages, shared, earliest, tie, tied, earliest_is_self,
    links, links_total}``. ``earliest`` (report year, then publish date) may be the passage itself; when
    other holders share its year and date, ``tie`` is true and ``tied`` lists them (并列). With ``links=0``
    (every hit of a search) only the summary is read: ``links`` and ``tied`` stay empty."""
    reuse = snap.reuse.passage(passage_id, links=links > 0, first=links)
    earliest = reuse.earliest
    out: dict = {
        "reports": reuse.reports,
        "passages": reuse.passages,
        "shared": reuse.passages > 0,
        "earliest": None,
        "tie": bool(reuse.tie),
        "tied": [],
        "earliest_is_self": False,
        "links": [],
        "links_total": reuse.passages,
    }
    if earliest is not None:
        out["earliest"] = _holder(
            snap, earliest.report_id, earliest.passage_id, earliest.year, earliest.region, earliest.publish_date
        )
        out["earliest_is_self"] = earliest.passage_id == passage_id
        if reuse.tie:
            key = (earliest.year, earliest.publish_date)
            holders = [
                (link.report_id, link.passage_id, link.year, link.region, link.publish_date)
                for link in (*reuse.links, reuse.own)
                if link is not None
            ]
            out["tied"] = [_holder(snap, *h) for h in holders if (h[2], h[4]) == key and h[1] != earliest.passage_id]
    for link in reuse.links[:links]:
        row = _holder(snap, link.report_id, link.passage_id, link.year, link.region, link.publish_date)
        row["whole"] = link.whole
        row["shared_chars"] = link.shared_chars
        out["links"].append(row)
    return out


REUSE_COLUMNS: tuple[str, ...] = (
    "reuse_reports",
    "reuse_passages",
    "reuse_earliest_report_id",
    "reuse_earliest_passage_id",
    "reuse_earliest_province",
    "reuse_earliest_prefecture",
    "reuse_earliest_county",
    "reuse_earliest_year",
    "reuse_earliest_tie",
    "reuse_earliest_permalink",
)
"""A passage's reuse in the columns of a hits export (the summary every hit carries as ``reuse``, flattened)."""


def reuse_columns(snap: Snapshot, passage_id: str, base_url: str = "") -> dict:
    """A passage's reuse summary as export columns (:data:`REUSE_COLUMNS`): the other reports and passages
    sharing its text, and the earliest holder (the passage itself when it was first; its report, region, year
    and permalink; whether it is tied). A passage sharing nothing has 0 and 0, and no earliest."""
    reuse = snap.reuse.passage(passage_id, links=False)
    earliest = reuse.earliest
    if earliest is None:
        return {"reuse_reports": 0, "reuse_passages": 0, **{c: None for c in REUSE_COLUMNS[2:]}}
    region = earliest.region
    return {
        "reuse_reports": reuse.reports,
        "reuse_passages": reuse.passages,
        "reuse_earliest_report_id": earliest.report_id,
        "reuse_earliest_passage_id": earliest.passage_id,
        "reuse_earliest_province": region.province,
        "reuse_earliest_prefecture": region.prefecture,
        "reuse_earliest_county": region.county,
        "reuse_earliest_year": earliest.year,
        "reuse_earliest_tie": bool(reuse.tie),
        "reuse_earliest_permalink": f"{base_url}/reports/{earliest.report_id}#{earliest.passage_id}",
    }


def reuse_line(reuse: dict) -> str:
    """The passage's reuse in one Chinese line, as the pages and the CLI print it ("" when the text is its own).

    >>> r = {"reports": 3, "passages": 4, "earliest": {"place": "灵武市", "year": 2021}, "tie": True,
    ...      "tied": [{}], "earliest_is_self": False}
    >>> reuse_line(r)
    '另见于 3 份报告（4 段）；最早：灵武市 2021（并列 2 段）'
    >>> reuse_line({"reports": 0, "passages": 0, "earliest": None})
    ''
    """
    if not reuse.get("passages"):
        return ""
    tied = len(reuse.get("tied") or ())
    earliest = reuse["earliest"] or {}
    who = (
        "本段"
        if reuse.get("earliest_is_self")
        else f"{earliest.get('place') or '地区不详'} {earliest.get('year') or '年度不详'}"
    )
    line = f"另见于 {reuse['reports']} 份报告（{reuse['passages']} 段）；最早：{who}"
    if reuse.get("tie"):
        line += f"（并列 {tied + 1} 段）" if tied else "（并列）"
    return line


def related_reports(snap: Snapshot, report_id: str, limit: int = RELATED_SHOWN) -> list[dict]:
    """The reports sharing most text with this one: ``{report_id, title, region, place, year, shared_chars,
    url, compare_url}``, most shared characters first."""
    out = []
    for other_id, shared in snap.reuse.related_reports(report_id, limit):
        other = snap.report(other_id)
        if other is None:
            continue
        out.append(
            {
                "report_id": other_id,
                "title": other.title,
                "region": other.region.to_dict(),
                "place": place_name(other.region),
                "year": other.year,
                "shared_chars": int(shared),
                "url": f"/reports/{other_id}",
                "compare_url": f"/compare?a={report_id}&b={other_id}",
            }
        )
    return out


def originality_of(snap: Snapshot, report_id: str) -> float | None:
    """The share of a report's characters found in no earlier report (0–1, four decimals); None if unknown."""
    value = snap.reuse.report_originality(report_id)
    return None if value is None else round(float(value), 4)


REPORT_LIST_SORTS: tuple[str, ...] = ("index", "originality")
"""Orders of the report list (``/api/reports``): the index's order, or originality (least original first
unless ``order=desc``: the reports that copy most lead)."""


def originalities(snap: Snapshot, reports: ReportSelection) -> list[float]:
    """The originality (four decimals) of each report of a selection, in its order (read from the column)."""
    values = snap.reuse.originality()
    return [round(float(values[i]), 4) for i in reports.indexes.tolist()]


def sort_reports(snap: Snapshot, reports: ReportSelection, sort: str, order: str = "") -> ReportSelection:
    """The report list in the order ``sort`` (one of REPORT_LIST_SORTS) and ``order`` (asc | desc) ask; ties
    keep index order. Sorted on the columns: no report is read."""
    from search.reports import ReportSelection  # the report list is built on the entry point, which uses this module

    indexes = reports.indexes
    if sort == "originality":
        values = np.round(np.asarray(snap.reuse.originality(), dtype=np.float64), 4)[indexes]
        indexes = indexes[np.lexsort((indexes, -values if order == "desc" else values))]
    elif order == "desc":
        indexes = indexes[::-1]
    return ReportSelection(snap, indexes)


def report_reuse(snap: Snapshot, report_id: str) -> dict:
    """A report's reuse: its originality, the reports it shares most with, and each passage's reuse
    (``fazhi reuse REPORT_ID``, the report page). :class:`UnknownReportError` for an unknown id."""
    report = snap.report(report_id)
    if report is None:
        raise UnknownReportError("report_id", report_id)
    return {
        "report_id": report_id,
        "title": report.title,
        "region": report.region.to_dict(),
        "year": report.year,
        "originality": originality_of(snap, report_id),
        "related": related_reports(snap, report_id),
        "passages": [
            {
                "passage_id": p.passage_id,
                "number": p.number,
                "section": p.section,
                "url": p.url(),
                "reuse": passage_reuse(snap, p.passage_id),
            }
            for p in report.passages
        ],
    }
