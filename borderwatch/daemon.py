"""The borderwatch daemon: APScheduler jobs built from config.yaml (``borderwatch run``, and
``python scheduler.py``, its entry point at the top of the repository).

Three jobs with fixed ids: ``collect`` on an interval, ``digest`` daily at a local time in an
IANA zone, ``health`` on an interval. Jobs live in a MemoryJobStore that is rebuilt from the
configuration at every start: nothing is left over from an older configuration, and no two
processes can share (and so double-run) a job store. What must survive a restart, which day's
digest is done, lives in the database (``runs``, ``digests``), not in the scheduler.

At start-up the scheduler starts paused, reconciles its jobs with the configuration (adds missing
ones, updates changed ones, removes stale ones) and resumes; SIGHUP reconciles again with a
re-read config.yaml, and keeps the running configuration if the new one is invalid.
``misfire_grace_time`` and ``coalesce`` are set through ``job_defaults``, where APScheduler 3
applies them. Job functions are referenced by module path and take plain data.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import threading
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.base import BaseScheduler, SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.interval import IntervalTrigger

from borderwatch import jobs
from borderwatch.config import Config, ConfigError, load_config
from borderwatch.lock import DAEMON, DatabaseLock, LockHeld
from borderwatch.timing import next_slot

log = logging.getLogger("borderwatch")

COLLECT_JOB_ID = "collect"
DIGEST_JOB_ID = "digest"
HEALTH_JOB_ID = "health"
# How often a digest that is due but not done (its delivery failed) is tried again.
DIGEST_RETRY_SECONDS = 3600


class DaemonRefused(Exception):
    """Another daemon already runs on this database."""


class DailyDigestTrigger(BaseTrigger):
    """Fires once per local date at the digest time, also on daylight-saving days.

    APScheduler's CronTrigger looks for the wall-clock time itself, which does not exist on the
    day clocks go forward; this trigger asks borderwatch.timing, which gives every date exactly
    one moment.
    """

    def __init__(self, clock: dt.time, zone: ZoneInfo) -> None:
        self.clock = clock
        self.zone = zone

    def get_next_fire_time(
        self, previous_fire_time: dt.datetime | None, now: dt.datetime
    ) -> dt.datetime:
        after = previous_fire_time or (now - dt.timedelta(microseconds=1))
        return next_slot(after, self.clock, self.zone).due_at.astimezone(self.zone)

    def __str__(self) -> str:
        return f"daily[{self.clock.strftime('%H:%M')} {self.zone.key}]"


@dataclass(frozen=True)
class JobSpec:
    """One job as the configuration wants it."""

    id: str
    func: str
    trigger: BaseTrigger
    args: tuple[Any, ...]
    run_at_start: bool

    @property
    def schedule(self) -> str:
        return str(self.trigger)


def desired_jobs(config: Config, database_url: str) -> dict[str, JobSpec]:
    """The jobs ``config`` asks for, by fixed id."""
    args = (jobs.config_snapshot(config), database_url)
    schedule = config.schedule
    specs = [
        JobSpec(
            COLLECT_JOB_ID,
            "borderwatch.jobs:scheduled_collect",
            IntervalTrigger(seconds=config.collect.interval, timezone=dt.UTC),
            args,
            run_at_start=True,
        ),
        # Also run at start, and hourly: the job sends a digest missed while the daemon was down
        # or whose delivery failed (within schedule.digest_grace), and does nothing otherwise.
        JobSpec(
            DIGEST_JOB_ID,
            "borderwatch.jobs:scheduled_digest",
            OrTrigger(
                [
                    DailyDigestTrigger(schedule.digest_clock, schedule.zone),
                    IntervalTrigger(seconds=DIGEST_RETRY_SECONDS, timezone=dt.UTC),
                ]
            ),
            args,
            run_at_start=True,
        ),
        JobSpec(
            HEALTH_JOB_ID,
            "borderwatch.jobs:scheduled_health",
            IntervalTrigger(seconds=schedule.health_interval, timezone=dt.UTC),
            args,
            run_at_start=False,
        ),
    ]
    return {spec.id: spec for spec in specs}


def reconcile(
    scheduler: BaseScheduler, specs: dict[str, JobSpec], now: dt.datetime | None = None
) -> dict[str, list[str]]:
    """Make the scheduler's jobs match ``specs``: remove stale, update changed, add missing.

    A job whose schedule is unchanged keeps its next run time; only its arguments (the
    configuration snapshot) are replaced. Returns the ids by what happened to them.
    """
    now = now or dt.datetime.now(dt.UTC)
    changes: dict[str, list[str]] = {"added": [], "updated": [], "removed": [], "kept": []}
    for job in scheduler.get_jobs():
        if job.id not in specs:
            scheduler.remove_job(job.id)
            changes["removed"].append(job.id)
    for spec in specs.values():
        job = scheduler.get_job(spec.id)
        if job is None:
            extra = {"next_run_time": now} if spec.run_at_start else {}
            scheduler.add_job(
                spec.func, spec.trigger, args=spec.args, id=spec.id, name=spec.id, **extra
            )
            changes["added"].append(spec.id)
            continue
        if str(job.trigger) != spec.schedule:
            scheduler.reschedule_job(spec.id, trigger=spec.trigger)
            changes["updated"].append(spec.id)
        elif tuple(job.args) != spec.args:
            changes["updated"].append(spec.id)
        else:
            changes["kept"].append(spec.id)
        if tuple(job.args) != spec.args:
            scheduler.modify_job(spec.id, args=spec.args)
    return changes


def make_scheduler(config: Config) -> BlockingScheduler:
    """An empty BlockingScheduler with borderwatch's defaults."""
    return BlockingScheduler(
        jobstores={"default": MemoryJobStore()},
        # Collect, digest and health may overlap; each job never overlaps itself.
        executors={"default": ThreadPoolExecutor(max_workers=3)},
        job_defaults={
            # A run missed while the process was suspended or busy runs once, late, rather than
            # being dropped (up to the digest grace) or repeated for every missed slot.
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": config.schedule.digest_grace,
        },
        timezone=config.schedule.zone,
    )


