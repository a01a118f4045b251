"""Source records into the ledger: Salesforce streams (opportunities, line items, deletes) and the
Stripe inbox, backstop and reconciliation turned into ledger rows and facts, with conflicts
recorded where a non-owner changed a field. May import the root modules, ``schema``,
``salesforce``, ``billing``, ``mapping`` and ``ledger``.
"""
