"""The Stripe Billing adapter, source and target alike: one pinned ``StripeClient``, the
client-side rate limit and the readers of Stripe object shapes that moved between API versions.
May import only the root modules.
"""
