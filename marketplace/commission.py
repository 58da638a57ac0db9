"""An offer as the commission engine sees it: its line, all-in prices, the price breakdown.

The one place that turns an offer into the engine's ``Line``: the listing's and the
API's all-in prices, the offer page, the cart, checkout and the simulation of draft
rules all go through here, so a rule's scope means the same everywhere and they agree
to the cent. No query when the offer's provider (with its labels), listing category and
labels are already loaded (``marketplace.selectors.offers_with_cards`` does it) and the
live rules come from their cache.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

from django.utils import timezone
from django.utils.translation import gettext as _

from commissions.dates import territory_date
from commissions.engine import OPERATOR, Line, Quote, RuleSpec, quote
from commissions.selectors import beneficiary_names, live_rule_specs
from marketplace.books.ledger import VAT_ACCOUNT, beneficiary_account, vat_set_aside_entries
from marketplace.books.models import LedgerEntry, TransactionKind
from marketplace.invoices.vat import vat_included
from marketplace.models import TerritorySettings
from marketplace.pricing import PriceQuote, QuoteLine
from marketplace.stay_tax import StayTax

# Where ``offers_with_cards`` puts an offer's labels (a ParentalManyToManyField's manager
# ignores Django's prefetch cache, so the prefetch goes to an attribute of its own).
PREFETCHED_LABELS = "prefetched_labels"


def offer_label_slugs(offer) -> tuple[str, ...]:
    """The offer's labels and its provider's, as the label filter of ``/offres/`` reads them."""
    offer_labels = getattr(offer, PREFETCHED_LABELS, None)
    if offer_labels is None:
        offer_labels = offer.labels.all()
    provider_labels = offer.provider.labels.all() if offer.provider_id else ()
    return tuple(sorted({label.slug for label in chain(offer_labels, provider_labels)}))


def service_date(
    *,
    kind: str,
    booked_on: dt.date,
    start: dt.date | None = None,
    starts_at: dt.datetime | None = None,
) -> dt.date | None:
    """The date a season rule reads (see :mod:`commissions.engine`): a stay's arrival
    (``start``), an activity's slot date (``starts_at``, in the territory's time zone,
    whoever asks: :mod:`commissions.dates`), a product's booking date
    (collected at the shop: no other date is recorded). None when it is not known yet
    (a stay or activity before dates are chosen: no season rule applies)."""
    if kind == "stay":
        return start
    if kind == "activity":
        return territory_date(starts_at) if starts_at else None
    return booked_on


def quote_service_date(*, offer, form, booked_on: dt.date) -> dt.date | None:
    """The service date of a valid offer-page form (:mod:`marketplace.quotes`)."""
    data = getattr(form, "cleaned_data", None) or {}
    slot = getattr(form, "slots", {}).get(data.get("slot"))
    return service_date(
        kind=offer.kind,
        booked_on=booked_on,
        start=data.get("start"),
        starts_at=slot.starts_at if slot is not None else None,
    )


def offer_commission_line(
    *, offer, subtotal: int, booked_on: dt.date, service_on: dt.date | None = None
) -> Line:
    """The engine's ``Line`` for ``subtotal`` cents of ``offer`` booked on ``booked_on``
    for a service on ``service_on`` (see :func:`service_date`).

    Scope as the rules read it: the provider's slug, the offer's listing category (its
    own, else its provider's), its kind, commune, and its and its provider's labels.
    """
    provider = offer.provider if offer.provider_id else None
    category = offer.listing_category if offer.listing_category_id else None
    return Line(
        subtotal=subtotal,
        booked_on=booked_on,
        provider=provider.slug if provider else "",
        categories=(category.slug,) if category else (),
        kind=offer.kind,
        commune=offer.commune,
        labels=offer_label_slugs(offer),
        service_on=service_on,
    )


def offer_site_id(offer) -> int | None:
    return offer.provider.site_id if offer.provider_id else None


def offer_commission_quote(
    *,
    offer,
    subtotal: int,
    booked_on: dt.date,
    service_on: dt.date | None = None,
    specs: Sequence[RuleSpec] | None = None,
) -> Quote:
    """The commission quote for ``subtotal`` cents of ``offer`` (live rules by default)."""
    if specs is None:
        site_id = offer_site_id(offer)
        specs = live_rule_specs(site_id=site_id) if site_id else ()
    line = offer_commission_line(
        offer=offer, subtotal=subtotal, booked_on=booked_on, service_on=service_on
    )
    return quote(line, specs)


def offers_all_in_prices(
    *, offers: Iterable, site_id: int, booked_on: dt.date | None = None
) -> list:
    """Give each offer ``visitor_fee_from`` and ``price_from_all_in`` (cents, or None).

    The service fee the live rules add to the offer's lowest price: what a card and the
    API show as "from ... all in". One read of the rules' cache for all the offers.
    No dates are chosen yet: a stay's or activity's price is quoted without a service
    date, so no season rule applies to it; a product's service date is its booking date.
    """
    offers = list(offers)
    booked_on = booked_on or timezone.localdate()
    specs = live_rule_specs(site_id=site_id)
    for offer in offers:
        if offer.price_from is None:
            offer.visitor_fee_from = offer.price_from_all_in = None
            continue
        result = offer_commission_quote(
            offer=offer,
            subtotal=offer.price_from,
            booked_on=booked_on,
            service_on=service_date(kind=offer.kind, booked_on=booked_on),
            specs=specs,
        )
        offer.visitor_fee_from = result.visitor_fee
        offer.price_from_all_in = result.visitor_total
    return offers


@dataclass(frozen=True)
class PriceBreakdown:
    """What the visitor pays for a choice: the price, the service fee, the tourist tax
    (a stay's, :mod:`marketplace.stay_tax`; never commissioned), the total, and who gets
    the commission (``beneficiaries``: ``(name, cents)`` pairs, none at zero)."""

    price_quote: PriceQuote
    commission_quote: Quote
    beneficiaries: tuple[tuple[str, int], ...] = ()
    tax: StayTax | None = None

    @property
    def tax_charged(self) -> int:
        """The tourist tax paid with the booking (0 when the host collects it on site)."""
        return self.tax.charged if self.tax is not None else 0

    @property
    def tax_on_site(self) -> int | None:
        """The tourist tax the visitor pays the host on site, for information."""
        return self.tax.on_site if self.tax is not None else None

    @property
    def lines(self) -> tuple[QuoteLine, ...]:
        return self.price_quote.lines

    @property
    def price(self) -> int:
        return self.price_quote.total

    @property
    def visitor_fee(self) -> int:
        return self.commission_quote.visitor_fee

    @property
    def total(self) -> int:
        return self.commission_quote.visitor_total + self.tax_charged


def price_breakdown(
    *,
    offer,
    price_quote: PriceQuote,
    booked_on: dt.date,
    service_on: dt.date | None = None,
    specs: Sequence[RuleSpec] | None = None,
    names: dict[str, str] | None = None,
    tax: StayTax | None = None,
) -> PriceBreakdown:
    """The breakdown of ``price_quote`` for ``offer`` booked on ``booked_on`` for a
    service on ``service_on`` (see :func:`service_date`), with a stay's ``tax`` (its
    own line; the commission is quoted on the price alone).

    Beneficiaries' names are looked up in one query unless ``names`` (key → name, as
    ``commissions.selectors.beneficiary_names`` gives) is passed, e.g. by a cart that
    looks them up once for all its lines.
    """
    commission = offer_commission_quote(
        offer=offer,
        subtotal=price_quote.total,
        booked_on=booked_on,
        service_on=service_on,
        specs=specs,
    )
    site_id = offer_site_id(offer)
    beneficiaries = beneficiary_shares(
        allocations=commission.allocations,
        site_id=site_id,
        names=names,
        vat=vat_quoted(commission.allocations, rate=commission_vat_rate(site_id)),
    )
    return PriceBreakdown(
        price_quote=price_quote,
        commission_quote=commission,
        beneficiaries=beneficiaries,
        tax=tax,
    )


def commission_vat_rate(site_id: int | None):
    """The VAT rate the territory sets aside from each commission now (``Decimal``), or
    ``None`` when its operator does not charge VAT (one query)."""
    if not site_id:
        return None
    row = (
        TerritorySettings.objects.filter(site_id=site_id)
        .values_list("subject_to_vat", "vat_rate")
        .first()
    )
    return row[1] if row and row[0] and row[1] > 0 else None


def vat_quoted(allocations: dict[str, int], *, rate) -> dict[str, int]:
    """The entries setting the VAT aside from ``allocations`` at ``rate``, as the ledger
    will post them at confirmation (``{account: cents}``; empty without VAT)."""
    if rate is None:
        return {}
    credits = [(beneficiary_account(key), cents) for key, cents in allocations.items() if cents]
    vat = vat_included(sum(cents for _account, cents in credits), rate)
    return dict(vat_set_aside_entries(commission=credits, vat_cents=vat))


def vat_key(booking) -> str:
    """The ledger key of the VAT included in the booking's commission, set aside to
    ``tax:vat`` at confirmation (:func:`marketplace.orders.accounting.vat_set_aside_post`)."""
    return f"booking:{booking.pk}:vat"


def booking_vat(booking) -> dict[str, int]:
    """The entries that set aside the VAT of ``booking``'s commission at its confirmation,
    ``{account: cents}`` (one query; empty when none was)."""
    if not booking.commission or booking.confirmed_at is None:
        return {}
    return dict(
        LedgerEntry.objects.filter(
            transaction__kind=TransactionKind.VAT,
            transaction__idempotency_key=vat_key(booking),
        ).values_list("account", "amount")
    )


def beneficiary_shares(
    *,
    allocations: dict[str, int],
    site_id: int | None,
    names: dict[str, str] | None = None,
    vat: dict[str, int] | None = None,
) -> tuple[tuple[str, int], ...]:
    """``(name, cents)`` for each beneficiary of ``allocations`` with a share above zero,
    the largest first.

    Names are looked up in one query unless ``names`` is passed; the operator's key
    reads "the operator", and a key without a beneficiary any more keeps its key.
    ``vat`` (the entries setting the commission's VAT aside: :func:`vat_quoted`,
    :func:`booking_vat`) makes each share what the beneficiary keeps, and the VAT,
    owed to the State, its own last line: together they still make the commission.
    """
    vat = vat or {}
    shares = [
        (key, cents - vat.get(beneficiary_account(key), 0))
        for key, cents in allocations.items()
        if cents - vat.get(beneficiary_account(key), 0)
    ]
    if names is None:
        keys = [key for key, _cents in shares if key != OPERATOR]
        names = beneficiary_names(site_id=site_id, keys=keys) if site_id and keys else {}
    named = [
        (names.get(key) or (_("the operator") if key == OPERATOR else key), cents)
        for key, cents in shares
    ]
    # Largest share first, then by name: a stored booking's allocations come back from a
    # JSON column whose key order the database may change (PostgreSQL's jsonb does).
    ordered = tuple(sorted(named, key=lambda item: (-item[1], str(item[0]))))
    if vat.get(VAT_ACCOUNT):
        ordered += ((_("VAT on the commission, owed to the State"), -vat[VAT_ACCOUNT]),)
    return ordered


def booking_quote(booking) -> Quote:
    """The commission quote frozen on a booking, as the engine's ``Quote``."""
    return Quote(
        subtotal=booking.subtotal,
        visitor_fee=booking.visitor_fee,
        provider_commission=booking.provider_commission,
        allocations=dict(booking.allocations),
        rule=booking.rule_key or None,
        rule_revision_id=booking.rule_revision_id,
    )


def booking_breakdown(booking, *, names: dict[str, str] | None = None) -> PriceBreakdown:
    """The breakdown frozen on ``booking`` when it was sold, as the offer page showed it.

    Read from the booking's own fields (price lines, fee, commission, shares): later
    price or rule changes never show here. ``names`` as for :func:`price_breakdown`;
    without it the beneficiaries' names cost one query (the order's site). The shares
    are net of the VAT the ledger set aside at confirmation (one query when it could).
    """
    lines = tuple(
        QuoteLine(
            label=line.get("label", ""),
            quantity=line.get("quantity", 1),
            unit_price=line.get("unit_price", 0),
            total=line.get("total", 0),
        )
        for line in booking.price_lines
    )
    commission = booking_quote(booking)
    return PriceBreakdown(
        price_quote=PriceQuote(total=booking.subtotal, lines=lines),
        commission_quote=commission,
        beneficiaries=beneficiary_shares(
            allocations=commission.allocations,
            site_id=booking.order.site_id if names is None else None,
            names=names,
            vat=booking_vat(booking),
        ),
        tax=StayTax.of_booking(booking),
    )
