"""What the search page shows, computed from one :class:`SearchResponse`: facets with toggle URLs, the
filters in force, hits with their links, pages, orders, and what to try when nothing matched."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from search import (
    MAX_RESULT_DEPTH,
    SECTIONS,
    STYLES,
    ConcordanceLine,
    ConcordanceResponse,
    FacetValue,
    Hit,
    ReportRow,
    SearchResponse,
    Snapshot,
    citations,
    segment,
)
from web.links import SearchLinks

FACET_LABELS: dict[str, str] = {
    "region": "地区",
    "year": "年度",
    "section": "章节",
    "doc_type": "文档类型",
    "reuse": "文字来源",
}
"""Chinese names of the facets; a facet not listed here shows its key."""

SORT_LABELS: dict[str, str] = {"relevance": "相关度", "year": "年度（新→旧）", "region": "地区"}

VIEW_LABELS: dict[str, str] = {"passages": "段落", "reports": "报告", "kwic": "语境"}
"""The tabs of the search page: hits (the default), the report table, the concordance."""

REPORT_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("title", "报告", False),
    ("region", "地区", False),
    ("year", "年度", True),
    ("passages", "段", True),
    ("occurrences", "处", True),
    ("chars", "字数", True),
    ("per_10k_chars", "每万字", True),
    ("originality", "原创度", True),
)
"""The report table's sortable columns: (sort key, header, numeric)."""

KWIC_SORT_LABELS: dict[str, str] = {
    "position": "位置",
    "left": "左语境",
    "right": "右语境",
    "year": "年度",
    "region": "地区",
}
DESCENDING_FIRST = {"occurrences", "per_10k_chars", "passages", "chars", "year"}
"""Sorts whose own direction (``order`` left out) is largest or newest first; the others go A→Z."""

NOT_TRENDS_PARAMS = ("view", "sort", "order", "group", "facet_count", "per_page", "width", "format")
"""Parameters of a search that a trends chart has no use for (its filters and the query carry over)."""

DOWNLOAD_FORMATS: tuple[tuple[str, str], ...] = (("csv", "CSV"), ("xlsx", "Excel (XLSX)"), ("jsonl", "JSONL"))
REFERENCE_DOWNLOADS: tuple[tuple[str, str], ...] = (("ris", "RIS"), ("bibtex", "BibTeX"), ("csljson", "CSL-JSON"))
"""Reference-manager exports (Zotero, EndNote): offered for hits and the report table, not concordance lines."""

_QUERY_TERM = re.compile(r'-?"[^"]*"?|\S+')
_YEAR_RANGE_SEPARATOR = re.compile(r"[-–~～至]")


REUSE_LABELS: dict[str, str] = {"original": "未见于其他报告", "shared": "与其他报告共有"}
"""The reuse facet's values as they read: a passage found in no other report, or shared with one."""


def value_label(facet: str, value: object) -> str:
    """How a facet value reads in the interface: years as ``2024年``, a range as ``2021–2024``, else as it is.

    >>> value_label("year", 2024), value_label("year", "2021-2024"), value_label("year", "2021-")
    ('2024年', '2021–2024', '2021年起')
    """
    if facet == "reuse":
        return REUSE_LABELS.get(str(value), str(value))
    if facet != "year":
        return str(value)
    text = str(value).strip()
    if text.isdigit():
        return f"{text}年"
    low, high = (part.strip() for part in (_YEAR_RANGE_SEPARATOR.split(text, maxsplit=1) + [""])[:2])
    if low and high:
        return f"{low}–{high}"
    return f"{low}年起" if low else f"{high}年止"


def with_query(url: str, query: str) -> str:
    """``url`` (which may end in ``#fragment``) carrying ``?q=query`` so the page it opens highlights matches."""
    if not query:
        return url
    path, hash_, fragment = url.partition("#")
    return f"{path}?q={quote(query)}{hash_}{fragment}"


@dataclass
class FacetRow:
    value: str
    label: str
    count: int
    selected: bool
    toggle_url: str
    level: str | None = None
    children: list[FacetRow] = field(default_factory=list)
    open: bool = False  # this value or one below it is chosen: its children are shown
    has_children: bool = False


