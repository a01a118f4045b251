"""Email as a target: rendering the admin-editable templates, building digests, Salesforce links
and sending over SMTP. Knows nothing of the ledger. May import only the root modules.
"""
