"""Capacity: what a set of bookings takes, taken and given back under row locks.

Capacity lives in rows that can be locked: one :class:`StayNight` per offer and night,
one :class:`ActivitySlot` per slot, one :class:`ProductStock` per product. Every change
of capacity locks the rows it needs with :func:`marketplace.orders.locks.rows_lock`,
**always in the same order** (stay nights by offer then date, then slots by id, then
products by id), checks what is free on the locked rows, then writes; two checkouts for
the same last units therefore queue on the first row instead of both seeing it free
(DESIGN §8).

No order or booking state changes here: that is :mod:`marketplace.orders.transitions`'.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from marketplace.models import (
    ActivitySlot,
    Booking,
    Closure,
    ProductOfferPage,
    ProductStock,
    StayNight,
    StayOfferPage,
)
from marketplace.orders.errors import BookingError
from marketplace.orders.locks import rows_lock


def _between_read_and_write() -> None:
    """Called after the capacity rows are read and before they are written: a no-op.

    The concurrency tests put a pause here so that every thread reads before any
    writes, which makes the race without :data:`marketplace.orders.locks.LOCK_ROWS`
    show on every run.
    """


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


def short_date(date) -> str:
    return formats.date_format(date, "SHORT_DATE_FORMAT")


def capacity_reserve(
    claims: Claims, *, titles: dict[int, str] | None = None, now: dt.datetime | None = None
) -> None:
    """Take the capacity ``claims`` need, or raise :class:`BookingError` and take nothing.

    Must run inside ``transaction.atomic()``: the rows stay locked until it commits.
    A slot that has started by ``now`` (the checkout's clock) is no longer open.
    """
    now = now or timezone.now()
    titles = titles or {}
    if claims.nights:
        StayNight.objects.bulk_create(
            [StayNight(offer_id=o, date=d, units_taken=0) for (o, d) in sorted(claims.nights)],
            ignore_conflicts=True,
        )
        offer_ids = {offer_id for offer_id, _day in claims.nights}
        days = [day for _offer, day in claims.nights]
        rows = rows_lock(
            StayNight.objects.filter(
                offer_id__in=offer_ids, date__gte=min(days), date__lte=max(days)
            ),
            order_by=("offer_id", "date"),
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
                values = {"offer": title, "count": free, "date": short_date(row.date)}
                if free <= 0:
                    raise BookingError(
                        _("%(offer)s is full on the night of %(date)s; choose other dates.")
                        % values
                    )
                raise BookingError(
                    ngettext(
                        "%(offer)s: only %(count)d unit left on the night of %(date)s.",
                        "%(offer)s: only %(count)d units left on the night of %(date)s.",
                        free,
                    )
                    % values
                )
            row.units_taken = row.units_taken + wanted
            changed.append(row)
        _between_read_and_write()
        for row in changed:
            row.save(update_fields=["units_taken"])
    if claims.slots:
        slots = rows_lock(ActivitySlot.objects.filter(pk__in=claims.slots))
        if len(slots) != len(claims.slots):
            raise BookingError(_("This time slot no longer exists; choose another one."))
        for slot in slots:
            wanted = claims.slots[slot.pk]
            title = titles.get(slot.offer_id, "")
            if slot.cancelled or slot.starts_at <= now:
                raise BookingError(
                    _("%(offer)s: this time slot is no longer open.") % {"offer": title}
                )
            free = slot.places - slot.places_taken
            if wanted > free:
                if free <= 0:
                    raise BookingError(
                        _("%(offer)s: this time slot is full; choose another one.")
                        % {"offer": title}
                    )
                raise BookingError(
                    ngettext(
                        "%(offer)s: only %(count)d place left on this slot.",
                        "%(offer)s: only %(count)d places left on this slot.",
                        free,
                    )
                    % {"offer": title, "count": free}
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
        rows = rows_lock(
            ProductStock.objects.filter(offer_id__in=claims.items), order_by=("offer_id",)
        )
        stock = dict(
            ProductOfferPage.objects.filter(pk__in=claims.items).values_list("pk", "stock")
        )
        for row in rows:
            wanted = claims.items[row.offer_id]
            free = stock.get(row.offer_id, 0) - row.taken
            if wanted > free:
                title = titles.get(row.offer_id, "")
                if free <= 0:
                    raise BookingError(_("%(offer)s is out of stock.") % {"offer": title})
                raise BookingError(
                    ngettext(
                        "%(offer)s: only %(count)d left in stock.",
                        "%(offer)s: only %(count)d left in stock.",
                        free,
                    )
                    % {"offer": title, "count": free}
                )
            row.taken = row.taken + wanted
        _between_read_and_write()
        for row in rows:
            row.save(update_fields=["taken"])
    _capacity_changed()


def capacity_release(claims: Claims) -> None:
    """Give back what ``claims`` took (inside a transaction, rows locked in order)."""
    if claims.nights:
        rows_lock(
            StayNight.objects.filter(
                offer_id__in={offer_id for offer_id, _day in claims.nights},
                date__in={day for _offer, day in claims.nights},
            ),
            order_by=("offer_id", "date"),
        )
    if claims.slots:
        rows_lock(ActivitySlot.objects.filter(pk__in=claims.slots))
    if claims.items:
        rows_lock(ProductStock.objects.filter(offer_id__in=claims.items), order_by=("offer_id",))
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
