"""Build one mapping file into its runtime object, collecting every problem on the way.

Each table is checked on its own so that one mistake does not hide the next; a file with any
problem builds to None and its problems are reported, located by line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from connector.mapping.expressions import Expression, ExpressionError, compile_expression
from connector.mapping.field_builder import FieldBuilder, FieldContext
from connector.mapping.locate import LineIndex
from connector.mapping.mapping import (
    Catalog,
    FieldMapping,
    GenerationMapping,
    ObjectMapping,
    Trigger,
)
from connector.mapping.model import (
    FIELD_KEYS,
    CatalogFile,
    CatalogTable,
    GenerationFile,
    GenerationHeader,
    Header,
    ObjectFile,
    SubscriptionFieldsFile,
    TriggerTable,
    parse_table,
)
from connector.mapping.problems import Loc, Problem
from connector.mapping.subscription_fields import OBJECT, ROLES, SubscriptionFields
from connector.mapping.templates import TemplateError, compile_template
from connector.mapping.validate import (
    OWNERS,
    PER_VALUES,
    choice,
    object_problem,
    read_path,
    writable_problem,
)
from connector.schema.datamodel import DataModel, did_you_mean

TRIGGER_OBJECT = "Opportunity"
MAX_LOOKUP_KEY = 200


@dataclass(frozen=True)
class Role:
    """What one mapping file is for.

    Attributes:
        file: its name in the mappings folder.
        kind: ``generation`` (with a trigger), ``object`` or ``catalog``.
        source: the object it must read (None: any Salesforce object).
        target: the object it must write (None: any Salesforce object).
        default_owner: owner of fields when neither the field nor the file names one.
        writes: ``create`` or ``update``: the Salesforce permission target fields need.
    """

    file: str
    kind: Literal["generation", "object", "catalog", "subscription_fields"]
    source: str | None = None
    target: str | None = None
    default_owner: str = "salesforce"
    writes: str = "update"


class FileBuilder:
    """Problems of one file, each located by line."""

    def __init__(self, label: str, text: str, raw: dict[str, Any], model: DataModel) -> None:
        self.label = label
        self.raw = raw
        self.model = model
        self.index = LineIndex(text)
        self.problems: list[Problem] = []

    def report(self, loc: Loc, reason: str) -> None:
        """Record a problem at key path ``loc`` (empty: the whole file)."""
        line = self.index.line_of(loc) if loc else None
        self.problems.append(Problem(self.label, line, loc, reason))

    def _check(self, loc: Loc, reason: str | None) -> None:
        if reason:
            self.report(loc, reason)

    def parse(self, model: type[BaseModel], raw: Any, loc: Loc) -> Any:
        """``raw`` validated as ``model``, or None after reporting why not."""
        found: list[tuple[Loc, str]] = []
        parsed = parse_table(model, raw, loc, found)
        for where, reason in found:
            self.report(where, reason)
        return parsed

    def section(self, name: str) -> dict[str, Any] | None:
        """Top-level table ``name`` if it is a table (the file check reports otherwise)."""
        value = self.raw.get(name)
        return value if isinstance(value, dict) else None


class CatalogBuilder(FileBuilder):
    """catalog.toml → Catalog."""

    def build(self) -> Catalog | None:
        """The Catalog, or None when the file has problems."""
        self.parse(CatalogFile, self.raw, ())
        table = self.parse(CatalogTable, self.section("catalog") or {}, ("catalog",))
        template = self._template(table.lookup_key) if table else None
        for code, key in (self.section("overrides") or {}).items():
            if isinstance(key, str) and not 0 < len(key) <= MAX_LOOKUP_KEY:
                reason = f"a lookup key has 1 to {MAX_LOOKUP_KEY} characters"
                self.report(("overrides", code), reason)
        if self.problems or template is None:
            return None
        return Catalog(self.label.rpartition("/")[2], template, dict(self.raw.get("overrides", {})))

    def _template(self, text: str) -> Any:
        loc: Loc = ("catalog", "lookup_key")
        try:
            template = compile_template(text)
        except TemplateError as exc:
            self.report(loc, str(exc))
            return None
        for name in template.names:
            _, reason = read_path(self.model, "Product2", name)
            if reason:
                self.report(loc, reason)
        if not template.names:
            self.report(loc, "must use at least one Product2 field, such as {ProductCode}")
        return template


class SubscriptionFieldsBuilder(FileBuilder):
    """subscription_fields.toml → SubscriptionFields (which org field holds each role)."""

    def build(self) -> SubscriptionFields | None:
        """The renames, or None when the file has problems."""
        self.parse(SubscriptionFieldsFile, self.raw, ())
        given = self.section("fields") or {}
        for role in given.keys() - ROLES.keys():
            self.report(("fields", role), f"unknown role {role!r}{did_you_mean(role, ROLES)}; "
                                          f"the roles are {', '.join(ROLES)}")
        renamed: dict[str, str] = {}
        taken: dict[str, str] = {}
        for role, spec in ROLES.items():
            loc: Loc = ("fields", role) if role in given else ("fields",) if given else ()
            name = given.get(role, spec.shipped)
            if not isinstance(name, str):
                self.report(loc, f"must be the name of a {OBJECT} field, in quotes")
                continue
            if name in taken:
                self.report(loc, f"{name} already holds {taken[name]}; each role needs its own "
                                 "field")
                continue
            taken[name] = role
            relationship = self._field(loc, role, name, given=role in given)
            if name != spec.shipped:
                renamed[spec.shipped] = name
            shipped_relationship = spec.shipped.replace("__c", "__r")
            if relationship is not None and relationship != shipped_relationship:
                renamed[shipped_relationship] = relationship
        if self.problems:
            return None
        return SubscriptionFields(renamed)

    def _field(self, loc: Loc, role: str, name: str, *, given: bool) -> str | None:
        """Check that ``name`` can hold ``role``; return its relationship name if a lookup."""
        resolved, reason = read_path(self.model, OBJECT, name)
        if reason or resolved is None or resolved.field is None:
            reason = reason or f"{name!r} is not a field of {OBJECT}"
            if not given:
                reason = f"{role} is not given, so it is the shipped {name}, but {reason}"
            self.report(loc, reason)
            return None
        info, wanted = resolved.field, ROLES[role].kind
        for writes in ("create", "update"):  # the daemon upserts every role's field
            self._check(loc, writable_problem(resolved, OBJECT, writes))
        is_reference = info.type == "reference"
        if wanted == "reference" and not is_reference:
            self.report(loc, f"{name} is a {info.type} field; {role} ({ROLES[role].meaning}) "
                             "needs a lookup")
        elif wanted != "reference" and (is_reference or info.kind != wanted):
            self.report(loc, f"{name} is a {info.type} field; {role} ({ROLES[role].meaning}) "
                             f"needs {_FIELD_KINDS[wanted]} field")
        return info.relationship_name if is_reference else None


_FIELD_KINDS = {"text": "a text or picklist", "number": "a number or currency",
                "bool": "a checkbox", "date": "a date"}


class ObjectBuilder(FileBuilder):
    """An object or generation mapping file → ObjectMapping / GenerationMapping."""

    def __init__(  # noqa: PLR0917 - one builder per file, built in one place
        self, role: Role, label: str, text: str, raw: dict[str, Any],
        model: DataModel, catalog: Catalog | None,
    ) -> None:
        super().__init__(label, text, raw, model)
        self.role = role
        self.catalog = catalog

    def build(self) -> ObjectMapping | None:
        """The mapping, or None when the file has problems."""
        generation = self.role.kind == "generation"
        self.parse(GenerationFile if generation else ObjectFile, self.raw, ())
        header = self._header()
        context = self._context(header)
        trigger = self._trigger() if generation else None
        fields = self._fields(context)
        filter_ = self._filter(header, context)
        if self.problems or header is None:
            return None
        name = self.label.rpartition("/")[2]
        if not isinstance(header, GenerationHeader) or trigger is None:
            return ObjectMapping(name, header.source, header.target, fields, filter_)
        return GenerationMapping(name, header.source, header.target, fields, filter_,
                                 per=header.per, trigger=Trigger(name, trigger))

    def _header(self) -> Header | None:
        model = GenerationHeader if self.role.kind == "generation" else Header
        raw = self.section("mapping")
        header: Header | None = None if raw is None else self.parse(model, raw, ("mapping",))
        if header is None:
            return None
        self._check_object("source", header.source, self.role.source)
        self._check_object("target", header.target, self.role.target)
        if header.default_owner is not None:
            self._check(("mapping", "default_owner"), choice(header.default_owner, OWNERS, "owner"))
        if isinstance(header, GenerationHeader):
            self._check(("mapping", "per"), choice(header.per, PER_VALUES, "value"))
        return header

    def _check_object(self, key: str, value: str, required: str | None) -> None:
        loc: Loc = ("mapping", key)
        if required is not None and value != required:
            self.report(loc, f"must be {required!r} in {self.role.file}")
        elif required is None:
            self._check(loc, object_problem(self.model, value, salesforce_only=True))

    def _context(self, header: Header | None) -> FieldContext:
        source = self.role.source or (header.source if header else None)
        target = self.role.target or (header.target if header else None)
        owner = (header.default_owner if header else None) or self.role.default_owner
        return FieldContext(
            model=self.model,
            source=source if source and self.model.has_object(source) else None,
            target=target if target and self.model.has_object(target) else None,
            writes=self.role.writes, default_owner=owner, catalog=self.catalog,
        )

    def _trigger(self) -> Expression | None:
        table = self.section("trigger")
        parsed = None if table is None else self.parse(TriggerTable, table, ("trigger",))
        if parsed is None:
            return None
        return self._expression(("trigger", "when"), parsed.when, TRIGGER_OBJECT)

    def _filter(self, header: Header | None, context: FieldContext) -> Expression | None:
        if header is None or header.filter is None or context.source is None:
            return None
        return self._expression(("mapping", "filter"), header.filter, context.source)

    def _expression(self, loc: Loc, text: str, obj: str) -> Expression | None:
        try:
            expression = compile_expression(text)
        except ExpressionError as exc:
            self.report(loc, str(exc))
            return None
        for name in expression.names:
            _, reason = read_path(self.model, obj, name)
            self._check(loc, reason)
        return expression

    def _fields(self, context: FieldContext) -> tuple[FieldMapping, ...]:
        built: list[FieldMapping] = []
        seen: set[str] = set()
        for target, raw in _field_tables(self.section("fields") or {}):
            if target in seen:
                self.report(("fields", target), "is mapped twice")
            seen.add(target)
            mapped = FieldBuilder(context, self.report, target).build(raw)
            if mapped is not None:
                built.append(mapped)
        if not seen and self.section("fields") is not None:
            self.report(("fields",), "maps no field")
        return tuple(built)


def _field_tables(fields: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every ``[fields.<target>]`` table; nested tables of tables are dotted targets."""
    for key, value in fields.items():
        if _is_namespace(value):
            yield from _field_tables(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _is_namespace(value: Any) -> bool:
    """``[fields.metadata.x]`` makes ``metadata`` a table holding only field tables."""
    if not isinstance(value, dict) or not value or FIELD_KEYS & value.keys():
        return False
    return all(isinstance(child, dict) for child in value.values())
