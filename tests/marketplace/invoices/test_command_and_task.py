"""The ``invoices_issue`` command (its JSON, its refusals, quarterly invoicing) and the
daily task that issues the period just ended."""

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from marketplace.invoices.models import Invoice
from marketplace.invoices.periods import PeriodError, period_last_ended, period_of
from marketplace.invoices.services import invoices_issue_scheduled
from marketplace.invoices.tasks import invoices_issue_periodic
from marketplace.models import TerritorySettings
from tests.marketplace.invoices.conftest import paris, refund, sell


def run(*args) -> dict:
    out = io.StringIO()
    call_command("invoices_issue", *args, stdout=out)
    return json.loads(out.getvalue())


def quarterly(site):
    settings = TerritorySettings.for_site(site)
    settings.invoice_period = "quarterly"
    settings.save()


def test_the_command_prints_the_invoices_and_nothing_the_second_time(world):
    honey = sell(world, world["honey"], quantity=2, at=paris(2026, 10, 10))
    sell(world, world["cheese"], quantity=1, at=paris(2026, 10, 11))
    refund(honey, at=paris(2026, 10, 12))
    host = world["site"].hostname

    data = run("--period", "2026-10", "--site", host)

    assert data == {
        "site": host,
        "period": "2026-10",
        "period_start": "2026-10-01",
        "period_end": "2026-10-31",
        "invoices": [
            {
                "number": "FA-2026-000001",
                "kind": "invoice",
                "provider_id": world["canoes"].pk,
                "provider": "Canoës Alice",
                "net_cents": 83,
                "vat_cents": 17,
                "total_cents": 100,
                "corrects": None,
            },
            {
                "number": "AV-2026-000001",
                "kind": "credit_note",
                "provider_id": world["canoes"].pk,
                "provider": "Canoës Alice",
                "net_cents": 83,
                "vat_cents": 17,
                "total_cents": 100,
                "corrects": "FA-2026-000001",
            },
            {
                "number": "FA-2026-000002",
                "kind": "invoice",
                "provider_id": world["ferme"].pk,
                "provider": "Ferme Bob",
                "net_cents": 63,
                "vat_cents": 12,
                "total_cents": 75,
                "corrects": None,
            },
        ],
    }
    assert run("--period", "2026-10")["invoices"] == []
    assert Invoice.objects.count() == 3


@pytest.mark.parametrize("period", ["2026-13", "2026-1", "octobre", ""])
def test_a_malformed_period_is_refused(world, period):
    with pytest.raises(CommandError, match="YYYY-MM"):
        run("--period", period)


def test_a_period_not_ended_is_refused_by_the_command(world):
    with pytest.raises(CommandError, match="has not ended yet"):
        run("--period", "2099-01")


def test_an_unknown_site_is_refused(world):
    with pytest.raises(CommandError, match="No site"):
        run("--period", "2026-10", "--site", "nowhere.example")


def test_quarterly_invoicing_bills_the_quarter_once(world):
    quarterly(world["site"])
    july = sell(world, world["honey"], quantity=2, at=paris(2026, 7, 5))
    september = sell(world, world["honey"], quantity=3, at=paris(2026, 9, 30, 23, 0))
    sell(world, world["honey"], quantity=1, at=paris(2026, 10, 1, 0, 5))  # Q4's

    with pytest.raises(CommandError, match="quarterly"):
        run("--period", "2026-08")
    data = run("--period", "2026-07")

    assert (data["period_start"], data["period_end"]) == ("2026-07-01", "2026-09-30")
    (invoice,) = data["invoices"]
    assert invoice["total_cents"] == 250
    issued = Invoice.objects.get()
    assert set(issued.lines.values_list("booking_ref", flat=True)) == {
        july.reference,
        september.reference,
    }


def test_periods():
    assert period_of(2026, 2, "monthly") == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert period_of(2026, 12, "monthly") == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert period_of(2026, 10, "quarterly") == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    with pytest.raises(PeriodError):
        period_of(2026, 11, "quarterly")
    assert period_last_ended(dt.date(2026, 11, 1), "monthly") == (
        dt.date(2026, 10, 1),
        dt.date(2026, 10, 31),
    )
    assert period_last_ended(dt.date(2027, 1, 1), "monthly") == (
        dt.date(2026, 12, 1),
        dt.date(2026, 12, 31),
    )
    assert period_last_ended(dt.date(2026, 11, 17), "quarterly") == (
        dt.date(2026, 7, 1),
        dt.date(2026, 9, 30),
    )
    assert period_last_ended(dt.date(2027, 1, 1), "quarterly") == (
        dt.date(2026, 10, 1),
        dt.date(2026, 12, 31),
    )


def test_the_daily_task_issues_the_period_just_ended_once(world):
    sell(world, world["honey"], quantity=2, at=paris(2026, 10, 10))
    sell(world, world["honey"], quantity=1, at=paris(2026, 11, 2))

    assert invoices_issue_scheduled(now=paris(2026, 10, 31, 5, 30)) == []  # September: none
    first = invoices_issue_scheduled(now=paris(2026, 11, 1, 5, 30))
    again = invoices_issue_scheduled(now=paris(2026, 11, 2, 5, 30))

    assert [(i.number, i.period_start) for i in first] == [("FA-2026-000001", dt.date(2026, 10, 1))]
    assert again == []


def test_the_periodic_task_issues_last_month_daily_at_half_past_five(world):
    last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=15)
    sell(world, world["honey"], quantity=2, at=paris(last_month.year, last_month.month, 15))

    assert invoices_issue_periodic.call_local() == 1
    assert invoices_issue_periodic.call_local() == 0
    assert invoices_issue_periodic.task_class().validate_datetime(dt.datetime(2026, 12, 1, 5, 30))
    assert invoices_issue_periodic.task_class().validate_datetime(dt.datetime(2026, 12, 17, 5, 30))
    assert not invoices_issue_periodic.task_class().validate_datetime(
        dt.datetime(2026, 12, 1, 6, 30)
    )
