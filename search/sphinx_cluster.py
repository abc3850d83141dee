"""A local Sphinx/Manticore cluster for trying the ``sphinx`` engine out and for the tests: N ``searchd``
processes on free loopback ports, each holding one shard (the RT table ``fazhi_rt``) and a distributed table
``fazhi`` over its own shard and the other nodes' shards as agents.

``start_cluster(folder, nodes)`` writes one config per node under ``folder`` (``node1/sphinx.conf``, …) and
starts them; ``stop_cluster(folder)`` stops them. The ports are kept in ``folder/cluster.json``, so a cluster
started again in the same folder keeps its addresses and its data (the RT tables and their binlogs live
there too). A node listens twice: SphinxQL (the MySQL protocol, what ``FAZHI_SPHINX_HOSTS`` names) and the
binary API on the next port (what agents speak to each other).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

TABLE = "fazhi_rt"
"""Each node's shard: an RT table."""
DISTRIBUTED = "fazhi"
"""Each node's distributed table: its own shard and the other nodes' as agents."""
CLUSTER_FILE = "cluster.json"
START_TIMEOUT_S = 20.0

# The RT table every node holds. One-character n-grams over the CJK ranges and the private-use characters our
# folded text maps everything else to (see search.sphinx_engine.char_field), so the ``chars`` field has one
# token per folded character at consecutive positions; ``words`` and ``heading_words`` receive our jieba words
# as ASCII tokens, ``present`` one token every passage holds (what a query of exclusions only starts from).
TABLE_SCHEMA = """\
  type = rt
  rt_field = chars
  rt_field = words
  rt_field = heading_words
  rt_field = present
  rt_attr_uint = space
  rt_attr_uint = born
  rt_attr_uint = died
  rt_attr_bigint = pkey
  rt_attr_bigint = report
  rt_attr_bigint = region
  rt_attr_uint = attr_code
  rt_attr_uint = year
  rt_attr_uint = section
  rt_attr_uint = doc_type
  rt_attr_string = order_key
  rt_attr_string = region_sort
  charset_table = 0..9, a..z, _
  ngram_len = 1
  ngram_chars = U+3400..U+4DBF, U+4E00..U+9FFF, U+F900..U+FAFF, U+E000..U+E0FF
  rt_mem_limit = 256M"""


@dataclass(frozen=True)
class Node:
    """One ``searchd`` of the local cluster: its SphinxQL port and its API port (the next one)."""

    number: int
    port: int

    @property
    def api_port(self) -> int:
        return self.port + 1

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


def node_config(folder: Path, node: Node, others: list[Node]) -> str:
    """The ``sphinx.conf`` of one node: its shard, the distributed table over every shard, and searchd."""
    home = folder / f"node{node.number}"
    agents = "".join(f"  agent = 127.0.0.1:{o.api_port}:{TABLE}\n" for o in others)
    return (
        f"index {TABLE}\n{{\n  path = {home / TABLE}\n{TABLE_SCHEMA}\n}}\n\n"
        f"index {DISTRIBUTED}\n{{\n  type = distributed\n  local = {TABLE}\n{agents}"
        "  agent_connect_timeout = 500\n  agent_query_timeout = 20000\n}\n\n"
        "searchd\n{\n"
        f"  listen = 127.0.0.1:{node.port}:mysql41\n"
        f"  listen = 127.0.0.1:{node.api_port}\n"
        f"  log = {home / 'searchd.log'}\n"
        f"  query_log = {home / 'query.log'}\n"
        f"  pid_file = {home / 'searchd.pid'}\n"
        f"  binlog_path = {home}\n"
        "  workers = threads\n"
        "  collation_server = binary\n"
        "  max_packet_size = 32M\n"
        "  read_timeout = 30\n"
        "  client_timeout = 600\n"
        "}\n"
    )


