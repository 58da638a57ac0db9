"""Reads of the ledger: balances and statements are sums over entries, in SQL.

Every function here runs a fixed number of queries, whatever the size of the ledger.
Signs as in :mod:`marketplace.books.models`: a negative balance on a provider, beneficiary or
tax account is what the territory owes it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import F, Q, QuerySet, Sum, Window
from django.db.models.functions import Coalesce

from marketplace.books.ledger import account_kind
from marketplace.books.models import LedgerEntry, TransactionKind


def _prefix_q(prefix: str) -> Q:
    """``provider`` (or ``provider:``) matches ``provider`` and ``provider:<anything>``."""
    prefix = prefix.rstrip(":")
    return Q(account=prefix) | Q(account__startswith=f"{prefix}:")


def entries_for_site(*, site) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(transaction__site=site)


def account_balance(*, account: str, site=None) -> int:
    """The sum of an account's entries, in cents (one query)."""
    entries = LedgerEntry.objects.filter(account=account)
    if site is not None:
        entries = entries.filter(transaction__site=site)
    return entries.aggregate(balance=Coalesce(Sum("amount"), 0))["balance"]


def booking_account_total(*, booking_ref: str, account: str) -> int:
    """What a booking's transactions (confirmation, refunds) put on ``account`` (one query)."""
    entries = LedgerEntry.objects.filter(account=account, transaction__booking_ref=booking_ref)
    return entries.aggregate(total=Coalesce(Sum("amount"), 0))["total"]


def balances(*, site, prefix: str | None = None) -> dict[str, int]:
    """Every account's balance in a territory, ``{account: cents}``, sorted by account.

    One grouped query. ``prefix`` keeps one kind or family of accounts (``provider``,
    ``tax:tourist``). Accounts whose entries cancel out are kept, at zero.
    """
    entries = entries_for_site(site=site)
    if prefix:
        entries = entries.filter(_prefix_q(prefix))
    rows = (
        entries.values("account")
        .annotate(balance=Sum("amount"))
        .order_by("account")
        .values_list("account", "balance")
    )
    return dict(rows)


def balances_by_kind(*, site) -> dict[str, dict[str, int]]:
    """:func:`balances` grouped by kind of account (``visitor``, ``provider``, ...)."""
    grouped: dict[str, dict[str, int]] = {}
    for account, balance in balances(site=site).items():
        grouped.setdefault(account_kind(account), {})[account] = balance
    return grouped


@dataclass
class Statement:
    """An account's entries over a period with the balance after each one."""

    account: str
    opening: int
    lines: list[LedgerEntry] = field(default_factory=list)

    @property
    def closing(self) -> int:
        return self.lines[-1].balance if self.lines else self.opening


def statement(
    *,
    account: str,
    site,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> Statement:
    """The entries of ``account`` in ``[since, until)`` by date, each with its running
    ``balance`` (the opening balance plus the entries up to and including it).

    Two queries: the opening balance, then the entries with their running sum computed
    by the database (a window function) and their transaction joined.
    """
    entries = LedgerEntry.objects.filter(account=account, transaction__site=site)
    opening = 0
    if since is not None:
        opening = entries.filter(transaction__occurred_at__lt=since).aggregate(
            balance=Coalesce(Sum("amount"), 0)
        )["balance"]
        entries = entries.filter(transaction__occurred_at__gte=since)
    if until is not None:
        entries = entries.filter(transaction__occurred_at__lt=until)
    order = [F("transaction__occurred_at").asc(), F("transaction_id").asc(), F("id").asc()]
    lines = list(
        entries.select_related("transaction")
        .annotate(running=Window(Sum("amount"), order_by=order))
        .order_by(*order)
    )
    for line in lines:
        line.balance = opening + line.running
    return Statement(account=account, opening=opening, lines=lines)


def beneficiary_earnings(*, site) -> dict[str, int]:
    """What each beneficiary has earned from bookings, net of refunds and of the VAT set
    aside from its shares (``vat`` transactions, when the operator is subject to VAT):
    ``{key: cents}``.

    Payouts move money the beneficiary already earned, so only confirmations, refunds,
    their reversals and the VAT set aside count. One grouped query.
    """
    rows = (
        entries_for_site(site=site)
        .filter(
            _prefix_q("beneficiary"),
            transaction__kind__in=[
                TransactionKind.ORDER_CONFIRMED,
                TransactionKind.REFUND,
                TransactionKind.REVERSAL,
                TransactionKind.VAT,
            ],
        )
        .values("account")
        .annotate(total=Sum("amount"))
        .values_list("account", "total")
    )
    # Credits are negative (see marketplace.books.models): earnings are the opposite of the sum.
    return {account.split(":", 1)[1]: -total for account, total in rows}
