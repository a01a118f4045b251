"""Finding the line of a key path in TOML text."""

from __future__ import annotations

from connector.mapping.locate import LineIndex

TEXT = '''# header
[mapping]
source = "A"   # comment with = and [brackets]

[fields.Quantity__c]
from = "Quantity"
transform = ["int", { fn = "decimal", places = 2 }]

[fields."metadata.id"]
link = { entity = "account", system = "stripe" }

[fields.Status__c]
transform = [
  "trim",
  # a comment between elements
  { fn = "map", values = { a = "A", "b c" = "B" }, default = "X" },
]
text = """
multi [not a table]
"""
after = 1

[[steps]]
name = "one"
[[steps]]
name = "two"
a.b.c = 3
'''


def _line(*loc: str | int) -> int | None:
    return LineIndex(TEXT).line_of(loc)


def test_tables_and_keys() -> None:
    assert _line("mapping") == 2
    assert _line("mapping", "source") == 3
    assert _line("fields", "Quantity__c") == 5
    assert _line("fields", "Quantity__c", "from") == 6


def test_inline_tables_and_arrays_on_one_line() -> None:
    assert _line("fields", "Quantity__c", "transform", 1, "places") == 7
    assert _line("fields", "metadata.id", "link", "system") == 10
    assert _line("fields", "metadata", "id", "link") == 10


def test_arrays_over_several_lines() -> None:
    assert _line("fields", "Status__c", "transform") == 13
    assert _line("fields", "Status__c", "transform", 0) == 14
    assert _line("fields", "Status__c", "transform", 1, "values", "b c") == 16
    assert _line("fields", "Status__c", "after") == 21


def test_arrays_of_tables_and_dotted_keys() -> None:
    assert _line("steps", 1, "name") == 26
    assert _line("steps", 1, "a", "b", "c") == 27


def test_unknown_keys_fall_back_to_their_nearest_ancestor() -> None:
    assert _line("fields", "Quantity__c", "owner") == 5
    assert _line("nothing") is None
