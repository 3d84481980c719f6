"""The direction of imports: the import-linter contracts of pyproject.toml hold.

Orchestration (borderwatch/) imports the crawler and the pipeline, never the reverse; the crawler
imports nothing of the pipeline but the item format; the stages import neither the store nor
the database; nothing imports scheduler.py; no package has an import circle. The same check
runs as ``lint-imports`` (docs/architecture.md).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
