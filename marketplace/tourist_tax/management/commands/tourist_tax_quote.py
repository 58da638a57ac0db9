"""Quote the tourist tax of a stay with the territory's rates, as JSON.

    manage.py tourist_tax_quote --commune NAME --category CATEGORY --nights N --adults A
        [--minors M] [--price-per-night CENTS] [--date YYYY-MM-DD] [--site HOST]

Prints ``{"rate_per_person_night", "persons_taxed", "nights", "base", "surcharges":
{name: cents}, "total"}``, integers in cents.
"""

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from commissions.management.commands._site import site_for
from marketplace.tourist_tax.categories import CODES
from marketplace.tourist_tax.engine import TaxInputError
from marketplace.tourist_tax.selectors import TouristTaxError, quote_for


class Command(BaseCommand):
    help = "Print the tourist tax of a stay (cents) as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--commune", required=True)
        parser.add_argument("--category", required=True, choices=CODES)
        parser.add_argument("--nights", type=int, required=True)
        parser.add_argument("--adults", type=int, required=True)
        parser.add_argument("--minors", type=int, default=0)
        parser.add_argument(
            "--price-per-night",
            type=int,
            default=None,
            help="price of one night of the accommodation excl. tax, in cents",
        )
        parser.add_argument("--date", default=None, help="arrival date YYYY-MM-DD (today)")
        parser.add_argument("--site", default=None, help="site hostname")

    def handle(self, *args, **options):
        try:
            day = (
                dt.date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
            )
        except ValueError as exc:
            raise CommandError("--date must be YYYY-MM-DD.") from exc
        site = site_for(options["site"])
        try:
            quote = quote_for(
                site=site,
                commune=options["commune"],
                category=options["category"],
                on_date=day,
                nights=options["nights"],
                adults=options["adults"],
                minors=options["minors"],
                price_per_night=options["price_per_night"],
            )
        except (TouristTaxError, TaxInputError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(quote.as_json()))
