"""The Sphinx/Manticore engine: passages in RT tables spread over the nodes of a cluster, asked in SphinxQL.

What lives where. As for every engine the index folder holds the store (:mod:`search.store`, the passages'
text and the reports' metadata) and the counting arrays of each generation, and one commit file,
``sphinx.json``, naming the committed generation: its number, its arrays folder, the nodes it was written to
(``FAZHI_SPHINX_HOSTS``) and the index's *space* (a random number: many index folders share one cluster, each
keeps to its space). The cluster holds one document per passage in the RT table ``fazhi_rt`` of one node,
chosen by a hash of its report id; each node's distributed table ``fazhi`` covers its own shard and the
others' as agents, so a search asks one node and that node asks the rest.

A document carries ``chars`` (the folded text, one token per character: the CJK characters themselves, ASCII
letters and digits as private-use characters, every other character as one private-use mark, so positions
are consecutive characters and a quoted phrase of them is exact; a literal holding another character is
matched as the phrase with that mark and verified in the store's folded text), ``words`` and
``heading_words`` (our own jieba words, as ASCII tokens: what relevance ranks by), ``present`` (one token
every passage holds, for queries of exclusions only) and attributes for filters, facets and order.

Generations. RT tables have no commit across many documents, so each document carries the generation it was
born in and the one it died in (``born``, ``died``; alive: :data:`ALIVE`) and every search keeps to
``born <= G < died`` for the committed generation G named by the commit file. A writer of generation G+1
first undoes what a killed writer left (documents born after G deleted, deaths after G revived) and removes
documents dead by G; it then marks the documents it replaces as dead in G+1, inserts the new ones as born in
G+1, flushes every node's table to disk, writes the arrays and finally renames the new commit file into
place. Until that rename readers search G, which none of this changes; a writer killed at any moment leaves
G searchable and its leftovers are undone by the next run. (One table per generation would need a config
change and restart of every node per commit on Sphinx 2.2, which has no CREATE TABLE.)

Searching. A query whose literals are all exact phrases is answered by the cluster alone: facets and the
exact total by GROUP BY on numeric attributes (``max_matches`` sized to hold every group, so counts are exact
at any size), the page by ORDER BY with the ranker over the words fields. Other queries (proximity, a
literal with punctuation) fetch the candidates of a wider query and verify them in the folded text, then
count and order them as the in-memory execution does.

Failures: a node that cannot be reached, or an agent that does not answer, is an error naming it
(:class:`EngineUnavailable`, answered 503 by the site); no partial results: a count shown must be exact.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import random
import re
import threading
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from search.analysis import fold_with_offsets, segment
from search.arrays import (
    GenerationArrays,
    StoredReports,
    arrays_folder,
    fold_passages,
    generation_order,
    kept_indexes,
    load_arrays,
    remove_arrays,
    write_arrays,
)
from search.contract import (
    EngineUnavailable,
    Execution,
    OldIndexError,
    Snapshot,
    index_busy,
    make_hits,
    no_index,
    ready,
)
from search.counting import facet_lists
from search.memory import execute_rows, matching_rows, verified_report_matches
from search.models import DOC_TYPES, REGION_LEVELS, SECTIONS, FacetValue, Report, SearchRequest
from search.models import region_keys as facet_keys
from search.query import And, Near, Not, Or, ParsedQuery, Term
from search.query import Node as QueryNode
from search.reuse import reuse_folder
from search.reuse_build import reuse_beside
from search.settings import PREFIX, get
from search.sphinx_cluster import DISTRIBUTED, TABLE
from search.store import fast_key
from search.tantivy_engine import TantivySnapshot, _attr_facets, attr_code, region_key

COMMIT_FILE = "sphinx.json"
_WRITER_LOCK = ".sphinx-writer.lock"
ALIVE = 4_294_967_295  # ``died`` of a document no generation has replaced
SENTINEL = "\ue0ff"  # every folded character that is neither CJK nor an ASCII letter or digit
PRESENT = "present"  # the token of the ``present`` field
CONNECT_TIMEOUT_S = 3
READ_TIMEOUT_S = 60
INSERT_BATCH_BYTES = 4_000_000  # under the nodes' max_packet_size
WORDS_WEIGHT, HEADING_WEIGHT = 1000, 2000  # a heading's words weigh double; the characters next to nothing


# --- what the index receives: pure functions on strings -----------------------------------------------------


def _is_cjk(c: str) -> bool:
    o = ord(c)
    return 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF


def char_field(folded: str) -> str:
    """The ``chars`` field of folded text: CJK characters kept, ASCII letters and digits moved to private use,
    anything else one mark, so every character is one n-gram token.

    >>> char_field("2024年，法治") == "\\ue032\\ue030\\ue032\\ue034年\\ue0ff法治"
    True
    """
    out = []
    for c in folded:
        if _is_cjk(c):
            out.append(c)
        elif c.isascii() and c.isalnum():
            out.append(chr(0xE000 + ord(c)))
        else:
            out.append(SENTINEL)
    return "".join(out)


def literal_phrase(literal: str) -> tuple[str, bool]:
    """The ``chars`` phrase of a folded literal and whether it is exact (it holds no mark standing for many
    characters): ``literal_phrase("复议")`` → ``('(@chars "复议")', True)``; ``"行政,复议"`` is not exact."""
    chars = char_field(literal)
    return f'(@chars "{chars}")', SENTINEL not in chars


def word_token(word: str) -> str:
    """A jieba word as one ASCII token of the words fields: ``word_token("法治")`` → ``'w'`` and base-36 digits."""
    n = int(hashlib.blake2b(word.encode(), digest_size=8).hexdigest(), 16) >> 4
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = []
    while n:
        n, d = divmod(n, 36)
        out.append(digits[d])
    return "w" + "".join(reversed(out))


def words_field(folded: str) -> str:
    """The words field of folded text: its jieba words as tokens."""
    return " ".join(word_token(w) for w, _, _ in segment(folded))


def compile_node(node: QueryNode) -> tuple[str, bool]:
    """A query tree in Sphinx's full-text syntax, and whether the cluster's matches are exactly its matches.

    Otherwise the expression matches a superset (a literal with a mark, a proximity pair as both literals, an
    exclusion of something inexact as everything), to be verified in folded text.

    >>> compile_node(And((Term("法治"), Not(Term("复议")))))
    ('((@chars "法治") -(@chars "复议"))', True)
    >>> compile_node(Near("枫桥", "经验", 5))
    ('((@chars "枫桥") (@chars "经验"))', False)
    """
    if isinstance(node, Term):
        return literal_phrase(node.literal)
    if isinstance(node, Near):
        left, _ = literal_phrase(node.left)
        right, _ = literal_phrase(node.right)
        return f"({left} {right})", False
    if isinstance(node, Not):
        inner, exact = compile_node(node.child)
        if not exact:
            return f"(@{PRESENT} {PRESENT})", False
        return f"(@{PRESENT} {PRESENT} -{inner})", True
    if isinstance(node, Or):
        parts = [compile_node(c) for c in node.children]
        return "(" + " | ".join(p for p, _ in parts) + ")", all(e for _, e in parts)
    assert isinstance(node, And)
    positive = [compile_node(c) for c in node.children if not isinstance(c, Not)]
    negative = [compile_node(c.child) for c in node.children if isinstance(c, Not)]
    exact = all(e for _, e in positive) and all(e for _, e in negative)
    parts = [p for p, _ in positive] or [f"(@{PRESENT} {PRESENT})"]
    parts += [f"-{p}" for p, e in negative if e]  # an inexact exclusion is left to verification
    return "(" + " ".join(parts) + ")", exact


def ranked_match(match: str | None, words: list[str]) -> str | None:
    """The match expression with the query's jieba words as optional terms: they rank, they do not filter.

    Written ``A | (A W)`` rather than ``A MAYBE W``: Sphinx 2.2.11's MAYBE drops matches of A without W."""
    if not words or match is None:
        return match
    tokens = " | ".join(dict.fromkeys(word_token(w) for w in words))
    return f"{match} | ({match} (@(words,heading_words) ({tokens})))"


