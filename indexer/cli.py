"""The ``fazhi`` command: ``index``, ``search``, ``reports``, ``serve``, ``bench``.

A thin layer over the library: library errors become one clear line and a non-zero exit status.
Its commands and ``--json`` shapes are a contract: extend them, never rename or drop anything.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import sys
from pathlib import Path

import click

from search import settings
from search.core import SORTS, SearchError, search, validate
from search.engines import ENGINES, open_engine
from search.models import DOC_TYPES, REPORT_DOC_TYPE, SECTIONS, SearchRequest, SearchResponse

INDEX_DIR_HELP = "Index folder (default: $FAZHI_INDEX_DIR, then index_data/)."


def _engine_option(f):
    return click.option(
        "--engine",
        type=click.Choice(ENGINES),
        default=lambda: settings.get("ENGINE"),
        show_default="$FAZHI_ENGINE or whoosh",
        help="Search engine behind the index.",
    )(f)


def _index_dir_option(f):
    return click.option("--index-dir", type=click.Path(file_okay=False, path_type=Path), help=INDEX_DIR_HELP)(f)


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
    with a text layer. Files over 20 MiB are not read.

    \b
    A folder indexed before: files whose size and modification time are
    unchanged are not read; changed files are read again; reports whose files
    are gone are removed. An unchanged folder leaves the index untouched. The
    same report saved twice is indexed once. Searches see the old index until
    the new one is complete, so the run can be stopped at any moment.

    \b
    Exit status: 0 when every report file was indexed; 1 when some could not
    be read (each is listed with why; the rest are indexed); 2 when nothing
    was indexed (the folder is missing or holds no readable report, or another
    run is writing the index): the index is left as it was.
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
        click.echo(f"Error: {e}", err=True)
        sys.exit(2)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    mb = summary.bytes_read / 1e6
    click.echo(
        f"Indexed {summary.reports} reports, {summary.passages} passages in {summary.seconds:.1f} s "
        f"({summary.files_parsed} files read, {mb:.2f} MB, {mb / max(summary.seconds, 1e-9):.2f} MB/s) into {target}"
    )
    changes = (
        f"{summary.added} added, {summary.updated} updated, {summary.removed} removed, {summary.unchanged} unchanged"
    )
    if summary.rebuilt:
        click.echo(f"Rebuilt the index: {changes}")
    elif summary.committed:
        click.echo(f"Updated the index: {changes}")
    else:
        click.echo(f"Nothing changed: {changes}")
    for rel, first in summary.duplicates:
        click.echo(f"copy    {rel}: same report as {first} (indexed once)")
    for rel, doc_type in summary.look_alikes:
        click.echo(f"not a rule-of-law report: {rel} ({doc_type}; filter with --doc-type)")
    for rel, why in summary.skipped:
        click.echo(f"skipped {rel}: {why}")
    for rel, why in summary.failed:
        click.echo(f"FAILED  {rel}: {why}", err=True)
    if summary.failed:
        sys.exit(1)


def _snapshot(index_dir: Path | None, engine: str):
    try:
        return open_engine(settings.index_dir(index_dir), engine).snapshot()
    except FileNotFoundError as e:
        raise click.ClickException(str(e)) from None


def _terminal_snippet(snippet_html: str, color: bool) -> str:
    """A snippet's HTML as terminal text: marks shown in reverse video (or 【】 without colour)."""

    def repl(m: re.Match) -> str:
        inner = html.unescape(m.group(1))
        return click.style(inner, reverse=True, bold=True) if color else f"【{inner}】"

    return html.unescape(re.sub(r"<mark>(.*?)</mark>", lambda m: repl(m).replace("&", "&amp;"), snippet_html))


def _print_response(resp: SearchResponse, color: bool) -> None:
    req = resp.request
    shown = (
        f"{(req.page - 1) * req.per_page + 1}–{(req.page - 1) * req.per_page + len(resp.hits)}" if resp.hits else "0"
    )
    click.echo(f"{resp.total} passages match {req.query!r} (showing {shown}, {resp.elapsed_ms:.0f} ms)")
    for n, hit in enumerate(resp.hits, start=(req.page - 1) * req.per_page + 1):
        click.echo("")
        meta = " · ".join(str(x) for x in (hit.title, hit.region.label(), hit.year, hit.section) if x)
        click.echo(click.style(f"{n}. {meta}", bold=True) if color else f"{n}. {meta}")
        if hit.heading:
            click.echo(f"   {hit.heading}")
        click.echo(f"   {_terminal_snippet(hit.snippet, color)}")
        others = f"; 该报告另有 {hit.report_matches - 1} 处" if req.group and hit.report_matches > 1 else ""
        click.echo(f"   {hit.url}  (第{hit.number}段, {hit.matches} 处{others})")
    for name in ("year", "section", "region", "doc_type"):
        values = resp.facets.get(name, [])[:12]
        if values:
            click.echo("")
            click.echo(f"{name}: " + "  ".join(f"{v.value} ({v.count})" for v in values))


