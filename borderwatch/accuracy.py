"""How well a configuration's topic and tags count: precision and recall on a labelled set.

The labelled set (``tests/data/accuracy/``, described in its README) holds articles in English,
Urdu, Dari and Pashto, each labelled relevant or not and with the default tags it is about.
Every article is judged three ways, as collection meets articles: its title only, its title and
lede, and its full text. The judging is the pipeline's own (the sources, relevance and tag
stages), with each article attributed to an outlet of its labelled country and language.

The same run judges a naive baseline: relevance by both country names and one subject word,
tags by one keyword list each (the terms of the project's topic brief), any mention counting.
``benchmarks/bench_accuracy.py`` prints the figures; ``tests/test_accuracy.py`` holds floors.

The set has three splits: the ``tune`` and ``held`` halves of the labelled set (by a hash of
each id; the default queries are tuned on ``tune`` only), and the ``fresh`` split
(``tests/data/accuracy/fresh/``), written before any tuning against it, mostly long reports
whose bodies mention other subjects in passing. ``all`` means both halves; ``fresh`` is
reported apart.

The probe headlines (``tests/data/probes/``, ``load_probes``) test three tags on the many ways
their subject is told: lines that tell it, each in other words, and lines that only use its
words. ``count_probes`` says how many of each a configuration tags.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from pipeline.process import ProcessingRules, read_items
from pipeline.query import parse_query, query_prefixes
from pipeline.stages.attribution import SourceProfile
from pipeline.stages.relevance import add_normalized_text, apply_queries, tag_articles
from pipeline.stages.words import article_words

#: The default tags, which the labelled set labels.
TAGS = ("talks", "ceasefire", "security", "border", "trade", "refugees")
#: How an article is judged: what a search feed gives, what a feed's summary adds, the page.
VARIANTS = ("title", "title+lede", "full")
HALVES = ("tune", "held")
#: The split written before tuning, kept apart from the halves (its own folder).
FRESH = "fresh"
SPLITS = (*HALVES, FRESH)
LANGUAGES = ("en", "ur", "fa", "ps")
#: The family of relevant articles whose title and lede are about something else: only the body
#: discusses the subject, so only the full text can show it. They are judged on the full text
#: alone; from a title and lede, no reader could want them.
BODY_ONLY = "body-only"
#: Where items of an outlet the configuration does not know come from (a discovered source).
UNKNOWN_OUTLET = ("Wire Service", "https://wire.example.com")
_NOW = dt.datetime(2025, 11, 20, 12, 0)


@dataclass(frozen=True)
class LabelledItem:
    """One labelled article; ``context`` holds the text of its background paragraphs."""

    id: str
    language: str
    country: str | None
    family: str
    relevant: bool
    tags: frozenset[str]
    title: str
    lede: str
    body: str
    context: tuple[str, ...] = ()
    fresh: bool = False

    @property
    def split(self) -> str:
        """``tune`` or ``held`` (the half of the labelled set), or ``fresh``."""
        return FRESH if self.fresh else half(self.id)

    @property
    def text(self) -> str:
        """The full text: lede, body, then the background paragraphs."""
        return "\n\n".join([self.lede, *_paragraphs(self.body), *self.context])

    def item(self, variant: str) -> dict[str, Any]:
        """The article as an item (the public item format) seen in ``variant``."""
        item: dict[str, Any] = {"url": f"https://{self.language}.example.org/{self.id}"}
        if self.country is None:
            item["source"], item["source_url"] = UNKNOWN_OUTLET
        else:
            item["source"] = outlet_key(self.country, self.language)
        item["title"] = self.title
        if variant in ("title+lede", "full"):
            item["summary"] = self.lede
        if variant == "full":
            item["text"] = self.text
        elif variant != "title+lede" and variant != "title":
            raise ValueError(f"unknown variant {variant!r}: expected one of {VARIANTS}")
        return item


def half(item_id: str) -> str:
    """``tune`` or ``held``: the half of the labelled set an item belongs to, by its id."""
    return HALVES[hashlib.sha1(item_id.encode("utf-8")).digest()[0] % 2]


def outlet_key(country: str, language: str) -> str:
    """The source key of the evaluation's outlet of a country and language."""
    return f"{country.lower()}-{language}"


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]


def load_evaluation_set(folder: Path) -> list[LabelledItem]:
    """Both halves of the labelled set in ``folder``, then its fresh split (``folder/fresh``)."""
    return [*load_labelled(folder), *load_labelled(folder / FRESH, fresh=True)]


