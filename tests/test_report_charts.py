"""``--chart FILE.png``: every report draws a readable PNG, checked by reading it back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from borderwatch.cli import main
from pipeline.store import Store
from tests.support import reports_data
from tests.support.config import base_config, write_config


@pytest.fixture
def setup(db_url: str, tmp_path: Path) -> list[str]:
    store = Store(db_url)
    reports_data.build(store)
    store.close()
    return ["--config", str(write_config(tmp_path, base_config(tmp_path))), "--db", db_url]


@pytest.mark.parametrize(
    "args",
    [
        ["trend", "--by", "day", "--tag", "ceasefire", "--tag", "talks"],
        ["sources", "--by", "source"],
        ["stories", "--limit", "5"],
        ["tags"],
    ],
)
def test_every_report_draws_a_chart(runner, setup, tmp_path: Path, args: list[str]) -> None:
    from matplotlib.image import imread

    path = tmp_path / "charts" / f"{args[0]}.png"
    result = runner.invoke(main, [*setup, "report", *args, "--chart", str(path)])
    assert result.exit_code == 0, result.output
    image = imread(path)
    height, width = image.shape[:2]
    assert width >= 1000 and height >= 600
    pixels = image[..., :3].reshape(-1, 3)
    # Not blank: many colours, and a good part of the picture is not background white.
    assert len(np.unique(np.round(pixels, 2), axis=0)) > 50
    assert (pixels.mean(axis=1) < 0.9).mean() > 0.01


def test_a_chart_name_must_end_in_png(runner, setup, tmp_path: Path) -> None:
    result = runner.invoke(main, [*setup, "report", "trend", "--chart", str(tmp_path / "x.jpg")])
    assert result.exit_code == 2
    assert "PNG" in result.output
