"""kill -9 of an ingest takes its analysis worker (and so the resource tracker) with it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from tests.support.config import write_config
from tests.support.synthetic import make_items, persistence_config


def test_children_of_a_killed_ingest_end_with_it(tmp_path: Path) -> None:
    config = persistence_config(tmp_path)
    config_path = write_config(tmp_path, json.loads(config.model_dump_json()))
    items = tmp_path / "items.jsonl"
    items.write_text(
        "".join(json.dumps(i) + "\n" for i in make_items(7, 20_000, "orphan")), encoding="utf-8"
    )
    ingest = subprocess.Popen(
        [sys.executable, "-m", "borderwatch", "--config", str(config_path), "ingest", str(items)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    parent = psutil.Process(ingest.pid)
    deadline = time.monotonic() + 120
    children: list[psutil.Process] = []
    # The worker pool and multiprocessing's resource tracker: two children.
    while time.monotonic() < deadline and len(children) < 2:
        children = parent.children(recursive=True)
        time.sleep(0.1)
    assert len(children) >= 2, "the ingest never started its worker"
    assert ingest.poll() is None, "the ingest ended before it could be killed"
    ingest.send_signal(signal.SIGKILL)
    ingest.wait(30)
    gone, alive = psutil.wait_procs(children, timeout=15)
    for process in alive:  # leave nothing behind, whatever the outcome
        process.kill()
    assert not alive, f"left running after kill -9: {[p.pid for p in alive]}"
