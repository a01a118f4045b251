"""The two kinds of Salesforce org the tests run against: one currency, or several.

Most orgs have one currency: no object has ``CurrencyIsoCode`` and every amount is in
``Organization.DefaultCurrencyIsoCode``. That is the default of the emulator and of every
test. Orgs with multiple currencies enabled are the variant: a representative subset of the
end-to-end tests (generation, activation, renamed fields, ``mappings check``) runs against
both, with ``@in_both_currency_orgs()`` on the test::

    @in_both_currency_orgs()          # parametrizes the ``world`` fixture
    def test_...(world: World) -> None: ...

    @in_both_currency_orgs("org")     # or another fixture that reads ``request.param``
"""

from __future__ import annotations

import pytest

SINGLE = "single"
MULTI = "multi"
CURRENCY_ORGS = (SINGLE, MULTI)

DEFAULT_ORG = SINGLE
"""The org every test gets unless parametrized. The one-line switch: ``MULTI`` runs the
whole suite against multi-currency orgs (as it ran before single-currency orgs were
supported)."""


def multi_currency(request: pytest.FixtureRequest) -> bool:
    """Whether the fixture asking is to start a multi-currency org (its ``param``, else
    :data:`DEFAULT_ORG`)."""
    kind = getattr(request, "param", DEFAULT_ORG)
    if kind not in CURRENCY_ORGS:
        raise ValueError(f"unknown kind of org {kind!r}; expected one of {CURRENCY_ORGS}")
    return bool(kind == MULTI)


def in_both_currency_orgs(fixture: str = "world") -> pytest.MarkDecorator:
    """Run the test once against a single-currency org and once against a multi-currency
    one, through the fixture called ``fixture`` (which passes :func:`multi_currency` on)."""
    return pytest.mark.parametrize(fixture, CURRENCY_ORGS, indirect=True)
