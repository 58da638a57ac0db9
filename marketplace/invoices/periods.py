"""Invoicing periods: months and quarters, in the territory's time zone (pure).

A period is a pair of dates, both included (``2026-11-01``, ``2026-11-30``). Its
movements are those with ``start 00:00 <= occurred_at < (end + 1 day) 00:00`` in the
territory's time zone (``settings.TIME_ZONE``, Europe/Paris): a booking paid at 00:30 on
1 December, Paris time, belongs to December whatever UTC says.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings

MONTHLY = "monthly"
QUARTERLY = "quarterly"
QUARTER_FIRST_MONTHS = (1, 4, 7, 10)


class PeriodError(ValueError):
    """A period that is not one of the territory's invoicing periods."""


def territory_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The period's instants: ``[start 00:00, end + 1 day 00:00)`` in the territory's zone."""
    zone = territory_zone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=zone),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone),
    )


def _month_end(year: int, month: int) -> dt.date:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def period_of(year: int, month: int, kind: str) -> tuple[dt.date, dt.date]:
    """The period that starts with ``month``: the month itself, or the quarter it opens.

    Raises :class:`PeriodError` for a quarterly territory and a month that opens no quarter.
    """
    start = dt.date(year, month, 1)
    if kind == QUARTERLY:
        if month not in QUARTER_FIRST_MONTHS:
            raise PeriodError(
                f"invoicing is quarterly: a period starts in January, April, July or "
                f"October, not in month {month}"
            )
        return start, _month_end(year, month + 2)
    return start, _month_end(year, month)


def period_last_ended(today: dt.date, kind: str) -> tuple[dt.date, dt.date]:
    """The latest period that ended before ``today``: last month, or last quarter."""
    last_day = today.replace(day=1) - dt.timedelta(days=1)
    if kind == QUARTERLY:
        first_month = QUARTER_FIRST_MONTHS[(today.month - 1) // 3]
        last_day = today.replace(month=first_month, day=1) - dt.timedelta(days=1)
        month = QUARTER_FIRST_MONTHS[(last_day.month - 1) // 3]
        return period_of(last_day.year, month, QUARTERLY)
    return period_of(last_day.year, last_day.month, MONTHLY)
