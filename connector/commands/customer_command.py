"""``customer ACCOUNT``: one account at a glance, from the ledger (no API calls).

ACCOUNT is the account's Salesforce Id, its ledger id or its exact name. Shown: the licence
(status, expiration, seats bought and used, active users, utilisation, discrepancies), the
subscriptions with their MRR, the account's MRR and ARR, the last payment, the licence facts,
and the open conflicts and dead letters of its records.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from connector.commands.output import Table, display, print_json
from connector.commands.sync_commands import load
from connector.config import Config
from connector.errors import ConfigError
from connector.ledger.licences import Licence, LicenceFact
from connector.ledger.models import (
    Account,
    Conflict,
    ConflictStatus,
    DeadLetter,
    DeadLetterStatus,
    Link,
    MoneyEntry,
    MoneyKind,
    Product,
    Subscription,
    SubscriptionItem,
    System,
)
from connector.ledger.summaries import summarise
from connector.mapping.money import from_minor
from connector.sync.wiring import load_mapping_set, open_ledger
from connector.workflows.licence_facts import fact_of

EXIT_NOT_FOUND = 2
PAYMENTS = (MoneyKind.PAYMENT, MoneyKind.FAILED_PAYMENT, MoneyKind.REFUND)


def customer(args: argparse.Namespace) -> int:
    """Print the summary of one account (``--format text|json``); 2 when it is not found."""
    config = load(args)
    _, sessions = open_ledger(config)
    with sessions() as session:
        found = find_accounts(session, args.account)
        if len(found) != 1:
            _not_one(args.account, found)
            return EXIT_NOT_FOUND
        view = customer_view(session, found[0], seat_products(config))
    if getattr(args, "format", "text") == "json":
        print_json(view)
    else:
        print("\n".join(customer_text(view)))
    return 0


def find_accounts(session: Session, key: str) -> list[Account]:
    """The accounts ``key`` names: by ledger id, Salesforce Id, else exact name."""
    by_id = session.get(Account, key)
    if by_id is not None:
        return [by_id]
    linked = session.scalar(select(Link.entity_id).where(
        Link.entity_type == "account", Link.system == System.SALESFORCE,
        Link.object_type == "Account", Link.external_id == key))
    if linked is not None:
        account = session.get(Account, linked)
        return [account] if account is not None else []
    return list(session.scalars(select(Account).where(Account.name == key)
                                .order_by(Account.id)))


def _not_one(key: str, found: list[Account]) -> None:
    if not found:
        print(f"crm-connector customer: no account {key!r} in the ledger (give its Salesforce "
              "Id, ledger id or exact name)", file=sys.stderr)
        return
    ids = ", ".join(a.id for a in found)
    print(f"crm-connector customer: {len(found)} accounts are called {key!r} ({ids}); give "
          "the ledger id or Salesforce Id", file=sys.stderr)


def seat_products(config: Config) -> tuple[str, ...]:
    """license.toml's products sold by the seat (all, when the mappings cannot be read)."""
    try:
        licence = load_mapping_set(config).license
    except ConfigError:
        return ()
    return licence.seat_products if licence else ()


def customer_view(session: Session, account: Account,
                  seat_products: tuple[str, ...] = ()) -> dict[str, Any]:
    """Everything ``customer`` shows about ``account``, JSON-ready (``seat_products``: see
    :func:`~connector.ledger.summaries.summarise`)."""
    summary = summarise(session, [account.id], seat_products)[account.id]
    subscriptions = _subscriptions(session, account.id)
    keys = _record_keys(session, account.id, [s["ledger_id"] for s in subscriptions])
    return {
        "account": {"ledger_id": account.id, "name": account.name,
                    "salesforce_id": _salesforce_id(session, account.id)},
        "licence": {**summary.as_dict(), "mrr": _money(summary.mrr_minor, summary.currency),
                    "arr": _money(summary.arr_minor, summary.currency)},
        "subscriptions": subscriptions,
        "last_payment": _last_payment(session, account.id),
        "facts": [{"kind": f.kind, "at": f.occurred_at, "summary": fact_of(f).summary}
                  for f in session.scalars(select(LicenceFact).where(
                      LicenceFact.account_id == account.id).order_by(LicenceFact.id))],
        "open_conflicts": [{"id": c.id, "field": c.field, "ours": c.ours, "theirs": c.theirs}
                           for c in session.scalars(select(Conflict).where(
                               Conflict.status == ConflictStatus.OPEN,
                               Conflict.entity_id.in_(keys)))],
        "open_dead_letters": [{"id": d.id, "source": d.source, "code": d.error_code,
                               "reason": d.reason}
                              for d in session.scalars(select(DeadLetter).where(
                                  DeadLetter.status == DeadLetterStatus.OPEN,
                                  DeadLetter.record_key.in_(keys)))],
    }


