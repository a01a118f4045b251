"""Text templates such as ``"{Name} ({Id})"``: each ``{...}`` is a field path of the record.

Rendering substitutes values itself (never ``str.format``, which could reach attributes);
a null renders as an empty string. ``{{`` and ``}}`` are literal braces.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connector.schema.paths import is_valid_path


class TemplateError(ValueError):
    """A template cannot be parsed; the message says where."""


@dataclass(frozen=True)
class Template:
    """A parsed template.

    Attributes:
        text: the template as written.
        parts: literal text and field paths, alternating as written (paths as 1-tuples).
        names: the field paths it reads, in order of first use.
    """

    text: str
    parts: tuple[str | tuple[str], ...]
    names: tuple[str, ...]

    def render(self, lookup: Callable[[str], Any]) -> str:
        """The text with every ``{path}`` replaced by ``lookup(path)`` (null → empty)."""
        return "".join(
            part if isinstance(part, str) else _text(lookup(part[0])) for part in self.parts
        )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def compile_template(text: str) -> Template:
    """Parse ``text``.

    Raises:
        TemplateError: unbalanced braces, an empty ``{}``, a format spec or conversion.
    """
    try:
        pieces = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise TemplateError(f"invalid template: {exc}") from None
    parts: list[str | tuple[str]] = []
    for literal, name, spec, conversion in pieces:
        parts.append(literal)
        if name is None:
            continue
        if spec or conversion or not is_valid_path(name.strip()):
            written = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            raise TemplateError(
                f"invalid placeholder {{{written}}}: write a field path such as {{Name}}, "
                "without format specs"
            )
        parts.append((name.strip(),))
    names = tuple(dict.fromkeys(part[0] for part in parts if isinstance(part, tuple)))
    return Template(text, tuple(parts), names)
