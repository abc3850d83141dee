"""gunicorn settings for `gunicorn 'web:create_app()'` run from the project folder (`fazhi serve` passes its own)."""

from web.gunicorn_conf import (  # noqa: F401 - gunicorn finds settings and hooks by name
    keepalive,
    limit_request_field_size,
    limit_request_line,
    post_worker_init,
    when_ready,
    worker_class,
    worker_connections,
)

bind = "127.0.0.1:8000"
workers = 2
accesslog = "-"
timeout = 30
