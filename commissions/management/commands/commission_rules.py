"""Export or import a territory's commission rules as JSON.

    manage.py commission_rules export [--site HOST]
    manage.py commission_rules import FILE [--site HOST] [--publish]

Import is all or nothing: invalid input is refused whole with a message naming the
bad field. Beneficiaries, keys and rules are saved as drafts unless ``--publish``.

Each rule's ``"season"`` is ``null`` (all year round) or the days of the year of the
service, ``{"start": "07-01", "end": "08-31"}`` (``MM-DD``; the end may come before the
start: ``{"start": "11-01", "end": "03-31"}``); a file without it means no season. See
:mod:`commissions.engine` for which date of a booking a season reads.
"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from commissions.management.commands._site import site_for
from commissions.rules_io import RulesImportError, rules_export, rules_import


class Command(BaseCommand):
    help = "Export or import the commission rules, distribution keys and beneficiaries."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="print the live rules as JSON")
        export.add_argument("--site", dest="site", default=None, help="site hostname")
        load = sub.add_parser("import", help="load rules from a JSON file ('-' for stdin)")
        load.add_argument("file")
        load.add_argument("--site", dest="site", default=None, help="site hostname")
        load.add_argument("--publish", action="store_true", help="publish instead of drafts")

    def handle(self, *args, **options):
        site = site_for(options["site"])
        if options["action"] == "export":
            self.stdout.write(json.dumps(rules_export(site=site), indent=2, ensure_ascii=False))
            return
        path = options["file"]
        try:
            if path == "-":
                data = json.load(sys.stdin)
            else:
                with open(path, encoding="utf-8") as handle:
                    data = json.load(handle)
        except (OSError, json.JSONDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        try:
            counts = rules_import(site=site, data=data, publish=options["publish"])
        except RulesImportError as exc:
            raise CommandError("Nothing imported. " + "; ".join(exc.messages)) from exc
        self.stdout.write(
            "Imported {beneficiaries} beneficiaries, {distribution_keys} distribution keys, "
            "{rules} rules{published}.".format(
                **counts, published=" (published)" if options["publish"] else " (drafts)"
            )
        )
