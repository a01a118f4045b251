"""Column types, naming convention, constraint helpers and the declarative base."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import partial
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    MappedColumn,
    mapped_column,
)
from sqlalchemy.types import TypeDecorator

ID_LENGTH = 64
EXTERNAL_ID_LENGTH = 255

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# An auto-incrementing 64-bit key; SQLite only auto-increments a column typed INTEGER.
BigIntegerKey = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp that always comes back as an aware UTC ``datetime``.

    Writing a naive ``datetime`` raises ``ValueError`` (wrapped by SQLAlchemy in a
    ``StatementError``). SQLite, which has no time zone support, stores naive UTC text.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to UTC; refuse a naive one."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} refused: the ledger stores aware UTC")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return the stored moment as an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def new_ledger_id(prefix: str) -> str:
    """Return a fresh ledger id such as ``sub-3f9c0c1e...`` (prefix, hyphen, uuid4 hex)."""
    return f"{prefix}-{uuid.uuid4().hex}"



def one_of(column: str, values: type[StrEnum], name: str | None = None) -> CheckConstraint:
    allowed = ", ".join(f"'{member.value}'" for member in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name or column)


def currency_check(column: str = "currency") -> CheckConstraint:
    return CheckConstraint(
        f"length({column}) = 3 AND {column} = lower({column})", name=column
    )


def non_negative(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} >= 0", name=f"{column}_non_negative")


def ledger_id_column(prefix: str) -> MappedColumn[str]:
    return mapped_column(
        String(ID_LENGTH), primary_key=True, default=partial(new_ledger_id, prefix)
    )


def foreign_key(target: str, *, nullable: bool = True) -> MappedColumn[Any]:
    return mapped_column(String(ID_LENGTH), ForeignKey(target), nullable=nullable, index=True)



class Base(DeclarativeBase):
    """Declarative base carrying the naming convention Alembic relies on."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        Decimal: Numeric(18, 6),
        int: Integer(),
        bool: Boolean(),
        date: Date(),
    }


metadata = Base.metadata
"""Every table's metadata (Alembic's target)."""


class EntityTimestamps:
    """Timestamps of a synced entity; callers set them from their clock."""

    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
