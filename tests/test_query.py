"""Tests for the query language in pipeline.query."""

from __future__ import annotations

import math
import pickle
import random

import numpy as np
import pandas as pd
import pytest

from pipeline.query import (
    Query,
    QuerySyntaxError,
    classify,
    first_matching_clause,
    match_frame,
    parse_query,
)
from pipeline.query.document import Document, compile_test
from pipeline.textnorm import normalize_for_matching, normalize_series


def matches(query: str, text: str) -> bool:
    return parse_query(query).matches(text)


# --------------------------------------------------------------------------- terms and case


def test_terms_are_whole_words_and_case_insensitive() -> None:
    assert matches("Pakistan", "talks with PAKISTAN resumed")
    assert matches("PAKISTAN", "pakistan")
    assert not matches("Pakistan", "Pakistani officials")  # whole words only
    assert not matches("talk", "talks")


def test_operators_are_uppercase_only() -> None:
    assert parse_query("a and b").explain() == "(a AND and AND b)"  # "and" is a word
    assert matches("Pakistan and Afghanistan", "Pakistan and Afghanistan")
    assert not matches("Pakistan and Afghanistan", "Pakistan, Afghanistan")
    assert matches("Pakistan or Afghanistan", "Pakistan or Afghanistan")
    assert not matches("Pakistan or Afghanistan", "Pakistan")


def test_implicit_and_between_adjacent_operands() -> None:
    query = parse_query('Pakistan "joint statement" (Doha OR Istanbul)')
    assert query.explain() == '(pakistan AND "joint statement" AND (doha OR istanbul))'
    assert query.matches("Istanbul: Pakistan issues joint statement")
    assert not query.matches("Istanbul: Pakistan issues statement")


# --------------------------------------------------------------------------- precedence


@pytest.mark.parametrize(
    ("query", "parsed"),
    [
        ("a OR b AND c", "(a OR (b AND c))"),
        ("a AND b OR c", "((a AND b) OR c)"),
        ("a b OR c d", "((a AND b) OR (c AND d))"),
        ("NOT a AND b", "(NOT a AND b)"),
        ("NOT a OR b", "(NOT a OR b)"),
        ("a AND NOT b", "(a AND NOT b)"),
        ("a NOT b", "(a AND NOT b)"),
        ("NOT NOT a", "NOT NOT a"),
        ("a NEAR/3 b AND c", "((a NEAR/3 b) AND c)"),
        ("a OR b NEAR/3 c", "(a OR (b NEAR/3 c))"),
        ("a NEAR/3 b NEAR/2 c", "((a NEAR/3 b) NEAR/2 c)"),
        ("(a OR b) AND c", "((a OR b) AND c)"),
        ("a OR (b OR c)", "(a OR b OR c)"),
        ("a AND (b AND c)", "(a AND b AND c)"),
        ("((a))", "a"),
    ],
)
def test_precedence(query: str, parsed: str) -> None:
    assert parse_query(query).explain() == parsed


def test_precedence_changes_results() -> None:
    text = "a c"
    assert matches("a OR b AND c", "a")
    assert not matches("(a OR b) AND c", "a")
    assert matches("(a OR b) AND c", text)
    assert matches("NOT b AND a", "a")
    assert not matches("NOT (a AND c)", text)
    assert matches("NOT a AND c OR c", text)


def test_not() -> None:
    assert matches("NOT cricket", "border talks")
    assert not matches("NOT cricket", "cricket talks")
    assert matches("talks AND NOT cricket", "border talks")
    assert not matches("talks AND NOT cricket", "cricket talks")
    assert not matches("talks NOT cricket", "cricket talks")


# --------------------------------------------------------------------------- phrases, hyphens


def test_phrases_need_consecutive_words() -> None:
    assert matches('"joint statement"', "They issued a Joint Statement.")
    assert not matches('"joint statement"', "a joint and final statement")
    assert not matches('"joint statement"', "statement joint")


def test_hyphenated_words_match_spaced_and_hyphenated_forms() -> None:
    for query in ("cross-border", '"cross border"', '"cross-border"'):
        assert matches(query, "cross-border attacks"), query
        assert matches(query, "cross border attacks"), query
        assert matches(query, "Cross—Border attacks"), query
        assert not matches(query, "border crossings"), query