def signed(key: int) -> int:
    """A 64-bit key as Sphinx's signed BIGINT (our keys are 60-bit: unchanged)."""
    return key - (1 << 64) if key >= 1 << 63 else key


# --- the cluster: hosts, dialect, connections -------------------------------------------------------------


def parse_hosts(value: str) -> list[tuple[str, int]]:
    """``"127.0.0.1:9306,10.0.0.2:9306"`` → ``[("127.0.0.1", 9306), ("10.0.0.2", 9306)]`` (port 9306 by default)."""
    hosts = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        host, _, port = part.rpartition(":") if ":" in part else (part, "", "9306")
        try:
            hosts.append((host, int(port)))
        except ValueError:
            raise ValueError(f"setting FAZHI_SPHINX_HOSTS: {part!r} is not host:port") from None
    if not hosts:
        raise ValueError("setting FAZHI_SPHINX_HOSTS names no node")
    return hosts


def _address(host: tuple[str, int]) -> str:
    return f"{host[0]}:{host[1]}"


@dataclass(frozen=True)
class Dialect:
    """What differs between Sphinx 2.2.11 and Manticore Search, in one place (the rest of the SphinxQL here is
    accepted by both): the ranker, and how a failing agent shows."""

    name: str

    @classmethod
    def of(cls, server_version: str) -> Dialect:
        return cls("sphinx" if server_version.startswith("2.") else "manticore")

    def ranking(self) -> str:
        # Occurrences of the query's words per field, saturating as BM25's term frequency does (k1 = 1.2), a
        # heading's words weighing double. No IDF: each shard computes its own (Sphinx 2.2 has no global IDF
        # without a prepared file), which would make scores from different shards incomparable; and every
        # match holds every positive literal, so IDF separates little among matches.
        weights = f"field_weights=(chars=1, {PRESENT}=1, words={WORDS_WEIGHT}, heading_words={HEADING_WEIGHT})"
        return f"ranker=expr('sum(user_weight*hit_count*2.2/(hit_count+1.2))*1000'), {weights}"

    def failed_agent(self, message: str) -> str | None:
        """The agent named by a warning or error that says it failed (``agent HOST:PORT: …``), else None."""
        m = re.search(r"agent ([^\s:]+:\d+)", message)
        return m.group(1) if m else None


