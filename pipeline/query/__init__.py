"""A small boolean query language for relevance and tagging, in any script.

Syntax (see docs/queries.md for the full description and examples):

    term            a word; case-insensitive, normalized like the text (pipeline.textnorm)
    negotiat*       trailing wildcard: any word starting with "negotiat"
    "joint statement"   phrase: consecutive words (wildcards allowed on phrase words)
    a AND b         both;  `a b` (adjacent operands) is an implicit AND
    a OR b          either
    NOT a           not;   `a AND NOT b` and `a NOT b` both mean a without b
    a NEAR/5 b      a and b at most 5 word positions apart, in either order
    ( ... )         grouping
    source.country:PK   the article's source is in Pakistan (also source.language:ur)
    @name           the named term list `name` (given to `parse_query` as `term_lists`)

Operators are uppercase only (lowercase "and", "or", "not", "near" are ordinary words).
Precedence, tightest first: NOT, NEAR, AND (explicit or implicit), OR.

Matching works on text normalized once by `normalize_for_matching` (a single-space separated
word sequence). The package's modules:

    syntax      lexer, parser, the syntax tree's node types and QuerySyntaxError
    document    the reference evaluator: one query on one document (`Query.matches`)
    batch       the batch matcher: many documents at once on hashed words (`match_series`,
                `match_frame`, `classify`), with the reference evaluator's results
    proximity   NEAR on word spans, shared by both evaluators
    matching    `Query` and the entry points below
"""

from pipeline.query.batch import (
    BatchMatcher,
    Evidence,
    match_tokens,
    query_prefixes,
    tokens_for,
)
from pipeline.query.matching import (
    FieldValues,
    Query,
    classify,
    classify_tokens,
    clause_label,
    first_matching_clause,
    first_matching_name,
    match_frame,
    parse_clauses,
    parse_query,
)
from pipeline.query.syntax import FIELDS, QuerySyntaxError

__all__ = [
    "FIELDS",
    "BatchMatcher",
    "Evidence",
    "FieldValues",
    "Query",
    "QuerySyntaxError",
    "classify",
    "classify_tokens",
    "clause_label",
    "first_matching_clause",
    "first_matching_name",
    "match_frame",
    "match_tokens",
    "parse_clauses",
    "parse_query",
    "query_prefixes",
    "tokens_for",
]
