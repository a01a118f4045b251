"""Alembic environment for the ledger.

Where the database comes from, first match wins:

1. ``config.attributes["connection"]``: a connection handed over by
   :func:`connector.ledger.database.migrate`; migrations join its transaction.
2. The environment variable ``CRM_CONNECTOR_LEDGER_URL``.
3. ``sqlalchemy.url`` in the Alembic config (``alembic.ini`` at the repository root).
"""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from connector.ledger.database import make_engine
from connector.ledger.models import metadata

LEDGER_URL_ENV = "CRM_CONNECTOR_LEDGER_URL"


def _url() -> str:
    url = os.environ.get(LEDGER_URL_ENV) or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError(f"no ledger URL: set {LEDGER_URL_ENV} or sqlalchemy.url")
    return url


def _run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        # SQLite DDL is transactional too (our engines emit BEGIN IMMEDIATE): one upgrade,
        # one transaction, on every backend.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """Emit the migration SQL for the configured URL instead of running it."""
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run the migrations on the handed-over connection or a fresh engine."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as fresh:
            _run_on(fresh)
    finally:
        engine.dispose()


if context.config.config_file_name is not None and "connection" not in context.config.attributes:
    fileConfig(context.config.config_file_name, disable_existing_loggers=False)

if context.is_offline_mode():
    run_offline()
else:
    run_online()
