"""gunicorn hooks for serving the site (`fazhi serve` passes ``-c python:web.gunicorn_conf``)."""

from __future__ import annotations


def post_worker_init(worker) -> None:
    """Load the index before the worker takes its first request.

    A large index takes seconds to load (about 3 s at 10,000 reports); without this the first request each
    worker serves would wait that long.
    """
    try:
        worker.wsgi.extensions["fazhi_engine"].snapshot()
    except FileNotFoundError as e:  # no index yet: requests get a 503 page saying so
        worker.log.warning("%s", e)
