"""The Stripe webhook receiver: signature checks, the ASGI app and its server, storing deliveries
in the ledger's Stripe inbox. May import the root modules and ``ledger``.
"""
