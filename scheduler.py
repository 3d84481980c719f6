"""The daemon's entry point: ``python scheduler.py [--config PATH] [--db URL] [-v] [--once]``
does what ``borderwatch run`` does.

The daemon itself, the APScheduler jobs built from config.yaml, their reconciliation and the
signals, is borderwatch/daemon.py: the command line imports it from there, and nothing imports
this file.
"""

from __future__ import annotations

import sys

from borderwatch.cli import main as cli

# Options of ``borderwatch run`` itself; every other argument belongs to ``borderwatch``.
_RUN_OPTIONS = {"--once", "-h", "--help"}


def main(argv: list[str] | None = None) -> None:
    """Run ``borderwatch [OPTIONS] run [--once]`` with this file's arguments."""
    args = list(sys.argv[1:] if argv is None else argv)
    run_options = [a for a in args if a in _RUN_OPTIONS]
    options = [a for a in args if a not in _RUN_OPTIONS]
    cli(args=[*options, "run", *run_options], prog_name="scheduler.py")


if __name__ == "__main__":
    main()