@dataclass
class Facet:
    name: str
    label: str
    rows: list[FacetRow]  # top-level rows; a tree facet (region) nests the rest as children
    selected: int


@dataclass
class Filter:
    """One filter in force, with the link that drops it and, when known, how many passages would match then."""

    label: str
    remove_url: str
    count_without: int | None = None


@dataclass
class Link:
    label: str
    url: str
    current: bool = False


@dataclass
class Suggestion:
    """Something to try when nothing matched, with what it finds (never offered when it finds nothing)."""

    label: str
    url: str
    passages: int = 0  # 段
    reports: int = 0  # 份


@dataclass
class HitView:
    hit: Hit
    link: str  # the passage in its report, with ?q= so the report page highlights the matches
    region: str
    more: int  # other matching passages (段) in the same report (grouped results)
    more_url: str
    citations: dict[str, str] = field(default_factory=dict)  # style -> citation; {} without a snapshot
    cite_id: str = ""  # the element holding the default style's citation, for the copy button


@dataclass
class Column:
    """A header of the report table: a link that sorts by it (again: the other way round)."""

    key: str
    label: str
    url: str
    numeric: bool
    aria_sort: str | None  # ascending | descending on the current sort, else None


@dataclass
class ReportTableView:
    columns: list[Column]
    sections: list[str]  # the per-section columns: sections where some report on this page has occurrences
    rows: list[ReportRow]
    regions: list[str]  # by row: the region as it reads
    links: list[str]  # by row: its first matching passage, with ?q=


@dataclass
class KwicLine:
    line: ConcordanceLine
    link: str  # the passage in its report, with ?q= so the match is marked there
    region: str
    citations: dict[str, str]  # style -> citation
    cite_id: str  # the element holding the default style's citation, for the copy button


@dataclass
class KwicView:
    response: ConcordanceResponse | None  # None: no query, nothing to line up
    lines: list[KwicLine]
    sorts: list[Link]  # each sort; on the current one, its link reverses the order
    order_label: str  # how the current sort runs, e.g. "升序"


@dataclass
class SearchPage:
    response: SearchResponse
    query: str
    view: str  # passages | reports | kwic
    tabs: list[Link]
    facet_unit: str  # what the facet counts count: 份 (reports) or 段 (passages)
    facet_count_links: list[Link]
    downloads: list[Link]
    reference_downloads: list[Link]  # RIS, BibTeX, CSL-JSON ([] in the concordance)
    copy_all_url: str  # the whole result as JSON Lines, whose rows carry every citation ("" in the concordance)
    styles: dict[str, str]  # citation style -> label, the default first
    json_url: str
    trends_url: str  # the query (and filters) over the years
    report_table: ReportTableView | None
    kwic: KwicView | None
    hits: list[HitView]
    facets: list[Facet]
    filters: list[Filter]
    clear_url: str
    sorts: list[Link]
    group_link: Link
    reverse_link: Link | None  # year or region order: run it the other way
    pages: list[Link | None]  # None marks a gap (…)
    prev_url: str | None
    next_url: str | None
    page_count: int
    first_url: str
    last_url: str
    first_shown: int
    last_shown: int
    shorter: list[Suggestion]  # no results: the query with a term left out, or split into words
    hidden_params: list[tuple[str, str]]  # filters, order and grouping the search box keeps
    drop_filters: list[Suggestion] = field(default_factory=list)  # no results: the search without one filter
    past_end: bool = False  # a page after the last: the page offers one link back instead of paging


