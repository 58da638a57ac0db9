"""Credited and paid out, per recipient and period: the figures of the public transparency
page (issue 13 §3), read from the ledger in SQL.

For each commission beneficiary (``beneficiary:<key>``) and each commune's tourist tax
(``tax:tourist:<slug>``), over a calendar year and its quarters:

- **credited**: what bookings gave it, net of refunds (confirmations, refunds and their
  reversals) and of the VAT set aside from its share of the commission when the operator
  is subject to VAT (``vat`` transactions and their reversals);
- **paid out**: what actually left the platform for it (``payout`` runs by bank and
  Stripe ``transfer`` transactions, net of their reversals).

The VAT set aside (``tax:vat``, owed to the State) is read the same way, as its own line
(``vat_flows``): what the beneficiaries' shares would have been is their credited plus
their part of it.

Amounts are cents, positive (owed to / received by the recipient). Four queries, whatever
the number of beneficiaries and communes: the years with money, the grouped sums, the
beneficiaries' and the collectors' names.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from commissions.dates import territory_date, territory_day_start, territory_today
from commissions.models import Beneficiary
from marketplace.books.ledger import VAT_ACCOUNT
from marketplace.books.models import LedgerEntry, LedgerTransaction, TransactionKind
from marketplace.tourist_tax.models import TaxCollector

BENEFICIARY_PREFIX, TAX_PREFIX = "beneficiary:", "tax:tourist:"
# A booking's commission credited, given back, and the VAT set aside from it.
EARNING_KINDS = (TransactionKind.ORDER_CONFIRMED, TransactionKind.REFUND, TransactionKind.VAT)
PAYOUT_KINDS = (TransactionKind.PAYOUT, TransactionKind.TRANSFER)
QUARTERS = 4


def _kinds_q(kinds) -> Q:
    """Transactions of ``kinds``, and the reversals of such transactions."""
    return Q(transaction__kind__in=kinds) | Q(
        transaction__kind=TransactionKind.REVERSAL, transaction__reverses__kind__in=kinds
    )


@dataclass
class Flow:
    credited: int = 0
    paid_out: int = 0

    def add(self, other: Flow) -> None:
        self.credited += other.credited
        self.paid_out += other.paid_out


@dataclass
class RecipientFlows:
    account: str
    name: str
    detail: str = ""
    link: str = ""
    year: Flow = field(default_factory=Flow)
    quarters: list[Flow] = field(default_factory=lambda: [Flow() for _ in range(QUARTERS)])


def flow_years(*, site) -> list[int]:
    """The years in which the territory's ledger recorded anything, oldest first."""
    moments = LedgerTransaction.objects.filter(site=site).datetimes(
        "occurred_at", "year", tzinfo=timezone.get_default_timezone()
    )
    return sorted({territory_date(moment).year for moment in moments})


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    return territory_day_start(dt.date(year, 1, 1)), territory_day_start(dt.date(year + 1, 1, 1))


def account_flows(*, site, year: int) -> dict[str, list[Flow]]:
    """``{account: [Flow per quarter]}`` of the beneficiaries', communes' and VAT accounts
    in ``year`` (the territory's calendar, whoever reads). One grouped query."""
    start, end = _year_bounds(year)
    rows = (
        LedgerEntry.objects.filter(
            Q(account__startswith=BENEFICIARY_PREFIX)
            | Q(account__startswith=TAX_PREFIX)
            | Q(account=VAT_ACCOUNT),
            transaction__site=site,
            transaction__occurred_at__gte=start,
            transaction__occurred_at__lt=end,
        )
        .annotate(
            month=TruncMonth("transaction__occurred_at", tzinfo=timezone.get_default_timezone())
        )
        .values("account", "month")
        .annotate(
            earned=Coalesce(Sum("amount", filter=_kinds_q(EARNING_KINDS)), 0),
            paid=Coalesce(Sum("amount", filter=_kinds_q(PAYOUT_KINDS)), 0),
        )
        .order_by("account", "month")
    )
    found: dict[str, list[Flow]] = {}
    for row in rows:
        quarters = found.setdefault(row["account"], [Flow() for _ in range(QUARTERS)])
        month = territory_date(row["month"]).month
        # Credits are negative in the ledger, payouts debit the account (positive).
        quarters[(month - 1) // 3].add(Flow(credited=-row["earned"], paid_out=row["paid"]))
    return found


def _recipient(account: str, name: str, quarters: list[Flow] | None, **extra) -> RecipientFlows:
    found = RecipientFlows(account=account, name=name, **extra)
    for index, flow in enumerate(quarters or ()):
        found.quarters[index] = flow
        found.year.add(flow)
    return found


def transparency_flows(*, site, year: int | None = None) -> dict:
    """The transparency page's "credited and paid out" for ``year`` (by default the
    current one): the years to choose from, then per beneficiary and per commune their
    year and quarters, with totals. Four queries."""
    years = flow_years(site=site)
    current = territory_today().year
    if current not in years:
        years.append(current)
    if year not in years:
        year = current
    flows = account_flows(site=site, year=year)

    beneficiaries = []
    for key, name, link, live, active in Beneficiary.objects.filter(site=site).values_list(
        "key", "name", "link", "live", "active"
    ):
        account = f"{BENEFICIARY_PREFIX}{key}"
        if (live and active) or account in flows:
            beneficiaries.append(_recipient(account, name, flows.get(account), link=link))
    beneficiaries.sort(key=lambda r: r.name.lower())

    collectors = dict(TaxCollector.objects.filter(site=site).values_list("account", "commune"))
    communes = [
        _recipient(
            account,
            collectors.get(account) or account.removeprefix(TAX_PREFIX).replace("-", " ").title(),
            quarters,
        )
        for account, quarters in flows.items()
        if account.startswith(TAX_PREFIX)
    ]
    communes.sort(key=lambda r: r.name.lower())

    def total(rows: list[RecipientFlows]) -> RecipientFlows:
        summed = RecipientFlows(account="", name="")
        for row in rows:
            summed.year.add(row.year)
            for index, flow in enumerate(row.quarters):
                summed.quarters[index].add(flow)
        return summed

    return {
        "flow_year": year,
        "flow_years": sorted(years, reverse=True),
        "beneficiary_flows": beneficiaries,
        "beneficiary_flows_total": total(beneficiaries),
        "commune_flows": communes,
        "commune_flows_total": total(communes),
        # None when no VAT was set aside that year (an operator not subject to VAT).
        "vat_flows": _recipient(VAT_ACCOUNT, "", flows[VAT_ACCOUNT])
        if VAT_ACCOUNT in flows
        else None,
    }
