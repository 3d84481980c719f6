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
    parse_clauses,
    parse_query,
)
from pipeline.query.document import OPENING_WORDS, Document, compile_test
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
        (
            "talks country:PK",
            6,
            "source.country:, source.language: or the scope opening: "
            '(put a word that contains ":" in quotes)',
        ),
        (
            "talks lede:Gaza",
            6,
            "source.country:, source.language: or the scope opening: "
            '(put a word that contains ":" in quotes)',
        ),
        ("source.country:PAK", 15, "a two-letter country code, e.g. PK"),
        ("source.country:", 15, "a two-letter country code, e.g. PK"),
        ("source.language:u1", 16, "a language code, e.g. ur"),
        (
            "Kabul NEAR/3 source.country:AF",
            13,
            'a term, a "phrase" or an OR group of them; combine source.country:AF with AND',
        ),
        ("@pakistan-side talks", 0, "a term list defined under topic.terms"),
        ("opening:", 8, 'a term, a "phrase", an @list or a "(" group right after opening:'),
        ("opening: Gaza", 8, 'a term, a "phrase", an @list or a "(" group right after opening:'),
        ("opening:Gaza NEAR/3 x", 0, "opening:(a NEAR/3 b) to look for the pair in the opening"),
        ("@Bad", 0, "@ followed by lower-case letters, digits, - or _, e.g. @pakistan-side"),
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


# --------------------------------------------------------------------------- source fields


def test_fields_test_what_is_known_about_the_source() -> None:
    query = parse_query("source.country:PK AND Kabul AND (talks OR TTP)")
    assert query.fields() == {"source.country"}
    assert query.explain() == "(source.country:PK AND kabul AND (talks OR ttp))"
    assert query.matches("Kabul must act against TTP", fields={"source.country": "PK"})
    assert not query.matches("Kabul must act against TTP", fields={"source.country": "AF"})
    # An unknown source (a discovered outlet) has no country: it matches no value.
    assert not query.matches("Kabul must act against TTP")
    assert not query.matches("Kabul must act against TTP", fields={"source.country": None})
    # NOT of a field is true for unknown sources.
    assert parse_query("talks NOT source.country:IN").matches("talks")


def test_field_values_are_case_insensitive_and_canonical() -> None:
    assert str(parse_query("SOURCE.COUNTRY:pk").root) == "source.country:PK"
    assert str(parse_query("source.language:UR").root) == "source.language:ur"
    assert parse_query("source.language:ps").matches("x", fields={"source.language": "ps"})


def test_a_quoted_word_with_a_colon_is_text() -> None:
    assert matches('"re:talks"', "Re: talks resume")
    assert matches('"source.country:PK"', "source country PK")


def test_fields_in_batches_are_per_document() -> None:
    query = parse_query("(source.country:PK AND Kabul) OR (source.language:fa AND اسلام‌آباد)")
    texts = ["Kabul says", "Kabul says", "اسلام‌آباد گفت", "اسلام‌آباد گفت", "Kabul says"]
    fields = {
        "source.country": ["PK", "AF", "AF", "PK", None],
        "source.language": ["en", "en", "fa", "ur", None],
    }
    expected = [True, False, True, False, False]
    assert query.match_series(texts, fields=fields).tolist() == expected
    assert match_frame({"q": query}, texts, fields=fields)["q"].tolist() == expected
    assert classify(query, {}, texts, fields=fields)["relevant"].tolist() == expected
    # Without the fields every source is unknown.
    assert not query.match_series(texts).any()


# --------------------------------------------------------------------------- term lists


def test_term_lists_are_referred_to_by_name() -> None:
    lists = {"pk": "Pakistan* OR Islamabad", "af": "Afghan* OR Kabul", "both": "@pk AND @af"}
    query = parse_query("@both AND talks", lists)
    assert query.explain() == "((pakistan* OR islamabad) AND (afghan* OR kabul) AND talks)"
    assert query.matches("Islamabad and Kabul resume talks")
    assert not query.matches("Islamabad resumes talks")
    copy = pickle.loads(pickle.dumps(query))
    assert copy.explain() == query.explain() and copy.term_lists == lists
    # A word starting with @ in a phrase is text.
    assert parse_query('"@pk"', lists).matches("pk")


def test_term_list_errors_name_the_list() -> None:
    with pytest.raises(QuerySyntaxError, match='unknown term list "@afg".*expected one of @pk'):
        parse_query("@afg", {"pk": "Pakistan"})
    with pytest.raises(QuerySyntaxError, match=r"in @pk: query ends after OR"):
        parse_query("talks AND @pk", {"pk": "Pakistan OR"})
    with pytest.raises(QuerySyntaxError, match=r"in a circle \(@a -> @b -> @a\)"):
        parse_query("@a", {"a": "x OR @b", "b": "@a"})


