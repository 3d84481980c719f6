"""Alembic's environment: runs the migrations on the connection borderwatch hands over.

Configured in code (pipeline.migrations.alembic_config), so the same migrations run from a
checkout and from an installed package. The plain ``alembic`` command works too when
BORDERWATCH_DATABASE_URL names the database.
"""

from __future__ import annotations

import os

from alembic import context

from pipeline.schema import metadata

config = context.config


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite changes tables by copying them; batch mode is how Alembic does that.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    from pipeline.engine import make_engine

    url = config.get_main_option("sqlalchemy.url") or os.environ["BORDERWATCH_DATABASE_URL"]
    engine = make_engine(url)
    with engine.begin() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
