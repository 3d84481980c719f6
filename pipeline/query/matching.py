"""Compiled queries and the entry points that match them against texts and DataFrames.

A `Query` matches one text with the reference evaluator (`pipeline.query.document`); many texts
at once (`match_series`, `match_frame`, `classify`) go through the batch matcher
(`pipeline.query.batch`) on hashed words, with the same results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeAlias

import numpy as np
import pandas as pd

from pipeline.query.batch import match_tokens, tokens_for
from pipeline.query.document import (
    OPENING_WORDS,
    WORD_SET_MIN,
    Document,
    compile_test,
    count_exact_words,
)
from pipeline.query.syntax import (
    And,
    Field,
    Near,
    Node,
    Not,
    Opening,
    Or,
    parse_tree,
    positive_leaves,
    top_level_alternatives,
)
from pipeline.textnorm import normalize_for_matching, normalize_many
from pipeline.tokens import Tokens

__all__ = [
    "FieldValues",
    "Query",
    "classify",
    "classify_tokens",
    "clause_label",
    "first_matching_clause",
    "first_matching_name",
    "match_frame",
    "parse_clauses",
    "parse_query",
]

#: Per-document field values for many documents: field name -> one value per document.
FieldValues: TypeAlias = Mapping[str, Sequence[str | None] | np.ndarray]
# Longest label of an unnamed clause (its text on one line, shortened).
_LABEL_CHARS = 80


class Query:
    """A parsed query. Build with `parse_query` (or `parse_clauses` for named alternatives);
    match raw or normalized text."""

    def __init__(
        self,
        source: str,
        root: Node,
        term_lists: Mapping[str, str] | None = None,
        clause_names: Sequence[str] | None = None,
    ) -> None:
        self.source = source
        self.root = root
        # The named term lists @name refers to, and the names of the clauses when the query
        # was built from named alternatives: both are needed to rebuild it.
        self.term_lists = dict(term_lists or {})
        self.clause_names = list(clause_names) if clause_names is not None else None
        self._clauses: list[Query] | None = None
        with_words = compile_test(root, use_word_set=True)
        if count_exact_words(root) >= WORD_SET_MIN:
            self._test = with_words
        else:
            # A small query scans the text unless another query has already built the
            # document's word set (match_frame, classify), which makes set lookups free.
            scanning = compile_test(root, use_word_set=False)
            self._test = lambda doc: scanning(doc) if doc._words is None else with_words(doc)

    def __repr__(self) -> str:
        return f"Query({self.source!r})"

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # Compiled matchers are closures; pickling (e.g. for worker processes) re-parses.
        return (_rebuild, (self.source, self.term_lists, self.clause_names))

    def explain(self) -> str:
        """The query fully parenthesized, with normalized words: shows how it was parsed."""
        return str(self.root)

    def terms(self) -> set[str]:
        """Normalized words and phrases that count in favour of a match (not those under NOT).

        Wildcard words keep their trailing "*"; phrases are space separated words.
        """
        return {
            " ".join(w + ("*" if p else "") for w, p in leaf.parts)
            for leaf in positive_leaves(self.root)
        }

    def clauses(self) -> list[Query]:
        """The query's top-level alternatives (its parts joined by OR outside parentheses).

        The query matches a text exactly when one of them does; the first that does is a short
        answer to "why did this match?". A query without a top-level OR is its own one clause.
        """
        if self._clauses is None:
            parts = top_level_alternatives(self.source)
            if len(parts) == 1:
                self._clauses = [self]
            else:
                self._clauses = [parse_query(part, self.term_lists) for part in parts]
        return list(self._clauses)

    def named_clauses(self) -> list[tuple[str, Query]]:
        """``clauses()`` with their names: those given to ``parse_clauses``, else each
        clause's text on one line (shortened, see ``clause_label``)."""
        clauses = self.clauses()
        names = self.clause_names
        if names is None or len(names) != len(clauses):
            names = [clause_label(clause.source) for clause in clauses]
        return list(zip(names, clauses, strict=True))

    def fields(self) -> set[str]:
        """The names of the fields the query tests (``source.country``...)."""
        return set(_field_names(self.root))

    def matches(
        self,
        text: str,
        normalized: bool = False,
        fields: Mapping[str, str | None] | None = None,
        opening_words: int = OPENING_WORDS,
    ) -> bool:
        """Whether one text matches. Pass `normalized=True` for `normalize_for_matching` output.

        ``fields``: what is known about the text's source, e.g. ``{"source.country": "PK"}``.
        ``opening_words``: how many of the text's first words ``opening:`` looks at.
        """
        if not isinstance(text, str):
            text = ""
        normalized_text = text if normalized else normalize_for_matching(text)
        return self._test(Document(normalized_text, fields, opening_words))

    def match_series(
        self,
        texts: pd.Series | Sequence[str],
        normalized: bool = False,
        fields: FieldValues | None = None,
    ) -> np.ndarray:
        """Boolean array: which of `texts` match, in order. Missing values are empty texts.

        Normalizing is most of the work: when several queries run over the same column,
        normalize it once (`normalize_series`) and pass `normalized=True`, or use `match_frame`.
        ``fields``: one value per text for each field the query tests.
        """
        values = _prepared(texts, normalized)
        return match_tokens({"q": self}, tokens_for(values, [self]), fields)["q"]


def _prepared(texts: pd.Series | Sequence[str], normalized: bool) -> list[str]:
    values = texts.tolist() if isinstance(texts, pd.Series) else list(texts)
    if normalized:
        return [v if isinstance(v, str) else "" for v in values]
    return normalize_many(values)


