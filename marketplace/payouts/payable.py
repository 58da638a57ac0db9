"""What is payable to whom, and when: the ledger's balances split by each booking's
``payable_on`` (issue 13 §2).

A provider's net, a beneficiary's share and a commune's tax on a booking become payable on
the booking's ``payable_on`` (the service's start plus the territory's payout delay, fixed
when it was paid). Until then they are **due**. Entries not tied to a booking (payouts,
adjustments) count at once. So, for an account, as of a day:

- ``payable``: what may be paid now, net of its debts (refunds of bookings already paid
  out); negative when the recipient owes the territory (a debt carried to later credits);
- ``due``: credited but not payable yet, with ``next_due_on``, the first day some of it
  becomes payable.

Signs: positive = owed **to** the recipient (the opposite of the ledger's sign for
credits, see :mod:`marketplace.books.models`). Two queries, whatever the ledger's size.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from marketplace.books.models import LedgerEntry
from marketplace.models import Booking


@dataclass(frozen=True)
class Payable:
    account: str
    payable: int
    due: int = 0
    next_due_on: dt.date | None = None

    @property
    def credited(self) -> int:
        """Everything the ledger owes the account now, payable or not."""
        return self.payable + self.due


def _prefix_q(prefixes: Iterable[str]) -> Q:
    query = Q(pk__in=[])
    for prefix in prefixes:
        prefix = prefix.rstrip(":")
        query |= Q(account=prefix) | Q(account__startswith=f"{prefix}:")
    return query


def payable_balances(
    *,
    site,
    on: dt.date,
    accounts: Iterable[str] | None = None,
    prefixes: Iterable[str] | None = None,
    before: dt.datetime | None = None,
) -> dict[str, Payable]:
    """``{account: Payable}`` as of the day ``on`` for ``site``'s accounts (or those given,
    or those starting with one of ``prefixes``), sorted by account. Accounts at zero in
    every respect are left out. ``before`` leaves out the entries of transactions that
    occurred from then on (a statement's closing balance at the end of its period)."""
    entries = LedgerEntry.objects.filter(transaction__site=site)
    if before is not None:
        entries = entries.filter(transaction__occurred_at__lt=before)
    if accounts is not None:
        entries = entries.filter(account__in=list(accounts))
    if prefixes is not None:
        entries = entries.filter(_prefix_q(prefixes))
    payable_on = Subquery(
        Booking.objects.filter(reference=OuterRef("transaction__booking_ref")).values("payable_on")[
            :1
        ]
    )
    # One row per account and payable day: a day whose credits were all refunded nets to
    # zero and is nobody's next due day.
    rows = (
        entries.annotate(payable_on=payable_on)
        .values("account", "payable_on")
        .annotate(total=Coalesce(Sum("amount"), 0))
        .order_by("account", "payable_on")
        .values_list("account", "payable_on", "total")
    )
    sums: dict[str, tuple[int, int, dt.date | None]] = {}
    for account, day, amount in rows:
        owed = -amount
        total, due, next_due_on = sums.get(account, (0, 0, None))
        total += owed
        if day is not None and day > on:
            due += owed
            if owed > 0 and (next_due_on is None or day < next_due_on):
                next_due_on = day
        sums[account] = (total, due, next_due_on)
    found: dict[str, Payable] = {}
    for account, (total, due, next_due_on) in sums.items():
        if total == 0 and due == 0:
            continue
        found[account] = Payable(
            account=account,
            payable=total - due,
            due=due,
            next_due_on=next_due_on if due else None,
        )
    return found


def payable_balance(
    *, site, account: str, on: dt.date, before: dt.datetime | None = None
) -> Payable:
    found = payable_balances(site=site, on=on, accounts=[account], before=before)
    return found.get(account) or Payable(account, 0)
