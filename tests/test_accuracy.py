"""Floors under the accuracy of the default configuration on the labelled set.

The labelled set (tests/data/accuracy/, 2,457 articles in four languages, and its fresh split of
101 more, mostly long reports) is judged by the pipeline with config.yaml's topic and tags, and
by the naive baseline, in every text variant (borderwatch/accuracy.py;
benchmarks/bench_accuracy.py prints every figure). The default queries were tuned on the `tune`
half only; the `held` half and the `fresh` split (written before the tags were retuned) show how
they do on articles they were not tuned on, so their floors sit below the targets where the
measured figures do. `all` is both halves, without the fresh split.
The probe headlines (tests/data/probes/) test three tags on many ways of telling their subject.
A change to config.yaml that loses accuracy fails here; one that gains should raise a floor.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from borderwatch.accuracy import (
    BODY_ONLY,
    FRESH,
    HALVES,
    LANGUAGES,
    PROBED_TAGS,
    SPLITS,
    TAGS,
    Evaluation,
    LabelledItem,
    count_probes,
    evaluate,
    half,
    load_evaluation_set,
    load_probes,
    naive_rules,
    probe_total,
    with_passing_remarks,
)
from borderwatch.config import load_config
from borderwatch.plan import processing_rules

ROOT = Path(__file__).parents[1]
LABELLED = ROOT / "tests" / "data" / "accuracy"

# Relevance on title + lede (measured: P 1.00 on every split; F1 tune 0.984, held 0.967, fresh
# 0.954, both halves 0.975). Reports relevant only by their body are judged on full text alone.
RELEVANCE_PRECISION = {"tune": 0.97, "held": 0.97, "fresh": 0.97, "all": 0.97}
RELEVANCE_F1 = {"tune": 0.98, "held": 0.96, "fresh": 0.94, "all": 0.97}
# Tags on full text, per tag, at or just below the lowest measured: tune P 0.932 (trade) R 0.947
# (refugees); held P 0.892 (security) R 0.901 (refugees); fresh, the long reports, P 0.86
# (trade) R 0.957 (security); both halves P 0.922 (trade) R 0.925 (refugees). The
# thirteenth to twentieth weeks' items, measured blind, lowered the tune half's trade precision
# (0.95 -> 0.932) and refugees recall (0.97 -> 0.947), the held half's refugees recall (0.924 ->
# 0.901) and both halves' refugees recall (0.95 -> 0.925). The labels follow the written rules
# of the labelled set's README, checked item by item without sight of the queries. The
# precision target (0.90) holds on the tuning half and, but for security, on the held-out half;
# the recall target (0.95) holds on the tuning half but for refugees. On the held half recall
# falls short for border, refugees and talks (0.948), and on the fresh split precision for trade.
TAG_PRECISION = {"tune": 0.93, "held": 0.88, "fresh": 0.86, "all": 0.91}
TAG_RECALL = {"tune": 0.94, "held": 0.90, "fresh": 0.92, "all": 0.92}


@cache
def items() -> tuple[LabelledItem, ...]:
    return tuple(load_evaluation_set(LABELLED))


@cache
def evaluation() -> Evaluation:
    rules = processing_rules(load_config(ROOT / "config.yaml"))
    return evaluate({"default": rules, "naive": naive_rules()}, items())


def test_the_labelled_set_is_large_varied_and_split_in_halves() -> None:
    labelled = [i for i in items() if i.split in HALVES]
    assert len(labelled) >= 300
    assert len({i.id for i in labelled}) == len(labelled)
    assert {i.language for i in labelled} == {"en", "ur", "fa", "ps"}
    for language in ("en", "ur", "fa", "ps"):
        of_language = [i for i in labelled if i.language == language]
        assert sum(i.relevant for i in of_language) >= 20
        assert sum(not i.relevant for i in of_language) >= 20
    families = {i.family for i in labelled}
    assert {"pk-press-one-side", "af-press-one-side", "event-only", "both-sides"} <= families
    assert {
        "india-pakistan",
        "russia-ukraine",
        "gaza",
        "cricket",
        "iran-returns",
        "pk-domestic",
        "af-domestic",
    } <= families
    for item in labelled:
        assert item.tags <= set(TAGS), item.id
        assert item.relevant == bool(item.tags), item.id
    # Halves of about equal size, each with both kinds of article in every language.
    sizes = {h: sum(1 for i in labelled if i.split == h) for h in HALVES}
    assert abs(sizes["tune"] - sizes["held"]) < len(labelled) * 0.1
    assert half("en-001") == half("en-001") in HALVES


def test_the_fresh_split_is_apart_and_mostly_long_reports() -> None:
    """The split written before tuning: its own ids, four languages, relevant and confusable
    items in each, and at least 50 reports of 250-700 words of full text."""
    fresh = [i for i in items() if i.split == FRESH]
    assert len(fresh) >= 100
    assert all(i.id.startswith("fresh-") for i in fresh)
    assert len({i.id for i in items()}) == len(items())
    for language in ("en", "ur", "fa", "ps"):
        of_language = [i for i in fresh if i.language == language]
        assert sum(i.relevant for i in of_language) >= 8, language
        assert sum(not i.relevant for i in of_language) >= 4, language
    long = [i for i in fresh if 250 <= len(i.text.split()) <= 700]
    assert len(long) >= 50
    assert sum(i.relevant for i in long) >= 40
    for item in fresh:
        assert item.tags <= set(TAGS), item.id
        assert item.relevant == bool(item.tags), item.id


def test_reports_relevant_only_by_their_body_are_judged_on_full_text_alone() -> None:
    """A report whose headline and lede are about something else (a hospital ward, a budget)
    counts in the full text's figures, and not in those of the title or title and lede."""
    body_only = [i for i in items() if i.family == BODY_ONLY and i.split in HALVES]
    assert len(body_only) >= 20
    assert all(i.relevant for i in body_only)
    sizes = {
        variant: evaluation().figures("default", variant, "all").relevance
        for variant in ("title", "title+lede", "full")
    }
    judged = {variant: s.true_positives + s.false_negatives for variant, s in sizes.items()}
    assert judged["title"] == judged["title+lede"] == judged["full"] - len(body_only)
    # The full text finds most of them: their bodies name the sides and discuss a subject.
    full = evaluation().verdicts[("default", "full")]
    index = {i.id: k for k, i in enumerate(items())}
    assert sum(full.relevant[index[i.id]] for i in body_only) >= 0.8 * len(body_only)


