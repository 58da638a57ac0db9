"""Reads of the tourist tax: the rate in force for a stay, and its quote.

:func:`quote_for` is what the booking flow calls: it finds the commune's rate in force on
the date and hands it to the pure :func:`~marketplace.tourist_tax.engine.tourist_tax_compute`.
A missing rate raises :class:`RateMissing` (unless the territory chose to count it as
zero), never a silent zero.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from marketplace.tourist_tax.categories import CODES, TaxCategory
from marketplace.tourist_tax.engine import RateData, TaxQuote, tourist_tax_compute
from marketplace.tourist_tax.models import TouristTaxRate, TouristTaxSettings


class TouristTaxError(Exception):
    """The tourist tax of a stay cannot be computed; ``str()`` says why, for finance."""


class RateMissing(TouristTaxError):
    """No rate of this commune and category is in force on the date."""

    def __init__(self, *, commune: str, category: str, on_date: dt.date):
        self.commune, self.category, self.on_date = commune, category, on_date
        label = dict(TaxCategory.choices).get(category, category)
        super().__init__(
            _(
                "No tourist tax rate for %(commune)s, category “%(category)s”, on %(date)s. "
                "Finance must enter the commune's rate (Tourist tax → Rates) before this "
                "stay can be booked."
            )
            % {"commune": commune or "?", "category": label, "date": on_date.isoformat()}
        )


class ExemptionNotOffered(TouristTaxError):
    """Exempt persons were declared but the territory offers no such exemption."""


def rate_for(*, site, commune: str, category: str, on_date: dt.date) -> TouristTaxRate:
    """The rate of ``commune`` and ``category`` in force on ``on_date``; raises
    :class:`RateMissing`. Validation keeps periods from overlapping, so there is one."""
    if category not in CODES:
        raise RateMissing(commune=commune, category=category, on_date=on_date)
    rate = (
        TouristTaxRate.objects.for_site(site)
        .in_force(on_date)
        .filter(commune__iexact=(commune or "").strip(), category=category)
        .order_by("-valid_from")
        .first()
    )
    if rate is None:
        raise RateMissing(commune=commune, category=category, on_date=on_date)
    return rate


def quote_for(
    *,
    site,
    commune: str,
    category: str,
    on_date: dt.date,
    nights: int,
    adults: int,
    minors: int = 0,
    exempt_persons: int = 0,
    price_per_night: int | None = None,
) -> TaxQuote:
    """The tourist tax of a stay in ``commune`` (of ``site``), arriving ``on_date``.

    ``price_per_night``: cents excluding taxes, needed for ``unclassified`` (and where a
    low-rent threshold is voted). Raises :class:`RateMissing` when no rate is in force
    (unless the territory allows zero), :class:`ExemptionNotOffered` when
    ``exempt_persons`` is declared in a territory offering no exemption, and
    :class:`~marketplace.tourist_tax.engine.TaxInputError` on unusable counts.
    """
    settings = TouristTaxSettings.for_site(site)
    if exempt_persons and not settings.declared_exemptions_enabled:
        raise ExemptionNotOffered(_("This territory does not let visitors declare exempt persons."))
    try:
        rate = rate_for(site=site, commune=commune, category=category, on_date=on_date)
    except RateMissing:
        if not settings.allow_zero_without_rate or category not in CODES:
            raise
        data = RateData(category=category, fixed_cents=0, percent=0, cap_cents=0)
        if price_per_night is None:
            price_per_night = 0
    else:
        data = rate.rate_data()
    return tourist_tax_compute(
        rate=data,
        category=category,
        nights=nights,
        adults=adults,
        minors=minors,
        exempt_persons=exempt_persons,
        price_per_night=price_per_night,
    )
