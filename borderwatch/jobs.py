"""The jobs the daemon schedules and the CLI runs, as importable functions with plain arguments.

APScheduler stores a job by reference to its function: these live at a module path (never in
``__main__``) and take only strings, so a restart finds them again.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback

from borderwatch.collect import CollectReport, collect
from borderwatch.config import load_config
from pipeline.store import Store

log = logging.getLogger("borderwatch")


def collect_job(config_path: str | None, db_override: str | None = None) -> CollectReport | None:
    """Collect once and record the run; errors are logged and recorded, never raised."""
    config = load_config(config_path)
    url = config.database_url(db_override)
    store = Store(url)
    run_id = store.start_run("collect")
    try:
        report = collect(config, store, url)
    except Exception as exc:  # the daemon must survive any single failed run
        log.error("collect failed: %s", exc)
        store.finish_run(run_id, "failed", errors=traceback.format_exc()[-4000:])
        store.close()
        return None
    status = "ok" if not (report.timed_out or report.crawl_failed) else "partial"
    store.finish_run(
        run_id, status, fetched=report.fetched, new=report.new, relevant=report.relevant
    )
    store.close()
    return report


def digest_job(
    config_path: str | None, db_override: str | None = None, day: str | None = None
) -> None:
    """Compose and deliver the digest of ``day`` (default: yesterday in the configured zone)."""
    from borderwatch.digest.deliver import deliver_digest

    config = load_config(config_path)
    store = Store(config.database_url(db_override))
    run_id = store.start_run("digest")
    try:
        target = dt.date.fromisoformat(day) if day else None
        paths = deliver_digest(config, store, target)
    except Exception as exc:
        log.error("digest failed: %s", exc)
        store.finish_run(run_id, "failed", errors=traceback.format_exc()[-4000:])
        store.close()
        return
    store.finish_run(run_id, "ok", new=len(paths))
    store.close()
