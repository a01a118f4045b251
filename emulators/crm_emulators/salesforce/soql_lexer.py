"""SOQL text to tokens, and the error message Salesforce shows for a bad query.

A malformed query is reported as Salesforce reports it: the query line, a caret under the
culprit, ``ERROR at Row:r:Column:c`` and the reason (:func:`located`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crm_emulators.salesforce.soql_ast import SoqlError

RESERVED = frozenset({
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "LIMIT",
    "OFFSET", "GROUP", "HAVING", "WITH", "FOR", "NULL", "TRUE", "FALSE", "USING", "TYPEOF",
})
"""Words that cannot name a field or object."""

_TOKENS = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<baddatetime>\d{4}-\d{2}-\d{2}T[\w:.+-]*)
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>[+-]?\d+(?:\.\d+)?)
  | (?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)
  | (?P<operator><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),:])
""", re.VERBOSE)

_ESCAPES = {
    "'": "'", '"': '"', "\\": "\\", "%": "%", "_": "_",
    "n": "\n", "N": "\n", "r": "\r", "R": "\r", "t": "\t", "T": "\t",
    "b": "\b", "B": "\b", "f": "\f", "F": "\f",
}


def string_parts(raw: str) -> list[tuple[str, bool]]:
    """The characters of a string literal's body, each with whether it was escaped.

    Raises:
        KeyError: the body holds an escape SOQL does not define (``\\q``).
    """
    parts: list[tuple[str, bool]] = []
    chars = iter(raw)
    for char in chars:
        if char == "\\":
            parts.append((_ESCAPES[next(chars)], True))
        else:
            parts.append((char, False))
    return parts


def located(text: str, position: int, reason: str) -> str:
    """Salesforce's error message: the query line, a caret at ``position``, then ``reason``."""
    row, column, line = line_of(text, position)
    return f"\n{line}\n{' ' * column}^\nERROR at Row:{row}:Column:{column + 1}\n{reason}"


def line_of(text: str, position: int) -> tuple[int, int, str]:
    """The 1-based row, 0-based column and text of the line holding ``position``."""
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    line = text[start:] if end < 0 else text[start:end]
    return text.count("\n", 0, position) + 1, position - start, line


@dataclass(frozen=True)
class Token:
    """One token: its kind (the regex group that matched), its text and where it starts."""

    kind: str
    text: str
    position: int

    def is_word(self, *words: str) -> bool:
        """Whether this is a name equal, ignoring case, to one of ``words``."""
        return self.kind == "name" and self.text.upper() in words

    def is_name(self) -> bool:
        """Whether this can name a field or object (a name that is not a reserved word)."""
        return self.kind == "name" and self.text.upper() not in RESERVED


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, spaces dropped, ending with an ``eof`` token.

    Raises:
        SoqlError: a character no token starts with, or a malformed datetime.
    """
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKENS.match(text, position)
        if match is None:
            row, column, _ = line_of(text, position)
            reason = f"line {row}:{column} no viable alternative at character '{text[position]}'"
            raise SoqlError("MALFORMED_QUERY", located(text, position, reason))
        kind = match.lastgroup or ""
        if kind == "baddatetime":
            reason = f"Invalid datetime: {match.group()}"
            raise SoqlError("MALFORMED_QUERY", located(text, position, reason))
        if kind != "space":
            tokens.append(Token(kind, match.group(), position))
        position = match.end()
    tokens.append(Token("eof", "<EOF>", len(text)))
    return tokens


class TokenStream:
    """The tokens of one query, consumed left to right; errors point into its text.

    Raises:
        SoqlError: (on construction) a character no token starts with, or a bad datetime.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._tokens = tokenize(text)
        self._index = 0

    def _peek(self) -> Token:
        return self._tokens[self._index]

    def _next(self) -> Token:
        token = self._tokens[self._index]
        self._index = min(self._index + 1, len(self._tokens) - 1)
        return token

    def _accept_word(self, *words: str) -> bool:
        if self._peek().is_word(*words):
            self._next()
            return True
        return False

    def _accept(self, text: str) -> bool:
        if self._peek().kind in ("punct", "operator") and self._peek().text == text:
            self._next()
            return True
        return False

    def _expect_word(self, word: str) -> None:
        if not self._accept_word(word):
            raise self._unexpected(self._peek())

    def _expect(self, text: str) -> None:
        if not self._accept(text):
            raise self._unexpected(self._peek())

    def _expect_end(self) -> None:
        if self._peek().kind != "eof":
            raise self._unexpected(self._peek())

    def _error(self, token: Token, reason: str, code: str = "MALFORMED_QUERY") -> SoqlError:
        return SoqlError(code, located(self._text, token.position, reason))

    def _unexpected(self, token: Token) -> SoqlError:
        return self._error(token, f"unexpected token: '{token.text}'")

    def _unsupported(self, token: Token, what: str) -> SoqlError:
        return self._error(token, f"{what} are not supported by the Salesforce emulator")