_IDLE: dict[tuple[str, int], list] = {}  # idle connections by node
_IDLE_LOCK = threading.Lock()
IDLE_CONNECTIONS = 8  # kept per node and process
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sphinx-search")


def _pymysql():
    import pymysql  # only this engine needs it

    return pymysql


def connect(host: tuple[str, int]):
    """A fresh connection to one node, or :class:`EngineUnavailable` naming it."""
    pymysql = _pymysql()
    try:
        return pymysql.connect(
            host=host[0],
            port=host[1],
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_S,
            read_timeout=READ_TIMEOUT_S,
            write_timeout=READ_TIMEOUT_S,
            charset="utf8",
        )
    except pymysql.err.OperationalError as e:
        raise EngineUnavailable(f"sphinx node {_address(host)} is unreachable: {e.args[-1]}") from None


class ClusterNode:
    """One node of the cluster: statements on idle connections kept for it (shared by the threads and
    greenlets of a process; a connection is used by one at a time), made again after a failure; every
    statement's failure is an :class:`EngineUnavailable` naming the node."""

    def __init__(self, host: tuple[str, int]) -> None:
        self.host = host

    def _acquire(self):
        with _IDLE_LOCK:
            idle = _IDLE.setdefault(self.host, [])
            if idle:
                return idle.pop()
        return connect(self.host)

    def _release(self, conn) -> None:
        with _IDLE_LOCK:
            idle = _IDLE.setdefault(self.host, [])
            if len(idle) < IDLE_CONNECTIONS:
                idle.append(conn)
                return
        conn.close()

    @property
    def dialect(self) -> Dialect:
        conn = self._acquire()
        try:
            return Dialect.of(conn.get_server_info())
        finally:
            self._release(conn)

    def run(self, sql: str, args: Sequence | None = None, meta: bool = False) -> tuple[list[tuple], dict[str, str]]:
        """The rows of one statement and, with ``meta``, its ``SHOW META`` (an agent's failure raised)."""
        rows, info, _ = self.statement(sql, args, meta)
        return rows, info

    def statement(self, sql: str, args: Sequence | None = None, meta: bool = False) -> tuple[list, dict, int]:
        """The rows, ``SHOW META`` (with ``meta``) and number of rows affected of one statement."""
        pymysql = _pymysql()
        for attempt in (0, 1):
            conn = self._acquire()
            try:
                with conn.cursor() as cur:
                    affected = cur.execute(sql, args)
                    rows = list(cur.fetchall())
                    info: dict[str, str] = {}
                    if meta:
                        cur.execute("SHOW META")
                        info = {str(k): str(v) for k, v in cur.fetchall()}
                self._release(conn)
                return rows, info, int(affected or 0)
            except (pymysql.err.OperationalError, pymysql.err.InterfaceError) as e:
                with _IDLE_LOCK:  # a node restarted closed them all: none is worth a try
                    broken = [conn, *_IDLE.pop(self.host, [])]
                for c in broken:
                    try:
                        c.close()
                    except Exception:  # noqa: BLE001 - the connection is broken already
                        pass
                agent = Dialect("").failed_agent(str(e))
                if agent:
                    raise _agent_failed(agent, self.host, e) from None
                if attempt:  # a connection the node closed (restarted): once more on a fresh one, then give up
                    raise EngineUnavailable(f"sphinx node {_address(self.host)} failed: {e.args[-1]}") from None
            except pymysql.err.ProgrammingError as e:
                self._release(conn)  # the statement failed, not the connection
                agent = Dialect("").failed_agent(str(e))
                if agent:
                    raise _agent_failed(agent, self.host, e) from None
                raise
        raise AssertionError("unreachable")