def test_curly_quotes_and_guillemets_delimit_phrases() -> None:
    assert parse_query("“joint statement”").explain() == '"joint statement"'
    assert parse_query("«آتش بس»").matches("آتش بس برقرار است")


# --------------------------------------------------------------------------- wildcards


def test_trailing_wildcard() -> None:
    query = parse_query("negotiat*")
    for text in ("negotiations", "Negotiators met", "they negotiate", "negotiat"):
        assert query.matches(text), text
    assert not query.matches("renegotiation")
    assert not query.matches("negotia")


def test_wildcards_in_phrases() -> None:
    assert matches('"peace talk*"', "peace talks resumed")
    assert not matches('"peace talk*"', "peace and talks")
    assert matches('"afghan* refugee*"', "Afghan refugee camps")
    assert matches('"afghan* refugees"', "Afghanistan refugees")
    assert not matches('"afghan* refugees"', "Afghanistan's refugees")  # "afghanistan s refugees"
    assert matches("cross-border*", "cross-bordering")


def test_wildcards_in_arabic_script() -> None:
    query = parse_query("مذاکر*")
    assert query.matches("مذاکرات استنبول")
    assert query.matches("مذاكرة")  # Arabic kaf and teh marbuta
    assert not query.matches("گفتگو")


# --------------------------------------------------------------------------- NEAR


def test_near_either_order_within_distance() -> None:
    query = parse_query("Pakistan NEAR/3 Afghanistan")
    assert query.matches("Pakistan and Afghanistan")  # 2 positions apart
    assert query.matches("Afghanistan accused Pakistan")
    assert query.matches("Pakistan x y Afghanistan")  # 3 positions apart
    assert not query.matches("Pakistan x y z Afghanistan")  # 4 positions apart
    assert not query.matches("Pakistan only")


def test_near_one_means_adjacent() -> None:
    query = parse_query("border NEAR/1 closed")
    assert query.matches("border closed")
    assert query.matches("closed border")
    assert not query.matches("border was closed")


def test_near_with_phrases_measures_the_gap_between_them() -> None:
    query = parse_query('"Durand Line" NEAR/3 "open war"')
    assert query.matches("open war on the Durand Line")  # 2 words between: 3 positions apart
    assert query.matches("Durand Line: open war")
    assert not query.matches("open war along all of the Durand Line")


def test_near_with_or_groups_and_wildcards() -> None:
    query = parse_query("(Pakistan* OR Islamabad) NEAR/4 (Afghan* OR Kabul)")
    assert query.matches("Islamabad accuses Kabul")
    assert query.matches("Pakistani and Afghan officials")
    assert not query.matches("Islamabad said on Monday that it accuses Kabul")


def test_chained_near() -> None:
    query = parse_query("a NEAR/1 b NEAR/2 c")
    assert query.matches("a b x c")
    assert query.matches("c b a")
    assert not query.matches("a b x x c")


def test_near_needs_two_distinct_words() -> None:
    query = parse_query("talks NEAR/3 talk*")
    assert not query.matches("talks")
    assert query.matches("talks and talks")


def test_near_combines_with_boolean_operators() -> None:
    query = parse_query("border NEAR/2 (closed OR reopened) AND NOT cricket")
    assert query.matches("the border was reopened")
    assert not query.matches("the border was reopened for the cricket team")
    assert not query.matches("the border crossing was finally reopened")


# --------------------------------------------------------------------------- Arabic script


def test_arabic_and_persian_letter_variants_match_each_other() -> None:
    assert matches("كابل", "کابل")
    assert matches("کابل", "كابل")
    assert matches("مذاکرات", "مذاكرات")
    assert matches('"خواجہ آصف"', "خواجه آصف")
    assert matches('"خواجه آصف"', "خواجۂ آصف")


def test_zwnj_variants_match() -> None:
    assert matches("گفت‌وگو", "گفتوگو")  # ZWNJ in the query
    assert matches("گفتوگو", "گفت‌وگو")  # ZWNJ in the text
    assert matches("آتش‌بس", "آتشبس")
    assert not matches("گفت‌وگو", "گفت و گو")  # a space is a word boundary


