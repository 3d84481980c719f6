"""Configurations for tests: the real config.yaml with its data under a temporary folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from borderwatch.config import PACKAGED_CONFIG, Config, config_from_mapping

# The environment variable naming a PostgreSQL server for the tests (a database of its own per run).
PG_ENV = "BORDERWATCH_TEST_DATABASE_URL"

REPO = Path(__file__).resolve().parents[2]
# A fixed "now" makes the sample site's dates, and so every count, reproducible.
SITE_NOW = dt.datetime(2025, 10, 27, 12, 0, tzinfo=dt.UTC)


def base_config(tmp_path: Path, **changes: Any) -> dict[str, Any]:
    """The real config.yaml with its data under ``tmp_path`` and no sources."""
    raw = yaml.safe_load(PACKAGED_CONFIG.read_text(encoding="utf-8"))
    raw["data_dir"] = str(tmp_path / "data")
    raw["sources"] = []
    raw["collect"].update({"allow_private_addresses": True, "download_delay": 0})
    raw.update(changes)
    return raw


def write_config(tmp_path: Path, raw: dict[str, Any]) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def make_config(tmp_path: Path, raw: dict[str, Any]) -> Config:
    return config_from_mapping(raw, base_dir=tmp_path)
