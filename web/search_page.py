"""What the search page shows, computed from one :class:`SearchResponse`: facets with toggle URLs, the
filters in force, hits with their links, pages, orders, and what to try when nothing matched."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from urllib.parse import quote

from search.analysis import segment
from search.core import MAX_RESULT_DEPTH
from search.models import FacetValue, Hit, SearchResponse
from web.links import SearchLinks

FACET_LABELS: dict[str, str] = {"region": "地区", "year": "年度", "section": "章节", "doc_type": "文档类型"}
"""Chinese names of the facets; a facet not listed here shows its key."""

SORT_LABELS: dict[str, str] = {"relevance": "相关度", "year": "年度（新→旧）", "region": "地区"}

_QUERY_TERM = re.compile(r'-?"[^"]*"?|\S+')


def value_label(facet: str, value: object) -> str:
    """How a facet value reads in the interface: years as ``2024年``, everything else as it is."""
    return f"{value}年" if facet == "year" else str(value)


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
class HitView:
    hit: Hit
    link: str  # the passage in its report, with ?q= so the report page highlights the matches
    region: str
    more: int  # other matching passages in the same report (grouped results)
    more_url: str


@dataclass
class SearchPage:
    response: SearchResponse
    query: str
    hits: list[HitView]
    facets: list[Facet]
    filters: list[Filter]
    clear_url: str
    sorts: list[Link]
    group_link: Link
    pages: list[Link | None]  # None marks a gap (…)
    prev_url: str | None
    next_url: str | None
    page_count: int
    first_url: str
    last_url: str
    first_shown: int
    last_shown: int
    shorter: list[Link]  # no results: the query with a term left out, or split into words
    hidden_params: list[tuple[str, str]]  # filters, order and grouping the search box keeps


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


def _shorter(query: str, links: SearchLinks) -> list[Link]:
    """Queries that ask for less: each term left out in turn, or a single long term split into words."""
    terms = _QUERY_TERM.findall(query)
    if "OR" in terms:  # leaving out one side of an OR asks for less, not more: offer only the filters
        return []
    if len(terms) > 1:
        return [Link(f"去掉“{t}”", links.url({"q": " ".join(terms[:i] + terms[i + 1 :])})) for i, t in enumerate(terms)]
    if len(terms) == 1:
        words = [w for w, _, _ in segment(terms[0].strip('"-'))]
        if len(words) > 1:
            split = " ".join(words)
            return [Link(f"拆成词分别查找：{split}", links.url({"q": split}))]
    return []


def _sorts(current: str, has_query: bool, links: SearchLinks) -> list[Link]:
    """The orders on offer; without a query, relevance is just report order ("默认")."""
    return [
        Link(
            label if s != "relevance" or has_query else "默认",
            links.url({"sort": None if s == "relevance" else s}),
            s == current,
        )
        for s, label in SORT_LABELS.items()
    ]


def build_search_page(response: SearchResponse, links: SearchLinks) -> SearchPage:
    """Everything the search template shows, with every URL already built."""
    req = response.request
    names = list(dict.fromkeys([*response.facets, *FACET_LABELS]))
    facets = [
        Facet(name, FACET_LABELS.get(name, name), _facet_rows(name, response.facets.get(name, []), links), 0)
        for name in response.facets
    ]
    for facet in facets:
        facet.selected = len(links.selected(facet.name))
    shown = response.reports_total if req.group else response.total
    # Paging stops at MAX_RESULT_DEPTH passages: no link leads past it.
    page_count = max(1, math.ceil(min(shown, MAX_RESULT_DEPTH) / req.per_page))
    first = (req.page - 1) * req.per_page + 1
    hits = [
        HitView(
            hit=h,
            link=with_query(h.url, req.query),
            region=h.region.label(),
            more=h.report_matches - 1 if req.group else 0,
            more_url=with_query(f"/reports/{quote(h.report_id)}", req.query),
        )
        for h in response.hits
    ]
    hidden = [(k, v) for k in links.params if k not in ("q", "page") for v in links.selected(k)]
    return SearchPage(
        response=response,
        query=req.query,
        hits=hits,
        facets=facets,
        filters=_filters(response, links, names),
        clear_url=links.url({n: None for n in names}),
        sorts=_sorts(req.sort, bool(req.query.strip()), links),
        group_link=Link("按报告归并", links.url({"group": None if req.group else "1"}), req.group),
        pages=_pages(req.page, page_count, links) if page_count > 1 else [],
        prev_url=links.page(min(req.page - 1, page_count)) if req.page > 1 else None,
        next_url=links.page(req.page + 1) if req.page < page_count else None,
        page_count=page_count,
        first_url=links.page(1),
        last_url=links.page(page_count),
        first_shown=first,
        last_shown=first + len(hits) - 1,
        shorter=_shorter(req.query, links) if response.total == 0 else [],
        hidden_params=hidden,
    )
