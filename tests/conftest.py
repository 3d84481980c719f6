"""Shared fixtures: real SQLite files, a real CLI runner and the sample site on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from borderwatch.config import PACKAGED_CONFIG, Config, config_from_mapping

REPO = Path(__file__).resolve().parents[1]
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


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def sample_site() -> Iterator[Any]:
    from borderwatch.demo.sample_site import serve_sample_site

    with serve_sample_site(now=SITE_NOW) as server:
        yield server


# -- databases: SQLite always; PostgreSQL too when BORDERWATCH_TEST_DATABASE_URL is set ----------
PG_ENV = "BORDERWATCH_TEST_DATABASE_URL"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that takes ``db_url`` once per configured back end."""
    if "db_url" in metafunc.fixturenames:
        backends = ["sqlite"] + (["postgresql"] if os.environ.get(PG_ENV) else [])
        metafunc.parametrize("db_backend", backends)


@pytest.fixture
def db_url(db_backend: str, tmp_path: Path) -> Iterator[str]:
    """A database URL of an empty database: a fresh SQLite file, or a fresh PostgreSQL schema."""
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite'}"
        return
    from sqlalchemy import create_engine, text

    server = os.environ[PG_ENV]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in server else "?"
    yield f"{server}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()
