"""The Flask application: the JSON API and, built on the same search function, the HTML pages.

Served as ``gunicorn 'web:create_app()'`` (see ``gunicorn.conf.py`` and ``fazhi serve``).
"""

from __future__ import annotations

from pathlib import Path

import orjson
from flask import Flask
from flask.json.provider import JSONProvider

from search import settings
from search.engines import open_engine


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


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings from defaults, then ``FAZHI_*`` environment variables, then ``test_config``."""
    app = Flask(__name__)
    app.json = OrjsonProvider(app)
    overrides = {k: v for k, v in (test_config or {}).items()}
    app.config.update(
        INDEX_DIR=str(settings.index_dir(overrides.get("INDEX_DIR"))),
        ENGINE=settings.get("ENGINE", overrides),
        MAX_QUERY_LENGTH=settings.get_int("MAX_QUERY_LENGTH", overrides),
        MAX_PER_PAGE=settings.get_int("MAX_PER_PAGE", overrides),
        PER_PAGE=settings.get_int("PER_PAGE", overrides),
        BASE_URL=settings.get("BASE_URL", overrides),
    )
    app.config.update(test_config or {})
    app.extensions["fazhi_engine"] = open_engine(Path(app.config["INDEX_DIR"]), app.config["ENGINE"])

    from web import api, pages

    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    return app
