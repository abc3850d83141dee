"""Whole results as files: hits, the report table, concordance lines, trend points and the report list, as
CSV (UTF-8 with a BOM, so Excel reads the Chinese), XLSX or JSON Lines; hits, the report table and the report
list also as references for Zotero and EndNote: RIS, BibTeX and CSL-JSON (one record per hit, the paragraph as
its pinpoint note; one per report in the report table and the report list).

Records are made as they are written, so a 100,000-line concordance streams in bounded memory. Every
export knows its row count before the first row (:class:`Export` ``.rows``): the API sends it as
``X-Row-Count``, and JSON Lines ends with ``{"_complete": true, "rows": N}``, so a truncated download shows.
Each row of hits, report rows and lines carries its permalink and a citation in every style (``citation`` is
GB/T 7714-2025).
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson

from search.citation import Reference, citations, reference
from search.concordance import ConcordanceRequest, check_context_sort, iter_lines
from search.contract import Snapshot
from search.core import effective_request, filtered_matches
from search.counting import Filters, match_order, query_matches
from search.models import SECTIONS, Region, Report, SearchRequest
from search.query import parse_query
from search.report_table import report_table
from search.reports import ReportSelection, report_chars
from search.reuse_views import REUSE_COLUMNS, originalities, reuse_columns

if TYPE_CHECKING:
    from search.coverage import CoverageResponse
    from search.trends import TrendsResponse

FORMATS: tuple[str, ...] = ("csv", "xlsx", "jsonl", "ris", "bibtex", "csljson")
REFERENCE_FORMATS: tuple[str, ...] = ("ris", "bibtex", "csljson")
"""Formats for reference managers: only exports whose rows are reports or passages have them."""
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jsonl": "application/x-ndjson; charset=utf-8",
    "ris": "application/x-research-info-systems; charset=utf-8",
    "bibtex": "application/x-bibtex; charset=utf-8",
    "csljson": "application/vnd.citationstyles.csl+json; charset=utf-8",
}
EXTENSIONS = {"bibtex": "bib", "csljson": "json"}
"""File extensions that differ from the format's name."""
CITATION_COLUMNS = ["citation", "citation_gb7714_2015", "citation_fxyz"]
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row
_FLUSH_ROWS = 500


@dataclass
class Export:
    """An export before it is written: its columns, how many rows it has, and the rows (made when read)."""

    name: str  # hits | reports | kwic | trends | report_list: the file's stem
    columns: list[str]
    rows: int
    records: Iterable[dict]  # a record's "_reference" (a Reference) feeds RIS, BibTeX and CSL-JSON
    references: bool = False  # whether records carry "_reference" (reports and passages do; lines, trends not)


def _citation_columns(found: dict[str, str]) -> dict[str, str]:
    return {
        "citation": found["gb7714_2025"],
        "citation_gb7714_2015": found["gb7714_2015"],
        "citation_fxyz": found["fxyz"],
    }


def _region_columns(region: Region) -> dict:
    return {"province": region.province, "prefecture": region.prefecture, "county": region.county}


def hits_export(snap: Snapshot, request: SearchRequest, base_url: str = "") -> Export:
    """Every matching passage (not one page): in report and passage order, or by year or region when the
    request sorts so (relevance orders a page at a time, so a whole export is in reading order)."""
    effective = effective_request(snap, request)
    kept = filtered_matches(snap, parse_query(request.query), effective)
    sort = request.sort if request.sort in ("year", "region") else "position"
    positions = match_order(snap, kept, sort, request.order if sort != "position" else "")

    def records() -> Iterator[dict]:
        for k in positions.tolist():
            row = int(kept.rows[k])
            p, report = snap.passages[row], snap.report_metadata_of(row)  # no other passage of its report is read
            permalink = base_url + p.url()
            ref = reference(report, p, permalink)
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
                **_citation_columns(ref.citations),
                **reuse_columns(snap, p.passage_id, base_url),
                "_reference": ref,
            }

    columns = ["report_id", "passage_id", "title", "province", "prefecture", "county", "year", "doc_type"]
    columns += ["section", "heading", "number", "matches", "text", "permalink", *CITATION_COLUMNS]
    columns += REUSE_COLUMNS  # added with text reuse (issue #14): new columns go at the end
    return Export("hits", columns, len(kept.rows), records(), references=True)


