"""The transforms a mapping file can name, their options, and how each becomes a pipeline step.

A pipeline step is written as a name (``"upper"``) or an inline table with options
(``{ fn = "decimal", places = 2 }``). Options whose name ends in ``_from`` are field paths of
the record being mapped (``currency_from = "Opportunity.CurrencyIsoCode"``). ``None`` passes
through every step untouched, except ``not_null``, which rejects it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from connector.mapping import money, transforms
from connector.mapping.model import Table
from connector.mapping.templates import TemplateError, compile_template
from connector.mapping.transforms import TransformError
from connector.schema.kinds import Kind, kind_of_value
from connector.schema.paths import parent_path

Reader = Callable[[Mapping[str, Any], str], Any]


class LookupKeys(Protocol):
    """What the ``lookup_key`` transform needs from the catalog."""

    def lookup_key(self, product_row: Mapping[str, Any]) -> str:
        """The Stripe price lookup key of a Product2 record."""
        ...

    @property
    def names(self) -> tuple[str, ...]:
        """The Product2 fields the catalog's lookup-key template reads."""
        ...


@dataclass(frozen=True)
class StepInput:
    """What a step may look at besides its value: the whole record and how to read it."""

    row: Mapping[str, Any]
    read: Reader

    def get(self, path: str) -> Any:
        """The value at ``path`` of the record."""
        return self.read(self.row, path)


Step = Callable[[Any, StepInput], Any]


@dataclass(frozen=True)
class BuildInfo:
    """What building a step may need: the field's first ``from`` path and the catalog."""

    from_path: str | None
    catalog: LookupKeys | None


class Options(Table):
    """Options of a transform; ``problems`` reports rules across options."""

    def problems(self, name: str) -> list[tuple[str | None, str]]:
        """``(option or None, reason)`` for each broken cross-option rule."""
        return []


class NoOptions(Options):
    """A transform without options."""


class DecimalOptions(Options):
    """``decimal``: ``places`` rounds half-even to that many decimals."""

    places: int | None = None

    def problems(self, name: str) -> list[tuple[str | None, str]]:
        """Places must be 0..12."""
        if self.places is not None and not 0 <= self.places <= 12:
            return [("places", "must be between 0 and 12")]
        return []


class CurrencyOptions(Options):
    """A currency as a code (``currency = "USD"``) or a field path (``currency_from``)."""

    currency: str | None = None
    currency_from: str | None = None

    def problems(self, name: str) -> list[tuple[str | None, str]]:
        """Exactly one of currency/currency_from; a code must be three letters."""
        if (self.currency is None) == (self.currency_from is None):
            given = "not both" if self.currency else 'e.g. currency = "USD"'
            reason = f'{name} needs currency = "<code>" or currency_from = "<path>", {given}'
            return [(None, reason)]
        if self.currency is not None:
            try:
                money.currency_exponent(self.currency)
            except TransformError as exc:
                return [("currency", str(exc))]
        return []

    def currency_of(self, source: StepInput) -> str:
        """The currency code for this record.

        Raises:
            TransformError: the currency field is empty.
        """
        code = self.currency or source.get(self.currency_from or "")
        if not code:
            raise TransformError(f"no currency: {self.currency_from} is empty")
        return str(code)


class ToMinorOptions(CurrencyOptions):
    """``to_minor``: ``rounding = "exact"`` (default, inexact is an error) or ``"half_even"``."""

    rounding: str = "exact"

    def problems(self, name: str) -> list[tuple[str | None, str]]:
        """Rounding is exact or half_even."""
        found = super().problems(name)
        if self.rounding not in ("exact", "half_even"):
            found.append(("rounding", 'must be "exact" or "half_even"'))
        return found


class RecurringOptions(CurrencyOptions):
    """``mrr``/``arr``: optional discounts read from ``percent_off_from``/``amount_off_from``."""

    percent_off_from: str | None = None
    amount_off_from: str | None = None



