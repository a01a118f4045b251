"""Build one ``[fields.<target>]`` table into a FieldMapping, reporting every problem found."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connector.mapping.mapping import Catalog, FieldMapping, Link
from connector.mapping.model import FieldTable, parse_table
from connector.mapping.problems import Loc
from connector.mapping.steps import (
    TRANSFORMS,
    BuildInfo,
    MapOptions,
    Options,
    Step,
    TransformSpec,
    map_output_kind,
)
from connector.mapping.templates import Template, TemplateError, compile_template
from connector.mapping.validate import (
    OWNERS,
    choice,
    const_problems,
    kind_problem,
    link_problems,
    picklist_problem,
    read_path,
    writable_problem,
)
from connector.schema.datamodel import STRIPE_PREFIX, DataModel, PathError, Resolved, did_you_mean
from connector.schema.kinds import KIND_NAMES, Kind, kind_of_value
from connector.schema.organization import ORGANIZATION_FIELDS
from connector.schema.paths import ORG_PREFIX, bare_path, is_optional, is_org_path, is_valid_path

Report = Callable[[Loc, str], None]
Built = tuple[TransformSpec, Step]


@dataclass(frozen=True)
class FieldContext:
    """What every field of one file is checked against.

    Attributes:
        source: the object read, or None when ``[mapping] source`` is invalid.
        target: the object written, or None when ``[mapping] target`` is invalid.
        writes: ``create`` or ``update``: which Salesforce permission a target field needs.
    """

    model: DataModel
    source: str | None
    target: str | None
    writes: str
    default_owner: str
    catalog: Catalog | None


@dataclass
class _Flow:
    """The value as it moves through a field: its kind and what produced it."""

    kind: Kind
    producer: str
    loc: Loc
    reads: list[str]
    first: Resolved | None = None
    from_path: str | None = None


class FieldBuilder:
    """Checks and builds one field; problems go to ``report`` with file-level key paths."""

    def __init__(self, context: FieldContext, report: Report, target: str) -> None:
        self.context = context
        self.target = target
        self.loc: Loc = ("fields", target)
        self._report = report
        self.failed = False

    def report(self, loc: Loc, reason: str) -> None:
        """Record a problem at ``loc`` below this field's table."""
        self.failed = True
        self._report((*self.loc, *loc), reason)

    def build(self, raw: Any) -> FieldMapping | None:
        """The FieldMapping for ``raw``, or None when anything is wrong with it."""
        found: list[tuple[Loc, str]] = []
        table = parse_table(FieldTable, raw, (), found)
        for loc, reason in found:
            self.report(loc, reason)
        if table is None:
            return None
        destination = self._destination()
        flow, template, link = self._value_source(table)
        steps = self._steps(table, flow)
        owner = self._owner(table)
        if destination is not None:
            self._fits(table, flow, destination)
        if self.failed:
            return None
        return FieldMapping(
            target=self.target, owner=owner, reads=tuple(dict.fromkeys(flow.reads)),
            from_paths=_paths(table), const=table.const, template=template, link=link,
            optional=frozenset(bare_path(p) for p in _raw_paths(table) if is_optional(p)),
            default=table.default, steps=tuple(steps),
        )

    def _destination(self) -> Resolved | None:
        target_object = self.context.target
        if target_object is None:
            return None
        try:
            resolved = self.context.model.resolve_write(target_object, self.target)
        except PathError as exc:
            self.report((), str(exc))
            return None
        if not target_object.startswith(STRIPE_PREFIX):
            reason = writable_problem(resolved, target_object, self.context.writes)
            if reason:
                self.report((), reason)
        return resolved

    def _value_source(self, table: FieldTable) -> tuple[_Flow, Template | None, Link | None]:
        given = table.sources()
        if len(given) > 1:
            found = ", ".join(given)
            reason = f"give exactly one of from, const, template, link; found {found}"
            self.report((given[1],), reason)
        if not given and "default" not in table.model_fields_set:
            self.report((), "no value: give one of from, const, template or link (or a default)")
        if "const" in given and "default" in table.model_fields_set:
            self.report(("default",), "a default is never used with const; remove one of them")
        if table.template is not None:
            return self._template(table.template), self._compiled(table.template), None
        if table.link is not None:
            return self._link(table), None, _link(table)
        if table.from_ is not None:
            return self._from(table), None, None
        key = "const" if "const" in given else "default"
        value = table.const if key == "const" else table.default
        return _Flow(kind_of_value(value), f"{key} {value!r}", (key,), []), None, None

    def _from(self, table: FieldTable) -> _Flow:
        paths = _paths(table)
        reads = [p for p in paths if not is_org_path(p)]
        flow = _Flow("any", "", ("from",), reads, from_path=paths[0] if paths else None)
        if not paths:
            self.report(("from",), "must name at least one path")
        for index, (raw, path) in enumerate(zip(_raw_paths(table), paths, strict=True)):
            loc: Loc = ("from", index) if isinstance(table.from_, list) else ("from",)
            resolved = self._org_value(loc, path) if is_org_path(path) else \
                self._read(loc, path, optional=is_optional(raw))
            if index == 0 and resolved is not None:
                flow.kind, flow.first = resolved.kind, resolved
                flow.producer = f"{self.context.source}.{path}"
        return flow

    def _org_value(self, loc: Loc, path: str) -> Resolved | None:
        name = path.removeprefix(ORG_PREFIX)
        kind = ORGANIZATION_FIELDS.get(name)
        if kind is None:
            self.report(loc, f"the Organization record has no field {name!r} the daemon reads"
                             f"{did_you_mean(name, ORGANIZATION_FIELDS)}; known: "
                             f"{', '.join(ORGANIZATION_FIELDS)}")
            return None
        return Resolved(kind, None, "Organization")

    def _read(self, loc: Loc, path: str, *, optional: bool = False) -> Resolved | None:
        if self.context.source is None:
            return None
        resolved, reason = read_path(self.context.model, self.context.source, path)
        if reason and optional and self.context.model.of_org and is_valid_path(path):
            return None  # this org lacks the optional field: the next path is read instead
        if reason:
            self.report(loc, reason)
        return resolved

    def _template(self, text: str) -> _Flow:
        try:
            template = compile_template(text)
        except TemplateError as exc:
            self.report(("template",), str(exc))
            return _Flow("text", "template", ("template",), [])
        for name in template.names:
            self._read(("template",), name)
        return _Flow("text", "template", ("template",), list(template.names))

    def _compiled(self, text: str) -> Template | None:
        try:
            return compile_template(text)
        except TemplateError:
            return None

    def _link(self, table: FieldTable) -> _Flow:
        link = table.link
        assert link is not None
        for loc, reason in link_problems(self.context.model, link.entity, link.system, link.object):
            self.report(("link", *loc), reason)
        return _Flow("text", "link", ("link",), [])

    def _owner(self, table: FieldTable) -> str:
        if table.owner is None:
            return self.context.default_owner
        reason = choice(table.owner, OWNERS, "owner")
        if reason:
            self.report(("owner",), reason)
        return table.owner

    def _steps(self, table: FieldTable, flow: _Flow) -> list[Built]:
        built: list[Built] = []
        for index, raw in enumerate(table.transform):
            step = self._step(index, raw, flow)
            if step is not None:
                built.append(step)
        return built

    def _step(self, index: int, raw: str | dict[str, Any], flow: _Flow) -> Built | None:
        loc: Loc = ("transform", index)
        spec = self._spec(loc, raw)
        if spec is None:
            return None
        options = self._options(loc, spec, raw)
        if options is None:
            return None
        self._option_paths(loc, options, flow)
        self._flow_through(loc, spec, options, flow)
        return spec, spec.make(options, BuildInfo(flow.from_path, self.context.catalog))

    def _spec(self, loc: Loc, raw: str | dict[str, Any]) -> TransformSpec | None:
        name = raw if isinstance(raw, str) else raw.get("fn")
        if not isinstance(name, str):
            self.report(loc, 'an inline step needs fn = "<transform name>"')
            return None
        spec = TRANSFORMS.get(name)
        if spec is None:
            where: Loc = loc if isinstance(raw, str) else (*loc, "fn")
            self.report(where, f"unknown transform {name!r}{did_you_mean(name, TRANSFORMS)}")
        return spec

    def _options(self, loc: Loc, spec: TransformSpec, raw: str | dict[str, Any]) -> Options | None:
        required = [n for n, f in spec.options.model_fields.items() if f.is_required()]
        if isinstance(raw, str) and required:
            keys = ", ".join(f"{name} = ..." for name in required)
            self.report(loc, f'{spec.name} needs options; write {{ fn = "{spec.name}", {keys} }}')
            return None
        given = {} if isinstance(raw, str) else {k: v for k, v in raw.items() if k != "fn"}
        found: list[tuple[Loc, str]] = []
        options = parse_table(spec.options, given, loc, found)
        for where, reason in found:
            self.report(where, _option_reason(spec, reason))
        for option, reason in options.problems(spec.name) if options else []:
            self.report((*loc, option) if option else loc, reason)
        return options if not found else None

    def _option_paths(self, loc: Loc, options: Options, flow: _Flow) -> None:
        for name, value in options:
            if name.endswith("_from") and value is not None:
                self._read((*loc, name), value)
                flow.reads.append(value)

    def _flow_through(self, loc: Loc, spec: TransformSpec, options: Options, flow: _Flow) -> None:
        if spec.accepts is not None and flow.kind != "any" and flow.kind not in spec.accepts:
            takes = " or ".join(KIND_NAMES[kind] for kind in sorted(spec.accepts))
            gets = f"{KIND_NAMES[flow.kind]} from {flow.producer}"
            self.report(loc, f"{spec.name} takes {takes}, but gets {gets}")
        if spec.name == "lookup_key":
            self._lookup_key(loc, flow)
        if isinstance(options, MapOptions):
            flow.kind = map_output_kind(options)
        else:
            flow.kind = spec.produces or flow.kind
        flow.producer, flow.loc = f"transform {spec.name!r}", loc

    def _lookup_key(self, loc: Loc, flow: _Flow) -> None:
        if flow.from_path is not None and flow.first is None:
            return  # the path itself is wrong and already reported
        if flow.first is None or flow.first.object_name != "Product2" or flow.from_path is None:
            self.report(loc, "lookup_key reads a product: from must be a Product2 field "
                             "such as Product__r.ProductCode")
            return
        parent = flow.from_path.rpartition(".")[0]
        names = self.context.catalog.names if self.context.catalog else ()
        flow.reads.extend(f"{parent}.{name}" if parent else name for name in names)

    def _fits(self, table: FieldTable, flow: _Flow, destination: Resolved) -> None:
        label = self._label()
        if not table.transform:
            self._fits_untransformed(table, flow, destination, label)
            return
        reason = kind_problem(flow.kind, flow.producer, destination, label)
        if reason:
            self.report(flow.loc, reason)
        last = table.transform[-1]
        if isinstance(last, dict) and last.get("fn") == "map" and not self.failed:
            self._map_values(flow.loc, last, destination, label)

    def _fits_untransformed(
        self, table: FieldTable, flow: _Flow, destination: Resolved, label: str
    ) -> None:
        for key in ("const", "default"):
            if key in table.model_fields_set:
                for loc, reason in const_problems(getattr(table, key), key, destination, label):
                    self.report(loc, reason)
        if table.from_ is not None and flow.producer:
            mismatch = kind_problem(flow.kind, flow.producer, destination, label)
            if mismatch:
                self.report(("from",), mismatch)

    def _map_values(
        self, loc: Loc, step: dict[str, Any], destination: Resolved, label: str
    ) -> None:
        for key, value in dict(step.get("values") or {}).items():
            reason = picklist_problem(value, destination, label)
            if reason:
                self.report((*loc, "values", key), reason)
        reason = picklist_problem(step.get("default"), destination, label)
        if reason:
            self.report((*loc, "default"), reason)

    def _label(self) -> str:
        target_object = self.context.target or ""
        if target_object.startswith(STRIPE_PREFIX):
            kind = target_object.removeprefix(STRIPE_PREFIX)
            return f"the Stripe {kind} parameter {self.target!r}"
        return f"{target_object}.{self.target}"


def _option_reason(spec: TransformSpec, reason: str) -> str:
    """Say "option" rather than "key" for transform options."""
    if not reason.startswith("unknown key"):
        return reason
    if not spec.options.model_fields:
        return f"{spec.name} takes no options"
    return reason.replace("unknown key", f"unknown option of {spec.name}", 1)


def _raw_paths(table: FieldTable) -> tuple[str, ...]:
    """The ``from`` paths as written (optional ones end with ``?``)."""
    if table.from_ is None:
        return ()
    return tuple(table.from_) if isinstance(table.from_, list) else (table.from_,)


def _paths(table: FieldTable) -> tuple[str, ...]:
    """The ``from`` paths without the optional marker."""
    return tuple(bare_path(p) for p in _raw_paths(table))


def _link(table: FieldTable) -> Link | None:
    link = table.link
    if link is None:
        return None
    return Link(link.entity, link.system, link.object or link.entity)