def reports_export(snap: Snapshot, request: SearchRequest, base_url: str = "") -> Export:
    """The whole report table of a search, in its order, occurrences per section in columns of their own."""
    effective = effective_request(snap, request)
    filters = Filters(snap, effective)
    table = report_table(snap, filters.keep(query_matches(snap, parse_query(request.query))), effective, filters)

    def records() -> Iterator[dict]:
        for row, report in table.with_reports():
            permalink = base_url + row.url
            record = row.to_dict()
            del record["region"], record["sections"], record["url"]
            ref = reference(report, None, base_url + f"/reports/{report.report_id}")
            yield {
                **record,
                **_region_columns(row.region),
                **{f"occurrences_{s}": row.sections.get(s, 0) for s in SECTIONS},
                "permalink": permalink,
                **_citation_columns(ref.citations),
                "_reference": ref,
            }

    columns = ["report_id", "title", "province", "prefecture", "county", "year", "doc_type", "passages"]
    columns += ["occurrences", "chars", "per_10k_chars", *(f"occurrences_{s}" for s in SECTIONS)]
    columns += ["publish_date", "issuer", "source", "permalink", *CITATION_COLUMNS]
    columns += ["originality"]  # the row's: share of the report's characters found in no earlier report (issue #14)
    return Export("reports", columns, len(table), records(), references=True)


def kwic_export(snap: Snapshot, request: ConcordanceRequest, base_url: str = "") -> Export:
    """Every concordance line, in the requested order."""
    filters = effective_request(snap, request.filters)
    kept = filtered_matches(snap, parse_query(filters.query), filters)
    check_context_sort(kept, request)

    def records() -> Iterator[dict]:
        for line in iter_lines(snap, kept, request):
            permalink = base_url + line.url
            report, passage = snap.passage_and_metadata(line.passage_id)  # type: ignore[misc]  # a line of it
            record = line.to_dict()
            del record["region"], record["url"]
            yield {**record, **_region_columns(line.region), "permalink": permalink,
                   **_citation_columns(citations(report, passage, permalink))}  # fmt: skip

    columns = ["report_id", "passage_id", "number", "title", "province", "prefecture", "county", "year"]
    columns += ["section", "left", "match", "right", "start", "permalink", *CITATION_COLUMNS]
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


def report_list_export(reports: Sequence[Report], base_url: str = "") -> Export:
    """The report list, one row per report (a :func:`~search.reports.filter_reports` selection reads each report
    as its row is written, and its characters from the columns)."""

    # Originality from the generation's column (a selection knows its snapshot; other sequences have none).
    values = originalities(reports.snap, reports) if isinstance(reports, ReportSelection) else [None] * len(reports)

    listed = reports.listed() if isinstance(reports, ReportSelection) else ((r, r.summary_dict()) for r in reports)

    def records() -> Iterator[dict]:
        for (report, record), chars, originality in zip(listed, report_chars(reports), values, strict=True):
            permalink = base_url + f"/reports/{report.report_id}"
            del record["region"]
            record["sources"] = "; ".join(record["sources"])
            record["inferred"] = ", ".join(record["inferred"])
            ref = reference(report, None, permalink)
            yield {**record, **_region_columns(report.region), "chars": chars,
                   "permalink": permalink, **_citation_columns(ref.citations), "originality": originality,
                   "_reference": ref}  # fmt: skip

    columns = ["report_id", "title", "province", "prefecture", "county", "year", "publish_date", "issuer"]
    columns += [
        "publish_date_source",
        "issuer_level",
        "township",
        "doc_type",
        "passages",
        "chars",
        "source",
        "sources",
        "encoding",
        "title_inferred",
        "inferred",
    ]
    columns += ["source_url", "accessed", "permalink", *CITATION_COLUMNS, "originality"]
    return Export("report_list", columns, len(reports), records(), references=True)