def test_named_clauses_say_which_alternative_matched() -> None:
    lists = {"af": "Afghan* OR Kabul"}
    topic = parse_clauses(
        {
            "crossing": "Torkham OR Chaman",
            "pk-press-names-afghan-side": "source.country:PK AND @af AND TTP",
        },
        lists,
    )
    assert [name for name, _ in topic.named_clauses()] == ["crossing", "pk-press-names-afghan-side"]
    assert topic.matches("Kabul must act against TTP", fields={"source.country": "PK"})
    assert not topic.matches("Kabul must act against TTP", fields={"source.country": "GB"})
    copy = pickle.loads(pickle.dumps(topic))
    assert [name for name, _ in copy.named_clauses()] == ["crossing", "pk-press-names-afghan-side"]
    # A query without names labels its clauses with their text, shortened to one line.
    plain = parse_query("Torkham OR (Kabul\n AND TTP) OR " + " ".join(["word"] * 30))
    labels = [name for name, _ in plain.named_clauses()]
    assert labels[:2] == ["Torkham", "(Kabul AND TTP)"]
    assert len(labels[2]) == 80 and labels[2].endswith("…")
    with pytest.raises(QuerySyntaxError):
        parse_clauses({"bad": "a AND"})


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
    "source.country:PK",
    "source.language:ur",
]
_FIELD_VALUES = {"source.country": ["PK", "AF", None], "source.language": ["ur", "en", None]}


