"""THE transitions of an order and its bookings: the one module that changes their state.

Views, huey tasks, the payment providers' pages and webhooks call these and nothing
bypasses them:

- :func:`checkout` — hold everything in a cart under one new order (or refuse);
- :func:`order_pay` — the payment succeeded: confirm, write the ledger, tell everyone
  (or refund a late payment whose places went to someone else);
- :func:`order_abandon` — the visitor gave up paying: release, lines back in the cart;
- :func:`order_expire` / :func:`holds_expire` — not paid in time: release;
- :func:`booking_cancel` — by the visitor, a provider's member or the territory's staff:
  frees the capacity, reverses the ledger and asks the payment provider for the refund;
- :func:`bookings_complete` — stays and activities that are over.

Each locks the rows it changes with :mod:`marketplace.orders.locks` (a lock wait that
times out is a :class:`~marketplace.orders.errors.BusyError`), re-reads the state and
does nothing when the transition was already made (a task or a webhook that runs twice
is harmless), and records who made it in Wagtail's audit log
(:mod:`marketplace.orders.audit`). Helpers are private (``_``) or in the modules beside
this one; the payment provider is reached through :mod:`marketplace.orders.payment`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from fractions import Fraction

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.books.ledger import VISITOR_ACCOUNT, ledger_reverse
from marketplace.books.models import LedgerTransaction
from marketplace.models import (
    Booking,
    BookingStatus,
    Cart,
    Order,
    OrderStatus,
    Refund,
    TerritorySettings,
)
from marketplace.models.orders import new_reference
from marketplace.orders import audit
from marketplace.orders import notify as mail
from marketplace.orders.access import email_verified
from marketplace.orders.accounting import (
    booking_ledger_post,
    confirmed_key,
    fee_recharge_key,
    refund_key,
    tax_refund_post,
    vat_key,
    vat_refund_post,
)
from marketplace.orders.capacity import Claims, capacity_release, capacity_reserve
from marketplace.orders.cart import cart_restore, cart_unrestore
from marketplace.orders.errors import BookingError, BusyError
from marketplace.orders.hold_limits import hold_limits_check
from marketplace.orders.locks import locked_transaction, row_lock, rows_lock
from marketplace.orders.payment import provider_for
from marketplace.orders.policies import cancellation_fraction

__all__ = [
    "BookingError",
    "BusyError",
    "ConfirmOutcome",
    "booking_cancel",
    "bookings_complete",
    "checkout",
    "holds_expire",
    "order_abandon",
    "order_expire",
    "order_pay",
]

# When a stay starts and ends, in the territory's time zone (the policy's clock).
CHECK_IN = dt.time(15, 0)


def _starts_at_for(*, kind: str, start: dt.date | None, slot) -> dt.datetime | None:
    if kind == "activity" and slot is not None:
        return slot.starts_at
    if kind == "stay" and start is not None:
        return timezone.make_aware(dt.datetime.combine(start, CHECK_IN))
    return None


def payable_on_for(*, start: dt.date | None, paid_on: dt.date, delay_days: int) -> dt.date:
    """The day a booking's provider share becomes payable: ``delay_days`` after the
    service starts (check-in, slot), or after the payment for goods (no start)."""
    return (start or paid_on) + dt.timedelta(days=delay_days)


def _payable_on_set(*, order: Order, now: dt.datetime) -> None:
    delay = TerritorySettings.for_site(order.site).payout_delay_days
    paid_on = timezone.localdate(now)
    bookings = list(order.bookings.all())
    for booking in bookings:
        booking.payable_on = payable_on_for(start=booking.start, paid_on=paid_on, delay_days=delay)
    Booking.objects.bulk_update(bookings, ["payable_on"])


# --- Checkout ------------------------------------------------------------------------------


def checkout(
    *,
    cart: Cart | None,
    user,
    checkout_key,
    priced_lines,
    language: str = "fr",
    gateway: str = "dev",
    now=None,
) -> Order:
    """Hold everything in the cart under one order, or nothing (the visitor's act).

    ``priced_lines`` are the cart's lines, validated and priced by
    :func:`marketplace.orders.cart.cart_lines_priced` just before. ``checkout_key`` is the
    cart version the visitor was shown: submitting it again returns the order it created;
    a stale one (the cart changed since) is refused. Refused too: an account whose e-mail
    address is not verified, an empty cart, a line that can no longer be booked as it is.
    ``gateway`` is the payment provider's name (the view passes the configured one).
    """
    now = now or timezone.now()
    if not email_verified(user):
        raise BookingError(_("Confirm your e-mail address before booking."))
    try:
        key = uuid.UUID(str(checkout_key))
    except ValueError as exc:
        raise BookingError(_("This checkout form is not valid; open your cart again.")) from exc
    existing = Order.objects.filter(checkout_key=key).first()
    if existing is not None:
        if existing.user_id != user.pk:
            raise BookingError(_("This checkout form is not valid; open your cart again."))
        return existing
    if not priced_lines or cart is None:
        raise BookingError(_("Your cart is empty."))
    if any(not priced.ok for priced in priced_lines):
        raise BookingError(_("Some lines of your cart can no longer be booked as they are."))
    settings = TerritorySettings.for_site(cart.site)
    # Holds of this account that ran out but that the periodic task has not released
    # yet no longer count against its limits.
    holds_expire(site=cart.site, user=user, now=now)
    try:
        with locked_transaction():
            # The account's row is its lock: its checkouts are counted against the
            # limits one after the other. Then the cart, then the capacity rows.
            rows_lock(get_user_model().objects.filter(pk=user.pk))
            locked_cart = row_lock(Cart.objects.filter(pk=cart.pk))
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
                tax=sum(p.tax for p in priced_lines),
                total=sum(p.visitor_total for p in priced_lines),
                hold_expires_at=now + dt.timedelta(minutes=settings.hold_minutes),
                gateway=gateway,
            )
            Booking.objects.bulk_create(
                [_booking_from_priced(order=order, priced=p) for p in priced_lines]
            )
            locked_cart.lines.all().delete()
            locked_cart.version = uuid.uuid4()
            locked_cart.save(update_fields=["version", "updated_at"])
            audit.record(order, audit.ORDER_PLACED, actor=audit.VISITOR, user=user, when=now)
    except IntegrityError:
        # The same checkout submitted twice at once: the other request created it.
        existing = Order.objects.filter(checkout_key=key, user=user).first()
        if existing is None:
            raise
        return existing
    return order


def _booking_from_priced(*, order: Order, priced) -> Booking:
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
        starts_at=_starts_at_for(kind=offer.kind, start=line.start, slot=line.slot),
        quantity=line.quantity,
        guests=line.guests,
        adults=line.adults,
        minors=line.minors,
        tax_exempt_persons=line.tax_exempt_persons,
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
        # The tourist tax, frozen: charged when the platform collects it, and what it was
        # computed from (the declaration's line) whoever collects it.
        tax=priced.tax,
        tax_details=dict(priced.breakdown.tax.details) if priced.breakdown.tax else {},
        allocations=dict(commission.allocations),
        rule_key=commission.rule or "",
        rule_revision_id=commission.rule_revision_id,
        cancellation_policy=policy,
    )


# --- Payment ---------------------------------------------------------------------------------


class ConfirmOutcome:
    CONFIRMED = "confirmed"
    ALREADY = "already"
    LATE_REFUSED = "late_refused"


def order_pay(
    *,
    order_id: int,
    payment_ref: str = "",
    now=None,
    notify: bool = True,
    actor: str = audit.WEBHOOK,
    by=None,
) -> str:
    """The payment of an order succeeded: confirm it, write the ledger, tell everyone.

    Idempotent (``ConfirmOutcome.ALREADY`` the second time). A payment that arrives after
    the hold expired is confirmed when the capacity is still free (taken again now);
    otherwise the order is marked refunded, the payment refunded in full through its
    provider and the visitor told (``LATE_REFUSED``). ``notify=False`` sends no
    e-mail (the demo's past orders: nobody is told about history).
    """
    now = now or timezone.now()
    with locked_transaction():
        order = row_lock(Order.objects.filter(pk=order_id))
        if order.status in (OrderStatus.PAID, OrderStatus.REFUNDED):
            return ConfirmOutcome.ALREADY
        abandoned = order.status == OrderStatus.ABANDONED
        bookings = list(order.bookings.select_related("offer").order_by("pk"))
        if order.status in (OrderStatus.EXPIRED, OrderStatus.ABANDONED):
            try:
                with transaction.atomic():
                    capacity_reserve(
                        Claims.of(bookings),
                        titles={b.offer_id: b.offer_title for b in bookings},
                        now=now,
                    )
            except BusyError:
                raise
            except BookingError:
                _late_refund(order=order, payment_ref=payment_ref, now=now)
                audit.record(order, audit.ORDER_LATE_REFUNDED, actor=actor, user=by, when=now)
                if notify:
                    transaction.on_commit(lambda: mail.order_late_refunded_notify(order.pk))
                return ConfirmOutcome.LATE_REFUSED
        order.status = OrderStatus.PAID
        order.paid_at = now
        order.payment_ref = payment_ref or order.payment_ref
        order.save(update_fields=["status", "paid_at", "payment_ref"])
        order.bookings.update(status=BookingStatus.CONFIRMED, confirmed_at=now)
        _payable_on_set(order=order, now=now)
        if abandoned:
            # Paid after all: the lines put back in the cart on abandon are booked now.
            cart_unrestore(order=order)
        for booking in order.bookings.all():
            booking_ledger_post(booking=booking, order=order, occurred_at=now)
        audit.record(
            order,
            audit.ORDER_PAID,
            actor=actor,
            user=by,
            when=now,
            data={"payment_ref": order.payment_ref},
        )
        if notify:
            transaction.on_commit(lambda: mail.order_confirmed_notify(order.pk))
    return ConfirmOutcome.CONFIRMED


def _late_refund(*, order: Order, payment_ref: str, now) -> None:
    """A payment for places gone meanwhile: the order is refunded in full."""
    order.status = OrderStatus.REFUNDED
    order.payment_ref = payment_ref or order.payment_ref
    order.paid_at = now
    order.save(update_fields=["status", "payment_ref", "paid_at"])
    # What was charged: every booking's total, the tourist tax included.
    paid = sum(booking.visitor_total for booking in order.bookings.all())
    reference = provider_for(order).refund(
        order=order, amount=paid, idempotency_key=f"order:{order.pk}:late"
    )
    for booking in order.bookings.all():
        Refund.objects.create(
            booking=booking,
            amount=booking.visitor_total,
            fraction_numerator=1,
            fraction_denominator=1,
            reason="late payment, capacity gone",
            gateway_ref=reference,
        )
        Booking.objects.filter(pk=booking.pk).update(refunded=booking.visitor_total)


# --- Release: abandoned, expired -----------------------------------------------------------


def _order_release(*, order_id: int, status: str, now, actor: str, by=None) -> bool:
    """Give back a pending order's capacity (abandoned, or its hold expired).

    ``released_at`` starts the cool-down before the same account may hold the same
    capacity again: now when abandoned, when the hold ran out when it expired (the
    periodic task may run later).
    """
    with locked_transaction():
        order = row_lock(Order.objects.filter(pk=order_id))
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
        audit.record(
            order,
            audit.ORDER_EXPIRED if status == OrderStatus.EXPIRED else audit.ORDER_ABANDONED,
            actor=actor,
            user=by,
            when=now,
        )
    return True


def order_abandon(
    *, order_id: int, now=None, by=None, actor: str = audit.VISITOR, restore_cart: bool = True
) -> bool:
    """The visitor gave up paying: release the capacity and put the lines back in their
    cart (``restore_cart=False``: not; the demo's history). ``False`` when the order was
    no longer awaiting payment (nothing done)."""
    now = now or timezone.now()
    with transaction.atomic():
        released = _order_release(
            order_id=order_id, status=OrderStatus.ABANDONED, now=now, actor=actor, by=by
        )
        if released and restore_cart:
            cart_restore(order=Order.objects.get(pk=order_id))
    return released


def order_expire(*, order_id: int, now=None, actor: str = audit.SYSTEM) -> bool:
    """A pending order's hold ran out: give its capacity back (``False``: nothing done)."""
    return _order_release(
        order_id=order_id, status=OrderStatus.EXPIRED, now=now or timezone.now(), actor=actor
    )


def holds_expire(*, now=None, site=None, user=None, actor: str = audit.SYSTEM) -> int:
    """Release every pending order whose hold has run out (of one account on one site,
    when given: checkout does so before counting what the account holds); returns how
    many."""
    now = now or timezone.now()
    orders = Order.objects.filter(status=OrderStatus.PENDING, hold_expires_at__lte=now)
    if site is not None:
        orders = orders.filter(site=site)
    if user is not None:
        orders = orders.filter(user=user)
    ids = list(orders.values_list("pk", flat=True))
    return sum(order_expire(order_id=pk, now=now, actor=actor) for pk in ids)


# --- Completion ------------------------------------------------------------------------------


def bookings_complete(*, today: dt.date | None = None, actor: str = audit.SYSTEM) -> int:
    """Confirmed stays and activities that are over become completed."""
    today = today or timezone.localdate()
    done = Booking.objects.filter(status=BookingStatus.CONFIRMED)
    over = list(done.filter(kind="stay", end__lt=today).values_list("pk", flat=True)) + list(
        done.filter(kind="activity", start__lt=today).values_list("pk", flat=True)
    )
    if not over:
        return 0
    with locked_transaction():
        bookings = rows_lock(Booking.objects.filter(pk__in=over, status=BookingStatus.CONFIRMED))
        Booking.objects.filter(pk__in=[b.pk for b in bookings]).update(
            status=BookingStatus.COMPLETED
        )
        for booking in bookings:
            audit.record(booking, audit.BOOKING_COMPLETED, actor=actor)
    return len(bookings)


# --- Cancellation ----------------------------------------------------------------------------


def booking_cancel(
    *,
    booking_id: int,
    by_provider: bool,
    reason: str = "",
    by=None,
    actor: str | None = None,
    now=None,
    notify: bool = True,
) -> Refund | None:
    """Cancel a confirmed booking: free its capacity, refund the policy's share (in full
    when the provider cancels), reverse it in the ledger and ask the payment provider for
    the refund.

    The refund reverses the same fraction of the provider's net, of the service fee and
    of each beneficiary's share (:func:`marketplace.books.ledger.ledger_reverse`). Returns the
    :class:`Refund`, or ``None`` when there is nothing to give back or the booking was
    already cancelled (nothing done then). Raises :class:`BookingError` when it cannot be
    cancelled. ``by`` is the user who cancels; ``actor`` who they are (the visitor by
    default, a provider's member when ``by_provider``; the admin passes ``staff`` for
    the territory's staff). ``notify=False`` sends no e-mail.
    """
    now = now or timezone.now()
    if actor is None:
        actor = audit.PROVIDER if by_provider else audit.VISITOR
    with locked_transaction():
        booking = row_lock(Booking.objects.filter(pk=booking_id))
        if booking.is_cancelled:
            return None
        if booking.status != BookingStatus.CONFIRMED:
            raise BookingError(
                _("Only a confirmed booking that has not taken place can be cancelled.")
            )
        if booking.starts_at is not None and booking.starts_at <= now and not by_provider:
            raise BookingError(_("This booking has already started; contact the provider."))
        fraction = cancellation_fraction(booking=booking, by_provider=by_provider, now=now)
        if booking.starts_at is None or booking.starts_at > now:
            capacity_release(Claims.of([booking]))
        booking.status = (
            BookingStatus.CANCELLED_BY_PROVIDER
            if by_provider
            else BookingStatus.CANCELLED_BY_VISITOR
        )
        booking.cancelled_at = now
        booking.cancel_reason = reason
        booking.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        refund = _cancel_refund(booking=booking, fraction=fraction, reason=reason, by=by, now=now)
        audit.record(
            booking,
            audit.BOOKING_CANCELLED,
            actor=actor,
            user=by,
            when=now,
            # No reason here: it is the visitor's free text, kept (and erased) on the booking.
            data={"refund": refund.amount if refund is not None else 0},
        )
        if notify:
            transaction.on_commit(lambda: mail.booking_cancelled_notify(booking.pk))
    return refund


def _cancel_refund(*, booking: Booking, fraction: Fraction, reason: str, by, now) -> Refund | None:
    """The ledger's reversal of a cancelled booking and the refund asked of its provider.

    The policy's ``fraction`` reverses that share of the confirmation (price, service fee,
    shares, and tax alike); then the rest of the tourist tax is given back too
    (:func:`~marketplace.orders.accounting.tax_refund_post`): no stay, no tax.
    """
    # A free booking has no confirmation in the ledger: nothing to give back.
    original = LedgerTransaction.objects.filter(idempotency_key=confirmed_key(booking)).first()
    if original is None or not (fraction or booking.tax):
        return None
    amount = 0
    if fraction:
        reversal = ledger_reverse(
            transaction=original,
            idempotency_key=refund_key(booking),
            fraction=(fraction.numerator, fraction.denominator),
            by=by,
            occurred_at=now,
        )
        amount = -sum(
            entry.amount for entry in reversal.entries.all() if entry.account == VISITOR_ACCOUNT
        )
        # The commission given back no longer includes VAT: the same fraction of the VAT
        # set aside from it goes back to the commission accounts.
        vat_refund_post(
            booking=booking,
            idempotency_key=f"{vat_key(booking)}:refund:cancel",
            by=by,
            occurred_at=now,
        )
        # Nor does it bear its share of the payment fee (Stripe keeps its fee on a
        # refund): the operator does, in the same proportion.
        recharge = LedgerTransaction.objects.filter(
            idempotency_key=fee_recharge_key(booking)
        ).first()
        if recharge is not None:
            ledger_reverse(
                transaction=recharge,
                idempotency_key=f"{fee_recharge_key(booking)}:refund:cancel",
                fraction=(fraction.numerator, fraction.denominator),
                by=by,
                occurred_at=now,
            )
    tax_back = tax_refund_post(booking=booking, by=by, occurred_at=now)
    if tax_back is not None:
        amount -= sum(
            entry.amount for entry in tax_back.entries.all() if entry.account == VISITOR_ACCOUNT
        )
    if not amount:
        return None
    order = booking.order
    refund = Refund.objects.create(
        booking=booking,
        amount=amount,
        fraction_numerator=fraction.numerator,
        fraction_denominator=fraction.denominator,
        reason=reason[:300],
        gateway_ref=provider_for(order).refund(
            order=order, amount=amount, idempotency_key=refund_key(booking)
        ),
    )
    Booking.objects.filter(pk=booking.pk).update(refunded=F("refunded") + amount)
    return refund