def coverage_export(response: CoverageResponse, base_url: str = "") -> Export:
    """The coverage matrix, one row per government: its status, publish date and report links in each year."""

    def records() -> Iterator[dict]:
        for row in response.rows:
            record = {"code": row.code, "division_id": row.division_id, "name": row.name, "level": row.level,
                      "parent": row.parent, "province": row.province, "former_names": ", ".join(row.former_names),
                      "expected": row.expected, "found": row.found, "rate": row.rate}  # fmt: skip
            for year, cell in row.cells.items():
                record[f"{year}"] = cell.status
                record[f"{year}_publish_date"] = cell.publish_date
                record[f"{year}_reports"] = " ".join(f"{base_url}/reports/{rid}" for rid in cell.report_ids)
            yield record

    columns = ["code", "division_id", "name", "level", "parent", "province", "former_names"]
    for year in response.years:
        columns += [f"{year}", f"{year}_publish_date", f"{year}_reports"]
    columns += ["expected", "found", "rate"]
    return Export("coverage", columns, len(response.rows), records())


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
        chunk.append(orjson.dumps({k: v for k, v in record.items() if not k.startswith("_")}))
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


def _references(export: Export, fmt: str) -> Iterator[Reference]:
    """The export's references; ValueError (before any byte is written) when its rows are no reports or passages."""
    if not export.references:
        raise ValueError(f"{fmt} holds reports and passages; {export.name} rows are neither: use csv, xlsx or jsonl")
    return (record["_reference"] for record in export.records)


def _chunked(lines: Iterator[str]) -> Iterator[bytes]:
    """Text in blocks of :data:`_FLUSH_ROWS` records."""
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= _FLUSH_ROWS:
            yield "".join(chunk).encode("utf-8")
            chunk = []
    yield "".join(chunk).encode("utf-8")


def _ris_date(iso: str) -> str:
    return iso.replace("-", "/")


def ris_record(ref: Reference) -> str:
    """One RIS record: a web page (``ELEC``), the issuer as a corporate author, the paragraph as a note, the
    passage cited as the abstract, the original address in ``UR`` and the access date in ``Y2``."""
    tags: list[tuple[str, str]] = [("TY", "ELEC"), ("ID", ref.id), ("TI", ref.title)]
    if ref.issuer:
        tags.append(("AU", ref.issuer))
    if ref.publish_date:
        tags += [("PY", ref.publish_date[:4]), ("DA", _ris_date(ref.publish_date))]
    elif ref.year:
        tags.append(("PY", str(ref.year)))
    tags.append(("UR", ref.url))
    if ref.accessed:
        tags.append(("Y2", _ris_date(ref.accessed)))
    tags += [("KW", name) for name in ref.region]
    tags += [("N1", note) for note in ref.notes]
    if ref.text:
        tags.append(("AB", " ".join(ref.text.split())))
    tags += [("LA", "zh-CN"), ("M3", ref.doc_type), ("ER", "")]
    return "".join(f"{tag}  - {value}\r\n" for tag, value in tags)


def write_ris(export: Export) -> Iterator[bytes]:
    """RIS (EndNote, Zotero): one record per report or passage, UTF-8 with a byte-order mark as EndNote wants."""
    refs = _references(export, "ris")
    yield "\ufeff".encode()
    yield from _chunked(ris_record(ref) + "\r\n" for ref in refs)


_BIBTEX_SPECIAL = re.compile(r"[\\{}%&$#_^~]")
_BIBTEX_ESCAPES = {"\\": r"\textbackslash{}", "^": r"\^{}", "~": r"\~{}"}


