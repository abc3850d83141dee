"""The Whoosh engine: the index schema, writing reports into it, and reading a :class:`~search.contract.Snapshot`
executed in memory (:mod:`search.memory`).

Fields per passage: ``chars`` (one token per folded character with sequential positions: candidates for
exact matching), ``words`` and ``heading_words`` (jieba words: BM25 ranking; a heading's words weigh
more), and the stored passage id (how a document number finds its row). Each report is also one document of
``kind=report``. Each generation's counting arrays and store (:mod:`search.arrays`, :mod:`search.store`:
the passages' text and the reports' metadata, which Whoosh no longer stores) are the folder ``arrays-N``
(N: the generation's number), written before the commit's table of contents and removed with that
generation's segments.
"""

from __future__ import annotations

import math
import os
import re
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index
from whoosh import writing
from whoosh.analysis import Token, Tokenizer
from whoosh.fields import ID, TEXT, Schema
from whoosh.index import LockError
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.reading import TermNotFound
from whoosh.system import pack_uint

from search.analysis import char_tokens, fold, fold_with_extents, segment
from search.arrays import (
    GenerationArrays,
    StoredReports,
    arrays_folder,
    fold_passages,
    kept_indexes,
    load_arrays,
    remove_arrays,
    write_arrays,
)
from search.contract import OldIndexError, Snapshot, index_busy, no_index, ready
from search.memory import MemorySnapshot
from search.models import Report
from search.reuse import reuse_folder
from search.reuse_build import reuse_beside
from search.subprocesses import die_with_parent

HEADING_BOOST = 2.0
BM25_K1 = 1.2
BM25_B = 0.75
POSTINGS_CACHE_TERMS = 4096
WRITER_PROCS = 2  # both cores of the target machine
WRITER_MEMORY_MB = 256
WRITE_LOCK_WAIT_S = 2.0  # how long a second writer waits for the first before giving up
SNAPSHOT_OPEN_TRIES = 5  # a reader racing a commit that deletes old segments retries on the new generation


class FoldingTokenizer(Tokenizer):
    """Folds the value, then emits one token per span that ``spans`` finds, to Whoosh's keyword contract.

    ``pos`` is the token's index (so phrase queries work), ``startchar``/``endchar`` are offsets in the
    *original* value (so highlighting marks what the user sees). One :class:`Token` is reused.
    """

    def __init__(self, spans: Callable[[str], list[tuple[str, int, int]]]) -> None:
        self.spans = spans

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and other.spans is self.spans

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = value
            t.boost = 1.0
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar = start_char
                t.endchar = start_char + len(value)
            yield t
            return
        folded, origin, ends = fold_with_extents(value)
        for pos, (text, start, end) in enumerate(self.spans(folded), start=start_pos):
            t.text = text
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = value[origin[start] : ends[end - 1]]
            if positions:
                t.pos = pos
            if chars:
                t.startchar = start_char + origin[start]
                t.endchar = start_char + ends[end - 1]
            yield t


@lru_cache(maxsize=8)
def _folded(value: str) -> str:
    # The chars and words fields index the same passage text one after the other: fold it once.
    return fold(value)


def _token_texts(value: str, kind: str) -> tuple[str, ...]:
    folded = _folded(value)
    spans = char_tokens(folded) if kind == "chars" else segment(folded)
    return tuple(text for text, _, _ in spans)


class FoldedTextField(TEXT):
    """A TEXT field whose indexing skips the per-token object pipeline (the hot path of building an index).

    It yields exactly what the analyzer's tokens would give (same terms, frequencies, positions as
    token indexes); the analyzer remains for anything else Whoosh tokenizes (queries, highlighting).
    """

    def __init__(self, kind: str, phrase: bool, field_boost: float = 1.0) -> None:
        spans = char_tokens if kind == "chars" else segment
        super().__init__(analyzer=FoldingTokenizer(spans), phrase=phrase, field_boost=field_boost)
        self.kind = kind

    def index(self, value, **kwargs):
        positions: dict[str, list[int]] = defaultdict(list)
        for pos, term in enumerate(_token_texts(value, self.kind)):
            positions[term].append(pos)
        fmt = self.format
        boost = fmt.field_boost
        with_positions = fmt.supports("positions")
        for term, poslist in positions.items():
            freq = len(poslist)
            encoded = fmt.encode(poslist) if with_positions else pack_uint(freq)
            yield term.encode("utf-8"), freq, freq * boost, encoded


