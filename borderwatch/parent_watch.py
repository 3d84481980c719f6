"""Child processes that end when their parent does, however the parent ends.

A helper process (the ingest analysis worker, a crawl child) that outlives a parent killed with
SIGKILL keeps a database connection and, for a multiprocessing worker, the resource tracker
running under PID 1 for good. ``die_with_parent`` is called first thing in the child:

- on Linux, ``prctl(PR_SET_PDEATHSIG)`` asks the kernel to send ``signum`` when the parent dies;
- everywhere, a daemon thread checks once a second whether the parent is still the one it was
  (a dead parent's children are re-parented) and ends the process if not. It also covers the
  one case the kernel signal misses: the signal follows the parent *thread* that started the
  child, so a child started by a thread that ends before the parent would otherwise be killed
  early, or, had the thread ended before ``prctl``, never be told.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

# From <sys/prctl.h>.
PR_SET_PDEATHSIG = 1
# Seconds between two looks at the parent.
WATCH_SECONDS = 1.0


def die_with_parent(parent_pid: int, signum: int = signal.SIGKILL) -> None:
    """End this process when the process ``parent_pid`` ends.

    ``signum``: how the kernel ends it (SIGKILL for a worker with nothing to save; SIGTERM for a
    crawl child, whose handler publishes its batch). The watch thread exits the process with
    status 1 if the parent is gone by another route.
    """
    if os.getppid() != parent_pid:
        os._exit(1)  # the parent died before we got here
    if sys.platform.startswith("linux"):
        _set_parent_death_signal(signum)
        # The parent may have died between the first check and prctl: look again.
        if os.getppid() != parent_pid:
            os._exit(1)
    watch = threading.Thread(target=_watch, args=(parent_pid,), name="parent-watch", daemon=True)
    watch.start()


def _set_parent_death_signal(signum: int) -> None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0)
    except (OSError, AttributeError):
        pass  # no libc to ask: the watch thread still ends us


def _watch(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(WATCH_SECONDS)
    os._exit(1)
