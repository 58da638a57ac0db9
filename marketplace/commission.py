"""An offer as the commission engine sees it, and the quote of a price for it.

The one place that turns an offer into the engine's ``Line``: the listing's all-in
prices, the offer page, the cart, checkout and the simulation of draft rules all go
through here, so they agree to the cent. No query when the offer's provider, listing
category and labels are already loaded (``select_related``/``prefetch_related``).
"""

import datetime as dt

from commissions.engine import Line, Quote, RuleSpec, quote
from commissions.selectors import live_rule_specs


def offer_commission_line(*, offer, subtotal: int, booked_on: dt.date) -> Line:
    category = offer.listing_category
    return Line(
        subtotal=subtotal,
        booked_on=booked_on,
        provider=offer.provider.slug if offer.provider_id else "",
        categories=(category.slug,) if category is not None else (),
        kind=offer.kind,
        commune=offer.commune or "",
        labels=tuple(sorted(label.slug for label in offer.labels.all())),
    )


def offer_commission_quote(
    *, offer, subtotal: int, booked_on: dt.date, specs: list[RuleSpec] | None = None
) -> Quote:
    """The commission quote of ``subtotal`` cents of ``offer`` sold on ``booked_on``.

    ``specs`` are the territory's live rules; read from the cache when not given.
    """
    if specs is None:
        specs = live_rule_specs(site_id=offer.provider.site_id)
    return quote(offer_commission_line(offer=offer, subtotal=subtotal, booked_on=booked_on), specs)
