"""Six months of past orders for the demo, made through the real booking services.

The cart's forms check a visitor's choice against *today* and refuse past dates, so a
past choice is priced here the way the cart prices it — :mod:`marketplace.pricing` for
the price, :func:`marketplace.commission.price_breakdown` for the commission as the
rules stood on the day of the order — by :func:`past_line_priced`. Each order then goes
through the transitions with ``now=`` set to its moment in the past: ``checkout``
(capacity held under the same locks), ``order_pay`` (bookings confirmed, the ledger
written on that date), ``booking_cancel`` by the visitor or the provider (refund by the
policy, ledger reversed), ``order_abandon``/``order_expire`` for payments abandoned or
holds expired,
and ``bookings_complete`` at the end. Statements and the transparency page therefore
show what they would had visitors really booked; nobody is e-mailed about history.

Deterministic: every choice comes from ``random.Random(seed)`` (only the public
references are random). Idempotent: nothing is done when the territory already has its
history, recognised by the ``demo-history:`` payment reference of its paid orders.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone

from cms.demo.providers import PROVIDERS
from commissions.models import Beneficiary
from commissions.selectors import live_rule_specs
from marketplace.commission import PREFETCHED_LABELS, price_breakdown, service_date
from marketplace.models import (
    ActivityOfferPage,
    ActivitySlot,
    Booking,
    Cart,
    CartLine,
    Closure,
    Label,
    Order,
    ProductOfferPage,
    Refund,
    SeasonalPrice,
    StayOfferPage,
    WeeklySlot,
)
from marketplace.orders.audit import SYSTEM
from marketplace.orders.cart import PricedLine
from marketplace.orders.transitions import (
    BookingError,
    booking_cancel,
    bookings_complete,
    checkout,
    order_abandon,
    order_expire,
    order_pay,
)
from marketplace.pricing import activity_price, product_price, stay_price
from marketplace.stay_tax import stay_party, stay_tax_for

HISTORY_DAYS = 180
HISTORY_ORDERS = 300
PAYMENT_PREFIX = "demo-history:"
KEY_NAMESPACE = uuid.UUID("6f1c2a4e-55b0-4c1e-9d7a-3a0c8e2b7d10")
# Past orders take at most this share of a product's stock (sold items are not restocked).
PRODUCT_STOCK_SHARE = 4
PROVIDER_REASONS = (
    "Crue de l'Arvière : sortie impossible ce jour-là.",
    "Fermeture exceptionnelle pour travaux.",
    "Météo défavorable, nous vous proposons une autre date.",
)
VISITOR_REASONS = ("", "Changement de programme.", "Empêchement familial.")


@dataclass
class HistoryReport:
    orders: int = 0
    paid: int = 0
    abandoned: int = 0
    expired: int = 0
    cancelled_by_visitor: int = 0
    cancelled_by_provider: int = 0
    refused: int = 0  # choices the capacity checks turned down (closures, full slots)


@dataclass
class Catalogue:
    """The demo's offers with what pricing and scheduling need, loaded once."""

    stays: list = field(default_factory=list)
    activities: list = field(default_factory=list)
    products: list = field(default_factory=list)
    seasons: dict = field(default_factory=lambda: defaultdict(list))
    closures: dict = field(default_factory=lambda: defaultdict(list))
    weekly: dict = field(default_factory=lambda: defaultdict(list))
    product_budget: dict = field(default_factory=dict)


