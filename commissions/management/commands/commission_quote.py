"""Quote the commission on an amount with the territory's live rules, as JSON."""

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from commissions.engine import Line
from commissions.management.commands._site import site_for
from commissions.selectors import line_quote


class Command(BaseCommand):
    help = "Print the quote (fee, commission, allocations) for an amount in cents."

    def add_arguments(self, parser):
        parser.add_argument("--amount", type=int, required=True, help="subtotal in cents")
        parser.add_argument("--site", default=None, help="site hostname")
        parser.add_argument("--provider", default="", help="provider slug")
        parser.add_argument("--category", action="append", default=[], help="category slug")
        parser.add_argument("--kind", default="", help="stay, activity or product")
        parser.add_argument("--commune", default="")
        parser.add_argument("--label", action="append", default=[], help="label slug")
        parser.add_argument("--date", default=None, help="booking date YYYY-MM-DD (today)")
        parser.add_argument(
            "--service-date",
            default=None,
            help=(
                "date of the service (arrival, slot) YYYY-MM-DD, read by seasons (none; "
                "a product's is its booking date, as in the shop)"
            ),
        )

    def handle(self, *args, **options):
        if options["amount"] < 0 or options["amount"] > 10**9:
            raise CommandError("--amount must be between 0 and 1000000000 cents.")
        try:
            day = (
                dt.date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
            )
            service_on = (
                dt.date.fromisoformat(options["service_date"]) if options["service_date"] else None
            )
        except ValueError as exc:
            raise CommandError("--date and --service-date must be YYYY-MM-DD.") from exc
        if service_on is None and options["kind"] == "product":
            # As the shop prices it (marketplace.commission.service_date).
            service_on = day
        site = site_for(options["site"])
        line = Line(
            subtotal=options["amount"],
            booked_on=day,
            provider=options["provider"],
            categories=tuple(options["category"]),
            kind=options["kind"],
            commune=options["commune"],
            labels=tuple(options["label"]),
            service_on=service_on,
        )
        result = line_quote(site_id=site.pk, line=line)
        self.stdout.write(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
