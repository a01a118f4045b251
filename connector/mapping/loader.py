"""Read the mappings folder: find the files, parse the TOML, build and check them all.

``check_mappings`` returns every problem at once; ``load_mappings`` returns the built
:class:`MappingSet` or raises :class:`~connector.errors.ConfigError` listing them.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from connector.errors import ConfigError
from connector.mapping.builder import (
    CatalogBuilder,
    ObjectBuilder,
    Role,
    SubscriptionFieldsBuilder,
)
from connector.mapping.licence_builder import LicenceBuilder
from connector.mapping.licence_object import FILE as LICENSE
from connector.mapping.licence_object import LicenceMapping
from connector.mapping.mapping import Catalog, GenerationMapping, MappingSet, ObjectMapping
from connector.mapping.problems import Problem
from connector.mapping.subscription_fields import SubscriptionFields
from connector.schema.datamodel import DataModel, did_you_mean

CATALOG = "catalog.toml"
SUBSCRIPTION_FIELDS = "subscription_fields.toml"

ROLES: dict[str, Role] = {role.file: role for role in (
    Role("opportunity_to_subscription.toml", "generation", source="OpportunityLineItem",
         writes="create"),
    Role("account_to_customer.toml", "object", source="Account", target="stripe.customer"),
    Role("subscription_to_stripe.toml", "object", target="stripe.subscription"),
    Role("stripe_to_subscription.toml", "object", source="stripe.subscription",
         default_owner="stripe"),
    Role(CATALOG, "catalog", source="Product2", target="stripe.price"),
    Role(SUBSCRIPTION_FIELDS, "subscription_fields", target="Subscription__c"),
)}
"""Every mapping file the daemon reads, by name; all are required."""
OPTIONAL = (LICENSE,)
"""Mapping files the daemon reads when they are there: without ``license.toml`` licences
are not tracked (``status`` says so)."""

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)")


def check_mappings(directory: Path, data_model: DataModel) -> list[Problem]:
    """Every problem of the mapping files in ``directory``, in file and line order."""
    return _load(directory, data_model)[1]


def load_mappings(directory: Path, data_model: DataModel) -> MappingSet:
    """The validated mapping set in ``directory``.

    Raises:
        ConfigError: with every problem, each ``file:line: key.path: reason``.
    """
    mapping_set, problems = _load(directory, data_model)
    if problems or mapping_set is None:
        raise ConfigError([str(problem) for problem in problems])
    return mapping_set


def _load(directory: Path, model: DataModel) -> tuple[MappingSet | None, list[Problem]]:
    if not directory.is_dir():
        return None, [Problem(str(directory), None, (), "mappings folder not found")]
    folder = _Folder(directory, model)
    mapping_set = folder.build()
    return mapping_set, sorted(folder.problems, key=lambda p: (p.file, p.line or 0))


class _Folder:
    """The mapping files of one folder, read and built together."""

    def __init__(self, directory: Path, model: DataModel) -> None:
        self.directory = directory
        self.model = model
        self.problems = _unknown_files(directory)
        self.texts = {name: self._read(name) for name in ROLES}
        if (directory / LICENSE).exists():
            self.texts[LICENSE] = self._read(LICENSE)
        self.raws = {name: self._parse(name) for name in self.texts}

    def label(self, name: str) -> str:
        return str(self.directory / name)

    def build(self) -> MappingSet | None:
        catalog = self._catalog()
        subscription_fields = self._subscription_fields()
        built = {name: self._object(role, catalog) for name, role in ROLES.items()
                 if role.kind in {"generation", "object"}}
        licence = self._licence()
        if self.problems or catalog is None or subscription_fields is None:
            return None
        return MappingSet(
            directory=self.directory,
            digest=digest(self.directory),
            opportunity_to_subscription=_generation(
                _required(built["opportunity_to_subscription.toml"])
                .with_shipped_targets(subscription_fields)),
            account_to_customer=_required(built["account_to_customer.toml"]),
            subscription_to_stripe=replace(_required(built["subscription_to_stripe.toml"]),
                                           source_names=subscription_fields),
            stripe_to_subscription=_required(built["stripe_to_subscription.toml"])
            .with_shipped_targets(subscription_fields),
            catalog=catalog,
            subscription_fields=subscription_fields,
            license=licence,
        )

    def _read(self, name: str) -> str | None:
        try:
            return (self.directory / name).read_text(encoding="utf-8")
        except FileNotFoundError:
            self._file_problem(name, None, "required mapping file is missing")
        except (OSError, UnicodeDecodeError) as exc:
            self._file_problem(name, None, f"cannot be read: {exc}")
        return None

    def _file_problem(self, name: str, line: int | None, reason: str) -> None:
        self.problems.append(Problem(self.label(name), line, (), reason))

    def _parse(self, name: str) -> dict[str, Any] | None:
        text = self.texts[name]
        if text is None:
            return None
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            match = _TOML_POSITION.search(str(exc))
            line = int(match.group(1)) if match else None
            self._file_problem(name, line, f"not valid TOML: {_TOML_POSITION.sub('', str(exc))}")
            return None

    def _catalog(self) -> Catalog | None:
        text, raw = self.texts[CATALOG], self.raws[CATALOG]
        if text is None or raw is None:
            return None
        builder = CatalogBuilder(self.label(CATALOG), text, raw, self.model)
        catalog = builder.build()
        self.problems.extend(builder.problems)
        return catalog

    def _subscription_fields(self) -> SubscriptionFields | None:
        text, raw = self.texts[SUBSCRIPTION_FIELDS], self.raws[SUBSCRIPTION_FIELDS]
        if text is None or raw is None:
            return None
        builder = SubscriptionFieldsBuilder(self.label(SUBSCRIPTION_FIELDS), text, raw,
                                            self.model)
        built = builder.build()
        self.problems.extend(builder.problems)
        return built

    def _licence(self) -> LicenceMapping | None:
        text, raw = self.texts.get(LICENSE), self.raws.get(LICENSE)
        if text is None or raw is None:
            return None
        builder = LicenceBuilder(self.label(LICENSE), text, raw, self.model)
        built = builder.build()
        self.problems.extend(builder.problems)
        return built

    def _object(self, role: Role, catalog: Catalog | None) -> ObjectMapping | None:
        text, raw = self.texts[role.file], self.raws[role.file]
        if text is None or raw is None:
            return None
        builder = ObjectBuilder(role, self.label(role.file), text, raw, self.model, catalog)
        built = builder.build()
        self.problems.extend(builder.problems)
        return built


def _unknown_files(directory: Path) -> list[Problem]:
    found = []
    for path in sorted(directory.glob("*.toml")):
        if path.name not in ROLES and path.name not in OPTIONAL:
            hint = did_you_mean(path.name, [*ROLES, *OPTIONAL])
            known = ", ".join([*ROLES, *OPTIONAL])
            reason = f"unknown mapping file{hint}; the mapping files are {known}"
            found.append(Problem(str(path), None, (), reason))
    return found


def _generation(mapping: ObjectMapping | None) -> GenerationMapping:
    if not isinstance(mapping, GenerationMapping):
        raise TypeError("opportunity_to_subscription.toml did not build a GenerationMapping")
    return mapping


def _required(mapping: ObjectMapping | None) -> ObjectMapping:
    if mapping is None:
        raise TypeError("a mapping without problems did not build")
    return mapping


def digest(directory: Path) -> str:
    """sha256 over the mapping files, each as its name, a NUL byte and its bytes, by name."""
    sha = hashlib.sha256()
    for name in sorted([*ROLES, *OPTIONAL]):
        path = directory / name
        sha.update(name.encode() + b"\0" + (path.read_bytes() if path.exists() else b""))
    return sha.hexdigest()
