"""The borderwatch daemon: APScheduler jobs built from config.yaml (``borderwatch run``).

Collection runs on an interval, the digest daily at a local time. Job functions are referenced
by module path with plain-data arguments; ``misfire_grace_time`` and ``coalesce`` are set
through ``job_defaults``, where APScheduler 3 actually applies them.
"""

from __future__ import annotations

import logging

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from borderwatch.config import Config

log = logging.getLogger("borderwatch")

COLLECT_JOB_ID = "collect"
DIGEST_JOB_ID = "digest"


def build_scheduler(config: Config, config_path: str | None, db_override: str | None):
    """A scheduler holding the jobs the configuration asks for, not yet started."""
    scheduler = BlockingScheduler(
        executors={"default": ThreadPoolExecutor(max_workers=2)},
        job_defaults={
            "coalesce": True,
            # One collect at a time; a run that overruns its interval is not started twice.
            "max_instances": 1,
            "misfire_grace_time": config.schedule.digest_grace,
        },
        timezone=config.schedule.zone,
    )
    args = [str(config_path) if config_path else None, db_override]
    scheduler.add_job(
        "borderwatch.jobs:collect_job",
        IntervalTrigger(seconds=config.collect.interval, timezone=config.schedule.zone),
        args=args,
        id=COLLECT_JOB_ID,
        name="collect",
        replace_existing=True,
        next_run_time=_now(config),
    )
    clock = config.schedule.digest_clock
    scheduler.add_job(
        "borderwatch.jobs:digest_job",
        CronTrigger(hour=clock.hour, minute=clock.minute, timezone=config.schedule.zone),
        args=args,
        id=DIGEST_JOB_ID,
        name="digest",
        replace_existing=True,
    )
    return scheduler


def _now(config: Config):
    import datetime as dt

    return dt.datetime.now(config.schedule.zone)


def run_daemon(config: Config, config_path: str | None, db_override: str | None) -> None:
    """Run until interrupted."""
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler = build_scheduler(config, config_path, db_override)
    log.info(
        "borderwatch daemon started: collect every %ss, digest at %s %s",
        config.collect.interval,
        config.schedule.digest_time,
        config.schedule.timezone,
    )
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("borderwatch daemon stopped")
