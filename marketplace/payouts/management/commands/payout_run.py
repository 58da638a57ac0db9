"""Prepare a payout run (bank transfers) and print it as JSON; an interface scripts use.

    manage.py payout_run [--until YYYY-MM-DD] [--dry-run] [--sepa FILE] [--site HOST]

Prints ``{"reference", "payouts": [{"recipient", "name", "amount", "iban"}],
"skipped": [{"recipient", "name", "reason"}]}``: ``recipient`` is the ledger account,
``amount`` integer cents, ``reference`` null on a dry run or when there was nothing to pay
(no run is prepared then). ``--dry-run`` writes nothing (neither the ledger nor a run nor
a file); ``--sepa FILE`` writes the run's pain.001 file. Bad input (a date, an unknown
host, no debtor account in the payout settings) is a ``CommandError``.
"""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from commissions.management.commands._site import site_for
from marketplace.payouts.runs import (
    PayoutRunRefused,
    payout_run_check,
    payout_run_plan,
    payout_run_prepare,
)
from marketplace.payouts.sepa import run_pain001


def _date(text: str | None) -> dt.date:
    if not text:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--until: not a date in the form YYYY-MM-DD: {text!r}") from None


class Command(BaseCommand):
    help = "Prepare a payout run by bank transfer (SEPA) and print it as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--until", default=None, help="pay what is payable as of this day")
        parser.add_argument("--dry-run", action="store_true", help="show the run, write nothing")
        parser.add_argument("--sepa", default=None, metavar="FILE", help="write pain.001 there")
        parser.add_argument("--site", default=None, metavar="HOST", help="site hostname")

    def handle(self, *args, **options):
        # Scripts read the messages: in English, whatever the settings' language.
        with translation.override("en"):
            self._handle(options)

    def _handle(self, options):
        until = _date(options["until"])
        site = site_for(options["site"])
        if options["dry_run"] and options["sepa"]:
            raise CommandError("--dry-run writes nothing: it cannot write a --sepa file.")
        try:
            payout_run_check(site=site)
            if options["dry_run"]:
                plan = payout_run_plan(site=site, until=until)
                self._print(None, plan.payouts, plan.skipped)
                return
            try:
                run = payout_run_prepare(site=site, until=until)
            except PayoutRunRefused as refused:
                if refused.code != "nothing_to_pay":
                    raise
                plan = payout_run_plan(site=site, until=until)
                self._print(None, plan.payouts, plan.skipped)
                self.stderr.write(str(refused.message))
                return
        except PayoutRunRefused as refused:
            raise CommandError(str(refused.message)) from None
        if options["sepa"]:
            try:
                with open(options["sepa"], "wb") as handle:
                    handle.write(run_pain001(run))
            except OSError as error:
                raise CommandError(
                    f"Run {run.reference} is prepared, but its file cannot be written: {error}"
                ) from error
        self._print(run.reference, run.lines.order_by("name", "account"), run.skips.all())

    def _print(self, reference, payouts, skipped):
        data = {
            "reference": reference,
            "payouts": [
                {"recipient": p.account, "name": p.name, "amount": p.amount, "iban": p.iban}
                for p in payouts
            ],
            "skipped": [
                {"recipient": s.account, "name": s.name, "reason": s.reason} for s in skipped
            ],
        }
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
