"""Prices of an offer for chosen dates, slot or quantity, in integer cents.

Pure arithmetic over the offer's fields and seasons: no query here except reading an
offer's seasons when they are not passed in. The cart and checkout reuse these
functions, so the storefront shows what the visitor will pay.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class PricingError(ValueError):
    """The request cannot be priced (no night, no unit, no price set)."""


@dataclass(frozen=True)
class QuoteLine:
    label: str
    quantity: int
    unit_price: int
    total: int


@dataclass(frozen=True)
class PriceQuote:
    """A total and the lines that make it up (all in cents)."""

    total: int
    lines: tuple[QuoteLine, ...]


def season_for(day: dt.date, seasons: Sequence) -> object | None:
    """The first season (in the editor's order) covering this day, if any."""
    for season in seasons:
        if season.start_date <= day <= season.end_date:
            return season
    return None


def stay_nightly_prices(
    *, offer, start: dt.date, end: dt.date, seasons: Iterable | None = None
) -> list[tuple[dt.date, int, str]]:
    """``(night, price per unit, season name or "")`` for each night from start to end - 1.

    A seasonal price overrides the base price on the nights it covers.
    """
    if seasons is None:
        seasons = offer.seasonal_prices.all()
    seasons = list(seasons)
    nights = []
    day = start
    while day < end:
        season = season_for(day, seasons)
        if season is not None:
            nights.append((day, season.price_per_night, season.name))
        else:
            nights.append((day, offer.price_per_night, ""))
        day += dt.timedelta(days=1)
    return nights


def stay_price(
    *, offer, start: dt.date, end: dt.date, units: int, seasons: Iterable | None = None
) -> PriceQuote:
    """Sum of the per-night prices times the number of units."""
    if end <= start:
        raise PricingError("a stay needs at least one night")
    if units < 1:
        raise PricingError("a stay needs at least one unit")
    nightly = stay_nightly_prices(offer=offer, start=start, end=end, seasons=seasons)
    if any(price is None for _day, price, _name in nightly):
        raise PricingError("no price set")
    # One line per (season, price), in order of first night.
    groups: dict[tuple[str, int], int] = {}
    for _day, price, name in nightly:
        groups[(name, price)] = groups.get((name, price), 0) + 1
    lines = []
    for (name, price), nights in groups.items():
        label = ngettext(
            "%(nights)d night × %(units)d %(unit)s",
            "%(nights)d nights × %(units)d %(unit)s",
            nights,
        ) % {"nights": nights, "units": units, "unit": offer.unit_name}
        if name:
            label = f"{label} ({name})"
        lines.append(
            QuoteLine(
                label=label, quantity=nights * units, unit_price=price, total=price * nights * units
            )
        )
    return PriceQuote(total=sum(line.total for line in lines), lines=tuple(lines))


def activity_price(*, offer, persons: int) -> PriceQuote:
    """Price per person times the number of persons."""
    if persons < 1:
        raise PricingError("at least one person")
    if offer.price_per_person is None:
        raise PricingError("no price set")
    label = ngettext("%(count)d person", "%(count)d persons", persons) % {"count": persons}
    total = offer.price_per_person * persons
    line = QuoteLine(label=label, quantity=persons, unit_price=offer.price_per_person, total=total)
    return PriceQuote(total=total, lines=(line,))


def product_price(*, offer, quantity: int) -> PriceQuote:
    """Price per item times the quantity."""
    if quantity < 1:
        raise PricingError("at least one item")
    if offer.price_per_item is None:
        raise PricingError("no price set")
    label = offer.unit_label or _("item")
    label = f"{quantity} × {label}"
    total = offer.price_per_item * quantity
    line = QuoteLine(label=label, quantity=quantity, unit_price=offer.price_per_item, total=total)
    return PriceQuote(total=total, lines=(line,))
