"""``borderwatch demo``: the whole pipeline offline against the bundled sample news site.

Serves the sample site on a loopback port, writes a configuration pointing at it into the work
folder, collects and processes, writes the digest to the outbox and returns a coverage table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from borderwatch.collect import CollectReport, collect
from borderwatch.config import PACKAGED_CONFIG, Config, config_from_mapping
from borderwatch.demo.sample_site import demo_sources, serve_sample_site
from borderwatch.digest.deliver import deliver_digest
from pipeline.store import Store

# Written into every demo folder: a later demo may write into a folder that has it, and into
# no other folder that holds anything (it would overwrite a user's config.yaml and database).
MARKER = ".borderwatch-demo"
_HEADER = "# Written by `borderwatch demo`"


class DemoFolderError(Exception):
    """The demo's folder holds files that are not a demo's; the message is one line."""


def check_demo_folder(workdir: Path) -> None:
    """Raise DemoFolderError unless ``workdir`` is missing, empty or an earlier demo's."""
    if not workdir.exists():
        return
    if not workdir.is_dir():
        raise DemoFolderError(f"{workdir} is a file, not a folder")
    if not any(workdir.iterdir()) or (workdir / MARKER).is_file():
        return
    config = workdir / "config.yaml"
    try:
        with config.open(encoding="utf-8", errors="replace") as handle:
            if handle.readline().startswith(_HEADER):
                return  # a demo folder from before the marker
    except OSError:
        pass
    raise DemoFolderError(
        f"{workdir} already holds files that are not an earlier demo's; the demo writes a "
        "config.yaml and a database there: give an empty or new folder"
    )


@dataclass
class DemoResult:
    config_path: Path
    database_url: str
    database_path: Path
    outbox: Path
    digest_files: list[Path]
    report: CollectReport
    coverage: pd.DataFrame


def demo_config(workdir: Path, base_url: str) -> dict:
    """The packaged configuration with the sample site's outlets and a demo-friendly pace."""
    raw = yaml.safe_load(PACKAGED_CONFIG.read_text(encoding="utf-8"))
    raw["data_dir"] = str(workdir)
    raw["database"] = f"sqlite:///{workdir / 'borderwatch.sqlite'}"
    raw["sources"] = demo_sources(base_url)
    raw["collect"].update(
        {
            # The sample site lives on 127.0.0.1, which a real deployment refuses.
            "allow_private_addresses": True,
            "download_delay": 0,
            "concurrency_per_domain": 8,
            "crawl_time_limit": "2m",
        }
    )
    return raw


def run_demo(workdir: Path, now: dt.datetime | None = None) -> DemoResult:
    """Run the demo in ``workdir`` (missing, empty or an earlier demo's, else DemoFolderError).

    The demo's database is always the SQLite file in ``workdir``, whatever --db or
    $BORDERWATCH_DATABASE_URL say: a demo never writes into a user's database.
    """
    workdir = workdir.resolve()
    check_demo_folder(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / MARKER).write_text("borderwatch demo folder\n", encoding="utf-8")
    with serve_sample_site(now=now) as server:
        raw = demo_config(workdir, server.base_url)
        config_path = workdir / "config.yaml"
        config_path.write_text(
            f"{_HEADER}: the sample site's sources on a loopback port.\n"
            + yaml.safe_dump(raw, sort_keys=False, allow_unicode=True),
            encoding="utf-8",
        )
        config: Config = config_from_mapping(
            raw, origin=str(config_path), base_dir=workdir, path=config_path
        )
        url = str(raw["database"])
        store = Store(url)
        try:
            report = collect(config, store, url)
            digest_files = deliver_digest(config, store, digest_day(config, now))
            coverage = coverage_table(store, list(config.tags))
        finally:
            store.close()
    return DemoResult(
        config_path=config_path,
        database_url=url,
        database_path=config.data_path / "borderwatch.sqlite",
        outbox=config.outbox_path,
        digest_files=digest_files,
        report=report,
        coverage=coverage,
    )


def digest_day(config: Config, now: dt.datetime | None = None) -> dt.date:
    """The digest's day: the local day, in the configured zone, of twelve hours ago.

    Not simply today: just after local midnight (evening in UTC for a zone east of it) the new
    local day holds minutes of articles and the digest would be nearly empty. Twelve hours back
    always lands on a local day with at least half a day of the sample site's articles.
    """
    moment = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(hours=12)
    return moment.astimezone(config.schedule.zone).date()


def coverage_table(store: Store, tags: list[str]) -> pd.DataFrame:
    """Relevant articles per day: all (``*``) and per tag, with the day's total volume."""
    coverage = store.read_sql(
        "SELECT day, tag, SUM(articles) AS articles FROM daily_coverage GROUP BY day, tag"
    )
    volume = store.read_sql("SELECT day, SUM(articles) AS collected FROM daily_volume GROUP BY day")
    if coverage.empty:
        return volume.assign(relevant=0)
    table = coverage.pivot_table(index="day", columns="tag", values="articles", fill_value=0)
    ordered = ["*"] + [t for t in tags if t in table.columns]
    table = table.reindex(columns=ordered, fill_value=0).rename(columns={"*": "relevant"})
    table = volume.set_index("day").join(table, how="left").fillna(0).astype(int)
    table.index = [str(d) for d in table.index]
    table.index.name = "day"
    return table.reset_index()
