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

import errno
import fcntl
import hashlib
import multiprocessing
import os
import stat
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from indexer.doctype import classify_document
from indexer.manifest import MANIFEST_NAMES, Manifest, ManifestEntry, read_manifest
from indexer.metadata import year_named
from indexer.parsing import parse_report
from indexer.readers import MAX_FILE_BYTES, READERS, NotAReport, ReadError, ReportText, read_report_file
from indexer.sections import heading_marker
from search.analysis import fold, traditional_to_simplified
from search.engines import index_writer, open_engine
from search.models import HEADING_SEPARATOR, REPORT_DOC_TYPE, Passage, Report, SourceFile
from search.subprocesses import collector_paused, die_with_parent


class CorpusError(ValueError):
    """The corpus folder itself is unusable (missing, not a folder, no reports in it), or the index is busy."""


@dataclass
class IndexSummary:
    reports: int = 0  # reports in the index after the run
    passages: int = 0
    seconds: float = 0.0
    bytes_read: int = 0  # bytes of the files parsed in this run
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why): not report files, links not followed
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
    links_not_followed: int = 0  # links skipped: out of the corpus folder, loops, broken, to folders
    repaired: list[tuple[str, int]] = field(default_factory=list)  # (file, bytes replaced): indexed with U+FFFD


