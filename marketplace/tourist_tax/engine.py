"""The tourist tax of one stay, computed: pure Python, integer cents, no database.

Like :mod:`commissions.engine`: dataclasses in (:class:`RateData`, what a deliberation
says for one commune and category), a dataclass out (:class:`TaxQuote`). The models
(:mod:`marketplace.tourist_tax.models`) and :func:`marketplace.tourist_tax.selectors.quote_for`
find the rate; this module only does the arithmetic, so that it can be tested
exhaustively and the declaration can recompute any stay.

The computation, per person and per night, then multiplied (see the app's docstring for
the law behind each step):

1. Rate per person per night, in cents:
   - a fixed category: the deliberation's rate;
   - ``unclassified``: ``price of the night excl. tax / every occupant (adults and minors)
     × percentage``, rounded to the cent (half up, :func:`commissions.money.round_half_up`),
     then capped at the row's cap.
2. Persons taxed: adults minus the persons declared exempt (seasonal workers, emergency
   housing). Minors are always exempt. Nobody is taxed when the night costs less than
   the commune's low-rent threshold.
3. Each additional tax (departmental, regional) is a percentage *of the tax*, computed on
   the rate per person per night and rounded to the cent, as the communes publish their
   grids (e.g. Paris: 2,30 € + 0,23 € + 0,35 € = 2,88 €).
4. ``base = rate × persons taxed × nights``; each surcharge likewise; ``total = base +
   surcharges``. Every step after the rounding in 1 and 3 is an exact integer product, so
   the declaration's lines add up to the total to the cent.

Consequences, tested as properties: the total is monotone in nights, and in adults at a
fixed rate; minors never change a fixed-rate total. At a percentage an extra adult shares
the same price, so the total grows only up to the rounding of the rate per person (half a
cent per person-night): two adults alone pay 5 % of the night, as do three or four.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from commissions.money import round_half_up
from marketplace.tourist_tax.categories import CODES, PROPORTIONAL

DEPARTMENTAL = "departmental"
REGIONAL = "regional"


class TaxInputError(ValueError):
    """Input the computation cannot use (negative counts, a missing price...)."""


@dataclass(frozen=True)
class RateData:
    """What a deliberation sets for one commune and category, as plain values.

    ``fixed_cents`` for a fixed category; ``percent`` (1 to 5) and ``cap_cents`` for
    ``unclassified``. ``surcharges``: ``(name, percent)`` pairs, e.g.
    ``(("departmental", Decimal("10")),)``. ``low_rent_threshold_cents``: below this price
    of the night nobody pays (None: no threshold voted).
    """

    category: str
    fixed_cents: int | None = None
    percent: Decimal | None = None
    cap_cents: int | None = None
    surcharges: tuple[tuple[str, Decimal], ...] = ()
    low_rent_threshold_cents: int | None = None

    @property
    def proportional(self) -> bool:
        return self.category == PROPORTIONAL


@dataclass(frozen=True)
class TaxQuote:
    """The tax of one stay, in cents. ``total == base + sum(surcharges.values())``."""

    rate_per_person_night: int
    persons_taxed: int
    nights: int
    base: int
    surcharges: dict[str, int] = field(default_factory=dict)
    total: int = 0
    # For the declaration: who was not taxed, and the price the percentage read.
    exempt_persons: int = 0
    proportional: bool = False
    price_per_night: int | None = None
    surcharge_rates: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict:
        """The public shape (``tourist_tax_quote`` prints it): integers, cents."""
        return {
            "rate_per_person_night": self.rate_per_person_night,
            "persons_taxed": self.persons_taxed,
            "nights": self.nights,
            "base": self.base,
            "surcharges": dict(self.surcharges),
            "total": self.total,
        }


def _count(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TaxInputError(_("%(name)s must be a whole number, zero or more.") % {"name": name})
    return value


def rate_per_person_night(rate: RateData, *, occupants: int, price_per_night: int | None) -> int:
    """Step 1: the rate of one person for one night, in cents (see the module's docstring)."""
    if not rate.proportional:
        if rate.fixed_cents is None or rate.fixed_cents < 0:
            raise TaxInputError(_("This rate has no amount per person per night."))
        return rate.fixed_cents
    if rate.percent is None or rate.cap_cents is None:
        raise TaxInputError(_("An unclassified rate needs its percentage and its cap."))
    if price_per_night is None:
        raise TaxInputError(
            _("Unclassified accommodation is taxed on the price of the night: give it.")
        )
    if occupants < 1:
        raise TaxInputError(_("Nobody stays: the price per person cannot be computed."))
    exact = Decimal(price_per_night) * Decimal(rate.percent) / Decimal(100) / Decimal(occupants)
    return min(round_half_up(exact), rate.cap_cents)


def tourist_tax_compute(
    *,
    rate: RateData,
    category: str,
    nights: int,
    adults: int,
    minors: int = 0,
    exempt_persons: int = 0,
    price_per_night: int | None = None,
) -> TaxQuote:
    """The tourist tax of one stay.

    ``adults`` and ``minors``: everyone staying (minors are exempt but count as occupants
    for the price per person of an unclassified stay). ``exempt_persons``: adults exempt
    under L. 2333-31 (seasonal workers, emergency housing), at most ``adults``.
    ``price_per_night``: the price of one night of the accommodation, excluding taxes, in
    cents; required for ``unclassified`` and when the rate has a low-rent threshold.
    Raises :class:`TaxInputError` on input it cannot use; never returns a negative amount.
    """
    if category not in CODES:
        raise TaxInputError(_("Unknown accommodation category: %(code)s.") % {"code": category})
    if category != rate.category:
        raise TaxInputError(
            _("The rate is for %(rate)s, the stay is %(stay)s.")
            % {"rate": rate.category, "stay": category}
        )
    nights = _count("nights", nights)
    adults = _count("adults", adults)
    minors = _count("minors", minors)
    exempt_persons = _count("exempt_persons", exempt_persons)
    if exempt_persons > adults:
        raise TaxInputError(_("More exempt persons than adults."))
    if price_per_night is not None:
        price_per_night = _count("price_per_night", price_per_night)

    persons_taxed = adults - exempt_persons
    if rate.low_rent_threshold_cents is not None:
        if price_per_night is None:
            raise TaxInputError(
                _("This commune exempts cheap accommodation: give the price of the night.")
            )
        if price_per_night < rate.low_rent_threshold_cents:
            persons_taxed = 0

    if persons_taxed == 0 or nights == 0:
        # Nothing is due; the rate still says what a night would have cost, when it can.
        try:
            per_night = rate_per_person_night(
                rate, occupants=adults + minors, price_per_night=price_per_night
            )
        except TaxInputError:
            per_night = 0
    else:
        per_night = rate_per_person_night(
            rate, occupants=adults + minors, price_per_night=price_per_night
        )

    surcharge_rates: dict[str, int] = {}
    for name, percent in rate.surcharges:
        if Decimal(percent) < 0:
            raise TaxInputError(_("A surcharge cannot be negative."))
        surcharge_rates[name] = round_half_up(Decimal(per_night) * Decimal(percent) / 100)

    person_nights = persons_taxed * nights
    base = per_night * person_nights
    surcharges = {name: cents * person_nights for name, cents in surcharge_rates.items()}
    return TaxQuote(
        rate_per_person_night=per_night,
        persons_taxed=persons_taxed,
        nights=nights,
        base=base,
        surcharges=surcharges,
        total=base + sum(surcharges.values()),
        exempt_persons=minors + exempt_persons,
        proportional=rate.proportional,
        price_per_night=price_per_night if rate.proportional else None,
        surcharge_rates=surcharge_rates,
    )
