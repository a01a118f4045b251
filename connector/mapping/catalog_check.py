"""The catalog against Stripe: does an active price exist for each lookup key?

An override names its lookup key outright, so a missing price is a problem of
``catalog.toml``. A key computed from a product's fields is a fact of the org, so a product
whose key has no price is a warning: activating its subscriptions would dead-letter them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connector.mapping.loader import CATALOG
from connector.mapping.locate import LineIndex
from connector.mapping.mapping import Catalog
from connector.mapping.problems import Loc, MappingError, Problem

PriceExists = Callable[[str], bool]
"""Whether Stripe has an active price with this lookup key."""


@dataclass
class CatalogFindings:
    """What the check found: problems fail ``mappings check``; warnings are only shown."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def check_catalog(directory: Path, catalog: Catalog, products: Iterable[Mapping[str, Any]],
                  price_exists: PriceExists) -> CatalogFindings:
    """Check every override and every product's lookup key against Stripe (one call per key).

    Args:
        directory: the mapping folder (for the file and line of each finding).
        catalog: the loaded ``catalog.toml``.
        products: the org's active Product2 records, with the fields the template reads.
        price_exists: asks Stripe about one lookup key.
    """
    path = directory / CATALOG
    where = _Where(str(path), LineIndex(path.read_text(encoding="utf-8")))
    known: dict[str, bool] = {}

    def exists(key: str) -> bool:
        if key not in known:
            known[key] = price_exists(key)
        return known[key]

    found = CatalogFindings()
    for code, key in catalog.overrides.items():
        if not exists(key):
            found.problems.append(where.problem(
                ("overrides", code), f"no active Stripe price has lookup_key {key!r}"))
    for product in products:
        warning = _product_warning(catalog, product, exists)
        if warning:
            found.warnings.append(where.problem(("catalog", "lookup_key"), warning))
    return found


def _product_warning(catalog: Catalog, product: Mapping[str, Any],
                     exists: PriceExists) -> str | None:
    label = f"product {product.get('Name')!r} (ProductCode {product.get('ProductCode')!r})"
    try:
        key = catalog.lookup_key(product)
    except MappingError as exc:
        return f"{label}: {exc.reason}"
    if exists(key):
        return None
    return (f"{label} has lookup key {key!r}, which no active Stripe price has; activating "
            "its subscriptions will fail")


@dataclass(frozen=True)
class _Where:
    file: str
    lines: LineIndex

    def problem(self, loc: Loc, reason: str) -> Problem:
        return Problem(self.file, self.lines.line_of(loc), loc, reason)
