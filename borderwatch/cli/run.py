"""``borderwatch run``: the daemon."""

from __future__ import annotations

import click

from borderwatch.cli.app import App, fail, main, pass_app


@main.command()
@click.option(
    "--once", is_flag=True, help="Collect once, send the digest if one is due, check health, exit."
)
@pass_app
def run(app: App, once: bool) -> None:
    """Run the daemon: collect on the configured interval, send the digest daily.

    One daemon per database: a second one refuses to start. SIGTERM or SIGINT stop it cleanly,
    SIGHUP re-reads config.yaml.
    """
    from borderwatch.logging_setup import add_log_file

    config = app.config
    app.store.count("runs")  # open (and if new, create) the database before the first job
    add_log_file(config)
    if once:
        _run_once(app)
        return
    from borderwatch.daemon import DaemonRefused, run_daemon

    try:
        run_daemon(config, app.config_path, app.db_override)
    except DaemonRefused as exc:
        fail(str(exc), status=1)


def _run_once(app: App) -> None:
    """Each job once, under the daemon lock so that cron and a daemon never overlap."""
    from borderwatch import jobs
    from borderwatch.lock import DAEMON, DatabaseLock, LockHeld

    lock = DatabaseLock(app.database_url, DAEMON)
    try:
        lock.acquire()
    except LockHeld as exc:
        fail(f"a borderwatch daemon is already running on this database ({exc})", status=1)
    try:
        jobs.run_collect(app.config, app.database_url)
        jobs.send_due_digests(app.config, app.database_url)
        jobs.run_health(app.config, app.database_url)
    finally:
        lock.release()
