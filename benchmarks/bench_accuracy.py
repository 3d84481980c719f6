"""Accuracy of what is counted: relevance and tags on the labelled set, against a naive baseline.

The labelled set (tests/data/accuracy/: articles in English, Urdu, Dari and Pashto in two
halves, and a fresh split, tests/data/accuracy/fresh/, mostly long reports; the first line
printed gives their sizes) is judged by the configuration's topic and tags (config.yaml by
default) and, in the same run, by a naive baseline: relevance = both country names (any
language form) and one subject word; tags = one keyword list per tag, any mention counting
(``borderwatch.accuracy.naive_rules``).
Each article is judged as its title only, its title and lede, and its full text.

Printed, for each split of the set (``tune``: what the default queries were tuned on; ``held``:
articles they were not tuned on; ``fresh``: articles written before the tags were retuned and
never tuned on, most of them 250-700 words long) and for both halves together (``all``, without
the fresh split): relevance precision, recall and F1 per
variant; per-tag precision and recall per variant; the mean number of tags per relevant
article on full text against the labelled mean; per-tag figures on full text again with 4 and 8
sentences of other articles inserted deep in each body of the halves (remarks in passing, labels
kept: what the mention thresholds do when a text is long and strays); relevance by family of
articles; and the probe headlines (tests/data/probes/: 135 (105 in Urdu), 75, 180 and 30 lines
per language for border, trade, refugees and security, that tell them in many different words,
and 45 (35), 25, 60 and 30 that use their words without telling them; the tags were widened
with them), found and falsely tagged per language, and the held-out probe headlines
(tests/data/probes/held/: 30 and 10 per tag and language for border, trade and refugees in
everyday wording, never tuned on).

    .venv/bin/python benchmarks/bench_accuracy.py [--config config.yaml]
        [--errors tune|held|fresh|all]   # also list the articles judged wrongly
        [--only tune|held|fresh|all]     # print the figures of one split only

Targets (issue 15): title + lede P >= 0.97 and F1 >= 0.96, title-only recall >= the naive
baseline's; tags on full text P >= 0.90 and R >= 0.95 each, on title + lede recall >= the
baseline's + 0.05; on full text mean tags per relevant article within 0.5 of the labelled mean.
Nothing is fetched and nothing is written.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from borderwatch.accuracy import (  # noqa: E402
    HALVES,
    LANGUAGES,
    SPLITS,
    TAGS,
    VARIANTS,
    Evaluation,
    count_probes,
    evaluate,
    load_evaluation_set,
    load_probes,
    naive_rules,
    probe_total,
    probed_tags,
    with_passing_remarks,
)
from borderwatch.config import load_config  # noqa: E402
from borderwatch.plan import processing_rules  # noqa: E402

LABELLED = REPO / "tests" / "data" / "accuracy"
PROBES = REPO / "tests" / "data" / "probes"
SETS = [*SPLITS, "all"]


def _f(value: float | None) -> str:
    return "  -  " if value is None else f"{value:5.2f}"


def relevance_table(evaluation: Evaluation) -> None:
    print("RELEVANCE              " + "".join(f"{v:<21}" for v in VARIANTS))
    print("                       " + "P     R     F1     " * len(VARIANTS))
    for which in SETS:
        for config in ("default", "naive"):
            cells = []
            for variant in VARIANTS:
                s = evaluation.figures(config, variant, which).relevance
                cells.append(f"{_f(s.precision)} {_f(s.recall)} {_f(s.f1)}  ")
            print(f"{config:<8} {which:<5}         " + "".join(cells))
    print("targets: title+lede P >= 0.97 and F1 >= 0.96; title-only recall >= the naive baseline's")


def tag_table(evaluation: Evaluation) -> None:
    print()
    print("TAGS (precision / recall over the articles labelled relevant)")
    print("                      " + "".join(f"{t:<12}" for t in TAGS) + "mean tags (labelled)")
    for variant in VARIANTS:
        print(f"{variant}:")
        for which in SETS:
            for config in ("default", "naive"):
                f = evaluation.figures(config, variant, which)
                cells = "".join(
                    f"{_f(f.tags[t].precision)}/{_f(f.tags[t].recall).strip():<5} " for t in TAGS
                )
                print(
                    f"  {config:<8} {which:<5}      {cells}"
                    f"{f.mean_tags:.2f} ({f.labelled_mean_tags:.2f})"
                )
    print(
        "targets: full text P >= 0.90 and R >= 0.95 per tag, mean within 0.5 of the labelled "
        "mean; title+lede recall >= the baseline's + 0.05"
    )


def passing_remarks_table(items: list, configs: dict) -> None:
    """Tags on full text when single sentences of other articles are inserted deep in each
    body (``with_passing_remarks``): what the mention thresholds do on longer, straying texts."""
    print()
    print(
        "TAGS WITH PASSING REMARKS (full text; N sentences of other articles inserted deep in "
        "each body, labels kept)"
    )
    print("                      " + "".join(f"{t:<12}" for t in TAGS) + "mean tags (labelled)")
    for which in [s for s in HALVES if s in SETS or "all" in SETS]:
        chosen = [i for i in items if i.split == which]
        for count in (4, 8):
            evaluation = evaluate(configs, with_passing_remarks(chosen, count))
            for config in configs:
                f = evaluation.figures(config, "full", which)
                cells = "".join(
                    f"{_f(f.tags[t].precision)}/{_f(f.tags[t].recall).strip():<5} " for t in TAGS
                )
                print(
                    f"  {config:<8} {which:<5} N={count:<2} {cells}"
                    f"{f.mean_tags:.2f} ({f.labelled_mean_tags:.2f})"
                )


def probe_table(configs: dict, folder: Path, title: str) -> None:
    """Probe headlines: positives found and negatives tagged, per tag and language."""
    probes = load_probes(folder)
    print()
    print(title)
    print("                " + "".join(f"{lang:<16}" for lang in (*LANGUAGES, "all")))
    for config, rules in configs.items():
        counts = count_probes(rules, probes)
        for tag in probed_tags(probes):
            cells = []
            for lang in (*LANGUAGES, None):
                c = probe_total(counts, tag, lang)
                cells.append(f"{c.found:>3}/{c.positives:<3} +{c.false:>2}/{c.negatives:<3}  ")
            print(f"  {config:<8} {tag:<9}" + "".join(cells))


def family_table(evaluation: Evaluation) -> None:
    print()
    print("RELEVANCE BY FAMILY (default configuration; share judged relevant per split shown)")
    print(f"{'family':<20}{'items':>6}  " + "".join(f"{v:<28}" for v in VARIANTS))
    families: dict[str, list[int]] = defaultdict(list)
    for k, item in enumerate(evaluation.items):
        families[item.family].append(k)
    for family, indexes in sorted(
        families.items(), key=lambda f: (not _relevant(f, evaluation), f[0])
    ):
        cells = []
        for variant in VARIANTS:
            verdicts = evaluation.verdicts[("default", variant)].relevant
            parts = []
            for which in [s for s in SPLITS if s in SETS] or list(HALVES):
                chosen = [k for k in indexes if evaluation.items[k].split == which]
                hits = sum(verdicts[k] for k in chosen)
                parts.append(f"{hits}/{len(chosen)}")
            cells.append(f"{' / '.join(parts):<27} ")
        label = "relevant" if _relevant((family, indexes), evaluation) else "not relevant"
        print(f"{family:<20}{len(indexes):>6}  " + "".join(cells) + label)


def _relevant(family: tuple[str, list[int]], evaluation: Evaluation) -> bool:
    return evaluation.items[family[1][0]].relevant


def errors(evaluation: Evaluation, which: str) -> None:
    print()
    print(f"ERRORS ({which}; default configuration)")
    by_id = {i.id: i for i in evaluation.items}
    for variant in VARIANTS:
        f = evaluation.figures("default", variant, which)
        verdicts = evaluation.verdicts[("default", variant)]
        index = {i.id: k for k, i in enumerate(evaluation.items)}
        print(f"{variant}: relevance")
        for item_id in f.relevance_errors:
            item = by_id[item_id]
            kind = "missed" if item.relevant else "wrongly counted"
            reason = verdicts.reasons[index[item_id]]
            why = f" [{reason}]" if reason else ""
            print(f"  {item_id} {kind} ({item.family}){why}: {item.title}")
        for tag in TAGS:
            for item_id in f.tag_errors[tag]:
                item = by_id[item_id]
                kind = "missed" if tag in item.tags else "extra"
                print(f"  {variant} {tag} {kind}: {item_id} {item.title}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=REPO / "config.yaml")
    parser.add_argument("--errors", choices=SETS)
    parser.add_argument(
        "--only", choices=SETS, help="print the figures of one split (tuning looks at tune only)"
    )
    args = parser.parse_args()
    if args.only:
        SETS[:] = [args.only]
    begin = time.perf_counter()
    items = load_evaluation_set(LABELLED)
    rules = processing_rules(load_config(args.config))
    configs = {"default": rules, "naive": naive_rules()}
    evaluation = evaluate(configs, items)
    counts = {which: sum(1 for i in items if i.split == which) for which in SPLITS}
    relevant = sum(i.relevant for i in items)
    print(
        f"labelled set: {len(items)} articles ({relevant} relevant; tune half {counts['tune']}, "
        f"held-out half {counts['held']}, fresh split {counts['fresh']}); "
        f"configuration {args.config}"
    )
    print()
    relevance_table(evaluation)
    tag_table(evaluation)
    passing_remarks_table(items, configs)
    family_table(evaluation)
    probe_table(
        configs,
        PROBES,
        "PROBE HEADLINES (tuned on; found of the lines that tell the subject; +tagged of the "
        "lines that only use its words, most of them about other countries)",
    )
    probe_table(
        configs,
        PROBES / "held",
        "PROBE HEADLINES, HELD OUT (never tuned on; everyday wording; the negatives are all "
        "about this border)",
    )
    if args.errors:
        errors(evaluation, args.errors)
    print(f"\n({time.perf_counter() - begin:.1f} s)")


if __name__ == "__main__":
    main()
