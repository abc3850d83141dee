"""The Flask application: the JSON API and, built on the same search function, the HTML pages.

Served as ``gunicorn 'web:create_app()'`` (see ``gunicorn.conf.py`` and ``fazhi serve``).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from search import settings
from search.engines import open_engine


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings from defaults, then ``FAZHI_*`` environment variables, then ``test_config``."""
    app = Flask(__name__)
    overrides = {k: v for k, v in (test_config or {}).items()}
    app.config.update(
        INDEX_DIR=str(settings.index_dir(overrides.get("INDEX_DIR"))),
        ENGINE=settings.get("ENGINE", overrides),
        MAX_QUERY_LENGTH=settings.get_int("MAX_QUERY_LENGTH", overrides),
        MAX_PER_PAGE=settings.get_int("MAX_PER_PAGE", overrides),
        PER_PAGE=settings.get_int("PER_PAGE", overrides),
        JSON_AS_ASCII=False,
    )
    app.config.update(test_config or {})
    app.json.ensure_ascii = False
    app.extensions["fazhi_engine"] = open_engine(Path(app.config["INDEX_DIR"]), app.config["ENGINE"])

    from web import api, pages

    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    return app
