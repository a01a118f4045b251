"""Opportunities and their line items, read from Salesforce into the ledger.

Two streams, each with its own ``SystemModstamp`` cursor, 2,000 records a page (Bulk API
2.0 above the threshold): ``Opportunity`` and ``OpportunityLineItem``. Each keeps the record as
read (``record``), so an opportunity won later is generated from the ledger's copies of its
line items without reading them again, and the reads cost ``ceil(N/2000)`` calls per object
however the records are spread over opportunities.

Reading an opportunity also decides where it stands with potential subscriptions
(:class:`~connector.ledger.models.Generation`): one the trigger accepts becomes ``pending``,
or ``history`` when it was won before ``[sync] generate_since`` (see :class:`Cutoff`); the
generation step (:mod:`connector.workflows.potential`) works off the pending ones. A line item read
for an opportunity already generated makes it pending again, so a product added to a won
deal gets its subscription.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from connector.errors import SkippableError
from connector.inbound.salesforce import contacts
from connector.inbound.salesforce.selection import Selection, missing_reason
from connector.ledger.mirrors import salesforce_json, upsert_mirror
from connector.ledger.models import Account, Generation, LineItem, Opportunity, Product, System
from connector.ledger.unit_of_work import UnitOfWork
from connector.mapping import GenerationMapping
from connector.mapping.money import to_minor
from connector.salesforce.bulk import BulkQueries
from connector.salesforce.client import SalesforceClient
from connector.salesforce.org import OrgSchema
from connector.salesforce.reader import Cursor, Stream, parse_modstamp, read_batches

OPPORTUNITY_FIELDS = (
    "Name", "AccountId", "Account.Name", "Account.OwnerId", "StageName",
    "IsWon", "IsClosed", "CloseDate", "Amount", "Probability",
)
"""What the ledger mirrors of every opportunity; the trigger and the mapping add theirs."""
OPTIONAL_FIELDS = ("CurrencyIsoCode",)
"""Read where the org has them (multi-currency orgs); else the org's default currency."""
OPPORTUNITY_OPTIONAL = ("Account.Billing_Email__c",)
"""Read with every opportunity where the org has it (salesforce/ deploys it): where customer
notifications go (:mod:`connector.workflows.notices`). Same query, no extra call."""
LINE_ITEM_FIELDS = ("OpportunityId", "Product2Id", "Product2.Name", "Product2.ProductCode",
                    "Quantity", "UnitPrice", "ServiceDate")
OPPORTUNITY_PREFIX = "Opportunity."


@dataclass
class Generated:
    """What reading and generating did in one run, for the run's log line and the demo."""

    opportunities_read: int = 0
    line_items_read: int = 0
    history: int = 0
    subscriptions: list[str] = field(default_factory=list)
    notifications: list[str] = field(default_factory=list)
    dead_letters: int = 0


@dataclass(frozen=True)
class Cutoff:
    """Where history ends: a deal won (or ticked) before it generates nothing.

    Attributes:
        moment: the install moment (``generate_since = "install"``): records last changed
            before it were won before the daemon was installed.
        day: ``generate_since = "YYYY-MM-DD"``: deals won (``CloseDate`` of a closed deal,
            else the day of its last change) before that day.
    """

    moment: datetime | None = None
    day: date | None = None

    def is_history(self, record: Mapping[str, Any]) -> bool:
        """Whether a triggered opportunity as read belongs to the history."""
        if self.moment is not None:
            return parse_modstamp(record["SystemModstamp"]) < self.moment
        if self.day is not None:
            return won_day(record) < self.day
        return False


def won_day(record: Mapping[str, Any]) -> date:
    """The day a deal was won: ``CloseDate`` once it is closed, else its last change."""
    if record.get("IsClosed") and record.get("CloseDate"):
        return date.fromisoformat(str(record["CloseDate"]))
    return parse_modstamp(record["SystemModstamp"]).date()


