"""Trigger and filter expressions: a small safe language, checked when the file is loaded."""

from __future__ import annotations

from datetime import date

import pytest

from connector.mapping.expressions import ExpressionError, compile_expression


def test_names_are_fields_and_missing_ones_are_null() -> None:
    expression = compile_expression("IsWon or Create_Potential_Subscription__c")
    assert expression.names == ("IsWon", "Create_Potential_Subscription__c")
    assert expression.matches({"IsWon": True})
    assert not expression.matches({"attributes": {"type": "Opportunity"}})


def test_relationship_paths_dates_and_functions() -> None:
    expression = compile_expression(
        "Account.Type in ('Customer', 'Partner') and date(CloseDate) >= today() - days(30)"
        " and len(lower(Name)) > 2"
    )
    assert expression.names == ("Account.Type", "CloseDate", "Name")
    row = {"Account": {"Type": "Partner"}, "CloseDate": "2026-11-01", "Name": "Big"}
    assert expression.matches(row, today=date(2026, 11, 22))
    assert not expression.matches(row, today=date(2027, 1, 1))
    assert not expression.matches({**row, "Account": None}, today=date(2026, 11, 22))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("IsWon or", "invalid expression: invalid syntax"),
        (
            "__import__('os')",
            "unknown function '__import__'; allowed: date, days, len, lower, today, upper",
        ),
        ("Name.__class__", "names starting with '_' are not allowed: 'Name.__class__'"),
        ("eval('1')", "unknown function 'eval'; allowed: date, days, len, lower, today, upper"),
        ("[x for x in Names]", "ListComp is not allowed in expressions"),
        ("lower(Name).x", "'.' may only follow a field or relationship name"),
        ("Name[0]", "Subscript is not allowed in expressions"),
        ("lambda: 1", "Lambda is not allowed in expressions"),
        ("len(Name, key=1)", "len() takes no keyword arguments"),
        (
            "Name.upper()",
            "only the listed functions can be called: date, days, len, lower, today, upper",
        ),
    ],
)
def test_anything_outside_the_whitelist_is_refused_at_compile_time(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(text)
    assert str(caught.value) == message


def test_a_failure_on_one_record_is_an_expression_error() -> None:
    expression = compile_expression("Amount > 100")
    with pytest.raises(ExpressionError, match="'Amount > 100' failed"):
        expression.evaluate({"Amount": None})
