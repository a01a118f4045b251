"""The won opportunity's primary contact: where customer notifications go when the account
has no ``Billing_Email__c``.

Revision ID: 0012_primary_contact
Revises: 0011_notification_catalog
Create Date: 2026-12-08

``opportunities.primary_contact_email`` is the ``Contact.Email`` of the opportunity's primary
contact role (``OpportunityContactRole.IsPrimary``), as last read with the opportunity.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_primary_contact"
down_revision = "0011_notification_catalog"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the column (empty until the opportunities are read again)."""
    with op.batch_alter_table("opportunities") as batch:
        batch.add_column(sa.Column("primary_contact_email", sa.String(320), nullable=True))


def downgrade() -> None:
    """Drop the column."""
    with op.batch_alter_table("opportunities") as batch:
        batch.drop_column("primary_contact_email")