class _MirroredStream:
    """What the two streams share: the selection in this org, its refusal lines, the reads.

    Subclasses set ``selection`` and implement ``apply``.
    """

    selection: Selection

    def __init__(self, client: SalesforceClient, mapping: GenerationMapping,
                 org: OrgSchema | None, bulk: BulkQueries | None) -> None:
        self._client = client
        self._mapping = mapping
        self._org = org
        self._bulk = bulk

    @property
    def stream(self) -> Stream:
        """The object, with every field the daemon, the trigger and the mapping read."""
        return Stream(self.selection.sobject, self.selection.fields)

    def problems(self) -> list[str]:
        """Why this org cannot be read as the mappings ask, one line per missing field."""
        sobject = self.selection.sobject
        return [f"{self._mapping.file}: {_reads_where(self._mapping, path)}: "
                f"{missing_reason(sobject, path)}" for path in self.selection.missing()]

    def batches(self, cursor: Cursor,
                signpost: datetime) -> Iterator[tuple[list[dict[str, Any]], Cursor]]:
        """Changed records in chunks, each with the cursor covering it."""
        for batch in read_batches(self._client, self.stream, cursor, signpost, bulk=self._bulk):
            yield batch.records, batch.cursor


class OpportunityReads(_MirroredStream):
    """The ``Opportunity`` stream: mirror every opportunity; mark triggered ones pending.

    Args:
        client: the Salesforce adapter.
        mapping: ``opportunity_to_subscription.toml``.
        cutoff: where history ends.
        org: what the org has (None: select everything, as in tests without describe).
        bulk: Bulk API 2.0 reads above its threshold.
    """

    def __init__(self, client: SalesforceClient, mapping: GenerationMapping, cutoff: Cutoff,
                 org: OrgSchema | None = None, bulk: BulkQueries | None = None) -> None:
        super().__init__(client, mapping, org, bulk)
        self._cutoff = cutoff
        trigger = mapping.trigger.source_paths() if mapping.trigger else []
        required, optional = _opportunity_paths(mapping)
        self.selection = Selection("Opportunity", (*OPPORTUNITY_FIELDS, *trigger, *required),
                                   (*OPTIONAL_FIELDS, *OPPORTUNITY_OPTIONAL, *optional), org)
        self._contacts = contacts.PrimaryContacts()

    def batches(self, cursor: Cursor,
                signpost: datetime) -> Iterator[tuple[list[dict[str, Any]], Cursor]]:
        """Changed opportunities in chunks, each with the cursor covering it; with each chunk,
        the primary contacts of those the daemon generates for (normally one more query a
        chunk, where the org has them: :mod:`.contacts`)."""
        for records, advanced in super().batches(cursor, signpost):
            ids = contacts.wanted(records, self._generates_for) \
                if contacts.readable(self._org) else []
            self._contacts = contacts.read_primary_contacts(self._client, ids)
            yield records, advanced

    def apply(self, uow: UnitOfWork, records: Iterable[dict[str, Any]]) -> Generated:
        """Mirror the opportunities (and their accounts); decide their generation state."""
        result = Generated()
        records = list(records)
        _prefetch_opportunities(uow, records)
        currency = self._org.default_currency if self._org is not None else None
        for record in records:
            result.opportunities_read += 1
            try:
                triggered = self._triggers(record)
            except SkippableError as exc:
                uow.dead_letter("salesforce.Opportunity", record["Id"], str(exc), exc.code,
                                salesforce_json(_plain(record)))
                result.dead_letters += 1
                triggered = False
            known = _ledger_opportunity(uow, record["Id"])
            state = self._state(known.generation if known else None, triggered, record)
            self._contacts.apply(mirror_opportunity(uow, record, currency, generation=state),
                                 record["Id"])
            result.history += state == Generation.HISTORY and (
                known is None or known.generation != Generation.HISTORY)
        return result

    def _triggers(self, record: Mapping[str, Any]) -> bool:
        trigger = self._mapping.trigger
        return trigger is not None and trigger.matches(record)

    def _generates_for(self, record: Mapping[str, Any]) -> bool:
        """Whether the trigger accepts ``record`` and it is not history."""
        try:
            return self._triggers(record) and not self._cutoff.is_history(record)
        except SkippableError:
            return False  # dead-lettered when applied

    def _state(self, state: str | None, triggered: bool,
               record: Mapping[str, Any]) -> str | None:
        if not triggered:
            return Generation.DONE if state == Generation.DONE else None
        if state is None:
            return Generation.HISTORY if self._cutoff.is_history(record) else Generation.PENDING
        if state == Generation.DONE:
            return Generation.PENDING  # saved again: look for line items added since
        return state


