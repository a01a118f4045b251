"""The fields of the org's ``Organization`` record a mapping may read as ``$Organization.X``.

The daemon reads that record once per process, with the describes (one API call), so these
values cost nothing per record. The list is the part of Salesforce's ``Organization`` object
that exists in every org and edition; kinds are as describe reports them.
"""

from __future__ import annotations

from collections.abc import Mapping

from connector.schema.kinds import Kind

ORGANIZATION_FIELDS: Mapping[str, Kind] = {
    "Id": "text",
    "Name": "text",
    "DefaultCurrencyIsoCode": "text",
    "Country": "text",
    "LanguageLocaleKey": "text",
    "DefaultLocaleSidKey": "text",
    "TimeZoneSidKey": "text",
    "OrganizationType": "text",
    "IsSandbox": "bool",
}
