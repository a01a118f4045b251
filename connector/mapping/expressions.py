"""Admin-written conditions (``[trigger] when``, ``[mapping] filter``), evaluated safely.

An expression is parsed once, when the mapping is loaded: a syntax error, a construct outside
the whitelist or an unknown function is a validation problem then, never a surprise at run
time. Evaluation goes through ``simpleeval`` (never ``eval``/``exec``) over a tree whose field
names have been resolved to dotted paths, so ``Account.Type`` reads the nested record and no
attribute of any Python object is ever reached.

Allowed: literals, field names and dotted relationship paths (a missing field is ``None``),
``and or not``, comparisons (including ``in``), ``+ - * / %``, ``x if c else y``, lists and
tuples of literals, and the functions of :data:`FUNCTION_DOCS`.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from simpleeval import EvalWithCompoundTypes, InvalidExpression

from connector.mapping.transforms import TransformError, parse_date
from connector.schema.paths import get_path

FUNCTION_DOCS = {
    "len": "len(x): length of text or a list; 0 for null",
    "lower": "lower(x): text in lower case; null stays null",
    "upper": "upper(x): text in upper case; null stays null",
    "date": "date(x): a date from Salesforce/ISO text; null stays null",
    "today": "today(): the current UTC date (from the daemon's clock)",
    "days": "days(n): a span of n days, to add to or subtract from a date",
}

_ALLOWED_NODES = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
    ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Mod, ast.Compare, ast.Eq, ast.NotEq,
    ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot, ast.Name,
    ast.Load, ast.Constant, ast.Call, ast.Tuple, ast.List, ast.IfExp, ast.Attribute,
)

Reader = Callable[[Mapping[str, Any], str], Any]


class ExpressionError(Exception):
    """An expression is invalid, or failed on a particular record."""


@dataclass(frozen=True)
class Expression:
    """A compiled expression.

    Attributes:
        text: the expression as written.
        names: the field paths it reads, in order of first use.
    """

    text: str
    names: tuple[str, ...]
    tree: ast.expr = field(repr=False, compare=False)
    reader: Reader = field(default=get_path, repr=False, compare=False)

    def evaluate(self, row: Mapping[str, Any], *, today: date | None = None) -> Any:
        """The expression's value for ``row``; ``today`` defaults to the current UTC date.

        Raises:
            ExpressionError: the expression failed on this record (e.g. ``len(3)``).
        """
        names = {name: self.reader(row, name) for name in self.names}
        evaluator = EvalWithCompoundTypes(names=names, functions=_functions(today))
        try:
            return evaluator.eval(self.text, previously_parsed=self.tree)
        except (InvalidExpression, TransformError, TypeError, ValueError, ArithmeticError) as exc:
            raise ExpressionError(f"{self.text!r} failed: {exc}") from None

    def matches(self, row: Mapping[str, Any], *, today: date | None = None) -> bool:
        """Whether the expression is true (any truthy value) for ``row``."""
        return bool(self.evaluate(row, today=today))

    def with_reader(self, reader: Reader) -> Expression:
        """The same expression reading field paths through ``reader``."""
        return Expression(self.text, self.names, self.tree, reader)


def compile_expression(text: str) -> Expression:
    """Parse and check ``text``; field names become dotted-path names.

    Raises:
        ExpressionError: a syntax error, a construct outside the whitelist, an unknown function.
    """
    try:
        parsed = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        where = f" at column {exc.offset}" if exc.offset else ""
        raise ExpressionError(f"invalid expression: {exc.msg}{where}") from None
    names: list[str] = []
    tree = _Rewriter(names).visit(parsed)
    _check_nodes(tree)
    return Expression(text, tuple(dict.fromkeys(names)), tree.body)


class _Rewriter(ast.NodeTransformer):
    """Turns ``Account.Type`` into one name ``"Account.Type"`` and collects field names."""

    def __init__(self, names: list[str]) -> None:
        self.names = names

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if not isinstance(node.func, ast.Name):
            raise ExpressionError("only the listed functions can be called: " + _known())
        if node.func.id not in FUNCTION_DOCS:
            raise ExpressionError(f"unknown function {node.func.id!r}; allowed: {_known()}")
        if node.keywords:
            raise ExpressionError(f"{node.func.id}() takes no keyword arguments")
        node.args = [self.visit(arg) for arg in node.args]
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        return self._name(_dotted(node), node)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return self._name(node.id, node)

    def _name(self, path: str, node: ast.expr) -> ast.AST:
        if any(part.startswith("_") for part in path.split(".")):
            raise ExpressionError(f"names starting with '_' are not allowed: {path!r}")
        if path in ("True", "False", "None"):
            return node
        self.names.append(path)
        return ast.copy_location(ast.Name(id=path, ctx=ast.Load()), node)


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Name):
        return node.id
    raise ExpressionError("'.' may only follow a field or relationship name")


def _check_nodes(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES) or isinstance(node, ast.Attribute):
            what = type(node).__name__
            raise ExpressionError(f"{what} is not allowed in expressions")


def _known() -> str:
    return ", ".join(sorted(FUNCTION_DOCS))


def _functions(today: date | None) -> dict[str, Callable[..., Any]]:
    current = today or datetime.now(UTC).date()
    return {
        "len": lambda value: 0 if value is None else len(value),
        "lower": lambda value: None if value is None else str(value).lower(),
        "upper": lambda value: None if value is None else str(value).upper(),
        "date": lambda value: None if value is None else parse_date(value),
        "today": lambda: current,
        "days": lambda count: timedelta(days=count),
    }
