"""What the org has: its objects' describes and its ``Organization`` record, asked once.

Orgs differ by the features they have on. ``Opportunity.CurrencyIsoCode`` exists only where
multiple currencies are enabled, ``RecordTypeId`` only where the object has record types, the
person-account fields only with person accounts, and ``Subscription__c`` only once our
package is deployed. The daemon never assumes: it asks describe, and it reads the org's
default currency from ``Organization.DefaultCurrencyIsoCode``. Everything it needs is fetched
in one Composite call (up to 25 describes and queries count as ONE API call) the first time it
is needed and kept for the life of the process; an object reached later through a
relationship is described on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from connector.errors import RetriableError
from connector.salesforce.client import COMPOSITE_LIMIT, SalesforceClient, SubRequest
from connector.schema.paths import parse_path

ORGANIZATION_FIELDS = ("Id", "Name", "DefaultCurrencyIsoCode")
"""What is always read of the ``Organization`` record (mappings may ask for more)."""
MAX_QUERIES = 5  # queries a composite request may hold
NOT_FOUND = 404


class OrgSchema:
    """The org's describes and ``Organization`` record, each fetched at most once.

    Args:
        client: the Salesforce adapter.
        organization_fields: the ``Organization`` fields to read (``Id`` and
            ``DefaultCurrencyIsoCode`` are always read).
    """

    def __init__(self, client: SalesforceClient,
                 organization_fields: Iterable[str] = ()) -> None:
        self._client = client
        self._fields = tuple(dict.fromkeys((*ORGANIZATION_FIELDS, *organization_fields)))
        self._describes: dict[str, dict[str, Any] | None] = {}
        self._organization: dict[str, Any] | None = None

    def want_organization_fields(self, names: Iterable[str]) -> None:
        """Also read these ``Organization`` fields (read again if they are new)."""
        wanted = tuple(dict.fromkeys((*self._fields, *names)))
        if wanted != self._fields:
            self._fields, self._organization = wanted, None

    def prefetch(self, sobjects: Iterable[str]) -> None:
        """Describe the given objects not yet known, and read the Organization record if not
        read yet, in as few Composite calls as that takes (normally one)."""
        wanted = [name for name in dict.fromkeys(sobjects) if name not in self._describes]
        queries = [] if self._organization is not None else [self._organization_query()]
        while wanted or queries:
            room = COMPOSITE_LIMIT - len(queries[:MAX_QUERIES])
            batch, wanted = wanted[:room], wanted[room:]
            self._run(batch, queries[:MAX_QUERIES])
            queries = queries[MAX_QUERIES:]

    def describe(self, sobject: str) -> dict[str, Any]:
        """The describe of ``sobject``; an empty one (no fields) when the org has no such
        object."""
        return self._described(sobject) or {"name": sobject, "fields": []}

    def has_object(self, sobject: str) -> bool:
        """Whether the org has ``sobject``."""
        return self._described(sobject) is not None

    def has_path(self, sobject: str, path: str) -> bool:
        """Whether ``path`` (``Opportunity.Account.CSM__c``) can be selected on ``sobject``."""
        current: str | None = sobject
        *hops, last = parse_path(path)
        for hop in hops:
            current = self._parent(current, str(hop)) if current else None
        return current is not None and str(last) in self._field_names(current)

    def missing(self, sobject: str, paths: Iterable[str]) -> list[str]:
        """The paths of ``paths`` the org cannot select on ``sobject``, in order."""
        return [path for path in paths if not self.has_path(sobject, path)]

    @property
    def organization(self) -> dict[str, Any]:
        """The org's ``Organization`` record (the fields read), read on first use."""
        if self._organization is None:
            self.prefetch(())
        return self._organization or {}

    @property
    def default_currency(self) -> str | None:
        """``Organization.DefaultCurrencyIsoCode`` (``USD``), or None if it could not be read."""
        value = self.organization.get("DefaultCurrencyIsoCode")
        return str(value) if value else None

    def _described(self, sobject: str) -> dict[str, Any] | None:
        if sobject not in self._describes:
            self.prefetch([sobject])
        return self._describes.get(sobject)

    def _field_names(self, sobject: str) -> set[str]:
        return {str(f.get("name")) for f in self.describe(sobject).get("fields", ())}

    def _parent(self, sobject: str, relationship: str) -> str | None:
        for info in self.describe(sobject).get("fields", ()):
            if info.get("relationshipName") == relationship and info.get("referenceTo"):
                return str(info["referenceTo"][0])
        return None

    def _organization_query(self) -> SubRequest:
        soql = f"SELECT {', '.join(self._fields)} FROM Organization"  # noqa: S608 (field names from a fixed list)
        return SubRequest("Organization", "query?" + _query_string(soql))

    def _run(self, sobjects: list[str], queries: list[SubRequest]) -> None:
        requests_ = [SubRequest(f"describe_{i}", f"sobjects/{name}/describe")
                     for i, name in enumerate(sobjects)] + queries
        answers = {a.reference: a for a in self._client.composite(requests_)}
        for index, name in enumerate(sobjects):
            answer = answers.get(f"describe_{index}")
            if answer is not None and answer.ok:
                self._describes[name] = answer.body
            elif answer is not None and answer.status == NOT_FOUND:
                self._describes[name] = None  # the org has no such object
            else:
                raise RetriableError(f"Salesforce could not describe {name}: "
                                     f"{getattr(answer, 'body', 'no answer')}")
        if queries:
            self._organization = _organization_row(answers.get("Organization"))


def _organization_row(answer: Any) -> dict[str, Any]:
    """The Organization record from its subrequest's answer.

    Raises:
        RetriableError: it could not be read; the Salesforce steps wait rather than guess the
            org's currency.
    """
    if answer is None or not answer.ok:
        raise RetriableError("Salesforce did not return the Organization record (its default "
                             f"currency is needed): {getattr(answer, 'body', 'no answer')}")
    records = (answer.body or {}).get("records") or [{}]
    return {k: v for k, v in records[0].items() if k != "attributes"}


def _query_string(soql: str) -> str:
    return urlencode({"q": soql})