def load_labelled(folder: Path, *, fresh: bool = False) -> list[LabelledItem]:
    """Every item of the labelled set in ``folder`` (one YAML file per language); ``fresh``
    marks them as the fresh split."""
    items: list[LabelledItem] = []
    for language in LANGUAGES:
        data = yaml.safe_load((folder / f"{language}.yaml").read_text(encoding="utf-8"))
        context = {name: " ".join(text.split()) for name, text in data.get("context", {}).items()}
        for raw in data["items"]:
            source = str(raw["source"])
            items.append(
                LabelledItem(
                    id=raw["id"],
                    language=language,
                    country=None if source == "none" else source,
                    family=raw["family"],
                    relevant=bool(raw["relevant"]),
                    tags=frozenset(raw.get("tags") or ()),
                    title=" ".join(raw["title"].split()),
                    lede=" ".join(raw["lede"].split()),
                    body=raw.get("body") or "",
                    context=tuple(context[name] for name in raw.get("context") or ()),
                    fresh=fresh,
                )
            )
    return items


def with_outlets(rules: ProcessingRules, items: Iterable[LabelledItem]) -> ProcessingRules:
    """``rules`` with one configured outlet per country and language of ``items``."""
    outlets = {(i.country, i.language) for i in items if i.country is not None}
    lookup = dict(rules.source_lookup)
    profiles = dict(rules.source_profiles)
    for country, language in outlets:
        key = outlet_key(country, language)
        lookup[key] = key
        profiles[key] = SourceProfile(country, language)
    return replace(rules, source_lookup=lookup, source_profiles=profiles)


# --------------------------------------------------------------------------- judging


@dataclass
class Verdicts:
    """What a configuration said about items in one variant, in the items' order."""

    relevant: list[bool]
    reasons: list[str | None]
    #: Tags each item would get if it were relevant (tags are judged apart from relevance).
    tags: list[frozenset[str]]


def judge(rules: ProcessingRules, items: Sequence[LabelledItem], variant: str) -> Verdicts:
    """Run the sources, relevance and tag stages over ``items`` seen in ``variant``."""
    rules = with_outlets(rules, items)
    frame = read_items([i.item(variant) for i in items], rules, _NOW)
    frame = add_normalized_text(frame)
    words = article_words(frame, query_prefixes([rules.topic, *rules.tags.values()]))
    judged = apply_queries(
        frame,
        rules.topic,
        rules.tags,
        words,
        lede_words=rules.lede_words,
        tag_mentions=rules.tag_mentions,
        paragraph_mentions=rules.paragraph_mentions,
    )
    tags = tag_articles(
        frame,
        rules.tags,
        words,
        lede_words=rules.lede_words,
        tag_mentions=rules.tag_mentions,
        paragraph_mentions=rules.paragraph_mentions,
    )
    return Verdicts(
        relevant=[bool(v) for v in judged["relevant"]],
        reasons=list(judged["relevance_reason"]),
        tags=[frozenset(t) & frozenset(TAGS) for t in tags],
    )


# --------------------------------------------------------------------------- the naive baseline

# The starting vocabulary of the default tags (the terms in English and in the script forms
# seen in coverage that the tags were first described with), as a user would first write it:
# plain keywords, no wildcards, no word forms.
NAIVE_TAG_TERMS: dict[str, list[str]] = {
    "talks": [
        "talks", "negotiations", "round", "delegation", "mediation", "Istanbul", "Doha",
        "Riyadh", '"joint statement"', "deadlock", "مذاکرات", '"امن مذاکرات"', "وفد",
        '"دوسرا دور"', '"تیسرا دور"', "گفت‌وگوها", "هیئت", '"دور دوم"', '"دور سوم"',
        "میانجیگری", '"خبرې اترې"', '"خبرو اترو"', '"مرکچي پلاوی"',
    ],
    "ceasefire": [
        "ceasefire", "truce", '"monitoring mechanism"', "verification", '"written guarantees"',
        '"جنگ بندی"', "آتش‌بس", "سازوکار", '"نظارت بر اجرای آتش‌بس"',
    ],
    "security": [
        '"cross-border attacks"', "airstrike", '"drone strike"', "clashes", '"Afghan soil"',
        '"safe havens"', "TTP", '"Fitna al-Khawarij"', '"سرحد پار دہشت گردی"', '"افغان سرزمین"',
        '"حملات تروریستی"', '"خاک افغانستان"',
    ],
    "border": [
        "Torkham", "Chaman", '"Spin Boldak"', '"Friendship Gate"', "crossing",
        '"border closure"', "reopen", '"Durand Line"', '"پاک افغان سرحد"', '"سرحد بند"',
        "طورخم", "چمن", '"ڈیورنڈ لائن"', "تورخم", '"خط دیورند"',
    ],
    "trade": [
        '"bilateral trade"', '"transit trade"', "APTTA", "exports", "Chabahar",
        '"alternative routes"', "PAJCCI",
    ],
    "refugees": [
        '"Afghan refugees"', "deportation", "repatriation", "returnees", '"PoR card"',
        '"Afghan Citizen Card"', "IFRP", '"افغان مہاجرین"', '"وطن واپسی"',
    ],
}  # fmt: skip


