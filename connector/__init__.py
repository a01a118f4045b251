"""crm-connector: keeps Salesforce, Stripe Billing and a local ledger in agreement."""

from __future__ import annotations

__version__ = "0.1.0"