def _random_query(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if depth > 2 or roll < 0.35:
        return rng.choice(_OPERANDS)
    if roll < 0.5:
        return f"NOT ({_random_query(rng, depth + 1)})"
    if roll < 0.56:
        return f"opening:({_random_query(rng, depth + 1)})"
    if roll < 0.65:
        words = [o for o in _OPERANDS if ":" not in o]  # fields have no position
        left, right = rng.choice(words), rng.choice(words)
        return f"{left} NEAR/{rng.randint(1, 4)} ({right} OR {rng.choice(words)})"
    op = rng.choice(["AND", "OR", ""])
    return f"({_random_query(rng, depth + 1)} {op} {_random_query(rng, depth + 1)})"


def _reference_matches(
    query: Query, tokens: list[str], fields: dict | None = None, opening: int = OPENING_WORDS
) -> bool:
    """Evaluate the parse tree directly on word lists (slow, obviously correct); ``opening``:
    how many first words ``opening:`` looks at."""
    return _eval(query.root, tokens, fields or {}, opening)


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


def _eval(node: object, tokens: list[str], fields: dict, opening: int) -> bool:
    name = type(node).__name__
    if name == "And":
        return all(_eval(c, tokens, fields, opening) for c in node.children)  # type: ignore[attr-defined]
    if name == "Or":
        return any(_eval(c, tokens, fields, opening) for c in node.children)  # type: ignore[attr-defined]
    if name == "Not":
        return not _eval(node.child, tokens, fields, opening)  # type: ignore[attr-defined]
    if name == "Opening":
        return _eval(node.child, tokens[:opening], fields, opening)  # type: ignore[attr-defined]
    if name == "Field":
        return fields.get(node.name) == node.value  # type: ignore[attr-defined]
    return bool(_spans(node, tokens))


def test_all_evaluation_paths_agree_with_a_reference_evaluator() -> None:
    rng = random.Random(11)
    docs = [
        normalize_for_matching(" ".join(rng.choice(_VOCABULARY) for _ in range(rng.randint(0, 12))))
        for _ in range(300)
    ]
    series = pd.Series(docs)
    fields = [{name: rng.choice(values) for name, values in _FIELD_VALUES.items()} for _ in docs]
    columns = {name: [f[name] for f in fields] for name in _FIELD_VALUES}
    for _ in range(150):
        query = parse_query(_random_query(rng))
        pairs = list(zip(docs, fields, strict=True))
        expected = [_reference_matches(query, d.split(), f) for d, f in pairs]
        scanning = compile_test(query.root, use_word_set=False)
        with_words = compile_test(query.root, use_word_set=True)
        assert [scanning(Document(d, f)) for d, f in pairs] == expected, query.source
        assert [with_words(Document(d, f)) for d, f in pairs] == expected, query.source
        assert query.match_series(series, True, columns).tolist() == expected, query.source
        queries = {"q": query, "big": parse_query(" OR ".join(_VOCABULARY))}
        frame = match_frame(queries, series, fields=columns)
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


def _evidence_positions(node: object, tokens: list[str], fields: dict, opening: int) -> set[int]:
    """Reference for the batch matcher's evidence: where the terms in favour occur."""
    name = type(node).__name__
    if name in ("Leaf", "Near"):
        return {start for start, _ in _spans(node, tokens)}
    if name in ("Not", "Field"):
        return set()
    if name == "Opening":
        return _evidence_positions(node.child, tokens[:opening], fields, opening)  # type: ignore[attr-defined]
    found = set().union(
        *(_evidence_positions(c, tokens, fields, opening) for c in node.children)  # type: ignore[attr-defined]
    )
    if name == "And" and not _eval(node, tokens, fields, opening):
        return set()
    return found


def _mentions(positions: set[int], gap: int) -> int:
    """Matches more than ``gap`` words after the first word of the current mention start a new
    mention."""
    count, start = 0, None
    for p in sorted(positions):
        if start is None or p - start > gap:
            count, start = count + 1, p
    return count


def test_a_wider_query_never_counts_fewer_mentions() -> None:
    from pipeline.query import BatchMatcher, tokens_for

    filler = " ".join(["word"] * 11)
    doc = normalize_for_matching(f"torkham {filler} border {filler} crossing")
    narrow = parse_query("torkham OR crossing")
    wide = parse_query("torkham OR border OR crossing")
    matcher = BatchMatcher(tokens_for([doc], [narrow, wide]), [narrow, wide])
    # The three words are 12 words apart: "border" alone is near both others, but the first
    # and the last are two mentions whatever lies between them.
    assert matcher.evidence(narrow).mentions.tolist() == [2]
    assert matcher.evidence(wide).mentions.tolist() == [2]


@pytest.mark.parametrize("gap", [0, 2, 15])
def test_evidence_agrees_with_evaluating_the_opening_and_counting_mentions(
    gap: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.query import BatchMatcher, batch, tokens_for

    monkeypatch.setattr(batch, "MENTION_GAP", gap)
    rng = random.Random(23)
    docs = [
        normalize_for_matching(" ".join(rng.choice(_VOCABULARY) for _ in range(rng.randint(0, 16))))
        for _ in range(250)
    ]
    fields = [{name: rng.choice(values) for name, values in _FIELD_VALUES.items()} for _ in docs]
    columns = {name: [f[name] for f in fields] for name in _FIELD_VALUES}
    openings = [rng.randint(0, 12) for _ in docs]
    queries = [parse_query(_random_query(rng)) for _ in range(120)]
    tokens = tokens_for(docs, queries)
    opening_end = tokens.offsets[:-1] + np.minimum(openings, tokens.counts)
    only = np.array([rng.random() < 0.8 for _ in docs])
    matcher = BatchMatcher(tokens, queries, columns, opening_end).only(only)
    for query in queries:
        assert matcher.match(query).tolist() == [
            bool(o) and _reference_matches(query, d.split(), f, k)
            for d, f, o, k in zip(docs, fields, only, openings, strict=True)
        ]
        scanning = compile_test(query.root, use_word_set=False)
        evidence = matcher.evidence(query)
        for i, (doc, f, k) in enumerate(zip(docs, fields, openings, strict=True)):
            words = doc.split()
            whole = _reference_matches(query, words, f, k)
            assert scanning(Document(doc, f, k)) == whole, (query.source, doc, k)
            anywhere = bool(only[i]) and whole
            assert evidence.anywhere[i] == anywhere, (query.source, doc)
            assert evidence.opening[i] == (anywhere and _reference_matches(query, words[:k], f, k))
            positions = _evidence_positions(query.root, words, f, k)
            count = _mentions(positions, gap) if anywhere else 0
            assert evidence.mentions[i] == count, (query.source, doc)
        hold = evidence.holds(2)
        assert (hold == (evidence.opening | (evidence.anywhere & (evidence.mentions >= 2)))).all()


def test_a_regrouped_matcher_equals_one_built_on_the_other_documents() -> None:
    """``BatchMatcher.regrouped`` (the same words cut into other documents, e.g. paragraphs)
    shares the words' positions but answers as a matcher built afresh on those documents:
    a phrase or a NEAR never crosses where a new document starts."""
    from pipeline.query import BatchMatcher, tokens_for
    from pipeline.tokens import Tokens

    rng = random.Random(29)
    docs = [
        normalize_for_matching(" ".join(rng.choice(_VOCABULARY) for _ in range(rng.randint(0, 24))))
        for _ in range(150)
    ]
    queries = [parse_query(_random_query(rng)) for _ in range(120)]
    tokens = tokens_for(docs, queries)
    # Cut every document once more at a random word: twice as many documents.
    cuts = [
        int(start + rng.randint(0, int(end - start)))
        for start, end in zip(tokens.offsets[:-1], tokens.offsets[1:], strict=True)
    ]
    offsets = np.array(sorted([*tokens.offsets.tolist(), *cuts]), dtype=np.int64)
    fields = {"source.country": [rng.choice(["PK", "AF", None]) for _ in range(len(offsets) - 1)]}
    regrouped = BatchMatcher(tokens, queries).regrouped(offsets, fields)
    fresh = BatchMatcher(Tokens(tokens.hashes, offsets, tokens.prefixes), queries, fields)
    only = np.array([rng.random() < 0.7 for _ in range(len(offsets) - 1)])
    matched = 0
    for query in queries:
        assert regrouped.match(query).tolist() == fresh.match(query).tolist(), query.source
        assert (
            regrouped.only(only).mentions(query).tolist()
            == fresh.only(only).evidence(query).mentions.tolist()
        ), query.source
        matched += int(fresh.match(query).sum())
    assert matched > 100
