"""The JSON API: ``/api/search``, ``/api/kwic``, ``/api/trends``, ``/api/reports``, ``/api/reports/<report_id>``,
``/api/compare`` and ``/api/coverage``, described by the OpenAPI 3.1 document at ``/api/openapi.json``
(:mod:`web.openapi`).

Its shapes are a contract other tools rely on: extend them, never rename or drop a field. With
``format=csv|xlsx|jsonl`` the search, the concordance, trends and the report list stream the whole result
as a file instead (every parameter is checked first, so a bad one is still a JSON 400); the search (hits or the
report table) and the report list also as ``ris``, ``bibtex`` or ``csljson`` for reference managers.

Every hit, report row and passage carries ``citations: {gb7714_2025, gb7714_2015, fxyz}``; every hit and
passage its ``reuse`` (where else its text appears), every report its ``originality``.
"""

from __future__ import annotations

from itertools import chain

from flask import Blueprint, Response, current_app, jsonify, request, stream_with_context
from werkzeug.datastructures import MultiDict

from search import (
    MEDIA_TYPES,
    ORDERS,
    REFERENCE_FORMATS,
    REPORT_LIST_SORTS,
    Export,
    SearchError,
    Snapshot,
    UnknownReportError,
    citations,
    compare,
    concordance,
    coverage,
    coverage_export,
    filename,
    filter_reports,
    hits_export,
    kwic_export,
    originalities,
    originality_of,
    parse_coverage_request,
    passage_reuse,
    related_reports,
    report_list_export,
    reports_export,
    search,
    sort_reports,
    trends,
    trends_export,
    with_citations,
    write,
)
from web.openapi import openapi_document
from web.params import concordance_request_from, export_format, search_request_from, trends_request_from

bp = Blueprint("api", __name__, url_prefix="/api")


def snapshot() -> Snapshot:
    """The latest committed index generation (a finished re-index is picked up without a restart)."""
    return current_app.extensions["fazhi_engine"].snapshot()


def error(message: str, status: int, param: str | None = None, choices: list[dict] | None = None):
    body = {"ok": False, "error": message, "status": status}
    if param:
        body["param"] = param
    if choices:
        body["choices"] = choices
    return jsonify(body), status


@bp.errorhandler(SearchError)
def bad_parameter(e: SearchError):
    return error(str(e), 400, e.param, e.choices)


@bp.errorhandler(UnknownReportError)
def unknown_report(e: UnknownReportError):
    return error(str(e), 404, e.param)


@bp.errorhandler(FileNotFoundError)
def no_index(e: FileNotFoundError):
    return error(str(e), 503)


@bp.errorhandler(404)
def not_found(e):
    return error("no such API endpoint or report", 404)


def base_url() -> str:
    """Where permalinks in exports point: the ``BASE_URL`` setting, else the address the request came to."""
    return (current_app.config.get("BASE_URL") or request.url_root).rstrip("/")


