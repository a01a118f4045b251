"""The Stripe webhook receiver: signature checks, the ASGI app and its server."""