def _agent_failed(agent: str, host: tuple[str, int], e: Exception) -> EngineUnavailable:
    return EngineUnavailable(f"sphinx node {agent} (asked by {_address(host)}) failed: {e}")


def _check_agents(info: dict[str, str], node: ClusterNode) -> None:
    warning = info.get("warning", "")
    agent = Dialect("").failed_agent(warning) if warning else None
    if agent:
        raise EngineUnavailable(
            f"sphinx node {agent} (a shard asked by {_address(node.host)}) did not answer: {warning}; "
            "no partial results are given"
        )


# --- the commit file -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Commit:
    generation: int
    space: int
    arrays: str
    hosts: tuple[tuple[str, int], ...]

    @classmethod
    def read(cls, index_dir: Path) -> Commit | None:
        try:
            data = json.loads((Path(index_dir) / COMMIT_FILE).read_text())
        except FileNotFoundError:
            return None
        return cls(data["generation"], data["space"], data["arrays"], tuple(tuple(h) for h in data["hosts"]))

    def write(self, index_dir: Path) -> None:
        """Atomically: written beside, flushed, renamed into place."""
        tmp = Path(index_dir) / f".{COMMIT_FILE}.tmp"
        data = {"generation": self.generation, "space": self.space, "arrays": self.arrays, "hosts": self.hosts}
        with open(tmp, "w") as f:
            f.write(json.dumps(data))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, Path(index_dir) / COMMIT_FILE)


def _stamp(index_dir: Path) -> tuple[int, int] | None:
    try:
        st = (Path(index_dir) / COMMIT_FILE).stat()
    except FileNotFoundError:
        return None
    return st.st_mtime_ns, st.st_ino


def configured_hosts(commit: Commit | None) -> list[tuple[str, int]]:
    """The nodes to write to: ``FAZHI_SPHINX_HOSTS`` when set, else those the index was written to."""
    explicit = os.environ.get(PREFIX + "SPHINX_HOSTS")
    if explicit or commit is None:
        return parse_hosts(get("SPHINX_HOSTS"))
    return [tuple(h) for h in commit.hosts]  # type: ignore[misc]


def shard_of(report_id: str, shards: int) -> int:
    """The node a report's passages go to: a hash of its id (stable across runs and machines)."""
    return fast_key(report_id) % shards


# --- writing -------------------------------------------------------------------------------------------------

_COLUMNS = (
    "id, chars, words, heading_words, present, space, born, died, pkey, report, region, attr_code, year, "
    "section, doc_type, order_key, region_sort"
)


def _document_id(space: int, generation: int, passage_id: str) -> int:
    digest = hashlib.blake2b(f"{space}\x1f{generation}\x1f{passage_id}".encode(), digest_size=8).digest()
    return (int.from_bytes(digest, "big") >> 1) or 1


def _repeat(node: ClusterNode, sql: str) -> None:
    """An UPDATE or DELETE by attributes until it touches nothing (a node may apply one to a bounded number
    of matches at a time)."""
    for _ in range(10_000):
        if not node.statement(sql)[2]:
            return