def test_pashto_letters() -> None:
    assert matches('"خبرې اترې"', "خبرې اترې روانې دي")
    assert matches('"خبرې اترې"', "خبري اتري")  # written with Arabic yeh
    assert matches("اوربند", "د اوربند موافقه")
    assert matches("ټي", "ٹی")  # Pashto and Urdu retroflex letters
    assert matches("ډیورنډ", "د ډیورنډ کرښه")
    assert matches("سوداګر*", "سوداګرۍ")
    assert not matches("ښار", "شار")  # ښ stays a letter of its own


def test_diacritics_and_digits_are_ignored() -> None:
    assert matches("مذاکرات", "مُذَاكَرَات")
    assert matches("2025", "۲۰۲۵")


# --------------------------------------------------------------------------- syntax errors


@pytest.mark.parametrize(
    ("query", "position", "expected"),
    [
        ("", 0, 'a term, a "phrase", "(" or NOT'),
        ("   ", 0, 'a term, a "phrase", "(" or NOT'),
        ("a AND", 5, 'a term, a "phrase", "(" or NOT'),
        ("AND a", 0, 'a term, a "phrase", "(" or NOT'),
        ("a OR OR b", 5, 'a term, a "phrase", "(" or NOT'),
        ("a OR NOT", 8, 'a term, a "phrase", "(" or NOT'),
        ("(a OR b", 0, '")" before the end of the query'),
        ("a OR (b AND (c)", 5, '")" before the end of the query'),
        ("a) OR b", 1, "AND, OR, NEAR/n, a term or the end of the query"),
        ("()", 1, 'a term, a "phrase", "(" or NOT'),
        ('a "joint statement', 2, 'a closing "'),
        ('""', 0, "words between the quotes"),
        ("a NEAR b", 2, "NEAR/n with a whole number n of at least 1, e.g. NEAR/5"),
        ("a NEAR/0 b", 2, "NEAR/n with a whole number n of at least 1, e.g. NEAR/5"),
        ("a NEAR/x b", 2, "NEAR/n with a whole number n of at least 1, e.g. NEAR/5"),
        ("a near/5 b", 2, "NEAR/5"),
        ("neg*tiat", 3, "a word ending in *, e.g. negotiat*"),
        ("*", 0, "a word ending in *, e.g. negotiat*"),
        ('"peace *talks"', 7, "a word ending in *, e.g. negotiat*"),
        ("talks -cricket", 6, "NOT cricket to exclude a word"),
        ("a && b", 2, "AND"),
        ("a || b", 2, "OR"),
        ("a ... b", 2, 'a term, a "phrase", "(" or NOT'),
        ("NOT a NEAR/3 b", 0, "NOT (a NEAR/3 b) to exclude the pair, or a term or phrase"),
        ("(a AND b) NEAR/2 c", 0, 'a term, a "phrase" or an OR group such as (a OR "b c")'),
        ("a NEAR/2 (b OR NOT c)", 9, 'a term, a "phrase" or an OR group such as (a OR "b c")'),
    ],
)
def test_syntax_errors_report_position_and_expectation(
    query: str, position: int, expected: str
) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(query)
    error = info.value
    assert (error.position, error.expected) == (position, expected)
    assert error.query == query
    assert str(error) == (
        f'{error.message} at position {position} in query "{query}": expected {expected}'
    )


def test_syntax_error_message_is_readable() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query("Pakistan AND (talks OR")
    assert str(info.value) == (
        'query ends after OR at position 22 in query "Pakistan AND (talks OR": '
        'expected a term, a "phrase", "(" or NOT'
    )
    assert isinstance(info.value, ValueError)


def test_syntax_error_is_one_line_for_multi_line_queries() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query("(Pakistan OR\n  Islamabad) AND\n")
    error = info.value
    assert "\n" not in str(error)
    assert error.query == "(Pakistan OR   Islamabad) AND "
    assert error.position == 30
    assert error.excerpt().splitlines() == [error.query, " " * 30 + "^"]


def test_syntax_error_excerpt_points_at_the_problem_in_long_queries() -> None:
    query = " OR ".join(f"term{i}" for i in range(40)) + " OR neg*tiat"
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(query)
    snippet, caret = info.value.excerpt(width=40).splitlines()
    assert snippet.startswith("...")
    assert snippet[caret.index("^")] == "*"


def test_syntax_error_pickles() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query("a AND")
    copy = pickle.loads(pickle.dumps(info.value))
    assert (copy.query, copy.position, copy.expected, str(copy)) == (
        info.value.query,
        info.value.position,
        info.value.expected,
        str(info.value),
    )