class Daemon:
    """One daemon process: the lock, the scheduler, the signals."""

    def __init__(self, config: Config, config_path: str | None, db_override: str | None) -> None:
        self.config = config
        self.config_path = config_path
        self.db_override = db_override
        self.database_url = config.database_url(db_override)
        self.scheduler = make_scheduler(config)
        self._lock = DatabaseLock(self.database_url, DAEMON)
        self._reload_lock = threading.Lock()
        self._stopping = threading.Event()

    # -- life cycle -----------------------------------------------------------------------------
    def run(self) -> None:
        """Run until SIGTERM or SIGINT; raise DaemonRefused if another daemon has the database."""
        try:
            self._lock.acquire()
        except LockHeld as exc:
            raise DaemonRefused(
                f"another borderwatch daemon is already running on this database ({exc})"
            ) from None
        try:
            if self.config.queue is not None:
                self._run_planner()
            else:
                self._run_locked()
        finally:
            self._lock.release()

    def _run_planner(self) -> None:
        """With ``queue:``: the daemon is the database's one planner for as long as it runs."""
        from borderwatch.planner import PlannerRefused, hold_plan_lock, release_plan_lock

        try:
            hold_plan_lock(self.database_url)
        except PlannerRefused as exc:
            raise DaemonRefused(str(exc)) from None
        try:
            self._run_locked()
        finally:
            release_plan_lock(self.database_url)

    def _run_locked(self) -> None:
        from pipeline.store import Store

        jobs.reset_stop()
        store = Store(self.database_url)
        stale = store.close_stale_runs("interrupted: the process ended before the run finished")
        store.close()
        if stale:
            log.warning("%d run(s) left unfinished by an earlier process marked failed", stale)
        self.scheduler.add_listener(self._started, EVENT_SCHEDULER_STARTED)
        previous = self._install_signals()
        log.info(
            "borderwatch daemon started (pid %d): collect every %ss, digest at %s %s",
            os.getpid(),
            self.config.collect.interval,
            self.config.schedule.digest_time,
            self.config.schedule.timezone,
        )
        try:
            self.scheduler.start(paused=True)  # blocks until shutdown
        finally:
            self._restore_signals(previous)
        timeout = self.config.schedule.stop_timeout
        if not jobs.wait_idle(timeout):
            log.warning("a job was still running %ss after the stop request: exiting", timeout)
            logging.shutdown()
            # The job's transaction is rolled back by the database; staged items stay staged.
            os._exit(0)
        log.info("borderwatch daemon stopped")

    def _started(self, _event: Any) -> None:
        # Runs inside scheduler.start(), with the job store open and job processing paused.
        if self._stopping.is_set():  # a stop signal arrived while starting
            self.scheduler.shutdown(wait=False)
            return
        changes = reconcile(self.scheduler, desired_jobs(self.config, self.database_url))
        log.info("jobs: %s", _describe(changes))
        self.scheduler.resume()

    def stop(self) -> None:
        """End the running crawl, start no new job and leave the scheduler's loop."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        log.info("stopping: ending the running crawl, if any")
        jobs.request_stop()
        # Not started yet? Then the start-up listener sees _stopping and shuts it down.
        with contextlib.suppress(SchedulerNotRunningError):
            self.scheduler.shutdown(wait=False)

    def reload(self) -> bool:
        """Re-read config.yaml and reconcile the jobs; keep the running config if it is bad."""
        with self._reload_lock:
            try:
                config = load_config(self.config_path)
            except ConfigError as exc:
                log.error("configuration not reloaded, the running one stays: %s", exc)
                return False
            except Exception as exc:  # the reload thread must say so rather than die
                log.error(
                    "configuration not reloaded, the running one stays: %s: %s",
                    type(exc).__name__,
                    exc,
                )
                return False
            if config.database_url(self.db_override) != self.database_url:
                log.error(
                    "configuration not reloaded, the running one stays: the database changed "
                    "(restart the daemon to switch databases)"
                )
                return False
            self.config = config
            changes = reconcile(self.scheduler, desired_jobs(config, self.database_url))
            log.info("configuration reloaded; jobs: %s", _describe(changes))
            return True

    # -- signals --------------------------------------------------------------------------------
    def _install_signals(self) -> dict[int, Any]:
        # Handlers only start a thread: the scheduler's locks may be held by the interrupted
        # main thread, and stopping a crawl waits for the child.
        def on_stop(signum: int, _frame: Any) -> None:
            log.info("received %s", signal.Signals(signum).name)
            threading.Thread(target=self.stop, name="stop", daemon=True).start()

        def on_reload(_signum: int, _frame: Any) -> None:
            log.info("received SIGHUP: reloading the configuration")
            threading.Thread(target=self.reload, name="reload", daemon=True).start()

        handlers = {signal.SIGTERM: on_stop, signal.SIGINT: on_stop, signal.SIGHUP: on_reload}
        return {signum: signal.signal(signum, handler) for signum, handler in handlers.items()}

    @staticmethod
    def _restore_signals(previous: dict[int, Any]) -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _describe(changes: dict[str, list[str]]) -> str:
    return ", ".join(f"{what} {' '.join(ids)}" for what, ids in changes.items() if ids) or "none"


def run_daemon(config: Config, config_path: str | None, db_override: str | None) -> None:
    """Run the daemon until interrupted (raises DaemonRefused when another one runs)."""
    Daemon(config, config_path, db_override).run()
