"""Citations a reader can paste, for a passage or a whole report (one form for the site, the API and exports)."""

from __future__ import annotations

from search.models import Passage, Report


def citation(report: Report, passage: Passage | None, permalink: str) -> str:
    """``《title》（region，year），section · heading，第N段。permalink``; without a passage, the report alone.

    >>> from search.models import Region
    >>> r = Report("r1", "a.txt", "长治市2024年法治政府建设年度报告", Region("山西省", "长治市"), 2024, None, None)
    >>> citation(r, None, "http://example.org/reports/r1")
    '《长治市2024年法治政府建设年度报告》（山西省长治市，2024年）。http://example.org/reports/r1'
    """
    where = "".join(report.region.names())
    when = f"{report.year}年" if report.year else ""
    source = "，".join(x for x in (where, when) if x)
    head = f"《{report.title}》{f'（{source}）' if source else ''}"
    if passage is None:
        return f"{head}。{permalink}"
    place = passage.section + (f" · {passage.heading}" if passage.heading else "")
    return f"{head}，{place}，第{passage.number}段。{permalink}"
