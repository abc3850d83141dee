"""Time ``fazhi bench``'s query mix alone over an existing index (no generating, building or serving).

Usage: python scripts/query_mix.py INDEX_DIR [REPEAT] [ENGINE]

Each query type of the mix (with and without a year filter, and the browse page) runs REPEAT + 1 times
(default 10) through ``search()`` with the response cache off and the kept matches dropped before each run,
as the bench's serving phase times them; prints the hits, the first (cold) run and p50/p95 of the others in
ms. Run two commits' copies of this script on one index, one after the other, to compare code.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fazhi.bench import _years, time_query_mix  # noqa: E402
from search import open_engine  # noqa: E402


def main(index_dir: str, repeat: int = 10, engine: str = "tantivy") -> None:
    snap = open_engine(Path(index_dir), engine).snapshot()
    queries, _ = time_query_mix(snap, _years(snap), repeat)
    for name, q in queries.items():
        timing = f"cold {q['cold_ms']:7.1f} p50 {q['p50_ms']:7.1f} p95 {q['p95_ms']:7.1f}"
        print(f"{name:24} {q['hits']:9} {timing}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], *(int(a) if a.isdigit() else a for a in sys.argv[2:]))
