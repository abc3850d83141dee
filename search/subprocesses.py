"""Worker processes that die with the process that started them."""

from __future__ import annotations

import ctypes
import os
import signal

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