def test_non_string_query_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        parse_query(None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- API


def test_query_attributes_and_terms() -> None:
    source = 'Pakistan* AND ("joint statement" OR كابل) AND NOT cricket'
    query = parse_query(source)
    assert isinstance(query, Query)
    assert query.source == source
    assert query.terms() == {"pakistan*", "joint statement", "کابل"}
    assert "Pakistan*" in repr(query)


def test_query_pickles() -> None:
    query = pickle.loads(pickle.dumps(parse_query("کابل NEAR/2 talk*")))
    assert query.source == "کابل NEAR/2 talk*"
    assert query.matches("talks in Kabul, كابل talks")


def test_matches_accepts_normalized_text() -> None:
    query = parse_query('"cross border" AND کابل')
    text = "Cross-border fire near كابل"
    assert query.matches(normalize_for_matching(text), normalized=True)
    assert query.matches(text)


def test_match_series() -> None:
    query = parse_query("(Pakistan OR پاکستان) AND NOT cricket")
    texts = pd.Series(
        ["Pakistan talks", "cricket: Pakistan won", None, math.nan, "پاكستان", ""],
        index=[5, 4, 3, 2, 1, 0],
    )
    result = query.match_series(texts)
    assert isinstance(result, np.ndarray) and result.dtype == bool
    assert result.tolist() == [True, False, False, False, True, False]
    normalized = normalize_series(texts)
    assert query.match_series(normalized, normalized=True).tolist() == result.tolist()
    assert query.match_series(["Pakistan"]).tolist() == [True]
    assert query.match_series(pd.Series([], dtype=object)).tolist() == []


def test_match_frame_and_classify() -> None:
    tags = {"talks": parse_query("talks OR مذاکرات"), "trade": parse_query("trade")}
    topic = parse_query("Pakistan AND Afghanistan")
    texts = pd.Series(
        ["Pakistan Afghanistan talks", "talks on trade", "Pakistan Afghanistan trade"],
        index=["x", "y", "z"],
    )
    frame = match_frame(tags, texts)
    assert list(frame.columns) == ["talks", "trade"]
    assert list(frame.index) == ["x", "y", "z"]
    assert frame.to_numpy().tolist() == [[True, False], [True, True], [False, True]]

    result = classify(topic, tags, texts)
    assert list(result.columns) == ["relevant", "talks", "trade"]
    assert result.to_numpy().tolist() == [
        [True, True, False],
        [False, False, False],  # tags are not applied to irrelevant texts
        [True, False, True],
    ]
    with pytest.raises(ValueError, match="relevant"):
        classify(topic, {"relevant": topic}, texts)


# --------------------------------------------------------------------------- consistency

_VOCABULARY = [
    "pakistan",
    "pakistani",
    "afghan",
    "afghanistan",
    "kabul",
    "talks",
    "border",
    "closed",
    "cross",
    "trade",
    "کابل",
    "مذاکرات",
    "x",
    "y",
]
_OPERANDS = [
    "pakistan",
    "afghan*",
    "kabul",
    "talks",
    "border",
    "trade",
    "كابل",
    "مذاکر*",
    '"cross border"',
    '"border closed"',
    '"pak* talks"',
    '"cross bord* closed"',
]


def _random_query(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if depth > 2 or roll < 0.35:
        return rng.choice(_OPERANDS)
    if roll < 0.5:
        return f"NOT ({_random_query(rng, depth + 1)})"
    if roll < 0.65:
        left, right = rng.choice(_OPERANDS), rng.choice(_OPERANDS)
        return f"{left} NEAR/{rng.randint(1, 4)} ({right} OR {rng.choice(_OPERANDS)})"
    op = rng.choice(["AND", "OR", ""])
    return f"({_random_query(rng, depth + 1)} {op} {_random_query(rng, depth + 1)})"


def _reference_matches(query: Query, tokens: list[str]) -> bool:
    """Evaluate the parse tree directly on word lists (slow, obviously correct)."""
    return _eval(query.root, tokens)


def _spans(node: object, tokens: list[str]) -> list[tuple[int, int]]:
    name = type(node).__name__
    if name == "Leaf":
        parts = node.parts  # type: ignore[attr-defined]
        found = []
        for i in range(len(tokens) - len(parts) + 1):
            if all(
                tokens[i + k].startswith(w) if p else tokens[i + k] == w
                for k, (w, p) in enumerate(parts)
            ):
                found.append((i, i + len(parts) - 1))
        return found
    if name == "Or":
        return [s for child in node.children for s in _spans(child, tokens)]  # type: ignore[attr-defined]
    assert name == "Near"
    pairs = []
    for a in _spans(node.left, tokens):  # type: ignore[attr-defined]
        for b in _spans(node.right, tokens):  # type: ignore[attr-defined]
            gap = b[0] - a[1] if a[1] < b[0] else a[0] - b[1] if b[1] < a[0] else None
            if gap is not None and gap <= node.distance:  # type: ignore[attr-defined]
                pairs.append((min(a[0], b[0]), max(a[1], b[1])))
    return pairs


def _eval(node: object, tokens: list[str]) -> bool:
    name = type(node).__name__
    if name == "And":
        return all(_eval(c, tokens) for c in node.children)  # type: ignore[attr-defined]
    if name == "Or":
        return any(_eval(c, tokens) for c in node.children)  # type: ignore[attr-defined]
    if name == "Not":
        return not _eval(node.child, tokens)  # type: ignore[attr-defined]
    return bool(_spans(node, tokens))


def test_all_evaluation_paths_agree_with_a_reference_evaluator() -> None:
    rng = random.Random(11)
    docs = [
        normalize_for_matching(" ".join(rng.choice(_VOCABULARY) for _ in range(rng.randint(0, 12))))
        for _ in range(300)
    ]
    series = pd.Series(docs)
    for _ in range(150):
        query = parse_query(_random_query(rng))
        expected = [_reference_matches(query, d.split()) for d in docs]
        scanning = compile_test(query.root, use_word_set=False)
        with_words = compile_test(query.root, use_word_set=True)
        assert [scanning(Document(d)) for d in docs] == expected, query.source
        assert [with_words(Document(d)) for d in docs] == expected, query.source
        assert query.match_series(series, normalized=True).tolist() == expected, query.source
        frame = match_frame({"q": query, "big": parse_query(" OR ".join(_VOCABULARY))}, series)
        assert frame["q"].tolist() == expected, query.source


def test_deep_nesting_is_a_syntax_error_not_a_crash() -> None:
    assert parse_query("(" * 90 + "a" + ")" * 90).explain() == "a"
    assert parse_query("NOT " * 91 + "a").matches("b")  # odd number of NOTs
    for query in ("(" * 150 + "a" + ")" * 150, "NOT " * 150 + "a", " NEAR/2 ".join("a" * 150)):
        with pytest.raises(QuerySyntaxError, match="nested too deeply"):
            parse_query(query)


def test_clauses_are_the_top_level_alternatives_and_explain_each_match() -> None:
    query = parse_query("Kabul Islamabad OR (truce OR ceasefire) OR Torkham NEAR/3 closed")
    assert [c.source for c in query.clauses()] == [
        "Kabul Islamabad",
        "(truce OR ceasefire)",
        "Torkham NEAR/3 closed",
    ]
    texts = ["the truce holds", "Kabul and Islamabad", "Torkham was closed", "Doha"]
    assert first_matching_clause(query, texts) == [
        "(truce OR ceasefire)",
        "Kabul Islamabad",
        "Torkham NEAR/3 closed",
        None,
    ]
    assert [c.source for c in parse_query("(a OR b) c").clauses()] == ["(a OR b) c"]


def test_a_query_matches_exactly_when_one_of_its_clauses_does() -> None:
    rng = random.Random(5)
    docs = [
        normalize_for_matching(" ".join(rng.choice(_VOCABULARY) for _ in range(rng.randint(0, 12))))
        for _ in range(200)
    ]
    for _ in range(100):
        query = parse_query(" OR ".join(_random_query(rng) for _ in range(rng.randint(1, 4))))
        expected = query.match_series(docs, normalized=True).tolist()
        explained = first_matching_clause(query, docs, normalized=True)
        assert [e is not None for e in explained] == expected, query.source
        for doc, clause in zip(docs, explained, strict=True):
            if clause is not None:
                assert parse_query(clause).matches(doc, normalized=True), (query.source, doc)
