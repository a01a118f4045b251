"""Which ``Subscription__c`` field holds each value the daemon keeps (subscription_fields.toml).

The sync engine speaks the shipped data model (``salesforce/``): ``Quantity__c``,
``Status__c``, ``Ledger_Id__c``... An org whose fields are called differently names its own
fields in ``subscription_fields.toml``, and :class:`SubscriptionFields` renames at the two
edges where the org's names appear:

* **the mapping files**, once when they are loaded: the ``Subscription__c`` fields that
  ``opportunity_to_subscription.toml`` and ``stripe_to_subscription.toml`` write, and the
  paths ``subscription_to_stripe.toml`` reads, are taken in the org's names
  (:meth:`SubscriptionFields.shipped`);
* **the Salesforce API**: SELECT lists and writes go out in the org's names and records read
  come back in the shipped ones (:meth:`SubscriptionFields.org`,
  :meth:`SubscriptionFields.outbound`, :meth:`SubscriptionFields.from_org`).

The ledger, the journal and the outbox keep the shipped names, so a rename takes effect for
queued writes too and never strands them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

OBJECT = "Subscription__c"

FieldKind = Literal["text", "number", "bool", "date", "reference"]
"""What a role's field holds: a :data:`~connector.schema.kinds.Kind` or a lookup."""


@dataclass(frozen=True)
class FieldRole:
    """One value the daemon keeps on ``Subscription__c``.

    Attributes:
        shipped: the field's name in the shipped data model.
        kind: what the field must hold (``reference`` is a lookup).
        meaning: one line for admins, shown in ``mappings check`` errors.
    """

    shipped: str
    kind: FieldKind
    meaning: str


ROLES: Mapping[str, FieldRole] = MappingProxyType({
    "ledger_id": FieldRole("Ledger_Id__c", "text", "the ledger's id (external id, unique)"),
    "status": FieldRole("Status__c", "text", "Potential, Active, Trialing, Past Due, ..."),
    "quantity": FieldRole("Quantity__c", "number", "units billed"),
    "unit_price": FieldRole("Unit_Price__c", "number", "price of one unit"),
    "currency": FieldRole("Currency__c", "text", "ISO currency code"),
    "start_date": FieldRole("Start_Date__c", "date", "when billing starts"),
    "end_date": FieldRole("End_Date__c", "date", "when the subscription ends"),
    "term_months": FieldRole("Term_Months__c", "number", "length of the term"),
    "csm": FieldRole("CSM__c", "reference", "the Customer Success Manager (User)"),
    "account": FieldRole("Account__c", "reference", "the account billed"),
    "opportunity": FieldRole("Opportunity__c", "reference", "the won opportunity"),
    "product": FieldRole("Product__c", "reference", "the product (Product2)"),
    "trial_end": FieldRole("Trial_End_Date__c", "date", "when the trial ends"),
    "cancel_at_period_end": FieldRole("Cancel_At_Period_End__c", "bool",
                                      "cancel when the period ends"),
    "stripe_customer_id": FieldRole("Stripe_Customer_Id__c", "text", "cus_..."),
    "stripe_subscription_id": FieldRole("Stripe_Subscription_Id__c", "text", "sub_..."),
    "mrr": FieldRole("MRR__c", "number", "monthly recurring revenue"),
    "arr": FieldRole("ARR__c", "number", "annual recurring revenue"),
    "next_renewal_date": FieldRole("Next_Renewal_Date__c", "date", "end of the current period"),
    "last_payment_status": FieldRole("Last_Payment_Status__c", "text",
                                     "outcome of the latest payment"),
    "sync_error": FieldRole("Sync_Error__c", "text", "why the daemon could not apply a change"),
})
"""Every role, by the key admins write in ``subscription_fields.toml``."""


@dataclass(frozen=True)
class SubscriptionFields:
    """The org's names for the shipped ``Subscription__c`` fields (identity by default).

    Attributes:
        renamed: shipped name → org name, for fields and their relationship names
            (``Account__r`` → ``Customer__r``), only where they differ.
    """

    renamed: Mapping[str, str] = field(default_factory=dict)
    _shipped: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_shipped", {org: name for name, org in self.renamed.items()})

    def org(self, name: str) -> str:
        """The org's name of a shipped field or path (``Product__r.ProductCode``)."""
        head, dot, rest = name.partition(".")
        return self.renamed.get(head, head) + dot + rest

    def shipped(self, name: str) -> str:
        """The shipped name of an org field or path (the inverse of :meth:`org`)."""
        head, dot, rest = name.partition(".")
        return self._shipped.get(head, head) + dot + rest

    def to_org(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """``record`` (shipped names) with the org's names."""
        return {self.org(key): value for key, value in record.items()}

    def from_org(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """``record`` (org names) with the shipped names.

        A field of the org that merely carries a shipped name the admin renamed away is
        someone else's field and is dropped.
        """
        if not self.renamed:
            return dict(record)
        shipped = self._shipped
        return {shipped.get(key, key): value for key, value in record.items()
                if key in shipped or key not in self.renamed}

    def outbound(self, sobject: str, record: Mapping[str, Any]) -> dict[str, Any]:
        """A write of ``sobject`` as the org names its fields (others pass unchanged)."""
        return self.to_org(record) if sobject == OBJECT else dict(record)

    def key_field(self, sobject: str) -> str:
        """The external id field upserts of ``sobject`` match on."""
        shipped = ROLES["ledger_id"].shipped
        return self.org(shipped) if sobject == OBJECT else shipped
