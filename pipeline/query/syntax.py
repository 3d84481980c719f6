"""The query language's syntax: lexer, parser, the syntax tree and its errors.

A parsed query is a tree of `Leaf` (a word or phrase, already normalized like the text),
`Field` (a test of what is known about the document's source, e.g. `source.country:PK`),
`Opening` (a part that must match within the document's opening, e.g. `opening:Gaza`), `And`,
`Or`, `Not` and `Near` nodes. The evaluators (`pipeline.query.document` for one text,
`pipeline.query.batch` for many) walk this tree; nothing here matches text.

A query may refer to named term lists (``@name``) when it is parsed with their definitions:
the reference stands for the list's own query, parenthesized.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping

from pipeline.textnorm import normalize_for_matching, normalize_many

__all__ = [
    "FIELDS",
    "And",
    "Field",
    "Leaf",
    "Near",
    "Node",
    "Not",
    "OPENING",
    "Opening",
    "Or",
    "Parser",
    "QuerySyntaxError",
    "is_positional",
    "parse_tree",
    "positive_leaves",
    "top_level_alternatives",
]

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
# A word "name:value" whose name looks like a field name is a field test, never text: a word
# with a colon that should match text goes in quotes ("re:talks").
_FIELD_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*):(.*)\Z", re.DOTALL)
_REFERENCE_RE = re.compile(r"@([a-z0-9][a-z0-9_-]*)\Z")
#: The scope ``opening:X``: X must match within the document's opening (its title and lede).
OPENING = "opening"
_EXPECT_AFTER_OPENING = 'a term, a "phrase", an @list or a "(" group right after opening:'


class _FieldSpec:
    __slots__ = ("pattern", "canonical", "example")

    def __init__(self, pattern: str, canonical: Callable[[str], str], example: str) -> None:
        self.pattern = re.compile(pattern)
        self.canonical = canonical
        self.example = example


#: The document fields a query can test: what is known about the article's source.
FIELDS: dict[str, _FieldSpec] = {
    "source.country": _FieldSpec(r"[A-Za-z]{2}\Z", str.upper, "a two-letter country code, e.g. PK"),
    "source.language": _FieldSpec(r"[A-Za-z]{2,3}\Z", str.lower, "a language code, e.g. ur"),
}


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


class Node:
    __slots__ = ("pos",)
    pos: int


class Leaf(Node):
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


class Field(Node):
    """A test of a document field such as ``source.country:PK`` (not of its words).

    ``value`` is normalized as ``FIELDS`` says (country codes uppercase, languages lowercase);
    a document whose field is unknown matches no value.
    """

    __slots__ = ("name", "value")

    def __init__(self, name: str, value: str, pos: int) -> None:
        self.name, self.value, self.pos = name, value, pos

    def __str__(self) -> str:
        return f"{self.name}:{self.value}"


class Opening(Node):
    """``opening:X``: X matches the document's opening (its title and lede; see
    ``ArticleWords.opening_end``), not only somewhere in its text."""

    __slots__ = ("child",)

    def __init__(self, child: Node, pos: int) -> None:
        self.child, self.pos = child, pos

    def __str__(self) -> str:
        return f"{OPENING}:({self.child})"


class And(Node):
    __slots__ = ("children",)

    def __init__(self, children: list[Node], pos: int) -> None:
        self.children, self.pos = children, pos

    def __str__(self) -> str:
        return "(" + " AND ".join(map(str, self.children)) + ")"


class Or(Node):
    __slots__ = ("children",)

    def __init__(self, children: list[Node], pos: int) -> None:
        self.children, self.pos = children, pos

    def __str__(self) -> str:
        return "(" + " OR ".join(map(str, self.children)) + ")"


class Not(Node):
    __slots__ = ("child",)

    def __init__(self, child: Node, pos: int) -> None:
        self.child, self.pos = child, pos

    def __str__(self) -> str:
        return f"NOT {self.child}"


class Near(Node):
    __slots__ = ("left", "right", "distance")

    def __init__(self, left: Node, right: Node, distance: int, pos: int) -> None:
        self.left, self.right, self.distance, self.pos = left, right, distance, pos

    def __str__(self) -> str:
        return f"({self.left} NEAR/{self.distance} {self.right})"


def is_positional(node: Node) -> bool:
    """Whether word positions are defined for `node` (what NEAR can take as an operand)."""
    if isinstance(node, (Leaf, Near)):
        return True
    return isinstance(node, Or) and all(is_positional(c) for c in node.children)


# --------------------------------------------------------------------------- parser


class Parser:
    """Recursive descent: or := and (OR and)*; and := near ([AND] near)*;
    near := unary (NEAR/n unary)*; unary := NOT unary | primary;
    primary := word | phrase | "(" or ")" | opening:primary."""

    def __init__(
        self,
        query: str,
        term_lists: Mapping[str, str] | None = None,
        *,
        _expanding: tuple[str, ...] = (),
        _parsed: dict[str, Node] | None = None,
    ) -> None:
        self.query = query
        # Named term lists that ``@name`` refers to; the names being expanded (to find a list
        # that refers to itself) and the lists parsed so far (each is parsed once).
        self.term_lists = term_lists or {}
        self.expanding = _expanding
        self.parsed = {} if _parsed is None else _parsed
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

    def parse(self) -> Node:
        if self.tok.kind == _END:
            raise self.fail("empty query", 0, _EXPECT_OPERAND)
        node = self.parse_or()
        if self.tok.kind == _RPAREN:
            raise self.fail(
                'unmatched ")"', self.tok.pos, "AND, OR, NEAR/n, a term or the end of the query"
            )
        return node

    def parse_or(self) -> Node:
        first = self.tok.pos
        children = [self.parse_and()]
        while self.tok.kind == _OR:
            self.advance()
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else Or(_flatten(children, Or), first)

    def parse_and(self) -> Node:
        first = self.tok.pos
        children = [self.parse_near()]
        while True:
            if self.tok.kind == _AND:
                self.advance()
            elif self.tok.kind not in _OPERAND_START:
                break  # implicit AND continues only when an operand follows
            children.append(self.parse_near())
        return children[0] if len(children) == 1 else And(_flatten(children, And), first)

    def parse_near(self) -> Node:
        depth = self.depth
        left = self.parse_unary()
        while self.tok.kind == _NEAR:
            op = self.advance()
            self.nest(op)  # a chain of NEARs nests to the left
            right = self.parse_unary()
            for side in (left, right):
                self.check_near_operand(side, op)
            left = Near(left, right, op.near, left.pos)
        self.depth = depth
        return left

    def check_near_operand(self, node: Node, op: _Token) -> None:
        if is_positional(node):
            return
        if isinstance(node, Field):
            raise self.fail(
                f"{node} is a test of the source, not a word, so it cannot be a side of {op.text}",
                node.pos,
                f'a term, a "phrase" or an OR group of them; combine {node} with AND',
            )
        if isinstance(node, Opening):
            raise self.fail(
                f"{OPENING}: is a test of the opening, so it cannot be a side of {op.text}",
                node.pos,
                f"{OPENING}:(a {op.text} b) to look for the pair in the opening",
            )
        if isinstance(node, Not):
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

    def parse_unary(self) -> Node:
        if self.tok.kind == _NOT:
            op = self.advance()
            self.nest(op)
            node = Not(self.parse_unary(), op.pos)
            self.depth -= 1
            return node
        return self.parse_primary()

    def parse_primary(self) -> Node:
        tok = self.tok
        if tok.kind == _WORD:
            self.advance()
            if tok.text.startswith("@"):
                return self.reference(tok)
            field = _FIELD_RE.match(tok.text)
            if field and field.group(1).lower() == OPENING:
                return self.opening(tok, field.group(2))
            if field:
                return self.field(tok, field.group(1), field.group(2))
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
            if isinstance(node, (And, Or)):
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

    def opening(self, tok: _Token, rest: str) -> Opening:
        """``opening:`` and what follows it: a word or @list written on (``opening:Gaza``), or
        the next phrase or group (``opening:"Line of Control"``, ``opening:(a OR b)``)."""
        self.nest(tok)
        if rest:
            inner = _Token(_WORD, rest, tok.pos + len(OPENING) + 1)
            if rest.startswith("@"):
                child: Node = self.reference(inner)
            elif _FIELD_RE.match(rest):
                raise self.fail(
                    f"{OPENING}: looks at words, not at a field such as {rest}",
                    inner.pos,
                    _EXPECT_AFTER_OPENING,
                )
            else:
                child = self.word_leaf(inner)
        elif self.tok.kind in (_PHRASE, _LPAREN) and self.tok.pos == tok.pos + len(tok.text):
            child = self.parse_primary()
        else:
            end = tok.pos + len(tok.text)
            raise self.fail(f"{OPENING}: has nothing to look for", end, _EXPECT_AFTER_OPENING)
        self.depth -= 1
        return Opening(child, tok.pos)

    def field(self, tok: _Token, name: str, value: str) -> Field:
        spec = FIELDS.get(name.lower())
        if spec is None:
            known = ", ".join(f"{known}:" for known in FIELDS)
            raise self.fail(
                f'unknown field "{name}"',
                tok.pos,
                f'{known} or the scope {OPENING}: (put a word that contains ":" in quotes)',
            )
        if not spec.pattern.match(value):
            raise self.fail(
                f'bad value "{value}" for {name.lower()}', tok.pos + len(name) + 1, spec.example
            )
        return Field(name.lower(), spec.canonical(value), tok.pos)

    def reference(self, tok: _Token) -> Node:
        """``@name``: the named term list's query, parsed once per query."""
        match = _REFERENCE_RE.match(tok.text)
        if not match:
            raise self.fail(
                f'"{tok.text}" is not a term list name',
                tok.pos,
                "@ followed by lower-case letters, digits, - or _, e.g. @pakistan-side",
            )
        name = match.group(1)
        if name not in self.term_lists:
            known = ", ".join(f"@{n}" for n in self.term_lists)
            raise self.fail(
                f'unknown term list "@{name}"',
                tok.pos,
                f"one of {known}" if known else "a term list defined under topic.terms",
            )
        if name in self.expanding:
            chain = " -> ".join(f"@{n}" for n in (*self.expanding, name))
            raise self.fail(
                f"term lists refer to each other in a circle ({chain})", tok.pos, "a term"
            )
        node = self.parsed.get(name)
        if node is None:
            inner = Parser(
                self.term_lists[name],
                self.term_lists,
                _expanding=(*self.expanding, name),
                _parsed=self.parsed,
            )
            try:
                node = inner.parse()
            except QuerySyntaxError as exc:
                raise self.fail(f"in @{name}: {exc.message}", tok.pos, exc.expected) from None
            self.parsed[name] = node
        return node

    def word_leaf(self, tok: _Token) -> Leaf:
        word, pos = tok.text, tok.pos
        if word in _SUGGESTIONS:
            raise self.fail(f'"{word}" is not an operator', pos, _SUGGESTIONS[word])
        if word.startswith("-") and len(word) > 1:
            raise self.fail(
                'a leading "-" is not an operator', pos, f"NOT {word[1:]} to exclude a word"
            )
        return Leaf(self.parts(word, pos), pos)

    def phrase_leaf(self, tok: _Token) -> Leaf:
        parts: list[tuple[str, bool]] = []
        for match in re.finditer(r"\S+", tok.text):
            parts.extend(self.parts(match.group(), tok.pos + 1 + match.start()))
        if not parts:
            raise self.fail("empty phrase", tok.pos, "words between the quotes")
        return Leaf(tuple(parts), tok.pos)

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