def _rebuild(source: str, term_lists: Mapping[str, str], clause_names: list[str] | None) -> Query:
    return Query(source, parse_tree(source, term_lists), term_lists, clause_names)


def _field_names(node: Node) -> list[str]:
    if isinstance(node, Field):
        return [node.name]
    if isinstance(node, (Not, Opening)):
        return _field_names(node.child)
    if isinstance(node, (And, Or)):
        return [name for child in node.children for name in _field_names(child)]
    if isinstance(node, Near):
        return _field_names(node.left) + _field_names(node.right)
    return []


def parse_query(text: str, term_lists: Mapping[str, str] | None = None) -> Query:
    """Parse a query; raises QuerySyntaxError with the position of the first problem.

    ``term_lists``: named term lists (name -> query text) that ``@name`` in the query refers to.
    """
    if not isinstance(text, str):
        raise TypeError(f"query must be a string, not {type(text).__name__}")
    return Query(text, parse_tree(text, term_lists), term_lists)


def parse_clauses(clauses: Mapping[str, str], term_lists: Mapping[str, str] | None = None) -> Query:
    """One query from named alternatives: it matches when one of ``clauses`` does, and
    ``named_clauses()`` gives their names (which one matched is why a text counted).

    Each clause is parsed on its own first, so an error names the clause's own text.
    """
    if not clauses:
        raise ValueError("a query needs at least one clause")
    for text in clauses.values():
        parse_query(text, term_lists)
    source = " OR ".join(f"({text.strip()})" for text in clauses.values())
    return Query(source, parse_tree(source, term_lists), term_lists, list(clauses))


def clause_label(text: str) -> str:
    """A clause's text on one line, shortened to a label (for clauses without a name)."""
    line = " ".join(text.split())
    return line if len(line) <= _LABEL_CHARS else line[: _LABEL_CHARS - 1].rstrip() + "…"


def match_frame(
    queries: Mapping[str, Query],
    texts: pd.Series | Sequence[str],
    normalized: bool = False,
    fields: FieldValues | None = None,
) -> pd.DataFrame:
    """Match several queries (e.g. all tags) against the same texts in one pass.

    Returns a boolean DataFrame with one column per query name, indexed like `texts` when it
    is a Series. Each text is normalized and split into words once for all queries.
    ``fields``: one value per text for each field the queries test.
    """
    values = _prepared(texts, normalized)
    names = list(queries)
    found = match_tokens(queries, tokens_for(values, queries.values()), fields)
    index = texts.index if isinstance(texts, pd.Series) else None
    return pd.DataFrame(
        {name: found[name] for name in names}, columns=names, index=index, dtype=bool
    )


def classify(
    topic: Query,
    tags: Mapping[str, Query],
    texts: pd.Series | Sequence[str],
    normalized: bool = False,
    fields: FieldValues | None = None,
) -> pd.DataFrame:
    """Relevance and tags in one pass, the way the pipeline applies them.

    Returns a boolean DataFrame with a `relevant` column (the topic query) and one column per
    tag; tags count only for relevant texts (False elsewhere). The texts are split and hashed
    once for all queries (`pipeline.query.batch`).
    """
    values = _prepared(texts, normalized)
    result = classify_tokens(topic, tags, tokens_for(values, [topic, *tags.values()]), fields)
    result.index = texts.index if isinstance(texts, pd.Series) else result.index
    return result


def classify_tokens(
    topic: Query, tags: Mapping[str, Query], tokens: Tokens, fields: FieldValues | None = None
) -> pd.DataFrame:
    """``classify`` on documents already split and hashed (``tokens_for``)."""
    if "relevant" in tags:
        raise ValueError('a tag cannot be named "relevant"')
    found = match_tokens({"relevant": topic, **tags}, tokens, fields)
    relevant = found["relevant"]
    # Tags count only for relevant documents.
    columns = {"relevant": relevant, **{name: found[name] & relevant for name in tags}}
    return pd.DataFrame(columns, dtype=bool)


def first_matching_clause(
    query: Query,
    texts: pd.Series | Sequence[str],
    normalized: bool = False,
    fields: FieldValues | None = None,
) -> list[str | None]:
    """For each text, the source of the first of ``query.clauses()`` that matches it, or None.

    Evaluated in one pass over all texts, like ``match_frame``.
    """
    clauses = query.clauses()
    found = match_frame(
        {str(i): clause for i, clause in enumerate(clauses)}, texts, normalized, fields
    )
    matrix = found.to_numpy(dtype=bool)
    if not len(clauses):
        return [None] * len(matrix)
    first = matrix.argmax(axis=1)
    any_match = matrix.any(axis=1)
    return [clauses[k].source if hit else None for k, hit in zip(first, any_match, strict=True)]


def first_matching_name(
    query: Query,
    texts: pd.Series | Sequence[str],
    normalized: bool = False,
    fields: FieldValues | None = None,
) -> list[str | None]:
    """For each text, the name of the first of ``query.named_clauses()`` that matches it (the
    reason the pipeline stores for a relevant article), or None."""
    named = query.named_clauses()
    found = match_frame(
        {str(i): clause for i, (_, clause) in enumerate(named)}, texts, normalized, fields
    )
    matrix = found.to_numpy(dtype=bool)
    first = matrix.argmax(axis=1)
    any_match = matrix.any(axis=1)
    return [named[k][0] if hit else None for k, hit in zip(first, any_match, strict=True)]
