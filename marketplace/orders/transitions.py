"""Holding, confirming, releasing and cancelling bookings: the capacity side of an order.

Capacity lives in rows that can be locked: one :class:`StayNight` per offer and night,
one :class:`ActivitySlot` per slot, one :class:`ProductStock` per product. Every change
of capacity takes ``SELECT ... FOR UPDATE`` on the rows it needs, **always in the same
order** (stay nights by offer then date, then slots by id, then products by id), checks
what is free on the locked rows, then writes; two checkouts for the same last units
therefore queue on the first row instead of both seeing it free (DESIGN §8).

State transitions lock the order (or booking) row, re-read its state and do nothing when
the transition was already made, so a task or a webhook that runs twice is harmless.
Money is not handled here: :mod:`payments.services` calls these functions and writes
the ledger in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.models import (
    ActivitySlot,
    Booking,
    BookingStatus,
    Cart,
    Order,
    OrderStatus,
    ProductStock,
    StayNight,
    TerritorySettings,
)
from marketplace.models.orders import new_reference
from marketplace.policies import refund_fraction

# Tests turn this off to show that, without the row locks, concurrent checkouts overbook.
LOCK_ROWS = True
# When a stay starts and ends, in the territory's time zone (the policy's clock).
CHECK_IN = dt.time(15, 0)


def _between_read_and_write() -> None:
    """Called after the capacity rows are read and before they are written: a no-op.

    The concurrency tests put a pause here so that every thread reads before any
    writes, which makes the race without :data:`LOCK_ROWS` show on every run.
    """


class BookingError(Exception):
    """A request that cannot be carried out; ``message`` is for the person who asked."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- Capacity ------------------------------------------------------------------------------


@dataclass
class Claims:
    """Capacity a set of bookings needs: units per (stay, night), places per slot, items."""

    nights: dict[tuple[int, dt.date], int] = field(default_factory=lambda: defaultdict(int))
    slots: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    items: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, *, kind: str, offer_id: int, quantity: int, start=None, end=None, slot_id=None):
        if kind == "stay":
            day = start
            while day < end:
                self.nights[(offer_id, day)] += quantity
                day += dt.timedelta(days=1)
        elif kind == "activity":
            self.slots[slot_id] += quantity
        else:
            self.items[offer_id] += quantity

    @classmethod
    def of(cls, bookings) -> Claims:
        claims = cls()
        for booking in bookings:
            claims.add(
                kind=booking.kind,
                offer_id=booking.offer_id,
                quantity=booking.quantity,
                start=booking.start,
                end=booking.end,
                slot_id=booking.slot_id,
            )
        return claims


def _locked(queryset):
    return queryset.select_for_update() if LOCK_ROWS else queryset


def short_date(date) -> str:
    from django.utils import formats

    return formats.date_format(date, "SHORT_DATE_FORMAT")


