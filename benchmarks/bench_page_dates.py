"""Page dates: borderwatch's publication date against htmldate's, on the labelled page set.

Reads tests/data/pages/dates/ (fictional article pages in English, Urdu, Dari and Pashto, each
labelled in manifest.json with its publication day: the UTC day of the publication time, or the
written day when the page gives no time) and dates every page three ways in the same run:

1. borderwatch: ``crawler.extract.extract_article``, exactly what collection does;
2. htmldate's best mode: ``find_date(page, url=URL, original_date=True,
   extensive_search=True)``, keeping the time and offset, converted to UTC as borderwatch does;
3. htmldate's defaults: ``find_date(page, url=URL)`` (extensive search, latest date, day only).

It prints the share of pages dated to the exact day per category and overall, the pages
borderwatch gets wrong, and the time per page of each way of dating: for borderwatch the date
alone (parsing the page and ``crawler.page_dates.publication_date``) and the whole extraction
(text, metadata and date), as medians of ``--repeat`` interleaved passes. No network is used.

    .venv/bin/python benchmarks/bench_page_dates.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import trafilatura  # noqa: E402
from htmldate import find_date  # noqa: E402

from crawler.dates import to_utc_iso  # noqa: E402
from crawler.extract import extract_article  # noqa: E402
from crawler.page_dates import HTMLDATE_FORMAT, publication_date  # noqa: E402

PAGES = REPO / "tests" / "data" / "pages" / "dates"
#: The pages' "now": the day their mastheads print; plausibility is judged against it.
NOW = datetime(2025, 11, 10, 12, 0, tzinfo=UTC)


def load_pages(folder: Path = PAGES) -> list[dict[str, Any]]:
    """The manifest's entries, each with the page's bytes under ``body``."""
    entries = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for entry in entries:
        entry["body"] = (folder / entry["file"]).read_bytes()
    return entries


def borderwatch_day(page: dict[str, Any]) -> str | None:
    published = extract_article(page["body"], page["url"], now=NOW).published
    return published[:10] if published else None


def htmldate_extensive_day(page: dict[str, Any]) -> str | None:
    found = find_date(
        page["body"],
        url=page["url"],
        original_date=True,
        extensive_search=True,
        outputformat=HTMLDATE_FORMAT,
    )
    converted = to_utc_iso(found, check=False) if found else None
    return converted[:10] if converted else None


def htmldate_default_day(page: dict[str, Any]) -> str | None:
    return find_date(page["body"], url=page["url"])


METHODS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "borderwatch": borderwatch_day,
    "htmldate extensive original": htmldate_extensive_day,
    "htmldate defaults": htmldate_default_day,
}


def accuracy(pages: list[dict[str, Any]]) -> dict[str, dict[str, list[str | None]]]:
    """For each method, the day it finds for every page, keyed by the page's file name."""
    return {name: {p["file"]: method(p) for p in pages} for name, method in METHODS.items()}


def _date_only(page: dict[str, Any]) -> None:
    tree = trafilatura.load_html(page["body"])
    publication_date(tree, page["url"], now=NOW)


def _extraction(page: dict[str, Any]) -> None:
    extract_article(page["body"], page["url"], now=NOW)


TIMED: dict[str, Callable[[dict[str, Any]], Any]] = {
    "borderwatch date (parse + chain)": _date_only,
    "htmldate extensive original": htmldate_extensive_day,
    "htmldate defaults": htmldate_default_day,
    "borderwatch whole extraction": _extraction,
}


def timings(pages: list[dict[str, Any]], repeat: int) -> dict[str, float]:
    """Median milliseconds per page of each timed way, over ``repeat`` interleaved passes."""
    passes: dict[str, list[float]] = {name: [] for name in TIMED}
    for _ in range(repeat):
        for name, method in TIMED.items():
            start = time.perf_counter()
            for page in pages:
                method(page)
            passes[name].append((time.perf_counter() - start) / len(pages) * 1000)
    return {name: statistics.median(values) for name, values in passes.items()}


def report(pages: list[dict[str, Any]], found: dict[str, dict[str, str | None]]) -> None:
    categories = sorted({p["category"] for p in pages}, key=lambda c: (c == "all", c))
    names = list(METHODS)
    header = f"{'category':<14}{'pages':>6}" + "".join(f"{n:>30}" for n in names)
    print(header)
    print("-" * len(header))
    for category in [*categories, "all"]:
        chosen = [p for p in pages if category in ("all", p["category"])]
        cells = []
        for name in names:
            right = sum(found[name][p["file"]] == p["day"] for p in chosen)
            cells.append(f"{right:>3}/{len(chosen):<3} {right / len(chosen):>6.1%}")
        print(f"{category:<14}{len(chosen):>6}" + "".join(f"{c:>30}" for c in cells))
    print()
    for name in names:
        wrong = [p for p in pages if found[name][p["file"]] != p["day"]]
        listed = ", ".join(f"{p['file']} ({found[name][p['file']]})" for p in wrong[:12])
        more = f" and {len(wrong) - 12} more" if len(wrong) > 12 else ""
        print(f"{name} wrong on {len(wrong)}: {listed or 'none'}{more}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed passes (median)")
    args = parser.parse_args(argv)
    pages = load_pages()
    languages = ", ".join(sorted({p["language"] for p in pages}))
    print(f"{len(pages)} labelled pages ({languages}); exact publication day (UTC)\n")
    report(pages, accuracy(pages))
    print(f"\ntime per page, median of {args.repeat} passes over {len(pages)} pages:")
    for name, ms in timings(pages, args.repeat).items():
        print(f"  {name:<36} {ms:7.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
