"""The ledger: the system of record between Salesforce and Stripe (SQLAlchemy models, the
Alembic migrations, the journal, links, daemon state, licences).

Importing the package registers every table in :data:`connector.ledger.models.metadata`,
the licence tables of :mod:`connector.ledger.licences` included.
"""

from connector.ledger import licences as _licences  # noqa: F401 (registers the licence tables)