def _facet_rows(name: str, values: list[FacetValue], links: SearchLinks) -> list[FacetRow]:
    """Facet values as rows with toggle URLs; values with a parent (regions) nest under it.

    A tree shows its top level, and the children of a value only along the path to a chosen value: choosing
    山西省 opens its prefectures. That keeps the page small however many counties the index holds.
    """
    selected = set(links.selected(name))
    parent_of = {str(v.value): v.parent for v in values}

    def ancestors(value: str) -> list[str]:
        out, p = [], parent_of.get(value)
        while p and p not in out:
            out.append(p)
            p = parent_of.get(p)
        return out

    opened = {a for key in selected for a in ancestors(key)} | selected
    lineage = {key: set(ancestors(key)) for key in selected}
    rows: dict[str, FacetRow] = {}
    top: list[FacetRow] = []
    for v in values:  # parents come before their children (the search layer orders regions by level)
        key = str(v.value)
        parent = rows.get(v.parent) if v.parent else None
        if parent is not None:
            parent.has_children = True
            if not parent.open:
                continue
        elif v.parent and v.parent in parent_of:
            continue  # under a parent that is itself hidden
        # Choosing a region drops a chosen ancestor or descendant, which would only blur it.
        replaces = [s for s in selected if s in ancestors(key) or key in lineage[s]]
        row = FacetRow(
            value=key,
            label=value_label(name, v.value),
            count=v.count,
            selected=key in selected,
            toggle_url=links.toggle(name, key, replaces=replaces),
            level=v.level,
            open=key in opened,
        )
        rows[key] = row
        (parent.children if parent else top).append(row)
    for key in selected - parent_of.keys():  # chosen but matching nothing now: still shown, to be unticked
        if name == "year" and not key.isdigit():
            continue  # a year range (2021-2024) is no row of the facet: its chip above the results drops it
        top.insert(0, FacetRow(key, value_label(name, key), 0, True, links.toggle(name, key)))
    return top


def _filters(response: SearchResponse, links: SearchLinks, names: list[str]) -> list[Filter]:
    out = []
    for name in names:
        chosen = links.selected(name)
        # A facet's counts ignore its own filter, so its top-level counts add up to the matches without it.
        without = sum(v.count for v in response.facets.get(name, ()) if not v.parent) if len(chosen) == 1 else None
        for value in chosen:
            out.append(
                Filter(
                    label=f"{FACET_LABELS.get(name, name)}：{value_label(name, value)}",
                    remove_url=links.toggle(name, value),
                    count_without=without,
                )
            )
    return out


def _pages(current: int, count: int, links: SearchLinks) -> list[Link | None]:
    """Page 1, the last page, and two either side of the current one, with gaps between."""
    wanted = sorted({1, count, *range(current - 2, current + 3)} & set(range(1, count + 1)))
    out: list[Link | None] = []
    for n, prev in zip(wanted, [0, *wanted], strict=False):
        if n - prev > 1:
            out.append(None)
        out.append(Link(str(n), links.page(n), n == current))
    return out


def _shorter(query: str, links: SearchLinks) -> list[Suggestion]:
    """Queries that ask for less: each term left out in turn, or a single long term split into words."""
    terms = _QUERY_TERM.findall(query)
    if "OR" in terms:  # leaving out one side of an OR asks for less, not more: offer only the filters
        return []
    if len(terms) > 1:
        return [
            Suggestion(f"去掉“{t}”", links.url({"q": " ".join(terms[:i] + terms[i + 1 :])}))
            for i, t in enumerate(terms)
        ]
    if len(terms) == 1:
        words = [w for w, _, _ in segment(terms[0].strip('"-'))]
        if len(words) > 1:
            split = " ".join(words)
            return [Suggestion(f"拆成词分别查找：{split}", links.url({"q": split}))]
    return []


def _drop_filters(filters: list[Filter], clear_url: str) -> list[Suggestion]:
    """The search without each filter in turn, and (with several) without any."""
    out = [Suggestion(f"去掉“{f.label}”", f.remove_url) for f in filters]
    return out + [Suggestion("清除全部筛选", clear_url)] if len(filters) > 1 else out


def _sorts(current: str, has_query: bool, links: SearchLinks) -> list[Link]:
    """The orders on offer; without a query, relevance is just report order ("默认")."""
    return [
        Link(
            label if s != "relevance" or has_query else "默认",
            links.url({"sort": None if s == "relevance" else s, "order": None}),
            s == current,
        )
        for s, label in SORT_LABELS.items()
    ]


