"""Alembic migrations of the borderwatch schema, configured in code so they run from an
installed package (no alembic.ini needed).

``prepare`` is what opening a store does: an empty database is created at the head revision,
an existing one must already be at head, otherwise ``SchemaVersionError`` says what to run.
``upgrade`` is ``borderwatch db upgrade``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig
    from sqlalchemy import Connection, Engine

MIGRATIONS = Path(__file__).resolve().parent
VERSION_TABLE = "alembic_version"
UPGRADE_HINT = "run `borderwatch db upgrade`"


class SchemaVersionError(Exception):
    """The database's schema is not the one this borderwatch expects; the message is one line."""


def alembic_config(connection: Connection | None = None) -> AlembicConfig:
    """An Alembic configuration pointing at this package, optionally bound to ``connection``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest revision the installed code knows."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads, expected one: {heads}")
    return heads[0]


@lru_cache(maxsize=1)
def known_revisions() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config())
    return frozenset(s.revision for s in scripts.walk_revisions())


def current_revision(engine: Engine) -> str | None:
    """The database's revision; None for a database without borderwatch tables or revision."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _has_tables(conn: Connection) -> bool:
    from sqlalchemy import inspect

    return bool(set(inspect(conn).get_table_names()) - {VERSION_TABLE})


def describe(engine: Engine) -> str:
    """``borderwatch db current``: the revision and whether it is the head."""
    head = head_revision()
    with engine.connect() as conn:
        has_tables = _has_tables(conn)
    current = current_revision(engine)
    if current is None:
        if has_tables:
            return f"no revision recorded (tables from before migrations); head is {head}"
        return f"empty database; head is {head}"
    if current == head:
        return f"{current} (head)"
    if current in known_revisions():
        return f"{current}; head is {head}: {UPGRADE_HINT}"
    return f"{current}, unknown to this borderwatch (head {head}): a newer version wrote it"


def prepare(engine: Engine, *, create: bool = True) -> None:
    """Create an empty database at head, or check that an existing one is at head.

    Raises SchemaVersionError when the database needs ``borderwatch db upgrade`` or was written
    by a newer borderwatch.
    """
    from alembic.runtime.migration import MigrationContext

    head = head_revision()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        if current == head:
            return
        has_tables = _has_tables(conn)
    if current is None and not has_tables:
        if create:
            _create_at_head(engine)
        return
    raise SchemaVersionError(_outdated_message(current, head))


def _outdated_message(current: str | None, head: str) -> str:
    if current is None:
        return f"the database has no schema revision (expected {head}): {UPGRADE_HINT}"
    if current in known_revisions():
        return f"the database schema is at revision {current}, this borderwatch needs {head}: " + (
            UPGRADE_HINT
        )
    return (
        f"the database schema is at revision {current}, newer than this borderwatch knows "
        f"(head {head}): upgrade borderwatch"
    )


def _create_at_head(engine: Engine) -> None:
    """A new database gets the tables of pipeline/schema.py, stamped as the head revision.

    The migration tests prove that this schema equals the one the migrations build.
    """
    from alembic import command

    from pipeline.schema import metadata

    with migration_connection(engine) as conn:
        # Another process may have created it between our check and here.
        if not _has_tables(conn):
            metadata.create_all(conn)
            command.stamp(alembic_config(conn), "head")


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Migrate the database to ``revision``; returns (before, after).

    A database from before migrations (the tables of the first schema, no revision) is stamped
    as 0001 first; an empty database is built by running every migration.
    """
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    with migration_connection(engine) as conn:
        before = MigrationContext.configure(conn).get_current_revision()
        config = alembic_config(conn)
        if before is None and _has_tables(conn):
            command.stamp(config, "0001")
        command.upgrade(config, revision)
        after = MigrationContext.configure(conn).get_current_revision()
    return before, after


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    with migration_connection(engine) as conn:
        command.downgrade(alembic_config(conn), revision)


class migration_connection:  # noqa: N801 - named like the function it stands for
    """One connection and one transaction for a whole migration, on either back end.

    SQLite: Python's driver does not open a transaction for DDL, so we issue BEGIN IMMEDIATE
    ourselves (every migration step is then atomic and other writers wait). Foreign keys are
    switched off for the duration, as SQLite's own procedure for changing tables requires:
    otherwise Alembic's copy-and-rename of a table (batch mode) would cascade-delete rows that
    refer to it. The keys are verified with foreign_key_check before committing.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.conn: Connection | None = None

    def __enter__(self) -> Connection:
        self.conn = self.engine.connect()
        if self.engine.dialect.name == "sqlite":
            self.conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            self.conn.commit()
            self.conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            self.conn.begin()
            # One migrating process at a time; a second waits, then finds the work done.
            self.conn.exec_driver_sql("SELECT pg_advisory_xact_lock(2025102601)")
        return self.conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        assert self.conn is not None
        conn = self.conn
        try:
            if exc_type is None and self.engine.dialect.name == "sqlite":
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    conn.rollback()
                    raise SchemaVersionError(
                        f"migration rolled back: it left {len(broken)} rows with broken "
                        f"foreign keys (first: {tuple(broken[0])})"
                    )
            if exc_type is None:
                conn.commit()
            else:
                conn.rollback()
        finally:
            if self.engine.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.close()
