"""Article extraction off the reactor thread: a pool of worker processes, one per core.

trafilatura and the page-date search are pure CPU work. Run in the reactor thread they use one
core and stall every download while they run; here they run in ``workers`` processes
(crawler.extract_worker). Each worker has ``PAGES_PER_WORKER`` threads of this process: each
sends a page, waits for its answer and hands it back to the reactor as an asyncio future, so
the next page is already in the worker's pipe when it finishes one.

Failure handling, so that no page is lost or doubled:

- a worker that dies (killed, crashed in C code) or does not answer within ``timeout`` seconds
  (hung: one watchdog thread looks at every page in hand four times a second) is killed and
  replaced, and its page is extracted again in the new worker (so are the pages waiting in its
  pipe, which it had not started: those are not counted as attempts);
- a page whose extraction fails twice that way raises ``ExtractionFailed``: the spider stores
  its item with the feed's fields and ``text_status`` error, and logs one line.

Workers start in a fresh interpreter ("spawn": no inherited sockets or threads) on first use (a
crawl whose feeds all answer 304 starts none), or at once with ``start`` (a crawl that will
surely extract pages has some import their libraries while it imports its own); ``close``
stops them.

The work in flight is bounded by the callers: Scrapy stops downloading while the responses
waiting in its scraper exceed SCRAPER_SLOT_MAX_ACTIVE_SIZE (crawler.settings).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any, Protocol

from crawler import extract_worker

log = logging.getLogger("crawler.extract_pool")

#: Attempts per page: the first, and one more in a new worker after a worker died or hung.
ATTEMPTS = 2
#: Seconds a new worker may take to import its libraries and say it is ready.
STARTUP_SECONDS = 60.0
#: Seconds a stopping worker gets to exit before it is killed.
STOP_SECONDS = 5.0
#: Seconds between two looks of the watchdog at the pages in hand.
WATCH_SECONDS = 0.25
#: Pages in a worker's pipe at most: while it extracts one, the next is already there, so the
#: worker does not wait for this process (whose threads share one interpreter lock with the
#: reactor) to send another once it answers.
PAGES_PER_WORKER = 2


class WorkerLost(Exception):
    """The worker died or hung while extracting a page; the message says which."""


class PageNotStarted(WorkerLost):
    """The worker was lost on a page sent before this one, which it had not started."""


class ExtractionFailed(Exception):
    """A page could not be extracted (its workers died or hung, or the extractor raised)."""


class Extractor(Protocol):
    """Where the spider's article pages are extracted."""

    async def extract(self, body: bytes, url: str) -> dict[str, Any]:
        """crawler.extract.Extraction of the page, as a dict; raises ExtractionFailed."""
        ...

    def start(self, count: int | None = None) -> None:
        """Start ``count`` workers (all if None) now, without waiting for them, instead of on
        the first pages."""
        ...

    def close(self) -> None:
        """Release what the extractor holds (worker processes)."""
        ...


def make_extractor(
    setting: int | str | None, *, timeout: float, on_start: Callable[[int], None] | None = None
) -> Extractor:
    """A pool of ``workers_for(setting)`` processes, or the inline extractor for 0."""
    workers = workers_for(setting)
    if workers == 0:
        return InlineExtractor()
    return ExtractionPool(workers, timeout=timeout, on_start=on_start)


def workers_for(setting: int | str | None) -> int:
    """The number of worker processes for the ``collect.extract_workers`` setting.

    ``auto`` (or None): one per core this process may run on; 0: extract in the crawl process.
    """
    if setting is None or setting == "auto":
        try:
            return len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            return os.cpu_count() or 1
    return int(setting)


class InlineExtractor:
    """Extraction in the calling thread (``extract_workers: 0``): the crawl uses one core."""

    async def extract(self, body: bytes, url: str) -> dict[str, Any]:
        from crawler.extract import extract_article  # trafilatura only where it runs

        return extract_article(body, url).as_dict()

    def start(self, count: int | None = None) -> None:
        """Nothing to start."""

    def close(self) -> None:
        """Nothing to stop."""