def naive_rules() -> ProcessingRules:
    """The baseline: both country names (any language form) and one subject word; one keyword
    list per tag, where any mention counts."""
    subject = " OR ".join(term for terms in NAIVE_TAG_TERMS.values() for term in terms)
    topic = parse_query(f"(Pakistan* OR پاکستان*) AND (Afghan* OR افغان*) AND ({subject})")
    tags = {name: parse_query(" OR ".join(terms)) for name, terms in NAIVE_TAG_TERMS.items()}
    return ProcessingRules(
        topic=topic,
        tags=tags,
        source_lookup={},
        # Stories are not judged here; these are config.yaml's defaults.
        story_window_days=14,
        near_duplicate_threshold=0.4,
        lede_words=0,
        tag_mentions=dict.fromkeys(tags, 1),
    )


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Score:
    """Precision, recall and F1 from counts (None where undefined: nothing found or nothing
    to find)."""

    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float | None:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else None

    @property
    def recall(self) -> float | None:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None or p + r == 0:
            return None
        return 2 * p * r / (p + r)


def score(expected: Iterable[bool], found: Iterable[bool]) -> Score:
    tp = fp = fn = 0
    for wanted, got in zip(expected, found, strict=True):
        tp += wanted and got
        fp += got and not wanted
        fn += wanted and not got
    return Score(tp, fp, fn)


@dataclass
class Figures:
    """Relevance and tag figures of one configuration, one variant, one set of items."""

    relevance: Score
    tags: dict[str, Score]
    #: Over the items labelled relevant: mean tags found, and mean tags labelled.
    mean_tags: float
    labelled_mean_tags: float
    #: Ids of the items the relevance verdict got wrong, and per tag those tagged wrongly.
    relevance_errors: list[str] = field(default_factory=list)
    tag_errors: dict[str, list[str]] = field(default_factory=dict)


def figures(items: Sequence[LabelledItem], verdicts: Verdicts) -> Figures:
    relevance = score((i.relevant for i in items), verdicts.relevant)
    wrong = [i.id for i, got in zip(items, verdicts.relevant, strict=True) if got != i.relevant]
    labelled = [(i, t) for i, t in zip(items, verdicts.tags, strict=True) if i.relevant]
    tags = {
        name: score((name in i.tags for i, _ in labelled), (name in t for _, t in labelled))
        for name in TAGS
    }
    tag_errors = {
        name: [i.id for i, t in labelled if (name in i.tags) != (name in t)] for name in TAGS
    }
    n = max(1, len(labelled))
    return Figures(
        relevance=relevance,
        tags=tags,
        mean_tags=sum(len(t) for _, t in labelled) / n,
        labelled_mean_tags=sum(len(i.tags) for i, _ in labelled) / n,
        relevance_errors=wrong,
        tag_errors=tag_errors,
    )


@dataclass
class Evaluation:
    """Figures per configuration name, variant and split (``all`` for both halves)."""

    items: list[LabelledItem]
    verdicts: dict[tuple[str, str], Verdicts]

    def figures(self, config: str, variant: str, which: str = "all") -> Figures:
        """The figures of one configuration and variant over one split; ``body-only`` items
        count in the full text only (``BODY_ONLY``)."""
        chosen = [
            k
            for k, i in enumerate(self.items)
            if (i.split == which or (which == "all" and i.split in HALVES))
            and (variant == "full" or i.family != BODY_ONLY)
        ]
        verdicts = self.verdicts[(config, variant)]
        subset = Verdicts(
            relevant=[verdicts.relevant[k] for k in chosen],
            reasons=[verdicts.reasons[k] for k in chosen],
            tags=[verdicts.tags[k] for k in chosen],
        )
        return figures([self.items[k] for k in chosen], subset)


def evaluate(configs: Mapping[str, ProcessingRules], items: Sequence[LabelledItem]) -> Evaluation:
    """Judge ``items`` in every variant with every configuration (e.g. the default and the
    naive baseline), in one run."""
    verdicts = {
        (name, variant): judge(rules, items, variant)
        for name, rules in configs.items()
        for variant in VARIANTS
    }
    return Evaluation(list(items), verdicts)


