"""Fuzz the two public input formats longer than the test suite does.

The same properties as tests/test_fuzz_inputs.py (strategies and checks in
tests/support/fuzzing.py): item files through ``borderwatch ingest`` (exit 0, every valid
item stored exactly once, nothing left staged or set aside, coverage equal to a rebuild) and
config.yaml files through
``borderwatch status`` (exit 0 or 2 with one line, never a traceback; a valid file also builds
the daemon's jobs). Fresh randomness each run; prints how many examples ran per property and
the falsifying example of any that failed.

    .venv/bin/python benchmarks/fuzz_inputs.py                    # 2,000 examples each, SQLite
    .venv/bin/python benchmarks/fuzz_inputs.py --examples 500 \\
        --db postgresql+psycopg://postgres@127.0.0.1/bw_fuzz       # items on PostgreSQL too
"""

from __future__ import annotations

import argparse
import itertools
import logging
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from click.testing import CliRunner  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.support.config import base_config, write_config  # noqa: E402
from tests.support.fuzzing import (  # noqa: E402
    check_config,
    check_ingest,
    config_files,
    item_lines,
    write_lines,
)


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    )


def fuzz_items(folder: Path, db_url: str, examples: int) -> tuple[int, str | None]:
    runner = CliRunner()
    config = write_config(folder, base_config(folder))
    numbers = itertools.count()
    ran = itertools.count()

    @_settings(examples)
    @given(data=st.data(), bom=st.booleans())
    def ingest_one(data: st.DataObject, bom: bool) -> None:
        next(ran)
        path = folder / "items.jsonl"
        write_lines(path, data.draw(item_lines(f"fuzz{next(numbers)}")), bom)
        check_ingest(runner, config, db_url, path)

    return _run(ingest_one, ran)


def fuzz_config(folder: Path, examples: int) -> tuple[int, str | None]:
    runner = CliRunner()
    db_url = f"sqlite:///{folder / 'config-fuzz.sqlite'}"
    ran = itertools.count()

    @_settings(examples)
    @given(data=st.data())
    def load_one(data: st.DataObject) -> None:
        next(ran)
        path = folder / "config.yaml"
        path.write_bytes(data.draw(config_files(folder)))
        check_config(runner, path, db_url)

    return _run(load_one, ran)


def _run(prop, ran) -> tuple[int, str | None]:
    try:
        prop()
    except Exception:  # noqa: BLE001 - the failure is the report
        return next(ran), traceback.format_exc(limit=3)
    return next(ran), None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000, help="examples per property")
    parser.add_argument("--db", help="also fuzz item files into this (empty) PostgreSQL database")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the per-line reports of bad items are expected here
    failed = False
    with tempfile.TemporaryDirectory(prefix="bw-fuzz-") as tmp:
        root = Path(tmp)
        targets = [
            ("items, SQLite", lambda f: fuzz_items(f, f"sqlite:///{f / 'i.sqlite'}", args.examples))
        ]
        if args.db:
            targets.append(("items, PostgreSQL", lambda f: fuzz_items(f, args.db, args.examples)))
        targets.append(("config.yaml", lambda f: fuzz_config(f, args.examples)))
        print(f"{'property':<20} {'examples':>9} {'seconds':>8}  result")
        for number, (name, run) in enumerate(targets):
            folder = root / str(number)
            folder.mkdir()
            started = time.perf_counter()
            ran, failure = run(folder)
            seconds = time.perf_counter() - started
            print(f"{name:<20} {ran:>9} {seconds:>8.0f}  {'FAILED' if failure else 'ok'}")
            if failure:
                failed = True
                print(failure)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
