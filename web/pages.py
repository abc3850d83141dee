"""The HTML site: the home page, search, the report reader and passage permalinks, on the same search
function as the JSON API. Works without JavaScript; ``static/site.js`` only adds conveniences."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlsplit

import numpy as np
from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from search import (
    EngineUnavailable,
    OldIndexError,
    OtherEngineIndexError,
    SearchError,
    SearchRequest,
    Snapshot,
    UnknownReportError,
    compare,
    concordance,
    coverage,
    search,
    trends,
    validate,
)
from web.api import coverage_request_from, snapshot
from web.api import error as api_error
from web.coverage_page import build_coverage_page
from web.links import SINGLE_PARAMS, SearchLinks
from web.params import concordance_request_from, search_request_from, trends_request_from
from web.report_page import build_report_page
from web.search_page import build_search_page, count_suggestions
from web.trends_page import build_trends_page

bp = Blueprint("pages", __name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)

PARAM_LABELS = {
    "q": "查询词",
    "page": "页码",
    "per_page": "每页条数",
    "year": "年度",
    "section": "章节",
    "doc_type": "文档类型",
    "sort": "排序",
    "order": "升降序",
    "view": "视图",
    "facet_count": "计数单位",
    "width": "语境宽度",
    "norm": "指标",
    "split": "分组",
    "region": "地区",
    "group": "按报告归并",
    "format": "下载格式",
    "level": "层级",
    "reuse": "文字来源",
    "a": "对照报告甲",
    "b": "对照报告乙",
}


@dataclass
class Overview:
    """What is indexed: counts of reports by year and by province, and the newest reports."""

    reports: int
    passages: int
    by_year: list[tuple[int, int]]
    by_province: list[tuple[str, int]]
    latest: list


def overview(snap: Snapshot, latest: int = 10) -> Overview:
    """Counts for the home page, newest years first, provinces by number of reports: counted on the columns,
    and only the newest reports read."""
    table = snap.row_table
    year_values, year_counts = np.unique(table.report_year[table.report_year > 0], return_counts=True)
    years = Counter(dict(zip(year_values.tolist(), year_counts.tolist(), strict=True)))
    per_region = np.bincount(table.report_region, minlength=len(snap.region_list)).tolist()
    provinces: Counter = Counter()
    for region, n in zip(snap.region_list, per_region, strict=True):
        if region.province and n:
            provinces[region.province] += n
    # Newest year, then latest publish date (none: earliest), first; ties in index order, as a stable sort.
    n = len(table.report_year)
    order = np.lexsort((np.arange(n), -table.report_publish_rank, -table.report_year))[:latest]
    newest = [snap.report_list[i] for i in order.tolist()]
    return Overview(
        reports=n,
        passages=snap.passage_count,
        by_year=sorted(years.items(), reverse=True),
        by_province=sorted(provinces.items(), key=lambda kv: (-kv[1], kv[0])),
        latest=newest,
    )


@bp.get("/")
def home():
    return render_template("home.html", overview=overview(snapshot()))


@bp.get("/search")
def search_page():
    view = request.args.get("view", "").strip() or "passages"
    snap = snapshot()
    links = SearchLinks(request.args, url_for("pages.search_page"))
    concordance_response = None
    if view == "kwic":
        # The concordance's own sort and order; the facets and totals come from the same search's passages.
        args = MultiDict([(k, v) for k, v in request.args.items(multi=True) if k not in ("view", "sort", "order")])
        req = search_request_from(args, current_app.config, default_facet_count="reports")
        if req.query.strip():
            concordance_response = concordance(snap, concordance_request_from(request.args, current_app.config))
        req = replace(req, page=1, per_page=1)
    else:
        req = search_request_from(request.args, current_app.config, default_facet_count="reports")
    response = search(snap, req)
    if list(response.request.regions) != links.selected("region"):
        # Short names became full names (山西 → 山西省): the facets, chips and links use the full names.
        links.params["region"] = list(response.request.regions)
    page = build_search_page(response, links, view, concordance_response, snap, request.url_root)
    if response.total == 0:
        count_suggestions(page, lambda url: _run(snap, url))
    html = render_template("search.html", page=page, api_url=page.json_url)
    return html, {"Link": f'<{page.json_url}>; rel="alternate"; type="application/json"'}


def _run(snap: Snapshot, url: str):
    """The search a suggestion's URL describes (None when it cannot be answered)."""
    args = MultiDict(parse_qsl(urlsplit(url).query))
    try:
        return search(snap, replace(search_request_from(args, current_app.config), page=1, per_page=1))
    except SearchError:
        return None


@bp.get("/trends")
def trends_page():
    """One or more phrases over the report years: a chart, the first reports to use each, the numbers."""
    asked = any(q.strip() for q in request.args.getlist("q"))
    response = trends(snapshot(), trends_request_from(request.args, current_app.config)) if asked else None
    page = build_trends_page(response, request.args)
    html = render_template("trends.html", page=page)
    headers = {"Link": f'<{page.json_url}>; rel="alternate"; type="application/json"'} if page.json_url else {}
    return html, headers


@bp.get("/coverage")
def coverage_page():
    """Who published for which years: governments × years, the same object as ``/api/coverage``."""
    snap = snapshot()
    page = build_coverage_page(coverage(snap, coverage_request_from(request.args)), request.args, snap)
    html = render_template("coverage.html", page=page)
    return html, {"Link": f'<{page.json_url}>; rel="alternate"; type="application/json"'}