# --------------------------------------------------------------------------- probe headlines

#: The tags that the probe headlines (``tests/data/probes/``) test; the held-out lines
#: (``tests/data/probes/held/``) test the first three.
PROBED_TAGS = ("border", "trade", "refugees", "security")
PROBE_KINDS = ("positive", "negative")


@dataclass(frozen=True)
class Probe:
    """One probe headline: a line that tells ``tag``'s subject (``positive``) or uses its words
    without telling it (``negative``), as ``item`` (its title, from an unknown outlet)."""

    tag: str
    positive: bool
    item: LabelledItem


@dataclass(frozen=True)
class ProbeCount:
    """How many probes of one tag and language a configuration tagged."""

    found: int
    positives: int
    false: int
    negatives: int


def load_probes(folder: Path) -> list[Probe]:
    """The probe headlines in ``folder`` (one YAML file per language, with ``positive`` and
    ``negative`` lines for some of ``PROBED_TAGS``; see its README)."""
    probes = []
    for language in LANGUAGES:
        data = yaml.safe_load((folder / f"{language}.yaml").read_text(encoding="utf-8"))
        for tag in PROBED_TAGS:
            if tag not in data:
                continue
            for kind in PROBE_KINDS:
                for k, line in enumerate(data[tag][kind]):
                    positive = kind == "positive"
                    item = LabelledItem(
                        id=f"{language}-{tag}-{kind}-{k}",
                        language=language,
                        country=None,
                        family="probe",
                        relevant=True,
                        tags=frozenset([tag] if positive else ()),
                        title=" ".join(line.split()),
                        lede="",
                        body="",
                    )
                    probes.append(Probe(tag, positive, item))
    return probes


def count_probes(
    rules: ProcessingRules, probes: Sequence[Probe]
) -> dict[tuple[str, str], ProbeCount]:
    """Per (tag, language), how many of ``probes`` the tag ``rules`` give: the positives found
    and the negatives tagged (a tag is judged as if the headline were relevant)."""
    verdicts = judge(rules, [p.item for p in probes], "title")
    tally: dict[tuple[str, str], list[int]] = {}
    for probe, tags in zip(probes, verdicts.tags, strict=True):
        counts = tally.setdefault((probe.tag, probe.item.language), [0, 0, 0, 0])
        tagged = probe.tag in tags
        if probe.positive:
            counts[0] += tagged
            counts[1] += 1
        else:
            counts[2] += tagged
            counts[3] += 1
    return {key: ProbeCount(*counts) for key, counts in tally.items()}


def probed_tags(probes: Sequence[Probe]) -> list[str]:
    """The tags that ``probes`` test, in ``PROBED_TAGS``' order."""
    present = {probe.tag for probe in probes}
    return [tag for tag in PROBED_TAGS if tag in present]


def probe_total(
    counts: Mapping[tuple[str, str], ProbeCount], tag: str, language: str | None = None
) -> ProbeCount:
    """``count_probes``' counts of ``tag`` summed over every language, or of one."""
    chosen = [c for (t, lang), c in counts.items() if t == tag and language in (None, lang)]
    return ProbeCount(
        sum(c.found for c in chosen),
        sum(c.positives for c in chosen),
        sum(c.false for c in chosen),
        sum(c.negatives for c in chosen),
    )


# --------------------------------------------------------------------------- passing remarks

_SENTENCE_END = re.compile(r"(?<=[.!?۔؟])\s+")


def with_passing_remarks(items: Sequence[LabelledItem], count: int) -> list[LabelledItem]:
    """The relevant ``items`` with ``count`` single sentences of other relevant items (same
    language and split) inserted after their body, before the background paragraphs: remarks
    in passing, deep in the text, about whatever those articles were about. Labels are kept.

    The labelled set's articles are short, so their bodies alone seldom reach a tag's mention
    threshold; this shows what a threshold does when a text is longer and strays, using only the
    articles at hand (the tuning half, when tuning)."""
    relevant = [i for i in items if i.relevant]
    padded = []
    for n, item in enumerate(relevant):
        others = [
            o
            for o in relevant
            if o.language == item.language and o.split == item.split and o.id != item.id
        ]
        remarks = []
        for k in range(count if others else 0):
            other = others[(7 * n + 13 * k) % len(others)]
            sentences = [
                s for s in _SENTENCE_END.split(" ".join(other.body.split())) if len(s.split()) > 6
            ]
            if sentences:
                remarks.append(sentences[(n + k) % len(sentences)])
        padded.append(replace(item, body="\n\n".join([item.body, *remarks])))
    return padded
