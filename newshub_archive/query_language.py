"""The query language of `newshub search` and the web interface, and its translation to SQL.

The user's query is parsed here, never handed to the database's own query syntax: words are
ANDed, "quoted text" is a phrase, `word*` a prefix, `OR` separates alternatives and `-word`
excludes. Every piece of text reaches the database as a bound string that its tokenizer splits
(an FTS5 string literal, `phraseto_tsquery`), so quotes, `NEAR`, `--`, `;` or parentheses are
only ever words or nothing. The query's size is bounded (MAX_QUERY_LENGTH, MAX_QUERY_TERMS), so
its cost is linear in its terms.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, literal, literal_column

from crawler.errors import NewshubError

# Query limits: a query is something a person types; beyond these it is refused with one line,
# before any parsing or database work, so a pasted document cannot keep the database busy.
MAX_QUERY_LENGTH = 1000
MAX_QUERY_TERMS = 32
_WORDS = re.compile(r"[^\W_]+")
_PIECES = re.compile(r'(-?)"([^"]*)"?|(\S+)')


class QueryTooLarge(NewshubError):
    """A search query over the length or term limit; the message says which and by how much."""


@dataclass(frozen=True)
class Term:
    """A phrase (one or more words) or, when `prefix`, a single word matched as a prefix.

    Words are letters and digits only: both databases split text at everything else, and
    handing them pre-split words keeps their phrases alike ("state-run" is "state run").
    """

    words: tuple[str, ...]
    prefix: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True)
class Group:
    """Articles matching every `include` term and no `exclude` term."""

    include: tuple[Term, ...]
    exclude: tuple[Term, ...] = ()


def _terms(text: str) -> Iterator[tuple[bool, Term] | None]:
    """(excluded, term) for each piece of the query with a word in it; None for an `OR`."""
    for match in _PIECES.finditer(text):
        negated, quoted, bare = match.group(1), match.group(2), match.group(3)
        if bare == "OR":
            yield None
            continue
        if bare is not None:
            negated = "-" if bare.startswith("-") and len(bare) > 1 else ""
            bare = bare[1:] if negated else bare
            word = bare.rstrip("*")
            prefix = word != bare and _WORDS.fullmatch(word) is not None
            term = Term((word.lower(),), prefix=True) if prefix else Term(_words(bare))
        else:
            term = Term(_words(quoted))
        if term.words:
            yield bool(negated), term


def parse_query(text: str) -> list[Group]:
    """The query as alternatives (OR) of groups of terms; pieces without a word are dropped.

    Raises QueryTooLarge beyond MAX_QUERY_LENGTH characters or MAX_QUERY_TERMS terms.
    """
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryTooLarge(
            f"search query too long: {len(text):,} characters (at most {MAX_QUERY_LENGTH:,})"
        )
    groups: list[Group] = []
    include: list[Term] = []
    exclude: list[Term] = []
    terms = 0
    for piece in itertools.chain(_terms(text), [None]):
        if piece is None:
            if include:
                groups.append(Group(tuple(include), tuple(exclude)))
            include.clear()
            exclude.clear()
            continue
        terms += 1
        if terms > MAX_QUERY_TERMS:
            raise QueryTooLarge(f"search query has too many terms (at most {MAX_QUERY_TERMS})")
        (exclude if piece[0] else include).append(piece[1])
    return groups


def only_exclusions(text: str) -> bool:
    """Whether the query excludes words but asks for none (`-oil`): it can match nothing."""
    pieces = [piece for piece in _terms(text) if piece is not None]
    return bool(pieces) and all(excluded for excluded, _ in pieces)


def _words(text: str) -> tuple[str, ...]:
    return tuple(word.lower() for word in _WORDS.findall(text))


def fts5_query(groups: list[Group]) -> str:
    """An FTS5 MATCH expression: every term a string literal, operators only from the parser."""

    def term(t: Term) -> str:
        quoted = '"' + t.text.replace('"', '""') + '"'
        return quoted + "*" if t.prefix else quoted

    def group(g: Group) -> str:
        expression = "(" + " AND ".join(term(t) for t in g.include) + ")"
        if g.exclude:
            expression += " NOT (" + " OR ".join(term(t) for t in g.exclude) + ")"
        return "(" + expression + ")"

    return " OR ".join(group(g) for g in groups)


def tsquery(groups: list[Group]) -> Any:
    """A PostgreSQL tsquery built from functions over bound strings ('simple' configuration)."""
    config: Any = literal_column("'simple'::regconfig")

    def term(t: Term) -> Any:
        if t.prefix:  # t.text is letters and digits only
            return func.to_tsquery(config, literal("'" + t.text + "':*"))
        return func.phraseto_tsquery(config, literal(t.text))

    def all_of(terms: tuple[Term, ...], combine: str) -> Any:
        expression = term(terms[0])
        for t in terms[1:]:
            expression = getattr(func, combine)(expression, term(t))
        return expression

    def group(g: Group) -> Any:
        expression = all_of(g.include, "tsquery_and")
        if g.exclude:
            expression = func.tsquery_and(
                expression, func.tsquery_not(all_of(g.exclude, "tsquery_or"))
            )
        return expression

    expression = group(groups[0])
    for g in groups[1:]:
        expression = func.tsquery_or(expression, group(g))
    return expression