@bp.get("/reports/<report_id>")
def report(report_id: str):
    snap = snapshot()
    found = snap.report(report_id)  # looked up in the index only: no path here reads a file
    if found is None:
        return error_page(404, "找不到报告", f"没有编号为“{report_id}”的报告。它可能已从索引中移除。")
    query = request.args.get("q", "")
    validate(SearchRequest(query=query), max_query_length=int(current_app.config["MAX_QUERY_LENGTH"]))
    return render_template("report.html", page=build_report_page(found, query, request.url_root, snap))


@bp.get("/compare")
def compare_page():
    """Two reports side by side (``a``, ``b``): the same object as ``/api/compare``."""
    a, b = request.args.get("a", ""), request.args.get("b", "")
    comparison = compare(snapshot(), a, b)
    html = render_template("compare.html", data=comparison.to_dict())  # the JSON's object, rendered
    json_url = url_for("api.api_compare", a=a, b=b)
    return html, {"Link": f'<{json_url}>; rel="alternate"; type="application/json"'}


@bp.errorhandler(UnknownReportError)
def unknown_report(e: UnknownReportError):
    name = {"a": "甲", "b": "乙"}.get(e.param, "")
    message = f"没有编号为“{e.report_id}”的报告（参数 {e.param}{'，' + name if name else ''}）。它可能已从索引中移除。"
    return error_page(404, "找不到报告", message, str(e))


@bp.get("/p/<passage_id>")
def passage(passage_id: str):
    found = snapshot().passage_and_metadata(passage_id)
    if found is None:
        return error_page(404, "找不到段落", f"没有编号为“{passage_id}”的段落。它可能已从索引中移除。")
    report_id = found[0].report_id
    query = request.args.get("q") or None
    return redirect(url_for("pages.report", report_id=report_id, q=query, _anchor=passage_id), 302)


def error_page(status: int, title: str, message: str, detail: str | None = None, **extra) -> tuple[str, int]:
    """A friendly HTML error page (``extra``: what :func:`bad_parameter` offers instead)."""
    return render_template("error.html", status=status, title=title, message=message, detail=detail, **extra), status


def _boxed(query: str) -> str:
    """The query as the search box can hold it again: no control characters, at most the longest allowed."""
    query = "".join(c for c in query if ord(c) >= 32 or c in "\t")
    return query[: int(current_app.config["MAX_QUERY_LENGTH"])]


@bp.errorhandler(SearchError)
def bad_parameter(e: SearchError):
    """The bad parameter named; the query kept in the box; links to the request without the bad value and,
    for an ambiguous or unknown region, to each place it could mean (with its reports)."""
    name = PARAM_LABELS.get(e.param, e.param)
    path = request.path if request.path in ("/search", "/trends", "/coverage") else url_for("pages.search_page")
    links = SearchLinks(request.args, path)
    values = links.selected(e.param)
    if e.value is not None and e.param not in SINGLE_PARAMS and e.value in values:
        kept = [v for v in values if v != e.value]
        without = links.url({e.param: kept})
        choices = [(c, links.url({e.param: [*kept, c["value"]]})) for c in e.choices]
        if e.choices and not e.choices[0].get("near"):
            message = f"“{e.value}”可以指{len(e.choices)}个地区，请选择一个："
        elif e.choices:
            message = f"索引中没有来自“{e.value}”的报告。是不是指："
        else:
            message = f"索引中没有来自“{e.value}”的报告。"
    else:
        without, choices = links.url({e.param: None}), []
        message = f"参数 {e.param}（{name}）无法处理，请修改后重试。"
    hidden = [(k, v) for k in links.params if k not in ("q", "page", e.param) for v in links.selected(k)]
    return error_page(
        400,
        "参数有误",
        message,
        str(e),
        query=_boxed(request.args.get("q", "")),
        hidden=hidden,
        choices=choices,
        without_url=without,
        without_label=f"去掉{name}参数" if e.param != "q" else "不用查询词浏览",
    )


@bp.errorhandler(FileNotFoundError)
def no_index(e: FileNotFoundError):
    if isinstance(e, OtherEngineIndexError):
        message = (
            f"索引由 {e.built_with} 引擎建立，而本站按 {e.engine} 读取。请以 fazhi serve --engine {e.built_with}"
            f"（或设置 FAZHI_ENGINE={e.built_with}）重新启动本站。"
        )
        return error_page(503, "索引引擎不符", message, str(e))
    if isinstance(e, EngineUnavailable):
        message = "搜索集群有节点无法连接；结果不完整时不予显示。请稍后刷新本页。"
        return error_page(503, "搜索集群暂不可用", message, str(e))
    if isinstance(e, OldIndexError):
        message = "索引由旧版本建立，需要重建。请在服务器上运行 fazhi index CORPUS_DIR --rebuild，完成后刷新本页。"
        return error_page(503, "索引需要重建", message, str(e))
    message = "还没有建立索引。请在服务器上运行 fazhi index CORPUS_DIR 建立索引，完成后刷新本页。"
    return error_page(503, "索引尚未建立", message, str(e))


@bp.app_errorhandler(HTTPException)
def http_error(e: HTTPException):
    """Every HTTP error outside the API as an HTML page; under ``/api/`` the API's JSON error."""
    headers = [(k, v) for k, v in e.get_headers() if k.lower() != "content-type"]  # a 405's Allow (RFC 9110)
    if request.path.startswith("/api/"):
        return (*api_error(e.description or e.name, e.code or 500), headers)
    if e.code == 404:
        return error_page(404, "找不到页面", "没有这个页面。可以从首页开始检索。")
    return (*error_page(e.code or 500, e.name, e.description or ""), headers)


@bp.after_app_request
def security_headers(response: Response) -> Response:
    """CSP on every HTML page (no inline script or style anywhere) and no MIME sniffing on anything."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