def _reverse_link(sort: str, order: str, links: SearchLinks) -> Link | None:
    """On a year or region order, the link that runs it the other way (relevance runs one way only)."""
    if sort not in ("year", "region"):
        return None
    url, aria = _sort_link(links, sort, sort, order)
    return Link("倒序", url, aria == ("ascending" if sort == "year" else "descending"))


def _sort_link(links: SearchLinks, key: str, current: str, order: str) -> tuple[str, str | None]:
    """The link that sorts by ``key`` (its own direction first; on the current sort, the other way round)
    and, on the current sort, how it runs now (``ascending`` or ``descending``, as ``aria-sort`` says)."""
    natural_desc = key in DESCENDING_FIRST
    if key != current:
        return links.url({"sort": key, "order": None}), None
    descending = order == "desc" if order else natural_desc
    flipped = "asc" if descending else "desc"
    url = links.url({"sort": key, "order": None if (flipped == "desc") == natural_desc else flipped})
    return url, "descending" if descending else "ascending"


def _report_table(response: SearchResponse, links: SearchLinks) -> ReportTableView:
    req = response.request
    current = "occurrences" if req.sort == "relevance" else req.sort
    columns = []
    for key, label, numeric in REPORT_COLUMNS:
        url, aria = _sort_link(links, key, current, req.order)
        columns.append(Column(key, label, url, numeric, aria))
    rows = response.reports or []
    used = {name for row in rows for name in row.sections}
    return ReportTableView(
        columns=columns,
        sections=[name for name in SECTIONS if name in used],
        rows=rows,
        regions=[row.region.label() for row in rows],
        links=[with_query(row.url, req.query) for row in rows],
    )


def _kwic(concordance: ConcordanceResponse | None, links: SearchLinks, snap: Snapshot, url_root: str) -> KwicView:
    if concordance is None:
        return KwicView(None, [], [], "")
    req = concordance.request
    root = url_root.rstrip("/")
    lines = []
    for n, line in enumerate(concordance.lines):
        report, passage = snap.passage_and_metadata(line.passage_id)  # type: ignore[misc]  # a line of it
        lines.append(
            KwicLine(
                line=line,
                link=with_query(line.url, req.filters.query),
                region=line.region.label(),
                citations=citations(report, passage, root + line.url),
                cite_id=f"kwic-cite-{n}",
            )
        )
    sorts, order_label = [], ""
    for key, label in KWIC_SORT_LABELS.items():
        url, aria = _sort_link(links, key, req.sort, req.order)
        if aria:
            order_label = "升序" if aria == "ascending" else "降序"
        sorts.append(Link(label, url, aria is not None))
    return KwicView(concordance, lines, sorts, order_label)


