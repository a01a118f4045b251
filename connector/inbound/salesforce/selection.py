"""Which fields a Salesforce stream selects in this org, and why a required one cannot be read."""

from __future__ import annotations

from collections.abc import Iterable

from connector.salesforce.org import OrgSchema
from connector.schema.datamodel import FEATURE_FIELDS


class Selection:
    """The fields a stream selects in this org: the required ones, and the optional ones the
    org has. :meth:`problems` says why a required one cannot be read."""

    def __init__(self, sobject: str, required: Iterable[str], optional: Iterable[str],
                 org: OrgSchema | None) -> None:
        self.sobject = sobject
        self._org = org
        self.required = tuple(dict.fromkeys(required))
        optional = [p for p in dict.fromkeys(optional) if p not in self.required]
        self.fields = (*self.required, *(p for p in optional if org is None
                                          or org.has_path(sobject, p)))

    def missing(self) -> list[str]:
        """The required paths this org cannot select."""
        return [] if self._org is None else self._org.missing(self.sobject, self.required)


def missing_reason(sobject: str, path: str) -> str:
    """Why ``path`` cannot be read on ``sobject``, with the fix."""
    name = path.rpartition(".")[2]
    feature = FEATURE_FIELDS.get(name)
    if feature is not None:
        return (f"{sobject} has no field {path!r}: it exists only in orgs with {feature} "
                "enabled; enable it, drop the field, or mark the path optional ('?') with a "
                "fallback")
    if name.endswith("__c"):
        return (f"{sobject} has no field {path!r}: deploy the data model in salesforce/ "
                "(or name your org's field in the mapping)")
    return f"{sobject} has no field {path!r} the integration user can read"
