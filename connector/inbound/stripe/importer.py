"""``import stripe``: every existing customer, subscription, invoice, refund and credit note.

Kinds are read in that order (each needs the one before), through Stripe's list APIs, 100
objects a page, inside the gateway's rate limit. Each page is applied in one ledger
transaction with the kind's cursor (``stripe.import.<kind>``: the page's last id), so a
crash resumes after the last committed page, and a page is never half applied. Applying is
the ordinary appliers' work (:class:`~connector.inbound.stripe.objects.StripeObjects`), on
current copies, so a re-import changes nothing and duplicates nothing.

Before a page's transaction, what it needs from outside is fetched: the Salesforce Accounts
of its customers (:class:`~connector.inbound.stripe.account_match.AccountMatcher`), the
customers and subscriptions it refers to that the ledger lacks (``--since`` leaves older
ones out of the lists), and for refunds their charge and its invoice. An object that cannot
be applied is dead-lettered with the reason and the page goes on.

API calls: one per page of each kind, plus per page of subscriptions or invoices one fetch
per customer or subscription missing, plus two per refunded charge; and one Salesforce query
per page of customers (one describe per run).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import select

from connector import crashpoints
from connector.billing import shapes
from connector.billing.client import ListPage, StripeGateway
from connector.errors import SkippableError
from connector.inbound.stripe import imported, money_facts
from connector.inbound.stripe.account_match import AccountMatcher, FoundAccount, mirror_account
from connector.inbound.stripe.objects import Origin, StripeObjects, apply_customer
from connector.inbound.stripe.reconcile import failures_of
from connector.ledger import stripe_inbox
from connector.ledger.models import (
    Customer,
    DeadLetter,
    DeadLetterStatus,
    Invoice,
    Subscription,
    System,
)
from connector.ledger.unit_of_work import Ledger, UnitOfWork
from connector.mapping import MappingSet

log = structlog.get_logger(__name__)
Json = dict[str, Any]
KINDS = ("customer", "subscription", "invoice", "refund", "credit_note")
DEAD_LETTER_SOURCE = "stripe.import"
Progress = Callable[[str, int], None]
"""Told ``(kind, objects)`` after each committed page."""


def stream(kind: str) -> str:
    """The cursor stream of one kind."""
    return f"stripe.import.{kind}"


@dataclass(frozen=True)
class ImportCursor:
    """Where the import of one kind stands.

    Attributes:
        since: the run's ``--since`` (Unix seconds; None: everything).
        after: the last id of the last committed page (None: from the newest).
        done: every page was committed.
        started: when the run that this cursor belongs to began.
    """

    since: int | None
    started: str
    after: str | None = None
    done: bool = False

    def dumps(self) -> str:
        """The stored form."""
        return json.dumps({"since": self.since, "started": self.started, "after": self.after,
                           "done": self.done})

    @classmethod
    def loads(cls, text: str | None) -> ImportCursor | None:
        """Parse a stored cursor (None when there is none)."""
        if not text:
            return None
        value = json.loads(text)
        return cls(value.get("since"), str(value["started"]), value.get("after"),
                   bool(value.get("done")))


@dataclass
class KindResult:
    """What the import did with one kind."""

    pages: int = 0
    listed: int = 0
    applied: int = 0
    dead_letters: int = 0


@dataclass
class ImportResult:
    """What one ``import stripe`` run did, per kind; ``resumed``: it went on from cursors."""

    kinds: dict[str, KindResult] = field(default_factory=lambda: {k: KindResult() for k in KINDS})
    resumed: bool = False
    requeued: int = 0


@dataclass
class _Prepared:
    """What a page's transaction needs from outside, fetched before it opens."""

    accounts: dict[str, FoundAccount] = field(default_factory=dict)
    customers: list[Json] = field(default_factory=list)
    subscriptions: list[Json] = field(default_factory=list)
    charges: dict[str, tuple[Json, str | None]] = field(default_factory=dict)


