"""Reading the load generator's report (the benchmark itself is a command, not a test)."""

from indexer.bench import wrk_figures

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