class _Lane:
    """One worker process and its pipe, shared by ``PAGES_PER_WORKER`` threads.

    Each thread sends its page, then waits for its turn to read an answer: the worker answers in
    the order it was sent pages, so the n-th page sent gets the n-th answer. A worker that dies
    or hangs loses every page in its pipe: each of their threads gets WorkerLost.
    """

    def __init__(self, number: int, on_start: Callable[[int], None] | None) -> None:
        self.number = number
        self.on_start = on_start
        self.process: Any = None
        self.conn: Connection | None = None
        # Whether the worker in ``process`` has said it is ready (``launch`` does not wait).
        self.ready = False
        self.exitcode: int | None = None
        self.timed_out = False
        # Everything below is read and written under ``guard``. The worker in the pipe is
        # ``generation``; ``sent`` pages went to it and ``answered`` answers came back.
        self.guard = threading.Lock()
        self.turn = threading.Condition(self.guard)
        self.generation = 0
        self.sent = 0
        self.answered = 0
        # When the page the worker is on is overdue (time.monotonic()); None while idle. The
        # pool's watchdog thread kills a worker past it.
        self.deadline: float | None = None
        # One writer on the pipe at a time (a page is one message); held while a worker starts
        # or is discarded. Reentrant: a thread whose send fails discards the worker under it.
        self.sending = threading.RLock()

    def run(self, body: bytes, url: str, timeout: float) -> dict[str, Any]:
        """Extract one page in this lane's worker; raises WorkerLost if the worker dies or hangs."""
        with self.sending:
            if self.process is None or not self.ready:
                self._start()
            assert self.conn is not None
            conn = self.conn
            with self.guard:
                generation, ticket = self.generation, self.sent
                self.sent += 1
                if self.deadline is None:
                    # A deadline watched by another thread, not a timed read: a stopped worker
                    # would also block the send of a large page. Killing the worker breaks
                    # the pipe, which ends whatever a thread waits on.
                    self.timed_out = False
                    self.deadline = time.monotonic() + timeout
            try:
                conn.send((body, url))
            except OSError as exc:
                with self.guard:
                    # Lost before it read this page: on an earlier one, or while idle.
                    behind = self.generation != generation or ticket > self.answered
                lost = self._lost(generation, timeout)
                if behind:
                    raise PageNotStarted(f"lost on an earlier page: {lost}") from exc
                raise lost from exc
        with self.turn:
            while self.generation == generation and self.answered != ticket:
                self.turn.wait()
            if self.generation != generation:
                raise PageNotStarted(f"lost on an earlier page: {self._reason(timeout)}")
        try:
            answer = conn.recv()
        except (EOFError, OSError) as exc:
            raise self._lost(generation, timeout) from exc
        with self.turn:
            self.answered += 1
            # The worker goes on to the next page in its pipe, if any, now.
            self.deadline = time.monotonic() + timeout if self.sent > self.answered else None
            self.turn.notify_all()
        return answer

    def _lost(self, generation: int, timeout: float) -> WorkerLost:
        """Discard the worker of ``generation`` (if no other thread did) and say why it was lost."""
        # Under ``sending``, so that no other thread starts a new worker in between and has it
        # discarded instead.
        with self.sending:
            with self.guard:
                first = self.generation == generation
            if first:
                self._discard()
        return WorkerLost(self._reason(timeout))

    def _reason(self, timeout: float) -> str:
        if self.timed_out:
            return f"no answer within {timeout:g}s (worker killed)"
        return f"the worker ended ({self._exit_description()})"

    def kill_if_overdue(self, now: float) -> None:
        """Kill the worker if its page is past the deadline (called by the watchdog)."""
        with self.guard:
            if self.deadline is not None and now > self.deadline:
                self.deadline = None
                self.timed_out = True
                self._kill()

    def stop(self) -> None:
        """Ask the worker to exit; kill it if it does not."""
        if self.process is None:
            return
        with self.sending:
            try:
                assert self.conn is not None
                self.conn.send(None)
            except OSError:
                pass
            self.process.join(STOP_SECONDS)
            self._kill()
            self._discard()

    def launch(self) -> None:
        """Start the worker without waiting for it to be ready (it imports its libraries while
        the caller goes on); the first page sent to it waits for that."""
        with self.sending:
            if self.process is None:
                self._launch()

    def _start(self) -> None:
        if self.process is None:
            self._launch()
        if not self.ready:
            self._await_ready()

    def _launch(self) -> None:
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        process = context.Process(
            target=extract_worker.serve,
            args=(theirs, self.on_start),
            name=f"extract-{self.number}",
            daemon=True,
        )
        process.start()
        theirs.close()
        self.process, self.conn, self.ready = process, ours, False

    def _await_ready(self) -> None:
        assert self.conn is not None
        ours = self.conn
        if not ours.poll(STARTUP_SECONDS):
            self._kill()
            self._discard()
            raise WorkerLost(f"a new worker was not ready within {STARTUP_SECONDS:g}s")
        try:
            ready = ours.recv()
        except (EOFError, OSError) as exc:
            self._discard()
            raise WorkerLost(
                f"a new worker ended before it was ready ({self._exit_description()})"
            ) from exc
        if ready != extract_worker.READY:
            self._kill()
            self._discard()
            raise WorkerLost(f"a new worker said {ready!r} instead of being ready")
        self.ready = True

    def _kill(self) -> None:
        process = self.process
        if process is not None and process.is_alive():
            process.kill()

    def _discard(self) -> None:
        # Whoever waits for an answer from this worker stops waiting: it will never come.
        with self.turn:
            self.generation += 1
            self.sent = self.answered = 0
            self.deadline = None
            self.turn.notify_all()
        if self.process is not None:
            self.process.join(STOP_SECONDS)
            self.exitcode = self.process.exitcode
            self.process.close()
        if self.conn is not None:
            self.conn.close()
        self.process, self.conn, self.ready = None, None, False

    def _exit_description(self) -> str:
        code = self.exitcode
        if code is None:
            return "still running"
        if code < 0:
            return f"killed by signal {-code}"
        return f"exit status {code}"


