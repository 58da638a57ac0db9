"""``manage.py seed_demo``: the demo territory, and optionally a large catalogue."""

import time

from django.core.management.base import BaseCommand, CommandError

from cms.demo.bulk import catalogue_extend
from cms.demo.orders import HISTORY_ORDERS
from cms.demo.seed import demo_seed

HELP = """Load the demo territory of the Val d'Arvière (idempotent: a second run changes nothing).

It creates the site and its page tree, the territory settings (offer approval on),
categories and labels, 16 providers approved through the normal service (a campsite with
40 pitches and 6 mobile homes, gîtes, 9 shops and producers, 4 activity providers), 46
published offers with locally drawn cover images, activity slots for the next 90 days,
the home page, editorial pages and the demo accounts, printed at the end; then about
six months of past orders by the demo visitors, placed, paid, cancelled or abandoned
through the booking services (--past-orders, default 300; made once: a later run adds
none).

Large catalogue for benchmarks: --offers N --providers P add generated providers and
offers until the territory has at least P approved providers and N published offers
(the demo's count towards both). Generated offers are written in bulk (no page
revisions, a handful of shared images), with their listing fields filled as the model
would; a second run with the same numbers changes nothing, larger numbers add the
difference. --seed changes the generated names, prices and patterns.
"""


class Command(BaseCommand):
    help = HELP

    def add_arguments(self, parser):
        parser.add_argument(
            "--offers",
            type=int,
            default=0,
            help="Grow the catalogue to at least this many published offers (bulk mode).",
        )
        parser.add_argument(
            "--providers",
            type=int,
            default=0,
            help=(
                "Grow to at least this many approved providers (bulk mode); defaults to "
                "one provider per 20 offers when --offers is given."
            ),
        )
        parser.add_argument(
            "--past-orders",
            type=int,
            default=HISTORY_ORDERS,
            help="About how many past orders to make on the first run (0 for none).",
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help="Random seed of the generated catalogue."
        )

    def handle(self, *args, offers: int, providers: int, seed: int, past_orders: int, **options):
        if offers < 0 or providers < 0 or past_orders < 0:
            raise CommandError("--offers, --providers and --past-orders must be positive.")
        started = time.monotonic()
        report = demo_seed(past_orders=past_orders)
        self.stdout.write(
            f"Demo territory ready in {time.monotonic() - started:.1f} s"
            + (
                " (created: " + ", ".join(f"{n} {what}" for what, n in report.created.items()) + ")"
                if report.created
                else " (nothing to change)"
            )
        )
        if offers or providers:
            bulk_started = time.monotonic()
            added = catalogue_extend(
                offers=offers,
                providers=providers or max(offers // 20, 1),
                seed=seed,
                log=lambda message: self.stdout.write(message),
            )
            self.stdout.write(
                f"Large catalogue ready in {time.monotonic() - bulk_started:.1f} s "
                f"({added['providers']} providers and {added['offers']} offers added, "
                f"{added['total_offers']} published offers in all)"
            )
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo accounts (e-mail / password):"))
        for email, password, role in report.accounts:
            self.stdout.write(f"  {email:<32} {password:<22} {role}")