def _flatten(children: list[Node], kind: type[And] | type[Or]) -> list[Node]:
    """Merge nested groups of the same operator: ((a OR b) OR c) -> (a OR b OR c)."""
    out: list[Node] = []
    for child in children:
        out.extend(child.children if isinstance(child, kind) else [child])
    return out


def top_level_alternatives(text: str) -> list[str]:
    """The parts of a valid query joined by OR outside any parentheses, as source text.

    OR binds loosest, so each part is a query of its own and the query matches exactly when one
    of them does: "a b OR (c OR d) OR e NEAR/2 f" has the parts "a b", "(c OR d)", "e NEAR/2 f".
    A query without such an OR is its own single part.
    """
    parts: list[str] = []
    depth, start = 0, 0
    for token in _tokenize_query(text):
        if token.kind == _LPAREN:
            depth += 1
        elif token.kind == _RPAREN:
            depth -= 1
        elif token.kind in (_OR, _END) and depth == 0:
            parts.append(text[start : token.pos].strip())
            start = token.pos + len(token.text)
    return parts


def parse_tree(text: str, term_lists: Mapping[str, str] | None = None) -> Node:
    """Parse query text into its syntax tree; raises QuerySyntaxError at the first problem.

    ``term_lists``: named term lists (name -> query text) that ``@name`` in the text refers to.
    """
    return Parser(text, term_lists).parse()


def positive_leaves(node: Node, negated: bool = False) -> Iterable[Leaf]:
    """The leaves that count in favour of a match: those under an even number of NOTs."""
    if isinstance(node, Leaf):
        if not negated:
            yield node
    elif isinstance(node, Field):
        return
    elif isinstance(node, Not):
        yield from positive_leaves(node.child, not negated)
    elif isinstance(node, Opening):
        yield from positive_leaves(node.child, negated)
    elif isinstance(node, Near):
        yield from positive_leaves(node.left, negated)
        yield from positive_leaves(node.right, negated)
    else:
        for child in node.children:  # type: ignore[attr-defined]
            yield from positive_leaves(child, negated)
