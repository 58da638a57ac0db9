"""Reads of the invoices (scoped per provider) and the issue's query budget."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace.invoices.selectors import (
    invoice_balance,
    invoices_of_period,
    invoices_of_provider,
    invoices_of_site,
)
from marketplace.invoices.services import invoices_issue
from tests.marketplace.invoices.conftest import paris, refund, sell

OCTOBER = {"period_start": dt.date(2026, 10, 1), "period_end": dt.date(2026, 10, 31)}
NOVEMBER = {"period_start": dt.date(2026, 11, 1), "period_end": dt.date(2026, 11, 30)}


def test_a_provider_reads_only_its_own(world):
    honey = sell(world, world["honey"], quantity=2, at=paris(2026, 10, 10))
    sell(world, world["cheese"], quantity=1, at=paris(2026, 10, 11))
    canoes, ferme = invoices_issue(site=world["site"], **OCTOBER, now=paris(2026, 11, 1, 6))
    refund(honey, fraction=(1, 2), at=paris(2026, 11, 2))
    (credit,) = invoices_issue(site=world["site"], **NOVEMBER, now=paris(2026, 12, 1, 6))

    assert list(invoices_of_provider(world["canoes"])) == [credit, canoes]
    assert list(invoices_of_provider(world["ferme"])) == [ferme]
    assert set(invoices_of_site(world["site"])) == {canoes, ferme, credit}
    assert list(invoices_of_period(world["site"], **OCTOBER)) == [canoes, ferme]
    assert invoice_balance(canoes) == 100 - 50


def issue_queries(world, quantity_of_sales: int) -> int:
    for day in range(1, quantity_of_sales + 1):
        sell(world, world["honey"], quantity=1, at=paris(2026, 10, day))
        sell(world, world["cheese"], quantity=1, at=paris(2026, 10, day, 13))
    with CaptureQueriesContext(connection) as queries:
        issued = invoices_issue(site=world["site"], **OCTOBER, now=paris(2026, 11, 1, 6))
    assert len(issued) == 2
    return len(queries)


def test_issuing_costs_the_same_queries_whatever_the_number_of_lines(world):
    from django.db import transaction

    with transaction.atomic():
        few = issue_queries(world, 1)
        transaction.set_rollback(True)
    many = issue_queries(world, 8)

    assert few == many, (few, many)