def schema() -> Schema:
    return Schema(
        kind=ID(stored=True),
        report_id=ID(stored=True),
        passage_id=ID(stored=True, unique=True),
        chars=FoldedTextField("chars", phrase=True),
        words=FoldedTextField("words", phrase=False),
        heading_words=FoldedTextField("words", phrase=False, field_boost=HEADING_BOOST),
    )


class _WriterTask(SubWriterTask):
    """A writer subprocess that dies with the indexing process, even on SIGKILL (Linux).

    An orphaned task would keep the index's write lock (it inherits the lock's file descriptor) and block every
    later run; it would also go on writing segment files that nothing will commit.
    """

    def __init__(self, *args, parent_pid: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.parent_pid = parent_pid

    def run(self):
        die_with_parent(self.parent_pid)
        super().run()


class _Writer(MpWriter):
    def _commit_toc(self, segments):
        super()._commit_toc(segments)
        # Old generations' arrays go with their segments, while this writer still holds the lock.
        remove_arrays(Path(self.storage.folder), keep=self.generation)

    def _new_task(self):
        task = _WriterTask(
            self.storage,
            self.indexname,
            self.jobqueue,
            self.resultqueue,
            self.subargs,
            self.multisegment,
            parent_pid=os.getpid(),
        )
        self.tasks.append(task)
        task.start()
        return task

    def cancel(self):
        # whoosh's cancel() only flags its copies of the tasks, in this process: a task already started waits
        # on the job queue for ever (and the interpreter, joining it at exit, with it). Stop them; what they
        # wrote is never committed and goes with the next writer's clean-up.
        try:
            for task in self.tasks:
                task.kill()
                task.join()
        finally:
            writing.SegmentWriter.cancel(self)


_STALE_TOC = re.compile(r"^_\w+_\d+\.toc\.[\d.]+$")


def _remove_stale_temp_files(index_dir: Path) -> None:
    """Temporary tables of contents a killed writer left behind, which Whoosh's own clean-up does not recognise.

    Called while holding the write lock, so no live writer owns them. Uncommitted segment files and the
    writer's temporary folder are removed by Whoosh itself at the next commit.
    """
    for entry in index_dir.iterdir():
        if _STALE_TOC.match(entry.name):
            try:
                entry.unlink()
            except OSError:
                pass


def write_reports(
    index_dir: Path, reports: Iterable[Report], replace_all: bool = True, remove: Iterable[str] = ()
) -> None:
    """Add ``reports`` to the index at ``index_dir`` (created if need be) in one commit.

    With ``replace_all`` the commit replaces every earlier document; otherwise each report given replaces
    its earlier version and the report ids in ``remove`` are deleted. Readers keep seeing the previous
    generation until the commit is complete (the new table of contents is renamed into place), so a crash or
    SIGKILL at any moment leaves the last good index in place; its leftovers are removed by the next run.
    Raises :class:`BlockingIOError` when another process is writing the index.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    if whoosh_index.exists_in(str(index_dir)):
        ix = whoosh_index.open_dir(str(index_dir))
    else:
        ix = whoosh_index.create_in(str(index_dir), schema())
    try:
        writer = _Writer(
            ix,
            procs=WRITER_PROCS,
            multisegment=True,
            limitmb=WRITER_MEMORY_MB,
            timeout=WRITE_LOCK_WAIT_S,
            delay=0.1,
        )
    except LockError:
        raise index_busy(index_dir) from None
    reports = list(reports)
    try:
        _remove_stale_temp_files(index_dir)
        folded = fold_passages(reports)
        folder = arrays_folder(index_dir, writer.generation)
        if replace_all:
            write_arrays(folder, reports, folded)
        else:  # the reports this commit keeps are copied from the previous generation's arrays
            previous = _arrays_of(whoosh_index.open_dir(str(index_dir)), index_dir)
            gone = set(remove) | {r.report_id for r in reports}
            write_arrays(folder, reports, folded, previous=previous, keep=kept_indexes(previous, gone))
        folded.clear()  # the arrays hold it now (whoosh analyses the original text itself)
        with reuse_beside(reuse_folder(index_dir, writer.generation), folder):
            if not replace_all:
                for rid in remove:
                    writer.delete_by_term("report_id", rid)
            for report in reports:
                if not replace_all:
                    writer.delete_by_term("report_id", report.report_id)
                writer.add_document(kind="report", report_id=report.report_id)
                for p in report.passages:
                    writer.add_document(
                        kind="passage",
                        report_id=report.report_id,
                        passage_id=p.passage_id,
                        chars=p.text,
                        words=p.text,
                        heading_words=p.own_heading(),
                    )
    except BaseException:
        writer.cancel()
        raise
    writer.commit(mergetype=writing.CLEAR if replace_all else None)


def _arrays_of(ix, index_dir: Path) -> GenerationArrays:
    """The arrays and store of the index's latest generation. Raises :class:`OldIndexError` when an earlier
    version wrote it (no store), or FileNotFoundError when a commit replaced that generation meanwhile."""
    generation = ix.latest_generation()
    arrays = load_arrays(arrays_folder(index_dir, generation))
    if arrays is not None:
        return arrays
    if whoosh_index.open_dir(str(index_dir)).latest_generation() != generation:
        raise FileNotFoundError(f"generation {generation} of the index in {index_dir} was replaced")
    raise OldIndexError(
        f"the index in {index_dir} has no store of passages (an earlier version built it, or it is damaged): "
        "rebuild it with `fazhi index CORPUS_DIR --rebuild`"
    )


class WhooshSnapshot(MemorySnapshot):
    """A :class:`Snapshot` read from one Whoosh generation, with postings and BM25 from its searcher; its
    passages and reports are read from the generation's store."""

    def __init__(self, ix, index_dir: Path) -> None:
        generation = ix.latest_generation()
        super().__init__(_arrays_of(ix, index_dir))
        self.generation = generation
        self._searcher = ix.searcher()
        # Close the segment files when the snapshot is dropped (a newer generation replaced it and no request
        # holds it any more), not when the garbage collector happens upon the open files.
        weakref.finalize(self, self._searcher.close)
        reader = self._searcher.reader()
        # Document number -> row (-1: a report's document), as an array: the passage ids Whoosh stores, in
        # the order of their bytes, are the store's ids in its sorted order.
        found = sorted(
            (fields["passage_id"].encode(), docnum)
            for docnum, fields in reader.iter_docs()
            if fields.get("kind") == "passage"
        )
        if len(found) != self.store.rows:
            raise OldIndexError(f"the index in {index_dir} and its store disagree: rebuild it with --rebuild")
        docnums = np.fromiter((d for _, d in found), dtype=np.int64, count=len(found))
        del found
        self._docnum_row = np.full(reader.doc_count_all(), -1, dtype=np.int64)
        self._docnum_row[docnums] = self.store.passage_id_order
        self._row_docnum = np.empty(len(docnums), dtype=np.int64)
        self._row_docnum[self.store.passage_id_order] = docnums
        self._postings_cache: dict[tuple[str, str], dict[int, float]] = {}
        self._words_len = self._field_lengths(reader, "words")
        self._heading_len = self._field_lengths(reader, "heading_words")
        self._words_avg = max(1.0, float(self._words_len.mean()) if len(self._words_len) else 1.0)
        self._heading_avg = max(1.0, float(self._heading_len.mean()) if len(self._heading_len) else 1.0)

    def _field_lengths(self, reader, field: str) -> np.ndarray:
        return np.fromiter(
            (reader.doc_field_length(int(d), field, 0) or 0 for d in self._row_docnum),
            dtype=np.int64,
            count=len(self._row_docnum),
        )

    def _postings(self, field: str, term: str) -> dict[int, float]:
        """Row -> weight (term frequency times field boost) for one term, cached for this generation."""
        key = (field, term)
        cached = self._postings_cache.get(key)
        if cached is None:
            cached = {}
            row_of, n = self._docnum_row, len(self._docnum_row)
            for docnum, weight in _read_postings(self._searcher.reader(), field, term):
                row = int(row_of[docnum]) if docnum < n else -1
                if row >= 0:
                    cached[row] = weight
            if len(self._postings_cache) >= POSTINGS_CACHE_TERMS:
                self._postings_cache.pop(next(iter(self._postings_cache)))
            self._postings_cache[key] = cached
        return cached

    def char_rows(self, ch: str) -> Iterable[int]:
        return self._postings("chars", ch).keys()

    def char_frequency(self, ch: str) -> int:
        return self._searcher.reader().doc_frequency("chars", ch)

    def rank(self, words: list[str], rows: set[int]) -> dict[int, float]:
        """BM25 (k1=1.2, b=0.75) over the words and heading_words fields, summed, for the given rows only."""
        scores: dict[int, float] = {}
        n = max(1, len(self.passages))
        for field, lengths, avg in (
            ("words", self._words_len, self._words_avg),
            ("heading_words", self._heading_len, self._heading_avg),
        ):
            for word in dict.fromkeys(words):
                postings = self._postings(field, word)
                if not postings:
                    continue
                df = len(postings)
                idf = math.log((n - df + 0.5) / (df + 0.5) + 1.0)
                small, large = (rows, postings) if len(rows) < len(postings) else (postings.keys(), rows)
                for r in small:
                    if r in large:
                        w = postings[r]
                        norm = BM25_K1 * (1 - BM25_B + BM25_B * int(lengths[r]) / avg)
                        scores[r] = scores.get(r, 0.0) + idf * w * (BM25_K1 + 1) / (w + norm)
        return scores


def _read_postings(reader, field: str, term: str) -> Iterable[tuple[int, float]]:
    """Every (docnum, weight) of a term across segments, a block at a time where the codec allows."""
    try:
        leaves = reader.leaf_readers()
    except AttributeError:
        leaves = [(reader, 0)]
    for leaf, offset in leaves:
        try:
            m = leaf.postings(field, term)
        except TermNotFound:
            continue
        if hasattr(m, "_read_ids") and hasattr(m, "_next_block"):
            # Whoosh's leaf matcher decodes a block of ids and weights at once; walking it per
            # posting through the public API costs several method calls per posting.
            while m.is_active():
                m._read_ids()
                m._read_weights()
                yield from zip((d + offset for d in m._ids), m._weights, strict=False)
                m._next_block()
        else:  # a filtered matcher (segment with deletions): ids of deleted documents are left out
            while m.is_active():
                yield m.id() + offset, m.weight()
                m.next()


class WhooshEngine(StoredReports):
    """Opens the index at ``index_dir`` and hands out the snapshot of its latest committed generation.

    A newer generation (a finished re-index) is picked up on the next call without a restart.
    """

    def __init__(self, index_dir: Path, cache_size: int = 0) -> None:
        self.index_dir = Path(index_dir)
        self.cache_size = cache_size
        self._lock = threading.Lock()
        self._snapshot: WhooshSnapshot | None = None

    def exists(self) -> bool:
        return whoosh_index.exists_in(str(self.index_dir))

    def _arrays(self) -> GenerationArrays:
        if not self.exists():
            raise no_index(self.index_dir)
        return _arrays_of(whoosh_index.open_dir(str(self.index_dir)), self.index_dir)

    def snapshot(self) -> Snapshot:
        return self._open(serve=True)

    def _open(self, serve: bool) -> WhooshSnapshot:
        if not self.exists():
            raise no_index(self.index_dir)
        with self._lock:
            for attempt in range(SNAPSHOT_OPEN_TRIES):
                try:
                    return self._latest(serve)
                except OldIndexError:
                    raise
                except (OSError, whoosh_index.EmptyIndexError):
                    # A commit in another process deleted the segments of the generation just opened.
                    if attempt == SNAPSHOT_OPEN_TRIES - 1:
                        raise
                    time.sleep(0.05 * (attempt + 1))
        raise FileNotFoundError(f"the index in {self.index_dir} could not be opened")

    def _latest(self, serve: bool) -> WhooshSnapshot:
        ix = whoosh_index.open_dir(str(self.index_dir))
        current = self._snapshot
        if current is not None and current.generation == ix.latest_generation():
            return current
        if not serve:
            return WhooshSnapshot(ix, self.index_dir)
        # The old snapshot is not closed here: a request on another thread may still hold it (its segment
        # files stay readable after a commit unlinks them, because its searcher holds them open).
        self._snapshot = ready(WhooshSnapshot(ix, self.index_dir), self.cache_size)
        return self._snapshot


def engine(index_dir: Path, cache_size: int) -> WhooshEngine:
    """The engine-module entry point (see :mod:`search.engines`)."""
    return WhooshEngine(index_dir, cache_size)


def holds_index(index_dir: Path) -> bool:
    """Whether ``index_dir`` holds a Whoosh index (a table of contents, one per generation)."""
    return any(Path(index_dir).glob("_MAIN_*.toc"))
