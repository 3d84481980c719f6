"""The jobs the daemon schedules and the CLI runs, as importable functions with plain arguments.

APScheduler finds a job by the module path of its function: these live at a module path (never
in ``__main__``) and take only plain data. The daemon's jobs take a *snapshot* of the accepted
configuration (a JSON-able dict) rather than the file's path, so that a bad edit of config.yaml
never reaches a running daemon until SIGHUP has validated it.

Every job writes a ``runs`` row: running → ok / partial / failed / skipped.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from borderwatch.collect import CollectBusy, CollectReport, collect
from borderwatch.config import Config, config_from_mapping, load_config
from borderwatch.timing import pending_digest_days
from pipeline.migrations import SchemaVersionError
from pipeline.store import Store

log = logging.getLogger("borderwatch")

# Jobs running in this process, so that a stopping daemon can wait for them (with a bound).
_active = 0
_active_changed = threading.Condition()
_stop = threading.Event()


# -- configuration snapshots -----------------------------------------------------------------
def config_snapshot(config: Config) -> dict[str, Any]:
    """The validated configuration as plain data, for a job's arguments."""
    return {
        "settings": config.model_dump(mode="json"),
        "base_dir": str(config.base_dir),
        "path": str(config.path) if config.path else None,
    }


def config_from_snapshot(snapshot: dict[str, Any]) -> Config:
    from pathlib import Path

    path = Path(snapshot["path"]) if snapshot.get("path") else None
    return config_from_mapping(
        snapshot["settings"],
        origin=str(path or "config"),
        base_dir=Path(snapshot["base_dir"]),
        path=path,
    )


# -- stopping ----------------------------------------------------------------------------------
@contextmanager
def _tracked() -> Iterator[None]:
    global _active
    with _active_changed:
        _active += 1
    try:
        yield
    finally:
        with _active_changed:
            _active -= 1
            _active_changed.notify_all()


def request_stop() -> None:
    """Start no new job and end the running crawl (its staged items are still stored)."""
    from borderwatch.collect import stop_running_crawls

    _stop.set()
    stop_running_crawls()


def reset_stop() -> None:
    from borderwatch.collect import allow_crawls

    _stop.clear()
    allow_crawls()


def wait_idle(timeout: float) -> bool:
    """Wait until no job runs in this process; False if ``timeout`` seconds passed first."""
    deadline = time.monotonic() + timeout
    with _active_changed:
        while _active:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            _active_changed.wait(remaining)
    return True


def _open_store(database_url: str, job: str) -> Store | None:
    """The database for a job, or None (logged in one line) when it cannot be used now.

    A daemon keeps running when, say, its database was upgraded by a newer borderwatch: the job
    says why it cannot run instead of ending in a traceback.
    """
    try:
        return Store(database_url)
    except SchemaVersionError as exc:
        log.error("%s skipped: %s", job, exc)
    except Exception as exc:
        log.error("%s skipped: cannot open the database: %s", job, exc)
    return None


# -- collect -----------------------------------------------------------------------------------
def run_collect(config: Config, database_url: str) -> CollectReport | None:
    """Collect once and record the run; errors are logged and recorded, never raised."""
    store = _open_store(database_url, "collect")
    if store is None:
        return None
    run_id = store.start_run("collect")
    try:
        report = collect(config, store, database_url)
    except CollectBusy as exc:
        log.warning("collect skipped: %s", exc)
        store.finish_run(run_id, "skipped", errors=str(exc))
        store.close()
        return None
    except Exception as exc:  # the daemon must survive any single failed run
        log.error("collect failed: %s", exc)
        store.finish_run(run_id, "failed", errors=traceback.format_exc()[-4000:])
        store.close()
        return None
    problems = []
    if report.timed_out:
        problems.append("crawl stopped at its time limit")
    if report.crawl_failed:
        problems.append("crawl stopped early" if _stop.is_set() else "crawl process failed")
    store.finish_run(
        run_id,
        "partial" if problems else "ok",
        fetched=report.fetched,
        new=report.new,
        relevant=report.relevant,
        errors="; ".join(problems) or None,
    )
    store.close()
    log.info(
        "collect: %d targets, %d responses, %d new articles, %d relevant%s",
        report.targets,
        report.fetched,
        report.new,
        report.relevant,
        f" ({'; '.join(problems)})" if problems else "",
    )
    return report


