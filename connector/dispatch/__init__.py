"""The outbox delivered to the targets: Salesforce writes in batches, Stripe activations and
lifecycle updates with idempotency keys, CSM digests by email; each answer recorded in the
ledger. May import everything ``workflows`` may, plus ``workflows`` and ``notify``.
"""
