"""gunicorn settings for `gunicorn 'web:create_app()'` run from the project folder (`fazhi serve` passes its own)."""

bind = "127.0.0.1:8000"
workers = 2
accesslog = "-"
timeout = 30
