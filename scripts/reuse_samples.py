"""What the sample reports share (issue #14: "list what is found and check by eye"), as BENCHMARKS.md lists it.

    /work/main/.venv/bin/python scripts/reuse_samples.py [--corpus ../shared/corpus] [--min 15]

Indexes the corpus into a temporary folder (the default engine), then prints two listings: every maximal
verbatim stretch of at least ``--min`` characters that passages of two different reports share in the
comparison form (longest first, with how many reports hold it as such a stretch), measured over every pair of
passages whatever the rule; then what the index found under its rule (``search.reuse.MIN_SPAN``), each shared
text with the pairs of passages holding it (place, passage number), and each report's originality.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from indexer.build import index_corpus  # noqa: E402
from search import comparison_form, fold, open_engine  # noqa: E402
from search.reuse_build import shared_blocks  # noqa: E402

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def _place(report) -> str:
    return report.region.county or report.region.prefecture or report.region.province or report.report_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--min", type=int, default=15, help="shortest stretch measured (comparison characters)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        index_corpus(args.corpus, Path(tmp))
        snap = open_engine(Path(tmp)).snapshot()
        reports = snap.report_list
        passages = {p.passage_id: (r, p) for r in reports for p in r.passages}
        forms = {pid: comparison_form(fold(p.text))[0] for pid, (_, p) in passages.items()}

        print(f"Shared stretches of {args.min} characters or more (comparison form, □ a place, a year or a number):")
        holders: dict[str, set[str]] = collections.defaultdict(set)
        for a, b in itertools.combinations(passages, 2):
            (ra, _), (rb, _) = passages[a], passages[b]
            if ra.report_id == rb.report_id:
                continue
            for i, _, size in shared_blocks(forms[a], forms[b], args.min):
                holders[forms[a][i : i + size]].update((_place(ra), _place(rb)))
        for text, places in sorted(holders.items(), key=lambda kv: (-len(kv[0]), kv[0])):
            print(f"{len(text):3d}  {len(places)}  {text.replace(chr(0xE000), '□')} | {','.join(sorted(places))}")

        print("\nFound by the index (shared text | length | passages):")
        found: dict[str, list[str]] = collections.defaultdict(list)
        for pid, (report, passage) in passages.items():
            for link in snap.reuse.passage(pid).links:
                other_report, other = passages[link.passage_id]
                mine, theirs = (_place(report), passage.number), (_place(other_report), other.number)
                if mine < theirs:
                    for s in link.spans:
                        text = comparison_form(fold(passage.text[s.start : s.end]))[0].replace(chr(0xE000), "□")
                        found[text].append(f"{mine[0]} {mine[1]} ↔ {theirs[0]} {theirs[1]}")
        for text, pairs in sorted(found.items(), key=lambda kv: (-len(kv[1]), -len(kv[0]))):
            print(f"| `{text}` | {len(text)} | {'; '.join(pairs)} |")
        print("\nOriginality:")
        for report in reports:
            print(f"  {_place(report)} {report.year}: {snap.reuse.report_originality(report.report_id):.4f}")


if __name__ == "__main__":
    main()
