"""Reads of bank details, for the admin and for the payout runs.

**For payout runs** (and SEPA files, statements): :func:`approved_bank_account` and
:func:`approved_bank_accounts`. They return only details a second person approved, never
a pending submission. A run reads them **at its own date** (``at``): a change submitted
or even approved after the run was drawn up does not redirect the run's money; the run
pays the account that was in force at its date, and the next run pays the new one. A
recipient with no approved details gets ``None`` (the run lists it as skipped).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone

from marketplace.payouts.models import BankAccount, BankAccountStatus


def approved_bank_account(site, account: str, *, at: dt.datetime | None = None):
    """The details in force for ``account`` of ``site`` (now, or at ``at``), or None."""
    return approved_bank_accounts(site=site, accounts=[account], at=at).get(account)


def approved_bank_accounts(
    *, site, accounts: Iterable[str] | None = None, at: dt.datetime | None = None
) -> dict[str, BankAccount]:
    """``{account: BankAccount}`` in force for ``site`` (``accounts``, or all), one query."""
    rows = BankAccount.objects.for_site(site)
    if at is None:
        rows = rows.approved()
    else:
        rows = rows.in_force_at(at)
    if accounts is not None:
        rows = rows.filter(account__in=list(accounts))
    return {row.account: row for row in rows.order_by("decided_at", "pk")}


def pending_bank_account(site, account: str) -> BankAccount | None:
    return BankAccount.objects.for_site(site).pending().filter(account=account).first()


def recent_rejection(site, account: str, *, days: int = 30) -> BankAccount | None:
    """The last rejection of the last ``days`` days, to tell the provider why."""
    since = timezone.now() - dt.timedelta(days=days)
    return (
        BankAccount.objects.for_site(site)
        .filter(account=account, status=BankAccountStatus.REJECTED, decided_at__gte=since)
        .order_by("-decided_at", "-pk")
        .first()
    )


def bank_accounts_for_review(site):
    """Every row of ``site``, pending first, then the newest."""
    return (
        BankAccount.objects.for_site(site)
        .select_related("submitted_by", "decided_by")
        .annotate(
            pending_first=Case(
                When(status=BankAccountStatus.PENDING, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
    )
