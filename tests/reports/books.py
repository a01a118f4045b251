"""A small ledger whose report figures are worked out by hand in the tests.

Two accounts, four subscriptions, January to May 2026 (UTC):

* ``001A`` (customer ``cus_A``): S1, "Pro" monthly 50.00 USD x 2, active 2026-01-10; upgraded
  to x 3 on 2026-02-15 (MRR 100.00 -> 150.00) with a 25.00 proration invoice; the March
  invoice carried coupon SPRING (15.00 off, 135.00 paid) and was refunded 30.00 on 03-20.
  S3, "Pro" yearly 1,200.00 USD, active 2026-03-05 (MRR 100.00), paid 1,200.00 then.
* ``001B`` (customer ``cus_B``): S2, "Pro" yearly 120,000 JPY (zero-decimal; MRR 10,000 JPY),
  trialing 2026-01-20, active 2026-02-20 (paid 120,000 JPY), canceled 2026-05-03.
  S4, "Add-on" monthly 25.00 USD x 2, 6-month term, active 2026-05-10 (MRR 50.00), unpaid.
* A 5.00 USD credit note on 2026-05-12. April has no money at all.
* Opportunities: two open in "Proposal" closing June (1,000.00 at 50 %, 2,000.00 at 25 %),
  one in "Negotiation" closing July (3,000.00 at 80 %, account 001B), one won (not pipeline).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from connector.ledger.journal import record_change
from connector.ledger.models import (
    Account,
    Customer,
    Invoice,
    Link,
    MoneyEntry,
    Opportunity,
    Price,
    Product,
    Subscription,
    SubscriptionItem,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(month: int, day: int, hour: int = 12) -> datetime:
    """A moment in 2026, UTC."""
    return datetime(2026, month, day, hour, tzinfo=UTC)


def _stamps() -> dict[str, Any]:
    return {"created_at": T0, "updated_at": T0}


def link(session: Session, entity_type: str, entity_id: str, system: str, object_type: str,
         external_id: str) -> None:
    """Tie a ledger row to its id in Salesforce or Stripe."""
    session.add(Link(entity_type=entity_type, entity_id=entity_id, system=system,
                     object_type=object_type, external_id=external_id))


def journal(session: Session, sub_id: str, when: datetime, **changes: list[Any]) -> None:
    """A change of subscription ``sub_id`` reported by Stripe at ``when``."""
    record_change(session, entity_type="subscription", entity_id=sub_id, source="stripe",
                  source_ts=when, kind="update", diff=changes, recorded_at=when)


def pay(session: Session, sub: Subscription, ident: str, amount: int, when: datetime, *,
        discount: int = 0, coupon: str | None = None) -> Invoice:
    """A paid invoice of ``sub`` and its payment."""
    invoice = Invoice(id=f"inv-{ident}", customer_id=sub.customer_id, subscription_id=sub.id,
                      status="paid", currency=sub.currency, amount_due_minor=amount,
                      amount_paid_minor=amount, discount_minor=discount, coupon=coupon,
                      invoiced_at=when, **_stamps())
    session.add(invoice)
    session.flush()
    link(session, "invoice", invoice.id, "stripe", "invoice", f"in_{ident}")
    money(session, "payment", invoice, amount, when, ident)
    return invoice


def money(session: Session, kind: str, invoice: Invoice, amount: int, when: datetime,
          external_id: str) -> None:
    """One money entry against ``invoice``."""
    session.add(MoneyEntry(kind=kind, invoice_id=invoice.id,
                           subscription_id=invoice.subscription_id, amount_minor=amount,
                           currency=invoice.currency, occurred_at=when,
                           external_id=external_id, created_at=when))


def build(session: Session) -> None:
    """Fill an empty ledger with the story told in the module docstring."""
    accounts = _accounts(session)
    prices = _catalog(session)
    s1 = _subscription(session, "s1", accounts["A"], prices["pro-monthly"], 3, "usd", 15000)
    s2 = _subscription(session, "s2", accounts["B"], prices["pro-yearly-jpy"], 1, "jpy", 10000,
                       status="canceled")
    s3 = _subscription(session, "s3", accounts["A"], prices["pro-yearly"], 1, "usd", 10000)
    s4 = _subscription(session, "s4", accounts["B"], prices["addon-monthly"], 2, "usd", 5000,
                       term=6)
    _history(session, s1, s2, s3, s4)
    _money(session, s1, s2, s3)
    _opportunities(session, accounts)
    session.commit()


def _accounts(session: Session) -> dict[str, Account]:
    found: dict[str, Account] = {}
    for key, name in (("A", "Acme"), ("B", "Bento KK")):
        account = Account(id=f"acc-{key}", name=name, **_stamps())
        customer = Customer(id=f"cust-{key}", account_id=account.id, name=name, **_stamps())
        session.add_all([account, customer])
        session.flush()
        link(session, "account", account.id, "salesforce", "Account", f"001{key}")
        found[key] = account
    return found


def _catalog(session: Session) -> dict[str, Price]:
    pro = Product(id="prod-pro", name="Pro", **_stamps())
    addon = Product(id="prod-addon", name="Add-on", **_stamps())
    session.add_all([pro, addon])
    prices = {
        "pro-monthly": Price(id="price-pm", product_id=pro.id, lookup_key="pro-monthly",
                             currency="usd", unit_amount_minor=5000, interval="month",
                             interval_count=1, **_stamps()),
        "pro-yearly": Price(id="price-py", product_id=pro.id, lookup_key="pro-yearly",
                            currency="usd", unit_amount_minor=120000, interval="year",
                            interval_count=1, **_stamps()),
        "pro-yearly-jpy": Price(id="price-pj", product_id=pro.id, lookup_key="pro-yearly-jpy",
                                currency="jpy", unit_amount_minor=120000, interval="year",
                                interval_count=1, **_stamps()),
        "addon-monthly": Price(id="price-am", product_id=addon.id, lookup_key="addon-monthly",
                               currency="usd", unit_amount_minor=2500, interval="month",
                               interval_count=1, **_stamps()),
    }
    session.add_all(prices.values())
    session.flush()
    return prices


def _subscription(session: Session, key: str, account: Account, price: Price, quantity: int,
                  currency: str, mrr: int, *, status: str = "active", term: int = 12
                  ) -> Subscription:
    sub = Subscription(id=f"sub-{key}", account_id=account.id,
                       customer_id=account.id.replace("acc", "cust"), status=status,
                       currency=currency, term_months=term, mrr_minor=mrr, arr_minor=mrr * 12,
                       **_stamps())
    session.add(sub)
    session.flush()
    session.add(SubscriptionItem(id=f"si-{key}", subscription_id=sub.id, price_id=price.id,
                                 product_id=price.product_id, quantity=quantity,
                                 unit_amount_minor=price.unit_amount_minor, currency=currency,
                                 **_stamps()))
    link(session, "subscription", sub.id, "salesforce", "Subscription__c", f"a0{key}")
    link(session, "subscription", sub.id, "stripe", "subscription", f"sub_{key}")
    return sub


def _history(session: Session, s1: Subscription, s2: Subscription, s3: Subscription,
             s4: Subscription) -> None:
    for sub, created in ((s1, at(1, 5)), (s2, at(1, 15)), (s3, at(3, 1)), (s4, at(5, 1))):
        record_change(session, entity_type="subscription", entity_id=sub.id, source="ledger",
                      source_ts=None, kind="create", diff={"status": [None, "potential"]},
                      recorded_at=created)
    journal(session, s1.id, at(1, 10), status=["potential", "active"], mrr_minor=[None, 10000])
    journal(session, s1.id, at(2, 15), mrr_minor=[10000, 15000])
    journal(session, s2.id, at(1, 20), status=["potential", "trialing"], mrr_minor=[None, 10000])
    journal(session, s2.id, at(2, 20), status=["trialing", "active"])
    journal(session, s2.id, at(5, 3), status=["active", "canceled"])
    journal(session, s3.id, at(3, 5), status=["potential", "active"], mrr_minor=[None, 10000])
    journal(session, s4.id, at(5, 10), status=["potential", "active"], mrr_minor=[None, 5000])


def _money(session: Session, s1: Subscription, s2: Subscription, s3: Subscription) -> None:
    pay(session, s1, "jan", 10000, at(1, 10))
    pay(session, s1, "feb", 10000, at(2, 10))
    pay(session, s1, "prorate", 2500, at(2, 15))
    march = pay(session, s1, "mar", 13500, at(3, 10), discount=1500, coupon="SPRING")
    money(session, "discount", march, 1500, at(3, 10), "in_mar")
    money(session, "refund", march, 3000, at(3, 20), "re_1")
    money(session, "credit_note", march, 500, at(5, 12), "cn_1")
    pay(session, s2, "jpy", 120000, at(2, 20))
    pay(session, s3, "yearly", 120000, at(3, 5))


def _opportunities(session: Session, accounts: dict[str, Account]) -> None:
    deals = [("o1", "A", "Proposal", date(2026, 6, 15), 100000, "50"),
             ("o2", "A", "Proposal", date(2026, 6, 20), 200000, "25"),
             ("o3", "B", "Negotiation", date(2026, 7, 1), 300000, "80")]
    for key, account, stage, close, amount, probability in deals:
        session.add(Opportunity(id=f"opp-{key}", account_id=accounts[account].id, name=key,
                                stage=stage, close_date=close, currency="usd",
                                amount_minor=amount, probability=Decimal(probability),
                                **_stamps()))
    session.add(Opportunity(id="opp-won", account_id=accounts["A"].id, name="won",
                            stage="Closed Won", is_won=True, is_closed=True,
                            close_date=date(2026, 1, 5), currency="usd", amount_minor=500000,
                            probability=Decimal(100), **_stamps()))