class ExtractionPool:
    """``workers`` extraction processes shared by the reactor's article callbacks.

    ``on_start(parent_pid)`` runs first in every worker (borderwatch passes ``die_with_parent``).
    """

    def __init__(
        self,
        workers: int,
        *,
        timeout: float = 60.0,
        on_start: Callable[[int], None] | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError(f"an extraction pool needs at least one worker, got {workers}")
        self.workers = workers
        self.timeout = timeout
        self._all = [_Lane(number + 1, on_start) for number in range(workers)]
        # A lane is taken once per page in its pipe: the queue holds each lane
        # PAGES_PER_WORKER times, in turn, so that the first pages go to different workers.
        self._lanes: queue.SimpleQueue[_Lane] = queue.SimpleQueue()
        for _ in range(PAGES_PER_WORKER):
            for lane in self._all:
                self._lanes.put(lane)
        # One thread per page in a pipe: a page never waits for a thread, only for a worker.
        self._threads = ThreadPoolExecutor(
            max_workers=workers * PAGES_PER_WORKER, thread_name_prefix="extract"
        )
        self._closed = False
        # One watchdog for all lanes (a timer per page would cost a thread start per page).
        self._stopped = threading.Event()
        self._watchdog = threading.Thread(target=self._watch, name="extract-watchdog", daemon=True)
        self._watchdog.start()

    async def extract(self, body: bytes, url: str) -> dict[str, Any]:
        """The extraction of one page (crawler.extract.Extraction as a dict), computed in a
        worker process; the reactor goes on meanwhile. Raises ExtractionFailed."""
        return await asyncio.wrap_future(self.submit(body, url))

    def start(self, count: int | None = None) -> None:
        """Start ``count`` workers (all if None) now without waiting for them: each imports its
        libraries while the caller goes on (the crawl process imports Scrapy meanwhile),
        instead of when the first pages arrive; the others start on first use. Call it from a
        thread that lives as long as the pool (the kernel's parent-death signal follows the
        thread that started a worker)."""
        if self._closed:
            raise RuntimeError("the extraction pool is closed")
        for lane in self._all[: self.workers if count is None else max(0, count)]:
            lane.launch()

    def submit(self, body: bytes, url: str) -> Future[dict[str, Any]]:
        """Queue one page; the future holds its extraction or ExtractionFailed."""
        if self._closed:
            raise RuntimeError("the extraction pool is closed")
        return self._threads.submit(self._extract, body, url)

    def close(self) -> None:
        """Stop every worker once the pages in flight are done."""
        if self._closed:
            return
        self._closed = True
        self._threads.shutdown(wait=False, cancel_futures=True)
        # Stop the workers before their threads end: the kernel's parent-death signal follows
        # the thread that started a worker, so a thread's end would kill its worker abruptly.
        longest = STARTUP_SECONDS + ATTEMPTS * self.timeout + STOP_SECONDS
        returned = dict.fromkeys(self._all, 0)
        for _ in range(self.workers * PAGES_PER_WORKER):
            try:
                lane = self._lanes.get(timeout=longest)
            except queue.Empty:
                break
            returned[lane] += 1
            if returned[lane] == PAGES_PER_WORKER:  # nothing left in its pipe
                lane.stop()
        self._threads.shutdown(wait=True)
        self._stopped.set()
        self._watchdog.join()

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _watch(self) -> None:
        while not self._stopped.wait(WATCH_SECONDS):
            now = time.monotonic()
            for lane in self._all:
                lane.kill_if_overdue(now)

    def _extract(self, body: bytes, url: str) -> dict[str, Any]:
        lane = self._lanes.get()
        try:
            attempt = 1
            while attempt <= ATTEMPTS:
                try:
                    answer = lane.run(body, url, self.timeout)
                except PageNotStarted:
                    # Not an attempt at this page: it waited in the pipe behind the page that
                    # was lost (which counts its own attempt and says so in the log).
                    continue
                except WorkerLost as exc:
                    if attempt == ATTEMPTS:
                        raise ExtractionFailed(
                            f"extraction worker lost {ATTEMPTS} times on this page: {exc}"
                        ) from None
                    log.warning(
                        "extraction worker %d lost while extracting %s: %s; extracting it "
                        "again in a new worker",
                        lane.number,
                        url,
                        exc,
                    )
                    attempt += 1
                    continue
                if extract_worker.ERROR in answer:
                    raise ExtractionFailed(f"the extractor raised {answer[extract_worker.ERROR]}")
                return answer
            raise AssertionError("unreachable")
        finally:
            self._lanes.put(lane)
