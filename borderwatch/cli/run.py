"""``borderwatch run``: the daemon."""

from __future__ import annotations

import click

from borderwatch.cli.app import App, main, pass_app


@main.command()
@click.option("--once", is_flag=True, help="Run each job once and exit (for cron).")
@pass_app
def run(app: App, once: bool) -> None:
    """Run the daemon: collect on the configured interval, send the digest daily."""
    config = app.config
    app.store.count("runs")  # open (and if new, create) the database before the first job
    if once:
        from borderwatch.jobs import collect_job, digest_job

        collect_job(app.config_path, app.db_override)
        digest_job(app.config_path, app.db_override)
        return
    import scheduler

    scheduler.run_daemon(config, app.config_path, app.db_override)
