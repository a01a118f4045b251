"""What ledger changes mean: won deals become potential subscriptions, CSM edits of
``Subscription__c`` queue activation and lifecycle changes, admins settle conflicts. A workflow
writes ledger rows and outbox operations, never calls a target or formats an email. May import
everything ``inbound`` may, and ``inbound``.
"""
