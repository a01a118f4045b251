"""Pending opportunities become potential subscriptions (``opportunity_to_subscription.toml``).

The read steps (:mod:`connector.inbound.salesforce.opportunities`) leave the opportunities to
generate as ``pending`` in the ledger, with the records of the opportunity and its line items as
read. This step takes them a chunk at a time and, in one ledger transaction per chunk: creates one
subscription per line item that has none yet (one per opportunity without items), each with an
outbox upsert of its ``Subscription__c`` and a journal entry; queues one notification per
opportunity listing the new ones for its CSM (sent as one digest per CSM); dead-letters rows the
mapping rejects; and marks the opportunities ``done``. A crash between chunks leaves the rest
pending for the next run; nothing is generated twice (one subscription per line item).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from simple_salesforce.format import format_soql
from sqlalchemy import select

from connector.errors import SkippableError
from connector.inbound import subscription_values as fields
from connector.inbound.salesforce.opportunities import Generated, mirror_product
from connector.ledger import outbox_commands as commands
from connector.ledger import webhook_events
from connector.ledger.announcements import announce
from connector.ledger.journal import diff
from connector.ledger.mirrors import salesforce_json, upsert_mirror
from connector.ledger.models import (
    Account,
    ChangeKind,
    Generation,
    LineItem,
    Opportunity,
    Product,
    Subscription,
    SubscriptionItem,
    System,
    new_ledger_id,
)
from connector.ledger.unit_of_work import PREFETCH_CHUNK, Ledger, UnitOfWork
from connector.mapping import GenerationMapping
from connector.mapping.subscription_fields import ROLES
from connector.mapping.transforms import TransformError
from connector.notify import facts
from connector.notify.facts import SalesforceRecord, SubscriptionLine
from connector.salesforce.client import SalesforceClient

IN_CHUNK = 200
CHUNK = 1000  # opportunities generated per ledger transaction
CSM_EMAIL_KIND = facts.PotentialSubscriptions.KIND
CSM = ROLES["csm"].shipped
"""The subscription field whose mapped value is the CSM who gets the email."""


class PotentialSubscriptions:
    """The potential-subscription step: generates for every pending opportunity.

    Args:
        client: the Salesforce adapter (reads the CSMs' names and emails).
        mapping: ``opportunity_to_subscription.toml``.
    """

    def __init__(self, client: SalesforceClient, mapping: GenerationMapping) -> None:
        self._client = client
        self._mapping = mapping
        self._users: dict[str, dict[str, Any]] = {}

    def run(self, ledger: Ledger) -> Generated:
        """Generate for the pending opportunities, a chunk per transaction."""
        result = Generated()
        after = ""
        while True:
            with ledger.unit() as uow:
                rows = self._pending(uow, after)
            if not rows:
                return result
            self._fetch_users({self._csm_of(row) for row in rows})
            with ledger.unit() as uow:
                existing = _prefetch(uow, rows)
                for row in rows:
                    self._generate_row(uow, row, result, existing)
            after = rows[-1].ledger_id
            if len(rows) < CHUNK:
                return result

    def _pending(self, uow: UnitOfWork, after: str) -> list[Row]:
        opportunities = list(uow.session.scalars(
            select(Opportunity).where(Opportunity.generation == Generation.PENDING,
                                      Opportunity.deleted_at.is_(None),
                                      Opportunity.id > after)
            .order_by(Opportunity.id).limit(CHUNK)))
        items: dict[str, list[dict[str, Any]]] = {o.id: [] for o in opportunities}
        if self._mapping.per != "opportunity" and opportunities:
            query = select(LineItem.opportunity_id, LineItem.record).where(
                LineItem.opportunity_id.in_(list(items)), LineItem.deleted_at.is_(None),
                LineItem.record.is_not(None))
            for opportunity_id, record in uow.session.execute(query.order_by(LineItem.id)):
                items[opportunity_id].append(dict(record))
        return [Row(o.id, dict(o.record or {}), items[o.id]) for o in opportunities
                if o.record]

    def _csm_of(self, row: Row) -> str | None:
        """The CSM the mapping assigns to the row's first subscription: the email's recipient.

        None when the mapping assigns none or cannot map the row (generation then
        dead-letters it with the reason).
        """
        try:
            csm = self._mapping.mapping_of(CSM)
            value = csm.value(row.sources(self._mapping.per)[0], None, self._mapping.reader())
        except (KeyError, TransformError):
            return None
        return str(value) if value else None

    def _fetch_users(self, user_ids: set[str | None]) -> None:
        ids = sorted(u for u in user_ids if u and u not in self._users)
        for start in range(0, len(ids), IN_CHUNK):
            soql = format_soql("SELECT Id, Name, Email FROM User WHERE Id IN {}",
                               ids[start:start + IN_CHUNK])
            self._users.update({user["Id"]: user for user in self._client.query(soql)})

    def _generate_row(self, uow: UnitOfWork, row: Row, result: Generated,
                      existing: _Existing) -> None:
        opportunity = uow.get(Opportunity, row.ledger_id)
        if opportunity is None:
            return
        account = uow.get(Account, opportunity.account_id) if opportunity.account_id else None
        row.csm = self._users.get(self._csm_of(row) or "", {})
        self._generate(uow, row, account, opportunity, result=result, existing=existing)
        opportunity.generation = Generation.DONE

    def _generate(self, uow: UnitOfWork, row: Row, account: Account | None,
                  opportunity: Opportunity, *, result: Generated, existing: _Existing) -> None:
        lines: list[SubscriptionLine] = []
        for source in row.sources(self._mapping.per):
            try:
                line = self._generate_one(uow, source, account, opportunity, existing)
            except SkippableError as exc:
                uow.dead_letter("potential_subscription", source.get("Id") or row.id,
                                str(exc), exc.code, salesforce_json(source))
                result.dead_letters += 1
                continue
            if line is not None:
                lines.append(line)
                result.subscriptions.append(line.ledger_id)
        if lines:
            result.notifications.append(_queue_email(uow, row, opportunity, account, lines))

    def _generate_one(self, uow: UnitOfWork, source: Mapping[str, Any], account: Account | None,
                      opportunity: Opportunity, existing: _Existing) -> SubscriptionLine | None:
        line_item_sf_id = source.get("Id") if "OpportunityId" in source else None
        if existing.has(uow, opportunity, line_item_sf_id):
            return None
        values = self._mapping.apply(source)
        ledger_values = fields.from_salesforce(values)
        product = mirror_product(uow, source)
        line_item = _mirror_line_item(uow, source, opportunity, product, ledger_values)
        subscription = _create_subscription(uow, ledger_values, account=account,
                                            opportunity=opportunity, line_item=line_item,
                                            product=product)
        existing.add(subscription)
        webhook_events.queue(uow, webhook_events.potential_created(uow, subscription))
        commands.enqueue(uow, commands.SubscriptionWrite(
            subscription.id, salesforce_json(values), "generate"), fresh=True)
        return _line(subscription.id, source, product, ledger_values)


@dataclass
class Row:
    """A pending opportunity as last read, with its line items and its CSM's user record."""

    ledger_id: str
    opportunity: dict[str, Any]
    line_items: list[dict[str, Any]]
    csm: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The opportunity's Salesforce id."""
        return str(self.opportunity["Id"])

    def sources(self, per: str) -> list[dict[str, Any]]:
        """The rows the mapping applies to: the line items, or the opportunity itself.

        Each line item carries its opportunity under ``Opportunity`` (as a SOQL relationship
        would). An opportunity without line items under ``per = "line_item"`` is wrapped as a
        line item whose own fields are empty, so its ``Opportunity.`` paths still resolve.
        """
        if per == "opportunity":
            return [self.opportunity]
        items = [{**item, "Opportunity": self.opportunity} for item in self.line_items]
        return items or [{"Opportunity": self.opportunity}]


def _prefetch(uow: UnitOfWork, rows: list[Row]) -> _Existing:
    """The chunk's opportunities, accounts, line items and products in a few queries instead
    of a few per row; returns which of them already have subscriptions."""
    ids = [r.ledger_id for r in rows]
    for start in range(0, len(ids), PREFETCH_CHUNK):
        chunk = ids[start:start + PREFETCH_CHUNK]
        opportunities = list(uow.session.scalars(select(Opportunity).where(
            Opportunity.id.in_(chunk))))
        accounts = sorted({o.account_id for o in opportunities if o.account_id})
        list(uow.session.scalars(select(Account).where(Account.id.in_(accounts))))
    items = [i for r in rows for i in r.line_items]
    uow.prefetch(System.SALESFORCE, "OpportunityLineItem", LineItem,
                 [str(i["Id"]) for i in items if i.get("Id")])
    uow.prefetch(System.SALESFORCE, "Product2", Product,
                 [str(i["Product2Id"]) for i in items if i.get("Product2Id")])
    line_items = [uow.entity_for(System.SALESFORCE, "OpportunityLineItem", str(i["Id"]))
                  for i in items if i.get("Id")]
    return _Existing(_with_subscriptions(uow, Subscription.opportunity_id, ids),
                     _with_subscriptions(uow, Subscription.line_item_id,
                                         [i for i in line_items if i]))


@dataclass
class _Existing:
    """The ledger opportunities and line items of a chunk that have a subscription."""

    opportunities: set[str]
    line_items: set[str]

    def has(self, uow: UnitOfWork, opportunity: Opportunity,
            line_item_sf_id: str | None) -> bool:
        """Whether the line item (or, without one, the opportunity) has a subscription."""
        if line_item_sf_id is None:
            return opportunity.id in self.opportunities
        line_item = uow.entity_for(System.SALESFORCE, "OpportunityLineItem", line_item_sf_id)
        return line_item is not None and line_item in self.line_items

    def add(self, subscription: Subscription) -> None:
        """Note a subscription created in this chunk."""
        if subscription.opportunity_id:
            self.opportunities.add(subscription.opportunity_id)
        if subscription.line_item_id:
            self.line_items.add(subscription.line_item_id)


def _with_subscriptions(uow: UnitOfWork, column: Any, ids: list[str]) -> set[str]:
    """Those of ``ids`` that ``column`` of some subscription holds, a query per 500."""
    held: set[str] = set()
    for start in range(0, len(ids), PREFETCH_CHUNK):
        chunk = ids[start:start + PREFETCH_CHUNK]
        held.update(uow.session.scalars(select(column).where(column.in_(chunk)).distinct()))
    return held


def _mirror_line_item(uow: UnitOfWork, source: Mapping[str, Any], opportunity: Opportunity,
                      product: Product | None,
                      values: fields.SubscriptionValues) -> LineItem | None:
    if "OpportunityId" not in source:
        return None
    return upsert_mirror(uow, LineItem, "OpportunityLineItem", source["Id"], {
        "opportunity_id": opportunity.id, "product_id": product.id if product else None,
        "quantity": Decimal(values.quantity), "unit_price_minor": values.unit_amount_minor,
        "currency": values.currency, "service_date": values.start_date,
    })


def _create_subscription(uow: UnitOfWork, values: fields.SubscriptionValues, *,
                         account: Account | None, opportunity: Opportunity,
                         line_item: LineItem | None, product: Product | None) -> Subscription:
    subscription = Subscription(
        id=new_ledger_id("sub"),
        account_id=account.id if account else None, opportunity_id=opportunity.id,
        line_item_id=line_item.id if line_item else None, status=values.status,
        created_at=uow.now, updated_at=uow.now,
    )
    item = SubscriptionItem(product_id=product.id if product else None, quantity=0,
                            created_at=uow.now, updated_at=uow.now)
    fields.apply_to_ledger(values, subscription, item)
    item.subscription_id = subscription.id
    subscription.items.append(item)  # in memory: the outbound event counts its quantity
    uow.session.add_all((subscription, item))
    uow.record("subscription", subscription.id, "ledger", ChangeKind.CREATE,
               diff({}, values.as_dict()))
    return subscription


def _line(ledger_id: str, source: Mapping[str, Any], product: Product | None,
          values: fields.SubscriptionValues) -> SubscriptionLine:
    """What the CSM is told about one new subscription."""
    unit = fields.to_salesforce(values)["Unit_Price__c"]
    return SubscriptionLine(
        ledger_id=ledger_id,
        product=product.name if product else (source.get("Opportunity") or {}).get("Name"),
        quantity=values.quantity,
        unit_price=Decimal(str(unit)) if unit is not None else Decimal(0),
        currency=values.currency, start_date=values.start_date,
        term_months=values.term_months)


def _queue_email(uow: UnitOfWork, row: Row, opportunity: Opportunity, account: Account | None,
                 lines: list[SubscriptionLine]) -> str:
    """Hand the CSM's fact to notify/: one notification, sent in the CSM's next digest."""
    fact = facts.PotentialSubscriptions(
        opportunity_id=opportunity.id,
        opportunity=SalesforceRecord(opportunity.name, row.id), won=opportunity.is_won,
        account=SalesforceRecord(account.name if account else "",
                                 row.opportunity.get("AccountId")),
        csm_name=row.csm.get("Name"), csm_user_id=row.csm.get("Id"),
        csm_email=str(row.csm.get("Email") or ""), lines=tuple(lines))
    announce(uow, fact, uow.now)
    return fact.key
