"""The daemon's log file: the same timestamped lines as stderr, in a rotating file."""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

from borderwatch.config import Config

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_file_path(config: Config) -> Path | None:
    """Where ``schedule.log_file`` points (under data_dir unless absolute), or None."""
    name = config.schedule.log_file
    if not name:
        return None
    path = Path(name).expanduser()
    return path if path.is_absolute() else config.data_path / path


def add_log_file(config: Config) -> Path | None:
    """Also log to the configured rotating file; returns its path (None: not configured)."""
    path = log_file_path(config)
    if path is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(
        path,
        maxBytes=config.schedule.log_max_bytes,
        backupCount=config.schedule.log_backups,
        encoding="utf-8",
    )
    handler.setFormatter(logging.Formatter(FORMAT))
    logging.getLogger().addHandler(handler)
    return path
