"""Property-based fuzzing of the two public input formats (tests/support/fuzzing.py says what is
drawn and checked). A few hundred examples each, derandomized so that a run is repeatable;
benchmarks/fuzz_inputs.py runs many more, with fresh randomness."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.config import base_config, write_config
from tests.support.fuzzing import check_config, check_ingest, config_files, item_lines, write_lines

EXAMPLES = int(os.environ.get("BORDERWATCH_FUZZ_EXAMPLES", "200"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


def test_item_files_never_lose_double_or_crash(tmp_path: Path, db_url: str) -> None:
    runner = CliRunner()
    config = write_config(tmp_path, base_config(tmp_path))
    numbers = itertools.count()

    @SETTINGS
    @given(data=st.data(), bom=st.booleans())
    def ingest_one(data: st.DataObject, bom: bool) -> None:
        path = tmp_path / "items.jsonl"
        write_lines(path, data.draw(item_lines(f"fuzz{next(numbers)}")), bom)
        check_ingest(runner, config, db_url, path)

    ingest_one()


def test_config_files_exit_0_or_2(tmp_path: Path) -> None:
    runner = CliRunner()
    db_url = f"sqlite:///{tmp_path / 'config-fuzz.sqlite'}"

    @SETTINGS
    @given(data=st.data())
    def load_one(data: st.DataObject) -> None:
        path = tmp_path / "config.yaml"
        path.write_bytes(data.draw(config_files(tmp_path)))
        check_config(runner, path, db_url)

    load_one()