def write_reports(
    index_dir: Path, reports: Iterable[Report], replace_all: bool = True, remove: Iterable[str] = ()
) -> None:
    """Write ``reports`` as the next generation (see the module's docstring for why a killed writer leaves
    the previous one searchable). Raises :class:`BlockingIOError` when another process is writing the index."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / _WRITER_LOCK, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise index_busy(index_dir) from None
        _write_locked(index_dir, list(reports), replace_all, list(remove))


def _write_locked(index_dir: Path, reports: list[Report], replace_all: bool, remove: list[str]) -> None:
    commit = Commit.read(index_dir)
    hosts = configured_hosts(commit)
    if commit is not None and list(commit.hosts) != hosts and not replace_all:
        raise ValueError(
            f"the index in {index_dir} lives on {','.join(map(_address, commit.hosts))}, not "
            f"{','.join(map(_address, hosts))}: rebuild it there with `fazhi index CORPUS_DIR --rebuild`"
        )
    previous = None
    if commit is not None and not replace_all:
        previous = load_arrays(arrays_folder(index_dir, commit.arrays))
        if previous is None:
            raise OldIndexError(f"the index in {index_dir} has lost its store: rebuild it with --rebuild")
    space = commit.space if commit is not None else random.randrange(1, 1 << 31)
    current = commit.generation if commit is not None else 0
    new = current + 1
    nodes = [ClusterNode(h) for h in hosts]
    base = f"space={space}"
    for node in nodes:  # undo a killed writer's work, and drop what no generation from G on can see
        _repeat(node, f"DELETE FROM {TABLE} WHERE {base} AND born>{current}")
        _repeat(node, f"UPDATE {TABLE} SET died={ALIVE} WHERE {base} AND died>{current} AND died<{ALIVE}")
        _repeat(node, f"DELETE FROM {TABLE} WHERE {base} AND died<={current}")
    if replace_all:
        for node in nodes:
            _repeat(node, f"UPDATE {TABLE} SET died={new} WHERE {base} AND died={ALIVE}")
    else:
        gone = sorted({signed(fast_key(rid)) for rid in [*remove, *(r.report_id for r in reports)]})
        for i in range(0, len(gone), 1000):
            keys = ",".join(map(str, gone[i : i + 1000]))
            for node in nodes:
                _repeat(node, f"UPDATE {TABLE} SET died={new} WHERE {base} AND died={ALIVE} AND report IN ({keys})")
    folded = fold_passages(reports)
    name = uuid.uuid4().hex[:16]
    folder = arrays_folder(index_dir, name)
    if previous is None:
        write_arrays(folder, reports, folded)
    else:  # the reports this commit keeps are copied from the previous generation's arrays
        gone_ids = set(remove) | {r.report_id for r in reports}
        write_arrays(folder, reports, folded, previous=previous, keep=kept_indexes(previous, gone_ids))
    with reuse_beside(reuse_folder(index_dir, name), folder):
        batches: list[list[tuple]] = [[] for _ in nodes]
        sizes = [0] * len(nodes)
        for report in generation_order(reports):
            shard = shard_of(report.report_id, len(nodes))
            for p in report.passages:
                text = folded[p.passage_id]
                row = _document(space, new, report, p.passage_id, p.number, p.section, p.own_heading(), text)
                batches[shard].append(row)
                sizes[shard] += 3 * len(text) + 200
                if sizes[shard] > INSERT_BATCH_BYTES:
                    _insert(nodes[shard], batches[shard])
                    batches[shard], sizes[shard] = [], 0
        folded.clear()
        for node, batch in zip(nodes, batches, strict=True):
            _insert(node, batch)
        for node in nodes:  # on disk before the commit names the generation
            node.run(f"FLUSH RTINDEX {TABLE}")
    Commit(new, space, name, tuple(hosts)).write(index_dir)
    remove_arrays(index_dir, keep=name)


def _document(
    space: int, generation: int, report: Report, passage_id: str, number: int, section: str, heading: str, text: str
) -> tuple:
    heading_words = words_field(fold_with_offsets(heading)[0]) if heading else ""
    region = report.region
    return (
        _document_id(space, generation, passage_id),
        char_field(text),
        words_field(text),
        heading_words,
        PRESENT,
        space,
        generation,
        ALIVE,
        signed(fast_key(passage_id)),
        signed(fast_key(report.report_id)),
        signed(fast_key(region_key(region))),
        attr_code(report.year, section, report.doc_type),
        report.year or 0,
        SECTIONS.index(section),
        DOC_TYPES.index(report.doc_type),
        f"{report.source}\x1f{number:08d}",
        "\x1f".join(region.names()),
    )


def _insert(node: ClusterNode, rows: list[tuple]) -> None:
    if not rows:
        return
    one = "(" + ",".join(["%s"] * len(rows[0])) + ")"
    node.run(f"REPLACE INTO {TABLE} ({_COLUMNS}) VALUES " + ",".join([one] * len(rows)), [v for r in rows for v in r])


# --- reading -------------------------------------------------------------------------------------------------


class SphinxSnapshot(Snapshot):
    """One committed generation: matching, filters, facet counts and order asked of the cluster (through the
    distributed table of the first node that answers); passages, reports and folded text from the store."""

    def __init__(self, commit: Commit, stamp: object, arrays: GenerationArrays) -> None:
        super().__init__(arrays)
        self.commit = commit
        self.generation = stamp
        self._nodes = [ClusterNode(h) for h in commit.hosts]
        self._base = f"space={commit.space} AND born<={commit.generation} AND died>{commit.generation}"
        # Region hashes (what documents carry) → the store's region numbers, and facet keys numbered in facet
        # order (level, then name), as the tantivy engine counts them.
        regions = self.region_list
        self._region_number = {signed(fast_key(region_key(r))): i for i, r in enumerate(regions)}
        level_rank = {level: i for i, level in enumerate(REGION_LEVELS)}
        keys_of_number = [facet_keys(r) for r in regions]
        keys = sorted({k for ks in keys_of_number for k in ks}, key=lambda k: (level_rank[k[0]], k[1], k[2] or ""))
        number = {k: i for i, k in enumerate(keys)}
        self._region_key_ids_of_number = [tuple(number[k] for k in ks) for ks in keys_of_number]
        self._region_columns = ([k[1] for k in keys], [k[0] for k in keys], [k[2] for k in keys])
        self._region_rank_base = [level_rank[level] << 48 for level, _, _ in keys]
        self._attr_bound = max(1, len(self.index_years) + 1) * len(SECTIONS) * len(DOC_TYPES)
        rows, _ = self._select(f"SELECT COUNT(*) FROM {DISTRIBUTED} WHERE {self._base}")
        found = int(rows[0][0]) if rows else 0
        if found != self.store.rows:
            raise OldIndexError(
                f"the cluster holds {found} of this index's {self.store.rows} passages (a node lost its tables?): "
                "rebuild it with `fazhi index CORPUS_DIR --rebuild`"
            )

    # The cluster.
    def _select(self, sql: str, args: Sequence | None = None) -> tuple[list[tuple], dict[str, str]]:
        """A SELECT on the distributed table of the first node that answers; a shard that fails is an error."""
        failure: EngineUnavailable | None = None
        for node in self._nodes:
            try:
                rows, info = node.run(sql, args, meta=True)
            except EngineUnavailable as e:
                if "asked by" in str(e):
                    raise
                failure = failure or e
                continue
            _check_agents(info, node)
            return rows, info
        assert failure is not None
        raise failure

    @property
    def dialect(self) -> Dialect:
        return self._nodes[0].dialect if self._nodes else Dialect("sphinx")

    def _where(self, match: str | None, extra: Sequence[str] = ()) -> tuple[str, list]:
        parts = ["MATCH(%s)"] if match else []
        parts += [self._base, *extra]
        return " AND ".join(parts), [match] if match else []

    def _filters(self, request: SearchRequest) -> dict[str, str]:
        filters = {}
        if request.regions:
            wanted = set(request.regions)
            keys = [k for k, i in self._region_number.items() if wanted & set(self.region_list[i].names())]
            filters["region"] = f"region IN ({','.join(map(str, keys or [0]))})"
        if request.years:
            filters["year"] = f"year IN ({','.join(str(int(y)) for y in request.years)})"
        if request.sections:
            filters["section"] = f"section IN ({','.join(str(SECTIONS.index(s)) for s in request.sections)})"
        if request.doc_types:
            filters["doc_type"] = f"doc_type IN ({','.join(str(DOC_TYPES.index(t)) for t in request.doc_types)})"
        return filters

    def _group(self, match: str | None, filters: Sequence[str], attribute: str, bound: int) -> dict[int, int]:
        where, args = self._where(match, filters)
        rows, _ = self._select(
            f"SELECT {attribute}, COUNT(*) c FROM {DISTRIBUTED} WHERE {where} GROUP BY {attribute} "
            f"LIMIT 0,{bound} OPTION max_matches={bound}, ranker=none",
            args,
        )
        return {int(k): int(n) for k, n in rows}

    def _all_rows(self, match: str | None, words: list[str] = ()) -> tuple[list[int], dict[int, float]]:
        """Every match of an expression (no filters) and its score."""
        limit = max(1, self.store.rows)
        ranked = ranked_match(match, list(words))
        where, args = self._where(ranked)
        options = f"max_matches={limit}" + (f", {self.dialect.ranking()}" if ranked else "")
        sql = f"SELECT pkey, WEIGHT() w FROM {DISTRIBUTED} WHERE {where} LIMIT 0,{limit} OPTION {options}"
        rows, _ = self._select(sql, args)
        found = self._rows([k for k, _ in rows])
        return found, {r: float(w) for r, (_, w) in zip(found, rows, strict=True)}

    def _rows(self, keys: list[int]) -> list[int]:
        if not keys:
            return []
        return self.store.rows_of_keys([k & ((1 << 64) - 1) for k in keys]).tolist()

    # The contract.
    def query_rows(self, parsed: ParsedQuery, limit: int) -> np.ndarray | None:
        if parsed.root is None:
            return np.arange(self.store.rows, dtype=np.int64) if self.store.rows <= limit else None
        match, exact = compile_node(parsed.root)
        if exact:
            where, args = self._where(match)
            _, info = self._select(
                f"SELECT pkey FROM {DISTRIBUTED} WHERE {where} LIMIT 0,1 OPTION ranker=none, max_matches=1", args
            )
            if int(info.get("total_found", 0)) > limit:
                return None
            rows = self._all_rows(match)[0]
        else:
            rows = sorted(matching_rows(self, parsed, set(self._all_rows(match)[0])))
            if len(rows) > limit:
                return None
        return np.sort(np.asarray(rows, dtype=np.int64))

    def execute(self, parsed: ParsedQuery, request: SearchRequest) -> Execution:
        match, exact = compile_node(parsed.root) if parsed.root is not None else (None, True)
        if not exact or request.reuse_filter:  # the reuse status is a row mask of ours, not a cluster attribute
            return self._execute_verified(parsed, request, match)
        filters = self._filters(request)
        # The page (and its hits) on another thread and connection while this one counts: the nodes answer
        # both at once, and the round trips overlap.
        paging = _POOL.submit(self._page, match, filters, request, parsed)
        facets, total = self._counts(match, filters, request)
        rows, scores, report_matches, hits = paging.result()
        return Execution(total=total, rows=rows, facets=facets, scores=scores, report_matches=report_matches, hits=hits)

    def _page(
        self, match: str | None, filters: dict[str, str], request: SearchRequest, parsed: ParsedQuery
    ) -> tuple[list[int], dict[int, float], dict[int, int], list]:
        start = (request.page - 1) * request.per_page
        if request.group:
            page = self._grouped_page(match, filters, request, parsed, start)
        else:
            page = self._ordered_page(match, filters, request, parsed, start, request.per_page)
        rows = [r for _, r in page]
        scores = {r: s for s, r in page}
        report_matches = verified_report_matches(self, parsed, request, rows)
        return rows, scores, report_matches, make_hits(self, parsed, rows, scores, report_matches)

    def _counts(
        self, match: str | None, filters: dict[str, str], request: SearchRequest
    ) -> tuple[dict[str, Sequence[FacetValue]], int]:
        """Facet counts (each ignoring its own filter) and the filtered total, by GROUP BY in the cluster: per
        year, section and document type together (one code) within the region filter, per region within
        the others."""
        region_filter = [filters["region"]] if "region" in filters else []
        attr_filters = [q for facet, q in filters.items() if facet != "region"]
        regions = _POOL.submit(self._group, match, attr_filters, "region", max(1, len(self.region_list)))
        by_attr = self._group(match, region_filter, "attr_code", self._attr_bound)
        by_region = regions.result()
        per_number = np.zeros(len(self._region_key_ids_of_number), dtype=np.int64)
        for key, n in by_region.items():
            per_number[self._region_number[key]] = n
        years, sections, doc_types, total = _attr_facets(by_attr, request)
        return facet_lists(self._region_facet(per_number), years, sections, doc_types), total

    _region_facet = TantivySnapshot._region_facet  # counts per region number spread to every level

    def _order_by(self, request: SearchRequest, ranked: bool) -> str:
        tail = "w DESC, order_key ASC" if ranked else "order_key ASC"
        if request.sort == "year":
            return f"year {'ASC' if request.order == 'asc' else 'DESC'}, {tail}"
        if request.sort == "region":
            return f"region_sort {'DESC' if request.order == 'desc' else 'ASC'}, {tail}"
        return tail

    def _ordered_page(
        self,
        match: str | None,
        filters: dict[str, str],
        request: SearchRequest,
        parsed: ParsedQuery,
        start: int,
        limit: int,
    ) -> list[tuple[float, int]]:
        if start >= self.store.rows or limit <= 0:
            return []
        words = parsed.ranking_words() if parsed.has_positive else []
        ranked = ranked_match(match, words) if words else match
        where, args = self._where(ranked, list(filters.values()))
        options = f"max_matches={start + limit}" + (f", {self.dialect.ranking()}" if words else ", ranker=none")
        rows, _ = self._select(
            f"SELECT pkey, WEIGHT() w FROM {DISTRIBUTED} WHERE {where} ORDER BY {self._order_by(request, bool(words))} "
            f"LIMIT {start},{limit} OPTION {options}",
            args,
        )
        found = self._rows([k for k, _ in rows])
        return [(float(w) if words else 0.0, r) for r, (_, w) in zip(found, rows, strict=True)]

    def _grouped_page(
        self, match: str | None, filters: dict[str, str], request: SearchRequest, parsed: ParsedQuery, start: int
    ) -> list[tuple[float, int]]:
        """The page of best passages, one per report: fetch ever more hits until enough reports are seen."""
        want = start + request.per_page
        limit = want * 4
        while True:
            page = self._ordered_page(match, filters, request, parsed, 0, limit)
            best: dict[int, tuple[float, int]] = {}
            for score, row in page:
                best.setdefault(int(self.report_rows[row]), (score, row))
            if len(best) >= want or len(page) < limit:
                return list(best.values())[start:want]
            limit *= 4

    def _execute_verified(self, parsed: ParsedQuery, request: SearchRequest, match: str | None) -> Execution:
        """The cluster's candidates for a wider query, verified in folded text, then counted and ordered as the
        in-memory execution does (:func:`search.memory.execute_rows`), on the cluster's scores."""
        words = parsed.ranking_words() if parsed.has_positive else []
        candidates, scores = self._all_rows(match, words)
        matched = matching_rows(self, parsed, set(candidates))
        rows = np.fromiter(matched, dtype=np.int64, count=len(matched))
        return execute_rows(
            self, rows, parsed, request, lambda kept: {r: scores[r] for r in kept if words and r in scores}
        )


