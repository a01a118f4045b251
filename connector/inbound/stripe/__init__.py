"""Stripe into the ledger: the ``/v1/events`` backstop, the inbox applied event by event,
reconciliation past the 30-day window, the subscription, invoice and money facts each
object carries, and ``import stripe`` (the objects that existed before the daemon). Same
imports as ``inbound``.
"""