def past_line_priced(
    *,
    offer,
    booked_on: dt.date,
    start: dt.date | None = None,
    end: dt.date | None = None,
    slot: ActivitySlot | None = None,
    quantity: int = 1,
    adults: int | None = None,
    minors: int | None = None,
    seasons=None,
    specs=None,
    names: dict[str, str] | None = None,
) -> PricedLine:
    """A cart line for a choice made on ``booked_on``, priced and quoted as the cart did then.

    ``offer`` is a specific offer page (stay, activity or product) with its provider and
    listing category loaded. No form checks the dates: that is the point (they refuse
    past ones); ``checkout`` still checks capacity and closures under its locks.
    ``specs`` are the live rules (read when not given); ``names`` the beneficiaries'.
    A stay's ``adults`` and ``minors`` (minors none when not given) make its guests.
    """
    line = CartLine(offer=offer, quantity=quantity)
    tax = None
    if offer.kind == "stay":
        line.start, line.end = start, end
        if adults is not None:
            line.adults, line.minors = adults, minors or 0
            line.guests = line.adults + line.minors
        price = stay_price(offer=offer, start=start, end=end, units=quantity, seasons=seasons)
        # The tourist tax as the cart computed it (raises StayNotBookable without a rate).
        tax_adults, tax_minors = stay_party(adults=line.adults, minors=line.minors, guests=None)
        tax = stay_tax_for(
            offer=offer,
            start=start,
            end=end,
            adults=tax_adults,
            minors=tax_minors,
            price=price.total,
        )
    elif offer.kind == "activity":
        line.slot = slot
        price = activity_price(offer=offer, persons=quantity)
    else:
        price = product_price(offer=offer, quantity=quantity)
    breakdown = price_breakdown(
        offer=offer,
        price_quote=price,
        booked_on=booked_on,
        service_on=service_date(
            kind=offer.kind,
            booked_on=booked_on,
            start=start,
            starts_at=slot.starts_at if slot is not None else None,
        ),
        specs=specs,
        names=names,
        tax=tax,
    )
    return PricedLine(line=line, price=price, breakdown=breakdown)


def history_exists(*, site) -> bool:
    return Order.objects.filter(site=site, payment_ref__startswith=PAYMENT_PREFIX).exists()


