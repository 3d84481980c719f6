"""Copy one borderwatch database into another, e.g. a laptop's SQLite file to PostgreSQL.

Both are at the current schema revision (opening a Store makes sure); the target must hold no
rows yet. Tables are copied parents first, in batches, in one transaction on the target, so a
failed copy leaves the target empty; PostgreSQL's id sequences are moved past the copied ids.
"""

from __future__ import annotations

from sqlalchemy import Integer, func, insert, select, text

from pipeline.schema import metadata
from pipeline.store import Store

BATCH_ROWS = 2000
# A copy is a database of its own: it keeps the identity it was created with, so that batches
# staged for one of the two are never stored into the other. The workers' heartbeats describe
# processes attached to the source database, not data.
NOT_COPIED = frozenset({"database_info", "crawl_workers"})


class TransferError(Exception):
    """The copy cannot start; the message is one line for the user."""


def copy_database(source: Store, target: Store, batch_rows: int = BATCH_ROWS) -> dict[str, int]:
    """Copy every table's rows from ``source`` to ``target``; returns rows per table."""
    with target.engine.connect() as conn:
        filled = [
            t.name
            for t in metadata.sorted_tables
            if t.name not in NOT_COPIED
            and conn.execute(select(func.count()).select_from(t)).scalar_one()
        ]
    if filled:
        raise TransferError(
            f"the target database is not empty ({', '.join(filled)} have rows): "
            "copy into a new database"
        )
    copied: dict[str, int] = {}
    with source.engine.connect() as reader, target.transaction() as writer:
        for table in metadata.sorted_tables:
            if table.name in NOT_COPIED:
                continue
            result = reader.execution_options(yield_per=batch_rows).execute(select(table))
            count = 0
            for rows in result.partitions():
                writer.execute(insert(table), [dict(row._mapping) for row in rows])
                count += len(rows)
            copied[table.name] = count
        if target.dialect == "postgresql":
            _advance_sequences(writer)
    return copied


def _advance_sequences(conn) -> None:
    """Make the next generated id follow the copied ones (explicit ids do not move sequences)."""
    for table in metadata.sorted_tables:
        key = list(table.primary_key.columns)
        if len(key) == 1 and isinstance(key[0].type, Integer) and key[0].autoincrement:
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                    f"COALESCE(MAX({key[0].name}), 1), MAX({key[0].name}) IS NOT NULL) "
                    f"FROM {table.name}"
                ),
                {"table": table.name, "column": key[0].name},
            )