def _salesforce_id(session: Session, account_id: str) -> str | None:
    return session.scalar(select(Link.external_id).where(
        Link.entity_type == "account", Link.entity_id == account_id,
        Link.system == System.SALESFORCE, Link.object_type == "Account"))


def _subscriptions(session: Session, account_id: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Subscription, SubscriptionItem.quantity, Product.name)
        .outerjoin(SubscriptionItem, SubscriptionItem.subscription_id == Subscription.id)
        .outerjoin(Product, Product.id == SubscriptionItem.product_id)
        .where(Subscription.account_id == account_id, Subscription.deleted_at.is_(None))
        .order_by(Subscription.created_at, Subscription.id))
    return [{"ledger_id": s.id, "product": product, "status": s.status, "quantity": quantity,
             "mrr": _money(s.mrr_minor, s.currency), "currency": s.currency}
            for s, quantity, product in rows]


def _record_keys(session: Session, account_id: str, subscriptions: list[str]) -> list[str]:
    """The ids the account's records go by in conflicts and dead letters."""
    licences = list(session.scalars(select(Licence.id).where(Licence.account_id == account_id)))
    linked = session.scalars(select(Link.external_id).where(
        or_(Link.entity_id == account_id, Link.entity_id.in_([*subscriptions, *licences])),
        Link.system == System.SALESFORCE))
    return [account_id, *subscriptions, *licences, *linked]


def _last_payment(session: Session, account_id: str) -> dict[str, Any] | None:
    entry = session.scalar(select(MoneyEntry).where(
        MoneyEntry.account_id == account_id, MoneyEntry.kind.in_(PAYMENTS))
        .order_by(MoneyEntry.occurred_at.desc(), MoneyEntry.id.desc()).limit(1))
    if entry is None:
        return None
    return {"kind": entry.kind, "amount": _money(entry.amount_minor, entry.currency),
            "currency": entry.currency, "at": entry.occurred_at}


def _money(minor: int | None, currency: str | None) -> str | None:
    if minor is None or currency is None:
        return None
    return str(from_minor(minor, currency.upper()))


def customer_text(view: dict[str, Any]) -> list[str]:
    """The lines ``customer`` prints for a :func:`customer_view`."""
    account, licence = view["account"], view["licence"]
    currency = (licence["currency"] or "").upper()
    lines = [f"{account['name']}  (ledger {account['ledger_id']}, Salesforce "
             f"{account['salesforce_id'] or '-'})",
             f"licence:       {licence['licence_status'] or 'none'}"
             + (f", expires {licence['expiration']}" if licence["expiration"] else ""),
             f"seats:         {display(licence['used_seats'])} used of "
             f"{display(licence['seats'])} bought"
             + (f" ({licence['utilisation']} %)" if licence["utilisation"] else "")
             + (" - site licence" if licence["licence_seats"] == -1 else ""),
             f"active users:  {display(licence['active_users'])}",
             f"MRR / ARR:     {display(licence['mrr'])} / {display(licence['arr'])} {currency}",
             "last payment:  " + (_payment(view["last_payment"]) or "none")]
    lines += [f"DISCREPANCY:   {reason}" for reason in licence["discrepancies"]]
    table = Table(["product", "status", "quantity", "MRR"],
                  [[s["product"], s["status"], s["quantity"], s["mrr"]]
                   for s in view["subscriptions"]])
    lines += ["subscriptions:", *(f"  {line}" for line in table.plain_lines())] \
        if view["subscriptions"] else ["subscriptions: none"]
    lines += [f"fact:          {display(f['at'])}  {f['summary']}" for f in view["facts"]]
    lines += [f"conflict:      #{c['id']} {c['field']}: ours {c['ours']!r}, theirs "
              f"{c['theirs']!r}" for c in view["open_conflicts"]]
    lines += [f"dead letter:   #{d['id']} {d['source']} {d['code']}: {d['reason']}"
              for d in view["open_dead_letters"]]
    return lines


def _payment(payment: dict[str, Any] | None) -> str | None:
    if payment is None:
        return None
    return (f"{payment['kind'].replace('_', ' ')} {payment['amount']} "
            f"{payment['currency'].upper()} at {display(payment['at'])}")
