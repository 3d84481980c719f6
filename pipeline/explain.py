"""Why an article counted: the topic's clauses and the tags' evidence, for a reader.

``explain`` runs the same stages as processing (sources, normalized text, hashed words, the
batch matcher) on a few articles and says, for each, which clauses of the topic matched and
with which words, and for every tag whether its query matched, in the opening or how many
times. It is what ``borderwatch explain`` prints; processing itself stores only the name of the
first clause that matched (``relevance_reason``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pipeline.process import ProcessingRules
from pipeline.query import BatchMatcher, Query, query_prefixes
from pipeline.query.document import Document
from pipeline.query.syntax import positive_leaves
from pipeline.stages.relevance import Paragraphs, add_normalized_text, field_values
from pipeline.stages.words import article_words


def explain(frame: pd.DataFrame, rules: ProcessingRules) -> list[dict[str, Any]]:
    """One explanation per article of ``frame`` (items read by ``process.read_items``).

    Each is a dict: ``relevant``, ``reason`` (the first clause that matched, as stored),
    ``source`` with its ``country`` and ``language``, ``clauses`` (every clause: ``name``,
    ``matched``, ``terms`` found) and ``tags`` (per tag: ``counted``, ``in_opening``,
    ``mentions``, ``mentions_needed``, ``paragraph_mentions`` (the most in one paragraph that
    the tag's query matches), ``paragraph_mentions_needed`` (0: a paragraph is not enough)
    and ``terms`` found; tags count only when relevant).
    """
    if frame.empty:
        return []
    frame = add_normalized_text(frame)
    queries = [rules.topic, *rules.tags.values()]
    words = article_words(frame, query_prefixes(queries))
    fields = field_values(frame)
    matcher = BatchMatcher(
        words.tokens, queries, fields, opening_end=words.opening_end(rules.lede_words)
    )
    clauses = rules.topic.named_clauses()
    clause_hits = {name: matcher.match(clause) for name, clause in clauses}
    relevant = np.zeros(len(frame), dtype=bool)
    for hits in clause_hits.values():
        relevant |= hits
    evidence = {name: matcher.evidence(query) for name, query in rules.tags.items()}
    paragraphs = Paragraphs(frame, matcher, words, rules.paragraph_mentions)
    everything = np.ones(len(frame), dtype=bool)
    in_a_paragraph = {
        name: paragraphs.most_mentions(query, everything)
        if name in paragraphs.needed
        else np.zeros(len(frame), dtype=np.int64)
        for name, query in rules.tags.items()
    }
    enough = {
        name: paragraphs.holds(name, query, evidence[name], rules.tag_mentions[name], everything)
        for name, query in rules.tags.items()
    }
    documents = [
        Document(
            " ".join(part for part in parts if part),
            {name: values[k] for name, values in fields.items()},
        )
        for k, parts in enumerate(
            zip(frame["norm_title"], frame["norm_summary"], frame["norm_text"], strict=True)
        )
    ]
    explanations = []
    for k, document in enumerate(documents):
        matched = [name for name, hits in clause_hits.items() if hits[k]]
        tags = {}
        for name, query in rules.tags.items():
            found = evidence[name]
            tags[name] = {
                "counted": bool(relevant[k] and enough[name][k]),
                "matched": bool(found.anywhere[k]),
                "in_opening": bool(found.opening[k]),
                "mentions": int(found.mentions[k]),
                "mentions_needed": rules.tag_mentions[name],
                "paragraph_mentions": int(in_a_paragraph[name][k]),
                "paragraph_mentions_needed": paragraphs.needed.get(name, 0),
                "terms": found_terms(query, document),
            }
        explanations.append(
            {
                "relevant": bool(relevant[k]),
                "reason": matched[0] if matched else None,
                "source": _value(frame["source"].iloc[k]),
                "source_country": _value(fields.get("source.country", [None] * len(frame))[k]),
                "source_language": _value(fields.get("source.language", [None] * len(frame))[k]),
                "clauses": [
                    {
                        "name": name,
                        "matched": bool(clause_hits[name][k]),
                        "terms": found_terms(clause, document),
                    }
                    for name, clause in clauses
                ],
                "tags": tags,
            }
        )
    return explanations


def found_terms(query: Query, document: Document) -> list[str]:
    """The words and phrases in favour of ``query`` (not those under NOT) that ``document``
    contains, in the query's order, each once."""
    found: dict[str, None] = {}
    for leaf in positive_leaves(query.root):
        text = str(leaf)
        if text not in found and Query(text, leaf).matches(document.padded.strip(), True):
            found[text] = None
    return list(found)


def _value(value: object) -> str | None:
    if value is None or (isinstance(value, float) and value != value) or pd.isna(value):
        return None
    return str(value)
