"""The Flask application: the JSON API and, built on the same search function, the HTML pages.

Served as ``gunicorn 'web:create_app()'`` (see ``gunicorn.conf.py`` and ``fazhi serve``).
"""

from __future__ import annotations

from pathlib import Path

import orjson
from flask import Flask, Request, current_app, request
from flask.json.provider import JSONProvider
from werkzeug.exceptions import BadRequest

from search import open_engine, settings
from web.address import BAD_HOST, SiteAddress, site_root


class OrjsonProvider(JSONProvider):
    """JSON through orjson: UTF-8 Chinese as is, and several times faster than the standard library on the
    large facet lists a big index returns (a county-level region facet holds thousands of rows)."""

    def dumps(self, obj, **kwargs) -> str:
        return orjson.dumps(obj).decode("utf-8")

    def loads(self, s, **kwargs):
        return orjson.loads(s)

    def response(self, *args, **kwargs):
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(orjson.dumps(obj), mimetype="application/json")


SERVER_REFUSED = "fazhi.server_refused"
"""The WSGI environ key under which the gunicorn worker (``web/workers.py``) hands the app an error to answer."""


class SiteRequest(Request):
    """A request whose ``url_root`` is the site's own address (``BASE_URL``, else the server's), never ``Host:``."""

    @property
    def url_root(self) -> str:
        return site_root(current_app.config.get("BASE_URL") or "", self.environ) + "/"


def _refuse_bad_requests() -> None:
    """A ``Host:`` that names no host, and what the server layer refused (``web/workers.py``), as HTTP errors
    the app's handlers answer: JSON under ``/api/``, the error page elsewhere, with the usual headers."""
    refused = request.environ.get(SERVER_REFUSED)
    if refused is not None:
        raise refused
    if BAD_HOST in request.environ:
        raise BadRequest(description="the Host header does not name a host")


def thousands(value: object) -> str:
    """A count as a reader reads it on the pages: digits grouped by thousands (``4,080,630``); anything but an
    integer unchanged.

    >>> thousands(4080630), thousands(12), thousands("—")
    ('4,080,630', '12', '—')
    """
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings from defaults, then ``FAZHI_*`` environment variables, then ``test_config``."""
    app = Flask(__name__)
    app.request_class = SiteRequest
    app.json = OrjsonProvider(app)
    overrides = {k: v for k, v in (test_config or {}).items()}
    app.config.update(
        INDEX_DIR=str(settings.index_dir(overrides.get("INDEX_DIR"))),
        ENGINE=settings.get("ENGINE", overrides),
        MAX_QUERY_LENGTH=settings.get_int("MAX_QUERY_LENGTH", overrides),
        MAX_PER_PAGE=settings.get_int("MAX_PER_PAGE", overrides),
        PER_PAGE=settings.get_int("PER_PAGE", overrides),
        BASE_URL=settings.get("BASE_URL", overrides),
        CACHE_SIZE=settings.get_int("CACHE_SIZE", overrides),
    )
    app.config.update(test_config or {})
    app.extensions["fazhi_engine"] = open_engine(
        Path(app.config["INDEX_DIR"]), app.config["ENGINE"], cache_size=int(app.config["CACHE_SIZE"])
    )

    from web import api, pages

    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    app.add_template_filter(thousands)
    app.before_request(_refuse_bad_requests)
    app.wsgi_app = SiteAddress(app.wsgi_app, app.config["BASE_URL"] or "")
    return app
