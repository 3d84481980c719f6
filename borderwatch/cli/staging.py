"""``borderwatch staging``: the batches waiting to be stored, and the items set aside."""

from __future__ import annotations

import click

from borderwatch.cli.app import App, fail, main, pass_app


@main.group()
def staging() -> None:
    """Staged batches waiting to be stored, and the items a database refused.

    Collected and ingested items wait in the staging folder (under data_dir) until they are
    stored. Each batch belongs to the database it was collected for and is stored into no
    other. An item the database refuses is set aside in the quarantine table; the rest of its
    batch is stored.
    """


@staging.command("list")
@pass_app
def list_batches(app: App) -> None:
    """The batches waiting for this database, and those left alone for other databases."""
    from borderwatch.ingest import staging_for
    from crawler.staging import StagingArea

    area = staging_for(app.store, StagingArea(app.config.staging_path))
    own = area.batches()
    click.echo(f"waiting for this database ({area.owner.label if area.owner else ''}):")
    for path in own:
        click.echo(f"  {path.name}  {_items(path):,} items")
    if not own:
        click.echo("  (none)")
    foreign = area.foreign()
    if foreign:
        click.echo("left alone, for other databases:")
        for batch in foreign:
            click.echo(f"  {batch.path.name}  {_items(batch.path):,} items  {batch.label}")


@staging.command()
@click.argument("batches", nargs=-1, metavar="BATCH...")
@click.option("--all", "everything", is_flag=True, help="Every batch left alone.")
@pass_app
def adopt(app: App, batches: tuple[str, ...], everything: bool) -> None:
    """Store batches left alone for another database into this one.

    For batches staged before batches recorded their database, or for a database that was
    moved (borderwatch db copy hands its batches over by itself). BATCH is a name shown by
    `borderwatch staging list`. The next ingest or collect stores them.
    """
    from borderwatch.ingest import staging_for
    from crawler.staging import StagingArea

    if not batches and not everything:
        fail("name the batches to adopt (see borderwatch staging list), or give --all")
    area = staging_for(app.store, StagingArea(app.config.staging_path))
    foreign = {batch.path.name: batch for batch in area.foreign()}
    wanted = list(foreign) if everything else list(batches)
    unknown = [name for name in wanted if name not in foreign and f"{name}.jsonl" not in foreign]
    if unknown:
        fail(f"no batch left alone is named {', '.join(unknown)}: see borderwatch staging list")
    for name in wanted:
        batch = foreign.get(name) or foreign[f"{name}.jsonl"]
        area.adopt(batch.path)
        click.echo(f"{batch.path.name}: now this database's (was {batch.label})")


@staging.command()
@click.option("--limit", type=click.IntRange(1, 1_000_000), default=50, show_default=True)
@click.option(
    "--items",
    "as_items",
    is_flag=True,
    help="Print the items themselves as JSON Lines (to mend and ingest again).",
)
@click.option(
    "--clear",
    is_flag=True,
    help="Forget the items set aside (after saving them with --items, mending and ingesting).",
)
@pass_app
def quarantine(app: App, limit: int, as_items: bool, clear: bool) -> None:
    """The items the database refused to store, with their batch, line and the reason."""
    from borderwatch.reports.output import terminal_text

    if clear and as_items:
        fail("--clear and --items do one thing each: save the items first, then clear")
    if clear:
        click.echo(f"{app.store.clear_quarantine():,} items set aside forgotten")
        return
    rows = app.store.quarantined(limit)
    if as_items:
        for item in rows["item"]:
            click.echo(item)
        return
    if rows.empty:
        click.echo("no items set aside")
        return
    for row in rows.to_dict("records"):
        click.echo(
            terminal_text(f"{row['batch_id']} line {row['line']}: {row['error']}  {row['item']}")[
                :300
            ]
        )


def _items(path) -> int:
    with path.open("rb") as handle:
        return sum(1 for line in handle if not line.isspace())