class StripeImport:
    """Runs ``import stripe``.

    Args:
        ledger: the ledger of this run.
        gateway: Stripe.
        objects: the appliers shared with the inbox.
        mappings: the mapping set in use.
        matcher: finds customers' Salesforce Accounts.
        mirror: ``[stripe] mirror_unlinked``.
        progress: told of each committed page.
    """

    def __init__(self, ledger: Ledger, gateway: StripeGateway, objects: StripeObjects,
                 mappings: MappingSet, matcher: AccountMatcher, *, mirror: bool = False,
                 progress: Progress | None = None) -> None:
        self._ledger = ledger
        self._gateway = gateway
        self._objects = objects
        self._mappings = mappings
        self._matcher = matcher
        self._mirror = mirror
        self._progress = progress or (lambda kind, count: None)

    def run(self, since: datetime | None = None) -> ImportResult:
        """Import every kind, resuming an interrupted run with the same ``since``.

        Raises:
            RetriableError: Stripe or Salesforce failed transiently; run it again to resume.
        """
        self._matcher.connect()
        created_gte = int(since.timestamp()) if since is not None else None
        cursors, result = self._cursors(created_gte)
        for kind in KINDS:
            cursor = cursors[kind]
            if not cursor.done:
                self._import_kind(kind, cursor, result.kinds[kind])
        with self._ledger.unit() as uow:
            result.requeued = stripe_inbox.requeue_ignored(
                uow.session, datetime.fromisoformat(cursors[KINDS[0]].started))
        log.info("stripe import finished", resumed=result.resumed, requeued=result.requeued,
                 **{kind: vars(counts) for kind, counts in result.kinds.items()})
        return result

    def _cursors(self, since: int | None) -> tuple[dict[str, ImportCursor], ImportResult]:
        """The kinds' cursors: those of an unfinished run with the same ``since``, else new."""
        with self._ledger.unit() as uow:
            stored = {kind: ImportCursor.loads(uow.cursor(stream(kind))) for kind in KINDS}
            now = uow.now.isoformat()
        going = [c for c in stored.values() if c is not None and not c.done and c.since == since]
        if not going:
            return {kind: ImportCursor(since, now) for kind in KINDS}, ImportResult()
        fresh = ImportCursor(since, going[0].started)
        cursors = {kind: c if c is not None and c.since == since and c.started == fresh.started
                   else fresh for kind, c in stored.items()}
        return cursors, ImportResult(resumed=True)

    def _import_kind(self, kind: str, cursor: ImportCursor, counts: KindResult) -> None:
        pages = self._gateway.list_pages(kind, created_gte=cursor.since,
                                         starting_after=cursor.after)
        for page in pages:
            prepared = self._prepare(kind, page)
            cursor = replace(cursor, after=page.last_id or cursor.after, done=not page.has_more)
            self._commit(kind, page, prepared, cursor, counts)
            crashpoints.reached("import.page_committed")
            counts.pages += 1
            counts.listed += len(page.objects)
            self._progress(kind, len(page.objects))

    def _prepare(self, kind: str, page: ListPage) -> _Prepared:
        prepared = _Prepared()
        if kind == "customer":
            prepared.accounts = self._matcher.find(page.objects)
        elif kind == "subscription":
            self._missing_customers(page.objects, prepared)
        elif kind == "invoice":
            self._missing_subscriptions(page.objects, prepared)
        elif kind == "refund":
            for charge_id in sorted({c for r in page.objects if (c := shapes.charge_of(r))}):
                charge = self._gateway.fetch("charge", charge_id)
                prepared.charges[charge_id] = (charge, self._objects.invoice_of_charge(charge))
        return prepared

    def _missing_customers(self, objects: list[Json], prepared: _Prepared) -> None:
        wanted = sorted({c for o in objects if (c := shapes.customer_of(o))})
        missing = self._unknown("customer", wanted)
        prepared.customers = [self._gateway.fetch("customer", ident) for ident in missing]
        prepared.accounts = self._matcher.find(prepared.customers)

    def _missing_subscriptions(self, invoices: list[Json], prepared: _Prepared) -> None:
        """The subscriptions the invoices bill, and the customers of those and of one-off
        invoices (no subscription), that the ledger lacks."""
        wanted = sorted({s for i in invoices if (s := shapes.invoice_subscription(i))})
        missing = self._unknown("subscription", wanted)
        prepared.subscriptions = [self._gateway.fetch("subscription", i) for i in missing]
        one_off = [i for i in invoices if shapes.invoice_subscription(i) is None]
        self._missing_customers(prepared.subscriptions + one_off, prepared)

    def _unknown(self, object_type: str, stripe_ids: list[str]) -> list[str]:
        with self._ledger.unit() as uow:
            return [i for i in stripe_ids if uow.entity_for(System.STRIPE, object_type, i) is None]

    def _commit(self, kind: str, page: ListPage, prepared: _Prepared, cursor: ImportCursor,
                counts: KindResult) -> None:
        """Apply the page and advance the cursor in one transaction; an object that cannot
        be applied is left out (the page is applied again without it) and dead-lettered."""
        refused: dict[str, SkippableError] = {}
        while True:
            try:
                with self._ledger.unit() as uow:
                    uow.announce = False  # history, not news: no outbound webhooks
                    applied = self._apply_page(uow, kind, page, prepared, refused)
                    _dead_letter(uow, kind, refused)
                    uow.set_cursor(stream(kind), cursor.dumps())
                    crashpoints.reached("import.page_applying")
                counts.applied += applied
                counts.dead_letters += len(refused)
                return
            except _RefusedError as problem:
                refused[problem.ident] = problem.error

    def _apply_page(self, uow: UnitOfWork, kind: str, page: ListPage, prepared: _Prepared,
                    refused: dict[str, SkippableError]) -> int:
        origin = Origin(f"import:{uow.run_id}", uow.now, listed=True)
        _prefetch(uow, kind, page.objects + prepared.customers + prepared.subscriptions)
        for customer in (c for c in prepared.customers if c["id"] not in refused):
            _guarded(customer["id"], self._customer, uow, customer, prepared)
        for sub in (s for s in prepared.subscriptions if s["id"] not in refused):
            _guarded(sub["id"], self._subscription, uow, sub, origin)
        applied = 0
        for obj in page.objects:
            if str(obj["id"]) not in refused:
                applied += _guarded(str(obj["id"]), self._apply_one, uow, kind, obj, prepared,
                                    origin)
        return applied

    def _apply_one(self, uow: UnitOfWork, kind: str, obj: Json, prepared: _Prepared,
                   origin: Origin) -> bool:
        if kind == "customer":
            return self._customer(uow, obj, prepared)
        if kind == "subscription":
            return self._subscription(uow, obj, origin)
        if kind == "invoice":
            return self._objects.invoice(uow, obj, failures_of(obj, uow.now), origin)
        if kind == "refund":
            charge, invoice_id = prepared.charges.get(shapes.charge_of(obj) or "", ({}, None))
            facts = [f for f in money_facts.refunds_of(charge) if f.external_id == obj["id"]]
            return self._objects.money(uow, invoice_id, facts, origin)
        return self._objects.credit_note(uow, obj, origin)

    def _customer(self, uow: UnitOfWork, customer: Json, prepared: _Prepared) -> bool:
        found = prepared.accounts.get(customer["id"])
        account = mirror_account(uow, found) if found is not None else None
        imported.import_customer(uow, customer, account)
        apply_customer(uow, customer, uow.now)
        return True

    def _subscription(self, uow: UnitOfWork, stripe_sub: Json, origin: Origin) -> bool:
        row = imported.import_subscription(uow, stripe_sub, self._mappings, mirror=self._mirror)
        if row is None:
            return False
        self._objects.subscription(uow, stripe_sub, origin)
        return True


