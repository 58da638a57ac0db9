"""Write a territory's FEC (fichier des écritures comptables) for a calendar year.

    manage.py fec_export --year YYYY [--site HOST] [--output FILE_OR_DIR] > FILE

The file goes to standard output, or to ``--output``: a file, or a directory where it is
written under the name the administration expects, ``<SIREN>FEC<YYYY>1231.txt`` (the
SIREN is the start of the operator's SIRET in the territory's settings). Tab-separated,
CR LF, ISO-8859-15; the format and the mapping to the plan comptable général are in the
README ("FEC export") and :mod:`marketplace.books.fec`. A malformed ``fec_accounts``
mapping, an unknown host or a bad year is a ``CommandError``.
"""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from commissions.management.commands._site import site_for
from marketplace.books.fec import ENCODING, FecError, fec_export, fec_filename


class Command(BaseCommand):
    help = (
        "Write the FEC (fichier des écritures comptables) of a territory for a calendar year: "
        "tab-separated, CR LF, ISO-8859-15. The administration expects the file to be named "
        "<SIREN>FEC<YYYY>1231.txt; --output DIR writes it under that name."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="the calendar year, YYYY")
        parser.add_argument("--site", default=None, metavar="HOST", help="site hostname")
        parser.add_argument(
            "--output",
            default=None,
            metavar="FILE_OR_DIR",
            help="write there instead of standard output (a directory: under the expected name)",
        )

    def handle(self, *args, **options):
        # Scripts read the messages: in English, whatever the settings' language.
        with translation.override("en"):
            self._handle(options)

    def _handle(self, options):
        year = options["year"]
        if not 1900 < year < 9999:
            raise CommandError(f"--year: not a year: {year}")
        site = site_for(options["site"])
        try:
            data = fec_export(site=site, year=year)
        except FecError as error:
            raise CommandError(str(error)) from None
        target = options["output"]
        if target:
            if os.path.isdir(target):
                target = os.path.join(target, fec_filename(site=site, year=year))
            try:
                with open(target, "wb") as handle:
                    handle.write(data)
            except OSError as error:
                raise CommandError(f"--output: cannot write {target}: {error}") from None
            self.stderr.write(target)
            return
        buffer = getattr(self.stdout._out, "buffer", None)
        if buffer is not None:
            self.stdout.flush()
            buffer.write(data)
            buffer.flush()
        else:  # a text stream (call_command(stdout=StringIO())): the same text
            self.stdout.write(data.decode(ENCODING), ending="")
