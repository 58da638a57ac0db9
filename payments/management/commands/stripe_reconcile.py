"""``manage.py stripe_reconcile [--day YYYY-MM-DD]``: compare the ledger with Stripe's
balance transactions of a day (yesterday by default) and list the differences."""

import argparse
import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from payments.stripe.reconciliation import reconcile_day


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a day (YYYY-MM-DD): {value!r}") from exc


class Command(BaseCommand):
    help = "Compare the ledger with Stripe's balance transactions of a day (default: yesterday)."

    def add_arguments(self, parser):
        parser.add_argument("--day", type=_day, help="YYYY-MM-DD, in the project's time zone")

    def handle(self, *args, day=None, **options):
        day = day or timezone.localdate() - dt.timedelta(days=1)
        summary = reconcile_day(day=day)
        self.stdout.write(str(summary))