@main.command("search")
@click.argument("query", default="")
@click.option("--region", multiple=True, help="Region name at any level (repeatable; values OR together).")
@click.option("--year", type=int, multiple=True, help="Report year (repeatable).")
@click.option("--section", type=click.Choice(SECTIONS), multiple=True, help="Section (repeatable).")
@click.option(
    "--doc-type",
    type=click.Choice(DOC_TYPES),
    multiple=True,
    help="Document type (repeatable), e.g. 法治政府建设年度报告 to leave out look-alikes.",
)
@click.option("--page", type=int, default=1, show_default=True)
@click.option("--per-page", type=int, default=lambda: settings.get_int("PER_PAGE"), show_default="20")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--group", is_flag=True, help="One hit per report (its best passage).")
@click.option("--json", "as_json", is_flag=True, help="Print the /api/search JSON object.")
@_index_dir_option
@_engine_option
def search_cmd(query, region, year, section, doc_type, page, per_page, sort, group, as_json, index_dir, engine) -> None:
    """Find passages: terms must all occur; "quoted phrase"; A OR B; -term excludes."""
    req = SearchRequest(
        query=query,
        regions=region,
        years=year,
        sections=section,
        doc_types=doc_type,
        page=page,
        per_page=per_page,
        sort=sort,
        group=group,
    )
    try:
        validate(req, settings.get_int("MAX_PER_PAGE"), settings.get_int("MAX_QUERY_LENGTH"))
    except SearchError as e:
        hint = "QUERY" if e.param == "q" else f"--{e.param.replace('_', '-')}"
        raise click.BadParameter(str(e), param_hint=hint) from None
    resp = search(_snapshot(index_dir, engine), req)
    if as_json:
        _print_json(resp.to_dict())
    else:
        _print_response(resp, color=sys.stdout.isatty())


@main.command("reports")
@click.option("--json", "as_json", is_flag=True, help="Print the /api/reports JSON object.")
@_index_dir_option
@_engine_option
def reports_cmd(as_json: bool, index_dir: Path | None, engine: str) -> None:
    """List the indexed reports."""
    snap = _snapshot(index_dir, engine)
    rows = [r.summary_dict() for r in snap.reports.values()]
    if as_json:
        _print_json({"reports": rows})
        return
    click.echo(f"{len(rows)} reports, {len(snap.passages)} passages")
    for r in rows:
        region = " / ".join(v or "—" for v in r["region"].values())
        kind = "" if r["doc_type"] == REPORT_DOC_TYPE else f"  ({r['doc_type']})"
        copies = f" +{len(r['sources']) - 1} copies" if len(r["sources"]) > 1 else ""
        encoding = f", {r['encoding']}" if r["encoding"] else ""
        click.echo(
            f"{r['report_id']}  {r['year'] or '—'}  {region}  {r['passages']:>3} passages  "
            f"{r['title']}{kind}  [{r['source']}{encoding}{copies}]"
        )


@main.command("serve")
@_index_dir_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--workers", type=int, default=2, show_default=True)
@_engine_option
def serve_cmd(index_dir: Path | None, host: str, port: int, workers: int, engine: str) -> None:
    """Serve the site and the JSON API with gunicorn (running web:create_app())."""
    target = settings.index_dir(index_dir)
    if not open_engine(target, engine).exists():
        raise click.ClickException(f"no index in {target}: build one with `fazhi index CORPUS_DIR`")
    os.environ[settings.PREFIX + "INDEX_DIR"] = str(target.resolve())
    os.environ[settings.PREFIX + "ENGINE"] = engine
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or shutil.which("gunicorn")
    if gunicorn is None:
        raise click.ClickException("gunicorn is not installed (pip install gunicorn)")
    args = [gunicorn, "-c", "python:web.gunicorn_conf", "--bind", f"{host}:{port}", "--workers", str(workers)]
    args += ["--access-logfile", "-"]
    args.append("web:create_app()")
    click.echo(f"Serving {target} on http://{host}:{port}/ with {workers} workers", err=True)
    os.execv(gunicorn, args)


@main.command("bench")
@click.option(
    "--reports", "n_reports", type=int, default=1000, show_default=True, help="Synthetic reports to generate."
)
@click.option("--corpus", type=click.Path(path_type=Path), default=None, help="Sample reports to draw sentences from.")
@click.option("--repeat", type=int, default=20, show_default=True, help="Runs of each query.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--http", "http_seconds", type=int, default=0, help="Also serve with gunicorn and load with wrk (s).")
@click.option("--json", "as_json", is_flag=True, help="End with one JSON object of the figures.")
@_engine_option
def bench_cmd(
    n_reports: int, corpus: Path | None, repeat: int, seed: int, http_seconds: int, as_json: bool, engine: str
) -> None:
    """Benchmark indexing and queries on N synthetic reports against a plain substring scan."""
    from indexer.bench import DEFAULT_CORPUS, run_bench

    result = run_bench(
        n_reports,
        corpus or DEFAULT_CORPUS,
        engine=engine,
        repeat=repeat,
        seed=seed,
        http_seconds=http_seconds,
        echo=click.echo,
    )
    if as_json:
        _print_json(result)
