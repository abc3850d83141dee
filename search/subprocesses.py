"""How the indexer's processes run: workers that die with the process that started them, and batch work with
the cyclic garbage collector paused; and whether a server's threads run beside each other."""

from __future__ import annotations

import ctypes
import gc
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Make this (child) process receive SIGKILL when its parent dies, even by SIGKILL (Linux; elsewhere a no-op).

    An indexing run killed mid-way must not leave workers behind: they would hold the index's write lock or
    sit idle forever. Exits at once when the parent is already gone.
    """
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:  # the parent died before the line above took effect
        os._exit(1)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block (restored after, as it was). An indexing run holds a
    few million long-lived objects (every report's metadata, passages, forms), and each full collection walks
    them all: at 100,000 reports, adding 100 took about 7 s less without it. The run makes few reference
    cycles (measured at that size: about 1,500 unreachable objects in the writer, 2,000 in the reuse
    process), which reference counting cannot free; the collector frees them once it runs again."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def threads_take_turns() -> bool:
    """Whether this process's threads are greenlets (a gevent worker has patched ``threading``, as the site's
    gunicorn workers do): work handed to a thread pool then runs in turn with the request, never beside it on
    the other core, and handing it over costs more than it saves (about 0.7 ms a hand-over at 100,000
    reports, with its waits). gevent is not imported here: a process that never loaded it has real threads."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched("threading")
