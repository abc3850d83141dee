"""The JSON API as an OpenAPI 3.1 document, served at ``/api/openapi.json``.

Written as data, one function per path (a new endpoint is one function and one line in :data:`PATHS`). Every
enum comes from the ``search`` package's public constants and every bound from the settings, so the document
cannot drift from what the app accepts; ``tests/test_openapi.py`` validates real responses against it and fuzzes
every operation with schemathesis. Objects whose keys we control are closed (``additionalProperties: false``):
a renamed or dropped field fails the tests, and an added one must be documented here.
"""

from __future__ import annotations

from functools import cache
from importlib import metadata
from typing import Any

from search import (
    COVERAGE_LEVELS,
    COVERAGE_STATUSES,
    DEFAULT_WIDTH,
    DOC_TYPES,
    FACET_COUNTS,
    FORMATS,
    INFERABLE,
    ISSUER_LEVELS,
    KWIC_SORTS,
    MAX_QUERIES,
    MAX_REGION_LENGTH,
    MAX_RESULT_DEPTH,
    MAX_WIDTH,
    MEDIA_TYPES,
    NORMS,
    ORDERS,
    PUBLISH_DATE_SOURCES,
    REFERENCE_FORMATS,
    REGION_LEVELS,
    REPORT_LIST_SORTS,
    REPORT_SORTS,
    REUSE_STATUSES,
    SECTIONS,
    SORTS,
    SPLITS,
    STYLES,
    VIEWS,
)

Schema = dict[str, Any]

JSON = "application/json"


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    """``schema`` or null (OpenAPI 3.1 spells it as JSON Schema does)."""
    return {"anyOf": [schema, {"type": "null"}]}


