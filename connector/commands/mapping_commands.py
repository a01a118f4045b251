"""``mappings check``: validate every mapping file and report every problem at once.

Without ``--offline``, and when the Salesforce credentials of the configured ``auth`` flow
are set, field names, types, writability and picklist values are checked against the org's
describe, and the catalog's lookup keys against the Stripe prices (when ``STRIPE_API_KEY`` is
set); otherwise against the shipped data model.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any

from simple_salesforce.format import format_soql

from connector.commands.sync_commands import load
from connector.config import Config
from connector.errors import ValidationRejectedError
from connector.mapping import MappingSet, Problem, check_mappings, load_mappings
from connector.mapping.catalog_check import CatalogFindings, check_catalog
from connector.salesforce.client import SalesforceClient
from connector.schema.org_model import Describe, org_data_model
from connector.secrets import Secrets
from connector.sync.wiring import build_salesforce, build_stripe, offline_data_model

CREDENTIALS = {
    "password": ("SALESFORCE_CLIENT_ID", "SALESFORCE_CLIENT_SECRET", "SALESFORCE_USERNAME",
                 "SALESFORCE_PASSWORD"),
    "client_credentials": ("SALESFORCE_CLIENT_ID", "SALESFORCE_CLIENT_SECRET"),
    "jwt": ("SALESFORCE_CLIENT_ID", "SALESFORCE_USERNAME", "SALESFORCE_PRIVATE_KEY"),
}
"""The secrets each Salesforce ``auth`` flow needs."""


def check(args: argparse.Namespace) -> int:
    """Print ``file:line: key.path: reason`` for every problem; exit 0 only when all are valid."""
    config, secrets = load(args), Secrets()
    offline = offline_data_model(config)
    client = None if args.offline or not _has_credentials(config, secrets) else (
        build_salesforce(config, secrets))
    model = offline if client is None else org_data_model(_describer(client), offline)
    problems = check_mappings(config.mappings.dir, model)
    findings = CatalogFindings()
    if client is not None and not problems:
        findings = _check_catalog(config, secrets, client,
                                  load_mappings(config.mappings.dir, model))
    return _report(config, [*problems, *findings.problems], findings.warnings,
                   _scope(config, client, secrets, offline_asked=args.offline))


def _has_credentials(config: Config, secrets: Secrets) -> bool:
    return all(secrets.get(name) for name in CREDENTIALS[config.salesforce.auth])


def _describer(client: SalesforceClient) -> Describe:
    def describe(name: str) -> dict[str, Any] | None:
        try:
            return client.describe(name)
        except ValidationRejectedError:  # 404 NOT_FOUND: the org has no such object
            return None
    return describe


def _check_catalog(config: Config, secrets: Secrets, client: SalesforceClient,
                   mappings: MappingSet) -> CatalogFindings:
    if secrets.get("STRIPE_API_KEY") is None:
        return CatalogFindings()
    stripe = build_stripe(config, secrets)
    return check_catalog(config.mappings.dir, mappings.catalog,
                         _products(client, mappings), lambda key: bool(stripe.find_price(key)))


def _products(client: SalesforceClient, mappings: MappingSet) -> Iterator[dict[str, Any]]:
    names = ", ".join(dict.fromkeys(("Id", "Name", "ProductCode", *mappings.catalog.names)))
    soql = format_soql(f"SELECT {names} FROM Product2 "  # noqa: S608 (validated names)
                       "WHERE IsActive = {} ORDER BY ProductCode", True)
    yield from client.query(soql)


def _scope(config: Config, client: SalesforceClient | None, secrets: Secrets, *,
           offline_asked: bool) -> str:
    if client is None and offline_asked:
        return "the shipped data model"
    if client is None:
        return (f"the shipped data model (the Salesforce credentials of auth = "
                f"{config.salesforce.auth!r} are not set, so not against the org)")
    stripe = " and the Stripe prices" if secrets.get("STRIPE_API_KEY") else (
        " (lookup keys not checked: STRIPE_API_KEY is not set)")
    return f"the describe of the org at {config.salesforce.login_url}{stripe}"


def _report(config: Config, problems: list[Problem], warnings: list[Problem],
            scope: str) -> int:
    for warning in warnings:
        print(f"warning: {warning}")
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in "
              f"{config.mappings.dir} (checked against {scope})")
        return 2
    print(f"mappings in {config.mappings.dir} are valid against {scope}")
    return 0
