"""Benchmark of text reuse (issue #14): finding it for N generated reports, adding 100 more, and serving it.

    /work/main/.venv/bin/python scripts/bench_reuse.py --reports 10000

The reports come from :mod:`fazhi.reuse_corpus` (original passages with planted reuse). Each phase runs in a
fresh process, so its peak memory (``ru_maxrss``) is its own: the cold build (``write_reuse`` into a folder, as an
engine's writer calls it, the reports and their folded text already in memory as they are there), then adding
100 reports (carrying the first folder over), then serving (mapping the folder and answering ``passage``,
``related_reports`` and ``between`` for random passages and reports). Planted pairs are checked on the way:
recall of the whole and span copies, and precision over the links of a sample of passages.
"""

from __future__ import annotations

import argparse
import multiprocessing
import pickle
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fazhi.reuse_corpus import generated_reports  # noqa: E402
from search import fold  # noqa: E402
from search.reuse import ReuseIndex, load_reuse, reuse_folder  # noqa: E402
from search.reuse_build import Generation, write_reuse  # noqa: E402

ADDED = 100


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _build(path: str, folder: str, count: int) -> dict:
    with open(path, "rb") as f:
        reports = pickle.load(f)[:count]
    folded = {p.passage_id: fold(p.text) for r in reports for p in r.passages}
    before = _peak_mb()
    start = time.perf_counter()
    write_reuse(Path(folder), Generation.of_reports(reports, folded))
    seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 2), "peak_mb": round(_peak_mb(), 1), "peak_mb_before": round(before, 1)}


def _serve(path: str, folder: str) -> dict:
    with open(path, "rb") as f:
        reports, planted = pickle.load(f)
    index = load_reuse(Path(folder))
    assert index is not None
    rng = random.Random(5)
    pids = [p.passage_id for r in reports for p in r.passages]
    timings: dict[str, list[float]] = {"passage": [], "passage_summary": [], "related_reports": [], "between": []}
    sample = rng.sample(pids, min(2000, len(pids)))
    found = set()
    for pid in sample:
        t = time.perf_counter()
        reuse = index.passage(pid)
        timings["passage"].append(time.perf_counter() - t)
        t = time.perf_counter()
        index.passage(pid, links=False)
        timings["passage_summary"].append(time.perf_counter() - t)
        found |= {frozenset((pid, link.passage_id)) for link in reuse.links}
    truth = planted.keys()
    sampled = set(sample)
    precision = len([p for p in found if p in truth]) / max(1, len(found))
    copies = [p for p in planted.pairs if p.kind in ("whole", "span")]
    hits = 0
    for p in copies:
        links = {link.passage_id: link for link in index.passage(p.copy).links}
        hits += p.source in links
    rids = [r.report_id for r in reports]
    for rid in rng.sample(rids, min(200, len(rids))):
        t = time.perf_counter()
        related = index.related_reports(rid)
        timings["related_reports"].append(time.perf_counter() - t)
        other = related[0][0] if related else rng.choice(rids)
        t = time.perf_counter()
        index.between(rid, other)
        timings["between"].append(time.perf_counter() - t)
    del sampled
    out = {
        name: {
            "p50_ms": round(statistics.median(v) * 1000, 2),
            "p95_ms": round(sorted(v)[int(0.95 * (len(v) - 1))] * 1000, 2),
            "max_ms": round(max(v) * 1000, 2),
        }
        for name, v in timings.items()
    }
    out["precision_sampled"] = round(precision, 4)
    out["recall_copies"] = round(hits / max(1, len(copies)), 4)
    out["shared_passages"] = int(ReuseIndex(index.a).shared_rows().sum())
    out["groups"] = len(index.a["group_rep"])
    out["group_members"] = len(index.a["member_row"])
    out["pair_links"] = len(index.a["link_other"]) // 2
    out["peak_mb"] = round(_peak_mb(), 1)
    return out


def _child(conn, fn, args) -> None:
    conn.send(fn(*args))
    conn.close()


def _in_process(fn, *args):
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(child, fn, args))
    proc.start()
    result = parent.recv()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    n = args.reports
    with tempfile.TemporaryDirectory(prefix="bench-reuse-") as tmp:
        start = time.perf_counter()
        reports, planted = generated_reports(n + ADDED, seed=args.seed)
        chars = sum(len(p.text) for r in reports[:n] for p in r.passages)
        passages = sum(len(r.passages) for r in reports[:n])
        print(
            f"generated {n} + {ADDED} reports ({passages} passages, {chars / 1e6:.1f} M characters, "
            f"{len(planted.pairs)} planted pairs) in {time.perf_counter() - start:.1f} s"
        )
        path = str(Path(tmp) / "reports.pickle")
        with open(path, "wb") as f:
            pickle.dump(reports, f)
        first = reuse_folder(Path(tmp), "1")
        cold = _in_process(_build, path, str(first), n)
        print(
            f"find reuse, {n} reports: {cold['seconds']} s, peak {cold['peak_mb']} MB "
            f"(of which {cold['peak_mb_before']} MB before: the reports and their folded text)",
            flush=True,
        )
        second = reuse_folder(Path(tmp), "2")
        added = _in_process(_build, path, str(second), n + ADDED)
        print(
            f"add {ADDED} reports: {added['seconds']} s, peak {added['peak_mb']} MB "
            f"(of which {added['peak_mb_before']} MB before)",
            flush=True,
        )
        with open(path, "wb") as f:
            pickle.dump((reports, planted), f)
        served = _in_process(_serve, path, str(second))
        size = sum(p.stat().st_size for p in second.iterdir()) / 1e6
        print(f"reuse folder: {size:.1f} MB")
        for key, value in served.items():
            print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