class LineItemReads(_MirroredStream):
    """The ``OpportunityLineItem`` stream: mirror every line item with the record as read.

    Args:
        client: the Salesforce adapter.
        mapping: ``opportunity_to_subscription.toml`` (its line-item paths are selected).
        org: what the org has (None: select everything).
        bulk: Bulk API 2.0 reads above its threshold.
    """

    def __init__(self, client: SalesforceClient, mapping: GenerationMapping,
                 org: OrgSchema | None = None, bulk: BulkQueries | None = None) -> None:
        super().__init__(client, mapping, org, bulk)
        paths = [p for p in mapping.source_paths() if not p.startswith(OPPORTUNITY_PREFIX)]
        optional = mapping.optional_paths()
        self.selection = Selection(
            "OpportunityLineItem",
            (*LINE_ITEM_FIELDS, *(p for p in paths if p not in optional)),
            (*OPTIONAL_FIELDS, *(p for p in paths if p in optional)), org)

    def apply(self, uow: UnitOfWork, records: Iterable[dict[str, Any]]) -> Generated:
        """Mirror the line items and their products; a generated opportunity that gains one
        is pending again. A line item whose opportunity the ledger does not know is
        dead-lettered with the reason."""
        result = Generated()
        records = list(records)
        uow.prefetch(System.SALESFORCE, "Opportunity", Opportunity,
                     [r["OpportunityId"] for r in records if r.get("OpportunityId")])
        uow.prefetch(System.SALESFORCE, "OpportunityLineItem", LineItem,
                     [r["Id"] for r in records])
        uow.prefetch(System.SALESFORCE, "Product2", Product,
                     [r["Product2Id"] for r in records if r.get("Product2Id")])
        for record in records:
            result.line_items_read += 1
            opportunity = _ledger_opportunity(uow, str(record.get("OpportunityId") or ""))
            if opportunity is None:
                uow.dead_letter("salesforce.OpportunityLineItem", record["Id"],
                                f"its opportunity {record.get('OpportunityId')} is not in the "
                                "ledger (not readable by the integration user?)",
                                "UNKNOWN_OPPORTUNITY", salesforce_json(_plain(record)))
                result.dead_letters += 1
                continue
            mirror_line_item(uow, record, opportunity)
            if opportunity.generation == Generation.DONE:
                opportunity.generation = Generation.PENDING
        return result


def mirror_opportunity(uow: UnitOfWork, record: Mapping[str, Any],
                       default_currency: str | None, *, generation: str | None) -> Opportunity:
    """Create or update the ledger's copy of an opportunity (and its account), with its
    generation state."""
    stamp = parse_modstamp(record["SystemModstamp"])
    account = None
    if record.get("AccountId"):
        parent = record.get("Account") or {}
        account = upsert_mirror(uow, Account, "Account", record["AccountId"], {
            "name": parent.get("Name") or record["AccountId"],
            "csm_user_id": parent.get("CSM__c"), "owner_user_id": parent.get("OwnerId"),
        }, source_ts=stamp)
    return upsert_mirror(uow, Opportunity, "Opportunity", record["Id"],
                         _opportunity_values(record, account, default_currency),
                         source_ts=stamp,
                         kept={"record": _plain(record), "generation": generation})