def closed(properties: dict[str, Schema], description: str = "", optional: tuple[str, ...] = ()) -> Schema:
    """An object with exactly these keys, all required but ``optional``."""
    schema: Schema = {
        "type": "object",
        "properties": properties,
        "required": [k for k in properties if k not in optional],
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def array(items: Schema, **bounds: Any) -> Schema:
    return {"type": "array", "items": items, **bounds}


STRING: Schema = {"type": "string"}
COUNT: Schema = {"type": "integer", "minimum": 0}
STRINGS = array(STRING)
YEAR = nullable({"type": "integer"})
DATE = nullable({"type": "string", "format": "date"})
ELAPSED: Schema = {"type": "number", "minimum": 0, "description": "Time the answer took, in milliseconds."}
SHARE: Schema = {"type": "number", "minimum": 0, "maximum": 1}
NOTES = array(STRING, description="How the query and region names were read (山西 → 山西省).")


# Components: the JSON shapes (search/models.py, trends.py, concordance.py, report_table.py, the API's errors)


def schemas() -> dict[str, Schema]:
    region = closed(
        {
            "province": nullable(STRING),
            "prefecture": nullable(STRING),
            "county": nullable(STRING),
            "code": nullable({**STRING, "description": "The division code (adcode) of the deepest level, that year."}),
            "division_id": nullable(
                {**STRING, "description": "The division's persistent id across renames (the coverage row)."}
            ),
        },
        "Where a report comes from, with official full names; a level the report does not reach is null.",
    )
    listing = closed(
        {
            "report_id": STRING,
            "title": STRING,
            "issuer": nullable(STRING),
            "issuer_level": {"enum": list(ISSUER_LEVELS)},
            "township": nullable(STRING),
            "region": ref("Region"),
            "year": YEAR,
            "publish_date": DATE,
            "status": {"enum": list(COVERAGE_STATUSES)},
        },
        "A report the matrix lists but does not count in a cell.",
    )
    rate = nullable({"type": "number", "minimum": 0, "maximum": 1})
    report_fields: dict[str, Schema] = {
        "report_id": STRING,
        "source": {"type": "string", "description": "Path of the file, relative to the corpus folder."},
        "title": STRING,
        "region": ref("Region"),
        "year": YEAR,
        "publish_date": DATE,
        "issuer": nullable(STRING),
        "passages": {**COUNT, "description": "The report's passages (a count)."},
        "doc_type": {"enum": list(DOC_TYPES)},
        "encoding": nullable(STRING),
        "sources": array(STRING, minItems=1),
        "title_inferred": {"type": "boolean"},
        "inferred": array({"enum": list(INFERABLE)}),
        "source_url": nullable({"type": "string", "format": "uri"}),
        "accessed": DATE,
        "publish_date_source": nullable({"enum": list(PUBLISH_DATE_SOURCES)}),
        "issuer_level": {"enum": list(ISSUER_LEVELS)},
        "township": nullable({**STRING, "description": "The township (镇, 乡, 街道) whose report it is."}),
        "originality": nullable({**SHARE, "description": "Share of its characters found in no earlier report."}),
    }
    detail_fields = {
        **report_fields,
        "permalink": {"type": "string", "format": "uri"},
        "citations": ref("Citations"),
        "passages": array(ref("Passage"), description="Every passage of the report, in order."),
        "passage_count": COUNT,
        "related": array(ref("RelatedReport"), description="The reports sharing most text with it, most first."),
    }
    holder = {
        "report_id": STRING,
        "passage_id": STRING,
        "year": YEAR,
        "region": ref("Region"),
        "place": {"type": "string", "description": 'The region\'s deepest name ("" for none).'},
        "publish_date": DATE,
        "title": STRING,
        "url": {"type": "string", "description": "The passage in its report (a path)."},
    }
    filters = closed(
        {
            "region": array(STRING),
            "year": array({"anyOf": [{"type": "integer"}, {"type": "string"}]}),
            "section": array({"enum": list(SECTIONS)}),
            "doc_type": array({"enum": list(DOC_TYPES)}),
            "reuse": array({"enum": list(REUSE_STATUSES)}),
        },
        "The filters in force, as given (a year range as `2021-2024`; region names as resolved).",
    )
    return {
        "Region": region,
        "Citations": closed(
            {key: {"type": "string", "description": label} for key, label in STYLES.items()},
            "The citation in every style, its link absolute.",
        ),
        "Hit": closed(
            {
                "report_id": STRING,
                "passage_id": STRING,
                "source": STRING,
                "title": STRING,
                "region": ref("Region"),
                "year": YEAR,
                "section": {"enum": list(SECTIONS)},
                "heading": {"type": "string", "description": "The headings above the passage, joined with ` › `."},
                "text": STRING,
                "snippet": {"type": "string", "description": "HTML: occurrences in <mark>, the rest escaped."},
                "url": {"type": "string", "description": "The passage's permalink (a path)."},
                "matches": {**COUNT, "description": "Occurrences of the query's terms in the passage (处)."},
                "number": {"type": "integer", "minimum": 1, "description": "Paragraph number in the report."},
                "score": {"type": "number"},
                "report_matches": {**COUNT, "description": "Matching passages in the hit's report."},
                "doc_type": {"enum": list(DOC_TYPES)},
                "reuse": nullable(ref("PassageReuse")),
                "citations": ref("Citations"),
            },
            "One matching passage.",
        ),
        "ReuseHolder": closed(holder, "A passage holding the same text, in its report."),
        "ReuseLink": closed(
            {
                **holder,
                "whole": {"type": "boolean", "description": "A near-duplicate of the whole passage."},
                "shared_chars": {**COUNT, "description": "Characters of this passage inside the shared spans."},
            },
            "Another passage sharing text with this one.",
        ),
        "PassageReuse": closed(
            {
                "reports": {**COUNT, "description": "Other reports holding text of this passage (份)."},
                "passages": {**COUNT, "description": "Other passages holding text of this passage (段)."},
                "shared": {"type": "boolean", "description": "Whether any other passage holds its text."},
                "earliest": nullable(ref("ReuseHolder")),
                "tie": {"type": "boolean", "description": "Other holders share the earliest's year and date (并列)."},
                "tied": array(ref("ReuseHolder")),
                "earliest_is_self": {"type": "boolean"},
                "links": array(ref("ReuseLink"), description="The first links, earliest first."),
                "links_total": COUNT,
            },
            "Where else the passage's text appears; earliest by report year, then publish date.",
        ),
        "RelatedReport": closed(
            {
                "report_id": STRING,
                "title": STRING,
                "region": ref("Region"),
                "place": STRING,
                "year": YEAR,
                "shared_chars": COUNT,
                "url": STRING,
                "compare_url": {"type": "string", "description": "The two reports side by side (a path)."},
            }
        ),
        "ComparedReport": closed(
            {
                "report_id": STRING,
                "title": STRING,
                "region": ref("Region"),
                "place": STRING,
                "year": YEAR,
                "publish_date": DATE,
                "url": STRING,
                "chars": COUNT,
                "shared_chars": {**COUNT, "description": "Its characters inside spans shared with the other."},
                "share": SHARE,
            }
        ),
        "ComparedPassage": closed(
            {
                "passage_id": STRING,
                "number": {"type": "integer", "minimum": 1},
                "url": STRING,
                "heading": STRING,
                "shared_chars": COUNT,
                "segments": array(
                    closed(
                        {
                            "text": {"type": "string", "minLength": 1},
                            "other": nullable({**STRING, "description": "The passage of the other report."}),
                            "other_url": nullable(STRING),
                        }
                    ),
                    description="The passage's text in pieces; a shared piece names its passage in the other report.",
                ),
            }
        ),
        "Comparison": closed(
            {
                "a": ref("ComparedReport"),
                "b": ref("ComparedReport"),
                "pairs": {**COUNT, "description": "Passage pairs sharing text."},
                "summary": STRING,
                "sections": array(
                    closed(
                        {
                            "section": {"enum": list(SECTIONS)},
                            "a": array(ref("ComparedPassage")),
                            "b": array(ref("ComparedPassage")),
                        }
                    ),
                    description="The mandated sections either report has, in outline order.",
                ),
            },
            "Two reports side by side.",
        ),
        "RegionFacetValue": closed(
            {"value": STRING, "count": COUNT, "level": {"enum": list(REGION_LEVELS)}, "parent": nullable(STRING)}
        ),
        "YearFacetValue": closed({"value": {"type": "integer"}, "count": COUNT}),
        "Facets": closed(
            {
                "region": array(ref("RegionFacetValue")),
                "year": array(ref("YearFacetValue")),
                "section": array(closed({"value": {"enum": list(SECTIONS)}, "count": COUNT})),
                "doc_type": array(closed({"value": {"enum": list(DOC_TYPES)}, "count": COUNT})),
                "reuse": array(closed({"value": {"enum": list(REUSE_STATUSES)}, "count": COUNT})),
            },
            "Counts over the whole result set (passages or reports, as `facet_count` says); a facet's own "
            "counts ignore the filter on that facet.",
        ),
        "Filters": filters,
        "ReportRow": closed(
            {
                "report_id": STRING,
                "title": STRING,
                "region": ref("Region"),
                "year": YEAR,
                "doc_type": {"enum": list(DOC_TYPES)},
                "passages": {**COUNT, "description": "Matching passages (段)."},
                "occurrences": {**COUNT, "description": "Occurrences of the query's terms (处)."},
                "chars": COUNT,
                "per_10k_chars": {"type": "number", "minimum": 0},
                "sections": {
                    "type": "object",
                    "propertyNames": {"enum": list(SECTIONS)},
                    "additionalProperties": COUNT,
                    "description": "Occurrences per section (sections without any left out).",
                },
                "url": STRING,
                "source": STRING,
                "publish_date": DATE,
                "issuer": nullable(STRING),
                "originality": nullable(SHARE),
                "citations": ref("Citations"),
            },
            "One matching report of the report table (`view=reports`).",
        ),
        "SearchResponse": closed(
            {
                "query": STRING,
                "total": {**COUNT, "description": "Matching passages (段)."},
                "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1},
                "hits": array(ref("Hit"), description="The page of hits (empty with `view=reports`)."),
                "facets": ref("Facets"),
                "filters": ref("Filters"),
                "sort": {"enum": list(dict.fromkeys((*SORTS, *REPORT_SORTS)))},
                "group": {"type": "boolean"},
                "reports_total": {**COUNT, "description": "Reports the matching passages are in (份)."},
                "cached": {"type": "boolean"},
                "elapsed_ms": ELAPSED,
                "occurrences": {**COUNT, "description": "Occurrences of the query's terms (处)."},
                "view": {"enum": list(VIEWS)},
                "facet_count": {"enum": list(FACET_COUNTS)},
                "order": {"enum": ["", *ORDERS]},
                "reports": nullable(array(ref("ReportRow"))),
                "notes": NOTES,
            }
        ),
        "ConcordanceLine": closed(
            {
                "report_id": STRING,
                "passage_id": STRING,
                "number": {"type": "integer", "minimum": 1},
                "left": STRING,
                "match": {"type": "string", "minLength": 1},
                "right": STRING,
                "title": STRING,
                "region": ref("Region"),
                "year": YEAR,
                "section": {"enum": list(SECTIONS)},
                "url": STRING,
                "start": {**COUNT, "description": "Offset of the match in the passage's text."},
            }
        ),
        "ConcordanceResponse": closed(
            {
                "query": STRING,
                "total": {**COUNT, "description": "Lines in all: the search's occurrences (处)."},
                "passages_total": COUNT,
                "reports_total": COUNT,
                "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1},
                "sort": {"enum": list(KWIC_SORTS)},
                "order": {"enum": ["", *ORDERS]},
                "width": {"type": "integer", "minimum": 1, "maximum": MAX_WIDTH},
                "filters": ref("Filters"),
                "lines": array(ref("ConcordanceLine")),
                "elapsed_ms": ELAPSED,
                "notes": NOTES,
            }
        ),
        "TrendPoint": closed(
            {
                "year": {"type": "integer"},
                "reports": {**COUNT, "description": "Reports of that year (under the filters and split value)."},
                "reports_matching": COUNT,
                "occurrences": COUNT,
                "chars": COUNT,
                "value": {"type": "number", "minimum": 0, "description": "What `norm` plots."},
            }
        ),
        "TrendSeries": closed(
            {"query": STRING, "split_value": nullable(STRING), "points": array(ref("TrendPoint"))},
        ),
        "FirstUse": closed(
            {
                "query": STRING,
                "year": YEAR,
                "reports": array(
                    closed(
                        {
                            "report_id": STRING,
                            "title": STRING,
                            "region": ref("Region"),
                            "year": YEAR,
                            "publish_date": DATE,
                            "url": STRING,
                        }
                    ),
                    maxItems=5,
                ),
            },
            "The first year a query appears in, and up to five reports of that year.",
        ),
        "TrendsResponse": closed(
            {
                "queries": array(STRING, minItems=1, maxItems=MAX_QUERIES),
                "norm": {"enum": list(NORMS)},
                "split": {"enum": list(SPLITS)},
                "split_level": {"enum": [s for s in SPLITS if s != "region"]},
                "filters": ref("Filters"),
                "years": array({"type": "integer"}),
                "series": array(ref("TrendSeries")),
                "first": array(ref("FirstUse")),
                "elapsed_ms": ELAPSED,
                "notes": NOTES,
            }
        ),
        "ReportSummary": closed(report_fields, "A report's metadata, as the report list shows it."),
        "ReportList": closed(
            {
                "reports": array(ref("ReportSummary")),
                "total": COUNT,
                "sort": {"enum": list(REPORT_LIST_SORTS)},
                "order": {"enum": ["", *ORDERS]},
                "page": COUNT,
                "per_page": COUNT,
            },
            optional=("page", "per_page"),  # present when a page was asked for
        ),
        "Passage": closed(
            {
                "passage_id": STRING,
                "number": {"type": "integer", "minimum": 1},
                "section": {"enum": list(SECTIONS)},
                "heading": STRING,
                "text": STRING,
                "url": STRING,
                "citations": ref("Citations"),
                "reuse": ref("PassageReuse"),
            }
        ),
        "ReportDetail": closed(detail_fields, "One report: its metadata, citations and every passage."),
        "Choice": closed(
            {
                "value": {"type": "string", "description": "The full name, qualified by its parents when shared."},
                "label": STRING,
                "reports": COUNT,
                "level": {"enum": list(REGION_LEVELS)},
                "parent": nullable(STRING),
                "near": {"type": "boolean", "description": "A name close to an unknown value (else: ambiguous)."},
            },
            "A place the region value could have meant.",
        ),
        "Error": closed(
            {
                "ok": {"const": False},
                "error": {"type": "string", "minLength": 1},
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "param": {"enum": PARAMETER_NAMES},
                "choices": array(ref("Choice"), minItems=1),
            },
            "Every error under /api/.",
            optional=("param", "choices"),
        ),
        "BadParameter": {
            "allOf": [ref("Error"), {"required": ["param"], "properties": {"status": {"const": 400}}}],
            "description": "A parameter the API cannot answer: `param` names it.",
        },
        "CoverageCell": closed(
            {
                "status": {"enum": list(COVERAGE_STATUSES)},
                "report_ids": STRINGS,
                "publish_date": DATE,
                "name": nullable({**STRING, "description": "The division's name that year."}),
            }
        ),
        "CoverageRow": closed(
            {
                "code": STRING,
                "division_id": STRING,
                "name": STRING,
                "level": {"enum": list(COVERAGE_LEVELS)},
                "parent": nullable(STRING),
                "province": STRING,
                "former_names": STRINGS,
                "cells": {"type": "object", "additionalProperties": ref("CoverageCell")},
                "expected": COUNT,
                "found": COUNT,
                "rate": rate,
            },
            "One government across the years shown, named and coded as in the latest of them.",
        ),
        "CoverageSummary": closed(
            {
                **{key: COUNT for key in ("expected", "found", "on_time", "late", "undated", "missing")},
                "rate": rate,
            }
        ),
        "CoverageReport": listing,
        "CoverageResponse": closed(
            {
                "years": array({"type": "integer"}),
                "level": {"enum": list(COVERAGE_LEVELS)},
                "region": nullable(
                    closed(
                        {
                            "name": STRING,
                            "level": {"enum": list(COVERAGE_LEVELS)},
                            "code": nullable(STRING),
                            "division_id": nullable(STRING),
                            "parent": nullable(STRING),
                        }
                    )
                ),
                "deadline": STRING,
                "rows": array(ref("CoverageRow")),
                "summary": {"type": "object", "additionalProperties": ref("CoverageSummary")},
                "other_issuers": array(ref("CoverageReport")),
                "unplaced": array(ref("CoverageReport")),
                "elapsed_ms": ELAPSED,
                "notes": NOTES,
            },
            "Who published for which years: governments (rows) by report years (cells).",
        ),
        "OpenAPI": {"type": "object", "required": ["openapi", "info", "paths"]},
    }


# Parameters


def query_param(name: str, schema: Schema, description: str, required: bool = False) -> Schema:
    param: Schema = {"name": name, "in": "query", "required": required, "schema": schema, "description": description}
    if schema.get("type") == "array":
        param.update(style="form", explode=True)  # region=A&region=B
    return param


def query_length(max_query_length: int) -> Schema:
    return {"type": "string", "maxLength": max_query_length}


def required_query(max_query_length: int) -> Schema:
    """A query that must say something: blank is a 400 (so is a query of operators only)."""
    return {**query_length(max_query_length), "pattern": r"\S"}


_YEAR = "[1-9][0-9]{3}"
YEAR_PATTERN = rf"^\s*(?:{_YEAR}|{_YEAR}\s*[-–~～至]\s*(?:{_YEAR})?|[-–~～至]\s*{_YEAR})\s*$"
"""A year (2024) or a range (2021-2024, 2021-, -2020), as :func:`search.parse_years` reads them."""


def filter_params() -> list[Schema]:
    """The filters every endpoint takes, repeatable (OR within one, AND across them); comma-separated values
    (``region=A,B``) work too."""
    return [
        query_param(
            "region",
            array({"type": "string", "maxLength": MAX_REGION_LENGTH}),
            "A region at any level, full (山西省) or short (山西); qualify a shared name (湖南省/长沙市/岳麓区).",
        ),
        query_param(
            "year",
            array({"type": "string", "pattern": YEAR_PATTERN}),
            "A report year (2024) or a range (2021-2024, 2021-, -2020).",
        ),
        query_param("section", array({"enum": list(SECTIONS)}), "A section of the mandated outline."),
        query_param("doc_type", array({"enum": list(DOC_TYPES)}), "What a document is."),
        query_param(
            "reuse",
            array({"enum": list(REUSE_STATUSES)}),
            "Passages found in no other report (original) or shared with one (shared).",
        ),
    ]


def paging_params(max_per_page: int) -> list[Schema]:
    return [
        query_param("page", {"type": "integer", "minimum": 1, "maximum": MAX_RESULT_DEPTH}, "Page, from 1."),
        query_param(
            "per_page",
            {"type": "integer", "minimum": 1, "maximum": max_per_page},
            f"Results per page; `page × per_page` goes at most {MAX_RESULT_DEPTH} deep.",
        ),
    ]


def format_param(formats: tuple[str, ...]) -> Schema:
    return query_param(
        "format",
        {"enum": ["json", *formats]},
        "`json` (the default) or a download of the whole result.",
    )


ORDER = query_param(
    "order",
    {"enum": list(ORDERS)},
    "Direction; without it, the sort's own. Hits in relevance order take none (a 400).",
)


# Responses


def error_response(description: str, schema: str = "Error") -> Schema:
    return {"description": description, "content": {JSON: {"schema": ref(schema)}}}


def download_content(formats: tuple[str, ...]) -> dict[str, Schema]:
    content = {}
    for fmt in formats:
        media_type = MEDIA_TYPES[fmt].split(";")[0]
        if media_type.endswith("+json"):
            content[media_type] = {"schema": array({"type": "object"})}
        else:
            content[media_type] = {"schema": {"type": "string", "contentMediaType": media_type}}
    return content


def ok(schema: str, downloads: tuple[str, ...] = ()) -> Schema:
    content = {JSON: {"schema": ref(schema)}, **download_content(downloads)}
    response: Schema = {"description": "The answer, or with `format` a download.", "content": content}
    if downloads:
        response["headers"] = {
            "Content-Disposition": {
                "description": "Downloads only: `attachment; filename=fazhi-….csv`.",
                "schema": {"type": "string", "pattern": "^attachment; filename=fazhi-"},
            },
            "X-Row-Count": {"description": "Downloads only: the rows in the file.", "schema": {"type": "integer"}},
        }
    return response


def responses(schema: str, downloads: tuple[str, ...] = (), not_found: bool = False) -> Schema:
    out = {
        "200": ok(schema, downloads),
        "400": error_response("A bad parameter, named in `param`.", "BadParameter"),
        "503": error_response("No index yet, or one to rebuild."),
    }
    if not_found:
        out["404"] = error_response("No such report.")
    return out


# Paths: one function each


def search_path(max_per_page: int, max_query_length: int) -> Schema:
    return {
        "get": {
            "operationId": "search",
            "summary": "Search passages, or the report table of a search",
            "description": "An empty `q` returns every passage, so the facets work as a browser. Every answer "
            "counts three ways: `total` passages (段), `reports_total` reports (份), `occurrences` (处).",
            "parameters": [
                query_param("q", query_length(max_query_length), "The query (empty: every passage)."),
                *filter_params(),
                *paging_params(max_per_page),
                query_param(
                    "sort",
                    {"enum": list(dict.fromkeys((*SORTS, *REPORT_SORTS)))},
                    f"Hits: {', '.join(SORTS)}; the report table (`view=reports`) also {', '.join(REPORT_SORTS)}.",
                ),
                ORDER,
                query_param("group", {"type": "boolean"}, "One hit per report (also 1/0, on/off, yes/no)."),
                query_param("view", {"enum": list(VIEWS)}, "Hits (passages) or the report table (reports)."),
                query_param("facet_count", {"enum": list(FACET_COUNTS)}, "What facet counts count."),
                format_param(FORMATS),
            ],
            "responses": responses("SearchResponse", FORMATS),
        }
    }


def kwic_path(max_per_page: int, max_query_length: int) -> Schema:
    formats = tuple(f for f in FORMATS if f not in REFERENCE_FORMATS)
    return {
        "get": {
            "operationId": "kwic",
            "summary": "The concordance: one line per occurrence, with its context",
            "parameters": [
                query_param("q", required_query(max_query_length), "The query.", required=True),
                *filter_params(),
                *paging_params(max_per_page),
                query_param("sort", {"enum": list(KWIC_SORTS)}, "Order of the lines."),
                ORDER,
                query_param(
                    "width",
                    {"type": "integer", "minimum": 1, "maximum": MAX_WIDTH},
                    f"Characters of context each side (default {DEFAULT_WIDTH}).",
                ),
                format_param(formats),
            ],
            "responses": responses("ConcordanceResponse", formats),
        }
    }


def trends_path(max_per_page: int, max_query_length: int) -> Schema:
    formats = tuple(f for f in FORMATS if f not in REFERENCE_FORMATS)
    return {
        "get": {
            "operationId": "trends",
            "summary": "Each query counted per report year",
            "parameters": [
                query_param(
                    "q",
                    array(required_query(max_query_length), minItems=1, maxItems=MAX_QUERIES),
                    f"Up to {MAX_QUERIES} queries, one series each.",
                    required=True,
                ),
                *filter_params(),
                query_param("norm", {"enum": list(NORMS)}, "What a point plots."),
                query_param(
                    "split",
                    {"enum": list(SPLITS)},
                    "One series per value of a region level, of the level below the chosen region, or of section.",
                ),
                format_param(formats),
            ],
            "responses": responses("TrendsResponse", formats),
        }
    }


def reports_path(max_per_page: int, max_query_length: int) -> Schema:
    return {
        "get": {
            "operationId": "reports",
            "summary": "The reports passing the filters, in index order",
            "parameters": [p for p in filter_params() if p["name"] not in ("section", "reuse")]
            + paging_params(max_per_page)
            + [
                query_param(
                    "sort",
                    {"enum": list(REPORT_LIST_SORTS)},
                    "Index order, or originality (least original first unless `order=desc`).",
                ),
                ORDER,
                format_param(FORMATS),
            ],
            "responses": responses("ReportList", FORMATS),
        }
    }


def report_path(max_per_page: int, max_query_length: int) -> Schema:
    return {
        "get": {
            "operationId": "report",
            "summary": "One report with every passage",
            "parameters": [{"name": "report_id", "in": "path", "required": True, "schema": STRING}],
            "responses": responses("ReportDetail", not_found=True),
        }
    }


def compare_path(max_per_page: int, max_query_length: int) -> Schema:
    report_id = {"type": "string", "pattern": r"\S"}
    return {
        "get": {
            "operationId": "compare",
            "summary": "Two reports side by side, aligned by section, the text they share marked in both",
            "parameters": [
                query_param("a", report_id, "A report_id.", required=True),
                query_param("b", report_id, "Another report_id.", required=True),
            ],
            "responses": responses("Comparison", not_found=True),
        }
    }


def coverage_path(max_per_page: int, max_query_length: int) -> Schema:
    formats = ("csv", "xlsx", "jsonl")
    return {
        "get": {
            "operationId": "coverage",
            "summary": "Which governments published a report for which years, against the divisions of each year",
            "parameters": [
                query_param(
                    "year",
                    array({"type": "string", "pattern": YEAR_PATTERN}),
                    "Report years (2023) or a range (2021-2024); default every year the index has.",
                ),
                query_param(
                    "region",
                    {"type": "string", "maxLength": MAX_REGION_LENGTH},
                    "A province or prefecture, full (山西省) or short (山西): its children are the rows.",
                ),
                query_param("level", {"enum": list(COVERAGE_LEVELS)}, "The level of the rows; default the one below."),
                format_param(formats),
            ],
            "responses": responses("CoverageResponse", formats),
        }
    }


def openapi_path(max_per_page: int, max_query_length: int) -> Schema:
    return {
        "get": {
            "operationId": "openapi",
            "summary": "This document",
            "responses": {"200": {"description": "OpenAPI 3.1", "content": {JSON: {"schema": ref("OpenAPI")}}}},
        }
    }


PATHS = {
    "/api/search": search_path,
    "/api/kwic": kwic_path,
    "/api/trends": trends_path,
    "/api/reports": reports_path,
    "/api/reports/{report_id}": report_path,
    "/api/compare": compare_path,
    "/api/coverage": coverage_path,
    "/api/openapi.json": openapi_path,
}

PARAMETER_NAMES = [
    "q",
    "region",
    "year",
    "section",
    "doc_type",
    "page",
    "per_page",
    "sort",
    "order",
    "group",
    "view",
    "facet_count",
    "format",
    "width",
    "norm",
    "split",
    "report_id",
    "level",
    "reuse",
    "a",
    "b",
]
"""What an error's ``param`` may name."""


def _version() -> str:
    try:
        return metadata.version("fazhi-search")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "0"


@cache
def openapi_document(max_per_page: int, max_query_length: int) -> Schema:
    """The OpenAPI 3.1 document of the API with these limits (the app's ``MAX_PER_PAGE`` and
    ``MAX_QUERY_LENGTH``). Built once per pair of limits; callers must not change it."""
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "fazhi-search",
            "version": _version(),
            "summary": "Search China's annual rule-of-law government reports (法治政府建设年度报告).",
            "description": "Every count equals what a reader scanning the text would count: 处 occurrences, "
            "段 passages, 份 reports. Errors are `{ok: false, error, status[, param][, choices]}`.",
        },
        "paths": {path: make(max_per_page, max_query_length) for path, make in PATHS.items()},
        "components": {"schemas": schemas()},
    }
