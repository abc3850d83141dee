"""The ``fazhi`` command: ``index``, ``search``, ``trends``, ``reports``, ``reuse``, ``coverage``, ``serve``,
``bench``, ``cluster``.

A thin layer over the three packages (``indexer`` writes the index, ``search`` answers from it, ``web`` serves
it): library errors become one clear line and a non-zero exit status.
Its commands and ``--json`` shapes are a contract: extend them, never rename or drop anything.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import socket
import sys
import unicodedata
from dataclasses import replace
from itertools import islice
from pathlib import Path

import click

from search import (
    COVERAGE_LEVELS,
    DEFAULT_WIDTH,
    DOC_TYPES,
    ENGINES,
    FACET_COUNTS,
    FORMATS,
    KWIC_SORTS,
    NORMS,
    ORDERS,
    REPORT_DOC_TYPE,
    REPORT_LIST_SORTS,
    REPORT_SORTS,
    REUSE_STATUSES,
    SECTIONS,
    SORTS,
    SPLITS,
    ConcordanceRequest,
    ConcordanceResponse,
    CoverageResponse,
    Export,
    OtherEngineIndexError,
    SearchError,
    SearchRequest,
    SearchResponse,
    TrendsRequest,
    TrendsResponse,
    UnknownReportError,
    built_with,
    concordance,
    coverage,
    coverage_export,
    deadline,
    filter_reports,
    hits_export,
    hosts_setting,
    kwic_export,
    no_index,
    open_engine,
    originalities,
    parse_coverage_request,
    parse_years,
    report_list_export,
    report_reuse,
    reports_export,
    reuse_line,
    search,
    settings,
    sort_reports,
    start_cluster,
    stop_cluster,
    trends,
    trends_export,
    validate,
    validate_concordance,
    validate_trends,
    with_citations,
    write,
)

INDEX_DIR_HELP = "Index folder (default: $FAZHI_INDEX_DIR, then index_data/)."


def _engine_option(f):
    return click.option(
        "--engine",
        type=click.Choice(ENGINES),
        default=lambda: settings.get("ENGINE"),
        show_default=f"$FAZHI_ENGINE or {ENGINES[0]}",
        help="Search engine behind the index.",
    )(f)


def _index_dir_option(f):
    return click.option("--index-dir", type=click.Path(file_okay=False, path_type=Path), help=INDEX_DIR_HELP)(f)


DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def plural(n: int, noun: str) -> str:
    """``1 passage``, ``2 passages``.

    >>> plural(1, "passage"), plural(0, "report"), plural(3, "occurrence")
    ('1 passage', '0 reports', '3 occurrences')
    """
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _base_url_option(f):
    return click.option(
        "--base-url",
        default=lambda: settings.get("BASE_URL") or DEFAULT_BASE_URL,
        show_default=f"$FAZHI_BASE_URL or {DEFAULT_BASE_URL}",
        help="The site's address: links are printed (and exported) as full URLs under it.",
    )(f)


def _full(base_url: str, url: str) -> str:
    """A site path (``/reports/…#…``) as a full URL a terminal can open."""
    return base_url.rstrip("/") + url if url.startswith("/") else url


def _print_json(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fazhi-search")
def main() -> None:
    """Search China's annual rule-of-law government reports (法治政府建设年度报告)."""


@main.command("index")
@click.argument("corpus_dir", type=click.Path(path_type=Path))
@_index_dir_option
@_engine_option
@click.option("--rebuild", is_flag=True, help="Read every file and write the index from scratch.")
def index_cmd(corpus_dir: Path, index_dir: Path | None, engine: str, rebuild: bool) -> None:
    """Index the reports under CORPUS_DIR, reading only new and changed files.

    \b
    Formats: .txt (UTF-8, GB18030/GBK, UTF-16, Big5: detected; traditional
    characters are found by simplified queries), saved web pages .html/.htm
    (the article only, without the site's navigation), Word .docx, and PDF
    with a text layer. Files over 20 MiB are not read, nor past 2 million
    characters of text, 64 MiB unzipped (.docx) or 60 s. Files with no
    Chinese report text (a README) are skipped. Links are followed only to
    files inside CORPUS_DIR; every file or link left out gets a line.

    \b
    A folder indexed before: files whose size and modification time are
    unchanged are not read; changed files are read again; reports whose files
    are gone are removed. An unchanged folder leaves the index untouched. The
    same report saved twice is indexed once. Searches see the old index until
    the new one is complete, so the run can be stopped at any moment.

    \b
    An optional manifest urls.csv or urls.jsonl in CORPUS_DIR gives each
    file's original address, publish date, access date, title and issuer
    (see the README); a bad row is listed with its line and left out.

    \b
    Exit status: 0 when every report file was indexed; 1 when some could not
    be read or a manifest row was left out (each is listed with why; the rest
    are indexed); 2 when nothing was indexed (the folder is missing or holds
    no readable report, another run is writing the index, or the index folder
    cannot be written): the index is left as it was.
    """
    from indexer.build import CorpusError, index_corpus

    target = settings.index_dir(index_dir)
    bar = None

    def progress(rel: str, done: int, total: int) -> None:
        nonlocal bar
        if not sys.stderr.isatty():
            return
        if bar is None:
            bar = click.progressbar(length=total, label="Indexing", file=sys.stderr, show_pos=True)
            bar.__enter__()
        bar.update(1, rel)

    try:
        summary = index_corpus(corpus_dir, target, progress=progress, engine=engine, rebuild=rebuild)
    except CorpusError as e:
        click.echo(f"Error: {one_line(str(e))}", err=True)
        sys.exit(2)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    mb = summary.bytes_read / 1e6
    click.echo(
        f"Indexed {plural(summary.reports, 'report')}, {plural(summary.passages, 'passage')} "
        f"in {summary.seconds:.1f} s "
        f"({summary.files_parsed} files read, {mb:.2f} MB, {mb / max(summary.seconds, 1e-9):.2f} MB/s) "
        f"into {one_line(str(target))}"
    )
    changes = (
        f"{summary.added} added, {summary.updated} updated, {summary.removed} removed, {summary.unchanged} unchanged"
    )
    if summary.links_not_followed:
        n = summary.links_not_followed
        changes += f"; {n} link{'s' if n != 1 else ''} not followed"
    if summary.rebuilt:
        click.echo(f"Rebuilt the index: {changes}")
    elif summary.committed:
        click.echo(f"Updated the index: {changes}")
    else:
        click.echo(f"Nothing changed: {changes}")
    for rel, first in summary.duplicates:
        click.echo(f"copy    {one_line(rel)}: same report as {one_line(first)} (indexed once)")
    for rel, doc_type in summary.look_alikes:
        click.echo(f"not a rule-of-law report: {one_line(rel)} ({doc_type}; filter with --doc-type)")
    for rel, n in summary.repaired:
        bytes_ = "1 byte that is" if n == 1 else f"{n} bytes that are"
        click.echo(f"repaired {one_line(rel)}: {bytes_} not UTF-8 replaced with �")
    for rel, why in summary.skipped:
        click.echo(f"skipped {one_line(rel)}: {one_line(why)}")
    for rel, why in summary.failed:
        click.echo(f"FAILED  {one_line(rel)}: {one_line(why)}", err=True)
    if summary.failed:
        sys.exit(1)


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(text: str) -> str:
    r"""``text`` fit for one line of output: control characters escaped (a file name may hold a newline),
    and bytes that are not UTF-8 (a name's lone surrogates) written as ``\xff``.

    >>> print(one_line("a\nb\tc.txt"), one_line("\udcff.txt"))
    a\nb\tc.txt \xff.txt
    """
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(
        _ESCAPES.get(c) or (f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c) for c in text
    )


def _snapshot(index_dir: Path | None, engine: str):
    try:
        cache_size = settings.get_int("CACHE_SIZE")
        return open_engine(settings.index_dir(index_dir), engine, cache_size=cache_size).snapshot()
    except FileNotFoundError as e:
        raise click.ClickException(str(e)) from None


def _terminal_snippet(snippet_html: str, color: bool) -> str:
    """A snippet's HTML as terminal text: marks shown in reverse video (or 【】 without colour)."""

    def repl(m: re.Match) -> str:
        inner = html.unescape(m.group(1))
        return click.style(inner, reverse=True, bold=True) if color else f"【{inner}】"

    return html.unescape(re.sub(r"<mark>(.*?)</mark>", lambda m: repl(m).replace("&", "&amp;"), snippet_html))


def _bad(e: SearchError) -> click.BadParameter:
    """A library error as a CLI one, naming the option (``q`` is the QUERY argument); the values it could
    have meant (an ambiguous or unknown region) one a line, ready to paste."""
    hint = "QUERY" if e.param == "q" else f"--{e.param.replace('_', '-')}"
    message = str(e)
    if e.choices:
        option = hint if hint != "QUERY" else ""
        lines = [f"  {option} {c['value']}".rstrip() + f"    # {c['label']}, {plural(c['reports'], 'report')}"
                 for c in e.choices]  # fmt: skip
        message += "\n" + ("near names:" if e.choices[0].get("near") else "choose one of:") + "\n" + "\n".join(lines)
    return click.BadParameter(message, param_hint=hint)


def _years(values: tuple[str, ...]) -> tuple[tuple[int, ...], tuple[tuple[int | None, int | None], ...]]:
    try:
        return parse_years(values)
    except SearchError as e:
        raise _bad(e) from None


def _shown(page: int, per_page: int, count: int) -> str:
    first = (page - 1) * per_page + 1
    return f"{first}–{first + count - 1}" if count else "0"


def _headline(total: int, reports_total: int, occurrences: int, query: str, shown: str, ms: float) -> str:
    """The first line: the result in all three units (段, 份, 处)."""
    return (
        f"{plural(total, 'passage')} (段) in {plural(reports_total, 'report')} (份), "
        f"{plural(occurrences, 'occurrence')} (处) match {query!r} (showing {shown}, {ms:.0f} ms)"
    )


def _print_notes(notes: list[str]) -> None:
    """What the reader should know about how the query was read, under the headline."""
    for note in notes:
        click.echo(f"note: {note}")


def _print_facets(resp: SearchResponse) -> None:
    for name in ("year", "section", "region", "doc_type", "reuse"):
        values = resp.facets.get(name, [])[:12]
        if values:
            click.echo("")
            click.echo(f"{name}: " + "  ".join(f"{v.value} ({v.count})" for v in values))


def _print_response(resp: SearchResponse, color: bool, base_url: str = DEFAULT_BASE_URL) -> None:
    req = resp.request
    shown = _shown(req.page, req.per_page, len(resp.hits))
    click.echo(_headline(resp.total, resp.reports_total, resp.occurrences, req.query, shown, resp.elapsed_ms))
    _print_notes(resp.notes)
    for n, hit in enumerate(resp.hits, start=(req.page - 1) * req.per_page + 1):
        click.echo("")
        meta = " · ".join(str(x) for x in (hit.title, hit.region.label(), hit.year, hit.section) if x)
        click.echo(click.style(f"{n}. {meta}", bold=True) if color else f"{n}. {meta}")
        if hit.heading:
            click.echo(f"   {hit.heading}")
        click.echo(f"   {_terminal_snippet(hit.snippet, color)}")
        # report_matches counts passages (段): the report's other matching passages, not occurrences (处).
        others = f"; 该报告另有 {hit.report_matches - 1} 段" if req.group and hit.report_matches > 1 else ""
        click.echo(f"   {_full(base_url, hit.url)}  (第{hit.number}段, {hit.matches} 处{others})")
        if hit.reuse and reuse_line(hit.reuse):
            click.echo(f"   {reuse_line(hit.reuse)}")
    _print_facets(resp)


def _columns(text: str) -> int:
    """Terminal columns ``text`` takes: Chinese characters and full-width forms take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - _columns(text))
    return gap + text if right else text + gap


def _table(header: list[str], rows: list[list[str]], numeric: set[int]) -> None:
    """Rows in aligned columns (numbers right-aligned)."""
    widths = [max(_columns(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        click.echo("  ".join(_pad(str(v), widths[i], i in numeric) for i, v in enumerate(r)).rstrip())


def _print_report_table(resp: SearchResponse) -> None:
    req = resp.request
    rows = resp.reports or []
    shown = _shown(req.page, req.per_page, len(rows))
    click.echo(_headline(resp.total, resp.reports_total, resp.occurrences, req.query, shown, resp.elapsed_ms))
    _print_notes(resp.notes)
    click.echo("")
    body = [
        [r.title, r.year or "—", r.region.label() or "—", r.passages, r.occurrences, r.chars, f"{r.per_10k_chars:.2f}"]
        for r in rows
    ]
    _table(["title", "year", "region", "段", "处", "chars", "per 10k"], body, numeric={3, 4, 5, 6})
    _print_facets(resp)


def _print_concordance(resp: ConcordanceResponse, color: bool, base_url: str = DEFAULT_BASE_URL) -> None:
    req = resp.request.filters
    shown = _shown(req.page, req.per_page, len(resp.lines))
    click.echo(_headline(resp.passages_total, resp.reports_total, resp.total, req.query, shown, resp.elapsed_ms))
    _print_notes(resp.notes)
    if not resp.lines:
        return
    click.echo("")
    width = max(_columns(line.left) for line in resp.lines)
    for line in resp.lines:
        match = click.style(line.match, reverse=True, bold=True) if color else f"【{line.match}】"
        left, right = (x.replace("\n", " ") for x in (line.left, line.right))
        click.echo(f"{_pad(left, width, right=True)}{match}{right}  {_full(base_url, line.url)}")


def _write_export(export: Export, fmt: str, output: Path | None, limit: tuple[int, int] | None = None) -> None:
    """Write ``export`` to ``output`` (or stdout); ``limit`` (start, count) keeps one page of its rows."""
    if limit is not None:
        start, count = limit
        export = replace(
            export,
            rows=max(0, min(count, export.rows - start)),
            records=islice(export.records, start, start + count),
        )
    try:
        if output is None:
            stream = sys.stdout.buffer
            for chunk in write(export, fmt):
                stream.write(chunk)
            stream.flush()
            return
        with open(output, "wb") as f:
            for chunk in write(export, fmt):
                f.write(chunk)
    except ValueError as e:  # an XLSX too large for one sheet
        raise click.BadParameter(str(e), param_hint="--format") from None
    except OSError as e:
        raise click.BadParameter(str(e), param_hint="--output") from None
    click.echo(f"Wrote {export.rows} rows to {output} ({fmt})", err=True)


def _check_output(fmt: str | None, output: Path | None) -> None:
    if fmt == "xlsx" and output is None:
        raise click.BadParameter("xlsx is a binary file: name one with --output FILE", param_hint="--output")
    if output is not None and fmt is None:
        raise click.BadParameter(f"--output writes an export: add --format {'|'.join(FORMATS)}", param_hint="--output")


_REGION_HELP = "Region name at any level (repeatable; values OR together)."
_YEAR_HELP = "Report year or range: 2024, 2021-2024, 2021-, -2020 (repeatable)."
_DOC_TYPE_HELP = "Document type (repeatable), e.g. 法治政府建设年度报告 to leave out look-alikes."
_FORMAT_HELP = (
    "Write a file instead of text: csv (UTF-8 with BOM), xlsx or jsonl; for reference managers (passages and "
    "reports, not kwic or trends) ris, bibtex or csljson."
)
_OUTPUT_HELP = "File for --format (default: stdout; xlsx needs a file)."
_ALL_SORTS = tuple(dict.fromkeys((*SORTS, *REPORT_SORTS, *KWIC_SORTS)))


_REUSE_HELP = "Only passages found in no other report (original) or shared with one (shared)."


def _filter_options(sections: bool = True):
    """``--region``, ``--year``, ``--section`` and ``--reuse`` (where the command filters passages) and
    ``--doc-type``."""

    def decorate(f):
        if sections:
            f = click.option("--reuse", type=click.Choice(REUSE_STATUSES), default=None, help=_REUSE_HELP)(f)
        f = click.option("--doc-type", type=click.Choice(DOC_TYPES), multiple=True, help=_DOC_TYPE_HELP)(f)
        if sections:
            f = click.option("--section", type=click.Choice(SECTIONS), multiple=True, help="Section (repeatable).")(f)
        f = click.option("--year", multiple=True, help=_YEAR_HELP)(f)
        return click.option("--region", multiple=True, help=_REGION_HELP)(f)

    return decorate


def _output_options(json_help: str, formats=FORMATS, format_help: str = _FORMAT_HELP, whole: bool = False):
    """``--json``, ``--format`` (with ``--all`` where a command pages) and ``--output``."""

    def decorate(f):
        f = click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help=_OUTPUT_HELP)(
            f
        )
        if whole:
            f = click.option(
                "--all", "whole", is_flag=True, help="With --format: every row of the result, not one page."
            )(f)
        f = click.option("--format", "fmt", type=click.Choice(formats), default=None, help=format_help)(f)
        return click.option("--json", "as_json", is_flag=True, help=json_help)(f)

    return decorate


@main.command("search")
@click.argument("query", default="")
@_filter_options()
@click.option("--page", type=int, default=1, show_default=True)
@click.option("--per-page", type=int, default=lambda: settings.get_int("PER_PAGE"), show_default="20")
@click.option(
    "--sort",
    type=click.Choice(_ALL_SORTS),
    default=None,
    help="passages: relevance|year|region (default relevance); reports also occurrences|per_10k_chars|passages|"
    "chars|title; kwic: position|left|right|year|region (default position).",
)
@click.option("--order", type=click.Choice(ORDERS), default=None, help="Reverse or fix the sort's direction.")
@click.option("--group", is_flag=True, help="One hit per report (its best passage).")
@click.option(
    "--view",
    type=click.Choice(("passages", "reports", "kwic")),
    default="passages",
    show_default=True,
    help="Passages (hits), one row per matching report, or one concordance line per occurrence.",
)
@click.option(
    "--facet-count", type=click.Choice(FACET_COUNTS), default="passages", show_default=True,
    help="What facet counts count: passages (段) or reports (份).",
)  # fmt: skip
@click.option("--width", type=int, default=DEFAULT_WIDTH, show_default=True, help="Characters of context (kwic).")
@_output_options("Print the /api/search (or, with --view kwic, /api/kwic) object.", whole=True)
@_base_url_option
@_index_dir_option
@_engine_option
def search_cmd(
    query, region, year, section, doc_type, reuse, page, per_page, sort, order, group, view, facet_count, width,
    as_json, fmt, whole, output, base_url, index_dir, engine,
) -> None:  # fmt: skip
    """Find passages: terms must all occur; "quoted phrase"; A OR B; -term excludes; (group); A NEAR/10 B; A /SEN B."""
    _check_output(fmt, output)
    years, year_ranges = _years(year)
    req = SearchRequest(
        query=query,
        regions=region,
        years=years,
        year_ranges=year_ranges,
        sections=section,
        doc_types=doc_type,
        reuse=(reuse,) if reuse else (),
        page=page,
        per_page=per_page,
        sort=sort or "relevance",
        group=group,
        view="reports" if view == "reports" else "passages",
        facet_count=facet_count,
        order=order or "",
    )
    limits = {
        "max_per_page": settings.get_int("MAX_PER_PAGE"),
        "max_query_length": settings.get_int("MAX_QUERY_LENGTH"),
    }
    page_rows = None if whole else ((page - 1) * per_page, per_page)
    try:
        if view == "kwic":
            creq = ConcordanceRequest(
                filters=replace(req, sort="relevance", order=""),
                sort=sort or "position",
                order=order or "",
                width=width,
            )
            validate_concordance(creq, **limits)
            snap = _snapshot(index_dir, engine)
            if fmt:
                return _write_export(kwic_export(snap, creq, base_url), fmt, output, page_rows)
            cresp = concordance(snap, creq)
        else:
            validate(req, **limits)
            snap = _snapshot(index_dir, engine)
            if fmt:
                make = reports_export if view == "reports" else hits_export
                return _write_export(make(snap, req, base_url), fmt, output, page_rows)
            resp = search(snap, req)
    except SearchError as e:
        raise _bad(e) from None
    if view == "kwic":
        if as_json:
            _print_json(cresp.to_dict())
        else:
            _print_concordance(cresp, color=sys.stdout.isatty(), base_url=base_url)
    elif as_json:
        _print_json(with_citations(resp.to_dict(), snap, base_url))
    elif view == "reports":
        _print_report_table(resp)
    else:
        _print_response(resp, color=sys.stdout.isatty(), base_url=base_url)


def _print_trends(resp: TrendsResponse, base_url: str = DEFAULT_BASE_URL) -> None:
    req = resp.request
    split = f", split by {resp.split_level}" if resp.split_level else ""
    click.echo(f"{', '.join(map(repr, req.queries))} by report year ({req.norm}{split}, {resp.elapsed_ms:.0f} ms)")
    _print_notes(resp.notes)
    for series in resp.series:
        click.echo("")
        click.echo(series.query + (f" · {series.split_value or '—'}" if resp.split_level else ""))
        rows = [[p.year, p.reports, p.reports_matching, p.occurrences, p.chars, p.value] for p in series.points]
        _table(["year", "reports", "reports_matching", "occurrences", "chars", "value"], rows, set(range(6)))
    click.echo("")
    for first in resp.first:
        if first.year is None:
            click.echo(f"first use of {first.query!r}: none")
            continue
        titles = "; ".join(f"{r['title']} {_full(base_url, r['url'])}" for r in first.reports)
        click.echo(f"first use of {first.query!r}: {first.year} ({titles})")


@main.command("trends")
@click.argument("queries", nargs=-1, required=True)
@click.option(
    "--norm",
    type=click.Choice(NORMS),
    default="share_of_reports",
    show_default=True,
    help="Share of the year's reports using it, occurrences per 10,000 characters, or occurrences.",
)
@click.option(
    "--split",
    type=click.Choice([s for s in SPLITS if s]),
    default=None,
    help="One series per region level, per region below --region (region), or per section.",
)
@_filter_options()
@_output_options("Print the /api/trends JSON object.")
@_base_url_option
@_index_dir_option
@_engine_option
def trends_cmd(
    queries, norm, split, region, year, section, doc_type, reuse, as_json, fmt, output, base_url, index_dir, engine
) -> None:
    """Count each QUERY per report year (up to 8 queries, one series each), and name its first use."""
    _check_output(fmt, output)
    years, year_ranges = _years(year)
    filters = SearchRequest(
        regions=region,
        years=years,
        year_ranges=year_ranges,
        sections=section,
        doc_types=doc_type,
        reuse=(reuse,) if reuse else (),
    )
    req = TrendsRequest(queries=tuple(dict.fromkeys(queries)), filters=filters, norm=norm, split=split or "")
    try:
        validate_trends(req, max_query_length=settings.get_int("MAX_QUERY_LENGTH"))
        resp = trends(_snapshot(index_dir, engine), req)
    except SearchError as e:
        raise _bad(e) from None
    if fmt:
        _write_export(trends_export(resp), fmt, output)
    elif as_json:
        _print_json(resp.to_dict())
    else:
        _print_trends(resp, base_url)


@main.command("reports")
@_filter_options(sections=False)
@click.option(
    "--sort", type=click.Choice(REPORT_LIST_SORTS), default="index", show_default=True,
    help="Index order, or originality (least original first; --order desc for most).",
)  # fmt: skip
@click.option("--order", type=click.Choice(ORDERS), default=None, help="Reverse or fix the sort's direction.")
@_output_options("Print the /api/reports JSON object.")
@_base_url_option
@_index_dir_option
@_engine_option
def reports_cmd(
    region, year, doc_type, sort, order, as_json: bool, fmt, output, base_url: str, index_dir: Path | None, engine: str
) -> None:
    """List the indexed reports (those of a region, years or document type)."""
    _check_output(fmt, output)
    years, year_ranges = _years(year)
    snap = _snapshot(index_dir, engine)
    filters = SearchRequest(regions=region, years=years, year_ranges=year_ranges, doc_types=doc_type)
    try:
        validate(filters)
        reports = sort_reports(snap, filter_reports(snap, filters), sort, order or "")
    except SearchError as e:
        raise _bad(e) from None
    if fmt:
        _write_export(report_list_export(reports, base_url), fmt, output)
        return
    rows = [{**r.summary_dict(), "originality": o} for r, o in zip(reports, originalities(snap, reports), strict=True)]
    if as_json:
        _print_json({"reports": rows, "total": len(rows), "sort": sort, "order": order or ""})
        return
    click.echo(f"{plural(len(rows), 'report')}, {plural(sum(len(r.passages) for r in reports), 'passage')}")
    for r in rows:
        region_label = " / ".join(r["region"][k] or "—" for k in ("province", "prefecture", "county"))
        kind = "" if r["doc_type"] == REPORT_DOC_TYPE else f"  ({r['doc_type']})"
        copies = f" +{len(r['sources']) - 1} copies" if len(r["sources"]) > 1 else ""
        encoding = f", {r['encoding']}" if r["encoding"] else ""
        click.echo(
            f"{r['report_id']}  {r['year'] or '—'}  {region_label}  {plural(r['passages'], 'passage'):>12}  "
            f"原创度 {r['originality']:.1%}  "
            f"{r['title']}{kind}  [{r['source']}{encoding}{copies}]  {_full(base_url, '/reports/' + r['report_id'])}"
        )


@main.command("reuse")
@click.argument("report_id")
@click.option("--json", "as_json", is_flag=True, help="Print the report's reuse as one JSON object.")
@_base_url_option
@_index_dir_option
@_engine_option
def reuse_cmd(report_id: str, as_json: bool, base_url: str, index_dir: Path | None, engine: str) -> None:
    """Where the text of REPORT_ID appears elsewhere: its originality, the reports it shares most with, and for
    each passage shared with another report, how many hold it and the earliest."""
    snap = _snapshot(index_dir, engine)
    try:
        found = report_reuse(snap, report_id)
    except UnknownReportError as e:
        raise click.BadParameter(
            f"no report with report_id {report_id!r} (see `fazhi reports`)", param_hint="REPORT_ID"
        ) from e
    if as_json:
        _print_json(found)
        return
    region = " / ".join(n for n in (found["region"][k] for k in ("province", "prefecture", "county")) if n)
    originality = "—" if found["originality"] is None else f"{found['originality']:.1%}"
    click.echo(f"{found['title']} · {region or '—'} · {found['year'] or '—'}")
    click.echo(f"originality (原创度): {originality} of its characters are found in no earlier report")
    click.echo("")
    shared = [p for p in found["passages"] if p["reuse"]["passages"]]
    click.echo(f"{plural(len(shared), 'passage')} of {len(found['passages'])} share text with other reports")
    for p in shared:
        click.echo(f"  第{p['number']}段 ({p['section']}) {_full(base_url, p['url'])}")
        click.echo(f"    {reuse_line(p['reuse'])}")
        if p["reuse"]["earliest"] and not p["reuse"]["earliest_is_self"]:
            click.echo(f"    earliest: {_full(base_url, p['reuse']['earliest']['url'])}")
    click.echo("")
    click.echo("shares most with:" if found["related"] else "shares text with no other report")
    for o in found["related"]:
        click.echo(
            f"  {o['shared_chars']:>6} 字  {o['title']} ({o['place'] or '—'} {o['year'] or '—'})  "
            f"{_full(base_url, o['compare_url'])}"
        )


_COVERAGE_MARKS = {"on_time": "✓", "late": "迟", "undated": "?", "missing": "✗", "no_division": "·"}


def _print_coverage(resp: CoverageResponse, base_url: str = DEFAULT_BASE_URL) -> None:
    where = resp.region.name if resp.region else "all provinces"
    click.echo(
        f"Coverage of {where} at {resp.level} level, {', '.join(map(str, resp.years))} ({resp.elapsed_ms:.0f} ms)"
    )
    _print_notes(resp.notes)
    click.echo("✓ on time (by 1 April of the next year)  迟 late  ? no known date  ✗ not found  · no such division")
    click.echo("")
    rows = []
    for row in resp.rows:
        name = row.name + (f" (was {', '.join(row.former_names)})" if row.former_names else "")
        marks = [_COVERAGE_MARKS[row.cells[y].status] + (" " + (row.cells[y].publish_date or "")).rstrip()
                 for y in resp.years]  # fmt: skip
        rate = f"{row.found}/{row.expected}"
        rows.append([row.code, name, row.parent or "—", *marks, rate])
    _table(["code", "name", "parent", *map(str, resp.years), "found"], rows, numeric=set())
    click.echo("")
    for year in resp.years:
        s = resp.summary[year]
        rate = f"{s['rate']:.0%}" if s["rate"] is not None else "—"
        click.echo(
            f"{year} (due {deadline(year)}): {s['found']} of {s['expected']} found ({rate}): {s['on_time']} on time, "
            f"{s['late']} late, {s['undated']} undated, {s['missing']} missing"
        )
    for row in resp.rows:
        for year in resp.years:
            for rid in row.cells[year].report_ids:
                click.echo(f"  {row.name} {year}: {_full(base_url, '/reports/' + rid)}")
    if resp.other_issuers:
        click.echo(f"\nNot counted: {plural(len(resp.other_issuers), 'report')} of departments and townships")
        for r in resp.other_issuers:
            click.echo(f"  {r['year']}  {r['issuer_level']}  {r['issuer'] or '—'}  {r['title']}  {r['report_id']}")


@main.command("coverage")
@click.option("--year", multiple=True, help="Report year or range: 2023, 2021-2023 (repeatable; default: the index's).")
@click.option("--region", default="", help="A province or prefecture (山西, 长治市): its governments below it.")
@click.option(
    "--level", type=click.Choice(COVERAGE_LEVELS), default=None, help="Governments of this level (default: one below)."
)
@_output_options("Print the /api/coverage JSON object.", ("csv", "xlsx", "jsonl"), "Write a file: csv, xlsx or jsonl.")
@_base_url_option
@_index_dir_option
@_engine_option
def coverage_cmd(year, region, level, as_json, fmt, output, base_url, index_dir, engine) -> None:
    """Which governments published their report for which years, on time or late (deadline: 1 April of the next
    year), against the official divisions of each year."""
    _check_output(fmt, output)
    try:
        req = parse_coverage_request(year, region, level or "")
        resp = coverage(_snapshot(index_dir, engine), req)
    except SearchError as e:
        raise _bad(e) from None
    if fmt:
        _write_export(coverage_export(resp, base_url), fmt, output)
    elif as_json:
        _print_json(resp.to_dict())
    else:
        _print_coverage(resp, base_url)


def serve_base_url(host: str, port: int) -> str:
    """The site's address when ``FAZHI_BASE_URL`` is unset: where it listens; on every interface, this machine's name.

    >>> serve_base_url("127.0.0.1", 8000)
    'http://127.0.0.1:8000'
    """
    if host in ("", "0.0.0.0", "::", "[::]"):
        host = socket.getfqdn()
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}" + ("" if port == 80 else f":{port}")


@main.command("serve")
@_index_dir_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--workers", type=int, default=2, show_default=True)
@_engine_option
def serve_cmd(index_dir: Path | None, host: str, port: int, workers: int, engine: str) -> None:
    """Serve the site and the JSON API with gunicorn (running web:create_app())."""
    from web import create_app

    target = settings.index_dir(index_dir)
    if not open_engine(target, engine).exists():
        other = built_with(target)
        if other and other != engine:
            raise click.ClickException(str(OtherEngineIndexError(target, engine, other)))
        raise click.ClickException(str(no_index(target)))
    os.environ[settings.PREFIX + "INDEX_DIR"] = str(target.resolve())
    os.environ[settings.PREFIX + "ENGINE"] = engine
    if not settings.get("BASE_URL").strip():
        # Links and citations are built from this address, never from a request's Host: header.
        os.environ[settings.PREFIX + "BASE_URL"] = serve_base_url(host, port)
    click.echo(f"Links and citations point to {settings.get('BASE_URL').rstrip('/')}/", err=True)
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or shutil.which("gunicorn")
    if gunicorn is None:
        raise click.ClickException("gunicorn is not installed (pip install gunicorn)")
    args = [gunicorn, "-c", "python:web.gunicorn_conf", "--bind", f"{host}:{port}", "--workers", str(workers)]
    args += ["--access-logfile", "-"]
    # gunicorn runs in a fresh process (exec), so that its gevent workers patch the standard library before
    # anything else is imported; it loads the app in each worker from this spec, named after the factory
    # itself, so that renaming the factory breaks here rather than in every worker.
    args.append(f"{create_app.__module__}:{create_app.__name__}()")
    # gunicorn says "Serving … on http://HOST:PORT/" once the port is bound (web.gunicorn_conf.when_ready).
    os.execv(gunicorn, args)


@main.command("bench")
@click.option(
    "--reports", "n_reports", type=int, default=1000, show_default=True, help="Synthetic reports to generate."
)
@click.option("--corpus", type=click.Path(path_type=Path), default=None, help="Sample reports to draw sentences from.")
@click.option("--repeat", type=int, default=20, show_default=True, help="Runs of each query.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--http", "http_seconds", type=int, default=0, help="Also serve with gunicorn and load with wrk (s).")
@click.option(
    "--generator",
    type=click.Choice(["mixed", "shuffled"]),
    default="mixed",
    show_default=True,
    help="How reports are drawn from the samples: mixed (a quarter of the sentences verbatim, the rest written "
    "from their words) or shuffled (every sentence verbatim, as benchmarks before session 7 were run).",
)
@click.option("--json", "as_json", is_flag=True, help="End with one JSON object of the figures.")
@_engine_option
def bench_cmd(
    n_reports: int,
    corpus: Path | None,
    repeat: int,
    seed: int,
    http_seconds: int,
    generator: str,
    as_json: bool,
    engine: str,
) -> None:
    """Benchmark indexing and queries on N synthetic reports against a plain substring scan."""
    from fazhi.bench import DEFAULT_CORPUS, run_bench

    result = run_bench(
        n_reports,
        corpus or DEFAULT_CORPUS,
        engine=engine,
        repeat=repeat,
        seed=seed,
        http_seconds=http_seconds,
        generator=generator,
        echo=click.echo,
    )
    if as_json:
        _print_json(result)


@main.group("cluster")
def cluster_group() -> None:
    """Start or stop a local Sphinx/Manticore cluster for the sphinx engine (searchd on loopback)."""


@cluster_group.command("up")
@click.option("--dir", "folder", type=click.Path(path_type=Path), required=True, help="Folder for configs and data.")
@click.option("--nodes", type=click.IntRange(1, 16), default=2, show_default=True, help="searchd processes (shards).")
def cluster_up(folder: Path, nodes: int) -> None:
    """Start NODES searchd processes on free loopback ports; print the FAZHI_SPHINX_HOSTS to export."""
    try:
        started = start_cluster(folder, nodes)
    except (FileNotFoundError, RuntimeError) as e:
        raise click.ClickException(str(e)) from None
    for node in started:
        click.echo(f"node {node.number}: SphinxQL {node.address}, agents on port {node.api_port}", err=True)
    click.echo(f"export FAZHI_SPHINX_HOSTS={hosts_setting(started)}")


@cluster_group.command("down")
@click.option("--dir", "folder", type=click.Path(path_type=Path), required=True, help="Folder of `cluster up`.")
def cluster_down(folder: Path) -> None:
    """Stop the searchd processes started in the folder (their data stays there)."""
    stopped = stop_cluster(folder)
    if not stopped:
        raise click.ClickException(f"no cluster in {folder}")
    click.echo(f"stopped {plural(len(stopped), 'node')}")
