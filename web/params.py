"""Turning a request's query-string parameters into a :class:`SearchRequest` (shared by the API and the pages)."""

from __future__ import annotations

from collections.abc import Mapping

from werkzeug.datastructures import MultiDict

from search.core import SearchError, validate
from search.models import SearchRequest


def param_values(args: MultiDict, name: str) -> list[str]:
    """Every non-empty value of a repeatable parameter (``region=A&region=B``; ``region=A,B`` also works)."""
    out: list[str] = []
    for raw in args.getlist(name):
        out.extend(v.strip() for v in raw.split(",") if v.strip())
    return list(dict.fromkeys(out))


def _int(args: MultiDict, name: str, default: int) -> int:
    raw = args.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SearchError(name, f"{name} must be a whole number, not {raw[:40]!r}") from None


def search_request_from(args: MultiDict, config: Mapping) -> SearchRequest:
    """The request the parameters describe; :class:`SearchError` names the first bad parameter."""
    years: list[int] = []
    for raw in param_values(args, "year"):
        try:
            years.append(int(raw))
        except ValueError:
            raise SearchError("year", f"year must be a year such as 2024, not {raw[:40]!r}") from None
    request = SearchRequest(
        query=args.get("q", ""),
        regions=tuple(param_values(args, "region")),
        years=tuple(years),
        sections=tuple(param_values(args, "section")),
        doc_types=tuple(param_values(args, "doc_type")),
        page=_int(args, "page", 1),
        per_page=_int(args, "per_page", int(config["PER_PAGE"])),
        sort=args.get("sort", "").strip() or "relevance",
        group=args.get("group", "").strip().lower() in ("1", "true", "on", "yes"),
    )
    validate(request, max_per_page=int(config["MAX_PER_PAGE"]), max_query_length=int(config["MAX_QUERY_LENGTH"]))
    return request
