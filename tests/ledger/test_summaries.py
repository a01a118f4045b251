"""The customer summary: seats bought from billing, used from the licence, discrepancies."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from connector.ledger.licences import Licence
from connector.ledger.models import Account, Product, Subscription, SubscriptionItem
from connector.ledger.summaries import summarise

NOW = datetime(2026, 12, 7, tzinfo=UTC)
STAMPS = {"created_at": NOW, "updated_at": NOW}


def _account(session: Session, name: str = "Acme") -> str:
    account = Account(id=f"acc-{name.lower()}", name=name, **STAMPS)
    session.add(account)
    session.flush()
    return account.id


def _billing(session: Session, account: str, status: str, quantity: int,
             code: str = "SEAT", mrr: int = 50_000) -> None:
    product = session.get(Product, f"prod-{code}") or Product(
        id=f"prod-{code}", name=code.title(), product_code=code, **STAMPS)
    session.add(product)
    sub = Subscription(id=f"sub-{account}-{code}-{status}", account_id=account, status=status,
                       currency="usd", mrr_minor=mrr, arr_minor=mrr * 12, **STAMPS)
    session.add(sub)
    session.flush()
    session.add(SubscriptionItem(id=f"si-{sub.id}", subscription_id=sub.id,
                                 product_id=product.id, quantity=quantity, **STAMPS))


def _licence(session: Session, account: str, status: str = "Active", seats: int = 25,
             used: int = 30, expiration: date | None = None) -> None:
    session.add(Licence(id=f"lic-{account}-{seats}-{used}", account_id=account,
                        source_object="sfLma__License__c", status=status, seats=seats,
                        used_seats=used, expiration=expiration, **STAMPS))
    session.flush()


def test_used_over_bought_is_a_discrepancy_with_the_utilisation(session: Session) -> None:
    acme = _account(session)
    _billing(session, acme, "active", 25)
    _billing(session, acme, "active", 1, code="PLATFORM", mrr=49_900)
    _licence(session, acme, seats=25, used=30, expiration=date(2027, 12, 1))

    summary = summarise(session, [acme], seat_products=["SEAT"])[acme]

    assert (summary.seats, summary.used_seats, summary.utilisation) == (25, 30, Decimal("120.0"))
    assert (summary.mrr_minor, summary.currency, summary.expiration) == (
        99_900, "usd", date(2027, 12, 1))
    assert summary.discrepancies == ("30 seats used of 25 bought",)
    assert summary.seats_by_product == (("Seat", 25),)


def test_every_product_counts_as_seats_when_none_is_named(session: Session) -> None:
    acme = _account(session)
    _billing(session, acme, "active", 25)
    _billing(session, acme, "active", 1, code="PLATFORM")
    _licence(session, acme, seats=26, used=13)

    summary = summarise(session, [acme])[acme]

    assert (summary.seats, summary.utilisation, summary.discrepancies) == (
        26, Decimal("50.0"), ())


def test_an_active_licence_while_billing_is_past_due_or_canceled(session: Session) -> None:
    late, gone = _account(session, "Late"), _account(session, "Gone")
    _billing(session, late, "past_due", 10)
    _billing(session, gone, "canceled", 10)
    _licence(session, late, seats=10, used=5)
    _licence(session, gone, seats=10, used=5)

    found = summarise(session, [late, gone])

    assert found[late].discrepancies == ("licence Active while billing is past due",)
    assert found[gone].discrepancies == ("licence Active while billing is canceled",)


def test_licence_seats_other_than_billed_is_a_discrepancy(session: Session) -> None:
    acme = _account(session)
    _billing(session, acme, "active", 20)
    _licence(session, acme, seats=25, used=10)

    assert summarise(session, [acme])[acme].discrepancies == (
        "licence grants 25 seats, billing 20",)


def test_a_site_licence_is_never_a_discrepancy(session: Session) -> None:
    acme = _account(session)
    _billing(session, acme, "active", 20)
    _licence(session, acme, seats=-1, used=900)

    summary = summarise(session, [acme])[acme]

    assert (summary.licence_seats, summary.utilisation, summary.discrepancies) == (-1, None, ())


def test_a_trial_without_billing_uses_the_licence_seats(session: Session) -> None:
    trial = _account(session, "Trial")
    _licence(session, trial, status="Trial", seats=10, used=4, expiration=date(2026, 12, 10))

    summary = summarise(session, [trial])[trial]

    assert (summary.licence_status, summary.seats, summary.utilisation, summary.billing) == (
        "Trial", 10, Decimal("40.0"), None)
    assert summary.discrepancies == ()
