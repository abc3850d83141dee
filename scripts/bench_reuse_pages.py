"""Benchmark of the pages that show text reuse (issue #14): /compare, /api/compare, a report page with each
passage's reuse, and searches with the reuse filter, on N generated reports with planted reuse.

    /work/main/.venv/bin/python scripts/bench_reuse_pages.py --reports 10000 --engine tantivy

The reports come from :mod:`fazhi.reuse_corpus`; they are indexed once into ``--index-dir`` (kept, so a second
run with the same folder only serves). Requests go through Flask's test client on a snapshot made ready as a
server makes it (the counting arrays mapped, the browse facets counted), so the figures are the app's own
time, without the network. Each URL is asked ``--repeat`` times after a first request (not counted) that
warms its caches; the compare pairs are the report pairs sharing most text (the heaviest pages).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fazhi.reuse_corpus import generated_reports  # noqa: E402
from search import ENGINES, index_writer, open_engine  # noqa: E402


def timed(client, url: str, repeat: int) -> list[float]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:300])
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        out.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return out


def summary(name: str, ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"{name:<34} p50 {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   max {ms[-1]:7.1f} ms  ({len(ms)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--engine", choices=ENGINES, default=ENGINES[0])
    parser.add_argument("--index-dir", type=Path, default=None, help="Kept between runs (default: under /tmp).")
    parser.add_argument("--pairs", type=int, default=20, help="Report pairs compared.")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    index_dir = args.index_dir or Path(f"/tmp/fazhi-bench-reuse-pages-{args.engine}-{args.reports}")

    if not index_dir.exists():
        start = time.perf_counter()
        reports, _ = generated_reports(args.reports, seed=args.seed)
        generated = time.perf_counter() - start
        index_writer(args.engine)(index_dir, reports)
        passages = sum(len(r.passages) for r in reports)
        print(f"generated {args.reports} reports ({passages} passages) in {generated:.0f} s, "
              f"indexed in {time.perf_counter() - start - generated:.0f} s into {index_dir}")  # fmt: skip

    from web import create_app

    app = create_app({"INDEX_DIR": str(index_dir), "ENGINE": args.engine, "CACHE_SIZE": 0})
    client = app.test_client()
    start = time.perf_counter()
    snap = open_engine(index_dir, args.engine).snapshot()
    print(f"{len(snap.reports)} reports, {snap.passage_count} passages, "
          f"{int(snap.reuse.shared_rows().sum())} shared; opened in {time.perf_counter() - start:.1f} s")  # fmt: skip
    client.get("/search")  # the app's snapshot, made ready

    rng = random.Random(args.seed)
    ids = list(snap.reports)
    pairs = []
    for rid in rng.sample(ids, min(len(ids), args.pairs * 5)):
        related = snap.reuse.related_reports(rid, 1)
        if related:
            pairs.append((related[0][1], rid, related[0][0]))
    pairs.sort(reverse=True)
    most = pairs[0][0] if pairs else 0
    pairs = [(a, b) for _, a, b in pairs[: args.pairs]]
    print(f"compare: the {len(pairs)} sampled report pairs sharing most (up to {most} characters)")

    results = {
        "/compare": [t for a, b in pairs for t in timed(client, f"/compare?a={a}&b={b}", args.repeat)],
        "/api/compare": [t for a, b in pairs for t in timed(client, f"/api/compare?a={a}&b={b}", args.repeat)],
        "/reports/<id>": [t for a, _ in pairs for t in timed(client, f"/reports/{a}", args.repeat)],
        "/api/reports/<id>": [t for a, _ in pairs for t in timed(client, f"/api/reports/{a}", args.repeat)],
    }
    for q in ("", "法治", "执法", "矛盾纠纷"):
        for status in ("", "shared", "original"):
            url = f"/api/search?q={q}" + (f"&reuse={status}" if status else "")
            results.setdefault(f"/api/search reuse={status or '-'}", []).extend(timed(client, url, args.repeat))
    results["/api/reports?sort=originality"] = timed(client, "/api/reports?sort=originality", args.repeat)
    for name, ms in results.items():
        print(summary(name, ms))


if __name__ == "__main__":
    main()