def capacity_reserve(
    claims: Claims, *, titles: dict[int, str] | None = None, now: dt.datetime | None = None
) -> None:
    """Take the capacity ``claims`` need, or raise :class:`BookingError` and take nothing.

    Must run inside ``transaction.atomic()``: the rows stay locked until it commits.
    A slot that has started by ``now`` (the checkout's clock) is no longer open.
    """
    from marketplace.models import Closure, ProductOfferPage, StayOfferPage

    now = now or timezone.now()
    titles = titles or {}
    if claims.nights:
        StayNight.objects.bulk_create(
            [StayNight(offer_id=o, date=d, units_taken=0) for (o, d) in sorted(claims.nights)],
            ignore_conflicts=True,
        )
        offer_ids = {offer_id for offer_id, _day in claims.nights}
        days = [day for _offer, day in claims.nights]
        rows = list(
            _locked(
                StayNight.objects.filter(
                    offer_id__in=offer_ids, date__gte=min(days), date__lte=max(days)
                )
            ).order_by("offer_id", "date")
        )
        units = dict(StayOfferPage.objects.filter(pk__in=offer_ids).values_list("pk", "units"))
        closures = list(
            Closure.objects.filter(
                page_id__in=offer_ids, start_date__lte=max(days), end_date__gte=min(days)
            )
        )
        changed = []
        for row in rows:
            wanted = claims.nights.get((row.offer_id, row.date))
            if not wanted:
                continue
            title = titles.get(row.offer_id, "")
            if any(
                c.page_id == row.offer_id and c.start_date <= row.date <= c.end_date
                for c in closures
            ):
                raise BookingError(
                    _("%(offer)s is closed on %(date)s.")
                    % {"offer": title, "date": short_date(row.date)}
                )
            free = units.get(row.offer_id, 0) - row.units_taken
            if wanted > free:
                raise BookingError(
                    _("%(offer)s: only %(free)d left on the night of %(date)s.")
                    % {"offer": title, "free": max(free, 0), "date": short_date(row.date)}
                )
            row.units_taken = row.units_taken + wanted
            changed.append(row)
        _between_read_and_write()
        for row in changed:
            row.save(update_fields=["units_taken"])
    if claims.slots:
        slots = list(_locked(ActivitySlot.objects.filter(pk__in=claims.slots)).order_by("pk"))
        if len(slots) != len(claims.slots):
            raise BookingError(_("This time slot no longer exists; choose another one."))
        for slot in slots:
            wanted = claims.slots[slot.pk]
            title = titles.get(slot.offer_id, "")
            if slot.cancelled or slot.starts_at <= now:
                raise BookingError(
                    _("%(offer)s: this time slot is no longer open.") % {"offer": title}
                )
            if wanted > slot.places - slot.places_taken:
                raise BookingError(
                    _("%(offer)s: only %(free)d places left on this slot.")
                    % {"offer": title, "free": max(slot.places - slot.places_taken, 0)}
                )
            slot.places_taken = slot.places_taken + wanted
        _between_read_and_write()
        for slot in slots:
            slot.save(update_fields=["places_taken"])
    if claims.items:
        ProductStock.objects.bulk_create(
            [ProductStock(offer_id=o, taken=0) for o in sorted(claims.items)],
            ignore_conflicts=True,
        )
        rows = list(
            _locked(ProductStock.objects.filter(offer_id__in=claims.items)).order_by("offer_id")
        )
        stock = dict(
            ProductOfferPage.objects.filter(pk__in=claims.items).values_list("pk", "stock")
        )
        for row in rows:
            wanted = claims.items[row.offer_id]
            free = stock.get(row.offer_id, 0) - row.taken
            if wanted > free:
                raise BookingError(
                    _("%(offer)s: only %(free)d left in stock.")
                    % {"offer": titles.get(row.offer_id, ""), "free": max(free, 0)}
                )
            row.taken = row.taken + wanted
        _between_read_and_write()
        for row in rows:
            row.save(update_fields=["taken"])
    _capacity_changed()


def capacity_release(claims: Claims) -> None:
    """Give back what ``claims`` took (inside a transaction, rows locked in order)."""
    for (offer_id, day), units in sorted(claims.nights.items()):
        StayNight.objects.filter(offer_id=offer_id, date=day, units_taken__gte=units).update(
            units_taken=F("units_taken") - units
        )
    for slot_id, places in sorted(claims.slots.items()):
        ActivitySlot.objects.filter(pk=slot_id, places_taken__gte=places).update(
            places_taken=F("places_taken") - places
        )
    for offer_id, items in sorted(claims.items.items()):
        ProductStock.objects.filter(offer_id=offer_id, taken__gte=items).update(
            taken=F("taken") - items
        )
    _capacity_changed()


# Sent after a commit that changed availability; the storefront's cache listens to it.
capacity_changed = Signal()


def _capacity_changed() -> None:
    transaction.on_commit(lambda: capacity_changed.send(sender=Booking))


# --- Checkout ------------------------------------------------------------------------------


def starts_at_for(*, kind: str, start: dt.date | None, slot) -> dt.datetime | None:
    if kind == "activity" and slot is not None:
        return slot.starts_at
    if kind == "stay" and start is not None:
        return timezone.make_aware(dt.datetime.combine(start, CHECK_IN))
    return None


