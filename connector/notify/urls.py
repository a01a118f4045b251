"""Links into Salesforce for emails: Lightning Experience URLs of records and list views.

A record is ``{base}/lightning/r/{sObject}/{id}/view``; a list view is
``{base}/lightning/o/{sObject}/list?filterName={list view API name}`` (the ``standard__objectPage``
page reference with ``actionName = list`` and ``state.filterName``).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode


@dataclass(frozen=True)
class SalesforceUrls:
    """The URLs of one org.

    Attributes:
        base: the org's base URL (its My Domain or instance URL), with or without a trailing
            slash.
    """

    base: str

    def record(self, sobject: str, record_id: str) -> str:
        """The record page of ``record_id``."""
        return f"{self._root}/lightning/r/{quote(sobject)}/{quote(record_id)}/view"

    def list_view(self, sobject: str, list_view: str) -> str:
        """The list view whose API name is ``list_view`` on ``sobject``'s object page."""
        query = urlencode({"filterName": list_view})
        return f"{self._root}/lightning/o/{quote(sobject)}/list?{query}"

    @property
    def _root(self) -> str:
        return self.base.rstrip("/")
