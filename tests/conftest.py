"""Shared fixtures: real SQLite files, a real CLI runner and the sample site on 127.0.0.1.

Builders and servers that test modules import are in tests/support/."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.support.config import PG_ENV, SITE_NOW


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def sample_site() -> Iterator[Any]:
    from borderwatch.demo.sample_site import serve_sample_site

    with serve_sample_site(now=SITE_NOW) as server:
        yield server


# -- databases: SQLite always; PostgreSQL too when BORDERWATCH_TEST_DATABASE_URL is set ----------


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