def build_search_page(
    response: SearchResponse,
    links: SearchLinks,
    view: str = "passages",
    concordance: ConcordanceResponse | None = None,
    snap: Snapshot | None = None,
    url_root: str = "",
) -> SearchPage:
    """Everything the search template shows, with every URL already built.

    ``view`` is the tab: passages (hits), reports (``response.reports``, the report table) or kwic (the
    ``concordance``; ``snap`` and ``url_root`` give each line its citation). The facets come from
    ``response`` in every view.
    """
    req = response.request
    names = list(dict.fromkeys([*response.facets, *FACET_LABELS]))
    facets = [
        Facet(name, FACET_LABELS.get(name, name), _facet_rows(name, response.facets.get(name, []), links), 0)
        for name in response.facets
    ]
    for facet in facets:
        facet.selected = len(links.selected(facet.name))
    filters = _filters(response, links, names)
    if view == "kwic":
        shown = concordance.total if concordance else 0
        page_number, per_page = (
            (concordance.request.filters.page, concordance.request.filters.per_page) if concordance else (1, 1)
        )
    else:
        shown = response.reports_total if req.group or view == "reports" else response.total
        page_number, per_page = req.page, req.per_page
    # Paging stops at MAX_RESULT_DEPTH rows: no link leads past it.
    page_count = max(1, math.ceil(min(shown, MAX_RESULT_DEPTH) / per_page))
    first = (page_number - 1) * per_page + 1
    past_end = page_number > page_count and shown > 0
    root = url_root.rstrip("/")
    hits = [
        HitView(
            hit=h,
            link=with_query(h.url, req.query),
            region=h.region.label(),
            more=h.report_matches - 1 if req.group else 0,
            more_url=with_query(f"/reports/{quote(h.report_id)}", req.query),
            citations=citations(*snap.passage_and_metadata(h.passage_id), root + h.url)  # type: ignore[misc]
            if snap is not None
            else {},
            cite_id=f"hit-cite-{n}",
        )
        for n, h in enumerate(response.hits)
    ]
    if view == "kwic":
        on_page = len(concordance.lines) if concordance else 0
        api_path, api_changes = "/api/kwic", {"view": None}
    else:
        on_page = len(response.reports or []) if view == "reports" else len(hits)
        api_path, api_changes = "/api/search", {"facet_count": req.facet_count}
    hidden = [(k, v) for k in links.params if k not in ("q", "page") for v in links.selected(k)]
    site_facet_count = "reports"  # the site's default; the API's is passages
    return SearchPage(
        response=response,
        query=req.query,
        view=view,
        tabs=[
            Link(label, links.url({"view": None if v == "passages" else v, "sort": None, "order": None}), v == view)
            for v, label in VIEW_LABELS.items()
        ],
        facet_unit="份报告" if req.facet_count == "reports" else "段",
        facet_count_links=[
            Link("按报告计数", links.url({"facet_count": None}), req.facet_count == site_facet_count),
            Link("按段落计数", links.url({"facet_count": "passages"}), req.facet_count == "passages"),
        ],
        downloads=[
            Link(label, links.url({**api_changes, "format": f}, path=api_path)) for f, label in DOWNLOAD_FORMATS
        ],
        reference_downloads=[]
        if view == "kwic"
        else [Link(label, links.url({**api_changes, "format": f}, path=api_path)) for f, label in REFERENCE_DOWNLOADS],
        copy_all_url="" if view == "kwic" else links.url({**api_changes, "format": "jsonl"}, path=api_path),
        styles=dict(STYLES),
        json_url=links.url({**api_changes, "page": str(page_number) if page_number > 1 else None}, path=api_path),
        trends_url=links.url({k: None for k in NOT_TRENDS_PARAMS}, path="/trends"),
        report_table=_report_table(response, links) if view == "reports" else None,
        kwic=_kwic(concordance, links, snap, url_root) if view == "kwic" and snap is not None else None,
        hits=hits,
        facets=facets,
        filters=filters,
        clear_url=links.url({n: None for n in names}),
        sorts=_sorts(req.sort, bool(req.query.strip()), links),
        reverse_link=_reverse_link(req.sort, req.order, links),
        group_link=Link("按报告归并", links.url({"group": None if req.group else "1"}), req.group),
        pages=_pages(page_number, page_count, links) if page_count > 1 and not past_end else [],
        prev_url=links.page(page_number - 1) if 1 < page_number <= page_count else None,
        next_url=links.page(page_number + 1) if page_number < page_count else None,
        page_count=page_count,
        first_url=links.page(1),
        last_url=links.page(page_count),
        first_shown=first,
        last_shown=first + on_page - 1,
        shorter=_shorter(req.query, links) if response.total == 0 else [],
        hidden_params=hidden,
        drop_filters=_drop_filters(filters, links.url({n: None for n in names})) if response.total == 0 else [],
        past_end=past_end,
    )


def count_suggestions(page: SearchPage, run: Callable[[str], SearchResponse | None]) -> None:
    """Run each suggestion of a page without results (``run`` answers a suggestion's URL; None: it cannot be
    answered) and keep those that find something, each with its counts. A search is cheap; an offer that
    leads to another empty page is not."""
    for name in ("shorter", "drop_filters"):
        kept = []
        for suggestion in getattr(page, name):
            response = run(suggestion.url)
            if response is not None and response.total > 0:
                suggestion.passages, suggestion.reports = response.total, response.reports_total or 0
                kept.append(suggestion)
        setattr(page, name, kept)
