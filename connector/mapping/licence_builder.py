"""license.toml → :class:`~connector.mapping.licence_object.LicenceMapping`, every problem
located as ``file:line: key.path: reason``.

The licence object belongs to an installed package (the LMA's ``sfLma__License__c``), never
to the shipped data model, so its fields are checked only against a model that has the
object (the org's describe, or an SFDX folder that includes it); otherwise the running
daemon's describe decides, and an org without the object is told so in ``status``. The
Account summary fields are always checked: they are shipped in ``salesforce/``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector.mapping.builder import FileBuilder
from connector.mapping.licence_object import (
    ACCOUNT,
    ACCOUNT_ROLES,
    DEFAULT_OBJECT,
    ROLES,
    STATUSES,
    AccountFields,
    LicenceMapping,
    Role,
)
from connector.mapping.model import FileTables, Table
from connector.mapping.problems import Loc
from connector.mapping.validate import read_path, writable_problem
from connector.schema.datamodel import did_you_mean

_KINDS = {"text": "a text or picklist", "number": "a number", "date": "a date",
          "reference": "a lookup to Account"}


class LicenceFile(FileTables):
    """license.toml, each table checked separately."""

    license: dict[str, Any]
    fields: dict[str, Any]
    status: dict[str, Any] = {}
    account_fields: dict[str, Any] = {}
    seats: dict[str, Any] = {}


class SeatsTable(Table):
    """``[seats]``: which products are sold by the seat (by ``ProductCode``)."""

    products: list[str] = []


class LicenceTable(Table):
    """``[license]``: which object holds the licences."""

    object: str


class LicenceBuilder(FileBuilder):
    """license.toml → LicenceMapping."""

    def build(self) -> LicenceMapping | None:
        """The licence mapping, or None when the file has problems."""
        self.parse(LicenceFile, self.raw, ())
        table = self.section("license")
        header = None if table is None else self.parse(LicenceTable, table, ("license",))
        sobject = header.object if header else None
        fields = self._roles("fields", ROLES, sobject if self._known(sobject) else None,
                             writes=False, defaults=sobject == DEFAULT_OBJECT)
        statuses = self._statuses()
        account = self._roles("account_fields", ACCOUNT_ROLES, ACCOUNT, writes=True,
                              defaults=True)
        seats = self.parse(SeatsTable, self.section("seats") or {}, ("seats",))
        if self.problems or sobject is None or seats is None:
            return None
        renamed = {ACCOUNT_ROLES[r].shipped: name for r, name in account.items()
                   if name != ACCOUNT_ROLES[r].shipped}
        return LicenceMapping(self.label.rpartition("/")[2], sobject, fields, statuses,
                              AccountFields(renamed), tuple(seats.products))

    def _known(self, sobject: str | None) -> bool:
        return sobject is not None and self.model.has_object(sobject)

    def _roles(self, table: str, roles: Mapping[str, Role], sobject: str | None, *,
               writes: bool, defaults: bool) -> dict[str, str]:
        """Role → field of ``table``; fields checked on ``sobject`` unless it is None. A role
        left out is its shipped field with ``defaults`` (else absent, or an error if it is
        required)."""
        given = self.section(table) or {}
        for role in given.keys() - roles.keys():
            self.report((table, role), f"unknown role {role!r}{did_you_mean(role, roles)}; "
                                       f"the roles are {', '.join(roles)}")
        chosen: dict[str, str] = {}
        for role, spec in roles.items():
            loc: Loc = (table, role) if role in given else (table,)
            name = given.get(role, spec.shipped if defaults else "")
            if not isinstance(name, str):
                self.report(loc, "must be the name of a field, in quotes")
            elif not name and spec.required:
                self.report(loc, f"{role} ({spec.meaning}) is required")
            elif name in chosen.values():
                self.report(loc, f"{name} already holds another role; each needs its own field")
            elif name:
                chosen[role] = name
                if sobject is not None:
                    self._field(loc, sobject, role, spec, name, writes=writes)
        return chosen

    def _field(self, loc: Loc, sobject: str, role: str, spec: Role, name: str, *,
               writes: bool) -> None:
        resolved, reason = read_path(self.model, sobject, name)
        if reason or resolved is None or resolved.field is None:
            self.report(loc, reason or f"{name!r} is not a field of {sobject}")
            return
        info = resolved.field
        if writes:
            self._check(loc, writable_problem(resolved, sobject, "update"))
        is_reference = info.type == "reference"
        fits = (is_reference and ACCOUNT in info.reference_to) if spec.kind == "reference" \
            else (not is_reference and info.kind == spec.kind)
        if not fits:
            self.report(loc, f"{sobject}.{name} is a {info.type} field; {role} "
                             f"({spec.meaning}) needs {_KINDS[spec.kind]} field")

    def _statuses(self) -> dict[str, str]:
        """``[status]``: the object's value → the summary's (identity when the table is
        left out)."""
        given = self.section("status")
        if given is None:
            return {status: status for status in STATUSES}
        statuses: dict[str, str] = {}
        for value, summary in given.items():
            if summary not in STATUSES:
                hint = did_you_mean(str(summary), STATUSES)
                self.report(("status", value), f"{summary!r} is not a licence status{hint}; "
                                               f"choose one of {', '.join(STATUSES)}")
            else:
                statuses[value] = summary
        if not given:
            self.report(("status",), "maps no status value")
        return statuses