@pytest.mark.parametrize("which", [*SPLITS, "all"])
def test_relevance_on_title_and_lede(which: str) -> None:
    found = evaluation().figures("default", "title+lede", which).relevance
    assert found.precision >= RELEVANCE_PRECISION[which]
    assert found.f1 >= RELEVANCE_F1[which]


@pytest.mark.parametrize("which", [*SPLITS, "all"])
def test_relevance_beats_the_naive_baseline_in_every_variant(which: str) -> None:
    for variant in ("title", "title+lede", "full"):
        ours = evaluation().figures("default", variant, which).relevance
        naive = evaluation().figures("naive", variant, which).relevance
        assert ours.recall >= naive.recall, variant
        assert ours.f1 >= naive.f1, variant
        assert ours.precision >= 0.97, variant


@pytest.mark.parametrize("which", [*SPLITS, "all"])
def test_tags_on_full_text(which: str) -> None:
    figures = evaluation().figures("default", "full", which)
    for tag in TAGS:
        found = figures.tags[tag]
        assert found.precision >= TAG_PRECISION[which], tag
        assert found.recall >= TAG_RECALL[which], tag
    assert abs(figures.mean_tags - figures.labelled_mean_tags) <= 0.5


@pytest.mark.parametrize("which", [*SPLITS, "all"])
def test_tag_recall_on_title_and_lede_beats_the_baseline(which: str) -> None:
    ours = evaluation().figures("default", "title+lede", which)
    naive = evaluation().figures("naive", "title+lede", which)
    for tag in TAGS:
        assert ours.tags[tag].recall >= naive.tags[tag].recall + 0.05, tag


def test_tags_discriminate_on_full_text() -> None:
    """What the issue found: with one passing mention enough, nearly every relevant article
    got talks, security, border and trade. No tag may now cover most relevant articles."""
    figures = evaluation().figures("default", "full")
    relevant = [i for i in items() if i.relevant]
    verdicts = evaluation().verdicts[("default", "full")]
    tagged = [t for i, t in zip(items(), verdicts.tags, strict=True) if i.relevant]
    for tag in TAGS:
        share = sum(tag in t for t in tagged) / len(relevant)
        labelled = sum(tag in i.tags for i in relevant) / len(relevant)
        assert share <= labelled + 0.05, tag
    assert figures.mean_tags < 2