def checkout_create(
    *,
    cart: Cart,
    user,
    checkout_key,
    priced_lines,
    language: str = "fr",
    gateway: str = "dev",
    now=None,
) -> Order:
    """Hold everything in the cart under one order, or nothing.

    ``priced_lines`` are the cart's lines, validated and priced by
    :func:`marketplace.cart.cart_lines_priced` just before. ``checkout_key`` is the cart
    version the visitor was shown: submitting it again returns the order it created;
    a stale one (the cart changed since) is refused.
    """
    now = now or timezone.now()
    try:
        key = uuid.UUID(str(checkout_key))
    except ValueError as exc:
        raise BookingError(_("This checkout form is not valid; open your cart again.")) from exc
    existing = Order.objects.filter(checkout_key=key).first()
    if existing is not None:
        if existing.user_id != user.pk:
            raise BookingError(_("This checkout form is not valid; open your cart again."))
        return existing
    if not priced_lines:
        raise BookingError(_("Your cart is empty."))
    # Late import: the limits module uses this one's errors and transitions.
    from marketplace.hold_limits import expired_holds_release, hold_limits_check

    settings = TerritorySettings.for_site(cart.site)
    # Holds of this account that ran out but that the periodic task has not released
    # yet no longer count against its limits.
    expired_holds_release(site=cart.site, user=user, now=now)
    try:
        with transaction.atomic():
            # The account's row is its lock: its checkouts are counted against the
            # limits one after the other. Then the cart, then the capacity rows.
            _locked(get_user_model().objects.filter(pk=user.pk)).first()
            locked_cart = Cart.objects.select_for_update().get(pk=cart.pk)
            if locked_cart.version != key:
                replay = Order.objects.filter(checkout_key=key, user=user).first()
                if replay is not None:
                    return replay
                raise BookingError(
                    _("Your cart changed in the meantime; check it and confirm again.")
                )
            hold_limits_check(
                site=cart.site, user=user, lines=[p.line for p in priced_lines], now=now
            )
            claims = Claims()
            for priced in priced_lines:
                line = priced.line
                claims.add(
                    kind=line.offer.kind,
                    offer_id=line.offer_id,
                    quantity=line.quantity,
                    start=line.start,
                    end=line.end,
                    slot_id=line.slot_id,
                )
            capacity_reserve(
                claims,
                titles={p.line.offer_id: p.line.offer.title for p in priced_lines},
                now=now,
            )
            order = Order.objects.create(
                site=cart.site,
                user=user,
                reference=new_reference("C"),
                email=user.email,
                language=language,
                currency=settings.currency,
                checkout_key=key,
                subtotal=sum(p.commission.subtotal for p in priced_lines),
                visitor_fee=sum(p.commission.visitor_fee for p in priced_lines),
                total=sum(p.commission.visitor_total for p in priced_lines),
                hold_expires_at=now + dt.timedelta(minutes=settings.hold_minutes),
                gateway=gateway,
            )
            Booking.objects.bulk_create(
                [booking_from_priced(order=order, priced=p) for p in priced_lines]
            )
            locked_cart.lines.all().delete()
            locked_cart.version = uuid.uuid4()
            locked_cart.save(update_fields=["version", "updated_at"])
    except IntegrityError:
        # The same checkout submitted twice at once: the other request created it.
        existing = Order.objects.filter(checkout_key=key, user=user).first()
        if existing is None:
            raise
        return existing
    return order


def booking_from_priced(*, order: Order, priced) -> Booking:
    line, price, commission = priced.line, priced.price, priced.commission
    offer = line.offer
    policy = (
        offer.cancellation_policy
        or TerritorySettings.for_site(order.site).default_cancellation_policy
    )
    return Booking(
        order=order,
        reference=new_reference("R"),
        offer_id=offer.pk,
        provider_id=offer.provider_id,
        kind=offer.kind,
        offer_title=offer.title,
        start=line.start
        if offer.kind == "stay"
        else (timezone.localtime(line.slot.starts_at).date() if line.slot_id else None),
        end=line.end if offer.kind == "stay" else None,
        slot_id=line.slot_id,
        starts_at=starts_at_for(kind=offer.kind, start=line.start, slot=line.slot),
        quantity=line.quantity,
        guests=line.guests,
        price_lines=[
            {
                "label": str(q.label),
                "quantity": q.quantity,
                "unit_price": q.unit_price,
                "total": q.total,
            }
            for q in price.lines
        ],
        subtotal=commission.subtotal,
        visitor_fee=commission.visitor_fee,
        provider_commission=commission.provider_commission,
        allocations=dict(commission.allocations),
        rule_key=commission.rule or "",
        rule_revision_id=commission.rule_revision_id,
        cancellation_policy=policy,
    )


# --- Confirmation, release, completion -----------------------------------------------------


class ConfirmOutcome:
    CONFIRMED = "confirmed"
    ALREADY = "already"
    LATE_REFUSED = "late_refused"


