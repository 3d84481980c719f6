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


def test_the_crawl_process_imports_neither_pandas_nor_the_extraction_libraries() -> None:
    """Every crawl is a fresh process whose start-up every poll pays: it opens the database
    through pipeline.database (no pandas, no numpy), and trafilatura is imported only by its
    extraction workers."""
    code = (
        "import sys\n"
        "import borderwatch.crawl_child\n"
        "from crawler.crawl import run_crawl\n"
        "from borderwatch.crawl_state import StoreCrawlState\n"
        "from borderwatch.database_staging import DatabaseStaging\n"
        "from pipeline.database import Database\n"
        "heavy = {'pandas', 'numpy', 'trafilatura', 'htmldate', 'justext'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
