"""URLs around the current search: a facet value toggled, another page, another order, the JSON twin.

Built in Python so that templates only loop (as datasette does with ``toggle_url``). Every facet is a
repeatable parameter named after its key (``region``, ``year``, ``section``, and any facet added later).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict

from web.params import param_values

SINGLE_PARAMS: tuple[str, ...] = (
    "q",
    "sort",
    "order",
    "group",
    "per_page",
    "page",
    "view",
    "facet_count",
    "width",
    "norm",
    "split",
    "format",
)
"""Parameters that take one value; every other parameter is a repeatable facet filter."""


class SearchLinks:
    """The current search's parameters, in canonical form, and the URLs of searches next to it."""

    def __init__(self, args: MultiDict, path: str) -> None:
        self.path = path
        self.params: dict[str, list[str]] = {}
        for name in dict.fromkeys(args.keys()):
            if name in SINGLE_PARAMS:
                value = args.get(name, "")
                values = [value] if value.strip() else []
            else:
                values = param_values(args, name)
            if values:
                self.params[name] = values

    def selected(self, name: str) -> list[str]:
        """The values of a facet parameter the current search filters on."""
        return list(self.params.get(name, ()))

    def url(self, changes: Mapping[str, str | Iterable[str] | None] | None = None, path: str | None = None) -> str:
        """This search with some parameters replaced (None drops one); the page is dropped unless given."""
        params = {k: v for k, v in self.params.items() if k != "page"}
        for name, value in (changes or {}).items():
            if value is None or value == "":
                params.pop(name, None)
            elif isinstance(value, str):
                params[name] = [value]
            else:
                params[name] = [str(v) for v in value]
        query = urlencode([(k, v) for k, values in params.items() for v in values if v != ""])
        return (path or self.path) + ("?" + query if query else "")

    def toggle(self, name: str, value: object, replaces: Iterable[str] = ()) -> str:
        """The search with ``value`` of facet ``name`` added, or removed if already chosen.

        Adding drops any of ``replaces`` (a region's ancestors and descendants, which it would only blur).
        """
        value = str(value)
        values = self.selected(name)
        if value in values:
            values.remove(value)
        else:
            dropped = set(replaces)
            values = [v for v in values if v not in dropped] + [value]
        return self.url({name: values})

    def page(self, number: int) -> str:
        """This search at another page (page 1 is left implicit)."""
        return self.url({"page": str(number) if number > 1 else None})

    def same(self, path: str) -> str:
        """Exactly this search, page included, at another path (the JSON twin at ``/api/search``)."""
        query = urlencode([(k, v) for k, values in self.params.items() for v in values])
        return path + ("?" + query if query else "")
