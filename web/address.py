"""The site's own address, for its absolute links (permalinks, citations, exports): never the request's ``Host:``.

A citation is copied into papers and articles, so the address in it must be the site's, not whatever a client
(or a link someone was tricked into following) put in its ``Host:`` header. The address is the ``BASE_URL``
setting; unset, the address the server listens on, which the WSGI server puts in ``SERVER_NAME`` and
``SERVER_PORT`` from its socket (``fazhi serve`` sets ``FAZHI_BASE_URL`` from its ``--host`` and ``--port``).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

BAD_HOST = "fazhi.bad_host"
"""The WSGI environ key holding a ``Host:`` header that is not a host name (answered with a 400)."""

_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?")


def valid_host(value: str) -> bool:
    """Whether a ``Host:`` header names a host: a DNS name (labels of 1–63 letters, digits and hyphens; Chinese
    names as IDNA), an IPv4 address or a bracketed IPv6 address, and optionally ``:port``.

    >>> [valid_host(h) for h in ("fazhi.example.org", "127.0.0.1:8000", "[::1]:8000", "法治.中国", "a..b")]
    [True, True, True, True, False]
    """
    if value.startswith("["):
        address, bracket, port = value[1:].partition("]")
        if not bracket or (port and not port.startswith(":")):
            return False
        try:
            ipaddress.IPv6Address(address)
        except ValueError:
            return False
        return _valid_port(port[1:]) if port else True
    name, colon, port = value.partition(":")
    if colon and not _valid_port(port):
        return False
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_name.removesuffix(".").split(".")
    return 0 < len(ascii_name) <= 253 and all(len(label) <= 63 and _LABEL.fullmatch(label) for label in labels)


def _valid_port(port: str) -> bool:
    return port.isascii() and port.isdigit() and int(port) <= 65535


def server_address(environ: dict) -> str:
    """``scheme://host[:port]`` of the socket the server listens on (the port left out when it is the scheme's).

    >>> server_address({"wsgi.url_scheme": "http", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000"})
    'http://127.0.0.1:8000'
    >>> server_address({"wsgi.url_scheme": "http", "SERVER_NAME": "localhost", "SERVER_PORT": "80"})
    'http://localhost'
    """
    scheme = environ.get("wsgi.url_scheme", "http")
    name, port = environ.get("SERVER_NAME", "localhost"), str(environ.get("SERVER_PORT", ""))
    if ":" in name and not name.startswith("["):
        name = f"[{name}]"  # an IPv6 address
    default = {"http": "80", "https": "443"}.get(scheme)
    return f"{scheme}://{name}" + (f":{port}" if port and port != default else "")


class SiteAddress:
    """WSGI middleware: checks the ``Host:`` header (a bad one is flagged for a 400), then replaces it, and the
    scheme, with the site's own address, so that nothing in the application can build a link from it."""

    def __init__(self, app, base_url: str = "") -> None:
        self.app = app
        self.base = urlsplit(base_url.strip()) if base_url.strip() else None

    def __call__(self, environ: dict, start_response):
        host = environ.get("HTTP_HOST")
        if host is not None and not valid_host(host):
            environ[BAD_HOST] = host
        if self.base is not None:
            environ["wsgi.url_scheme"] = self.base.scheme or "http"
            environ["HTTP_HOST"] = self.base.netloc
        else:
            environ["HTTP_HOST"] = urlsplit(server_address(environ)).netloc
        return self.app(environ, start_response)


def site_root(base_url: str, environ: dict) -> str:
    """The root URL absolute links start with (no trailing slash): ``BASE_URL``, else the server's address.

    >>> site_root("https://fazhi.example.org/", {})
    'https://fazhi.example.org'
    """
    return (base_url.strip() or server_address(environ)).rstrip("/")