def scheduled_collect(snapshot: dict[str, Any], database_url: str) -> None:
    """The daemon's collect job."""
    if _stop.is_set():
        return
    with _tracked():
        run_collect(config_from_snapshot(snapshot), database_url)


# -- digest ------------------------------------------------------------------------------------
def digest_done(config: Config, store: Store, day: dt.date) -> bool:
    """True when the digest of ``day`` needs no further delivery.

    Done when every configured recipient has a ``digests`` row ``sent`` (when mailing), or any
    row is ``sent`` or ``written`` (the outbox, without an SMTP host), or a digest run for the
    day finished ok (e.g. an empty day skipped by ``digest.empty_day: skip``). Delivery itself
    is exactly once per day and recipient (borderwatch.digest.ledger); this only decides
    whether to call it again.
    """
    delivered = store.digest_done_recipients(day)
    wanted = set(config.digest.recipients) if config.email.host else set()
    if (wanted and wanted <= delivered) or (not wanted and delivered):
        return True
    return store.digest_run_done(day)


def due_digests(config: Config, store: Store, now: dt.datetime) -> list[dt.date]:
    """The days whose digest is due now (within the grace) and not yet done."""
    schedule = config.schedule
    return pending_digest_days(
        now,
        schedule.digest_clock,
        schedule.zone,
        dt.timedelta(seconds=schedule.digest_grace),
        lambda day: digest_done(config, store, day),
    )


def run_digest(config: Config, database_url: str, day: dt.date | None = None) -> bool:
    """Compose and deliver the digest of ``day`` and record the run; True when it went out."""
    from borderwatch.digest.deliver import default_day, deliver_digest

    day = day or default_day(config)
    store = _open_store(database_url, "digest")
    if store is None:
        return False
    run_id = store.start_run("digest")
    try:
        paths = deliver_digest(config, store, day)
    except Exception as exc:
        log.error("digest of %s failed: %s", day, exc)
        store.finish_run(run_id, "failed", day=day, errors=traceback.format_exc()[-4000:])
        store.close()
        return False
    store.finish_run(run_id, "ok", day=day, new=len(paths))
    store.close()
    log.info("digest of %s delivered", day)
    return True


def digest_job(
    config_path: str | None, db_override: str | None = None, day: str | None = None
) -> None:
    """Compose and deliver the digest of ``day`` (default: yesterday in the configured zone)."""
    config = load_config(config_path)
    target = dt.date.fromisoformat(day) if day else None
    run_digest(config, config.database_url(db_override), target)


def send_due_digests(config: Config, database_url: str, now: dt.datetime | None = None) -> int:
    """Deliver every digest that is due and not done; returns how many were attempted."""
    now = now or dt.datetime.now(dt.UTC)
    store = Store(database_url)
    try:
        days = due_digests(config, store, now)
    finally:
        store.close()
    if not days:
        log.info("digest: nothing due")
    for day in days:
        if _stop.is_set():
            break
        run_digest(config, database_url, day)
    return len(days)


def scheduled_digest(snapshot: dict[str, Any], database_url: str) -> None:
    """The daemon's digest job: runs at the digest time, and once at start-up to catch up."""
    if _stop.is_set():
        return
    with _tracked():
        send_due_digests(config_from_snapshot(snapshot), database_url)


# -- health ------------------------------------------------------------------------------------
def run_health(config: Config, database_url: str) -> int:
    """Judge every source's health, log the ones to look at, record the run; returns them."""
    from borderwatch.source_health import flagged_sources, source_health

    store = _open_store(database_url, "health")
    if store is None:
        return 0
    run_id = store.start_run("health")
    try:
        frame = source_health(
            store,
            failure_threshold=config.schedule.failure_threshold,
            silence_factor=config.schedule.silence_factor,
            silence_min=dt.timedelta(seconds=config.schedule.silence_min),
        )
    except Exception as exc:
        log.error("health check failed: %s", exc)
        store.finish_run(run_id, "failed", errors=traceback.format_exc()[-4000:])
        store.close()
        return 0
    flagged = flagged_sources(frame)
    lines = [f"{r.source}: {r.status}: {r.reason}" for r in flagged.itertuples()]
    for line in lines:
        log.warning("source %s", line)
    store.finish_run(run_id, "ok", new=len(flagged), errors="\n".join(lines) or None)
    store.close()
    return len(flagged)


def scheduled_health(snapshot: dict[str, Any], database_url: str) -> None:
    """The daemon's health job."""
    if _stop.is_set():
        return
    with _tracked():
        run_health(config_from_snapshot(snapshot), database_url)
