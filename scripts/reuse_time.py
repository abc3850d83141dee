"""Time finding text reuse alone over an index's latest generation, as the indexer's commit runs it.

Usage: python scripts/reuse_time.py INDEX_DIR [WORKERS]

WORKERS (1 or 2, default 1): processes verifying the pairs (2 is what a big build's reuse process uses).
Prints the seconds, the peak memory of the process (and of the one it forked), and how many groups, members,
directed links and stretches it found (nothing is written).
"""

import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from search.arrays import ARRAYS_PREFIX  # noqa: E402
from search.reuse_build import Generation, reuse_arrays  # noqa: E402


def main(index_dir: Path, workers: int = 1) -> None:
    folders = sorted(index_dir.glob(f"{ARRAYS_PREFIX}*"), key=lambda f: f.stat().st_mtime)
    if not folders:
        sys.exit(f"no index arrays in {index_dir}")
    start = time.perf_counter()
    a = reuse_arrays(Generation.of_arrays(folders[-1]), workers=workers)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    forked = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"finding reuse ({workers} worker(s)): {seconds:.1f} s, peak {peak:.0f} MB (forked process {forked:.0f} MB)")
    print(
        f"groups {len(a['group_rep'])}, members {len(a['member_row'])}, directed links {len(a['link_other'])}, "
        f"stretches {len(a['stretch_rep'])}"
    )


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3) or sys.argv[2:] not in ([], ["1"], ["2"]):
        sys.exit(__doc__)
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) == 3 else 1)
