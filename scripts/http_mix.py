"""Serve an existing index with gunicorn (2 workers, response cache off) and load it with wrk over the distinct
search URLs of ``fazhi bench --http`` (no generating or building).

Usage: python scripts/http_mix.py INDEX_DIR CORPUS_DIR [SECONDS] [TREE]

The URLs are made, as the bench makes them, from the words of 50 of CORPUS_DIR's reports (seed 1) and the
index's years and provinces. TREE (default: this checkout) is the source tree gunicorn serves: point it at a
worktree of another commit (``git worktree add /tmp/old COMMIT``; copy ``search/_count*.so`` into it if that
commit has the extension) and run the two one after the other to compare code over HTTP on one index.
Prints requests/s, p50, p99, errors and the workers' memory (``fazhi.bench._http_load``). Needs Debian's wrk.
"""

import random
import subprocess
import sys
from pathlib import Path

TREE = Path(sys.argv[4]).resolve() if len(sys.argv) > 4 else Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TREE))

from fazhi import bench  # noqa: E402
from search import open_engine  # noqa: E402


def _serving(tree: Path):
    """``subprocess.Popen`` that hands TREE to the processes it starts (gunicorn imports ``web`` from there). They
    start in TREE too: gunicorn puts its working folder first on the import path, before ``PYTHONPATH``, so a
    server started from this checkout would serve this checkout's code whatever TREE says (until session 20, the
    comparisons of two trees over HTTP compared this checkout with itself)."""
    popen = subprocess.Popen

    def start(*args, **kwargs):
        if kwargs.get("env") is not None:
            kwargs["env"] = {**kwargs["env"], "PYTHONPATH": str(tree)}
            kwargs["cwd"] = str(tree)
        return popen(*args, **kwargs)

    return start


def main(index_dir: Path, corpus_dir: Path, seconds: int = 30) -> None:
    snap = open_engine(index_dir, "tantivy").snapshot()
    years, provinces = bench._years(snap), bench._provinces(snap)
    del snap
    files = sorted(corpus_dir.glob("*.txt"))
    if not files:
        sys.exit(f"no reports (*.txt) in {corpus_dir}")
    texts = [p.read_text(encoding="utf-8") for p in random.Random(1).sample(files, min(50, len(files)))]
    paths = bench.distinct_paths(texts, years, provinces)
    subprocess.Popen = _serving(TREE)
    print(f"serving {TREE}: {len(paths)} distinct URLs, {seconds} s", flush=True)
    print(bench._http_load(index_dir, "tantivy", seconds, paths, cache=False))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 30)
