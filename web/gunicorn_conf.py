"""gunicorn settings and hooks for serving the site (`fazhi serve` passes ``-c python:web.gunicorn_conf``;
``gunicorn.conf.py`` imports them for a plain ``gunicorn 'web:create_app()'``)."""

from __future__ import annotations

# Every request within the documented limits must reach the application, which answers a query that is too
# long with its own 400 (JSON under /api/, naming q). gunicorn's defaults cut the request line at 4,094 bytes
# (an English 414 page) and cap it at 8,190, but a 500-character Chinese query is 4,500 bytes percent-encoded
# and /trends takes up to 8 of them (about 36,000 bytes): 0 lifts the limit (gunicorn's own parser still
# stops at 1 MiB). A header field is allowed 64 KiB, so the Referer of such a page gets through too.
limit_request_line = 0
limit_request_field_size = 65536

# gevent, so that clients that send half a request and wait cannot starve the workers (see web/workers.py and
# the README's "Serving"): each worker holds up to worker_connections connections at once, and drops one whose
# request head has not fully arrived within keepalive seconds.
worker_class = "web.workers.SiteWorker"
worker_connections = 1000
keepalive = 2


def when_ready(server) -> None:
    """Say "Serving" once the port is bound (not before: a port in use never gets this far)."""
    import os
    import sys

    index_dir = os.environ.get("FAZHI_INDEX_DIR", "index_data")
    addresses = ", ".join(f"{listener}/" for listener in server.LISTENERS)
    print(f"Serving {index_dir} on {addresses} with {server.cfg.workers} workers", file=sys.stderr, flush=True)


def post_worker_init(worker) -> None:
    """Load the index before the worker takes its first request.

    A large index takes seconds to load (about 3 s at 10,000 reports); without this the first request each
    worker serves would wait that long.
    """
    try:
        worker.wsgi.extensions["fazhi_engine"].snapshot()
    except FileNotFoundError as e:  # no index yet: requests get a 503 page saying so
        worker.log.warning("%s", e)
