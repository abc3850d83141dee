"""The benchmark's synthetic reports, and reading the load generator's report (the benchmark itself is a
command, not a test)."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fazhi.bench import synthetic_reports, wrk_figures


def _copied_share(texts: list[str], samples: str) -> float:
    """The share of 20-character windows (every 29th, within a line) found verbatim in the samples."""
    windows = [line[i : i + 20] for t in texts for line in t.splitlines() for i in range(0, len(line) - 20, 29)]
    return sum(w in samples for w in windows) / len(windows)


def test_mixed_reports_are_mostly_their_own_text_shuffled_ones_are_the_samples_again(corpus_dir):
    samples = "\n".join(p.read_text(encoding="utf-8") for p in sorted(Path(corpus_dir).glob("*.txt")))
    mixed = synthetic_reports(Path(corpus_dir), 30, seed=2)
    shuffled = synthetic_reports(Path(corpus_dir), 30, seed=2, generator="shuffled")
    assert _copied_share(mixed, samples) < 0.5 < 0.8 < _copied_share(shuffled, samples)
    assert synthetic_reports(Path(corpus_dir), 30, seed=2) == mixed  # the seed decides
    for text in mixed:  # the outline and the metadata a report states stay
        title, *lines = text.splitlines()
        assert title.endswith("年法治政府建设年度报告")
        assert any(re.match(r"\s*(?:一、|1、|[(（]一[)）])", line) for line in lines)


def test_an_unknown_generator_is_named(corpus_dir):
    with pytest.raises(ValueError, match="generator must be one of mixed, shuffled, not 'x'"):
        synthetic_reports(Path(corpus_dir), 1, generator="x")


WRK_REPORT = """Running 1m test @ http://127.0.0.1:40211
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    56.25ms   10.43ms 120.00ms   68.99%
    Req/Sec    72.12     10.43   100.00     71.00%
  Latency Distribution
     50%   56.25ms
     75%   62.10ms
     90%   70.00ms
     99%   87.46ms
  8614 requests in 1.00m, 2.08GB read
  Non-2xx or 3xx responses: 2
Requests/sec:    143.33
Transfer/sec:     35.52MB
"""


def test_wrk_figures_read_the_latency_distribution_not_a_statistic_ending_in_99_percent():
    assert wrk_figures(WRK_REPORT) == {"requests": 8614, "rps": 143.33, "p50_ms": 56.25, "p99_ms": 87.46, "errors": 2}
    socket_errors = "  Socket errors: connect 0, read 3, write 0, timeout 1\n"
    socket = WRK_REPORT.replace("  Non-2xx or 3xx responses: 2\n", socket_errors)
    assert wrk_figures(socket)["errors"] == 4
    assert wrk_figures(WRK_REPORT.replace("87.46ms", "1.20s"))["p99_ms"] == 1200.0


def test_the_distinct_http_mix_is_hundreds_of_different_searches_with_filters():
    from urllib.parse import parse_qs, urlsplit

    from fazhi.bench import DISTINCT_URLS, distinct_paths, repeated_paths

    texts = [
        "坚持依法行政，推进法治政府建设。深化行政执法体制改革，规范行政复议和行政诉讼衔接。"
        "践行新时代枫桥经验，化解矛盾纠纷。加强行政执法监督，推行首违不罚清单。",
        "全面推进政务公开，完善重大行政决策程序。加强法治宣传教育，提升领导干部法治思维。",
    ]
    paths = distinct_paths(texts, [2022, 2023], ["山西省", "宁夏回族自治区"], seed=3)
    assert len(paths) == DISTINCT_URLS == len(set(paths)) >= 300
    params = [parse_qs(urlsplit(p).query) for p in paths]
    assert all(urlsplit(p).path == "/api/search" and q["q"][0].strip() for p, q in zip(paths, params, strict=True))
    filtered = [q for q in params if {"year", "region", "section"} & q.keys()]
    assert 0.3 * len(paths) < len(filtered) < 0.7 * len(paths)
    assert {q["region"][0] for q in params if "region" in q} <= {"山西省", "宁夏回族自治区"}
    assert any(" OR " in q["q"][0] for q in params) and any(" -" in q["q"][0] for q in params)
    assert distinct_paths(texts, [2022], [], seed=3)[:5] == distinct_paths(texts, [2022], [], seed=3)[:5]
    assert len(repeated_paths([2022, 2023])) == 15


def test_worker_memory_reads_private_pages_from_smaps_rollup():
    import numpy as np

    from fazhi.bench import smaps_memory_mb

    before = smaps_memory_mb()
    held = np.ones(64 * 2**20, dtype=np.uint8)  # 64 MB of this process's own pages
    after = smaps_memory_mb()
    assert after["uss"] - before["uss"] > 60 and after["anonymous"] - before["anonymous"] > 60
    assert after["rss"] >= after["uss"] > 0
    del held


def test_workers_memory_reads_each_child_process():
    import os
    import subprocess
    import sys

    from fazhi.bench import workers_memory

    code = "import numpy, time; held = numpy.ones(64 * 2**20, dtype=numpy.uint8); print(1, flush=True); time.sleep(60)"
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "1"  # its 64 MB are held
        found = workers_memory(os.getpid())
        mine = [w for w in found if w["anonymous"] > 60]
        assert len(mine) == 1
        assert mine[0]["uss"] > 60 and mine[0]["peak_mb"] >= mine[0]["rss"] >= mine[0]["uss"]
        assert set(mine[0]) == {"peak_mb", "uss", "anonymous", "rss"}
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    assert workers_memory(child.pid) == []  # no children of its own


def test_ripgrep_is_given_every_term_of_a_query_of_the_mix():
    from fazhi.bench import QUERY_MIX, rg_patterns

    assert rg_patterns(QUERY_MIX["and_3"]) == ["行政执法", "监督", "规范"]
    assert rg_patterns(QUERY_MIX["exclusion"]) == ["行政复议", "诉讼"]
    assert rg_patterns(QUERY_MIX["or"]) == ["枫桥经验", "首违不罚"]
    assert rg_patterns("") == []


def test_tree_memory_counts_the_processes_below_this_one():
    from fazhi.bench import TreeMemory, tree_pss_mb

    script = "import time; b = b'x' * 200_000_000; print(1, flush=True); time.sleep(30)"
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE) as child:
        try:
            assert child.stdout.readline().strip() == b"1"  # its 200 MB are resident
            with TreeMemory(interval=0.05) as tree:
                time.sleep(0.2)
            assert tree_pss_mb(child.pid) > 190  # its own
            assert tree_pss_mb(os.getpid()) > tree_pss_mb(child.pid) and tree.peak_mb > tree_pss_mb(child.pid)
        finally:
            child.kill()
