"""SOQL text to a validated :class:`Query`: a recursive-descent parser over :mod:`.soql_lexer`.

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
from datetime import date, datetime
from typing import TypeVar

from crm_emulators.salesforce.model import FieldInfo, ObjectInfo, kind_of_literal
from crm_emulators.salesforce.soql_ast import (
    Comparison,
    Condition,
    Constant,
    FieldPath,
    Hop,
    Logical,
    Membership,
    Negation,
    Operand,
    Ordering,
    Query,
    RelativeDate,
)
from crm_emulators.salesforce.soql_lexer import Token, TokenStream, string_parts

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


_WORD_CONSTANTS: dict[str, Operand] = {
    "TRUE": Constant(True), "FALSE": Constant(False), "NULL": Constant(None),
}


def parse(text: str, schema: Mapping[str, ObjectInfo]) -> Query:
    """Parse ``text`` and check every object and field it names against ``schema``.

    Raises:
        SoqlError: the query is malformed, names something unknown or compares a field with
            a value of the wrong type.
    """
    return _Parser(text, schema).query()


class _Parser(TokenStream):
    """One pass over the tokens of one query; each method consumes one grammar rule."""

    def __init__(self, text: str, schema: Mapping[str, ObjectInfo]) -> None:
        super().__init__(text)
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

    # -- SELECT and FROM ----------------------------------------------------------------

    def _select_list(self) -> list[Token] | None:
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

    def _select_item(self) -> Token:
        token = self._next()
        if token.text == "(":
            raise self._unsupported(token, "child relationship subqueries")
        if not token.is_name():
            raise self._unexpected(token)
        if self._peek().text == "(":
            raise self._unsupported(token, f"functions in SELECT ({token.text})")
        return token

    def _sobject(self) -> ObjectInfo:
        token = self._next()
        if not token.is_name():
            raise self._unexpected(token)
        info = self._objects.get(token.text.lower())
        if info is None:
            reason = NO_SUCH_OBJECT.format(name=token.text)
            raise self._error(token, reason, "INVALID_TYPE")
        return info

    def _select_fields(self, tokens: list[Token] | None) -> tuple[FieldPath, ...]:
        paths: list[FieldPath] = []
        for token in tokens or []:
            path = self._path(token)
            if path in paths:
                raise self._error(token, f"duplicate field selected: {token.text}")
            paths.append(path)
        return tuple(paths)

    # -- paths --------------------------------------------------------------------------

    def _path(self, token: Token) -> FieldPath:
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

    def _hop(self, token: Token, info: ObjectInfo, name: str) -> tuple[Hop, ObjectInfo]:
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
        if not token.is_name():
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

    def _membership(self, token: Token, path: FieldPath, *, negated: bool) -> Membership:
        self._expect("(")
        if self._peek().is_word("SELECT"):
            raise self._unsupported(self._peek(), "semi-join subqueries")
        operands = [self._checked_operand(token, path)]
        while self._accept(","):
            operands.append(self._checked_operand(token, path))
        self._expect(")")
        return Membership(path, tuple(operands), negated)

    def _like(self, token: Token, path: FieldPath) -> Comparison:
        operand_token = self._peek()
        operand = self._checked_operand(token, path)
        if not (isinstance(operand, Constant) and isinstance(operand.value, str)):
            raise self._unexpected(operand_token)
        return Comparison(path, "LIKE", operand)

    def _checked_operand(self, token: Token, path: FieldPath) -> Operand:
        operand = self._operand()
        self._check_type(token, path.field, operand)
        if path.field.type in ("id", "reference") and isinstance(operand, Constant):
            self._check_id(token, operand)
        return operand

    def _check_type(self, token: Token, field: FieldInfo, operand: Operand) -> None:
        if isinstance(operand, RelativeDate):
            fits = field.kind in ("date", "datetime")
        else:
            fits = operand.value is None or kind_of_literal(operand.value) == field.kind
        if not fits:
            wanted = "integer" if field.type == "int" else _TYPE_NAMES.get(field.kind, "string")
            quotes = "should" if field.kind == "text" else "should not"
            reason = (f"value of filter criterion for field '{field.name}' must be of type "
                      f"{wanted} and {quotes} be enclosed in quotes")
            raise self._error(token, reason, "INVALID_FIELD")

    def _check_id(self, token: Token, operand: Constant) -> None:
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

    def _string(self, token: Token) -> Constant:
        raw = token.text[1:-1]
        try:
            value = "".join(char for char, _ in string_parts(raw))
        except KeyError:
            reason = f"Invalid string literal {token.text}. Illegal escape sequence in it."
            raise self._error(token, reason) from None
        return Constant(value, raw)

    def _moment(self, token: Token) -> Constant:
        try:
            if token.kind == "date":
                return Constant(date.fromisoformat(token.text))
            return Constant(datetime.fromisoformat(token.text))
        except ValueError:
            raise self._error(token, f"Invalid {token.kind}: {token.text}") from None

    def _word_operand(self, token: Token) -> Operand:
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
        if not token.is_name():
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
