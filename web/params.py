"""Turning a request's query-string parameters into the search layer's requests (shared by the API and the pages)."""

from __future__ import annotations

from collections.abc import Mapping

from werkzeug.datastructures import MultiDict

from search import (
    DEFAULT_WIDTH,
    FORMATS,
    ConcordanceRequest,
    SearchError,
    SearchRequest,
    TrendsRequest,
    parse_years,
    validate,
    validate_concordance,
    validate_trends,
)


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
    if not (raw.isascii() and raw.isdigit()):  # int() would take "1_0" and Arabic-Indic digits
        raise SearchError(name, f"{name} must be a whole number, not {raw[:40]!r}")
    return int(raw)


def _word(args: MultiDict, name: str, default: str = "") -> str:
    return args.get(name, "").strip() or default


_TRUE = ("1", "true", "on", "yes")
_FALSE = ("0", "false", "off", "no")


def _flag(args: MultiDict, name: str) -> bool:
    raw = _word(args, name).lower()
    if raw and raw not in _TRUE + _FALSE:
        raise SearchError(name, f"{name} must be 1 or 0 (true/false, on/off, yes/no), not {raw[:40]!r}")
    return raw in _TRUE


def _filters(args: MultiDict, config: Mapping, default_facet_count: str = "passages") -> SearchRequest:
    years, year_ranges = parse_years(param_values(args, "year"))
    return SearchRequest(
        query=args.get("q", ""),
        regions=tuple(param_values(args, "region")),
        years=years,
        year_ranges=year_ranges,
        sections=tuple(param_values(args, "section")),
        doc_types=tuple(param_values(args, "doc_type")),
        reuse=tuple(param_values(args, "reuse")),
        page=_int(args, "page", 1),
        per_page=_int(args, "per_page", int(config["PER_PAGE"])),
        sort=_word(args, "sort", "relevance"),
        group=_flag(args, "group"),
        view=_word(args, "view", "passages"),
        facet_count=_word(args, "facet_count", default_facet_count),
        order=_word(args, "order"),
    )


def _limits(config: Mapping) -> dict[str, int]:
    return {"max_per_page": int(config["MAX_PER_PAGE"]), "max_query_length": int(config["MAX_QUERY_LENGTH"])}


def search_request_from(args: MultiDict, config: Mapping, default_facet_count: str = "passages") -> SearchRequest:
    """The search the parameters describe; :class:`SearchError` names the first bad parameter."""
    request = _filters(args, config, default_facet_count)
    validate(request, **_limits(config))
    return request


def concordance_request_from(args: MultiDict, config: Mapping) -> ConcordanceRequest:
    """The concordance (``/api/kwic``, ``/search?view=kwic``): the search's filters plus ``width``, ``sort``
    (position | left | right | year | region) and ``order``."""
    filters = _filters(MultiDict([(k, v) for k, v in args.items(multi=True) if k not in ("sort", "order", "view")]),
                       config)  # fmt: skip
    request = ConcordanceRequest(
        filters=filters,
        sort=_word(args, "sort", "position"),
        order=_word(args, "order"),
        width=_int(args, "width", DEFAULT_WIDTH),
    )
    validate_concordance(request, **_limits(config))
    return request


def trends_request_from(args: MultiDict, config: Mapping) -> TrendsRequest:
    """Trends (``/api/trends``, ``/trends``): one or more ``q``, the filters, ``norm`` and ``split``."""
    queries = tuple(dict.fromkeys(q.strip() for q in args.getlist("q") if q.strip()))
    filters = _filters(MultiDict([(k, v) for k, v in args.items(multi=True) if k not in ("q", "sort", "order")]),
                       config)  # fmt: skip
    request = TrendsRequest(
        queries=queries,
        filters=filters,
        norm=_word(args, "norm", "share_of_reports"),
        split=_word(args, "split"),
    )
    validate_trends(request, max_query_length=int(config["MAX_QUERY_LENGTH"]))
    return request


def export_format(args: MultiDict) -> str | None:
    """The ``format`` asked for (csv | xlsx | jsonl), or None for the usual JSON or page."""
    fmt = _word(args, "format").lower()
    if not fmt or fmt == "json":
        return None
    if fmt not in FORMATS:
        raise SearchError("format", f"format must be one of json, {', '.join(FORMATS)}, not {fmt!r}")
    return fmt
