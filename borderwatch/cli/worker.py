"""``borderwatch worker``: a crawl worker for the queue configured in config.yaml."""

from __future__ import annotations

from borderwatch.cli.app import App, fail, main, pass_app


@main.command()
@pass_app
def worker(app: App) -> None:
    """Crawl the shards the daemon sends through the queue (``queue:`` in config.yaml).

    Run any number, on any machine with the same config.yaml and database. SIGTERM or SIGINT
    stop it after the current shard's crawl has published what it collected.
    """
    from borderwatch.logging_setup import add_log_file
    from borderwatch.worker import CrawlWorker

    config = app.config
    if config.queue is None:
        fail(
            f"{app.config_path or 'config.yaml'} has no queue: section: nothing to consume "
            "(docs/scale-out.md)",
            status=2,
        )
    add_log_file(config)
    CrawlWorker(config, app.database_url).run()