class MapOptions(Options):
    """``map``: ``values``, and ``default`` or ``on_unknown = "error"`` (one is required)."""

    values: dict[str, Any]
    default: Any = None
    on_unknown: str | None = None

    def problems(self, name: str) -> list[tuple[str | None, str]]:
        """One of default/on_unknown, and on_unknown can only be "error"."""
        has_default = "default" in self.model_fields_set
        if self.on_unknown is not None and self.on_unknown != "error":
            return [("on_unknown", 'can only be "error"')]
        if has_default and self.on_unknown is not None:
            return [(None, 'map takes default = <value> or on_unknown = "error", not both')]
        if not has_default and self.on_unknown is None:
            return [(None, 'map needs default = <value> or on_unknown = "error" '
                           "for values it does not list")]
        return []


class TemplateOptions(Options):
    """``template``: text with ``{path}`` placeholders; ``{value}`` is the value so far."""

    template: str

    def problems(self, name: str) -> list[tuple[str | None, str]]:
        """The template parses."""
        try:
            compile_template(self.template)
        except TemplateError as exc:
            return [("template", str(exc))]
        return []


@dataclass(frozen=True)
class TransformSpec:
    """A transform as mapping files name it.

    Attributes:
        name: as written in ``transform``.
        summary: one line for the docs and ``mappings check``.
        options: the options model.
        make: builds the step from validated options.
        accepts: kinds of input it can take (None: any).
        produces: kind of its output (None: same as its input).
        null_aware: receives None instead of passing it on.
    """

    name: str
    summary: str
    options: type[Options]
    make: Callable[[Any, BuildInfo], Step]
    accepts: frozenset[Kind] | None = None
    produces: Kind | None = None
    null_aware: bool = False


def _simple(fn: Callable[[Any], Any]) -> Callable[[Any, BuildInfo], Step]:
    return lambda options, build: lambda value, source: fn(value)


def _recurring(fn: Callable[..., Decimal]) -> Callable[[Any, BuildInfo], Step]:
    def make(options: RecurringOptions, build: BuildInfo) -> Step:
        def step(value: Any, source: StepInput) -> Decimal:
            percent = source.get(options.percent_off_from) if options.percent_off_from else None
            amount = source.get(options.amount_off_from) if options.amount_off_from else None
            return fn(
                money.stripe_items(value),
                options.currency_of(source),
                None if percent is None else transforms.to_decimal(percent),
                None if amount is None else transforms.to_int(amount),
            )
        return step
    return make


def _map(options: MapOptions, build: BuildInfo) -> Step:
    error = options.on_unknown == "error"
    return lambda value, source: transforms.map_value(value, options.values, options.default, error)


def _template(options: TemplateOptions, build: BuildInfo) -> Step:
    template = compile_template(options.template)

    def step(value: Any, source: StepInput) -> str:
        return template.render(lambda path: value if path == "value" else source.get(path))
    return step


def _lookup_key(options: NoOptions, build: BuildInfo) -> Step:
    catalog = build.catalog
    product_path = parent_path(build.from_path or "")

    def step(value: Any, source: StepInput) -> str:
        if catalog is None:
            raise TransformError("lookup_key needs the catalog (catalog.toml)")
        product = source.get(product_path) if product_path else source.row
        row = dict(product) if isinstance(product, Mapping) else {}
        return catalog.lookup_key({**row, "ProductCode": value})
    return step


def _to_minor(options: ToMinorOptions, build: BuildInfo) -> Step:
    rounding: money.Rounding = "half_even" if options.rounding == "half_even" else "exact"
    return lambda value, source: money.to_minor(value, options.currency_of(source), rounding)


def _from_minor(options: CurrencyOptions, build: BuildInfo) -> Step:
    return lambda value, source: money.from_minor(value, options.currency_of(source))


def _decimal(options: DecimalOptions, build: BuildInfo) -> Step:
    return lambda value, source: transforms.to_decimal(value, options.places)


def _not_null(options: NoOptions, build: BuildInfo) -> Step:
    def step(value: Any, source: StepInput) -> Any:
        if value is None:
            raise TransformError("is required but the source is empty")
        return value
    return step


_NUMERIC: frozenset[Kind] = frozenset({"number", "text"})
_TEMPORAL: frozenset[Kind] = frozenset({"text", "date", "datetime"})
_TEXT: frozenset[Kind] = frozenset({"text"})

