"""Salesforce streams read into the ledger: opportunities and line items (with their generation
state) and records deleted in Salesforce. Same imports as ``inbound``.
"""
