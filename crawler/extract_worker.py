"""The loop of one extraction worker process: article pages in, extractions out, on one pipe.

Started by crawler.extract_pool in a fresh interpreter ("spawn"), so it holds none of the crawl
process's sockets, database connections or threads. It answers ``(body, url)`` with
``crawler.extract.extract_article(body, url).as_dict()`` and ends on ``None`` or when the pipe
closes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from multiprocessing.connection import Connection

#: What a worker sends once it is ready to take pages.
READY = "ready"
#: The key of an answer that reports an exception instead of an extraction.
ERROR = "error"


def serve(conn: Connection, on_start: Callable[[int], None] | None = None) -> None:
    """Extract the pages sent on ``conn`` until told to stop.

    ``on_start(parent_pid)`` runs first (borderwatch passes ``die_with_parent``, so that a
    worker never outlives the crawl process, even one killed with SIGKILL).
    """
    # The crawl process is stopped with SIGTERM to its whole process group: it finishes the
    # pages in flight and then stops its workers, so they must not receive that signal
    # themselves. They still end with the crawl process (``on_start``, and the pipe closing).
    os.setpgrp()
    if on_start is not None:
        on_start(os.getppid())
    # Imported here, not at the top: the crawl process imports this module to name the worker's
    # entry point and has no use for trafilatura itself.
    from crawler.extract import extract_article

    conn.send(READY)
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        body, url = job
        try:
            answer = extract_article(body, url).as_dict()
        except Exception as exc:  # noqa: BLE001 - it never should; the page is then failed
            answer = {ERROR: f"{type(exc).__name__}: {exc}"}
        conn.send(answer)