def test_passing_remarks_deep_in_a_text_do_not_add_tags() -> None:
    """Single sentences of other articles inserted deep in each body of the tuning half (what
    long reports do in passing): the labels stay right. With the earlier threshold of three
    mentions, trade fell to 0.71 and security to 0.81 here with four such sentences, and with
    four mentions refugees fell to 0.88 with eight. A paragraph about a subject counts too
    (processing.tag_paragraph_mentions), and each remark is a paragraph of one sentence: it
    does not. Measured now, long reports in the tuning half included: precision 0.93 or more
    with four (trade) and 0.91 with eight (trade); recall 0.95 or more, but for refugees (as
    without the remarks: the tuning half's floor holds).
    """
    tune = [i for i in items() if i.split == "tune"]
    rules = processing_rules(load_config(ROOT / "config.yaml"))
    for count in (4, 8):
        padded = with_passing_remarks(tune, count)
        assert len(padded) == sum(i.relevant for i in tune)
        originals = {i.id: i for i in tune}
        assert all(p.tags == originals[p.id].tags for p in padded)
        assert sum(len(p.text) > len(originals[p.id].text) for p in padded) >= len(padded) * 0.9
        figures = evaluate({"default": rules}, padded).figures("default", "full", "tune")
        for tag in TAGS:
            assert figures.tags[tag].precision >= 0.90, (count, tag)
            assert figures.tags[tag].recall >= TAG_RECALL["tune"], (count, tag)


# Probe headlines per language (tests/data/probes/), at least: lines that tell each tag's
# subject, and lines that only use its words (border has 30 and 10 more but in Urdu).
PROBE_LINES = {
    "border": (105, 35),
    "trade": (75, 25),
    "refugees": (180, 60),
    "security": (30, 30),
}
# Found, per tag and language, as a share of its lines (measured: 0.80 or more but border in
# Urdu, 0.75, which was not widened with the fourth round and has no fifth), and at most
# this share of false tags on the lines that only use a tag's words (measured: 0.52 at most,
# trade in English; most of them other countries' borders, trade and returns, which relevance
# keeps out; security's, the truce monitored and holding, 0.10 at most). The lines are a tuning
# set: the default tags were widened with the words they showed missing.
PROBES_FOUND = 0.75
PROBES_FALSE = 0.55


def test_probe_headlines_are_found_in_every_language() -> None:
    rules = processing_rules(load_config(ROOT / "config.yaml"))
    probes = load_probes(ROOT / "tests" / "data" / "probes")
    counts = count_probes(rules, probes)
    assert set(counts) == {(tag, lang) for tag in PROBED_TAGS for lang in LANGUAGES}
    for (tag, lang), count in counts.items():
        lines, other = PROBE_LINES[tag]
        assert count.positives >= lines and count.negatives >= other, (tag, lang)
        assert count.found >= PROBES_FOUND * count.positives, (tag, lang, count)
        assert count.false <= PROBES_FALSE * count.negatives, (tag, lang, count)
    # The naive baseline's keyword lists find far fewer: the probes test the many words.
    naive = count_probes(naive_rules(), probes)
    for tag in PROBED_TAGS:
        assert probe_total(counts, tag).found > probe_total(naive, tag).found + 30, tag


# Held-out probe headlines (tests/data/probes/held/: 30 per tag and language in everyday
# wording, never tuned on), per tag over the four languages: found of 120 (measured: border
# 113, trade 117, refugees 97; the previous release's configuration found 113, 117 and 93), and
# at most as many false tags on the 40 lines about this border that must not get the tag
# (measured: border 10, trade 20, refugees 13, about as many as the previous release's).
HELD_PROBES_FOUND = {"border": 108, "trade": 112, "refugees": 90}
HELD_PROBES_FALSE = {"border": 12, "trade": 22, "refugees": 15}


def test_held_out_probe_headlines() -> None:
    rules = processing_rules(load_config(ROOT / "config.yaml"))
    counts = count_probes(rules, load_probes(ROOT / "tests" / "data" / "probes" / "held"))
    for tag in HELD_PROBES_FOUND:
        total = probe_total(counts, tag)
        assert (total.positives, total.negatives) == (120, 40), tag
        assert total.found >= HELD_PROBES_FOUND[tag], tag
        assert total.false <= HELD_PROBES_FALSE[tag], tag
