"""Issue a period's commission invoices and credit notes and print them as JSON.

    manage.py invoices_issue --period YYYY-MM [--site HOST]

``--period`` names the month the period starts in: the month itself, or with quarterly
invoicing (a territory setting) the quarter it opens (January, April, July, October;
another month is refused). Prints ``{"site", "period", "period_start", "period_end",
"invoices": [{"number", "kind", "provider_id", "provider", "net_cents", "vat_cents",
"total_cents", "corrects"}]}``, amounts in integer cents, ``corrects`` the number of the
invoice a credit note corrects (else null). Idempotent: a second run prints an empty
list. A period not ended yet, a malformed period or an unknown host is a ``CommandError``.
"""

from __future__ import annotations

import json
import re

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from commissions.management.commands._site import site_for
from marketplace.invoices.periods import PeriodError, period_of
from marketplace.invoices.services import InvoiceIssueError, invoices_issue
from marketplace.models import TerritorySettings

PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")


class Command(BaseCommand):
    help = "Issue a period's commission invoices and credit notes, and print them as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, metavar="YYYY-MM", help="its first month")
        parser.add_argument("--site", default=None, metavar="HOST", help="site hostname")

    def handle(self, *args, **options):
        # Scripts read the messages: in English, whatever the settings' language.
        with translation.override("en"):
            self._handle(options)

    def _handle(self, options):
        match = PERIOD_RE.match(options["period"] or "")
        if not match or not 1 <= int(match[2]) <= 12:
            raise CommandError(f"--period: not a month in the form YYYY-MM: {options['period']!r}")
        site = site_for(options["site"])
        kind = TerritorySettings.for_site(site).invoice_period
        try:
            start, end = period_of(int(match[1]), int(match[2]), kind)
        except PeriodError as error:
            raise CommandError(f"--period: {error}") from None
        try:
            issued = invoices_issue(site=site, period_start=start, period_end=end)
        except InvoiceIssueError as error:
            raise CommandError(error.message) from None
        data = {
            "site": site.hostname,
            "period": options["period"],
            "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            "invoices": [
                {
                    "number": invoice.number,
                    "kind": invoice.kind,
                    "provider_id": invoice.provider_id,
                    "provider": invoice.provider.name,
                    "net_cents": invoice.net_cents,
                    "vat_cents": invoice.vat_cents,
                    "total_cents": invoice.total_cents,
                    "corrects": invoice.corrects.number if invoice.corrects_id else None,
                }
                for invoice in issued
            ],
        }
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