def send_export(export: Export, fmt: str) -> Response:
    """Stream ``export`` as a download. Its first block is made before the response starts, so a failure
    there (an XLSX too large for one sheet) is still a JSON 400, not a cut-off file."""
    chunks = write(export, fmt)
    try:
        first = next(chunks, b"")
    except ValueError as e:
        raise SearchError("format", str(e)) from None
    response = Response(stream_with_context(chain([first], chunks)), content_type=MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = f"attachment; filename={filename(export, fmt)}"
    response.headers["X-Row-Count"] = str(export.rows)
    return response


@bp.get("/search")
def api_search():
    fmt = export_format(request.args)
    req = search_request_from(request.args, current_app.config)
    if fmt is None:
        snap = snapshot()
        response = search(snap, req)
        return jsonify(with_citations(response.to_dict(json_fragments=True), snap, base_url()))
    make = reports_export if req.view == "reports" else hits_export
    return send_export(make(snapshot(), req, base_url()), fmt)


@bp.get("/kwic")
def api_kwic():
    fmt = export_format(request.args)
    req = concordance_request_from(request.args, current_app.config)
    if fmt is None:
        return jsonify(concordance(snapshot(), req).to_dict())
    return send_export(kwic_export(snapshot(), req, base_url()), fmt)


@bp.get("/trends")
def api_trends():
    fmt = export_format(request.args)
    response = trends(snapshot(), trends_request_from(request.args, current_app.config))
    if fmt is None:
        return jsonify(response.to_dict())
    return send_export(trends_export(response), fmt)


def coverage_request_from(args):
    """A coverage request from ``year`` (repeatable; a year or a range), ``region`` and ``level``."""
    return parse_coverage_request(args.getlist("year"), args.get("region", ""), args.get("level", ""))


@bp.get("/coverage")
def api_coverage():
    """Who published for which years: the coverage matrix (JSON, or ``format=csv|xlsx|jsonl``)."""
    fmt = export_format(request.args)
    if fmt in REFERENCE_FORMATS:
        raise SearchError("format", f"the coverage matrix has no {fmt} form: use csv, xlsx or jsonl")
    response = coverage(snapshot(), coverage_request_from(request.args))
    if fmt is None:
        return jsonify(response.to_dict())
    return send_export(coverage_export(response, base_url()), fmt)


def report_list_order(args: MultiDict) -> tuple[str, str]:
    """The report list's ``sort`` (index | originality) and ``order`` (asc | desc); 400 naming either."""
    sort = args.get("sort", "").strip() or "index"
    order = args.get("order", "").strip()
    if sort not in REPORT_LIST_SORTS:
        raise SearchError("sort", f"sort must be one of {', '.join(REPORT_LIST_SORTS)}, not {sort[:40]!r}")
    if order and order not in ORDERS:
        raise SearchError("order", f"order must be asc or desc, not {order[:40]!r}")
    return sort, order


@bp.get("/reports")
def api_reports():
    fmt = export_format(request.args)
    sort, order = report_list_order(request.args)
    args = MultiDict([(k, v) for k, v in request.args.items(multi=True) if k not in ("sort", "order")])
    snap = snapshot()
    req = search_request_from(args, current_app.config)
    reports = sort_reports(snap, filter_reports(snap, req), sort, order)
    if fmt is not None:
        return send_export(report_list_export(reports, base_url()), fmt)
    body: dict = {"total": len(reports), "sort": sort, "order": order}
    if "page" in request.args or "per_page" in request.args:  # a page: only its reports are read
        start = (req.page - 1) * req.per_page
        reports = reports[start : start + req.per_page]
        body.update(page=req.page, per_page=req.per_page)
    listed = [{**d, "originality": o} for (_, d), o in zip(reports.listed(), originalities(snap, reports), strict=True)]
    return jsonify({"reports": listed, **body})


@bp.get("/reports/<report_id>")
def api_report(report_id: str):
    snap = snapshot()
    report = snap.report(report_id)
    if report is None:
        return error(f"no report with report_id {report_id!r}", 404, "report_id")
    root = base_url()
    body = report.summary_dict()
    body["permalink"] = f"{root}/reports/{report.report_id}"
    body["citations"] = citations(report, None, body["permalink"])
    body["passages"] = [
        {
            "passage_id": p.passage_id,
            "number": p.number,
            "section": p.section,
            "heading": p.heading,
            "text": p.text,
            "url": p.url(),
            "citations": citations(report, p, root + p.url()),
            "reuse": passage_reuse(snap, p.passage_id),
        }
        for p in report.passages
    ]
    body["passage_count"] = len(report.passages)
    body["originality"] = originality_of(snap, report.report_id)
    body["related"] = related_reports(snap, report.report_id)
    return jsonify(body)


@bp.get("/compare")
def api_compare():
    """Two reports side by side: ``a`` and ``b`` (report ids), aligned by section, shared spans marked."""
    comparison = compare(snapshot(), request.args.get("a", ""), request.args.get("b", ""))
    return jsonify(comparison.to_dict())


@bp.get("/openapi.json")
def api_openapi():
    """The OpenAPI 3.1 document of this API, with this app's limits (per_page, query length)."""
    config = current_app.config
    return jsonify(openapi_document(int(config["MAX_PER_PAGE"]), int(config["MAX_QUERY_LENGTH"])))