class SphinxEngine(StoredReports):
    """The index at ``index_dir`` (its commit file and store) and the cluster it names; a newer commit is picked
    up on the next call."""

    def __init__(self, index_dir: Path, cache_size: int = 0) -> None:
        self.index_dir = Path(index_dir)
        self.cache_size = cache_size
        self._lock = threading.Lock()
        self._snapshot: SphinxSnapshot | None = None

    def exists(self) -> bool:
        return _stamp(self.index_dir) is not None

    def _arrays(self) -> GenerationArrays | None:
        commit = Commit.read(self.index_dir)
        if commit is None:
            raise no_index(self.index_dir)
        arrays = load_arrays(arrays_folder(self.index_dir, commit.arrays))
        if arrays is None:
            raise OldIndexError(f"the index in {self.index_dir} has lost its store: rebuild it with --rebuild")
        return arrays

    def snapshot(self) -> Snapshot:
        stamp = _stamp(self.index_dir)
        if stamp is None:
            raise no_index(self.index_dir)
        with self._lock:
            if self._snapshot is None or self._snapshot.generation != stamp:
                for attempt in range(3):  # a commit landing meanwhile removes the arrays just named
                    commit = Commit.read(self.index_dir)
                    if commit is None:
                        raise no_index(self.index_dir)
                    arrays = load_arrays(arrays_folder(self.index_dir, commit.arrays))
                    if arrays is not None:
                        break
                    latest = _stamp(self.index_dir)
                    if latest == stamp or attempt == 2:
                        raise OldIndexError(f"the index in {self.index_dir} has lost its store: rebuild with --rebuild")
                    stamp = latest
                self._snapshot = ready(SphinxSnapshot(commit, stamp, arrays), self.cache_size)
            return self._snapshot


def engine(index_dir: Path, cache_size: int) -> SphinxEngine:
    """The engine-module entry point (see :mod:`search.engines`)."""
    return SphinxEngine(index_dir, cache_size)


def holds_index(index_dir: Path) -> bool:
    """Whether ``index_dir`` holds an index of this engine (its commit file)."""
    return (Path(index_dir) / COMMIT_FILE).is_file()
