"""Entry point of the child process that runs one crawl (``python -m borderwatch.crawl_child``).

The parent writes the plan as JSON and waits with a time limit; this process crawls, stages the
items, publishes the batch, then writes the targets' fetch outcomes (validators, next fetch
time: never before the batch they describe is published), writes a small JSON report and exits.
It dies with its parent (a worker killed with SIGKILL leaves no crawl behind). A fresh process
per crawl is what lets the daemon crawl again and again: Twisted's reactor cannot be restarted.

The crawler, the store and their libraries are imported in ``main``, not here: the extraction
workers start as fresh interpreters that import this module (multiprocessing's "spawn" re-imports
the main module), and they need none of it.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path

from borderwatch.parent_watch import die_with_parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plan", required=True, help="JSON file with db, staging, options, plan")
    parser.add_argument("--report", required=True, help="where to write the crawl report (JSON)")
    args = parser.parse_args(argv)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s crawl: %(message)s"))
    # On the handler, not the root logger: Scrapy resets logger levels when it starts.
    handler.setLevel(logging.WARNING)
    logging.getLogger().addHandler(handler)
    job = json.loads(Path(args.plan).read_text(encoding="utf-8"))
    if job.get("parent"):
        die_with_parent(int(job["parent"]))
    from crawler.crawl import run_crawl

    if job.get("check"):
        # ``sources check``: no database, no staging; the outcomes are the report.
        from crawler.state import MemoryState

        state = MemoryState()
        report = asdict(run_crawl(job["plan"], state, None, job["options"], check_only=True))
        report["outcomes"] = [
            {"source": source, "url": url, **outcome}
            for (source, url), outcome in state.outcomes.items()
        ]
    else:
        from borderwatch.crawl_state import StoreCrawlState
        from borderwatch.database_staging import DatabaseStaging
        from pipeline.store import Store

        store = Store(job["database"], create=False)
        try:
            state = StoreCrawlState(store, job["plan"])
            crawl = run_crawl(
                job["plan"],
                state,
                job["staging"],
                job["options"],
                on_worker_start=die_with_parent,
            )
            if job.get("staging_base"):
                # Staged in the database: the batch built locally is published by one INSERT.
                DatabaseStaging(store, Path(job["staging_base"])).publish_folder(
                    Path(job["staging"])
                )
            # Only now, with the batch published, may the validators and next fetch times go.
            written, refused = state.commit(finished=crawl.finish_reason == "finished")
        finally:
            store.close()
        report = asdict(crawl)
        report["outcomes_written"], report["outcomes_refused"] = written, refused
    Path(args.report).write_text(json.dumps(report, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
