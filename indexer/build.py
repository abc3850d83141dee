"""Turning a folder of report files into the search index."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from indexer.parsing import parse_report
from indexer.readers import READERS, ReadError, read_report_file
from search.analysis import fold
from search.engines import index_writer
from search.models import Passage, Report


class CorpusError(ValueError):
    """The corpus folder itself is unusable (missing, not a folder, no reports in it)."""


@dataclass
class IndexSummary:
    reports: int = 0
    passages: int = 0
    seconds: float = 0.0
    bytes_read: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why): not report files
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, why): report files that could not be read


def report_id_for(source: str) -> str:
    """A report's id: a hash of its path in the corpus folder, so it survives re-indexing and edits."""
    return hashlib.sha1(source.encode("utf-8")).hexdigest()[:12]


def passage_ids(report_id: str, texts: list[str]) -> list[str]:
    """Ids for a report's passages: a hash of the folded text, so an id survives edits elsewhere in the report.

    A paragraph that recurs in the same report gets ``-2``, ``-3``… in order.

    >>> passage_ids("r1", ["同一段", "另一段", "同一段"])[2].endswith("-2")
    True
    """
    seen: dict[str, int] = {}
    ids = []
    for text in texts:
        base = "p" + hashlib.sha1(f"{report_id}\n{fold(text)}".encode()).hexdigest()[:10]
        seen[base] = seen.get(base, 0) + 1
        ids.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return ids


def build_report(text: str, source: str) -> Report:
    """Parse one report's text into a :class:`Report` with stable ids."""
    parsed = parse_report(text)
    rid = report_id_for(source)
    ids = passage_ids(rid, [p.text for p in parsed.passages])
    passages = tuple(
        Passage(passage_id=pid, report_id=rid, number=n, text=p.text, section=p.section, heading=p.heading)
        for n, (pid, p) in enumerate(zip(ids, parsed.passages, strict=True), start=1)
    )
    return Report(
        report_id=rid,
        source=source,
        title=parsed.title,
        region=parsed.region,
        year=parsed.year,
        publish_date=parsed.publish_date,
        issuer=parsed.issuer,
        passages=passages,
    )


def discover(corpus_dir: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """Report files under ``corpus_dir`` in path order, and the other files with why they are skipped."""
    if not corpus_dir.exists():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist")
    if not corpus_dir.is_dir():
        raise CorpusError(f"{corpus_dir} is not a folder")
    files, skipped = [], []
    for path in sorted(p for p in corpus_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(corpus_dir).as_posix()
        if any(part.startswith(".") for part in path.relative_to(corpus_dir).parts):
            skipped.append((rel, "hidden file"))
        elif path.suffix.lower() not in READERS:
            skipped.append((rel, f"not a report format ({', '.join(sorted(READERS))})"))
        else:
            files.append(path)
    return files, skipped


def index_corpus(
    corpus_dir: Path,
    index_dir: Path,
    progress: Callable[[str, int, int], None] | None = None,
    engine: str = "whoosh",
) -> IndexSummary:
    """Read every report under ``corpus_dir`` and replace the index at ``index_dir`` with them in one commit.

    ``progress(file, done, total)`` is called after each file. Files that cannot be read are listed in
    the summary and the rest are indexed. When no report at all
    can be read the index is left as it was and :class:`CorpusError` is raised.
    """
    t0 = time.perf_counter()
    corpus_dir = Path(corpus_dir)
    files, skipped = discover(corpus_dir)
    summary = IndexSummary(skipped=skipped)
    reports: list[Report] = []
    for done, path in enumerate(files, start=1):
        rel = path.relative_to(corpus_dir).as_posix()
        try:
            text = read_report_file(path)
            reports.append(build_report(text, rel))
            summary.bytes_read += path.stat().st_size
        except ReadError as e:
            summary.failed.append((rel, str(e)))
        if progress:
            progress(rel, done, len(files))
    if not reports:
        raise CorpusError(f"no report could be read in {corpus_dir}; the index was left as it was")
    index_writer(engine)(Path(index_dir), reports)
    summary.reports = len(reports)
    summary.passages = sum(len(r.passages) for r in reports)
    summary.seconds = time.perf_counter() - t0
    return summary
