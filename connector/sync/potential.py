"""Won opportunities become potential subscriptions (``opportunity_to_subscription.toml``).

Each run reads the opportunities changed since the cursor. For those the trigger accepts it
reads their line items in one query, then, in one ledger transaction: mirrors the accounts,
opportunities, products and line items; creates one subscription per line item that has none
yet (one per opportunity without items), each with an outbox upsert of its ``Subscription__c``
and a journal entry; queues one email to the CSM per opportunity listing the new ones;
dead-letters rows the mapping rejects; and advances the cursor.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from simple_salesforce.format import format_soql
from sqlalchemy import select

from connector.errors import SkippableError
from connector.ledger.journal import diff
from connector.ledger.models import (
    Account,
    ChangeKind,
    LineItem,
    Notification,
    Opportunity,
    OutboxTarget,
    Product,
    Subscription,
    SubscriptionItem,
    System,
    new_ledger_id,
)
from connector.mapping import GenerationMapping
from connector.mapping.money import to_minor
from connector.mapping.subscription_object import ROLES
from connector.mapping.transforms import TransformError
from connector.salesforce.bulk import BulkQueries
from connector.salesforce.client import SalesforceClient
from connector.salesforce.reader import (
    Cursor,
    Stream,
    parse_modstamp,
    read_batches,
    read_changes,
)
from connector.sync import subscription_fields as fields
from connector.sync.entities import salesforce_json, upsert_mirror
from connector.sync.unit_of_work import PREFETCH_CHUNK, UnitOfWork

OPPORTUNITY_FIELDS = (
    "Name", "AccountId", "Account.Name", "Account.OwnerId", "StageName",
    "IsWon", "IsClosed", "CloseDate", "Amount", "CurrencyIsoCode",
)
"""What the ledger mirrors of every opportunity; the trigger and the mapping add theirs."""
LINE_ITEM_FIELDS = ("OpportunityId", "Product2Id", "Product2.Name", "Product2.ProductCode",
                    "Quantity", "UnitPrice", "ServiceDate")
IN_CHUNK = 200
CSM_EMAIL_KIND = "csm_potential_subscriptions"
CSM = ROLES["csm"].shipped
"""The subscription field whose mapped value is the CSM who gets the email."""


@dataclass
class Generated:
    """What one run produced, for the run's log line and the demo."""

    opportunities_read: int = 0
    subscriptions: list[str] = field(default_factory=list)
    notifications: list[str] = field(default_factory=list)
    dead_letters: int = 0