def _prefetch(uow: UnitOfWork, kind: str, objects: list[Json]) -> None:
    """Load the links (and rows) a page's objects will look up, in a few queries."""
    customers = {c for o in objects if (c := shapes.customer_of(o) if kind != "customer"
                                        else str(o["id"]))}
    uow.prefetch(System.STRIPE, "customer", Customer, customers)
    if kind == "subscription":
        uow.prefetch(System.STRIPE, "subscription", Subscription, [o["id"] for o in objects])
    if kind == "invoice":
        uow.prefetch(System.STRIPE, "invoice", Invoice, [o["id"] for o in objects])
        uow.prefetch(System.STRIPE, "subscription", Subscription,
                     [s for o in objects if (s := shapes.invoice_subscription(o))])


def _dead_letter(uow: UnitOfWork, kind: str, refused: dict[str, SkippableError]) -> None:
    """Keep each refused object once (a later page that needs it again adds nothing)."""
    for ident, exc in refused.items():
        known = uow.session.scalar(select(DeadLetter.id).where(
            DeadLetter.source == DEAD_LETTER_SOURCE, DeadLetter.record_key == ident,
            DeadLetter.status == DeadLetterStatus.OPEN))
        if known is None:
            uow.dead_letter(DEAD_LETTER_SOURCE, ident, str(exc), exc.code,
                            {"object": kind, "id": ident})


def _guarded(ident: str, apply: Callable[..., bool], *args: Any) -> bool:
    """``apply(*args)``; an object it cannot apply stops the page's transaction."""
    try:
        return apply(*args)
    except SkippableError as exc:
        raise _RefusedError(ident, exc) from exc


class _RefusedError(Exception):
    """An object of a page that cannot be applied (internal: the page is redone without it)."""

    def __init__(self, ident: str, error: SkippableError) -> None:
        super().__init__(ident)
        self.ident, self.error = ident, error
