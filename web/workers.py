"""The gunicorn worker the site runs on (``worker_class`` in ``web/gunicorn_conf.py``, so ``fazhi serve``).

gevent's worker, because a client that sends half a request and waits must not hold a worker: gunicorn's sync
worker serves one connection at a time (two such clients took the two-worker site down for 30 s), and its
gthread worker gives a thread to any connection that has sent a byte (four slow clients fill four threads).
Under gevent a connection waiting for its request is a parked greenlet, and gunicorn gives up on a request
head that has not arrived within ``keepalive`` seconds (2), however slowly it trickles in.

What gunicorn answers itself, before the application sees the request (a malformed request line or header, a
header over ``limit_request_field_size``, too many headers), is answered by the application instead: JSON
under ``/api/``, the site's error page elsewhere, with the same security headers as every other response.
"""

from __future__ import annotations

import logging

import gevent
from gunicorn.workers.ggevent import GeventWorker
from werkzeug.exceptions import HTTPException, default_exceptions
from werkzeug.test import EnvironBuilder, run_wsgi_app

from web import SERVER_REFUSED

_HEAD_RECORDED = 64
"""Bytes of each connection's first request kept, enough to tell whether it was for ``/api/``."""

_DESCRIPTIONS = {
    400: "the request is not valid HTTP (a malformed request line or header)",
    403: "the request is forbidden",
    414: "the request line is too long",
    417: "the expectation in the Expect header cannot be met",
    431: "a request header field is too large, or there are too many of them (at most 64 KiB each)",
    501: "the request's transfer coding is not supported",
}


class _RecordingSocket:
    """A client socket that keeps the first bytes read from it: the request line, once gunicorn has refused it."""

    def __init__(self, sock) -> None:
        self._sock = sock
        self.head = b""

    def recv(self, size: int, *args) -> bytes:
        data = self._sock.recv(size, *args)
        if len(self.head) < _HEAD_RECORDED:
            self.head += data[: _HEAD_RECORDED - len(self.head)]
        return data

    def __getattr__(self, name: str):
        return getattr(self._sock, name)


class _CapturingSocket:
    """Stands in for the client while gunicorn writes its own error page, to learn the status it chose."""

    def __init__(self) -> None:
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0  # gunicorn's write_nonblock then writes at once

    def sendall(self, data: bytes) -> None:
        self.data += data

    def send(self, data: bytes) -> int:
        self.data += data
        return len(data)

    def status(self) -> int:
        try:
            return int(self.data.split(b" ", 2)[1])
        except (IndexError, ValueError):
            return 500


def refused_request_path(head: bytes) -> str:
    """Where the refused request went, as far as the application's error format depends on it.

    >>> refused_request_path(b"GET /api/search?q=x HTTP/1.1\\r\\nHo")
    '/api/'
    >>> refused_request_path(b"GET /search?q=x HTTP/1.1")
    '/'
    """
    parts = head.split(b" ", 2)
    return "/api/" if len(parts) > 1 and parts[1].startswith(b"/api/") else "/"


def refusal(status: int, detail: str = "") -> HTTPException:
    """The werkzeug exception for a status gunicorn answered, described in the application's words."""
    exc_class = default_exceptions.get(status) or default_exceptions[500]
    description = _DESCRIPTIONS.get(status, exc_class.description)
    return exc_class(description=f"{description}: {detail}" if detail else description)


class SiteWorker(GeventWorker):
    """gevent's gunicorn worker whose own error answers come from the application."""

    def run(self):
        super().run()
        # At exit, logging's weak-reference callbacks take its lock, which gevent patched, after gevent's own
        # module is torn down: a "TypeError: 'NoneType' object is not callable" traceback on every stop. The
        # handlers write to unbuffered streams, so there is nothing for logging's exit hook to flush.
        logging._handlerList.clear()

    def handle(self, listener, client, addr):
        super().handle(listener, _RecordingSocket(client), addr)

    def handle_request(self, listener_name, req, sock, addr):
        super().handle_request(listener_name, req, sock, addr)
        # Let every other connection with a request waiting go first: a keep-alive client whose next request
        # is already in the socket would otherwise be served again at once (reading ready data does not yield),
        # and under load the others waited seconds (wrk timed out at 2 s). Round robin keeps the tail short.
        gevent.sleep(0)

    def handle_error(self, req, client, addr, exc):
        capture = _CapturingSocket()
        super().handle_error(req, capture, addr, exc)  # gunicorn's logging and its choice of status
        status = capture.status()
        path = getattr(req, "path", None) or refused_request_path(getattr(client, "head", b""))
        try:
            self._write_app_error(client, status, "/api/" if path.startswith("/api/") else "/", exc)
        except Exception:  # the client may be gone, or the app unable to answer: gunicorn's own page then
            self.log.debug("Failed to send the application's error page; sending gunicorn's.")
            try:
                client.sendall(capture.data)
            except OSError:
                pass

    def _write_app_error(self, client, status: int, path: str, exc: BaseException) -> None:
        builder = EnvironBuilder(path=path)
        environ = builder.get_environ()
        builder.close()
        head = getattr(client, "head", b"").split(b"\r\n", 1)[0]
        if status == 400 and not head.isascii():
            detail = "raw non-ASCII bytes in the request line: percent-encode the URL"
        else:  # gunicorn's own words (the bad line or header, in latin-1), unless the request was never understood
            detail = str(exc)[:200] if status < 500 else ""
        environ[SERVER_REFUSED] = refusal(status, detail)
        app_iter, status_line, headers = run_wsgi_app(self.wsgi, environ, buffered=True)
        body = b"".join(app_iter)
        headers.remove("Content-Length")
        headers["Content-Length"] = str(len(body))
        headers["Connection"] = "close"
        start = f"HTTP/1.1 {status_line}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        client.sendall(start.encode("latin-1") + body)
