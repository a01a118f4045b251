"""SOQL text to a validated :class:`Query`: a small tokenizer and a recursive-descent parser.

Grammar (keywords case-insensitive; see ``soql.py`` for what is evaluated and how)::

    query      := SELECT (COUNT '(' ')' | path (',' path)*) FROM object
                  [WHERE condition] [ORDER BY ordering (',' ordering)*]
                  [LIMIT integer] [OFFSET integer]
    condition  := term (AND term)* | term (OR term)*     -- mixing needs parentheses
    term       := NOT term | '(' condition ')' | path operator operand
                  | path [NOT] IN '(' operand (',' operand)* ')' | path LIKE string
    operand    := string | number | TRUE | FALSE | NULL | date | datetime | date literal
    ordering   := path [ASC | DESC] [NULLS (FIRST | LAST)]

Every name is checked against the schema. Failures raise :class:`SoqlError` with the
``errorCode`` real Salesforce uses and its message shape (the query line, a caret under the
culprit, ``ERROR at Row:r:Column:c`` and the reason).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from connector.mapping.kinds import kind_of_value
from connector.mapping.sobjects import FieldInfo, ObjectInfo

_T = TypeVar("_T")

MAX_RELATIONSHIP_HOPS = 5
"""Parent relationships a path may follow (``A.B.C.D.E.Field``), as in Salesforce."""

RELATIVE_DATES = frozenset({
    "TODAY", "YESTERDAY", "TOMORROW", "THIS_WEEK", "LAST_WEEK", "NEXT_WEEK",
    "THIS_MONTH", "LAST_MONTH", "NEXT_MONTH", "THIS_YEAR", "LAST_YEAR", "NEXT_YEAR",
})
"""Date literals without a number (``CloseDate = TODAY``)."""

RELATIVE_N_DATES = frozenset({"LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO"})
"""Date literals that take a number (``CreatedDate = LAST_N_DAYS:7``)."""

_RESERVED = frozenset({
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "LIMIT",
    "OFFSET", "GROUP", "HAVING", "WITH", "FOR", "NULL", "TRUE", "FALSE", "USING", "TYPEOF",
})

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

_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")

_TYPE_NAMES = {"text": "string", "number": "double", "bool": "boolean",
               "date": "date", "datetime": "dateTime"}

NO_SUCH_COLUMN = (
    "No such column '{name}' on entity '{entity}'. If you are attempting to use a custom "
    "field, be sure to append the '__c' after the custom field name. Please reference your "
    "WSDL or the describe call for the appropriate names."
)
NO_SUCH_RELATIONSHIP = (
    "Didn't understand relationship '{name}' in field path. If you are attempting to use a "
    "custom relationship, be sure to append the '__r' after the custom relationship name. "
    "Please reference your WSDL or the describe call for the appropriate names."
)
NO_SUCH_OBJECT = (
    "sObject type '{name}' is not supported. If you are attempting to use a custom object, "
    "be sure to append the '__c' after the entity name. Please reference your WSDL or the "
    "describe call for the appropriate names."
)


class SoqlError(Exception):
    """A query Salesforce would refuse.

    Attributes:
        error_code: Salesforce's ``errorCode``: ``MALFORMED_QUERY`` (syntax, or a construct
            the emulator does not support), ``INVALID_FIELD`` (unknown field or relationship,
            value of the wrong type), ``INVALID_TYPE`` (unknown object) or
            ``INVALID_QUERY_FILTER_OPERATOR`` (a malformed record id in a filter).
        message: Salesforce's ``message``.
    """

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message


@dataclass(frozen=True)
class Hop:
    """One parent relationship followed by a path.

    Attributes:
        name: relationship name as describe spells it (``Account``, ``Product__r``).
        id_field: the reference field holding the parent's id (``AccountId``).
        sobject: the parent object (``Account``).
    """

    name: str
    id_field: str
    sobject: str


@dataclass(frozen=True)
class FieldPath:
    """A field of the queried object or of a parent: ``Account.Owner.Name``.

    Attributes:
        hops: relationships followed from the queried object, outermost first.
        field: the field read at the end of the path.
    """

    hops: tuple[Hop, ...]
    field: FieldInfo


@dataclass(frozen=True)
class Constant:
    """A literal value: str, float, bool, date, aware datetime, or None for NULL.

    Attributes:
        value: the value, decoded.
        raw: for strings, the text between the quotes as written (LIKE needs its escapes).
    """

    value: str | float | bool | date | datetime | None
    raw: str = ""


@dataclass(frozen=True)
class RelativeDate:
    """A date literal resolved when the query runs: ``TODAY``, ``LAST_N_DAYS:7``.

    Attributes:
        name: the literal, upper case.
        n: its number (0 for literals without one).
    """

    name: str
    n: int = 0


Operand = Constant | RelativeDate

_WORD_CONSTANTS: dict[str, Operand] = {
    "TRUE": Constant(True), "FALSE": Constant(False), "NULL": Constant(None),
}


@dataclass(frozen=True)
class Comparison:
    """``path op operand`` where op is one of ``= != < <= > >= LIKE``."""

    path: FieldPath
    operator: str
    operand: Operand


@dataclass(frozen=True)
class Membership:
    """``path IN (...)`` or, when ``negated``, ``path NOT IN (...)``."""

    path: FieldPath
    operands: tuple[Operand, ...]
    negated: bool = False


@dataclass(frozen=True)
class Negation:
    """``NOT condition``."""

    operand: Condition


@dataclass(frozen=True)
class Logical:
    """Conditions joined by one operator, ``AND`` or ``OR``."""

    operator: str
    parts: tuple[Condition, ...]


Condition = Comparison | Membership | Negation | Logical


@dataclass(frozen=True)
class Ordering:
    """One ``ORDER BY`` item; nulls go first unless told otherwise (last when descending)."""

    path: FieldPath
    descending: bool = False
    nulls_first: bool = True


@dataclass(frozen=True)
class Query:
    """A parsed, schema-checked SOQL query.

    Attributes:
        sobject: the queried object, as describe spells it.
        fields: the selected paths in SELECT order (empty for ``COUNT()``).
        where: the filter, if any.
        order_by: the ordering, outermost key first.
        limit: the LIMIT, if any.
        offset: the OFFSET (0 when absent).
        is_count: the query is ``SELECT COUNT() FROM ...``.
    """

    sobject: str
    fields: tuple[FieldPath, ...] = ()
    where: Condition | None = None
    order_by: tuple[Ordering, ...] = ()
    limit: int | None = None
    offset: int = 0
    is_count: bool = False


def parse(text: str, schema: Mapping[str, ObjectInfo]) -> Query:
    """Parse ``text`` and check every object and field it names against ``schema``.

    Raises:
        SoqlError: the query is malformed, names something unknown or compares a field with
            a value of the wrong type.
    """
    return _Parser(text, schema).query()


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
    row, column, line = _line_of(text, position)
    return f"\n{line}\n{' ' * column}^\nERROR at Row:{row}:Column:{column + 1}\n{reason}"


def _line_of(text: str, position: int) -> tuple[int, int, str]:
    """The 1-based row, 0-based column and text of the line holding ``position``."""
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    line = text[start:] if end < 0 else text[start:end]
    return text.count("\n", 0, position) + 1, position - start, line


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int

    def is_word(self, *words: str) -> bool:
        return self.kind == "name" and self.text.upper() in words


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKENS.match(text, position)
        if match is None:
            row, column, _ = _line_of(text, position)
            reason = f"line {row}:{column} no viable alternative at character '{text[position]}'"
            raise SoqlError("MALFORMED_QUERY", located(text, position, reason))
        kind = match.lastgroup or ""
        if kind == "baddatetime":
            reason = f"Invalid datetime: {match.group()}"
            raise SoqlError("MALFORMED_QUERY", located(text, position, reason))
        if kind != "space":
            tokens.append(_Token(kind, match.group(), position))
        position = match.end()
    tokens.append(_Token("eof", "<EOF>", len(text)))
    return tokens


class _Parser:
    """One pass over the tokens of one query; each method consumes one grammar rule."""

    def __init__(self, text: str, schema: Mapping[str, ObjectInfo]) -> None:
        self._text = text
        self._tokens = _tokenize(text)
        self._index = 0
        self._objects = {name.lower(): info for name, info in schema.items()}
        self._root = ObjectInfo("", {})

    def query(self) -> Query:
        self._expect_word("SELECT")
        selected = self._select_list()
        self._expect_word("FROM")
        self._root = self._sobject()
        fields = self._select_fields(selected)
        where = self._condition() if self._accept_word("WHERE") else None
        order_by = self._order_by() if self._accept_word("ORDER") else ()
        limit = self._integer() if self._accept_word("LIMIT") else None
        offset = self._integer() if self._accept_word("OFFSET") else 0
        self._expect_end()
        return Query(self._root.name, fields, where, order_by, limit, offset,
                     is_count=selected is None)

    # -- tokens -------------------------------------------------------------------------

    def _peek(self) -> _Token:
        return self._tokens[self._index]

    def _next(self) -> _Token:
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

    def _error(self, token: _Token, reason: str, code: str = "MALFORMED_QUERY") -> SoqlError:
        return SoqlError(code, located(self._text, token.position, reason))

    def _unexpected(self, token: _Token) -> SoqlError:
        return self._error(token, f"unexpected token: '{token.text}'")

    def _unsupported(self, token: _Token, what: str) -> SoqlError:
        return self._error(token, f"{what} are not supported by the Salesforce emulator")

    # -- SELECT and FROM ----------------------------------------------------------------

    def _select_list(self) -> list[_Token] | None:
        """The selected path tokens, or None for ``COUNT()``."""
        if self._peek().is_word("COUNT") and self._tokens[self._index + 1].text == "(":
            self._count()
            return None
        names = [self._select_item()]
        while self._accept(","):
            names.append(self._select_item())
        return names

    def _count(self) -> None:
        self._next()
        self._expect("(")
        if not self._accept(")"):
            raise self._unsupported(self._peek(), "aggregate functions other than COUNT()")

    def _select_item(self) -> _Token:
        token = self._next()
        if token.text == "(":
            raise self._unsupported(token, "child relationship subqueries")
        if token.kind != "name" or token.text.upper() in _RESERVED:
            raise self._unexpected(token)
        if self._peek().text == "(":
            raise self._unsupported(token, f"functions in SELECT ({token.text})")
        return token

    def _sobject(self) -> ObjectInfo:
        token = self._next()
        if token.kind != "name" or token.text.upper() in _RESERVED:
            raise self._unexpected(token)
        info = self._objects.get(token.text.lower())
        if info is None:
            reason = NO_SUCH_OBJECT.format(name=token.text)
            raise self._error(token, reason, "INVALID_TYPE")
        return info

    def _select_fields(self, tokens: list[_Token] | None) -> tuple[FieldPath, ...]:
        paths: list[FieldPath] = []
        for token in tokens or []:
            path = self._path(token)
            if path in paths:
                raise self._error(token, f"duplicate field selected: {token.text}")
            paths.append(path)
        return tuple(paths)

    # -- paths --------------------------------------------------------------------------

    def _path(self, token: _Token) -> FieldPath:
        *relationships, name = token.text.split(".")
        if len(relationships) > MAX_RELATIONSHIP_HOPS:
            reason = f"a field path may follow at most {MAX_RELATIONSHIP_HOPS} relationships"
            raise self._error(token, reason)
        hops: list[Hop] = []
        info = self._root
        for relationship in relationships:
            hop, info = self._hop(token, info, relationship)
            hops.append(hop)
        field = _lookup(info.fields, name)
        if field is None:
            reason = NO_SUCH_COLUMN.format(name=name, entity=info.name)
            raise self._error(token, reason, "INVALID_FIELD")
        return FieldPath(tuple(hops), field)

    def _hop(self, token: _Token, info: ObjectInfo, name: str) -> tuple[Hop, ObjectInfo]:
        relationships = {f.relationship_name: f for f in info.fields.values()
                         if f.relationship_name and f.reference_to}
        reference = _lookup(relationships, name)
        parent = self._objects.get(reference.reference_to[0].lower()) if reference else None
        if reference is None or parent is None:
            reason = NO_SUCH_RELATIONSHIP.format(name=name)
            raise self._error(token, reason, "INVALID_FIELD")
        return Hop(reference.relationship_name or name, reference.name, parent.name), parent

    # -- WHERE --------------------------------------------------------------------------

    def _condition(self) -> Condition:
        first = self._term()
        joiner = self._peek()
        if not joiner.is_word("AND", "OR"):
            return first
        parts = [first]
        while self._accept_word(joiner.text.upper()):
            parts.append(self._term())
        if self._peek().is_word("AND", "OR"):
            raise self._unexpected(self._peek())
        return Logical(joiner.text.upper(), tuple(parts))

    def _term(self) -> Condition:
        if self._accept_word("NOT"):
            return Negation(self._term())
        if self._accept("("):
            inner = self._condition()
            self._expect(")")
            return inner
        return self._field_expression()

    def _field_expression(self) -> Condition:
        token = self._next()
        if token.kind != "name" or token.text.upper() in _RESERVED:
            raise self._unexpected(token)
        path = self._path(token)
        if self._accept_word("NOT"):
            self._expect_word("IN")
            return self._membership(token, path, negated=True)
        if self._accept_word("IN"):
            return self._membership(token, path, negated=False)
        if self._accept_word("LIKE"):
            return self._like(token, path)
        operator = self._next()
        if operator.kind != "operator":
            raise self._unexpected(operator)
        operand = self._checked_operand(token, path)
        return Comparison(path, "!=" if operator.text == "<>" else operator.text, operand)

    def _membership(self, token: _Token, path: FieldPath, *, negated: bool) -> Membership:
        self._expect("(")
        if self._peek().is_word("SELECT"):
            raise self._unsupported(self._peek(), "semi-join subqueries")
        operands = [self._checked_operand(token, path)]
        while self._accept(","):
            operands.append(self._checked_operand(token, path))
        self._expect(")")
        return Membership(path, tuple(operands), negated)

    def _like(self, token: _Token, path: FieldPath) -> Comparison:
        operand_token = self._peek()
        operand = self._checked_operand(token, path)
        if not (isinstance(operand, Constant) and isinstance(operand.value, str)):
            raise self._unexpected(operand_token)
        return Comparison(path, "LIKE", operand)

    def _checked_operand(self, token: _Token, path: FieldPath) -> Operand:
        operand = self._operand()
        self._check_type(token, path.field, operand)
        if path.field.type in ("id", "reference") and isinstance(operand, Constant):
            self._check_id(token, operand)
        return operand

    def _check_type(self, token: _Token, field: FieldInfo, operand: Operand) -> None:
        if isinstance(operand, RelativeDate):
            fits = field.kind in ("date", "datetime")
        else:
            fits = operand.value is None or kind_of_value(operand.value) == field.kind
        if not fits:
            wanted = "integer" if field.type == "int" else _TYPE_NAMES.get(field.kind, "string")
            quotes = "should" if field.kind == "text" else "should not"
            reason = (f"value of filter criterion for field '{field.name}' must be of type "
                      f"{wanted} and {quotes} be enclosed in quotes")
            raise self._error(token, reason, "INVALID_FIELD")

    def _check_id(self, token: _Token, operand: Constant) -> None:
        if isinstance(operand.value, str) and operand.value and not _ID.fullmatch(operand.value):
            reason = f"invalid ID field: {operand.value}"
            raise self._error(token, reason, "INVALID_QUERY_FILTER_OPERATOR")

    # -- operands -----------------------------------------------------------------------

    def _operand(self) -> Operand:
        token = self._next()
        if token.kind == "string":
            return self._string(token)
        if token.kind == "number":
            return Constant(float(token.text))
        if token.kind in ("date", "datetime"):
            return self._moment(token)
        if token.kind == "name":
            return self._word_operand(token)
        raise self._unexpected(token)

    def _string(self, token: _Token) -> Constant:
        raw = token.text[1:-1]
        try:
            value = "".join(char for char, _ in string_parts(raw))
        except KeyError:
            reason = f"Invalid string literal {token.text}. Illegal escape sequence in it."
            raise self._error(token, reason) from None
        return Constant(value, raw)

    def _moment(self, token: _Token) -> Constant:
        try:
            if token.kind == "date":
                return Constant(date.fromisoformat(token.text))
            return Constant(datetime.fromisoformat(token.text))
        except ValueError:
            raise self._error(token, f"Invalid {token.kind}: {token.text}") from None

    def _word_operand(self, token: _Token) -> Operand:
        word = token.text.upper()
        if word in _WORD_CONSTANTS:
            return _WORD_CONSTANTS[word]
        if word in RELATIVE_DATES:
            return RelativeDate(word)
        if word in RELATIVE_N_DATES:
            self._expect(":")
            return RelativeDate(word, self._integer())
        if self._peek().text == ":":
            raise self._unsupported(token, f"date literals like {word}")
        raise self._unexpected(token)

    def _integer(self) -> int:
        token = self._next()
        if token.kind != "number" or not token.text.isdigit():
            raise self._unexpected(token)
        return int(token.text)

    # -- ORDER BY -----------------------------------------------------------------------

    def _order_by(self) -> tuple[Ordering, ...]:
        self._expect_word("BY")
        items = [self._ordering()]
        while self._accept(","):
            items.append(self._ordering())
        return tuple(items)

    def _ordering(self) -> Ordering:
        token = self._next()
        if token.kind != "name" or token.text.upper() in _RESERVED:
            raise self._unexpected(token)
        path = self._path(token)
        descending = self._accept_word("DESC")
        if not descending:
            self._accept_word("ASC")
        nulls_first = not descending
        if self._accept_word("NULLS"):
            nulls_first = self._peek().is_word("FIRST")
            if not self._accept_word("FIRST", "LAST"):
                raise self._unexpected(self._peek())
        return Ordering(path, descending, nulls_first)


def _lookup(items: Mapping[str, _T], name: str) -> _T | None:
    """``items[name]``, ignoring case as SOQL does."""
    wanted = name.lower()
    return next((value for key, value in items.items() if key.lower() == wanted), None)