def catalogue_load(*, site, provider_slugs) -> Catalogue:
    """The live offers of these providers, by kind, with seasons, closures and slots."""

    def scoped(model):
        return (
            model.objects.live()
            .filter(provider__site=site, provider__slug__in=provider_slugs)
            .select_related("provider", "listing_category")
            .prefetch_related(
                Prefetch("labels", queryset=Label.objects.order_by(), to_attr=PREFETCHED_LABELS),
                Prefetch("provider__labels", queryset=Label.objects.order_by()),
            )
            .order_by("pk")
        )

    catalogue = Catalogue(
        stays=list(scoped(StayOfferPage)),
        activities=list(scoped(ActivityOfferPage)),
        products=list(scoped(ProductOfferPage)),
    )
    stay_ids = [offer.pk for offer in catalogue.stays]
    for season in SeasonalPrice.objects.filter(page_id__in=stay_ids).order_by("sort_order", "pk"):
        catalogue.seasons[season.page_id].append(season)
    for closure in Closure.objects.filter(page_id__in=stay_ids):
        catalogue.closures[closure.page_id].append(closure)
    activity_ids = [offer.pk for offer in catalogue.activities]
    for weekly in WeeklySlot.objects.filter(page_id__in=activity_ids).order_by("sort_order"):
        catalogue.weekly[weekly.page_id].append(weekly)
    catalogue.activities = [a for a in catalogue.activities if catalogue.weekly[a.pk]]
    catalogue.product_budget = {p.pk: p.stock // PRODUCT_STOCK_SHARE for p in catalogue.products}
    return catalogue


def _aware(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


def _moment_between(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    seconds = max(int((end - start).total_seconds()), 0)
    return start + dt.timedelta(seconds=rng.randint(0, seconds))


def _stay_choice(rng, catalogue: Catalogue, *, placed: dt.datetime, specs, names):
    offer = rng.choice(catalogue.stays)
    start = timezone.localtime(placed).date() + dt.timedelta(
        days=rng.choice((1, 2, 3, 5, 7, 10, 14, 21, 30, 45))
    )
    end = start + dt.timedelta(days=max(offer.min_nights, rng.choice((1, 2, 2, 3, 4, 7))))
    if any(c.start_date < end and c.end_date >= start for c in catalogue.closures[offer.pk]):
        return None
    units = 1 if offer.units < 4 else rng.choice((1, 1, 1, 2))
    guests = rng.randint(1, offer.guests_per_unit * units)
    # From four guests on, a family: two adults and the rest minors (no draw of its
    # own, so the rest of the history stays as it was).
    minors = guests - 2 if guests >= 4 else 0
    return past_line_priced(
        offer=offer,
        booked_on=timezone.localtime(placed).date(),
        start=start,
        end=end,
        quantity=units,
        adults=guests - minors,
        minors=minors,
        seasons=catalogue.seasons[offer.pk],
        specs=specs,
        names=names,
    )


def _activity_slot(offer, weekly, day: dt.date) -> ActivitySlot:
    """The dated slot of ``offer`` at ``weekly``'s time on ``day`` (made if it is past)."""
    starts_at = _aware(day, weekly.start_time)
    slot, _created = ActivitySlot.objects.get_or_create(
        offer=offer,
        starts_at=starts_at,
        defaults={
            "ends_at": starts_at + dt.timedelta(minutes=offer.duration_minutes or 0),
            "places": weekly.places or offer.places_per_slot,
        },
    )
    return slot


def _activity_choice(rng, catalogue: Catalogue, *, placed: dt.datetime, specs, names):
    offer = rng.choice(catalogue.activities)
    pattern = catalogue.weekly[offer.pk]
    first = timezone.localtime(placed).date() + dt.timedelta(days=rng.randint(1, 20))
    for offset in range(7):
        day = first + dt.timedelta(days=offset)
        times = [w for w in pattern if w.weekday == day.weekday()]
        if times:
            break
    else:
        return None
    slot = _activity_slot(offer, rng.choice(times), day)
    free = slot.places - slot.places_taken
    if slot.cancelled or free < 1:
        return None
    return past_line_priced(
        offer=offer,
        booked_on=timezone.localtime(placed).date(),
        slot=slot,
        quantity=min(rng.choice((1, 2, 2, 3, 4)), free),
        specs=specs,
        names=names,
    )


def _product_choice(rng, catalogue: Catalogue, *, placed: dt.datetime, specs, names):
    offer = rng.choice(catalogue.products)
    budget = catalogue.product_budget[offer.pk]
    if budget < 1:
        return None
    quantity = min(rng.choice((1, 1, 2, 3)), budget)
    return past_line_priced(
        offer=offer,
        booked_on=timezone.localtime(placed).date(),
        quantity=quantity,
        specs=specs,
        names=names,
    )


CHOOSERS = {"stay": _stay_choice, "activity": _activity_choice, "product": _product_choice}


def _order_lines(rng, catalogue: Catalogue, *, placed, specs, names) -> list[PricedLine]:
    """One to three choices of different offers, of any kind."""
    wanted = rng.choices((1, 2, 3), weights=(55, 33, 12))[0]
    lines, offers = [], set()
    for _attempt in range(wanted * 2):
        if len(lines) == wanted:
            break
        kind = rng.choices(("stay", "activity", "product"), weights=(35, 35, 30))[0]
        priced = CHOOSERS[kind](rng, catalogue, placed=placed, specs=specs, names=names)
        if priced is not None and priced.line.offer.pk not in offers:
            offers.add(priced.line.offer.pk)
            lines.append(priced)
    return lines


def orders_history_ensure(
    *,
    site,
    visitors: list[tuple],
    today: dt.date,
    count: int = HISTORY_ORDERS,
    days: int = HISTORY_DAYS,
    seed: int = 2026,
) -> HistoryReport:
    """About ``count`` orders placed by ``visitors`` (``(user, language)``) over ``days`` days.

    Most are paid; some bookings are then cancelled by the visitor (refunded by their
    policy) or by the provider (in full); a few payments are abandoned or their hold
    expires. Nothing is done when the territory already has its history.
    """
    report = HistoryReport()
    if count < 1 or not visitors or history_exists(site=site):
        return report
    catalogue = catalogue_load(site=site, provider_slugs=[p.slug for p in PROVIDERS])
    if not (catalogue.stays or catalogue.activities or catalogue.products):
        return report
    specs = live_rule_specs(site_id=site.pk, use_cache=False)
    names = dict(Beneficiary.objects.filter(site=site).values_list("key", "name"))
    rng = random.Random(f"{seed}-orders-history")  # noqa: S311 (demo data, not secrets)
    clock = timezone.now()
    # One anonymous cart carries the checkouts, so no visitor's own cart is touched.
    cart = Cart.objects.create(site=site)
    placed_days = sorted(rng.randint(1, days) for _ in range(count))
    for index, days_ago in enumerate(reversed(placed_days)):
        day = today - dt.timedelta(days=days_ago)
        placed = _aware(day, dt.time(8)) + dt.timedelta(minutes=rng.randint(0, 14 * 60))
        user, language = rng.choice(visitors)
        lines = _order_lines(rng, catalogue, placed=placed, specs=specs, names=names)
        if not lines:
            continue
        key = uuid.uuid5(KEY_NAMESPACE, f"{seed}-{index}")
        cart.version = key
        cart.save(update_fields=["version"])
        try:
            order = checkout(
                cart=cart,
                user=user,
                checkout_key=key,
                priced_lines=lines,
                language=language,
                now=placed,
            )
        except BookingError:
            report.refused += 1
            continue
        Order.objects.filter(pk=order.pk).update(created_at=placed)
        Booking.objects.filter(order=order).update(created_at=placed)
        report.orders += 1
        outcome = rng.random()
        if outcome < 0.06:
            order_abandon(
                order_id=order.pk,
                now=placed + dt.timedelta(minutes=rng.randint(1, 10)),
                actor=SYSTEM,
                restore_cart=False,
            )
            report.abandoned += 1
            continue
        if outcome < 0.11:
            order_expire(order_id=order.pk, now=order.hold_expires_at)
            report.expired += 1
            continue
        paid_at = placed + dt.timedelta(minutes=rng.randint(1, 10))
        order_pay(
            order_id=order.pk,
            payment_ref=f"{PAYMENT_PREFIX}{order.reference}",
            now=paid_at,
            notify=False,
            actor=SYSTEM,
        )
        report.paid += 1
        for priced in lines:
            product = priced.line.offer
            if product.kind == "product":
                catalogue.product_budget[product.pk] -= priced.line.quantity
        _cancellations(rng, order=order, paid_at=paid_at, clock=clock, report=report)
    cart.delete()
    bookings_complete(today=today)
    return report


def _cancellations(rng, *, order: Order, paid_at, clock, report: HistoryReport) -> None:
    """Some of a paid order's stays and activities are cancelled before they start."""
    for booking in order.bookings.exclude(starts_at=None).order_by("pk"):
        draw = rng.random()
        by_provider = draw >= 0.09
        if draw >= 0.115:
            continue
        earliest = paid_at + dt.timedelta(minutes=5)
        latest = min(booking.starts_at - dt.timedelta(hours=1), clock - dt.timedelta(minutes=1))
        if latest <= earliest:
            continue
        when = _moment_between(rng, earliest, latest)
        refund = booking_cancel(
            booking_id=booking.pk,
            by_provider=by_provider,
            reason=rng.choice(PROVIDER_REASONS if by_provider else VISITOR_REASONS),
            now=when,
            notify=False,
            actor=SYSTEM,
        )
        if refund is not None:
            Refund.objects.filter(pk=refund.pk).update(created_at=when)
        if by_provider:
            report.cancelled_by_provider += 1
        else:
            report.cancelled_by_visitor += 1
