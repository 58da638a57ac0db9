"""Rates as CSV: ``manage.py tourist_tax_rates import FILE`` and ``export``.

The format (documented in the README, "Tourist tax"): one row per commune, category and
validity period, ``;``-separated (``,`` is read too), UTF-8, a header row naming the
columns below. Amounts are in euros (``0,80`` or ``0.80``), percentages as numbers
(``5`` or ``4,5``), dates ``YYYY-MM-DD``; an empty cell is "none".

Import is all or nothing: every line is checked (with the admin's own validation,
overlaps included) and, on any error, nothing is saved and every error is reported as
"line N, column C: ...". A row with the same commune, category and start date as an
existing rate replaces it; other existing rates stay.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from commissions.money import MoneyError, cents_to_decimal, euros_to_cents
from marketplace.tourist_tax.categories import CODES
from marketplace.tourist_tax.models import TouristTaxRate

# CSV column -> model field. The names follow the notions of the DGFiP's open data on
# the deliberations (commune and INSEE code, nature/category of accommodation, rate,
# period, departmental additional tax, minimum rent).
COLUMNS = {
    "commune": "commune",
    "code_insee": "insee_code",
    "categorie": "category",
    "date_debut": "valid_from",
    "date_fin": "valid_to",
    "tarif": "rate",
    "taux": "percent",
    "plafond": "cap",
    "taxe_additionnelle_departementale": "departmental_percent",
    "taxe_additionnelle_regionale": "regional_percent",
    "loyer_minimum": "low_rent_threshold",
}
REQUIRED = ("commune", "categorie", "date_debut")
FIELD_TO_COLUMN = {field: column for column, field in COLUMNS.items()}
MONEY_COLUMNS = ("tarif", "plafond", "loyer_minimum")
PERCENT_COLUMNS = ("taux", "taxe_additionnelle_departementale", "taxe_additionnelle_regionale")
DATE_COLUMNS = ("date_debut", "date_fin")


class RatesImportError(Exception):
    """The file was refused whole; ``messages`` name each line and column at fault."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def _percent_text(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value.normalize():f}"


def rates_export(*, site) -> str:
    """Every rate of ``site`` as CSV text, in the import's format."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(COLUMNS)
    for rate in TouristTaxRate.objects.for_site(site).order_by("commune", "category", "valid_from"):
        writer.writerow(
            [
                rate.commune,
                rate.insee_code,
                rate.category,
                rate.valid_from.isoformat(),
                rate.valid_to.isoformat() if rate.valid_to else "",
                cents_to_decimal(rate.rate) if rate.rate is not None else "",
                _percent_text(rate.percent),
                cents_to_decimal(rate.cap) if rate.cap is not None else "",
                _percent_text(rate.departmental_percent),
                _percent_text(rate.regional_percent),
                cents_to_decimal(rate.low_rent_threshold)
                if rate.low_rent_threshold is not None
                else "",
            ]
        )
    return out.getvalue()


def _where(line: int, column: str, message: str) -> str:
    return _("line %(line)d, column “%(column)s”: %(message)s") % {
        "line": line,
        "column": column,
        "message": message,
    }


def _read_cell(column: str, raw: str):
    """The cell's value for the model, or raises ValueError with a message to show."""
    text = raw.strip()
    if column in MONEY_COLUMNS:
        if not text:
            return None
        try:
            cents = euros_to_cents(text)
        except MoneyError as exc:
            raise ValueError(_("not an amount in euros (for example 0,80): “%s”") % text) from exc
        if cents < 0:
            raise ValueError(_("an amount cannot be negative: “%s”") % text)
        return cents
    if column in PERCENT_COLUMNS:
        if not text:
            return None
        try:
            value = Decimal(text.replace(",", ".").rstrip("%").strip())
        except InvalidOperation as exc:
            raise ValueError(_("not a percentage (for example 5 or 4,5): “%s”") % text) from exc
        if not value.is_finite() or value != value.quantize(Decimal("0.01")):
            raise ValueError(_("not a percentage with at most two decimals: “%s”") % text)
        return value
    if column in DATE_COLUMNS:
        if not text:
            return None
        try:
            return dt.date.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(_("not a date YYYY-MM-DD: “%s”") % text) from exc
    if column == "categorie" and text not in CODES:
        raise ValueError(
            _("unknown category “%(code)s” (one of: %(codes)s)")
            % {"code": text, "codes": ", ".join(CODES)}
        )
    return text


@transaction.atomic
def rates_import(*, site, text: str) -> dict:
    """Load the CSV ``text`` into ``site``'s rates, all or nothing.

    Returns ``{"created": n, "replaced": n}``; raises :class:`RatesImportError` listing
    every fault by line and column, having saved nothing.
    """
    text = text.lstrip("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line or "," not in first_line else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise RatesImportError([_("the file is empty.")]) from None
    errors: list[str] = []
    for name in header:
        if name not in COLUMNS:
            errors.append(_where(1, name, _("unknown column.")))
    for name in REQUIRED:
        if name not in header:
            errors.append(_where(1, name, _("this column is required.")))
    if errors:
        raise RatesImportError(errors)

    counts = {"created": 0, "replaced": 0}
    for line_number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            errors.append(
                _where(
                    line_number,
                    header[min(len(cells), len(header)) - 1],
                    _("%(found)d cells, the header has %(expected)d.")
                    % {"found": len(cells), "expected": len(header)},
                )
            )
            continue
        values = {}
        line_ok = True
        for column, raw in zip(header, cells, strict=True):
            try:
                value = _read_cell(column, raw)
            except ValueError as exc:
                errors.append(_where(line_number, column, str(exc)))
                line_ok = False
                continue
            if value is not None:
                values[COLUMNS[column]] = value
        if not line_ok:
            continue
        missing = [c for c in REQUIRED if COLUMNS[c] not in values]
        for column in missing:
            errors.append(_where(line_number, column, _("this cell is required.")))
        if missing:
            continue
        rate = TouristTaxRate.objects.filter(
            site=site,
            commune__iexact=values["commune"],
            category=values["category"],
            valid_from=values["valid_from"],
        ).first()
        replaced = rate is not None
        if rate is None:
            rate = TouristTaxRate(site=site)
        # Every field from the file; a column left out or empty means none (or its default).
        for field in FIELD_TO_COLUMN:
            default = TouristTaxRate._meta.get_field(field).get_default()
            setattr(rate, field, values.get(field, default))
        try:
            rate.full_clean()
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                column = FIELD_TO_COLUMN.get(field, field)
                for message in messages:
                    errors.append(_where(line_number, column, message))
            continue
        rate.save()
        counts["replaced" if replaced else "created"] += 1
    if errors:
        # Raised inside the atomic block: the rows saved above are rolled back.
        raise RatesImportError(errors)
    return counts
