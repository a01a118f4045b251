"""The runtime mapping objects the sync engine calls: built by the loader, immutable.

``apply`` turns one source record into target values (nested for dotted targets such as
``items.0.price``); a value that cannot be mapped raises :class:`MappingError`, a
:class:`~connector.errors.SkippableError` naming the file, the field and the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Protocol, Self

from connector.mapping.expressions import Expression, ExpressionError
from connector.mapping.licence_object import LicenceMapping
from connector.mapping.problems import MappingError
from connector.mapping.steps import Reader, Step, StepInput, TransformSpec, run_steps
from connector.mapping.subscription_fields import SubscriptionFields
from connector.mapping.templates import Template
from connector.mapping.transforms import TransformError
from connector.schema.paths import ORG_PREFIX, get_path, is_org_path, set_path

OPPORTUNITY_PREFIX = "Opportunity."


class LinkResolver(Protocol):
    """Finds the external id of a record linked to the one being mapped."""

    def external_id(
        self, entity: str, system: str, object_type: str, row: Mapping[str, Any]
    ) -> str | None:
        """The id in ``system`` of the ``entity`` linked to ``row``, or None if not linked yet.

        Example: entity ``account``, system ``stripe``, object ``customer`` → the Stripe
        customer id of this record's account.
        """
        ...


@dataclass(frozen=True)
class Link:
    """A ``link = { entity, system, object }`` value source."""

    entity: str
    system: str
    object_type: str


def read_line_item_scope(row: Mapping[str, Any], path: str) -> Any:
    """Read ``path`` of a line-item path list from an *opportunity* row.

    ``Opportunity.X`` reads ``X`` of the row itself; any other (line item) path is null.
    """
    if path.startswith(OPPORTUNITY_PREFIX):
        return get_path(row, path.removeprefix(OPPORTUNITY_PREFIX))
    return None


@dataclass(frozen=True)
class FieldMapping:
    """How one target field gets its value.

    Attributes:
        target: the target field or (dotted) parameter name.
        owner: which side wins a conflict: salesforce, stripe, ledger or latest.
        reads: the source paths this field reads, for SELECT lists.
        optional: the ``from`` paths marked optional (``X?``): the org may lack them, and
            then they are not selected and read as empty.
    """

    target: str
    owner: str
    reads: tuple[str, ...]
    from_paths: tuple[str, ...] = ()
    const: Any = None
    template: Template | None = None
    link: Link | None = None
    default: Any = None
    steps: tuple[tuple[TransformSpec, Step], ...] = ()
    optional: frozenset[str] = frozenset()

    def value(
        self, row: Mapping[str, Any], links: LinkResolver | None, read: Reader = get_path
    ) -> Any:
        """The mapped value for ``row``, reading paths with ``read``.

        Raises:
            TransformError: a transform rejected the value, or a link has no resolver.
        """
        value = self._raw(row, links, read)
        if value is None:
            value = self.default
        return run_steps(self.steps, value, StepInput(row, read))

    def _raw(self, row: Mapping[str, Any], links: LinkResolver | None, read: Reader) -> Any:
        if self.template is not None:
            return self._render(self.template, row, read)
        if self.link is not None:
            return self._linked(row, links)
        for path in self.from_paths:
            found = read(row, path)
            if found is not None:
                return found
        return self.const

    @staticmethod
    def _render(template: Template, row: Mapping[str, Any], read: Reader) -> str | None:
        if template.names and all(read(row, name) is None for name in template.names):
            return None
        return template.render(lambda path: read(row, path))

    def _linked(self, row: Mapping[str, Any], links: LinkResolver | None) -> str | None:
        assert self.link is not None
        if links is None:
            raise TransformError("is a link, but no link resolver was given to apply()")
        link = self.link
        return links.external_id(link.entity, link.system, link.object_type, row)


@dataclass(frozen=True)
class ObjectMapping:
    """One mapping file: records of ``source`` become values for ``target``.

    Attributes:
        file: the file name (``stripe_to_subscription.toml``).
        source: the object read (``Subscription__c``, ``stripe.subscription``).
        target: the object written.
        fields: every mapped field, in file order.
        filter: records for which this is false are not mapped (None: all are).
        source_names: the org's ``Subscription__c`` field names when this mapping reads
            ``Subscription__c`` rows: its paths are written in them, the rows it is given
            carry the shipped names (see :mod:`connector.mapping.subscription_fields`).
    """

    file: str
    source: str
    target: str
    fields: tuple[FieldMapping, ...]
    filter: Expression | None = None
    source_names: SubscriptionFields | None = None
    organization: Mapping[str, Any] = field(default_factory=dict)

    def source_paths(self) -> list[str]:
        """Every source path read, in file order without duplicates (for SOQL SELECT lists)."""
        paths = [path for mapped in self.fields for path in mapped.reads]
        if self.filter is not None:
            paths += self.filter.names
        return list(dict.fromkeys(paths))

    def optional_paths(self) -> frozenset[str]:
        """The source paths the org may lack (marked ``X?``); :meth:`source_paths` has them."""
        return frozenset(path for mapped in self.fields for path in mapped.optional)

    def with_organization(self, values: Mapping[str, Any]) -> Self:
        """This mapping reading ``$Organization.X`` paths from ``values`` (the org's record)."""
        return replace(self, organization=dict(values))

    def organization_fields(self) -> list[str]:
        """The ``Organization`` fields this mapping reads (``$Organization.X``)."""
        return sorted({path.removeprefix(ORG_PREFIX) for mapped in self.fields
                       for path in mapped.from_paths if is_org_path(path)})

    def apply(self, row: Mapping[str, Any], links: LinkResolver | None = None) -> dict[str, Any]:
        """The target values for ``row``, nested for dotted targets; nulls are kept.

        Raises:
            MappingError: a field could not be mapped (names the file, field and reason).
        """
        result: dict[str, Any] = {}
        read = self.reader()
        for mapped in self.fields:
            try:
                set_path(result, mapped.target, mapped.value(row, links, read))
            except TransformError as exc:
                raise MappingError(self.file, mapped.target, str(exc)) from exc
        return result

    def accepts(self, row: Mapping[str, Any], *, today: date | None = None) -> bool:
        """Whether ``row`` passes the ``[mapping] filter`` (always, without one).

        Raises:
            MappingError: the filter failed on this record.
        """
        if self.filter is None:
            return True
        try:
            return self.filter.with_reader(self.reader()).matches(row, today=today)
        except ExpressionError as exc:
            raise MappingError(self.file, None, f"mapping.filter: {exc}") from exc

    def reader(self) -> Reader:
        """How this mapping reads a path of its source rows (and ``$Organization.X``)."""
        names = self.source_names
        if names is None or not names.renamed:
            return self._org_reader(get_path)
        return self._org_reader(lambda row, path: get_path(row, names.shipped(path)))

    def _org_reader(self, read: Reader) -> Reader:
        organization = self.organization

        def org_or_row(row: Mapping[str, Any], path: str) -> Any:
            if is_org_path(path):
                return organization.get(path.removeprefix(ORG_PREFIX))
            return read(row, path)

        return org_or_row

    def with_shipped_targets(self, names: SubscriptionFields) -> ObjectMapping:
        """This mapping writing the shipped names of the org's ``Subscription__c`` fields."""
        renamed = tuple(replace(f, target=names.shipped(f.target)) for f in self.fields)
        return replace(self, fields=renamed)

    def owner_of(self, target_field: str) -> str:
        """The owner of ``target_field``.

        Raises:
            KeyError: the field is not mapped in this file.
        """
        for mapped in self.fields:
            if mapped.target == target_field:
                return mapped.owner
        raise KeyError(f"{self.file} does not map {target_field!r}")

    def mapping_of(self, target_field: str) -> FieldMapping:
        """The mapping of ``target_field``.

        Raises:
            KeyError: the field is not mapped in this file.
        """
        for mapped in self.fields:
            if mapped.target == target_field:
                return mapped
        raise KeyError(f"{self.file} does not map {target_field!r}")


@dataclass(frozen=True)
class Trigger:
    """``[trigger] when``: whether an opportunity generates potential subscriptions."""

    file: str
    expression: Expression

    @property
    def when(self) -> str:
        """The expression as written."""
        return self.expression.text

    def source_paths(self) -> list[str]:
        """The Opportunity fields the expression reads."""
        return list(self.expression.names)

    def matches(self, opportunity_row: Mapping[str, Any], *, today: date | None = None) -> bool:
        """Whether the opportunity triggers generation (any truthy value does).

        Raises:
            MappingError: the expression failed on this opportunity.
        """
        try:
            return self.expression.matches(opportunity_row, today=today)
        except ExpressionError as exc:
            raise MappingError(self.file, None, f"trigger.when: {exc}") from exc


@dataclass(frozen=True)
class GenerationMapping(ObjectMapping):
    """opportunity_to_subscription.toml: won opportunities become potential subscriptions.

    With ``per = "line_item"`` each source row is an OpportunityLineItem with its Opportunity
    nested; with ``per = "opportunity"`` each row is an Opportunity: ``Opportunity.X`` paths
    read the row itself and line-item paths are null, so one field list serves both.

    Attributes:
        per: ``line_item`` or ``opportunity``.
        trigger: when an opportunity generates.
    """

    per: str = "line_item"
    trigger: Trigger | None = None

    def reader(self) -> Reader:
        """Per opportunity, ``Opportunity.X`` reads the row itself and line-item paths are null."""
        return self._org_reader(read_line_item_scope if self.per == "opportunity" else get_path)


    @property
    def source_object(self) -> str:
        """The object whose rows ``apply`` receives: OpportunityLineItem or Opportunity."""
        return "Opportunity" if self.per == "opportunity" else self.source

    def source_paths(self) -> list[str]:
        """Source paths relative to the rows ``apply`` receives (see ``source_object``)."""
        if self.per != "opportunity":
            return super().source_paths()
        paths = super().source_paths()
        prefix = OPPORTUNITY_PREFIX
        return list(dict.fromkeys(p.removeprefix(prefix) for p in paths if p.startswith(prefix)))


@dataclass(frozen=True)
class Catalog:
    """catalog.toml: which Stripe price (by lookup key) bills each product.

    Attributes:
        file: the file name.
        template: the default lookup key, a template over Product2 fields.
        overrides: ProductCode → lookup key, for products that do not follow the template.
    """

    file: str
    template: Template
    overrides: Mapping[str, str]

    @property
    def names(self) -> tuple[str, ...]:
        """The Product2 fields the template reads."""
        return self.template.names

    def lookup_key(self, product_row: Mapping[str, Any]) -> str:
        """The lookup key of the Stripe price for ``product_row`` (a Product2 record).

        Raises:
            MappingError: a field the template needs is empty.
        """
        code = product_row.get("ProductCode")
        if isinstance(code, str) and code in self.overrides:
            return self.overrides[code]
        empty = [name for name in self.names if get_path(product_row, name) in (None, "")]
        if empty:
            reason = f"the product has no {', '.join(empty)}, so it has no price lookup key"
            raise MappingError(self.file, None, reason)
        return self.template.render(lambda path: get_path(product_row, path))


@dataclass(frozen=True)
class MappingSet:
    """Every mapping file, validated together.

    Attributes:
        directory: where the files were read.
        digest: sha256 over the files (name and bytes, sorted by name); shown in ``status``.
        subscription_fields: the org's names of the ``Subscription__c`` fields the daemon
            keeps (subscription_fields.toml).
        license: where licences are read and the Account summary written (license.toml);
            None when the file is absent (licences are not tracked).
    """

    directory: Path
    digest: str
    opportunity_to_subscription: GenerationMapping
    account_to_customer: ObjectMapping
    subscription_to_stripe: ObjectMapping
    stripe_to_subscription: ObjectMapping
    catalog: Catalog
    subscription_fields: SubscriptionFields = field(default_factory=SubscriptionFields)
    license: LicenceMapping | None = None
