"""What a learned layer beside the tag queries would add: a measurement, not a feature.

The tag queries are tuned by hand on the tuning half of the labelled set; each round moves the
held-out figures by less than 0.01. This script measures the alternative in the same run: a
logistic regression per tag over hashed words (the title and lede's words and word pairs, the
full text's words), trained on labelled articles, used three ways on full text:

- ``queries``: the configuration's tags as they are (the baseline);
- ``learned``: the classifier alone (probability above 0.5);
- ``combined``: the queries, each match kept only when the classifier does not rule it out
  (probability above ``low``), plus what the classifier is sure of (above ``high``). ``low``
  and ``high`` are chosen per tag by 5-fold cross-validation on the training articles alone
  (best F1), never on the articles measured.

Two measurements:

1. ``held``: trained on the tuning half, measured on the held-out half and the fresh split.
   The queries were tuned on the same half; the held-out half shares its weeks and writers, so
   these figures flatter both the queries and the classifier alike.
2. ``blind``: trained on the tuning-half articles written before the first ids given by
   ``--blind-from`` (by default week 13's, so weeks 13 onwards are measured), measured on all
   the articles from those ids on. Neither the classifier nor, with ``--config`` set to a
   configuration from before those weeks (``git show c91ecfc:config.yaml`` for week 13), the
   queries have seen them: this is how each would do on wording that is new to it.

    .venv/bin/python benchmarks/bench_learned_tags.py [--config config.yaml]
        [--blind-from en-950,ur-573,fa-638,ps-556]

Only relevant articles are counted (tags are only given to them). Nothing is fetched and
nothing is written. numpy only: no model library is needed to repeat it.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import unicodedata
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from borderwatch.accuracy import TAGS, LabelledItem, judge, load_evaluation_set  # noqa: E402
from borderwatch.config import load_config  # noqa: E402
from borderwatch.plan import processing_rules  # noqa: E402

LABELLED = REPO / "tests" / "data" / "accuracy"
#: The first article of week 13 per language (tests/data/accuracy/README.md lists the weeks).
BLIND_FROM = "en-950,ur-573,fa-638,ps-556"
#: Hashed feature space: 2**20 slots, few enough collisions for a few thousand articles.
SLOTS = 1 << 20
_WORD = re.compile(r"[^\W_]+")
LOWS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3)
HIGHS = (0.6, 0.7, 0.8, 0.9, 0.95, 1.01)


# --------------------------------------------------------------------------- features


def _words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def _slot(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) & (SLOTS - 1)


def _block(features: list[str]) -> dict[int, float]:
    """Sublinear counts of ``features`` by slot, scaled to unit length."""
    counts = Counter(_slot(f) for f in features)
    values = {slot: 1.0 + np.log(n) for slot, n in counts.items()}
    norm = np.sqrt(sum(v * v for v in values.values())) or 1.0
    return {slot: v / norm for slot, v in values.items()}


@dataclass
class Features:
    """Hashed features of many articles as coordinates: article, slot, value."""

    rows: np.ndarray
    slots: np.ndarray
    values: np.ndarray
    n: int
    #: How many distinct slots the articles use (``slots`` counts from 0 up to it).
    width: int

    def subset(self, keep: np.ndarray) -> Features:
        """The articles where ``keep`` is true, renumbered in order."""
        index = np.cumsum(keep) - 1
        chosen = keep[self.rows]
        return Features(
            index[self.rows[chosen]],
            self.slots[chosen],
            self.values[chosen],
            int(keep.sum()),
            self.width,
        )


def features_of(items: list[LabelledItem]) -> Features:
    """Title and lede: words and word pairs; the full text: words at half weight."""
    rows, slots, values = [], [], []
    for row, item in enumerate(items):
        head = _words(f"{item.title} {item.lede}")
        pairs = zip(head, head[1:], strict=False)
        head_features = [f"h:{w}" for w in head] + [f"p:{a} {b}" for a, b in pairs]
        blocks = [
            (_block(head_features), 1.0),
            (_block([f"b:{w}" for w in _words(item.text)]), 0.5),
        ]
        for block, weight in blocks:
            for slot, value in block.items():
                rows.append(row)
                slots.append(slot)
                values.append(value * weight)
    # Only the slots some article uses, numbered densely: the weights stay a short array.
    used, dense = np.unique(np.array(slots), return_inverse=True)
    return Features(np.array(rows), dense, np.array(values), len(items), len(used))


# --------------------------------------------------------------------------- the classifier


def _scores(features: Features, weights: np.ndarray, bias: float) -> np.ndarray:
    dots = np.bincount(features.rows, features.values * weights[features.slots], features.n)
    return 1.0 / (1.0 + np.exp(-(dots + bias)))


def train(
    features: Features, labels: np.ndarray, penalty: float = 1e-4
) -> tuple[np.ndarray, float]:
    """Logistic regression, classes weighted to balance, L2 ``penalty``: full-batch Adam."""
    width = features.width
    weights, bias = np.zeros(width), 0.0
    positives = max(labels.sum(), 1)
    negatives = max(len(labels) - labels.sum(), 1)
    balance = np.where(labels, len(labels) / (2 * positives), len(labels) / (2 * negatives))
    m_w, v_w, m_b, v_b = np.zeros(width), np.zeros(width), 0.0, 0.0
    rate, beta1, beta2 = 0.05, 0.9, 0.999
    for step in range(1, 401):
        error = balance * (_scores(features, weights, bias) - labels) / len(labels)
        grad_w = np.bincount(features.slots, features.values * error[features.rows], width)
        grad_w += penalty * weights
        grad_b = error.sum()
        m_w = beta1 * m_w + (1 - beta1) * grad_w
        v_w = beta2 * v_w + (1 - beta2) * grad_w**2
        m_b = beta1 * m_b + (1 - beta1) * grad_b
        v_b = beta2 * v_b + (1 - beta2) * grad_b**2
        correction1, correction2 = 1 - beta1**step, 1 - beta2**step
        weights -= rate * (m_w / correction1) / (np.sqrt(v_w / correction2) + 1e-8)
        bias -= rate * (m_b / correction1) / (np.sqrt(v_b / correction2) + 1e-8)
    return weights, bias


def combined(queries: np.ndarray, learned: np.ndarray, low: float, high: float) -> np.ndarray:
    return (queries & (learned > low)) | (learned > high)


def f1(expected: np.ndarray, found: np.ndarray) -> float:
    hits = (expected & found).sum()
    return 2 * hits / max(expected.sum() + found.sum(), 1)


def thresholds(features: Features, labels: np.ndarray, queries: np.ndarray) -> tuple[float, float]:
    """``low`` and ``high`` with the best F1 over 5 folds of the training articles."""
    fold = np.arange(features.n) % 5
    learned = np.zeros(features.n)
    for k in range(5):
        inside = fold != k
        weights, bias = train(features.subset(inside), labels[inside])
        learned[~inside] = _scores(features.subset(~inside), weights, bias)
    grid = [
        (f1(labels, combined(queries, learned, lo, hi)), -lo, hi) for lo in LOWS for hi in HIGHS
    ]
    best = max(grid)
    return -best[1], best[2]


# --------------------------------------------------------------------------- measuring


def _pr(expected: np.ndarray, found: np.ndarray) -> str:
    hits = (expected & found).sum()
    return f"{hits / max(found.sum(), 1):.3f} / {hits / max(expected.sum(), 1):.3f}"


def measure(
    title: str,
    items: list[LabelledItem],
    features: Features,
    query_tags: list[frozenset[str]],
    train_on: np.ndarray,
    measured: dict[str, np.ndarray],
) -> None:
    """Train on ``train_on`` and print P / R of the three ways on each ``measured`` set."""
    relevant = np.array([i.relevant for i in items])
    training = train_on & relevant
    print(f"{title}: trained on {training.sum()} relevant articles")
    names = list(measured)
    header = "  ".join(
        f"{name + ' (' + str((measured[name] & relevant).sum()) + ')':>59}" for name in names
    )
    print(f"{'':10} {header}")
    print(
        f"{'tag':10} " + "  ".join(f"{'queries':>19}{'learned':>20}{'combined':>20}" for _ in names)
    )
    for tag in TAGS:
        labels = np.array([tag in i.tags for i in items]) & relevant
        queries = np.array([tag in t for t in query_tags])
        low, high = thresholds(features.subset(training), labels[training], queries[training])
        weights, bias = train(features.subset(training), labels[training])
        learned = _scores(features, weights, bias)
        cells = []
        for name in names:
            m = measured[name] & relevant
            cells.append(
                f"{_pr(labels[m], queries[m]):>19}{_pr(labels[m], learned[m] > 0.5):>20}"
                f"{_pr(labels[m], combined(queries[m], learned[m], low, high)):>20}"
            )
        print(f"{tag:10} " + "  ".join(cells) + f"   (low {low:g}, high {high:g})")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=REPO / "config.yaml")
    parser.add_argument(
        "--blind-from", default=BLIND_FROM, help="first id of the blind weeks per language"
    )
    args = parser.parse_args()
    begin = time.perf_counter()
    first = {
        lang: int(number) for lang, number in (p.split("-") for p in args.blind_from.split(","))
    }
    items = load_evaluation_set(LABELLED)
    query_tags = judge(processing_rules(load_config(args.config)), items, "full").tags
    features = features_of(items)
    split = np.array([i.split for i in items])
    late = np.array(
        [not i.fresh and int(i.id.split("-")[1]) >= first.get(i.language, 10**9) for i in items]
    )
    print(f"labelled set: {len(items)} articles; configuration {args.config}; P / R on full text\n")
    measure(
        "HELD: trained on the tuning half",
        items,
        features,
        query_tags,
        split == "tune",
        {"held-out half": split == "held", "fresh split": split == "fresh"},
    )
    measure(
        f"BLIND: trained on the tuning half before {args.blind_from}",
        items,
        features,
        query_tags,
        (split == "tune") & ~late,
        {"those weeks, both halves": late},
    )
    print(f"({time.perf_counter() - begin:.1f} s)")


if __name__ == "__main__":
    main()