TRANSFORMS: dict[str, TransformSpec] = {spec.name: spec for spec in (
    TransformSpec("int", "whole number; 2.0 → 2, 2.5 is an error", NoOptions,
                  _simple(transforms.to_int), _NUMERIC, "number"),
    TransformSpec("decimal", "Decimal; places = N rounds half-even", DecimalOptions, _decimal,
                  _NUMERIC, "number"),
    TransformSpec("to_minor", "major units → integer minor units of the currency",
                  ToMinorOptions, _to_minor, _NUMERIC, "number"),
    TransformSpec("from_minor", "integer minor units → Decimal major units", CurrencyOptions,
                  _from_minor, _NUMERIC, "number"),
    TransformSpec("date", "calendar date from Salesforce/ISO text", NoOptions,
                  _simple(transforms.parse_date), _TEMPORAL, "date"),
    TransformSpec("datetime", "timezone-aware UTC datetime; naive is an error", NoOptions,
                  _simple(transforms.parse_datetime), _TEMPORAL, "datetime"),
    TransformSpec("unix_seconds", "date/datetime → Unix seconds (a date is midnight UTC)",
                  NoOptions, _simple(transforms.unix_seconds), _TEMPORAL, "number"),
    TransformSpec("date_from_unix", "Unix seconds → UTC date", NoOptions,
                  _simple(transforms.date_from_unix), _NUMERIC, "date"),
    TransformSpec("datetime_from_unix", "Unix seconds → UTC datetime", NoOptions,
                  _simple(transforms.datetime_from_unix), _NUMERIC, "datetime"),
    TransformSpec("sf_date", "date as Salesforce text 2026-11-22", NoOptions,
                  _simple(transforms.sf_date), _TEMPORAL, "date"),
    TransformSpec("sf_datetime", "datetime as Salesforce text 2026-11-22T10:00:00.000+0000",
                  NoOptions, _simple(transforms.sf_datetime), _TEMPORAL, "datetime"),
    TransformSpec("map", "look the value up in values; default or on_unknown = \"error\"",
                  MapOptions, _map),
    TransformSpec("trim", "text without surrounding whitespace", NoOptions,
                  _simple(transforms.trim), _TEXT, "text"),
    TransformSpec("upper", "text in upper case", NoOptions, _simple(transforms.upper), _TEXT,
                  "text"),
    TransformSpec("lower", "text in lower case", NoOptions, _simple(transforms.lower), _TEXT,
                  "text"),
    TransformSpec("template", "text from a template; {value} is the value so far",
                  TemplateOptions, _template, None, "text"),
    TransformSpec("mrr", "monthly recurring revenue of Stripe subscription items",
                  RecurringOptions, _recurring(money.monthly_amount), None, "number"),
    TransformSpec("arr", "annual recurring revenue of Stripe subscription items",
                  RecurringOptions, _recurring(money.annual_amount), None, "number"),
    TransformSpec("lookup_key", "a product's Stripe price lookup key (catalog.toml)",
                  NoOptions, _lookup_key, _TEXT, "text"),
    TransformSpec("bool", "true/false from true/false, yes/no, 1/0", NoOptions,
                  _simple(transforms.to_bool), None, "bool"),
    TransformSpec("not_null", "an empty value is an error instead of null", NoOptions,
                  _not_null, None, None, null_aware=True),
)}


def map_output_kind(options: MapOptions) -> Kind:
    """The kind a ``map`` produces: that of its values when they agree, else any."""
    results = list(options.values.values())
    if "default" in options.model_fields_set and options.default is not None:
        results.append(options.default)
    kinds = {kind_of_value(value) for value in results}
    return kinds.pop() if len(kinds) == 1 else "any"


def run_steps(steps: tuple[tuple[TransformSpec, Step], ...], value: Any, source: StepInput) -> Any:
    """Pass ``value`` through ``steps``; None skips every step that is not null-aware."""
    for spec, step in steps:
        if value is not None or spec.null_aware:
            value = step(value, source)
    return value
