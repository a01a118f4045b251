"""The hub every system is reconciled against: the schema (models) and its Alembic migrations, the
database, the journal, links to ids in other systems, the unit of work of one sync step,
mirrored entities, the Stripe inbox and the daemon's state. May import the root modules and
``connector.billing`` (the inbox reads Stripe event timestamps); never mapping or the stages
above it.

Importing the package registers every table in :data:`connector.ledger.models.metadata`,
the licence tables of :mod:`connector.ledger.licences`, the outbound webhook tables of
:mod:`connector.ledger.webhook_deliveries`, the import records of
:mod:`connector.ledger.stripe_import` and the notification catalog's of
:mod:`connector.ledger.announcements` included.
"""

from connector.ledger import announcements as _announcements  # noqa: F401 (its tables)
from connector.ledger import licences as _licences  # noqa: F401 (registers the licence tables)
from connector.ledger import stripe_import as _stripe_import  # noqa: F401 (its table)
from connector.ledger import webhook_deliveries as _webhook_deliveries  # noqa: F401 (its tables)
