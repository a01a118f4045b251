"""The structure of each mapping file, as pydantic models (unknown keys are errors).

Each table is validated on its own, so one broken field does not hide the problems of the
others; :func:`structure_problems` turns pydantic's errors into ``(key path, reason)`` pairs
with a "did you mean" for unknown keys.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connector.mapping.problems import Loc
from connector.schema.datamodel import did_you_mean

VALUE_SOURCES = ("from", "const", "template", "link")
FIELD_KEYS = frozenset({*VALUE_SOURCES, "default", "transform", "owner"})


class Table(BaseModel):
    """Base of every table: unknown keys are errors, no silent type coercion."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)


class Header(Table):
    """``[mapping]`` of an object mapping: which objects, who owns fields by default."""

    source: str
    target: str
    default_owner: str | None = None
    filter: str | None = None


class GenerationHeader(Header):
    """``[mapping]`` of opportunity_to_subscription.toml: also one record per what."""

    per: str = "line_item"


class TriggerTable(Table):
    """``[trigger]``: when a potential subscription is generated."""

    when: str


class LinkTable(Table):
    """``link = { entity = ..., system = ..., object = ... }``: a linked record's external id."""

    entity: str
    system: str
    object: str | None = None


class FieldTable(Table):
    """One ``[fields.<target>]`` table."""

    from_: str | list[str] | None = Field(default=None, alias="from")
    const: Any = None
    default: Any = None
    template: str | None = None
    link: LinkTable | None = None
    transform: list[str | dict[str, Any]] = []
    owner: str | None = None

    def sources(self) -> list[str]:
        """Which of from/const/template/link this field sets, in that order."""
        given = {"from" if name == "from_" else name for name in self.model_fields_set}
        return [name for name in VALUE_SOURCES if name in given]


class CatalogTable(Table):
    """``[catalog]`` of catalog.toml: the default lookup key of a product's Stripe price."""

    lookup_key: str = "{ProductCode}"


class FileTables(Table):
    """Base of a whole file's model: its keys are the file's top-level tables."""


class GenerationFile(FileTables):
    """opportunity_to_subscription.toml, each table checked separately."""

    mapping: dict[str, Any]
    trigger: dict[str, Any]
    fields: dict[str, Any]


class ObjectFile(FileTables):
    """An object mapping file, each table checked separately."""

    mapping: dict[str, Any]
    fields: dict[str, Any]


class SubscriptionFieldsFile(FileTables):
    """subscription_fields.toml: role → the org's field name (every role optional)."""

    fields: dict[str, Any] = {}


class CatalogFile(FileTables):
    """catalog.toml."""

    catalog: dict[str, Any] = {}
    overrides: dict[str, str] = {}


M = TypeVar("M", bound=BaseModel)


def parse_table(
    model: type[M], raw: Any, loc: Loc, problems: list[tuple[Loc, str]]
) -> M | None:
    """``raw`` validated as ``model``, or None after adding its problems under ``loc``."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems.extend(structure_problems(exc, model, loc))
        return None


def structure_problems(
    exc: ValidationError, model: type[BaseModel], loc: Loc
) -> list[tuple[Loc, str]]:
    """Every error of ``exc`` as ``(key path, reason)``, key paths prefixed with ``loc``.

    The alternatives of a union (``from`` is a path or a list of paths) give one problem.
    """
    found: dict[Loc, str] = {}
    for error in exc.errors():
        where = tuple(_alias(part) for part in error["loc"] if part not in _UNION_TAGS)
        if where in found:
            found[where] = _union_reason(where)
        else:
            found[where] = _reason(error, model, where)
    return [((*loc, *where), reason) for where, reason in found.items()]


_REASONS = {
    "string_type": "must be text (in quotes)",
    "int_type": "must be a whole number",
    "bool_type": "must be true or false",
    "list_type": "must be a list [...]",
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "missing": "required key is missing",
}

_UNION_TAGS = {"str", "list[str]", "dict[str,any]"}


def _reason(error: Any, model: type[BaseModel], where: Loc) -> str:
    if error["type"] == "missing" and len(where) == 1 and issubclass(model, FileTables):
        return f"required table [{where[0]}] is missing"
    if error["type"] != "extra_forbidden":
        return _REASONS.get(error["type"], str(error["msg"]))
    known = _keys_at(model, where[:-1])
    hint = did_you_mean(str(where[-1]), known)
    return f"unknown key{hint}" if hint else f"unknown key; known keys: {', '.join(known)}"


def _union_reason(where: Loc) -> str:
    if where and where[-1] == "from":
        return "must be a path (text) or a list of paths"
    return 'must be a transform name (text) or an inline table { fn = "..." }'


def _alias(part: Any) -> Any:
    return "from" if part == "from_" else part


def _keys_at(model: type[BaseModel], where: Loc) -> list[str]:
    current: Any = model
    for part in where:
        info = current.model_fields.get("from_" if part == "from" else part)
        current = _model_in(info.annotation if info is not None else None)
        if current is None:
            return []
    return [info.alias or name for name, info in current.model_fields.items()]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model in ``annotation`` (``LinkTable | None`` → LinkTable), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None
