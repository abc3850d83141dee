"""Time the pages and API answers a reader opens, on an index of any size: each URL several times through the
Flask application (response cache off), median and fastest, with the answer's size.

Usage: python scripts/page_times.py INDEX_DIR [--engine tantivy] [--repeat 5] [--query 法治]

The reports are picked from the index (one an eighth of the way in, one half way), so the same index gives
the same URLs. What a page costs beyond its search shows here: the facets counted in reports (the HTML search
page), a report's passages with their text reuse and the reports sharing most with it, two reports compared,
trends. The figures of BENCHMARKS.md "Session 17" come from it.
"""

import argparse
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from search import open_engine  # noqa: E402
from web import create_app  # noqa: E402


def urls(index_dir: Path, engine: str, query: str) -> list[str]:
    """The URLs timed: searches (HTML in its three views, and the API), two reports, their comparison, trends."""
    snap = open_engine(index_dir, engine).snapshot()
    n = len(snap.report_list)
    a, b = snap.report_list[n // 8].report_id, snap.report_list[n // 2].report_id
    q = urllib.parse.quote(query)
    return [
        f"/search?q={q}",
        f"/search?q={q}&view=reports",
        f"/search?q={q}&view=kwic",
        f"/search?q={q}&year={snap.report_list[n // 8].year or ''}",
        f"/api/search?q={q}",
        f"/api/search?q={q}&facet_count=reports",
        f"/reports/{a}?q={q}",
        f"/reports/{b}",
        f"/api/reports/{a}",
        f"/compare?a={a}&b={b}",
        f"/trends?q={q}",
        f"/api/trends?q={q}&split=province",
        "/coverage",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index_dir", type=Path)
    parser.add_argument("--engine", default="tantivy")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--query", default="法治")
    args = parser.parse_args()
    app = create_app({"INDEX_DIR": str(args.index_dir), "ENGINE": args.engine, "CACHE_SIZE": 0})
    client = app.test_client()
    print(f"{'url':<60} {'status':>6} {'KB':>8} {'median ms':>10} {'min ms':>8}")
    for url in urls(args.index_dir, args.engine, args.query):
        times, size, status = [], 0, 0
        for _ in range(args.repeat + 1):  # the first run warms what the page reads
            start = time.perf_counter()
            response = client.get(url)
            size, status = len(response.data), response.status_code
            times.append((time.perf_counter() - start) * 1000)
        times = times[1:]
        shown = urllib.parse.unquote(url)
        print(f"{shown:<60} {status:>6} {size / 1024:>8.0f} {statistics.median(times):>10.1f} {min(times):>8.1f}")


if __name__ == "__main__":
    main()
