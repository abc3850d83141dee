"""Every setting in one table: name, default and help. Environment variables use the prefix ``FAZHI_``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from search.engines import ENGINES


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


PREFIX = "FAZHI_"

SETTINGS: tuple[Setting, ...] = (
    Setting("INDEX_DIR", "index_data", "Folder holding the search index (written by `fazhi index`, read by the site)."),
    Setting("ENGINE", ENGINES[0], f"Search engine behind the index: {' or '.join(ENGINES)}."),
    Setting(
        "SPHINX_HOSTS",
        "127.0.0.1:9306",
        "The sphinx engine's nodes, `host:port` (SphinxQL) separated by commas: written to by `fazhi index` (each "
        "report to one node), and recorded in the index for searching (`fazhi cluster up` prints this value).",
    ),
    Setting("MAX_QUERY_LENGTH", "500", "Longest query accepted, in characters; longer queries get HTTP 400."),
    Setting("MAX_PER_PAGE", "100", "Largest `per_page` the API accepts."),
    Setting("PER_PAGE", "20", "Hits per page when `per_page` is not given."),
    Setting("CACHE_SIZE", "256", "Search responses kept per worker and index generation (0: none)."),
    Setting(
        "BASE_URL",
        "",
        "The site's public address, e.g. `https://fazhi.example.org`, for the permalinks and citations on pages, "
        "in the API and in exports; never a request's `Host:` (empty: the address the server listens on).",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str, overrides: dict[str, object] | None = None) -> str:
    """A setting's value: ``overrides`` (a test or CLI dict), then ``FAZHI_<NAME>``, then the default."""
    setting = _BY_NAME[name]
    if overrides and overrides.get(name) is not None:
        return str(overrides[name])
    return os.environ.get(PREFIX + name, setting.default)


def get_int(name: str, overrides: dict[str, object] | None = None) -> int:
    value = get(name, overrides)
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"setting {PREFIX}{name} must be a whole number, not {value!r}") from None


def index_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The index folder: an explicit path, then ``FAZHI_INDEX_DIR``, then ``index_data/``."""
    return Path(explicit) if explicit else Path(get("INDEX_DIR"))
