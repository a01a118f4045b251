"""Stripe into the ledger: the ``/v1/events`` backstop, the inbox applied event by event,
reconciliation past the 30-day window, and the subscription, invoice and money facts each
object carries. Same imports as ``inbound``.
"""
