"""Export or import a territory's tourist tax rates as CSV.

    manage.py tourist_tax_rates export [--site HOST]
    manage.py tourist_tax_rates import FILE [--site HOST]

The format is in :mod:`marketplace.tourist_tax.rates_io` and the README. Import is all or
nothing: on any error nothing is saved and each error names its line and column.
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from commissions.management.commands._site import site_for
from marketplace.tourist_tax.rates_io import RatesImportError, rates_export, rates_import


class Command(BaseCommand):
    help = "Export or import the tourist tax rates (CSV)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="print the rates as CSV")
        export.add_argument("--site", dest="site", default=None, help="site hostname")
        load = sub.add_parser("import", help="load rates from a CSV file ('-' for stdin)")
        load.add_argument("file")
        load.add_argument("--site", dest="site", default=None, help="site hostname")

    def handle(self, *args, **options):
        site = site_for(options["site"])
        if options["action"] == "export":
            self.stdout.write(rates_export(site=site), ending="")
            return
        path = options["file"]
        try:
            if path == "-":
                text = sys.stdin.read()
            else:
                with open(path, encoding="utf-8-sig", newline="") as handle:
                    text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        try:
            counts = rates_import(site=site, text=text)
        except RatesImportError as exc:
            raise CommandError("Nothing imported.\n" + "\n".join(exc.messages)) from exc
        self.stdout.write("Imported {created} new rates, replaced {replaced}.".format(**counts))
