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

Operators are uppercase only (lowercase "and", "or", "not", "near" are ordinary words).
Precedence, tightest first: NOT, NEAR, AND (explicit or implicit), OR.

Matching works on text normalized once by `normalize_for_matching` (a single-space separated
word sequence). For one document (`Query.matches`), words and phrases are substring tests on the
space-padded text, large OR groups use the document's word set, and NEAR looks at word
positions only for documents that contain both sides. Many documents at once (`match_series`,
`match_frame`, `classify`) are evaluated by `pipeline.query_batch` on hashed words, with the
same results.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pipeline.textnorm import normalize_for_matching, normalize_many

if TYPE_CHECKING:
    from typing import TypeAlias

    from pipeline.tokens import Tokens

__all__ = ["Query", "QuerySyntaxError", "classify", "match_frame", "parse_query"]


# --------------------------------------------------------------------------- errors


_LINE_BREAKS = str.maketrans({c: " " for c in "\n\r\t\v\f\x85\u2028\u2029"})


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed.

    Attributes: `query` (the query text on one line: line breaks and tabs are shown as spaces,
    so offsets are unchanged), `position` (0-based character offset of the problem),
    `expected` (what would have been valid there) and `message`.
    """

    def __init__(self, message: str, query: str, position: int, expected: str) -> None:
        self.message = message
        self.query = query.translate(_LINE_BREAKS)
        self.position = position
        self.expected = expected
        super().__init__(str(self))

    def __str__(self) -> str:
        return (
            f'{self.message} at position {self.position} in query "{self.query}": '
            f"expected {self.expected}"
        )

    def __reduce__(self) -> tuple[type, tuple[str, str, int, str]]:
        # Keeps the error picklable (multiprocessing) despite the custom constructor.
        return (type(self), (self.message, self.query, self.position, self.expected))

    def excerpt(self, width: int = 60) -> str:
        """Two lines: the part of the query around the problem and a caret under it."""
        start = max(0, self.position - width // 2)
        snippet = self.query[start : start + width]
        prefix = "..." if start else ""
        suffix = "..." if start + width < len(self.query) else ""
        return f"{prefix}{snippet}{suffix}\n{' ' * (len(prefix) + self.position - start)}^"


# --------------------------------------------------------------------------- lexer

_WORD, _PHRASE, _LPAREN, _RPAREN, _AND, _OR, _NOT, _NEAR, _END = (
    "word",
    "phrase",
    "(",
    ")",
    "AND",
    "OR",
    "NOT",
    "NEAR",
    "end",
)
_OPERATOR_KINDS = {_AND, _OR, _NEAR}
_OPERAND_START = {_WORD, _PHRASE, _LPAREN, _NOT}
_CLOSING_QUOTES = {'"': '"\u201d', "\u201c": '"\u201d', "\u201d": '"\u201d', "\u00ab": "\u00bb"}
_DELIMITERS = set("()") | set(_CLOSING_QUOTES)
_NEAR_RE = re.compile(r"NEAR/(\d+)\Z")
_LOWER_NEAR_RE = re.compile(r"near/\d+\Z", re.IGNORECASE)
_EXPECT_OPERAND = 'a term, a "phrase", "(" or NOT'
_MAX_DEPTH = 100
_SUGGESTIONS = {"&&": "AND", "&": "AND", "||": "OR", "|": "OR", "!": "NOT", "-": "NOT"}


class _Token:
    __slots__ = ("kind", "text", "pos", "near")

    def __init__(self, kind: str, text: str, pos: int, near: int = 0) -> None:
        self.kind, self.text, self.pos, self.near = kind, text, pos, near


def _tokenize_query(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(_Token(_LPAREN if ch == "(" else _RPAREN, ch, i))
            i += 1
        elif ch in _CLOSING_QUOTES:
            closers = _CLOSING_QUOTES[ch]
            j = i + 1
            while j < n and query[j] not in closers:
                j += 1
            if j == n:
                raise QuerySyntaxError("unclosed quote", query, i, f"a closing {closers[0]}")
            tokens.append(_Token(_PHRASE, query[i + 1 : j], i))
            i = j + 1
        else:
            j = i
            while j < n and not query[j].isspace() and query[j] not in _DELIMITERS:
                j += 1
            tokens.append(_word_token(query, query[i:j], i))
            i = j
    tokens.append(_Token(_END, "", n))
    return tokens


def _word_token(query: str, word: str, pos: int) -> _Token:
    if word in ("AND", "OR", "NOT"):
        return _Token(word, word, pos)
    if word == "NEAR" or word.startswith("NEAR/"):
        match = _NEAR_RE.match(word)
        if not match or int(match.group(1)) < 1:
            raise QuerySyntaxError(
                f'invalid proximity operator "{word}"',
                query,
                pos,
                "NEAR/n with a whole number n of at least 1, e.g. NEAR/5",
            )
        return _Token(_NEAR, word, pos, int(match.group(1)))
    if _LOWER_NEAR_RE.match(word):
        raise QuerySyntaxError(
            f'"{word}" looks like a proximity operator, but operators are uppercase',
            query,
            pos,
            word.upper(),
        )
    return _Token(_WORD, word, pos)


# --------------------------------------------------------------------------- syntax tree


class _Node:
    __slots__ = ("pos",)
    pos: int


class _Leaf(_Node):
    """A word or a phrase: a sequence of (normalized word, is_prefix) parts."""

    __slots__ = ("parts",)

    def __init__(self, parts: tuple[tuple[str, bool], ...], pos: int) -> None:
        self.parts, self.pos = parts, pos

    def __str__(self) -> str:
        text = " ".join(word + ("*" if prefix else "") for word, prefix in self.parts)
        return text if len(self.parts) == 1 else f'"{text}"'

    @property
    def exact_word(self) -> str | None:
        """The word if this leaf is a single word without wildcard."""
        if len(self.parts) == 1 and not self.parts[0][1]:
            return self.parts[0][0]
        return None


class _And(_Node):
    __slots__ = ("children",)

    def __init__(self, children: list[_Node], pos: int) -> None:
        self.children, self.pos = children, pos

    def __str__(self) -> str:
        return "(" + " AND ".join(map(str, self.children)) + ")"


class _Or(_Node):
    __slots__ = ("children",)

    def __init__(self, children: list[_Node], pos: int) -> None:
        self.children, self.pos = children, pos

    def __str__(self) -> str:
        return "(" + " OR ".join(map(str, self.children)) + ")"


class _Not(_Node):
    __slots__ = ("child",)

    def __init__(self, child: _Node, pos: int) -> None:
        self.child, self.pos = child, pos

    def __str__(self) -> str:
        return f"NOT {self.child}"


class _Near(_Node):
    __slots__ = ("left", "right", "distance")

    def __init__(self, left: _Node, right: _Node, distance: int, pos: int) -> None:
        self.left, self.right, self.distance, self.pos = left, right, distance, pos

    def __str__(self) -> str:
        return f"({self.left} NEAR/{self.distance} {self.right})"


def _is_positional(node: _Node) -> bool:
    """Whether word positions are defined for `node` (what NEAR can take as an operand)."""
    if isinstance(node, (_Leaf, _Near)):
        return True
    return isinstance(node, _Or) and all(_is_positional(c) for c in node.children)


# --------------------------------------------------------------------------- parser


class _Parser:
    """Recursive descent: or := and (OR and)*; and := near ([AND] near)*;
    near := unary (NEAR/n unary)*; unary := NOT unary | primary;
    primary := word | phrase | "(" or ")"."""

    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _tokenize_query(query)
        self.i = 0
        self.depth = 0  # nesting of parentheses, NOT and NEAR: bounds recursion everywhere
        # Normalizing every word of the query in one batch is several times faster than one
        # word at a time, and every command validates the configured queries at start-up.
        stems = list({w.rstrip("*") for w in re.findall(r'[^\s"()]+', query)})
        self.normalized = dict(zip(stems, normalize_many(stems), strict=True))

    def nest(self, tok: _Token) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise self.fail(
                "query is nested too deeply", tok.pos, f"at most {_MAX_DEPTH} nested groups"
            )

    def fail(self, message: str, pos: int, expected: str) -> QuerySyntaxError:
        return QuerySyntaxError(message, self.query, pos, expected)

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def advance(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> _Node:
        if self.tok.kind == _END:
            raise self.fail("empty query", 0, _EXPECT_OPERAND)
        node = self.parse_or()
        if self.tok.kind == _RPAREN:
            raise self.fail(
                'unmatched ")"', self.tok.pos, "AND, OR, NEAR/n, a term or the end of the query"
            )
        return node

    def parse_or(self) -> _Node:
        first = self.tok.pos
        children = [self.parse_and()]
        while self.tok.kind == _OR:
            self.advance()
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else _Or(_flatten(children, _Or), first)

    def parse_and(self) -> _Node:
        first = self.tok.pos
        children = [self.parse_near()]
        while True:
            if self.tok.kind == _AND:
                self.advance()
            elif self.tok.kind not in _OPERAND_START:
                break  # implicit AND continues only when an operand follows
            children.append(self.parse_near())
        return children[0] if len(children) == 1 else _And(_flatten(children, _And), first)

    def parse_near(self) -> _Node:
        depth = self.depth
        left = self.parse_unary()
        while self.tok.kind == _NEAR:
            op = self.advance()
            self.nest(op)  # a chain of NEARs nests to the left
            right = self.parse_unary()
            for side in (left, right):
                self.check_near_operand(side, op)
            left = _Near(left, right, op.near, left.pos)
        self.depth = depth
        return left

    def check_near_operand(self, node: _Node, op: _Token) -> None:
        if _is_positional(node):
            return
        if isinstance(node, _Not):
            raise self.fail(
                f"NOT binds tighter than {op.text}, so it cannot be a side of {op.text}",
                node.pos,
                f"NOT (a {op.text} b) to exclude the pair, or a term or phrase",
            )
        raise self.fail(
            f"{op.text} needs words on each side, not an AND/NOT group",
            node.pos,
            'a term, a "phrase" or an OR group such as (a OR "b c")',
        )

    def parse_unary(self) -> _Node:
        if self.tok.kind == _NOT:
            op = self.advance()
            self.nest(op)
            node = _Not(self.parse_unary(), op.pos)
            self.depth -= 1
            return node
        return self.parse_primary()

    def parse_primary(self) -> _Node:
        tok = self.tok
        if tok.kind == _WORD:
            self.advance()
            return self.word_leaf(tok)
        if tok.kind == _PHRASE:
            self.advance()
            return self.phrase_leaf(tok)
        if tok.kind == _LPAREN:
            self.advance()
            if self.tok.kind == _RPAREN:
                raise self.fail("empty parentheses", self.tok.pos, _EXPECT_OPERAND)
            self.nest(tok)
            node = self.parse_or()
            self.depth -= 1
            if self.tok.kind != _RPAREN:
                raise self.fail('unclosed "("', tok.pos, '")" before the end of the query')
            self.advance()
            if isinstance(node, (_And, _Or)):
                node.pos = tok.pos  # errors about the group point at its parenthesis
            return node
        raise self.missing_operand(tok)

    def missing_operand(self, tok: _Token) -> QuerySyntaxError:
        prev = self.tokens[self.i - 1] if self.i else None
        if tok.kind in _OPERATOR_KINDS and (prev is None or prev.kind == _LPAREN):
            return self.fail(f"{tok.text} has no term on its left", tok.pos, _EXPECT_OPERAND)
        if prev is not None and prev.kind in _OPERATOR_KINDS | {_NOT}:
            if tok.kind == _END:
                return self.fail(f"query ends after {prev.text}", tok.pos, _EXPECT_OPERAND)
            return self.fail(
                f"missing term between {prev.text} and {tok.text}", tok.pos, _EXPECT_OPERAND
            )
        return self.fail(f'unexpected "{tok.text}"', tok.pos, _EXPECT_OPERAND)

    def word_leaf(self, tok: _Token) -> _Leaf:
        word, pos = tok.text, tok.pos
        if word in _SUGGESTIONS:
            raise self.fail(f'"{word}" is not an operator', pos, _SUGGESTIONS[word])
        if word.startswith("-") and len(word) > 1:
            raise self.fail(
                'a leading "-" is not an operator', pos, f"NOT {word[1:]} to exclude a word"
            )
        return _Leaf(self.parts(word, pos), pos)

    def phrase_leaf(self, tok: _Token) -> _Leaf:
        parts: list[tuple[str, bool]] = []
        for match in re.finditer(r"\S+", tok.text):
            parts.extend(self.parts(match.group(), tok.pos + 1 + match.start()))
        if not parts:
            raise self.fail("empty phrase", tok.pos, "words between the quotes")
        return _Leaf(tuple(parts), tok.pos)

    def parts(self, word: str, pos: int) -> list[tuple[str, bool]]:
        """Normalize one raw word (possibly ending in *) into (word, is_prefix) parts."""
        star = word.find("*")
        prefix = star != -1
        if prefix and star != len(word) - 1:
            raise self.fail(
                "a wildcard * is allowed only at the end of a word",
                pos + star,
                "a word ending in *, e.g. negotiat*",
            )
        stem = word[:-1] if prefix else word
        if prefix and not (stem and unicodedata.category(stem[-1])[0] in "LNM"):
            raise self.fail(
                "a wildcard * must follow a letter or digit",
                pos + star,
                "a word ending in *, e.g. negotiat*",
            )
        normalized = self.normalized.get(stem)
        if normalized is None:
            normalized = normalize_for_matching(stem)
        words = normalized.split()
        if not words:
            raise self.fail(f'"{word}" has no letters or digits', pos, _EXPECT_OPERAND)
        # "cross-border*" normalizes to two words; the wildcard belongs to the last one.
        return [(w, prefix and k == len(words) - 1) for k, w in enumerate(words)]


def _flatten(children: list[_Node], kind: type[_And] | type[_Or]) -> list[_Node]:
    """Merge nested groups of the same operator: ((a OR b) OR c) -> (a OR b OR c)."""
    out: list[_Node] = []
    for child in children:
        out.extend(child.children if isinstance(child, kind) else [child])
    return out


# --------------------------------------------------------------------------- evaluation


class _Doc:
    """One normalized document and word-level views of it, each computed at most once."""

    __slots__ = ("padded", "_words", "_heads", "_tokens", "_index")

    def __init__(self, normalized: str) -> None:
        # Padding makes " word " a whole-word substring test even at the ends of the text.
        self.padded = f" {normalized} "
        self._words: set[str] | None = None
        self._heads: set[str] | None = None
        self._tokens: list[str] | None = None
        self._index: dict[str, list[int]] | None = None

    def words(self) -> set[str]:
        """The distinct words of the document."""
        if self._words is None:
            self._words = set(self.padded.split() if self._tokens is None else self._tokens)
        return self._words

    def heads(self) -> set[str]:
        """The first `_HEAD` characters of every word: a cheap filter for wildcard words."""
        if self._heads is None:
            self._heads = {word[:_HEAD] for word in self.words()}
        return self._heads

    def tokens(self) -> list[str]:
        if self._tokens is None:
            self._tokens = self.padded.split()
        return self._tokens

    def index(self) -> dict[str, list[int]]:
        """Word -> its positions in the document."""
        if self._index is None:
            index: dict[str, list[int]] = {}
            for i, word in enumerate(self.tokens()):
                index.setdefault(word, []).append(i)
            self._index = index
        return self._index


if TYPE_CHECKING:
    _Test: TypeAlias = Callable[[_Doc], bool]
    _Spans: TypeAlias = list[tuple[int, int]]
    _SpanFn: TypeAlias = Callable[[_Doc], _Spans]

# Queries with at least this many single words are evaluated against the document's word set
# (built once per document and shared by all queries, about 20 us for 300 words) instead of one
# substring scan of the text per word (about 1 us each).
_WORD_SET_MIN = 6
# In word-set mode a wildcard word or phrase is only searched for in the text when the
# document has a word starting with the same `_HEAD` characters (and, for phrases, has all of
# the phrase's other words), which rejects most of them with set lookups.
_HEAD = 3


def _count_exact_words(node: _Node) -> int:
    if isinstance(node, _Leaf):
        return 1 if node.exact_word else 0
    if isinstance(node, (_And, _Or)):
        return sum(_count_exact_words(c) for c in node.children)
    if isinstance(node, _Not):
        return _count_exact_words(node.child)
    if isinstance(node, _Near):
        return _count_exact_words(node.left) + _count_exact_words(node.right)
    raise TypeError(node)


def _cost(node: _Node) -> int:
    """Rough evaluation cost, used to test cheap operands of AND/OR first."""
    if isinstance(node, _Leaf):
        return 1
    if isinstance(node, _Not):
        return _cost(node.child)
    if isinstance(node, _Near):
        return 100 + _cost(node.left) + _cost(node.right)
    return sum(_cost(c) for c in node.children)  # type: ignore[attr-defined]


def _leaf_needle(leaf: _Leaf) -> str | re.Pattern[str]:
    """A substring (or, for inner wildcards, a regex) to find `leaf` in padded text."""
    if any(prefix for _, prefix in leaf.parts[:-1]):
        body = " ".join(re.escape(w) + (r"[^ ]*" if p else "") for w, p in leaf.parts)
        return re.compile(" " + body + ("" if leaf.parts[-1][1] else " "))
    text = " ".join(w for w, _ in leaf.parts)
    return f" {text}" if leaf.parts[-1][1] else f" {text} "


class _Compiler:
    def __init__(self, use_word_set: bool) -> None:
        self.use_word_set = use_word_set

    def test(self, node: _Node) -> _Test:
        """Compile `node` into a function Doc -> bool."""
        if isinstance(node, _Leaf):
            return self.leaf_test(node)
        if isinstance(node, _Or):
            return self.or_test(node)
        if isinstance(node, _And):
            tests = [self.test(c) for c in sorted(node.children, key=_cost)]

            def all_of(doc: _Doc) -> bool:
                # Explicit loops in the evaluators: about twice as fast as all()/any() over a
                # generator, and they run for every document.
                for t in tests:  # noqa: SIM110
                    if not t(doc):
                        return False
                return True

            return all_of
        if isinstance(node, _Not):
            inner = self.test(node.child)
            return lambda doc: not inner(doc)
        if isinstance(node, _Near):
            return self.near_test(node)
        raise TypeError(node)

    def leaf_test(self, leaf: _Leaf) -> _Test:
        word = leaf.exact_word
        if word is not None and self.use_word_set:
            return lambda doc: word in doc.words()
        return self.or_test(_Or([leaf], leaf.pos))

    def or_test(self, node: _Or) -> _Test:
        leaves = [c for c in node.children if isinstance(c, _Leaf)]
        others = tuple(
            self.test(c) for c in sorted(node.children, key=_cost) if not isinstance(c, _Leaf)
        )
        words: frozenset[str] = frozenset()
        if self.use_word_set:
            words = frozenset(leaf.exact_word for leaf in leaves if leaf.exact_word)
            leaves = [leaf for leaf in leaves if not leaf.exact_word]
        needles = tuple(_leaf_needle(leaf) for leaf in leaves)
        if not self.use_word_set or not (words or needles):
            return _substring_test(needles, others)

        # Guards: words and heads that a document must have before the text is searched.
        guards = tuple(
            (
                frozenset(w for w, prefix in leaf.parts if not prefix),
                frozenset(w[:_HEAD] for w, prefix in leaf.parts if prefix and len(w) >= _HEAD),
                needle,
            )
            for leaf, needle in zip(leaves, needles, strict=True)
        )

        def any_of(doc: _Doc) -> bool:
            doc_words = doc.words()
            if words and not words.isdisjoint(doc_words):
                return True
            for required_words, required_heads, needle in guards:
                if required_words and not required_words <= doc_words:
                    continue
                if required_heads and not required_heads <= doc.heads():
                    continue
                if needle in doc.padded if isinstance(needle, str) else needle.search(doc.padded):
                    return True
            for test in others:  # noqa: SIM110
                if test(doc):
                    return True
            return False

        return any_of

    def near_test(self, node: _Near) -> _Test:
        # The presence tests are cheap; positions are computed only when both sides occur.
        left_present, right_present = self.test(node.left), self.test(node.right)
        left_spans, right_spans = self.spans(node.left), self.spans(node.right)
        distance = node.distance

        def near(doc: _Doc) -> bool:
            if not (left_present(doc) and right_present(doc)):
                return False
            return bool(_near_spans(left_spans(doc), right_spans(doc), distance, first=True))

        return near

    def spans(self, node: _Node) -> _SpanFn:
        """Compile a positional node into Doc -> list of (first, last) word positions."""
        if isinstance(node, _Leaf):
            return _leaf_spans(node)
        if isinstance(node, _Or):
            parts = [self.spans(c) for c in node.children]
            return lambda doc: [span for part in parts for span in part(doc)]
        if isinstance(node, _Near):
            left, right, distance = self.spans(node.left), self.spans(node.right), node.distance
            return lambda doc: _near_spans(left(doc), right(doc), distance)
        raise TypeError(node)  # excluded by the parser


def _substring_test(needles: tuple[str | re.Pattern[str], ...], others: tuple[_Test, ...]) -> _Test:
    """OR of substring/regex needles and compiled sub-tests, without word sets."""
    substrings = tuple(n for n in needles if isinstance(n, str))
    patterns = tuple(n for n in needles if not isinstance(n, str))
    if len(substrings) == 1 and not patterns and not others:
        needle = substrings[0]
        return lambda doc: needle in doc.padded

    def any_of(doc: _Doc) -> bool:
        padded = doc.padded
        for needle in substrings:
            if needle in padded:
                return True
        for pattern in patterns:
            if pattern.search(padded):
                return True
        for test in others:  # noqa: SIM110
            if test(doc):
                return True
        return False

    return any_of


def _word_positions(word: str, prefix: bool) -> Callable[[_Doc], list[int]]:
    if not prefix:
        return lambda doc: doc.index().get(word, [])

    def positions(doc: _Doc) -> list[int]:
        found: list[int] = []
        for token, where in doc.index().items():
            if token.startswith(word):
                found.extend(where)
        return found

    return positions


def _leaf_spans(leaf: _Leaf) -> _SpanFn:
    first_word, first_prefix = leaf.parts[0]
    starts = _word_positions(first_word, first_prefix)
    rest = leaf.parts[1:]
    if not rest:
        return lambda doc: [(i, i) for i in starts(doc)]
    last = len(rest)

    def spans(doc: _Doc) -> _Spans:
        found = []
        tokens = doc.tokens()
        for i in starts(doc):
            if i + last >= len(tokens):
                continue
            for k, (word, prefix) in enumerate(rest, start=1):
                token = tokens[i + k]
                if not (token.startswith(word) if prefix else token == word):
                    break
            else:
                found.append((i, i + last))
        return found

    return spans


def _near_spans(left: _Spans, right: _Spans, distance: int, first: bool = False) -> _Spans:
    """Spans covering a left and a right span at most `distance` positions apart.

    The two spans must not overlap (a word is not near itself). With `first`, stop at the
    first pair found: callers that only need a yes/no answer save the rest of the work.
    """
    if not left or not right:
        return []
    # Only right spans starting in a window around each left span can be near it; sorting
    # and bisecting keeps frequent words (or short wildcards) from costing |left| x |right|.
    right = sorted(right)
    starts = [start for start, _ in right]
    longest = max(end - start for start, end in right)
    found = []
    for a_start, a_end in left:
        lo = bisect_left(starts, a_start - distance - longest)
        hi = bisect_right(starts, a_end + distance)
        for b_start, b_end in right[lo:hi]:
            if a_end < b_start:
                gap = b_start - a_end
            elif b_end < a_start:
                gap = a_start - b_end
            else:
                continue
            if gap <= distance:
                found.append((min(a_start, b_start), max(a_end, b_end)))
                if first:
                    return found
    return found


def _positive_leaves(node: _Node, negated: bool = False) -> Iterable[_Leaf]:
    if isinstance(node, _Leaf):
        if not negated:
            yield node
    elif isinstance(node, _Not):
        yield from _positive_leaves(node.child, not negated)
    elif isinstance(node, _Near):
        yield from _positive_leaves(node.left, negated)
        yield from _positive_leaves(node.right, negated)
    else:
        for child in node.children:  # type: ignore[attr-defined]
            yield from _positive_leaves(child, negated)


# --------------------------------------------------------------------------- public API


class Query:
    """A parsed query. Build with `parse_query`; match raw or normalized text."""

    def __init__(self, source: str, root: _Node) -> None:
        self.source = source
        self._root = root
        with_words = _Compiler(use_word_set=True).test(root)
        if _count_exact_words(root) >= _WORD_SET_MIN:
            self._test = with_words
        else:
            # A small query scans the text unless another query has already built the
            # document's word set (match_frame, classify), which makes set lookups free.
            scanning = _Compiler(use_word_set=False).test(root)
            self._test = lambda doc: scanning(doc) if doc._words is None else with_words(doc)

    def __repr__(self) -> str:
        return f"Query({self.source!r})"

    def __reduce__(self) -> tuple[Callable[[str], Query], tuple[str]]:
        # Compiled matchers are closures; pickling (e.g. for worker processes) re-parses.
        return (parse_query, (self.source,))

    def explain(self) -> str:
        """The query fully parenthesized, with normalized words: shows how it was parsed."""
        return str(self._root)

    def terms(self) -> set[str]:
        """Normalized words and phrases that count in favour of a match (not those under NOT).

        Wildcard words keep their trailing "*"; phrases are space separated words.
        """
        return {
            " ".join(w + ("*" if p else "") for w, p in leaf.parts)
            for leaf in _positive_leaves(self._root)
        }

    def matches(self, text: str, normalized: bool = False) -> bool:
        """Whether one text matches. Pass `normalized=True` for `normalize_for_matching` output."""
        if not isinstance(text, str):
            text = ""
        return self._test(_Doc(text if normalized else normalize_for_matching(text)))

    def match_series(
        self, texts: pd.Series | Sequence[str], normalized: bool = False
    ) -> np.ndarray:
        """Boolean array: which of `texts` match, in order. Missing values are empty texts.

        Normalizing is most of the work: when several queries run over the same column,
        normalize it once (`normalize_series`) and pass `normalized=True`, or use `match_frame`.
        """
        from pipeline.query_batch import match_tokens, tokens_for

        values = _prepared(texts, normalized)
        return match_tokens({"q": self}, tokens_for(values, [self]))["q"]


def _prepared(texts: pd.Series | Sequence[str], normalized: bool) -> list[str]:
    values = texts.tolist() if isinstance(texts, pd.Series) else list(texts)
    if normalized:
        return [v if isinstance(v, str) else "" for v in values]
    return normalize_many(values)


def parse_query(text: str) -> Query:
    """Parse a query; raises QuerySyntaxError with the position of the first problem."""
    if not isinstance(text, str):
        raise TypeError(f"query must be a string, not {type(text).__name__}")
    return Query(text, _Parser(text).parse())


def match_frame(
    queries: Mapping[str, Query], texts: pd.Series | Sequence[str], normalized: bool = False
) -> pd.DataFrame:
    """Match several queries (e.g. all tags) against the same texts in one pass.

    Returns a boolean DataFrame with one column per query name, indexed like `texts` when it
    is a Series. Each text is normalized and split into words once for all queries.
    """
    from pipeline.query_batch import match_tokens, tokens_for

    values = _prepared(texts, normalized)
    names = list(queries)
    found = match_tokens(queries, tokens_for(values, queries.values()))
    index = texts.index if isinstance(texts, pd.Series) else None
    return pd.DataFrame(
        {name: found[name] for name in names}, columns=names, index=index, dtype=bool
    )


def classify(
    topic: Query,
    tags: Mapping[str, Query],
    texts: pd.Series | Sequence[str],
    normalized: bool = False,
) -> pd.DataFrame:
    """Relevance and tags in one pass, the way the pipeline applies them.

    Returns a boolean DataFrame with a `relevant` column (the topic query) and one column per
    tag; tags count only for relevant texts (False elsewhere). The texts are split and hashed
    once for all queries (`pipeline.query_batch`).
    """
    from pipeline.query_batch import tokens_for

    values = _prepared(texts, normalized)
    result = classify_tokens(topic, tags, tokens_for(values, [topic, *tags.values()]))
    result.index = texts.index if isinstance(texts, pd.Series) else result.index
    return result


def classify_tokens(topic: Query, tags: Mapping[str, Query], tokens: Tokens) -> pd.DataFrame:
    """``classify`` on documents already split and hashed (``query_batch.tokens_for``)."""
    from pipeline.query_batch import match_tokens

    if "relevant" in tags:
        raise ValueError('a tag cannot be named "relevant"')
    found = match_tokens({"relevant": topic, **tags}, tokens)
    relevant = found["relevant"]
    # Tags count only for relevant documents.
    columns = {"relevant": relevant, **{name: found[name] & relevant for name in tags}}
    return pd.DataFrame(columns, dtype=bool)
