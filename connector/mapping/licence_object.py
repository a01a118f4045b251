"""Where licences are read and where the customer summary is written (``license.toml``).

A licence source is one Salesforce object with one record per customer licence. The
License Management App's ``sfLma__License__c`` is the default; another source (Salesforce's
``SfdcPartnerTntPkgLicense``, a custom ``Product_License__c``) is another ``license.toml``:
the object's name, which of its fields holds each value the ledger keeps (:data:`ROLES`),
and how its status values read in the summary's vocabulary (:data:`STATUSES`).

The summary the daemon writes back to ``Account`` has its own roles
(:data:`ACCOUNT_ROLES`); an org whose fields are named otherwise names them in
``[account_fields]``, as ``subscription_fields.toml`` does for ``Subscription__c``. Queued
writes keep the shipped names; they are renamed when sent (:meth:`AccountFields.outbound`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

FILE = "license.toml"
DEFAULT_OBJECT = "sfLma__License__c"
ACCOUNT = "Account"

RoleKind = Literal["text", "number", "date", "reference"]

STATUSES = ("Active", "Trial", "Expired", "Suspended")
"""The summary's licence statuses (``Account.Licence_Status__c``)."""
SITE_LICENCE = -1
"""A seat count of -1 means a site licence: every user of the customer's org may use it."""


@dataclass(frozen=True)
class Role:
    """One value of a licence or of the Account summary.

    Attributes:
        shipped: the field's name in the default source (or the shipped Account field).
        kind: what the field must hold (``reference``: a lookup to Account).
        meaning: one line for admins, shown in ``mappings check`` errors.
        required: whether ``license.toml`` must give it (else it may be left out).
    """

    shipped: str
    kind: RoleKind
    meaning: str
    required: bool = True


ROLES: Mapping[str, Role] = MappingProxyType({
    "account": Role("sfLma__Account__c", "reference", "the customer's Account (a lookup)"),
    "status": Role("sfLma__Status__c", "text", "Active, Trial, Expired or Suspended"),
    "expiration": Role("sfLma__Expiration__c", "date", "when the licence expires", False),
    "seats": Role("sfLma__Seats__c", "number", "seats licensed (-1: site licence)"),
    "used_seats": Role("sfLma__Used_Licenses__c", "number", "seats in use"),
    "active_users": Role("", "number", "users active in the customer's org", False),
})
"""The licence values the ledger keeps, by the key admins write in ``[fields]``."""

ACCOUNT_ROLES: Mapping[str, Role] = MappingProxyType({
    "status": Role("Licence_Status__c", "text", "the licence status (picklist)"),
    "expiration": Role("Licence_Expiration__c", "date", "when the licence expires"),
    "seats": Role("Seats__c", "number", "seats bought (billing)"),
    "used_seats": Role("Used_Seats__c", "number", "seats in use (licence)"),
    "active_users": Role("Active_Users__c", "number", "active users (licence)"),
    "utilisation": Role("Licence_Utilisation__c", "number", "used / bought, in percent"),
    "mrr": Role("MRR__c", "number", "monthly recurring revenue"),
    "arr": Role("ARR__c", "number", "annual recurring revenue"),
})
"""The Account summary fields, by the key admins write in ``[account_fields]``."""


@dataclass(frozen=True)
class AccountFields:
    """The org's names for the shipped Account summary fields (identity by default)."""

    renamed: Mapping[str, str] = field(default_factory=dict)

    def org(self, name: str) -> str:
        """The org's name of a shipped Account field."""
        return self.renamed.get(name, name)

    def outbound(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """An Account write (shipped names) as the org names its fields."""
        return {self.org(key): value for key, value in record.items()}


@dataclass(frozen=True)
class LicenceMapping:
    """``license.toml``: the licence object, its fields and status values, the Account names.

    Attributes:
        file: the file name, for error messages.
        sobject: the licence object (``sfLma__License__c``).
        fields: role → the object's field (roles left out are absent).
        statuses: the object's status value → one of :data:`STATUSES`.
        account_fields: the org's names of the Account summary fields.
        seat_products: the ``ProductCode`` of the products sold by the seat: only their
            quantities count as seats bought (empty: every product's).
    """

    file: str = FILE
    sobject: str = DEFAULT_OBJECT
    fields: Mapping[str, str] = field(default_factory=lambda: {
        role: spec.shipped for role, spec in ROLES.items() if spec.shipped})
    statuses: Mapping[str, str] = field(default_factory=lambda: {s: s for s in STATUSES})
    account_fields: AccountFields = field(default_factory=AccountFields)
    seat_products: tuple[str, ...] = ()

    def select(self) -> tuple[str, ...]:
        """The licence object's fields to read, in role order."""
        return tuple(self.fields.values())

    def value(self, record: Mapping[str, Any], role: str) -> Any:
        """The value of ``role`` in a licence ``record`` (None when the role is not mapped)."""
        name = self.fields.get(role)
        return record.get(name) if name else None

    def summary_status(self, value: Any) -> str | None:
        """The summary status for the object's ``value``, or None when it has none."""
        return self.statuses.get(value) if isinstance(value, str) else None
