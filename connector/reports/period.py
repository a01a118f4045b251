"""Months, the question a report answers, and the SQL that puts a moment in its month.

A month is a UTC calendar month written ``YYYY-MM``. A report covers the months from
``--from`` to ``--to`` inclusive; without ``--from`` it starts at the first month the ledger
has data for, without ``--to`` it ends with the current month.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from connector.mapping.money import from_minor

_MONTH = re.compile(r"(\d{4})-(\d{2})")


class MonthError(ValueError):
    """Text that is not a month ``YYYY-MM``."""


@dataclass(frozen=True, order=True)
class Month:
    """A UTC calendar month."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """``"2026-03"`` as a month.

        Raises:
            MonthError: not ``YYYY-MM`` with a month from 01 to 12.
        """
        match = _MONTH.fullmatch(text.strip())
        if match is None or not 1 <= int(match[2]) <= 12:
            raise MonthError(f"{text!r} is not a month YYYY-MM")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, moment: datetime | date) -> Month:
        """The month ``moment`` falls in (an aware datetime is taken in UTC)."""
        if isinstance(moment, datetime):
            moment = moment.astimezone(UTC)
        return cls(moment.year, moment.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def next(self) -> Month:
        """The month after this one."""
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    @property
    def start(self) -> datetime:
        """Its first instant, UTC."""
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first instant of the next month, UTC (exclusive)."""
        return self.next().start


def months(first: Month, last: Month) -> list[Month]:
    """Every month from ``first`` to ``last`` inclusive (empty when ``first`` is later)."""
    found: list[Month] = []
    current = first
    while current <= last:
        found.append(current)
        current = current.next()
    return found


@dataclass(frozen=True)
class ReportQuery:
    """What the user asked for.

    Attributes:
        now: the current moment (the default end of the range).
        start: ``--from``, None for the ledger's first month with data.
        end: ``--to``, None for the current month.
        currency: ``--currency`` (lowercase), None for every currency.
        account: ``--account``, a ledger id of an account (resolved by the command).
        seat_products: the ``ProductCode`` of the products sold by the seat
            (``license.toml``; empty: every product), for ``customer-summary``.
    """

    now: datetime
    start: Month | None = None
    end: Month | None = None
    currency: str | None = None
    account: str | None = None
    seat_products: tuple[str, ...] = ()

    def span(self, first_seen: datetime | date | str | None) -> list[Month]:
        """The months the report covers, given the first moment (or month) it has data for.

        Empty when neither ``--from`` nor any data gives a start.
        """
        if isinstance(first_seen, str):
            first_seen = Month.parse(first_seen[:7]).start
        start = self.start or (Month.of(first_seen) if first_seen is not None else None)
        if start is None:
            return []
        return months(start, self.end or Month.of(self.now))

    @property
    def lower(self) -> datetime | None:
        """The first instant covered when ``--from`` was given."""
        return self.start.start if self.start else None

    @property
    def upper(self) -> datetime:
        """The instant after the last covered month (exclusive)."""
        return (self.end or Month.of(self.now)).end


def money(minor: int | Decimal | None, currency: str) -> Decimal:
    """Minor units as a decimal amount in major units (``1999`` USD → ``19.99``; JPY as is),
    a fraction of a minor unit rounded half-even."""
    whole = Decimal(minor or 0).to_integral_value(ROUND_HALF_EVEN)
    return from_minor(int(whole), currency)


class month_of(FunctionElement[str]):  # noqa: N801 - reads as the SQL function it renders
    """SQL: the ``YYYY-MM`` (UTC) of a timestamp or date column."""

    type = String()
    inherit_cache = True
    name = "month_of"


@compiles(month_of, "sqlite")
def _month_sqlite(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    # The ledger stores naive UTC text "YYYY-MM-DD HH:MM:SS", dates "YYYY-MM-DD".
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 7)"


class date_month_of(FunctionElement[str]):  # noqa: N801 - reads as the SQL function it renders
    """SQL: the ``YYYY-MM`` of a date column (no time zone involved)."""

    type = String()
    inherit_cache = True
    name = "date_month_of"


@compiles(date_month_of, "sqlite")
def _date_month_sqlite(element: date_month_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 7)"


@compiles(date_month_of)
def _date_month_other(element: date_month_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


@compiles(month_of)
def _month_other(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    # PostgreSQL: timestamptz columns are shown in UTC whatever the session's time zone.
    value = compiler.process(element.clauses, **kw)
    return f"to_char(({value})::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM')"
