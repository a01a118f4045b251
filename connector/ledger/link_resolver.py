"""Resolving a mapping's ``link`` sources through the ledger's links table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector.ledger.models import System
from connector.ledger.unit_of_work import UnitOfWork

# Where, in a Salesforce row, the Salesforce id of a linked entity is found.
SALESFORCE_KEYS = {"account": ("Account__c", "AccountId", "Id")}
SALESFORCE_OBJECTS = {"account": "Account"}


class LedgerLinks:
    """A :class:`connector.mapping.LinkResolver` backed by the ledger.

    ``system = "ledger"`` yields the entity's ledger id; another system yields the entity's
    id there (e.g. the Stripe customer id of an account).
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def external_id(self, entity: str, system: str, object_type: str,
                    row: Mapping[str, Any]) -> str | None:
        """The id of the ``entity`` the row refers to, in ``system`` as ``object_type``."""
        ledger_id = self._ledger_id(entity, row)
        if ledger_id is None or system == "ledger":
            return ledger_id
        if (entity, system, object_type) == ("account", "stripe", "customer"):
            return self._uow.stripe_customer_of(ledger_id)
        return self._uow.external_for(entity, ledger_id, System(system), object_type)

    def _ledger_id(self, entity: str, row: Mapping[str, Any]) -> str | None:
        for key in SALESFORCE_KEYS.get(entity, ()):
            if row.get(key):
                return self._uow.entity_for(System.SALESFORCE, SALESFORCE_OBJECTS[entity],
                                            str(row[key]))
        return None
