"""What one account may hold unpaid: the territory's limits against denial of inventory.

Without them, one verified account could hold every place, item and night of the
territory through repeated checkouts, and renew the holds forever by abandoning and
checking out again. :func:`hold_limits_check` runs inside
:func:`marketplace.orders.transitions.checkout`'s transaction, after the account's row is
locked (two checkouts of one account are counted one after the other) and before any
capacity is taken; it raises :class:`~marketplace.orders.errors.BookingError`, so a refusal
holds nothing and leaves the cart as it was. The limits are
:class:`~marketplace.models.TerritorySettings` fields.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from marketplace.models import Booking, BookingStatus, Order, OrderStatus, TerritorySettings
from marketplace.orders.capacity import short_date
from marketplace.orders.errors import BookingError

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Held:
    """One line's claim: what an order line (cart line or booking) takes of one offer."""

    kind: str
    offer_id: int
    title: str
    quantity: int
    start: dt.date | None = None
    end: dt.date | None = None
    slot_id: int | None = None

    def nights(self) -> list[dt.date]:
        if self.kind != "stay" or self.start is None or self.end is None:
            return []
        return [self.start + n * DAY for n in range((self.end - self.start).days)]

    def overlaps(self, other: Held) -> bool:
        """The same capacity: same offer, and the same slot or at least one same night."""
        if self.offer_id != other.offer_id:
            return False
        if self.kind == "stay":
            return bool(set(self.nights()) & set(other.nights()))
        if self.kind == "activity":
            return self.slot_id == other.slot_id
        return True

    @classmethod
    def of_booking(cls, booking: Booking) -> Held:
        return cls(
            kind=booking.kind,
            offer_id=booking.offer_id,
            title=booking.offer_title,
            quantity=booking.quantity,
            start=booking.start,
            end=booking.end,
            slot_id=booking.slot_id,
        )

    @classmethod
    def of_line(cls, line) -> Held:
        return cls(
            kind=line.offer.kind,
            offer_id=line.offer_id,
            title=line.offer.title,
            quantity=line.quantity,
            start=line.start,
            end=line.end,
            slot_id=line.slot_id,
        )