def mirror_line_item(uow: UnitOfWork, record: Mapping[str, Any],
                     opportunity: Opportunity) -> LineItem:
    """Create or update the ledger's copy of a line item (and its product).

    Quantity, price and dates are taken as read when the line item is new; once it has a
    subscription they are the mapped values generation set, so a re-read leaves them.
    """
    product = mirror_product(uow, record)
    values: dict[str, Any] = {"opportunity_id": opportunity.id,
                              "product_id": product.id if product else None}
    if uow.entity_for(System.SALESFORCE, "OpportunityLineItem", record["Id"]) is None:
        values.update(_line_item_values(record, opportunity))
    return upsert_mirror(uow, LineItem, "OpportunityLineItem", record["Id"], values,
                         source_ts=parse_modstamp(record["SystemModstamp"]),
                         kept={"record": _plain(record)})


def _line_item_values(record: Mapping[str, Any], opportunity: Opportunity) -> dict[str, Any]:
    currency = str(record.get("CurrencyIsoCode") or opportunity.currency or "usd").lower()
    price = record.get("UnitPrice")
    return {
        "quantity": Decimal(str(record.get("Quantity") or 0)),
        "unit_price_minor": None if price is None else to_minor(
            Decimal(str(price)), currency, rounding="half_even"),
        "currency": currency,
        "service_date": date.fromisoformat(record["ServiceDate"])
        if record.get("ServiceDate") else None,
    }


def mirror_product(uow: UnitOfWork, source: Mapping[str, Any]) -> Product | None:
    """The ledger's copy of a line item's product, created or updated."""
    product_id = source.get("Product2Id")
    if not product_id:
        return None
    details = source.get("Product2") or {}
    return upsert_mirror(uow, Product, "Product2", product_id, {
        "name": details.get("Name") or product_id, "product_code": details.get("ProductCode"),
    })


def _opportunity_values(record: Mapping[str, Any], account: Account | None,
                        default_currency: str | None) -> dict[str, Any]:
    currency = str(record.get("CurrencyIsoCode") or default_currency or "USD")
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
        "probability": None if record.get("Probability") is None
        else Decimal(str(record["Probability"])),
    }


def _ledger_opportunity(uow: UnitOfWork, salesforce_id: str) -> Opportunity | None:
    """The ledger's copy of the opportunity ``salesforce_id``, if it has one."""
    ledger_id = uow.entity_for(System.SALESFORCE, "Opportunity", salesforce_id)
    return uow.get(Opportunity, ledger_id) if ledger_id else None


def _prefetch_opportunities(uow: UnitOfWork, records: list[dict[str, Any]]) -> None:
    uow.prefetch(System.SALESFORCE, "Account", Account,
                 [r["AccountId"] for r in records if r.get("AccountId")])
    uow.prefetch(System.SALESFORCE, "Opportunity", Opportunity, [r["Id"] for r in records])


def _opportunity_paths(mapping: GenerationMapping) -> tuple[list[str], list[str]]:
    """The mapping's paths on the opportunity (required, optional), relative to it."""
    optional = mapping.optional_paths()
    if mapping.per == "opportunity":
        paths = mapping.source_paths()
        opt = {p.removeprefix(OPPORTUNITY_PREFIX) for p in optional}
    else:
        paths = [p.removeprefix(OPPORTUNITY_PREFIX) for p in mapping.source_paths()
                 if p.startswith(OPPORTUNITY_PREFIX)]
        opt = {p.removeprefix(OPPORTUNITY_PREFIX) for p in optional
               if p.startswith(OPPORTUNITY_PREFIX)}
    return [p for p in paths if p not in opt], [p for p in paths if p in opt]


def _reads_where(mapping: GenerationMapping, path: str) -> str:
    """The key path of the mapping that reads ``path`` (``fields.Currency__c.from``)."""
    if mapping.trigger is not None and path in mapping.trigger.source_paths():
        return "trigger.when"
    for mapped in mapping.fields:
        if path in mapped.reads or f"{OPPORTUNITY_PREFIX}{path}" in mapped.reads:
            return f"fields.{mapped.target}.from"
    return "(read by the daemon itself)"


def _plain(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record without REST ``attributes`` (also in nested relationships), for storing."""
    return {key: _plain(value) if isinstance(value, Mapping) else value
            for key, value in record.items() if key != "attributes"}
