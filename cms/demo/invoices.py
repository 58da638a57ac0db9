"""The demo's commission invoices: the past periods' invoices and credit notes, issued as
the daily task would have issued them, each the day after its period ended (05:30), so
the admin's *Invoices* page has months of them to show."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from marketplace.books.models import LedgerTransaction
from marketplace.invoices.periods import MONTHLY, QUARTER_FIRST_MONTHS, period_bounds, period_of
from marketplace.invoices.services import invoices_issue
from marketplace.models import TerritorySettings


def past_periods(*, first: dt.date, today: dt.date, kind: str) -> list[tuple[dt.date, dt.date]]:
    """The invoicing periods from the one holding ``first`` to the last ended before
    ``today``."""
    month = first.month if kind == MONTHLY else QUARTER_FIRST_MONTHS[(first.month - 1) // 3]
    year, periods = first.year, []
    while True:
        start, end = period_of(year, month, kind)
        if end >= today:
            return periods
        periods.append((start, end))
        month += 1 if kind == MONTHLY else 3
        year, month = year + (month - 1) // 12, (month - 1) % 12 + 1


def past_invoices_ensure(*, site, today: dt.date) -> int:
    """Issue every ended period's invoices since the first movement of the books (a period
    already issued issues nothing: idempotent); how many documents were issued."""
    first = (
        LedgerTransaction.objects.filter(site=site)
        .order_by("occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )
    if first is None:
        return 0
    kind = TerritorySettings.for_site(site).invoice_period
    now = timezone.now()
    issued = 0
    for start, end in past_periods(first=timezone.localdate(first), today=today, kind=kind):
        # As the daily task would have, the morning after the period.
        at = min(period_bounds(start, end)[1] + dt.timedelta(hours=5, minutes=30), now)
        issued += len(invoices_issue(site=site, period_start=start, period_end=end, now=at))
    return issued
