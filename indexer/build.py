"""Turning a folder of report files into the search index, and keeping it current.

``index_corpus`` reads only what changed since the last run: a file whose size and modification time match what
the index recorded is not opened; one whose stamp differs is hashed, and parsed only if its bytes (or the indexer
code) changed. Reports whose files are gone are removed. The same report saved twice (same folded text) is
indexed once, listing every file. Everything is written in one commit, so searches see the old index or the
new one, never a mix; an unchanged folder makes no commit at all.

The decision of what changed lives here and uses only what every engine offers: the reports of the current
snapshot (whose metadata round-trips through :meth:`Report.metadata_json`) and ``write_reports``.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from indexer.doctype import classify_document
from indexer.manifest import MANIFEST_NAMES, ManifestEntry, read_manifest
from indexer.metadata import year_named
from indexer.parsing import parse_report
from indexer.readers import MAX_FILE_BYTES, READERS, ReadError, ReportText, read_report_file
from search.analysis import fold, traditional_to_simplified
from search.engines import index_writer, open_engine
from search.models import REPORT_DOC_TYPE, Passage, Report, SourceFile
from search.subprocesses import die_with_parent


class CorpusError(ValueError):
    """The corpus folder itself is unusable (missing, not a folder, no reports in it), or the index is busy."""


@dataclass
class IndexSummary:
    reports: int = 0  # reports in the index after the run
    passages: int = 0
    seconds: float = 0.0
    bytes_read: int = 0  # bytes of the files parsed in this run
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why): not report files
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, why): report files that could not be read
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    files_parsed: int = 0
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (file, the file whose report it repeats)
    look_alikes: list[tuple[str, str]] = field(default_factory=list)  # (file, doc_type): not rule-of-law reports
    committed: bool = False  # whether the run wrote a new index generation
    rebuilt: bool = False  # whether the index was written from scratch


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


def to_simplified(text: str) -> str:
    """``text`` with each traditional character replaced by its simplified form (OpenCC's character table).

    One character for one, so lines and offsets stay where they were.

    >>> to_simplified("長治市法治政府建設")
    '长治市法治政府建设'
    """
    table = traditional_to_simplified()
    return "".join(table.get(c, c) for c in text)


def text_hash(texts: list[str]) -> str:
    """The hash of a report's folded text (without its title line): two files hold the same report when their
    hashes agree."""
    return hashlib.sha1("\x1f".join(fold(t) for t in texts).encode("utf-8")).hexdigest()


def _title_and_opening(texts: list[str], hint: str | None) -> tuple[str, str]:
    if hint:
        return hint, "".join(texts[1:4])
    first = texts[0] if texts else ""
    if len(first) <= 80 and "。" not in first:
        return first, "".join(texts[1:4])
    return "", "".join(texts[:3])


def build_report(
    text: ReportText | str, source: str, files: tuple[SourceFile, ...] = (), entry: ManifestEntry | None = None
) -> Report:
    """Parse one report's text into a :class:`Report` with stable ids.

    Metadata is read from the text in simplified characters (a traditional-character report gets the same
    official names); passages keep the text as published. What the file format stated (a web page's headline
    and publish date, its original address) wins over what parsing found, and the manifest's ``entry`` wins
    over both.
    """
    entry = entry or ManifestEntry()
    rt = text if isinstance(text, ReportText) else ReportText(text, format="txt")
    parsed = parse_report(rt.text)
    simplified_text = to_simplified(rt.text)
    meta = parsed
    texts = [p.text for p in parsed.passages]
    sections = [(p.section, p.heading) for p in parsed.passages]
    if simplified_text != rt.text:
        meta = parse_report(simplified_text)
        if len(meta.passages) == len(parsed.passages):
            # Sections are told by simplified headings; headings are shown as published.
            original_of = {m.text: p.text for m, p in zip(meta.passages, parsed.passages, strict=True)}
            sections = [
                (m.section, " › ".join(original_of.get(h, h) for h in m.heading.split(" › ")) if m.heading else "")
                for m in meta.passages
            ]
    rid = report_id_for(source)
    ids = passage_ids(rid, texts)
    passages = tuple(
        Passage(passage_id=pid, report_id=rid, number=n, text=t, section=s, heading=h)
        for n, (pid, t, (s, h)) in enumerate(zip(ids, texts, sections, strict=True), start=1)
    )
    head, opening = _title_and_opening([to_simplified(t) for t in texts], rt.title and to_simplified(rt.title))
    given_title = entry.title or (to_simplified(rt.title) if rt.title else None)
    # A title the manifest or the page gives is the report's own: not inferred, and its year counts as stated.
    inferred = tuple(
        f
        for f in meta.inferred
        if not (given_title and (f == "title" or (f == "year" and year_named(given_title) == meta.year)))
    )
    return Report(
        report_id=rid,
        source=source,
        title=given_title or meta.title,
        region=meta.region,
        year=meta.year,
        publish_date=entry.publish_date or rt.publish_date or meta.publish_date,
        issuer=entry.issuer or meta.issuer,
        passages=passages,
        doc_type=classify_document(head, opening),
        encoding=rt.encoding,
        sources=(source,),
        files=files,
        # Copies are told by their body: a saved page of a text file gains the headline as a line of its own.
        text_hash=text_hash(texts[1:] if texts and fold(texts[0]) == fold(rt.title or meta.title) else texts),
        source_url=entry.url or rt.source_url,
        accessed=entry.accessed or rt.accessed,
        inferred=inferred,
    )


def with_source(report: Report, source: str) -> Report:
    """``report`` as if read from ``source``: the id and passage ids that path gives."""
    rid = report_id_for(source)
    ids = passage_ids(rid, [p.text for p in report.passages])
    passages = tuple(replace(p, passage_id=pid, report_id=rid) for pid, p in zip(ids, report.passages, strict=True))
    return replace(report, report_id=rid, source=source, passages=passages)


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
        elif rel in MANIFEST_NAMES:
            continue  # the manifest (see indexer.manifest), read on its own
        elif path.suffix.lower() not in READERS:
            skipped.append((rel, f"not a report format ({', '.join(sorted(READERS))})"))
        else:
            files.append(path)
    return files, skipped


_PARSER_MODULES = ("indexer", "search/analysis.py", "search/models.py")
_NOT_PARSER = ("cli.py", "bench.py")


@lru_cache(maxsize=1)
def parser_fingerprint() -> str:
    """A hash of the code that turns a file into a report: when it changes, every file is read again."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha1()
    for name in _PARSER_MODULES:
        target = root / name
        paths = sorted(target.glob("*.py")) if target.is_dir() else [target]
        for path in paths:
            if path.name not in _NOT_PARSER:
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


@dataclass
class _Candidate:
    """One file's claim to a report: a freshly read report, or the indexed report it was part of."""

    path: str
    file: SourceFile
    report: Report | None  # the report read from this file (or kept for it); None for a kept copy's later source
    origin: Report | None = None  # the indexed report this file belonged to, when kept

    @property
    def key(self) -> str:
        report = self.report or self.origin
        assert report is not None
        return report.text_hash or report.report_id


def _stamp(path: Path, rel: str, parser: str, manifest: str = "") -> SourceFile:
    """The file's size, modification time and content hash (reading it whole; the size limit applies)."""
    st = path.stat()
    if st.st_size > MAX_FILE_BYTES:
        raise ReadError(f"file is {st.st_size} bytes; the limit is {MAX_FILE_BYTES} ({MAX_FILE_BYTES // 2**20} MiB)")
    if not os.access(path, os.R_OK):
        raise ReadError("cannot read: permission denied")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return SourceFile(
        path=rel, size=st.st_size, mtime_ns=st.st_mtime_ns, sha256=digest, parser=parser, manifest=manifest
    )


def _previous_reports(index_dir: Path, engine: str) -> dict[str, Report] | None:
    """The reports of the index as it stands, or None when there is no usable index (then it is rebuilt)."""
    eng = open_engine(index_dir, engine)
    if not eng.exists():
        return None
    try:
        return eng.reports()
    except Exception:  # an index this code cannot read (older schema, damaged): rebuild it from scratch
        return None


def _same_content(a: Report, b: Report) -> bool:
    return replace(a, files=()) == replace(b, files=())


PARALLEL_FROM = 64
"""Reading and parsing spreads over every core when at least this many files are to be read."""


def _read_one(job: tuple[Path, str, SourceFile, ManifestEntry | None]) -> tuple[Report | None, str | None]:
    """One file read into a report, or why it could not be: one file's failure must not cost the others."""
    path, rel, stamp, entry = job
    try:
        return build_report(read_report_file(path), rel, (stamp,), entry), None
    except ReadError as e:
        return None, str(e)
    except OSError as e:
        return None, f"cannot read: {e.strerror or e}"
    except Exception as e:  # noqa: BLE001 - any bug in one file's parsing is reported, not fatal
        return None, f"could not be indexed ({type(e).__name__}: {e}); please report this"


def _read_all(
    jobs: list[tuple[Path, str, SourceFile, ManifestEntry | None]],
) -> Iterator[tuple[Report | None, str | None]]:
    """``_read_one`` for each job, in order; in worker processes (one per core) when there are many."""
    workers = os.cpu_count() or 1
    if len(jobs) < PARALLEL_FROM or workers < 2:
        yield from map(_read_one, jobs)
        return
    # "spawn": the caller may hold threads (a search pool), and forking a threaded process is unsafe.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        yield from pool.map(_read_one, jobs, chunksize=16)


def index_corpus(
    corpus_dir: Path,
    index_dir: Path,
    progress: Callable[[str, int, int], None] | None = None,
    engine: str = "whoosh",
    rebuild: bool = False,
) -> IndexSummary:
    """Bring the index at ``index_dir`` up to date with the report files under ``corpus_dir``, in one commit.

    Only new and changed files are read, and reports whose files are gone are removed; ``rebuild`` reads every
    file and writes the index from scratch. ``progress(file, done, total)`` is called after each file. Files that
    cannot be read are listed in the summary and the rest are indexed (a file that was indexed before and can no
    longer be read keeps its last good version). When no report at all remains the index is left as it was and
    :class:`CorpusError` is raised.
    """
    t0 = time.perf_counter()
    corpus_dir = Path(corpus_dir)
    index_dir = Path(index_dir)
    files, skipped = discover(corpus_dir)
    summary = IndexSummary(skipped=skipped)
    previous = _previous_reports(index_dir, engine)
    summary.rebuilt = rebuild or previous is None
    previous = previous or {}
    parser = parser_fingerprint()
    known: dict[str, tuple[Report, SourceFile]] = (
        {} if rebuild else {f.path: (r, f) for r in previous.values() for f in r.files}
    )
    rels = {path: path.relative_to(corpus_dir).as_posix() for path in files}
    # The manifest: a bad row is reported and left out; a row naming no report file is reported too.
    manifest = read_manifest(corpus_dir)
    summary.failed.extend(manifest.errors)
    summary.failed.extend(
        (manifest.lines[rel], f"manifest row names {rel}, which is no report file in the corpus folder")
        for rel in sorted(set(manifest.entries) - set(rels.values()))
    )
    entry_marks = {rel: e.fingerprint() for rel, e in manifest.entries.items()}

    # 1. Which files changed: same size and modification time as recorded means unchanged; otherwise the bytes
    # are hashed, and a file whose hash (and the code reading it, and its manifest row) is the same is unchanged.
    stamps: dict[str, SourceFile] = {}
    same: dict[str, bool] = {}
    errors: dict[str, str] = {}
    for path, rel in rels.items():
        old_file = known[rel][1] if rel in known else None
        mark = entry_marks.get(rel, "")
        try:
            st = path.stat()
            if (
                old_file
                and (old_file.parser, old_file.manifest) == (parser, mark)
                and (old_file.size, old_file.mtime_ns) == (st.st_size, st.st_mtime_ns)
            ):
                stamps[rel], same[rel] = old_file, True
                continue
            stamps[rel] = _stamp(path, rel, parser, mark)
            same[rel] = bool(
                old_file and (old_file.sha256, old_file.parser, old_file.manifest) == (stamps[rel].sha256, parser, mark)
            )
        except ReadError as e:
            errors[rel] = str(e)
        except OSError as e:
            errors[rel] = f"cannot read: {e.strerror or e}"

    # A report is read again from all its files when its first file changed or went: each file's own hints
    # (title, encoding) are needed to rebuild it from the next one.
    must_parse: set[str] = set()
    for report in previous.values():
        if report.files and not same.get(report.source, False):
            must_parse.update(f.path for f in report.files)

    # 2. Read what changed (on every core when there is much of it); keep what did not.
    unchanged = {rel for rel in rels.values() if rel not in errors and same.get(rel) and rel not in must_parse}
    to_read = [
        (path, rel, stamps[rel], manifest.entries.get(rel))
        for path, rel in rels.items()
        if rel not in unchanged and rel not in errors
    ]
    read = _read_all(to_read)
    candidates: list[_Candidate] = []
    for done, rel in enumerate(rels.values(), start=1):
        old_report = known[rel][0] if rel in known else None
        old_file = known[rel][1] if rel in known else None
        if rel in unchanged:
            assert old_report is not None
            own = old_report if old_report.source == rel else None
            candidates.append(_Candidate(rel, stamps[rel], own, old_report))
        else:
            report, why = next(read) if rel not in errors else (None, errors[rel])
            if report is not None:
                candidates.append(_Candidate(rel, stamps[rel], report))
                summary.bytes_read += stamps[rel].size
                summary.files_parsed += 1
            else:
                if old_report is not None and old_file is not None:
                    # Nothing lost: the version indexed before stays until the file can be read again.
                    own = old_report if old_report.source == rel else None
                    candidates.append(_Candidate(rel, old_file, own, old_report))
                    why += " (the version indexed before is kept)"
                summary.failed.append((rel, why))
        if progress:
            progress(rel, done, len(rels))

    final = _merge_copies(candidates, summary, set(previous))
    if not final:
        raise CorpusError(f"no report could be read in {corpus_dir}; the index was left as it was")

    to_write: list[Report] = []
    for rid, report in final.items():
        old = previous.get(rid)
        if old is None:
            summary.added += 1
        elif _same_content(old, report):
            summary.unchanged += 1
        else:
            summary.updated += 1
        if old is None or old != report:
            to_write.append(report)
    removed = [rid for rid in previous if rid not in final]
    summary.removed = len(removed)

    write = index_writer(engine)
    try:
        if summary.rebuilt:
            write(index_dir, list(final.values()), replace_all=True)
            summary.committed = True
        elif to_write or removed:
            write(index_dir, to_write, replace_all=False, remove=removed)
            summary.committed = True
    except BlockingIOError as e:
        raise CorpusError(str(e)) from None

    summary.reports = len(final)
    summary.passages = sum(len(r.passages) for r in final.values())
    summary.look_alikes = [(r.source, r.doc_type) for r in final.values() if r.doc_type != REPORT_DOC_TYPE]
    summary.seconds = time.perf_counter() - t0
    return summary


def _merge_copies(candidates: list[_Candidate], summary: IndexSummary, indexed: set[str]) -> dict[str, Report]:
    """One report per distinct text, listing every file that holds it; its id comes from the first file.

    The first file is the one the report was indexed under before, if it is still there (so that a copy saved
    later does not change the report's id and its links), else the first in path order.
    """
    groups: dict[str, list[_Candidate]] = {}
    for c in candidates:
        groups.setdefault(c.key, []).append(c)
    final: dict[str, Report] = {}
    for group in groups.values():
        group.sort(key=lambda c: (report_id_for(c.path) not in indexed, c.path))
        first = group[0]
        if first.report is not None:
            base = first.report
        else:  # a kept copy whose first file went: the report as the next file gives it
            assert first.origin is not None
            base = with_source(first.origin, first.path)
        report = replace(base, sources=tuple(c.path for c in group), files=tuple(c.file for c in group))
        final[report.report_id] = report
        summary.duplicates.extend((c.path, first.path) for c in group[1:])
    return dict(sorted(final.items(), key=lambda kv: kv[1].source))
