"""``customer-summary``: each account's licence, seats, utilisation, MRR, status and last payment.

The licence and billing figures are :func:`connector.ledger.summaries.summarise`'s, the
same that ``crm-connector customer ACCOUNT`` and the Account summary fields show, so the
three agree. The last payment is the account's newest payment or failed payment (refunds
are not payments); a money entry that names no account counts for its subscription's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from connector.ledger.licences import Licence
from connector.ledger.models import MoneyEntry, MoneyKind, Subscription
from connector.ledger.names import RecordNames
from connector.ledger.summaries import CustomerSummary, summarise
from connector.reports.period import ReportQuery, money
from connector.reports.spec import Row

COLUMNS = ("account", "name", "licence_status", "expiration", "seats", "used_seats",
           "utilisation", "status", "currency", "mrr", "arr", "last_payment",
           "last_payment_currency", "last_payment_status", "last_payment_at", "discrepancies")
PAYMENT_KINDS = (MoneyKind.PAYMENT, MoneyKind.FAILED_PAYMENT)


@dataclass(frozen=True)
class _Payment:
    kind: str
    amount_minor: int
    currency: str
    at: datetime


def customer_summary(session: Session, query: ReportQuery) -> list[Row]:
    """One row per account with a subscription or a licence (only ``query.account`` when
    given), by name: the licence and seats, utilisation in percent, the billing ``status``
    (``active``, ``past_due``, ``canceled``), MRR and ARR in ``currency``, the last payment
    (its amount and currency, ``paid`` or ``failed``, and when), and the discrepancies,
    ``; ``-joined."""
    ids = [query.account] if query.account else _accounts(session)
    summaries = summarise(session, ids, query.seat_products)
    payments = _last_payments(session, ids)
    names = RecordNames(session)
    rows = [_row(names, summary, payments.get(account)) for account, summary in
            summaries.items()]
    rows.sort(key=lambda row: (str(row["name"] or ""), str(row["account"])))
    return rows


def _accounts(session: Session) -> list[str]:
    with_subscription = select(Subscription.account_id).where(
        Subscription.account_id.is_not(None), Subscription.deleted_at.is_(None))
    with_licence = select(Licence.account_id).where(Licence.deleted_at.is_(None))
    return [str(account) for account in session.scalars(union(with_subscription,
                                                                with_licence))]


def _row(names: RecordNames, summary: CustomerSummary, payment: _Payment | None) -> Row:
    name = names.of("account", summary.account_id)
    currency = summary.currency
    return {
        "account": name.salesforce_id or summary.account_id, "name": name.name,
        "licence_status": summary.licence_status, "expiration": summary.expiration,
        "seats": summary.seats, "used_seats": summary.used_seats,
        "utilisation": summary.utilisation, "status": summary.billing, "currency": currency,
        "mrr": _amount(summary.mrr_minor, currency), "arr": _amount(summary.arr_minor, currency),
        "last_payment": payment and money(payment.amount_minor, payment.currency),
        "last_payment_currency": payment and payment.currency,
        "last_payment_status": payment and ("paid" if payment.kind == MoneyKind.PAYMENT
                                            else "failed"),
        "last_payment_at": payment and payment.at,
        "discrepancies": "; ".join(summary.discrepancies) or None,
    }


def _amount(minor: int | None, currency: str | None) -> object:
    return None if minor is None or currency is None else money(minor, currency)


def _last_payments(session: Session, ids: list[str]) -> dict[str, _Payment]:
    """The newest payment or failed payment of each account (one windowed query)."""
    account = func.coalesce(MoneyEntry.account_id, Subscription.account_id)
    newest = func.row_number().over(partition_by=account, order_by=(
        MoneyEntry.occurred_at.desc(), MoneyEntry.id.desc()))
    ranked = (select(account.label("account"), MoneyEntry.kind, MoneyEntry.amount_minor,
                     MoneyEntry.currency, MoneyEntry.occurred_at, newest.label("rank"))
              .outerjoin(Subscription, Subscription.id == MoneyEntry.subscription_id)
              .where(MoneyEntry.kind.in_(PAYMENT_KINDS), account.in_(ids)).subquery())
    found = session.execute(select(ranked.c.account, ranked.c.kind, ranked.c.amount_minor,
                                   ranked.c.currency, ranked.c.occurred_at)
                            .where(ranked.c.rank == 1))
    return {str(acc): _Payment(str(kind), int(amount), str(currency), _utc(at))
            for acc, kind, amount, currency, at in found}


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