class PotentialSubscriptions:
    """The potential-subscription step.

    Args:
        client: the Salesforce adapter.
        mapping: ``opportunity_to_subscription.toml``.
    """

    def __init__(self, client: SalesforceClient, mapping: GenerationMapping,
                 bulk: BulkQueries | None = None) -> None:
        self._client = client
        self._mapping = mapping
        self._bulk = bulk

    @property
    def stream(self) -> Stream:
        """Opportunities, with every field the trigger and the mapping read."""
        trigger = self._mapping.trigger.source_paths() if self._mapping.trigger else []
        return Stream("Opportunity", (*OPPORTUNITY_FIELDS, *trigger, *self._opportunity_paths()))

    def read(self, cursor: Cursor, signpost: datetime) -> tuple[list[Row], Cursor]:
        """Read changed opportunities and the line items of the triggered ones (no ledger I/O)."""
        batch = read_changes(self._client, self.stream, cursor, signpost)
        return self._rows(batch.records), batch.cursor

    def batches(self, cursor: Cursor, signpost: datetime) -> Iterator[tuple[list[Row], Cursor]]:
        """:meth:`read` in chunks, each with the cursor covering it (Bulk API above the
        threshold)."""
        for batch in read_batches(self._client, self.stream, cursor, signpost, bulk=self._bulk):
            yield self._rows(batch.records), batch.cursor

    def _rows(self, opportunities: list[dict[str, Any]]) -> list[Row]:
        triggered = [o for o in opportunities if self._triggers(o)]
        items = self._line_items([o["Id"] for o in triggered])
        csms = {o["Id"]: self._csm_of(Row(o, items.get(o["Id"], []), {}, True))
                for o in triggered}
        users = self._users(set(csms.values()))
        return [Row(o, items.get(o["Id"], []), users.get(csms.get(o["Id"]) or "", {}),
                    o in triggered) for o in opportunities]

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

    def apply(self, uow: UnitOfWork, rows: Iterable[Row]) -> Generated:
        """Mirror the rows into the ledger and generate what the trigger asks for."""
        result = Generated()
        rows = list(rows)
        existing = _prefetch(uow, rows)
        for row in rows:
            result.opportunities_read += 1
            account, opportunity = self._mirror_opportunity(uow, row.opportunity)
            if row.triggered:
                self._generate(uow, row, account, opportunity, result=result, existing=existing)
        return result

    def _triggers(self, opportunity: Mapping[str, Any]) -> bool:
        trigger = self._mapping.trigger
        return trigger is not None and trigger.matches(opportunity)

    def _opportunity_paths(self) -> list[str]:
        if self._mapping.per == "opportunity":
            return self._mapping_paths()
        prefix = "Opportunity."
        return [p.removeprefix(prefix) for p in self._mapping_paths() if p.startswith(prefix)]

    def _mapping_paths(self) -> list[str]:
        return list(self._mapping.source_paths())

    def _line_items(self, opportunity_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        if self._mapping.per == "opportunity" or not opportunity_ids:
            return {}
        select_list = ", ".join(dict.fromkeys(("Id", *LINE_ITEM_FIELDS, *self._mapping_paths())))
        found: dict[str, list[dict[str, Any]]] = {}
        for start in range(0, len(opportunity_ids), IN_CHUNK):
            chunk = opportunity_ids[start:start + IN_CHUNK]
            soql = format_soql(
                f"SELECT {select_list} FROM OpportunityLineItem "  # noqa: S608 (validated names)
                "WHERE OpportunityId IN {} ORDER BY OpportunityId, Id", chunk)
            for item in self._client.query(soql):
                found.setdefault(item["OpportunityId"], []).append(item)
        return found

    def _users(self, user_ids: set[str | None]) -> dict[str, dict[str, Any]]:
        ids = sorted(u for u in user_ids if u)
        if not ids:
            return {}
        soql = format_soql("SELECT Id, Name, Email FROM User WHERE Id IN {}", ids)
        return {user["Id"]: user for user in self._client.query(soql)}

    def _mirror_opportunity(self, uow: UnitOfWork,
                            record: Mapping[str, Any]) -> tuple[Account | None, Opportunity]:
        stamp = parse_modstamp(record["SystemModstamp"])
        account = None
        if record.get("AccountId"):
            parent = record.get("Account") or {}
            account = upsert_mirror(uow, Account, "Account", record["AccountId"], {
                "name": parent.get("Name") or record["AccountId"],
                "csm_user_id": parent.get("CSM__c"), "owner_user_id": parent.get("OwnerId"),
            }, source_ts=stamp)
        opportunity = upsert_mirror(uow, Opportunity, "Opportunity", record["Id"],
                                    _opportunity_values(record, account), source_ts=stamp)
        return account, opportunity

    def _generate(self, uow: UnitOfWork, row: Row, account: Account | None,
                  opportunity: Opportunity, *, result: Generated, existing: _Existing) -> None:
        lines: list[dict[str, Any]] = []
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
                result.subscriptions.append(line["ledger_id"])
        if lines:
            result.notifications.append(_queue_email(uow, row, opportunity, account, lines))

    def _generate_one(self, uow: UnitOfWork, source: Mapping[str, Any], account: Account | None,
                      opportunity: Opportunity, existing: _Existing) -> dict[str, Any] | None:
        line_item_sf_id = source.get("Id") if "OpportunityId" in source else None
        if existing.has(uow, opportunity, line_item_sf_id):
            return None
        values = self._mapping.apply(source)
        ledger_values = fields.from_salesforce(values)
        product = _mirror_product(uow, source)
        line_item = _mirror_line_item(uow, source, opportunity, product, ledger_values)
        subscription = _create_subscription(uow, ledger_values, account=account,
                                            opportunity=opportunity, line_item=line_item,
                                            product=product)
        existing.add(subscription)
        uow.enqueue(OutboxTarget.SALESFORCE, "upsert:Subscription__c",
                    f"salesforce:Subscription__c:{subscription.id}:generate",
                    {"Ledger_Id__c": subscription.id, **salesforce_json(values)},
                    ("subscription", subscription.id), fresh=True)
        return _email_line(subscription.id, source, product, ledger_values)


@dataclass
class Row:
    """An opportunity as read, with its line items and its CSM's user record."""

    opportunity: dict[str, Any]
    line_items: list[dict[str, Any]]
    csm: dict[str, Any]
    triggered: bool

    @property
    def id(self) -> str:
        """The opportunity's Salesforce id."""
        return str(self.opportunity["Id"])

    def sources(self, per: str) -> list[dict[str, Any]]:
        """The rows the mapping applies to: the line items, or the opportunity itself.

        An opportunity without line items under ``per = "line_item"`` is wrapped as a line
        item whose own fields are empty, so its ``Opportunity.`` paths still resolve.
        """
        if per == "opportunity":
            return [self.opportunity]
        return self.line_items or [{"Opportunity": self.opportunity}]


def _prefetch(uow: UnitOfWork, rows: list[Row]) -> _Existing:
    """The batch's accounts, opportunities, products and line items in a few queries instead
    of a few per row; returns which of them already have subscriptions."""
    uow.prefetch(System.SALESFORCE, "Account", Account,
                 [r.opportunity["AccountId"] for r in rows if r.opportunity.get("AccountId")])
    uow.prefetch(System.SALESFORCE, "Opportunity", Opportunity, [r.id for r in rows])
    items = [item for r in rows if r.triggered for item in r.line_items]
    uow.prefetch(System.SALESFORCE, "Product2", Product,
                 [i["Product2Id"] for i in items if i.get("Product2Id")])
    uow.prefetch(System.SALESFORCE, "OpportunityLineItem", LineItem, [i["Id"] for i in items])
    return _Existing.of(uow, [r.id for r in rows if r.triggered], [i["Id"] for i in items])


@dataclass
class _Existing:
    """The ledger opportunities and line items of a batch that have a subscription."""

    opportunities: set[str]
    line_items: set[str]

    @classmethod
    def of(cls, uow: UnitOfWork, opportunity_ids: list[str],
           line_item_ids: list[str]) -> _Existing:
        """Read them for the Salesforce ids given (prefetched), a query per 500 known ids."""
        return cls(
            _with_subscriptions(uow, Subscription.opportunity_id, _ledger_ids(
                uow, "Opportunity", opportunity_ids)),
            _with_subscriptions(uow, Subscription.line_item_id, _ledger_ids(
                uow, "OpportunityLineItem", line_item_ids)))

    def has(self, uow: UnitOfWork, opportunity: Opportunity,
            line_item_sf_id: str | None) -> bool:
        """Whether the line item (or, without one, the opportunity) has a subscription."""
        if line_item_sf_id is None:
            return opportunity.id in self.opportunities
        line_item = uow.entity_for(System.SALESFORCE, "OpportunityLineItem", line_item_sf_id)
        return line_item is not None and line_item in self.line_items

    def add(self, subscription: Subscription) -> None:
        """Note a subscription created in this batch."""
        if subscription.opportunity_id:
            self.opportunities.add(subscription.opportunity_id)
        if subscription.line_item_id:
            self.line_items.add(subscription.line_item_id)


def _ledger_ids(uow: UnitOfWork, sobject: str, salesforce_ids: list[str]) -> list[str]:
    found = (uow.entity_for(System.SALESFORCE, sobject, i) for i in salesforce_ids)
    return [i for i in found if i is not None]


def _with_subscriptions(uow: UnitOfWork, column: Any, ids: list[str]) -> set[str]:
    """Those of ``ids`` that ``column`` of some subscription holds."""
    held: set[str] = set()
    for start in range(0, len(ids), PREFETCH_CHUNK):
        chunk = ids[start:start + PREFETCH_CHUNK]
        held.update(uow.session.scalars(select(column).where(column.in_(chunk)).distinct()))
    return held


def _opportunity_values(record: Mapping[str, Any], account: Account | None) -> dict[str, Any]:
    currency = str(record.get("CurrencyIsoCode") or "USD")
    amount = record.get("Amount")
    return {
        "account_id": account.id if account else None,
        "name": record.get("Name") or record["Id"],
        "stage": record.get("StageName") or "",
        "is_won": bool(record.get("IsWon")),
        "is_closed": bool(record.get("IsClosed")),
        "close_date": date.fromisoformat(record["CloseDate"]) if record.get("CloseDate") else None,
        "currency": currency.lower(),
        "amount_minor": None if amount is None else to_minor(
            Decimal(str(amount)), currency, rounding="half_even"),
        "create_potential_subscription": bool(record.get("Create_Potential_Subscription__c")),
    }


def _mirror_product(uow: UnitOfWork, source: Mapping[str, Any]) -> Product | None:
    product_id = source.get("Product2Id")
    if not product_id:
        return None
    details = source.get("Product2") or {}
    return upsert_mirror(uow, Product, "Product2", product_id, {
        "name": details.get("Name") or product_id, "product_code": details.get("ProductCode"),
    })


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
    uow.session.add_all((subscription, item))
    uow.record("subscription", subscription.id, "ledger", ChangeKind.CREATE,
               diff({}, values.as_dict()))
    return subscription


def _email_line(ledger_id: str, source: Mapping[str, Any], product: Product | None,
                values: fields.SubscriptionValues) -> dict[str, Any]:
    unit = fields.to_salesforce(values)["Unit_Price__c"]
    unit_price = Decimal(str(unit)) if unit is not None else Decimal(0)
    return {
        "ledger_id": ledger_id,
        "product": product.name if product else (source.get("Opportunity") or {}).get("Name"),
        "quantity": values.quantity,
        "unit_price": f"{unit_price:,.2f}",
        "amount": f"{unit_price * values.quantity:,.2f}",
        "currency": values.currency.upper(),
        "start_date": values.start_date.isoformat() if values.start_date else "",
        "term_months": values.term_months,
    }


def _queue_email(uow: UnitOfWork, row: Row, opportunity: Opportunity, account: Account | None,
                 lines: list[dict[str, Any]]) -> str:
    key = f"{CSM_EMAIL_KIND}:{opportunity.id}:{lines[0]['ledger_id']}"
    recipient = str(row.csm.get("Email") or "")
    uow.session.add(Notification(
        key=key, kind=CSM_EMAIL_KIND, recipient=recipient,
        subject=f"Potential subscriptions for {opportunity.name}",
        data={
            "csm": {"name": row.csm.get("Name") or "there", "id": row.csm.get("Id")},
            "account": {"name": account.name if account else "",
                        "salesforce_id": row.opportunity.get("AccountId")},
            "opportunity": {"name": opportunity.name, "salesforce_id": row.id,
                            "won": opportunity.is_won},
            "lines": lines,
        },
        created_at=uow.now,
    ))
    return key