def _time(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


def _count_unpaid(*, settings: TerritorySettings, site, user) -> None:
    pending = Order.objects.filter(site=site, user=user, status=OrderStatus.PENDING).count()
    limit = settings.max_unpaid_orders
    if pending >= limit:
        raise BookingError(
            ngettext(
                "You already have %(count)d order awaiting payment: pay or abandon it "
                "before placing another one.",
                "You already have %(count)d orders awaiting payment: pay or abandon one "
                "of them before placing another one.",
                pending,
            )
            % {"count": pending}
        )


def _cooldown(*, settings: TerritorySettings, site, user, wanted: list[Held], now) -> None:
    """Refuse to hold again what this account let go (abandoned, expired) a moment ago."""
    minutes = settings.hold_cooldown_minutes
    if not minutes:
        return
    since = now - dt.timedelta(minutes=minutes)
    released = (
        Booking.objects.filter(
            order__site=site,
            order__user=user,
            order__status__in=(OrderStatus.ABANDONED, OrderStatus.EXPIRED),
            order__released_at__gt=since,
            order__released_at__lte=now,
            status=BookingStatus.EXPIRED,
            offer_id__in={held.offer_id for held in wanted},
        )
        .select_related("order")
        .order_by("-order__released_at")
    )
    for booking in released:
        before = Held.of_booking(booking)
        for held in wanted:
            if held.overlaps(before):
                until = booking.order.released_at + dt.timedelta(minutes=minutes)
                raise BookingError(
                    ngettext(
                        "%(offer)s: you gave it up less than %(minutes)d minute ago; so that "
                        "others get their turn, you can try again from %(time)s.",
                        "%(offer)s: you gave it up less than %(minutes)d minutes ago; so that "
                        "others get their turn, you can try again from %(time)s.",
                        minutes,
                    )
                    % {"offer": held.title, "minutes": minutes, "time": _time(until)}
                )


def _per_offer(*, settings: TerritorySettings, site, user, wanted: list[Held]) -> None:
    """Held unpaid plus this checkout, per offer: within the territory's caps."""
    held = [
        Held.of_booking(booking)
        for booking in Booking.objects.filter(
            order__site=site,
            order__user=user,
            order__status=OrderStatus.PENDING,
            status=BookingStatus.HELD,
            offer_id__in={line.offer_id for line in wanted},
        )
    ]
    limit, max_nights = settings.max_held_per_offer, settings.max_held_nights
    titles = {line.offer_id: line.title for line in wanted}
    totals: dict[int, int] = defaultdict(int)
    nights: dict[int, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    kinds: dict[int, str] = {}
    for line in [*held, *wanted]:
        kinds[line.offer_id] = line.kind
        if line.kind == "stay":
            for night in line.nights():
                nights[line.offer_id][night] += line.quantity
        else:
            totals[line.offer_id] += line.quantity
    for offer_id in sorted(kinds):
        title, kind = titles[offer_id], kinds[offer_id]
        if kind == "stay":
            per_night = nights[offer_id]
            if len(per_night) > max_nights:
                raise BookingError(
                    ngettext(
                        "%(offer)s: one person can hold at most %(limit)d night at a time "
                        "before paying; with this order you would hold %(count)d.",
                        "%(offer)s: one person can hold at most %(limit)d nights at a time "
                        "before paying; with this order you would hold %(count)d.",
                        max_nights,
                    )
                    % {"offer": title, "limit": max_nights, "count": len(per_night)}
                )
            night, units = max(per_night.items(), key=lambda item: (item[1], -item[0].toordinal()))
            if units > limit:
                raise BookingError(
                    ngettext(
                        "%(offer)s: one person can hold at most %(limit)d unit per night "
                        "before paying; with this order you would hold %(count)d on the "
                        "night of %(date)s.",
                        "%(offer)s: one person can hold at most %(limit)d units per night "
                        "before paying; with this order you would hold %(count)d on the "
                        "night of %(date)s.",
                        limit,
                    )
                    % {"offer": title, "limit": limit, "count": units, "date": short_date(night)}
                )
        elif totals[offer_id] > limit:
            if kind == "activity":
                message = ngettext(
                    "%(offer)s: one person can hold at most %(limit)d place at a time "
                    "before paying; with this order you would hold %(count)d.",
                    "%(offer)s: one person can hold at most %(limit)d places at a time "
                    "before paying; with this order you would hold %(count)d.",
                    limit,
                )
            else:
                message = ngettext(
                    "%(offer)s: one person can hold at most %(limit)d item at a time "
                    "before paying; with this order you would hold %(count)d.",
                    "%(offer)s: one person can hold at most %(limit)d items at a time "
                    "before paying; with this order you would hold %(count)d.",
                    limit,
                )
            raise BookingError(
                message % {"offer": title, "limit": limit, "count": totals[offer_id]}
            )


def hold_limits_check(*, site, user, lines, now: dt.datetime) -> None:
    """Refuse (``BookingError``) a checkout of ``lines`` that would break a limit.

    Call inside the checkout's transaction with the account's row locked. Checks,
    in order: lines per order, orders awaiting payment, the cool-down after an
    abandoned or expired hold, and what one account holds of each offer.
    """
    settings = TerritorySettings.for_site(site)
    wanted = [Held.of_line(line) for line in lines]
    if len(wanted) > settings.max_lines_per_order:
        raise BookingError(
            _("An order holds at most %(count)d lines; remove some from your cart.")
            % {"count": settings.max_lines_per_order}
        )
    _count_unpaid(settings=settings, site=site, user=user)
    _cooldown(settings=settings, site=site, user=user, wanted=wanted, now=now)
    _per_offer(settings=settings, site=site, user=user, wanted=wanted)