def _bibtex_value(text: str) -> str:
    """A BibTeX field value in braces: characters special to TeX escaped, whitespace folded.

    >>> print(_bibtex_value("50% & {x}"))
    {50\\% \\& \\{x\\}}
    """
    text = _BIBTEX_SPECIAL.sub(lambda m: _BIBTEX_ESCAPES.get(m.group(), "\\" + m.group()), " ".join(text.split()))
    return "{" + text + "}"


def bibtex_record(ref: Reference) -> str:
    """One BibTeX (biblatex) ``@online`` entry; the issuer in double braces, as a corporate author; the URL left
    as it is (``url`` is verbatim in biblatex)."""
    fields: list[tuple[str, str]] = [("title", _bibtex_value(ref.title))]
    if ref.issuer:
        fields.append(("author", "{" + _bibtex_value(ref.issuer) + "}"))
    if ref.publish_date:
        fields += [("date", ref.publish_date), ("year", ref.publish_date[:4])]
    elif ref.year:
        fields.append(("year", str(ref.year)))
    fields.append(("url", "{" + ref.url + "}"))
    if ref.accessed:
        fields.append(("urldate", ref.accessed))
    if ref.notes:
        fields.append(("note", _bibtex_value("；".join(ref.notes))))
    if ref.text:
        fields.append(("annotation", _bibtex_value(ref.text)))
    if ref.region:
        fields.append(("keywords", _bibtex_value(", ".join(ref.region))))
    fields += [("language", "{zh-CN}")]
    body = ",\n".join(f"  {name} = {value if value.startswith('{') else '{' + value + '}'}" for name, value in fields)
    return f"@online{{{ref.id},\n{body}\n}}\n"


def write_bibtex(export: Export) -> Iterator[bytes]:
    """BibTeX (biblatex ``@online``), one entry per report or passage, UTF-8."""
    refs = _references(export, "bibtex")
    yield from _chunked(bibtex_record(ref) + "\n" for ref in refs)


def _csl_date(iso: str) -> dict:
    return {"date-parts": [[int(part) for part in iso.split("-")]]}


def csl_item(ref: Reference) -> dict:
    """One CSL-JSON item: a ``webpage`` (as the citations treat it: [EB/OL]), the issuer as a literal name."""
    item: dict = {"id": ref.id, "type": "webpage", "title": ref.title, "URL": ref.url, "language": "zh-CN"}
    if ref.issuer:
        item["author"] = [{"literal": ref.issuer}]
    if ref.publish_date:
        item["issued"] = _csl_date(ref.publish_date)
    elif ref.year:
        item["issued"] = {"date-parts": [[ref.year]]}
    if ref.accessed:
        item["accessed"] = _csl_date(ref.accessed)
    if ref.notes:
        item["note"] = "\n".join(ref.notes)
    if ref.text:
        item["abstract"] = ref.text
    if ref.region:
        item["keyword"] = ", ".join(ref.region)
    item["genre"] = ref.doc_type
    return item


def write_csljson(export: Export) -> Iterator[bytes]:
    """CSL-JSON: one array of items (Zotero, Mendeley, pandoc), written an item at a time."""
    refs = _references(export, "csljson")
    items = (orjson.dumps(csl_item(ref)).decode() for ref in refs)
    first = next(items, None)
    if first is None:
        yield b"[]\n"
        return
    yield b"[\n"
    yield from _chunked(line for item in ([first], (",\n" + i for i in items)) for line in item)
    yield b"\n]\n"


WRITERS: dict[str, Callable[[Export], Iterator[bytes]]] = {
    "csv": write_csv,
    "xlsx": write_xlsx,
    "jsonl": write_jsonl,
    "ris": write_ris,
    "bibtex": write_bibtex,
    "csljson": write_csljson,
}


def write(export: Export, fmt: str) -> Iterator[bytes]:
    """The export in ``fmt`` (one of :data:`FORMATS`), as chunks of bytes; a reference format of an export
    without references (concordance lines, trends) raises ValueError at the first chunk."""
    return WRITERS[fmt](export)


def filename(export: Export, fmt: str) -> str:
    return f"fazhi-{export.name}.{EXTENSIONS.get(fmt, fmt)}"
