"""Write a territory's DAC7 report for a calendar year (marketplace/books/dac7.py).

    manage.py dac7_report --year YYYY [--site HOST] [--format csv|xml] [--missing]
                          [--notify-missing] > FILE

Writes the report on stdout: the CSV (default) or the XML in the DPI schema's structure
(:mod:`marketplace.books.dac7_files`). The sellers whose mandatory data is missing are
listed on stderr, one line each with the missing fields (and the exit code stays 0: the
report is still written, with what is known). ``--missing`` writes, instead of the
report, the CSV of those sellers; ``--notify-missing`` also e-mails them, once per year
(:mod:`marketplace.books.dac7_notify`). The sellers left out by the small-sellers-of-goods
exclusion are named on stderr too.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from commissions.management.commands._site import site_for
from marketplace.books.dac7 import dac7_report
from marketplace.books.dac7_files import dac7_csv, dac7_missing_csv, dac7_xml
from marketplace.books.dac7_notify import dac7_missing_notify


class Command(BaseCommand):
    help = "Write the DAC7 report of a territory's sellers for a year (CSV or XML) on stdout."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="calendar year, YYYY")
        parser.add_argument("--site", default=None, metavar="HOST", help="site hostname")
        parser.add_argument("--format", choices=("csv", "xml"), default="csv")
        parser.add_argument(
            "--missing", action="store_true", help="write the sellers with data missing instead"
        )
        parser.add_argument(
            "--notify-missing",
            action="store_true",
            help="e-mail the sellers with data missing (once per year each)",
        )

    def handle(self, *args, **options):
        # Scripts read the messages: in English, whatever the settings' language.
        with translation.override("en"):
            self._handle(options)

    def _handle(self, options):
        year = options["year"]
        if not 2000 <= year <= 9999:
            raise CommandError(f"--year: not a year: {year}")
        site = site_for(options["site"])
        report = dac7_report(site=site, year=year)
        if options["missing"]:
            content = dac7_missing_csv(report)
        elif options["format"] == "xml":
            content = dac7_xml(report)
        else:
            content = dac7_csv(report)
        buffer = getattr(self.stdout, "buffer", None)
        if buffer is not None:  # a real stdout: the file's bytes as they are
            self.stdout.flush()
            buffer.write(content)
            buffer.flush()
        else:  # call_command(stdout=StringIO())
            self.stdout.write(content.decode("utf-8"), ending="")
        for seller in report.missing:
            provider = seller.provider
            self.stderr.write(
                f"missing data: provider {provider.pk} ({provider.name}): "
                + ", ".join(seller.missing)
            )
        for excluded in report.excluded:
            self.stderr.write(
                f"excluded: provider {excluded.provider.pk} ({excluded.provider.name}): "
                f"sale of goods only, {excluded.activities} sales, "
                f"{excluded.consideration} cents"
            )
        if options["notify_missing"]:
            told = dac7_missing_notify(report=report)
            self.stderr.write(f"notified: {len(told)} provider(s)")