def order_confirm(*, order_id: int, payment_ref: str = "", now=None) -> tuple[Order, str]:
    """Mark a paid order's bookings confirmed (call inside a transaction).

    A payment for an order whose hold expired is confirmed when its capacity is still
    free (taken again now); otherwise the order is marked refunded and
    ``LATE_REFUSED`` returned, so that the caller refunds the payment.
    """
    now = now or timezone.now()
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status in (OrderStatus.PAID, OrderStatus.REFUNDED):
        return order, ConfirmOutcome.ALREADY
    bookings = list(order.bookings.select_related("offer").order_by("pk"))
    if order.status in (OrderStatus.EXPIRED, OrderStatus.ABANDONED):
        try:
            with transaction.atomic():
                capacity_reserve(
                    Claims.of(bookings),
                    titles={b.offer_id: b.offer_title for b in bookings},
                    now=now,
                )
        except BookingError:
            order.status = OrderStatus.REFUNDED
            order.payment_ref = payment_ref or order.payment_ref
            order.paid_at = now
            order.save(update_fields=["status", "payment_ref", "paid_at"])
            return order, ConfirmOutcome.LATE_REFUSED
    order.status = OrderStatus.PAID
    order.paid_at = now
    order.payment_ref = payment_ref or order.payment_ref
    order.save(update_fields=["status", "paid_at", "payment_ref"])
    order.bookings.update(status=BookingStatus.CONFIRMED, confirmed_at=now)
    return order, ConfirmOutcome.CONFIRMED


def order_release(*, order_id: int, status: str = OrderStatus.EXPIRED, now=None) -> bool:
    """Give back a pending order's capacity (abandoned, or its hold expired).

    ``released_at`` starts the cool-down before the same account may hold the same
    capacity again: now when abandoned, when the hold ran out when it expired (the
    periodic task may run later).
    """
    now = now or timezone.now()
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status != OrderStatus.PENDING:
            return False
        held = list(order.bookings.filter(status=BookingStatus.HELD).order_by("pk"))
        capacity_release(Claims.of(held))
        order.bookings.filter(status=BookingStatus.HELD).update(status=BookingStatus.EXPIRED)
        order.status = status
        order.released_at = (
            min(now, order.hold_expires_at) if status == OrderStatus.EXPIRED else now
        )
        order.save(update_fields=["status", "released_at"])
    return True


def holds_expire(*, now=None) -> int:
    """Release every pending order whose hold has run out; returns how many."""
    now = now or timezone.now()
    ids = Order.objects.filter(status=OrderStatus.PENDING, hold_expires_at__lte=now).values_list(
        "pk", flat=True
    )
    return sum(order_release(order_id=pk, status=OrderStatus.EXPIRED, now=now) for pk in list(ids))


def bookings_complete(*, today: dt.date | None = None) -> int:
    """Confirmed stays and activities that are over become completed."""
    today = today or timezone.localdate()
    done = Booking.objects.filter(status=BookingStatus.CONFIRMED)
    stays = done.filter(kind="stay", end__lt=today)
    activities = done.filter(kind="activity", start__lt=today)
    return stays.update(status=BookingStatus.COMPLETED) + activities.update(
        status=BookingStatus.COMPLETED
    )


# --- Cancellation ----------------------------------------------------------------------------


def cancellation_fraction(*, booking: Booking, by_provider: bool, now=None) -> Fraction:
    """What share of what the visitor paid a cancellation now gives back."""
    if by_provider:
        return Fraction(1)
    return refund_fraction(
        policy=booking.cancellation_policy, starts_at=booking.starts_at, now=now or timezone.now()
    )


def booking_cancel(
    *, booking_id: int, by_provider: bool, reason: str = "", now=None
) -> tuple[Booking, Fraction | None]:
    """Cancel a confirmed booking and give its capacity back (inside a transaction).

    Returns the booking and the fraction to refund, or ``None`` when it was already
    cancelled (nothing done). Raises :class:`BookingError` when it cannot be cancelled.
    """
    now = now or timezone.now()
    booking = Booking.objects.select_for_update().get(pk=booking_id)
    if booking.is_cancelled:
        return booking, None
    if booking.status != BookingStatus.CONFIRMED:
        raise BookingError(_("Only a confirmed booking that has not taken place can be cancelled."))
    if booking.starts_at is not None and booking.starts_at <= now and not by_provider:
        raise BookingError(_("This booking has already started; contact the provider."))
    fraction = cancellation_fraction(booking=booking, by_provider=by_provider, now=now)
    if booking.starts_at is None or booking.starts_at > now:
        capacity_release(Claims.of([booking]))
    booking.status = (
        BookingStatus.CANCELLED_BY_PROVIDER if by_provider else BookingStatus.CANCELLED_BY_VISITOR
    )
    booking.cancelled_at = now
    booking.cancel_reason = reason
    booking.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    return booking, fraction