def _port_pair_free(port: int) -> bool:
    for p in (port, port + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                return False
    return True


def free_port_pairs(n: int) -> list[int]:
    """``n`` loopback ports each free together with the next one."""
    found: list[int] = []
    while len(found) < n:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port < 65535 and _port_pair_free(port) and not {port, port + 1} & {q for f in found for q in (f, f + 1)}:
            found.append(port)
    return found


def cluster_nodes(folder: Path) -> list[Node]:
    """The nodes of the cluster configured in ``folder`` (none when there is none)."""
    try:
        ports = json.loads((Path(folder) / CLUSTER_FILE).read_text())["ports"]
    except FileNotFoundError:
        return []
    return [Node(i, p) for i, p in enumerate(ports, start=1)]


def hosts_setting(nodes: list[Node]) -> str:
    """The ``FAZHI_SPHINX_HOSTS`` value naming the nodes."""
    return ",".join(n.address for n in nodes)


def searchd_binary() -> str | None:
    """The ``searchd`` on the path (Debian's ``sphinxsearch``, or Manticore's), or None."""
    return shutil.which("searchd")


def configure(folder: Path, nodes: int = 2) -> list[Node]:
    """Write the nodes' configs into ``folder`` (keeping its ports when it already has a cluster of that size)."""
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    found = cluster_nodes(folder)
    if len(found) != nodes or not all(_port_pair_free(n.port) or _running(folder, n) for n in found):
        found = [Node(i, p) for i, p in enumerate(free_port_pairs(nodes), start=1)]
        (folder / CLUSTER_FILE).write_text(json.dumps({"ports": [n.port for n in found]}))
    for node in found:
        home = folder / f"node{node.number}"
        home.mkdir(exist_ok=True)
        (home / "sphinx.conf").write_text(node_config(folder, node, [o for o in found if o != node]))
    return found


def _pid(folder: Path, node: Node) -> int | None:
    try:
        return int((Path(folder) / f"node{node.number}" / "searchd.pid").read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None


def _running(folder: Path, node: Node) -> bool:
    pid = _pid(folder, node)
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def start_node(folder: Path, node: Node) -> None:
    """Start one node (its config already written) and wait until it answers on both ports."""
    folder = Path(folder).resolve()
    if _running(folder, node) and _listening(node.port):
        return
    binary = searchd_binary()
    if binary is None:
        raise FileNotFoundError("searchd is not installed: apt-get install sphinxsearch (or Manticore Search)")
    config = folder / f"node{node.number}" / "sphinx.conf"
    done = subprocess.run([binary, "--config", str(config)], capture_output=True, text=True)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not (_listening(node.port) and _listening(node.api_port)):
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"searchd for node {node.address} did not start:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
            )
        time.sleep(0.05)


def stop_node(folder: Path, node: Node, kill: bool = False) -> None:
    """Stop one node (SIGTERM, waiting for it to write its tables; ``kill``: SIGKILL at once, as a crash)."""
    pid = _pid(folder, node)
    if pid is None or not _running(folder, node):
        return
    os.kill(pid, signal.SIGKILL if kill else signal.SIGTERM)
    deadline = time.monotonic() + START_TIMEOUT_S
    while _running(folder, node) and time.monotonic() < deadline:
        time.sleep(0.05)
    if kill:  # the pid file stays behind after SIGKILL
        (Path(folder) / f"node{node.number}" / "searchd.pid").unlink(missing_ok=True)


def start_cluster(folder: Path, nodes: int = 2) -> list[Node]:
    """Configure and start a local cluster of ``nodes`` in ``folder``; its nodes."""
    found = configure(folder, nodes)
    try:
        for node in found:
            start_node(folder, node)
    except BaseException:
        stop_cluster(folder)
        raise
    return found


def stop_cluster(folder: Path) -> list[Node]:
    """Stop every node of the cluster in ``folder``; the nodes it had."""
    found = cluster_nodes(folder)
    for node in found:
        stop_node(folder, node)
    return found
