"""Searches always see a complete index: while `fazhi index` runs, after it is killed, and across commits."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
from pathlib import Path

from indexer.build import index_corpus
from search.core import search
from search.engines import index_writer, open_engine
from search.models import SearchRequest
from tests.conftest import SMALL_REPORTS

ROOT = Path(__file__).resolve().parents[1]
MARKERS = ("甲版", "乙版", "丙版", "丁版", "戊版", "己版", "庚版", "辛版")
N_REPORTS = 300


def write_corpus(corpus: Path, marker: str, n: int = N_REPORTS) -> None:
    corpus.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (corpus / f"r{i:03d}.txt").write_text(
            f"测试县2024年法治政府建设年度报告\n2024年，我县坚持依法行政，第{i}号报告{marker}。\n"
            f"一、主要举措和成效\n推进矛盾纠纷化解，{marker}落地见效，践行枫桥经验。\n"
            "二、存在的问题\n基层法治力量较为薄弱。\n",
            encoding="utf-8",
        )


def versions_in(index_dir: Path) -> dict[str, int]:
    """How many reports hold each marker, read through a fresh engine as a new server process would."""
    snap = open_engine(index_dir).snapshot()
    counts = {m: search(snap, SearchRequest(query=m, per_page=1, group=True)).reports_total for m in MARKERS}
    return {m: n for m, n in counts.items() if n}


def start_indexer(corpus: Path, index_dir: Path) -> subprocess.Popen:
    code = f"from indexer.build import index_corpus; index_corpus({str(corpus)!r}, {str(index_dir)!r})"
    with open(index_dir.parent / "stderr.txt", "wb") as err:
        return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)


def children_of(pid: int) -> list[int]:
    """The processes ``pid`` started, and theirs (parsing workers, Whoosh's writer tasks)."""
    from fazhi.bench import child_pids

    found, todo = [], [pid]
    while todo:
        children = child_pids(todo.pop())
        found += children
        todo += children
    return found


def still_running(pids: list[int], within: float = 3.0) -> list[int]:
    deadline = time.monotonic() + within
    while True:
        alive = [p for p in pids if Path(f"/proc/{p}").exists() and "State:\tZ" not in _status(p)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


def _status(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "State:\tZ"


def stderr_of(index_dir: Path) -> str:
    return (index_dir.parent / "stderr.txt").read_text(encoding="utf-8", errors="replace")


def test_sigkill_at_any_moment_leaves_the_previous_index_searchable(tmp_path):
    corpus, index_dir = tmp_path / "corpus", tmp_path / "idx"
    write_corpus(corpus, MARKERS[0])
    assert start_indexer(corpus, index_dir).wait(60) == 0, stderr_of(index_dir)
    # A run that rewrites every report, timed, so that kills land anywhere in it: reading, writing, committing.
    write_corpus(corpus, MARKERS[1])
    t0 = time.perf_counter()
    assert start_indexer(corpus, index_dir).wait(60) == 0, stderr_of(index_dir)
    full_run = time.perf_counter() - t0
    current = MARKERS[1]
    assert versions_in(index_dir) == {current: N_REPORTS}

    rnd = random.Random(4)
    for marker in MARKERS[2:8]:
        write_corpus(corpus, marker)
        proc = start_indexer(corpus, index_dir)
        time.sleep(rnd.uniform(0.3, 1.05) * full_run)
        workers = children_of(proc.pid)
        proc.kill()  # SIGKILL: no clean-up of any kind
        proc.wait(10)
        assert not still_running(workers), "the killed indexer left worker processes behind"
        found = versions_in(index_dir)
        assert found in ({current: N_REPORTS}, {marker: N_REPORTS}), (marker, found)
        current = next(iter(found))
    # The next run completes, whatever was left behind (lock, temporary files, uncommitted segments),
    # and clears the leftovers.
    assert start_indexer(corpus, index_dir).wait(60) == 0, stderr_of(index_dir)
    assert versions_in(index_dir) == {MARKERS[7]: N_REPORTS}
    assert {p.suffix for p in index_dir.iterdir()} <= {".seg", ".toc", ""}, sorted(index_dir.iterdir())


def test_searches_never_fail_while_another_process_reindexes(tmp_path):
    corpus, index_dir = tmp_path / "corpus", tmp_path / "idx"
    write_corpus(corpus, MARKERS[0], n=150)
    index_corpus(corpus, index_dir)
    engine = open_engine(index_dir)  # one engine, as a running server holds it
    errors: list[BaseException] = []
    seen: set[tuple] = set()
    stop = threading.Event()

    def keep_searching() -> None:
        while not stop.is_set():
            try:
                snap = engine.snapshot()
                resp = search(snap, SearchRequest(query="枫桥经验 落地见效", per_page=5, group=True))
                seen.add((resp.reports_total, tuple(sorted(versions_of(snap)))))
            except BaseException as e:  # noqa: BLE001 - any failure is what this test looks for
                errors.append(e)
                return

    def versions_of(snap) -> set[str]:
        return {m for m in MARKERS[:3] if search(snap, SearchRequest(query=m, per_page=1)).total}

    thread = threading.Thread(target=keep_searching)
    thread.start()
    try:
        for marker, extra in ((MARKERS[1], ()), (MARKERS[2], ("--rebuild",))):
            write_corpus(corpus, marker, n=150)
            code = (
                "import sys; from fazhi.cli import main; "
                f"main([*'index {corpus} --index-dir {index_dir}'.split(), *{list(extra)!r}])"
            )
            proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=120)
            assert proc.returncode == 0, proc.stderr.decode()
    finally:
        stop.set()
        thread.join(30)
    assert not errors, errors
    assert {versions for _, versions in seen} <= {(MARKERS[0],), (MARKERS[1],), (MARKERS[2],)}
    assert {total for total, _ in seen} == {150}
    assert engine.snapshot().generation > 1  # the server picked up the new index without a restart


def test_a_snapshot_opened_before_a_commit_still_searches_after_it(tmp_path):
    index_dir = tmp_path / "idx"
    write = index_writer("whoosh")
    write(index_dir, SMALL_REPORTS)
    old = open_engine(index_dir).snapshot()
    write(index_dir, SMALL_REPORTS[:1], replace_all=True)  # deletes every segment the old snapshot reads
    write(index_dir, SMALL_REPORTS[1:], replace_all=False)
    # Postings not read before the commit are read now, from the unlinked (still open) segment files.
    assert search(old, SearchRequest(query="行政复议")).total == 2
    assert search(old, SearchRequest(query="示范创建")).total == 1
    assert len(open_engine(index_dir).snapshot().reports) == 3
