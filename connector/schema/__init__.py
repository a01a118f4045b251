"""What objects and fields the systems have: Salesforce describe results and SFDX source, the
standard objects, the org's ``Organization`` fields, the Stripe fields we read and write,
coarse value kinds and dotted record paths. Pure knowledge about the systems, no mapping and no
ledger. May import only the root modules (``connector.errors``, ``clock``, ...).
"""
