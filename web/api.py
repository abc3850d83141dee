"""The JSON API: ``/api/search``, ``/api/reports`` and ``/api/reports/<report_id>``.

Its shapes are a contract other tools rely on: extend them, never rename or drop a field.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from search.core import SearchError, Snapshot, search
from web.params import search_request_from

bp = Blueprint("api", __name__, url_prefix="/api")


def snapshot() -> Snapshot:
    """The latest committed index generation (a finished re-index is picked up without a restart)."""
    return current_app.extensions["fazhi_engine"].snapshot()


def error(message: str, status: int, param: str | None = None):
    body = {"ok": False, "error": message, "status": status}
    if param:
        body["param"] = param
    return jsonify(body), status


@bp.errorhandler(SearchError)
def bad_parameter(e: SearchError):
    return error(str(e), 400, e.param)


@bp.errorhandler(FileNotFoundError)
def no_index(e: FileNotFoundError):
    return error(str(e), 503)


@bp.errorhandler(404)
def not_found(e):
    return error("no such API endpoint or report", 404)


@bp.get("/search")
def api_search():
    req = search_request_from(request.args, current_app.config)
    return jsonify(search(snapshot(), req).to_dict())


@bp.get("/reports")
def api_reports():
    snap = snapshot()
    return jsonify({"reports": [r.summary_dict() for r in snap.reports.values()]})


@bp.get("/reports/<report_id>")
def api_report(report_id: str):
    report = snapshot().reports.get(report_id)
    if report is None:
        return error(f"no report with report_id {report_id!r}", 404, "report_id")
    body = report.summary_dict()
    body["passages"] = [
        {
            "passage_id": p.passage_id,
            "number": p.number,
            "section": p.section,
            "heading": p.heading,
            "text": p.text,
            "url": p.url(),
        }
        for p in report.passages
    ]
    body["passage_count"] = len(report.passages)
    return jsonify(body)
