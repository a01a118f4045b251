"""The Salesforce adapter, source and target alike: OAuth, the REST client, Bulk API 2.0 query and
ingest jobs, incremental reads by ``SystemModstamp``, deletes, what the org has, and the API
budget counted on every call. Vendor errors become ``connector.errors`` here. May import the
root modules and ``connector.schema``.
"""
