"""What the report page shows: the report's passages with the query's matches marked, a table of
contents from its headings, a citation in every style for every passage, where the report came from, and
its text reuse: each passage's "also in N reports; earliest: …", the report's originality and the reports it
shares most with."""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup

from search import (
    HEADING_SEPARATOR,
    STYLES,
    Passage,
    Report,
    Snapshot,
    citations,
    mark,
    originality_of,
    parse_query,
    passage_reuse,
    query_spans,
    related_reports,
    reuse_line,
)


@dataclass
class PassageView:
    passage: Passage
    lead: Markup | None  # an inline heading the paragraph opens with, set in bold
    body: Markup  # the rest of the text; both escaped, with matches in <mark>
    heading_level: int | None  # the passage is a heading alone: its depth (1 = top)
    matches: int
    citation: str  # in the default style
    permalink: str
    citations: dict[str, str]  # style -> citation
    reuse: dict | None = None  # search.passage_reuse: where else the text appears
    reuse_line: str = ""  # the same in one line ("" when the text is its own)


INFERRED_LABELS = {"title": "标题", "region": "地区", "year": "年度"}


@dataclass
class TocEntry:
    passage_id: str
    label: str
    level: int


@dataclass
class ReportPage:
    report: Report
    query: str
    region: str
    passages: list[PassageView]
    toc: list[TocEntry]
    matched: list[PassageView]  # passages with at least one match, in order
    match_total: int
    citations: dict[str, str]  # of the report as a whole, style -> citation
    styles: dict[str, str]  # style -> label, the default first
    inferred_note: str  # "" when the report states its title, region and year itself
    originality: float | None = None  # share of its characters found in no earlier report
    related: list[dict] = field(default_factory=list)  # the reports it shares most with (search.related_reports)


def inferred_note(report: Report) -> str:
    """What the page says when the indexer inferred metadata, in plain Chinese.

    >>> from search import Region
    >>> inferred_note(Report("r", "a.txt", "长治市2024年法治政府建设年度报告", Region("山西省", "长治市"), 2024, None,
    ...                      None, inferred=("title", "year")))
    '原文没有标题，标题由本站根据地区和年度拟定；年度系本站根据正文推断，原文标题未写明。'
    """
    parts = []
    if report.title_inferred:
        parts.append("原文没有标题，标题由本站根据地区和年度拟定")
    rest = [INFERRED_LABELS[f] for f in report.inferred if f != "title" and f in INFERRED_LABELS]
    if rest:
        where = "原文标题和落款" if "region" in report.inferred else "原文标题"
        parts.append(f"{'、'.join(rest)}系本站根据正文推断，{where}未写明")
    return "；".join(parts) + "。" if parts else ""


def heading_parts(heading: str) -> list[str]:
    """The headings above a passage, top down."""
    return [h for h in heading.split(HEADING_SEPARATOR) if h] if heading else []


def table_of_contents(passages: tuple[Passage, ...]) -> list[TocEntry]:
    """One entry per heading, at the first passage under it (where the heading path changes or grows).

    >>> from search.models import Passage
    >>> ps = [Passage("p1", "r", 1, "一、成效", "举措成效", "一、成效"),
    ...       Passage("p2", "r", 2, "（一）执法。正文", "举措成效", "一、成效 › （一）执法")]
    >>> [(e.passage_id, e.label, e.level) for e in table_of_contents(tuple(ps))]
    [('p1', '一、成效', 1), ('p2', '（一）执法', 2)]
    """
    entries: list[TocEntry] = []
    previous: list[str] = []
    for p in passages:
        parts = heading_parts(p.heading)
        for level, part in enumerate(parts):
            if parts[: level + 1] != previous[: level + 1]:
                entries.append(TocEntry(p.passage_id, part, level + 1))
        previous = parts
    return entries


def _marked(text: str, spans: list[tuple[int, int]], start: int, end: int) -> Markup:
    """``text[start:end]`` as HTML, with the parts of ``spans`` inside it marked."""
    inside = [(max(s, start) - start, min(e, end) - start) for s, e in spans if s < end and e > start]
    return Markup(mark(text[start:end], inside))  # mark() escapes everything it does not wrap


def build_report_page(report: Report, query: str, url_root: str, snap: Snapshot | None = None) -> ReportPage:
    """The report as the page shows it; ``url_root`` (the site's absolute root URL) makes permalinks absolute;
    ``snap`` (the index generation) gives the text reuse."""
    parsed = parse_query(query) if query else None
    root = url_root.rstrip("/")
    views = []
    for p in report.passages:
        spans, count = query_spans(p.text, parsed) if parsed is not None and parsed.has_positive else ([], 0)
        parts = heading_parts(p.heading)
        last = parts[-1] if parts else ""
        is_heading = bool(last) and p.text.strip() == last.strip()
        cut = len(last) if last and not is_heading and p.text.startswith(last) else 0
        permalink = root + p.url()
        found = citations(report, p, permalink)
        reuse = passage_reuse(snap, p.passage_id) if snap is not None else None
        views.append(
            PassageView(
                passage=p,
                lead=_marked(p.text, spans, 0, cut) if cut else None,
                body=_marked(p.text, spans, cut, len(p.text)),
                heading_level=len(parts) if is_heading else None,
                matches=count,
                citation=found["gb7714_2025"],
                permalink=permalink,
                citations=found,
                reuse=reuse,
                reuse_line=reuse_line(reuse) if reuse else "",
            )
        )
    matched = [v for v in views if v.matches]
    return ReportPage(
        report=report,
        query=query,
        region=report.region.label(),
        passages=views,
        toc=table_of_contents(report.passages),
        matched=matched,
        match_total=sum(v.matches for v in matched),
        citations=citations(report, None, f"{root}/reports/{report.report_id}"),
        styles=dict(STYLES),
        inferred_note=inferred_note(report),
        originality=originality_of(snap, report.report_id) if snap is not None else None,
        related=related_reports(snap, report.report_id) if snap is not None else [],
    )
