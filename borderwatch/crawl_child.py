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
    extractor = None
    if not job.get("check"):
        # Before Scrapy and the store are imported: workers started now import trafilatura on
        # the other cores meanwhile, instead of after the first pages have arrived. Only as
        # many as leave this process a core of its own: more would slow its own start-up, which
        # comes first; the rest start with the first pages, while the crawl waits on the network.
        from crawler.extract_pool import make_extractor, workers_for

        options = job["options"]
        extractor = make_extractor(
            options.get("extract_workers", "auto"),
            timeout=float(options.get("extract_timeout", 60)),
            on_start=die_with_parent,
        )
        if surely_extracts(job["plan"]):
            extractor.start(workers_for("auto") - 1)
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
        from pipeline.database import Database

        store = None
        try:
            store = Database(job["database"], create=False)
            state = StoreCrawlState(store, job["plan"])
            crawl = run_crawl(
                job["plan"],
                state,
                job["staging"],
                job["options"],
                extractor=extractor,
            )
            if job.get("staging_base"):
                # Staged in the database: the batch built locally is published by one INSERT.
                DatabaseStaging(store, Path(job["staging_base"])).publish_folder(
                    Path(job["staging"])
                )
            # Only now, with the batch published, may the validators and next fetch times go.
            written, refused = state.commit(finished=crawl.finish_reason == "finished")
        finally:
            extractor.close()  # run_crawl closed it already, unless it never ran
            if store is not None:
                store.close()
        report = asdict(crawl)
        report["outcomes_written"], report["outcomes_refused"] = written, refused
    Path(args.report).write_text(json.dumps(report, default=str), encoding="utf-8")
    return 0


def surely_extracts(plan: list[dict]) -> bool:
    """Whether the crawl will extract article pages whatever the servers answer: a target with
    full text on has never been fetched (no validators, no body hash), so it cannot answer 304
    or be found unchanged. A poll of known feeds may well find nothing new: it starts its
    extraction workers on the first article page instead, and a poll that finds nothing starts
    none."""
    return any(
        target.get("full_text", True)
        and not (target.get("etag") or target.get("last_modified") or target.get("body_hash"))
        for target in plan
    )


if __name__ == "__main__":
    sys.exit(main())
