"""Time an incremental update: a copy of an index, its corpus plus new files, one `index_corpus` run.

Usage: python scripts/update_time.py INDEX_DIR CORPUS_DIR NEW_DIR OUT_DIR [--count N] [--recorded-parser]

Copies INDEX_DIR (built from CORPUS_DIR, tantivy) to OUT_DIR/idx, hard-links every file of CORPUS_DIR and the
first N files of NEW_DIR (sorted by name, default 100) that CORPUS_DIR lacks into OUT_DIR/corpus, and times the
update of OUT_DIR/idx from OUT_DIR/corpus. The index is left as it was; OUT_DIR is replaced.

--recorded-parser: read the files under the parser fingerprint the index recorded. Any change to the code
that reads files (``indexer/``, ``search/analysis.py``, ``search/models.py``) makes an update read every file
again, by design; with this flag the run times what 100 new files cost, on an index built by other code.
"""

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from indexer import build  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("index_dir", "corpus_dir", "new_dir", "out_dir"):
        parser.add_argument(name, type=Path)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--recorded-parser", action="store_true")
    args = parser.parse_args()
    if args.recorded_parser:
        previous = build._previous_reports(args.index_dir, "tantivy")
        if previous is None:
            sys.exit(f"no tantivy index in {args.index_dir}")
        recorded = next(iter(previous.reports.values())).files[0].parser
        build.parser_fingerprint = lambda: recorded
    shutil.rmtree(args.out_dir, ignore_errors=True)
    args.out_dir.mkdir(parents=True)
    shutil.copytree(args.index_dir, args.out_dir / "idx")
    corpus = args.out_dir / "corpus"
    corpus.mkdir()
    have = set(os.listdir(args.corpus_dir))
    for name in sorted(have):
        os.link(args.corpus_dir / name, corpus / name)
    for name in sorted(set(os.listdir(args.new_dir)) - have)[: args.count]:
        os.link(args.new_dir / name, corpus / name)
    os.sync()  # the copy's writeback done before the clock starts, not competing with the update's own writes
    start = time.perf_counter()
    summary = build.index_corpus(corpus, args.out_dir / "idx", engine="tantivy")
    seconds = time.perf_counter() - start
    print(
        f"update: {seconds:.1f} s; {summary.added} added, {summary.updated} updated, {summary.removed} removed, "
        f"{summary.files_parsed} files read"
    )


if __name__ == "__main__":
    main()
