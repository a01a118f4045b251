"""Find the line of a key path in TOML text, since ``tomllib`` reports no positions.

Covers what mapping files use: ``[table]`` and ``[[array.of.tables]]`` headers with bare,
quoted and dotted keys, ``key = value`` lines with dotted keys, inline tables, and arrays on
one or several lines. Dots inside keys are treated like table nesting, so ``[fields."a.b"]``
and ``[fields.a.b]`` are found by the same path.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence

Key = tuple[str | int, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")


class LineIndex:
    """The line of every table, key and array element in one TOML document."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]
        self._lines: dict[Key, int] = {}
        self._array_tables: dict[Key, int] = {}
        self._scan()

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """The line of ``loc``, else of its nearest located ancestor; None if none is."""
        key = _normalise(loc)
        for size in range(len(key), 0, -1):
            if key[:size] in self._lines:
                return self._lines[key[:size]]
        return None

    def _line(self, pos: int) -> int:
        return bisect_right(self._starts, pos)

    def _record(self, key: Key, pos: int) -> None:
        for size in range(1, len(key) + 1):
            self._lines.setdefault(key[:size], self._line(pos))

    def _scan(self) -> None:
        table: Key = ()
        pos = 0
        while pos < len(self._text):
            pos = self._skip_blank(pos, newlines=True)
            if pos >= len(self._text):
                break
            if self._text[pos] == "[":
                table, pos = self._header(pos)
            else:
                pos = self._assignment(pos, table)

    def _header(self, pos: int) -> tuple[Key, int]:
        double = self._text.startswith("[[", pos)
        keys, pos = self._keys(pos + (2 if double else 1))
        pos = self._text.find("\n", pos)
        pos = len(self._text) if pos < 0 else pos
        if double:
            index = self._array_tables.get(keys, -1) + 1
            self._array_tables[keys] = index
            keys = (*keys, index)
        self._record(keys, pos - 1)
        return keys, pos

    def _assignment(self, pos: int, table: Key) -> int:
        keys, pos = self._keys(pos)
        self._record(table + keys, pos)
        pos = self._skip_blank(pos, newlines=False)
        if pos < len(self._text) and self._text[pos] == "=":
            pos = self._value(pos + 1, table + keys)
        end = self._text.find("\n", pos)
        return len(self._text) if end < 0 else end + 1

    def _keys(self, pos: int) -> tuple[Key, int]:
        keys: list[str] = []
        while True:
            pos = self._skip_blank(pos, newlines=False)
            key, pos = self._one_key(pos)
            keys.extend(part for part in key.split(".") if part)
            pos = self._skip_blank(pos, newlines=False)
            if pos >= len(self._text) or self._text[pos] != ".":
                return tuple(keys), pos
            pos += 1

    def _one_key(self, pos: int) -> tuple[str, int]:
        if pos < len(self._text) and self._text[pos] in "\"'":
            end = self._string_end(pos)
            return self._text[pos + 1 : end - 1], end
        match = _BARE.match(self._text, pos)
        if match is None:
            return "", pos + 1
        return match.group(), match.end()

    def _value(self, pos: int, key: Key) -> int:
        pos = self._skip_blank(pos, newlines=False)
        if pos >= len(self._text):
            return pos
        char = self._text[pos]
        if char == "[":
            return self._array(pos + 1, key)
        if char == "{":
            return self._inline_table(pos + 1, key)
        if char in "\"'":
            return self._string_end(pos)
        while pos < len(self._text) and self._text[pos] not in ",]}\n#":
            pos += 1
        return pos

    def _array(self, pos: int, key: Key) -> int:
        index = 0
        while pos < len(self._text):
            pos = self._skip_blank(pos, newlines=True)
            if pos >= len(self._text) or self._text[pos] == "]":
                return pos + 1
            if self._text[pos] == ",":
                index, pos = index + 1, pos + 1
                continue
            self._record((*key, index), pos)
            pos = self._value(pos, (*key, index))
        return pos

    def _inline_table(self, pos: int, key: Key) -> int:
        while pos < len(self._text):
            pos = self._skip_blank(pos, newlines=True)
            if pos >= len(self._text) or self._text[pos] == "}":
                return pos + 1
            if self._text[pos] == ",":
                pos += 1
                continue
            keys, pos = self._keys(pos)
            self._record(key + keys, pos)
            pos = self._skip_blank(pos, newlines=False)
            if pos < len(self._text) and self._text[pos] == "=":
                pos = self._value(pos + 1, key + keys)
        return pos

    def _string_end(self, pos: int) -> int:
        quote = self._text[pos]
        triple = self._text.startswith(quote * 3, pos)
        delimiter = quote * 3 if triple else quote
        pos += len(delimiter)
        while pos < len(self._text):
            if quote == '"' and self._text[pos] == "\\":
                pos += 2
                continue
            if self._text.startswith(delimiter, pos):
                return _past_extra_quotes(self._text, pos + len(delimiter), quote, triple)
            if self._text[pos] == "\n" and not triple:
                return pos
            pos += 1
        return pos

    def _skip_blank(self, pos: int, *, newlines: bool) -> int:
        blanks = " \t\r\n" if newlines else " \t\r"
        while pos < len(self._text):
            char = self._text[pos]
            if char == "#":
                end = self._text.find("\n", pos)
                if end < 0 or not newlines:
                    return len(self._text) if end < 0 else end
                pos = end
            elif char in blanks:
                pos += 1
            else:
                return pos
        return pos


def _past_extra_quotes(text: str, pos: int, quote: str, triple: bool) -> int:
    """A multi-line string may end in up to two extra quotes: ``\"\"\"a\"\"\"\"\"``."""
    if triple:
        while pos < len(text) and text[pos] == quote:
            pos += 1
    return pos


def _normalise(loc: Sequence[str | int]) -> Key:
    parts: list[str | int] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(part)
        else:
            parts.extend(piece for piece in part.split(".") if piece)
    return tuple(parts)