def report_id_for(source: str) -> str:
    """A report's id: a hash of its path in the corpus folder, so it survives re-indexing and edits."""
    return hashlib.sha1(source.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def _name_part(part: str, escape: bool = False) -> str:
    raw = os.fsencode(part)
    if not escape:
        for codec in ("utf-8", "gb18030"):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError:
                pass
    return raw.decode("utf-8", "backslashreplace")


def display_name(rel: str, escape: bool = False) -> str:
    """The name a file is indexed and shown under: its path in the corpus, each part decoded as it was meant.

    On Linux a name that is not UTF-8 (GBK bytes, as unzipping a Windows archive leaves them) arrives with
    its bytes escaped as lone surrogates, which no JSON, page or terminal can take. Each part is read as
    UTF-8, else as GB18030, else (or with ``escape``) its bad bytes are written ``\\xff``.

    >>> display_name("sub/报告.txt")
    'sub/报告.txt'
    >>> display_name(os.fsdecode("sub/".encode() + "报告.txt".encode("gbk")))
    'sub/报告.txt'
    >>> display_name(os.fsdecode(b"\\xff.txt"))
    '\\\\xff.txt'
    """
    return "/".join(_name_part(part, escape) for part in rel.split("/"))


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


def _title_and_opening(texts: list[str], hint: str | None, title_lines: int) -> tuple[str, str]:
    """The title a document gives itself and its opening text, for telling look-alikes apart.

    The page's headline, else the title line(s) parsing found, else a short first line that is neither a heading
    nor an opening sentence (a look-alike's title need not read as a report's: 长治市2024年上半年工作总结).
    """
    if hint:
        return hint, "".join(texts[1:4])
    if title_lines:
        return "".join(texts[:title_lines]), "".join(texts[title_lines : title_lines + 3])
    first = texts[0] if texts else ""
    if len(first) <= 80 and "。" not in first and heading_marker(fold(first)) is None:
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
                (m.section, HEADING_SEPARATOR.join(original_of.get(h, h) for h in m.heading.split(HEADING_SEPARATOR)))
                if m.heading
                else (m.section, "")
                for m in meta.passages
            ]
    rid = report_id_for(source)
    ids = passage_ids(rid, texts)
    passages = tuple(
        Passage(passage_id=pid, report_id=rid, number=n, text=t, section=s, heading=h)
        for n, (pid, t, (s, h)) in enumerate(zip(ids, texts, sections, strict=True), start=1)
    )
    head, opening = _title_and_opening(
        [to_simplified(t) for t in texts], rt.title and to_simplified(rt.title), meta.title_lines
    )
    given_title = entry.title or (to_simplified(rt.title) if rt.title else None)
    # A title the manifest or the page gives is the report's own: not inferred, and its year counts as stated.
    inferred = tuple(
        f
        for f in meta.inferred
        if not (given_title and (f == "title" or (f == "year" and year_named(given_title) == meta.year)))
    )
    # Where dates disagree, the manifest wins, then the page's information line, then the date under the
    # signature, then a date below the title; publish_date_source says which one was used.
    dates = (("manifest", entry.publish_date), ("page", rt.publish_date), (meta.publish_date_source, meta.publish_date))
    date_source, publish_date = next(((src, d) for src, d in dates if d), (None, None))
    return Report(
        report_id=rid,
        source=source,
        title=given_title or meta.title,
        region=meta.region,
        year=meta.year,
        publish_date=publish_date,
        publish_date_source=date_source,
        issuer=entry.issuer or meta.issuer,
        issuer_level=meta.issuer_level,
        township=meta.township,
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


class Discovery(NamedTuple):
    files: dict[Path, str]  # each report file to read, and the name it is indexed under
    skipped: list[tuple[str, str]]  # (name, why) for everything else, in path order
    links_not_followed: int


def _check_corpus(corpus_dir: Path) -> None:
    if not corpus_dir.exists():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist")
    if not corpus_dir.is_dir():
        raise CorpusError(f"{corpus_dir} is not a folder")


def _why(e: OSError) -> str:
    """An OS error as the end of a sentence: ``permission denied``."""
    text = e.strerror or str(e)
    return text[:1].lower() + text[1:]


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _link_problem(path: Path, root: str, ancestors: frozenset[str]) -> str | None:
    """Why the link at ``path`` is not followed, or None when it leads to a file inside the corpus folder."""
    try:
        target = display_name(os.readlink(path))
        st = os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return f"link loop (to {target}): not followed"
        if e.errno == errno.ENOENT:
            return f"broken link (to {target}, which does not exist)"
        return f"link cannot be followed: {_why(e)}"
    real = os.path.realpath(path)
    shown = display_name(real)
    if not _inside(real, root):
        return f"link to {shown}, outside the corpus folder: not followed"
    inner = os.path.relpath(real, root)
    shown = "the corpus folder" if inner == "." else display_name(inner.replace(os.sep, "/"))
    if stat.S_ISDIR(st.st_mode):
        if real in ancestors:
            return f"link loop (to {shown}, a folder it is in): not followed"
        return f"link to a folder inside the corpus ({shown}): not followed; its files are read where they are"
    return None


_NOT_REGULAR = ((stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "device"), (stat.S_ISBLK, "device"))


def discover(corpus_dir: Path) -> Discovery:
    """Report files under ``corpus_dir`` in path order, with the names they are indexed under, and everything
    else with why it is skipped: nothing is left out without a line.

    Links are followed only to a file inside the corpus folder: a link out of it, a loop, a broken link and a
    link to a folder (whose files the walk reaches where they are) are each named, and counted.
    """
    corpus_dir = Path(corpus_dir)
    _check_corpus(corpus_dir)
    root = os.path.realpath(corpus_dir)
    found: list[tuple[Path, tuple[str, ...]]] = []
    skipped: list[tuple[tuple[str, ...], str]] = []
    links = 0
    todo: list[tuple[Path, tuple[str, ...], frozenset[str]]] = [(corpus_dir, (), frozenset({root}))]
    while todo:
        folder, parts, ancestors = todo.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as e:
            if not parts:
                raise CorpusError(f"cannot read the corpus folder {corpus_dir}: {_why(e)}") from None
            skipped.append((parts, f"folder cannot be read: {_why(e)}"))
            continue
        for entry in entries:
            here = (*parts, entry.name)
            path = Path(entry.path)
            try:
                is_link = entry.is_symlink()
                if entry.name.startswith("."):
                    folder_like = entry.is_dir(follow_symlinks=False)
                    skipped.append((here, "hidden folder" if folder_like else "hidden file"))
                    continue
                if is_link:
                    problem = _link_problem(path, root, ancestors)
                    if problem:
                        skipped.append((here, problem))
                        links += 1
                        continue
                mode = os.stat(path).st_mode
            except OSError as e:
                skipped.append((here, f"cannot read: {_why(e)}"))
                continue
            if stat.S_ISDIR(mode):
                todo.append((path, here, ancestors | {os.path.realpath(path)}))
            elif not stat.S_ISREG(mode):
                kind = next((name for test, name in _NOT_REGULAR if test(mode)), "special file")
                skipped.append((here, f"not a regular file ({kind})"))
            elif not parts and entry.name in MANIFEST_NAMES:
                continue  # the manifest (see indexer.manifest), read on its own
            elif path.suffix.lower() not in READERS:
                skipped.append((here, f"not a report format ({', '.join(sorted(READERS))})"))
            else:
                found.append((path, here))
    found.sort(key=lambda f: f[1])
    files: dict[Path, str] = {}
    taken: set[str] = set()
    # UTF-8 names first: a name decoded from GBK bytes that equals one of them is shown escaped instead.
    for path, here in sorted(found, key=lambda f: any("\udc80" <= c <= "\udcff" for c in "".join(f[1]))):
        name = display_name("/".join(here))
        if name in taken:
            name = display_name("/".join(here), escape=True)
        files[path] = name
        taken.add(name)
    files = {path: files[path] for path, _ in found}
    return Discovery(files, [(display_name("/".join(here)), why) for here, why in sorted(skipped)], links)


_PARSER_MODULES = ("indexer", "search/analysis.py", "search/models.py")
"""Every module of ``indexer`` turns files into reports (the command line and the benchmark live in ``fazhi``)."""


@lru_cache(maxsize=1)
def parser_fingerprint() -> str:
    """A hash of the code that turns a file into a report: when it changes, every file is read again."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha1()
    for name in _PARSER_MODULES:
        target = root / name
        paths = sorted(target.glob("*.py")) if target.is_dir() else [target]
        for path in paths:
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

    @property
    def stated(self) -> tuple[object, ...]:
        """What the file's report says of itself (see :func:`stated_identity`)."""
        report = self.report or self.origin
        assert report is not None
        return stated_identity(report)


def stated_identity(report: Report) -> tuple[object, ...]:
    """The place, year and township a report states itself (in its title or signature), None where it states
    none: copies of one text are one report only when these agree."""
    region = report.region if "region" not in report.inferred and report.region.names() else None
    year = report.year if "year" not in report.inferred else None
    return region, year, report.township


def same_report(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    """Whether two stated identities can be one report's: each part agrees, or one of them does not say it.

    A ``.txt`` without a title and a saved page of it whose headline names the place are one report; two files
    with the same body whose titles name different places (or years) are two.
    """
    return all(x is None or y is None or x == y for x, y in zip(a, b, strict=True))


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


_Full = Callable[[list[Report]], list[Report]]


class _Previous:
    """The index as it stands, as an update reads it: each report's metadata (its files say which changed)
    without its passages (``passages`` is None: a report the update keeps is copied from the index's store,
    never read into Python objects), how many passages it has, and its passages when a run needs them."""

    def __init__(self, records: dict[str, tuple[str, int]], engine) -> None:
        self.reports = {rid: Report.from_metadata_json(raw, None) for rid, (raw, _) in records.items()}  # type: ignore[arg-type]
        self.sizes = {rid: n for rid, (_, n) in records.items()}
        self._engine = engine

    def full(self, reports: list[Report]) -> list[Report]:
        """``reports`` with their passages: read from the index for those read from it without them."""
        wanted = [r.report_id for r in reports if r.passages is None]
        stored = self._engine.reports_by_id(wanted) if wanted else {}
        return [r if r.passages is not None else replace(r, passages=stored[r.report_id].passages) for r in reports]


def _previous_reports(index_dir: Path, engine: str) -> _Previous | None:
    """The reports of the index as it stands, or None when there is no usable index (then it is rebuilt)."""
    eng = open_engine(index_dir, engine)
    if not eng.exists():
        return None
    try:
        return _Previous(eng.report_records(), eng)
    except Exception:  # an index this code cannot read (older schema, damaged): rebuild it from scratch
        return None


def _same_content(a: Report, b: Report) -> bool:
    return replace(a, files=()) == replace(b, files=())


PARALLEL_FROM = 64
"""Reading and parsing spreads over every core when at least this many files are to be read."""


@dataclass(frozen=True)
class _Read:
    """What reading one file gave: a report, or why it failed, or why it is not a report after all."""

    report: Report | None = None
    failed: str | None = None
    not_a_report: str | None = None
    replaced_bytes: int = 0


def _read_one(job: tuple[Path, str, SourceFile, ManifestEntry | None]) -> _Read:
    """One file read into a report, or why it could not be: one file's failure must not cost the others."""
    path, rel, stamp, entry = job
    try:
        text = read_report_file(path)
        return _Read(build_report(text, rel, (stamp,), entry), replaced_bytes=text.replaced_bytes)
    except NotAReport as e:
        return _Read(not_a_report=str(e))
    except ReadError as e:
        return _Read(failed=str(e))
    except OSError as e:
        return _Read(failed=f"cannot read: {e.strerror or e}")
    except Exception as e:  # noqa: BLE001 - any bug in one file's parsing is reported, not fatal
        return _Read(failed=f"could not be indexed ({type(e).__name__}: {e}); please report this")


def _read_all(jobs: list[tuple[Path, str, SourceFile, ManifestEntry | None]]) -> Iterator[_Read]:
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
    :class:`CorpusError` is raised; so it is, at once, when another run holds the index folder's lock (taken
    here, before anything is read) or the folder cannot be written.
    """
    t0 = time.perf_counter()
    corpus_dir = Path(corpus_dir)
    index_dir = Path(index_dir)
    _check_corpus(corpus_dir)
    with _index_lock(index_dir), collector_paused():
        return _index_locked(corpus_dir, index_dir, progress, engine, rebuild, t0)


def _cannot_write(index_dir: Path, e: OSError) -> CorpusError:
    in_the_way = next((p for p in (index_dir, *index_dir.parents) if p.exists() and not p.is_dir()), None)
    if isinstance(e, FileExistsError | NotADirectoryError) and in_the_way is not None:
        why = f"{display_name(str(in_the_way))} is a file, not a folder"
    else:
        why = _why(e)
    return CorpusError(f"cannot write the index in {index_dir}: {why}")


@contextmanager
def _index_lock(index_dir: Path) -> Iterator[None]:
    """Hold a lock on the index folder (made if need be) for the ``with`` block, so that a second run fails at
    once rather than after all its parsing. The lock is ``flock`` on the folder itself: no lock file is left
    behind, and a killed run's lock goes with it. A folder this run made and left empty is removed again."""
    made = not index_dir.exists()
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        if not os.access(index_dir, os.W_OK):
            raise PermissionError(errno.EACCES, "Permission denied", str(index_dir))
        fd = os.open(index_dir, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as e:
        raise _cannot_write(index_dir, e) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CorpusError(
                f"another run is indexing into {index_dir}; try again when it is done (this run changed nothing)"
            ) from None
        yield
    finally:
        os.close(fd)
        if made:
            try:
                index_dir.rmdir()  # only when empty: nothing could be read
            except OSError:
                pass


def _index_locked(
    corpus_dir: Path,
    index_dir: Path,
    progress: Callable[[str, int, int], None] | None,
    engine: str,
    rebuild: bool,
    t0: float,
) -> IndexSummary:
    """The phases of a run, the index folder's lock held: find the files, see which changed, read those,
    merge copies of one report, decide what to write, write it in one commit."""
    found = discover(corpus_dir)
    summary = IndexSummary(skipped=list(found.skipped), links_not_followed=found.links_not_followed)
    prior = _previous_reports(index_dir, engine)
    summary.rebuilt = rebuild or prior is None
    previous = prior.reports if prior is not None else {}
    full = prior.full if prior is not None else list
    known: dict[str, tuple[Report, SourceFile]] = (
        {} if rebuild else {f.path: (r, f) for r in previous.values() for f in r.files}
    )
    manifest = _manifest(corpus_dir, found.files, summary)
    changes = _changed_files(found.files, known, previous, manifest)
    candidates = _read_changed(found.files, known, changes, manifest, summary, progress)
    final = _merge_copies(candidates, summary, set(previous), full)
    if not final:
        raise CorpusError(f"no report could be read in {corpus_dir}; the index was left as it was")
    to_write, removed = _what_to_write(previous, final, summary, full)
    _write(index_dir, engine, final, to_write, removed, summary, full)
    _sum_up(summary, final, t0, prior.sizes if prior is not None else {})
    return summary


def _manifest(corpus_dir: Path, rels: dict[Path, str], summary: IndexSummary) -> Manifest:
    """The manifest: a bad row is reported and left out; a row naming no report file is reported too."""
    manifest = read_manifest(corpus_dir)
    summary.failed.extend(manifest.errors)
    summary.failed.extend(
        (manifest.lines[rel], f"manifest row names {rel}, which is no report file in the corpus folder")
        for rel in sorted(set(manifest.entries) - set(rels.values()))
    )
    return manifest


class _Changes(NamedTuple):
    """Which files changed since the index was written (phase 1)."""

    stamps: dict[str, SourceFile]  # each readable file's stamp (the recorded one when unchanged)
    errors: dict[str, str]  # files that could not be stamped, and why
    unchanged: set[str]  # files whose report is kept as indexed


def _changed_files(
    rels: dict[Path, str], known: dict[str, tuple[Report, SourceFile]], previous: dict[str, Report], manifest: Manifest
) -> _Changes:
    """Same size and modification time as recorded means unchanged; otherwise the bytes are hashed, and a file
    whose hash (and the code reading it, and its manifest row) is the same is unchanged."""
    parser = parser_fingerprint()
    entry_marks = {rel: e.fingerprint() for rel, e in manifest.entries.items()}
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
    unchanged = {rel for rel in rels.values() if rel not in errors and same.get(rel) and rel not in must_parse}
    return _Changes(stamps, errors, unchanged)


def _read_changed(
    rels: dict[Path, str],
    known: dict[str, tuple[Report, SourceFile]],
    changes: _Changes,
    manifest: Manifest,
    summary: IndexSummary,
    progress: Callable[[str, int, int], None] | None,
) -> list[_Candidate]:
    """Read what changed (on every core when there is much of it); keep what did not. Each file's claim to a
    report, in file order."""
    stamps, errors, unchanged = changes
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
            result = next(read) if rel not in errors else _Read(failed=errors[rel])
            report, why = result.report, result.failed
            if report is not None:
                candidates.append(_Candidate(rel, stamps[rel], report))
                summary.bytes_read += stamps[rel].size
                summary.files_parsed += 1
                if result.replaced_bytes:
                    summary.repaired.append((rel, result.replaced_bytes))
            elif result.not_a_report is not None:
                summary.skipped.append((rel, result.not_a_report))  # and a report it held before is removed
            else:
                assert why is not None
                if old_report is not None and old_file is not None:
                    # Nothing lost: the version indexed before stays until the file can be read again.
                    own = old_report if old_report.source == rel else None
                    candidates.append(_Candidate(rel, old_file, own, old_report))
                    why += " (the version indexed before is kept)"
                summary.failed.append((rel, why))
        if progress:
            progress(rel, done, len(rels))
    return candidates


COMPARE_BATCH = 2000
"""Reports read again whose indexed passages are read from the index at once, to be compared (one read of
the store's arrays per batch; a batch's reports are held twice meanwhile)."""


def _what_to_write(
    previous: dict[str, Report], final: dict[str, Report], summary: IndexSummary, full: _Full = list
) -> tuple[list[Report], list[str]]:
    """The reports to (re)write and the report ids to remove, counted as added, updated, unchanged, removed.
    A report read again is compared with the indexed one's passages (``full`` reads them from the index, a
    batch of :data:`COMPARE_BATCH` at a time: new indexer code reads every file again)."""
    to_write: list[Report] = []

    def read_again(old: Report | None, report: Report) -> bool:  # read from its file, and indexed without passages
        return old is not None and (old.passages is None) != (report.passages is None)

    mixed = [rid for rid, report in final.items() if read_again(previous.get(rid), report)]
    batches = iter([mixed[lo : lo + COMPARE_BATCH] for lo in range(0, len(mixed), COMPARE_BATCH)])
    filled: dict[str, tuple[Report, Report]] = {}  # the batch being compared (batches come in `final`'s order)
    for rid, report in final.items():
        old = previous.get(rid)
        if read_again(old, report):
            if not filled:
                batch = next(batches)
                both = full([previous[r] for r in batch] + [final[r] for r in batch])
                filled = dict(zip(batch, zip(both[: len(batch)], both[len(batch) :], strict=True), strict=True))
            old, report = filled.pop(rid)
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
    return to_write, removed


def _write(
    index_dir: Path,
    engine: str,
    final: dict[str, Report],
    to_write: list[Report],
    removed: list[str],
    summary: IndexSummary,
    full: _Full = list,
) -> None:
    """One commit: every report on a rebuild, else the changes (none: no commit at all). The reports kept as
    indexed are not given: the engine copies them from the index's store."""
    write = index_writer(engine)
    try:
        if summary.rebuilt:
            write(index_dir, full(list(final.values())), replace_all=True)
            summary.committed = True
        elif to_write or removed:
            write(index_dir, full(to_write), replace_all=False, remove=removed)
            summary.committed = True
    except BlockingIOError as e:
        raise CorpusError(str(e)) from None
    except OSError as e:  # a full disk, a folder made read-only meanwhile: the previous generation stays
        raise _cannot_write(index_dir, e) from None


def _sum_up(summary: IndexSummary, final: dict[str, Report], t0: float, sizes: dict[str, int]) -> None:
    summary.skipped.sort()  # files found not to be reports join the others in path order
    summary.reports = len(final)
    summary.passages = sum(sizes[r.report_id] if r.passages is None else len(r.passages) for r in final.values())
    summary.look_alikes = [(r.source, r.doc_type) for r in final.values() if r.doc_type != REPORT_DOC_TYPE]
    summary.seconds = time.perf_counter() - t0


def _copies(group: list[_Candidate]) -> list[list[_Candidate]]:
    """Files with one text split into reports: a file joins the first report whose files all state the same
    place, year and township as it does (or leave them unsaid), in the order given."""
    reports: list[list[_Candidate]] = []
    for c in group:
        home = next((r for r in reports if all(same_report(c.stated, other.stated) for other in r)), None)
        if home is None:
            reports.append([c])
        else:
            home.append(c)
    return reports


def _merge_copies(
    candidates: list[_Candidate], summary: IndexSummary, indexed: set[str], full: _Full = list
) -> dict[str, Report]:
    """One report per distinct text and stated metadata, listing every file that holds it; its id comes from
    the first file. Two files with the same body whose titles name different places or years are two reports.

    The first file is the one the report was indexed under before, if it is still there (so that a copy saved
    later does not change the report's id and its links), else the first in path order.
    """
    by_text: dict[str, list[_Candidate]] = {}
    for c in candidates:
        by_text.setdefault(c.key, []).append(c)
    final: dict[str, Report] = {}
    for same_text in by_text.values():
        same_text.sort(key=lambda c: (report_id_for(c.path) not in indexed, c.path))
    for group in (g for same_text in by_text.values() for g in _copies(same_text)):
        first = group[0]
        if first.report is not None:
            base = first.report
        else:  # a kept copy whose first file went: the report as the next file gives it
            assert first.origin is not None
            base = with_source(full([first.origin])[0], first.path)
        report = replace(base, sources=tuple(c.path for c in group), files=tuple(c.file for c in group))
        final[report.report_id] = report
        summary.duplicates.extend((c.path, first.path) for c in group[1:])
    return dict(sorted(final.items(), key=lambda kv: kv[1].source))
