"""Time ``fazhi bench``'s query mix alone over an existing index (no generating, building or serving).

Usage: python scripts/query_mix.py INDEX_DIR [REPEAT] [ENGINE]

Each query type of the mix (with and without a year filter, and the browse page) runs REPEAT + 1 times
(default 10) through ``search()`` with the response cache off and the kept matches dropped before each run,
as the bench's serving phase times them; prints the hits, the first (cold) run and p50/p95 of the others in
ms. Run two commits' copies of this script on one index, one after the other, to compare code.
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fazhi.bench import _cases, _percentile, _years  # noqa: E402
from search import SearchRequest, forget_matches, open_engine, search  # noqa: E402


def main(index_dir: str, repeat: int = 10, engine: str = "tantivy") -> None:
    snap = open_engine(Path(index_dir), engine).snapshot()
    for name, case in _cases(_years(snap)).items():
        request = SearchRequest(query=case["q"], years=(case["year"],) if "year" in case else ())
        times = []
        for _ in range(repeat + 1):
            forget_matches(snap)
            t = time.perf_counter()
            total = search(snap, request, use_cache=False).total
            times.append((time.perf_counter() - t) * 1000)
        warm = times[1:]
        print(
            f"{name:24} {total:9} cold {times[0]:7.1f} p50 {statistics.median(warm):7.1f} "
            f"p95 {_percentile(warm, 0.95):7.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1], *(int(a) if a.isdigit() else a for a in sys.argv[2:]))
