"""Whole results as files: hits, the report table, concordance lines, trend points and the report list, as
CSV (UTF-8 with a BOM, so Excel reads the Chinese), XLSX or JSON Lines.

Records are made as they are written, so a 100,000-line concordance streams in bounded memory. Every
export knows its row count before the first row (:class:`Export` ``.rows``): the API sends it as
``X-Row-Count``, and JSON Lines ends with ``{"_complete": true, "rows": N}``, so a truncated download shows.
Each row of hits, report rows and lines carries its permalink and a citation.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson

from search.citation import citation
from search.concordance import ConcordanceRequest, check_context_sort, iter_lines
from search.core import Snapshot, filtered_matches, resolve_years
from search.counting import Filters, match_order, query_matches
from search.models import SECTIONS, Region, Report, SearchRequest
from search.query import parse_query
from search.report_table import report_table

if TYPE_CHECKING:
    from search.trends import TrendsResponse

FORMATS: tuple[str, ...] = ("csv", "xlsx", "jsonl")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jsonl": "application/x-ndjson; charset=utf-8",
}
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row
_FLUSH_ROWS = 500


@dataclass
class Export:
    """An export before it is written: its columns, how many rows it has, and the rows (made when read)."""

    name: str  # hits | reports | kwic | trends | report_list: the file's stem
    columns: list[str]
    rows: int
    records: Iterable[dict]


def _region_columns(region: Region) -> dict:
    return {"province": region.province, "prefecture": region.prefecture, "county": region.county}


def hits_export(snap: Snapshot, request: SearchRequest, base_url: str = "") -> Export:
    """Every matching passage (not one page): in report and passage order, or by year or region when the
    request sorts so (relevance orders a page at a time, so a whole export is in reading order)."""
    effective = resolve_years(snap, request)
    kept = filtered_matches(snap, parse_query(request.query), effective)
    sort = request.sort if request.sort in ("year", "region") else "position"
    positions = match_order(snap, kept, sort, request.order if sort != "position" else "")

    def records() -> Iterator[dict]:
        for k in positions.tolist():
            row = int(kept.rows[k])
            p, report = snap.passages[row], snap.report_of(row)
            permalink = base_url + p.url()
            yield {
                "report_id": report.report_id,
                "passage_id": p.passage_id,
                "title": report.title,
                **_region_columns(report.region),
                "year": report.year,
                "doc_type": report.doc_type,
                "section": p.section,
                "heading": p.heading,
                "number": p.number,
                "matches": int(kept.occurrences[k]),
                "text": p.text,
                "permalink": permalink,
                "citation": citation(report, p, permalink),
            }

    columns = ["report_id", "passage_id", "title", "province", "prefecture", "county", "year", "doc_type"]
    columns += ["section", "heading", "number", "matches", "text", "permalink", "citation"]
    return Export("hits", columns, len(kept.rows), records())


def reports_export(snap: Snapshot, request: SearchRequest, base_url: str = "") -> Export:
    """The whole report table of a search, in its order, occurrences per section in columns of their own."""
    effective = resolve_years(snap, request)
    filters = Filters(snap, effective)
    table = report_table(snap, filters.keep(query_matches(snap, parse_query(request.query))), effective, filters)

    def records() -> Iterator[dict]:
        for row in table:
            report = snap.reports[row.report_id]
            permalink = base_url + row.url
            record = row.to_dict()
            del record["region"], record["sections"], record["url"]
            yield {
                **record,
                **_region_columns(row.region),
                **{f"occurrences_{s}": row.sections.get(s, 0) for s in SECTIONS},
                "permalink": permalink,
                "citation": citation(report, None, base_url + f"/reports/{report.report_id}"),
            }

    columns = ["report_id", "title", "province", "prefecture", "county", "year", "doc_type", "passages"]
    columns += ["occurrences", "chars", "per_10k_chars", *(f"occurrences_{s}" for s in SECTIONS)]
    columns += ["publish_date", "issuer", "source", "permalink", "citation"]
    return Export("reports", columns, len(table), records())


def kwic_export(snap: Snapshot, request: ConcordanceRequest, base_url: str = "") -> Export:
    """Every concordance line, in the requested order."""
    filters = resolve_years(snap, request.filters)
    kept = filtered_matches(snap, parse_query(filters.query), filters)
    check_context_sort(kept, request)

    def records() -> Iterator[dict]:
        for line in iter_lines(snap, kept, request):
            permalink = base_url + line.url
            report = snap.reports[line.report_id]
            passage = snap.passages[snap.row_of[line.passage_id]]
            record = line.to_dict()
            del record["region"], record["url"]
            yield {**record, **_region_columns(line.region), "permalink": permalink,
                   "citation": citation(report, passage, permalink)}  # fmt: skip

    columns = ["report_id", "passage_id", "number", "title", "province", "prefecture", "county", "year"]
    columns += ["section", "left", "match", "right", "start", "permalink", "citation"]
    return Export("kwic", columns, int(kept.occurrences.sum()), records())


def trends_export(response: TrendsResponse) -> Export:
    """One row per point of every series."""

    def records() -> Iterator[dict]:
        for series in response.series:
            for p in series.points:
                yield {"query": series.query, "split_value": series.split_value, **p.to_dict()}

    columns = ["query", "split_value", "year", "reports", "reports_matching", "occurrences", "chars", "value"]
    rows = sum(len(s.points) for s in response.series)
    return Export("trends", columns, rows, records())


def report_list_export(reports: list[Report], base_url: str = "") -> Export:
    """The report list, one row per report."""

    def records() -> Iterator[dict]:
        for report in reports:
            record = report.summary_dict()
            permalink = base_url + f"/reports/{report.report_id}"
            del record["region"]
            record["sources"] = "; ".join(record["sources"])
            yield {**record, **_region_columns(report.region), "chars": sum(len(p.text) for p in report.passages),
                   "permalink": permalink, "citation": citation(report, None, permalink)}  # fmt: skip

    columns = ["report_id", "title", "province", "prefecture", "county", "year", "publish_date", "issuer"]
    columns += ["doc_type", "passages", "chars", "source", "sources", "encoding", "permalink", "citation"]
    return Export("report_list", columns, len(reports), records())


def _cell(value: object) -> object:
    return "" if value is None else value


def write_csv(export: Export) -> Iterator[bytes]:
    """CSV in UTF-8 with a byte-order mark (Excel then reads it as UTF-8), written a block of rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(export.columns)
    columns = export.columns
    for n, record in enumerate(export.records, start=1):
        writer.writerow([_cell(record.get(c)) for c in columns])
        if n % _FLUSH_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_jsonl(export: Export) -> Iterator[bytes]:
    """One JSON object per line, then ``{"_complete": true, "rows": N}``."""
    chunk: list[bytes] = []
    n = 0
    for n, record in enumerate(export.records, start=1):
        chunk.append(orjson.dumps(record))
        if n % _FLUSH_ROWS == 0:
            yield b"\n".join(chunk) + b"\n"
            chunk = []
    chunk.append(orjson.dumps({"_complete": True, "rows": n}))
    yield b"\n".join(chunk) + b"\n"


def write_xlsx(export: Export) -> Iterator[bytes]:
    """An XLSX workbook written row by row (openpyxl's write-only mode) to a temporary file, then sent."""
    from openpyxl import Workbook

    if export.rows > XLSX_MAX_ROWS:
        raise ValueError(f"{export.rows} rows do not fit in one sheet ({XLSX_MAX_ROWS}); use csv or jsonl")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(export.name)
    sheet.append(export.columns)
    for record in export.records:
        sheet.append([_cell(record.get(c)) for c in export.columns])
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        workbook.save(path)
        with open(path, "rb") as f:
            while block := f.read(1 << 16):
                yield block
    finally:
        os.unlink(path)


WRITERS: dict[str, Callable[[Export], Iterator[bytes]]] = {"csv": write_csv, "xlsx": write_xlsx, "jsonl": write_jsonl}


def write(export: Export, fmt: str) -> Iterator[bytes]:
    """The export in ``fmt`` (one of :data:`FORMATS`), as chunks of bytes."""
    return WRITERS[fmt](export)


def filename(export: Export, fmt: str) -> str:
    return f"fazhi-{export.name}.{fmt}"
